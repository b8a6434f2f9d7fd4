/**
 * Runs the `ctxc` command as a user does (`node dist/src/cli/main.js`, the Node running the test), for
 * the CLI tests of each feature.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const MAIN = fileURLToPath(new URL("../../dist/src/cli/main.js", import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  raw: Buffer;
}

export function ctxc(...args: string[]): Promise<Run> {
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
