/**
 * `ctxc build`: one build through the same compiler the API exposes, then output. Everything that can
 * be checked before the (possibly long) build is checked first — a workspace that is not there, an
 * `--out` that cannot be written, binary headed for a terminal — so a mistake costs no build.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { createCompiler, type CompiledContext } from "../index.js";
import type { BuildCommand } from "./args.js";
import { CliErrors } from "./cli-errors.js";
import { progressBar } from "./progress-bar.js";
import type { CliIo, CliStream } from "./run.js";
import { writeOutputFile } from "./write-out.js";
import { countsByCode, plural, render } from "./render.js";

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

function isDirectory(path: string): boolean | null {
  try {
    return statSync(path).isDirectory();
  } catch {
    return null;
  }
}

/** `--out FILE` must name a file (new or existing) in an existing directory. */
function checkOut(out: string): void {
  if (isDirectory(out) === true) throw CliErrors.outputUnwritable(out, "it is a directory");
  const dir = dirname(resolve(out));
  const parent = isDirectory(dir);
  if (parent === null) throw CliErrors.outputUnwritable(out, `directory ${dir} does not exist`);
  if (parent === false) throw CliErrors.outputUnwritable(out, `${dir} is not a directory`);
}

/**
 * No valid session header and nothing usable after it: random bytes, an empty file, package.json.
 * A valid header with no entries is a fresh session (an empty context is right); a file without a
 * header but with entries is damaged, not foreign, and builds with a MISSING_HEADER diagnostic.
 */
function notATranscript(ctx: CompiledContext): string | null {
  const { transcript, diagnosticCounts: counts } = ctx.meta;
  if (transcript.sessionId !== undefined) return null;
  const unusable = (counts.UNKNOWN_ENTRY_TYPE ?? 0) + (counts.INVALID_ENTRY ?? 0) + (counts.BAD_HEADER ?? 0);
  if (transcript.entries - unusable > 0) return null;
  if (transcript.bytes === 0 && transcript.lines === 0) return "empty file";
  return `no session header and no entries in ${plural(transcript.lines, "line")}${countsByCode(counts, "; ")}`;
}

/** Whether `path` starts with SQLite's file header (an OpenClaw 2026.8+ agent database given without --session). */
function isSqliteFile(path: string): boolean {
  const magic = Buffer.from("SQLite format 3\0");
  const head = Buffer.alloc(magic.length);
  try {
    const fd = openSync(path, "r");
    try {
      return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(magic);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

async function write(out: string | null, output: string | Uint8Array, stdout: CliStream): Promise<void> {
  if (out === null) {
    stdout.write(output);
    return;
  }
  try {
    await writeOutputFile(out, output);
  } catch (err) {
    throw CliErrors.outputUnwritable(out, errnoOf(err));
  }
}

export async function runBuild(cmd: BuildCommand, io: CliIo): Promise<void> {
  if (cmd.format === "buffer" && cmd.out === null && io.stdout.isTTY && !cmd.force) throw CliErrors.binaryToTerminal();
  if (cmd.build.workspaceDir !== undefined && isDirectory(cmd.build.workspaceDir) !== true) {
    throw CliErrors.badValue("build", "--workspace", "an existing directory", cmd.build.workspaceDir);
  }
  if (cmd.out !== null) checkOut(cmd.out);
  // The build's tokenizer as the compiler's default: the lane loads that encoder while it starts.
  const compiler = createCompiler({ threads: cmd.threads, cacheDir: cmd.cacheDir, cacheDirRequired: cmd.cacheRequired, tokenizer: cmd.build.tokenizer });
  try {
    const bar = cmd.quiet ? null : progressBar(io.stderr);
    const started = performance.now();
    const ctx = await compiler.build({ ...cmd.build, onProgress: bar?.update });
    const elapsedMs = performance.now() - started;
    bar?.done();
    const foreign = cmd.allowEmpty ? null : notATranscript(ctx);
    if (foreign !== null) {
      const why = cmd.build.session === undefined && isSqliteFile(ctx.meta.transcript.path) ? "a SQLite database: give --session SESSION to compile one of its sessions" : foreign;
      throw CliErrors.notATranscript(ctx.meta.transcript.path, why);
    }
    await write(cmd.out, render(ctx, cmd.format, elapsedMs), io.stdout);
    // Success is silent, like cp; damaged input gets one line for a person watching stderr (the output
    // lists every diagnostic for scripts), except where the text summary already shows them.
    if (!cmd.quiet && ctx.diagnostics.length > 0 && (cmd.format !== "text" || cmd.out !== null)) {
      io.stderr.write(`ctxc: note: ${plural(ctx.diagnostics.length, "diagnostic")}${countsByCode(ctx.meta.diagnosticCounts, "; ")} (listed in the output)\n`);
    }
  } finally {
    await compiler.close();
  }
}
