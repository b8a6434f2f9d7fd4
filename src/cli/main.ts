#!/usr/bin/env node
/**
 * The `ctxc` command. It is a thin shell over the library: parse arguments, run one build through the
 * same compiler the API exposes, print. Errors become a one-line message and an exit code, never a
 * stack trace; `process.exitCode` lets pending output flush.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createCompiler } from "../compiler.js";
import { CtxcError } from "../../native-free-workers/protocol/errors.js";
import { parseCommand, USAGE } from "./args.js";
import { runBenchCommand } from "./bench-command.js";
import { render } from "./render.js";
import { progressBar } from "./progress-bar.js";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    process.stderr.write(`ctxc: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command.command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command.command === "version") {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (command.command === "bench") {
    try {
      return await runBenchCommand(command.full);
    } catch (err) {
      if (err instanceof CtxcError) {
        process.stderr.write(`ctxc: ${err.message} [${err.code}]\n`);
        return 1;
      }
      throw err;
    }
  }
  let compiler: ReturnType<typeof createCompiler> | undefined;
  try {
    // Inside the try: a bad --threads or --cache is reported like any other option error (exit 2).
    compiler = createCompiler({ threads: command.threads, cacheDir: command.cacheDir });
    const bar = progressBar();
    const ctx = await compiler.build({ ...command.build, onProgress: bar?.update });
    bar?.done();
    const output = render(ctx, command.format);
    if (command.out) await writeFile(command.out, output);
    else process.stdout.write(output);
    return 0;
  } catch (err) {
    if (err instanceof CtxcError) {
      process.stderr.write(`ctxc: ${err.message} [${err.code}]\n`);
      return err.code === "INVALID_OPTION" ? 2 : 1;
    }
    throw err;
  } finally {
    await compiler?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ctxc: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 70;
  },
);
