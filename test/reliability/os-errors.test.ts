/**
 * OS errors on the transcript path (issue 6): missing file, a directory, permission denied, a FIFO
 * (with no writer: must not block), a character device, a symlink loop, a dangling symlink, a path
 * through a file. The API must reject with a coded CtxcError (and keep serving); the CLI must print one
 * readable line, exit with a non-zero code, and never print a stack trace.
 *
 * Permission denied: the tests run as root, which bypasses file permissions, so that case runs the
 * CLI and the API in a child process as the unprivileged user `nobody` (setpriv); it is skipped, with
 * the reason printed, only where that is impossible.
 */
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createCompiler, CtxcError, type CtxcErrorCode } from "../../src/index.js";
import { Tally } from "../support/reliability.js";
import { tempDir } from "../support/tmp.js";
import { HANG_MS } from "../support/hang-guard.js";

const run = promisify(execFile);
const dir = tempDir("os-errors");
chmodSync(dir, 0o755); // reachable by `nobody` for the permission case
const tally = new Tally("os-errors");
const compiler = createCompiler({ threads: 1 });
afterAll(async () => {
  tally.write();
  await compiler.close();
});

const CLI = fileURLToPath(new URL("../../dist/src/cli/main.js", import.meta.url));
const INDEX = fileURLToPath(new URL("../../dist/src/index.js", import.meta.url));
const GOOD = join(dir, "good.jsonl");
writeFileSync(GOOD, '{"type":"session","version":3,"id":"s","timestamp":"t","cwd":"/"}\n{"type":"message","id":"a","parentId":null,"timestamp":"t","message":{"role":"user","content":"hi","timestamp":1}}\n');

async function cli(args: string[], prefix: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, ...rest] = [...prefix, process.execPath, CLI, ...args];
  try {
    const { stdout, stderr } = await run(cmd!, rest, { timeout: HANG_MS });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string; killed?: boolean };
    expect(e.killed ?? false).toBe(false); // not a hang
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The API rejects with `code`, the pool keeps serving, and the CLI prints one readable line. */
async function expectOsError(name: string, path: string, code: CtxcErrorCode, errno?: string): Promise<void> {
  const t = tally.add(name);
  const err = await compiler.build({ transcript: path, timeoutMs: HANG_MS }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CtxcError);
  expect((err as CtxcError).code).toBe(code);
  expect((err as CtxcError).message).toContain(path);
  if (errno) expect((err as CtxcError).errno).toBe(errno);
  // The pool keeps serving.
  expect((await compiler.build({ transcript: GOOD })).messageCount).toBe(1);

  const out = await cli(["build", path]);
  expect(out.code).not.toBe(0);
  expect(out.stdout).toBe("");
  expect(out.stderr).toBe(`ctxc: ${(err as CtxcError).message} [${code}]\n`);
  expect(out.stderr).not.toMatch(/\n\s+at /);
  t.survived(code);
}

describe("OS errors: coded errors from the API, one readable line and exit code 1 from the CLI", () => {
  it("missing file", async () => {
    await expectOsError("missing file", join(dir, "nope.jsonl"), "TRANSCRIPT_NOT_FOUND", "ENOENT");
  });

  it("a path through a regular file (ENOTDIR)", async () => {
    await expectOsError("path through a file", join(GOOD, "x.jsonl"), "TRANSCRIPT_NOT_FOUND");
  });

  it("a directory", async () => {
    const d = join(dir, "a-dir.jsonl");
    mkdirSync(d);
    await expectOsError("directory", d, "TRANSCRIPT_NOT_A_FILE");
  });

  it("a FIFO with no writer (does not block)", async () => {
    const fifo = join(dir, "fifo.jsonl");
    execFileSync("mkfifo", [fifo]);
    await expectOsError("FIFO", fifo, "TRANSCRIPT_NOT_A_FILE");
  });

  it("a character device", async () => {
    await expectOsError("character device", "/dev/null", "TRANSCRIPT_NOT_A_FILE");
  });

  it("a symlink loop", async () => {
    const a = join(dir, "loop-a.jsonl");
    const b = join(dir, "loop-b.jsonl");
    symlinkSync(b, a);
    symlinkSync(a, b);
    await expectOsError("symlink loop", a, "TRANSCRIPT_UNREADABLE", "ELOOP");
  });

  it("a dangling symlink", async () => {
    const link = join(dir, "dangling.jsonl");
    symlinkSync(join(dir, "gone.jsonl"), link);
    await expectOsError("dangling symlink", link, "TRANSCRIPT_NOT_FOUND");
  });

  // Preconditions, checked rather than assumed: setpriv can drop to `nobody`, and `nobody` can reach the
  // built code and its dependencies (not so in a clone inside a private 0700 directory, e.g. under /root).
  const setpriv = (() => {
    const asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath];
    try {
      execFileSync("setpriv", [...asNobody, "-e", "process.getuid() === 65534 || process.exit(3)"], { stdio: "pipe" });
    } catch (err) {
      return `cannot run a process as nobody with setpriv: ${(err as Error).message}`;
    }
    const reach = `const fs = await import("node:fs"); fs.accessSync(${JSON.stringify(CLI)}, fs.constants.R_OK); fs.accessSync(${JSON.stringify(GOOD)}, fs.constants.R_OK); await import(${JSON.stringify(INDEX)});`;
    try {
      execFileSync("setpriv", [...asNobody, "--input-type=module", "-e", reach], { stdio: "pipe", timeout: HANG_MS });
    } catch {
      return `the user nobody cannot reach the built code (${CLI}) or its dependencies: is the clone inside a private (0700) directory?`;
    }
    return null;
  })();
  if (setpriv) console.warn(`permission-denied test skipped: ${setpriv}`);

  it.skipIf(setpriv !== null)("permission denied (run as nobody)", async () => {
    const t = tally.add("permission denied");
    const secret = join(dir, "secret.jsonl");
    writeFileSync(secret, "{}\n");
    chmodSync(secret, 0o600);
    const asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
    const out = await cli(["build", secret], asNobody);
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(`ctxc: cannot read transcript ${secret}: permission denied [TRANSCRIPT_UNREADABLE]\n`);
    // The API in the same position: a coded error with errno, and the pool keeps serving.
    const script = `
      const { createCompiler } = await import(${JSON.stringify(INDEX)});
      const c = createCompiler({ threads: 1 });
      const err = await c.build({ transcript: ${JSON.stringify(secret)} }).catch((e) => e);
      const ok = await c.build({ transcript: ${JSON.stringify(GOOD)} });
      console.log(JSON.stringify({ name: err.name, code: err.code, errno: err.errno, next: ok.messageCount }));
      await c.close();
    `;
    const { stdout } = await run(asNobody[0]!, [...asNobody.slice(1), process.execPath, "--input-type=module", "-e", script], { timeout: HANG_MS });
    expect(JSON.parse(stdout)).toEqual({ name: "CtxcError", code: "TRANSCRIPT_UNREADABLE", errno: "EACCES", next: 1 });
    t.survived("TRANSCRIPT_UNREADABLE");
  });

  it("bad options are reported the same way (exit code 2, usage, no stack trace)", async () => {
    const t = tally.add("invalid CLI option");
    const out = await cli(["build", GOOD, "--budget", "lots"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^ctxc: .*budget/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
    t.survived();
  });
});
