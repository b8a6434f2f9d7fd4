/**
 * Runs the `ctxc` command for the CLI tests of each feature, two ways:
 * - {@link ctxc}: the command's own code (runCli, what the bin calls) in this process, its stdout and
 *   stderr captured — the same output and exit status without a Node start-up per case;
 * - {@link ctxcBin}: as a user runs it (`node dist/src/cli/main.js`, the Node running the test), for
 *   what only the process shows: the bin itself, its exit status, its stdio, the version from package.json.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { runCli, type CliStream } from "../../src/cli/run.js";

export const MAIN = fileURLToPath(new URL("../../dist/src/cli/main.js", import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  raw: Buffer;
}

/** A stream that keeps what is written; never a terminal (as the bin's stdio under execFile). */
function capture(): CliStream & { bytes(): Buffer } {
  const chunks: Buffer[] = [];
  return {
    isTTY: false,
    write(chunk) {
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk));
      return true;
    },
    bytes: () => Buffer.concat(chunks),
  };
}

export async function ctxc(...args: string[]): Promise<Run> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(args, { stdout, stderr });
  const raw = stdout.bytes();
  return { code, stdout: raw.toString("utf8"), stderr: stderr.bytes().toString("utf8"), raw };
}

export function ctxcBin(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? -1) : 0;
      resolve({ code: typeof code === "number" ? code : -1, stdout: stdout.toString("utf8"), stderr: stderr.toString("utf8"), raw: stdout });
    });
  });
}

/** A failure is one coded line, never a stack trace. */
export function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toMatch(/node:internal|\.js:\d+:\d+/);
}
