/**
 * Running ctxc's built code in a child process: under a given umask (a process-wide setting that vitest
 * workers cannot change), or as the unprivileged user `nobody` (setpriv, as test/reliability/os-errors.test.ts does)
 * for checks that mean nothing as root, which bypasses file permissions.
 */
import { execFile, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { HANG_MS } from "./hang-guard.js";

const run = promisify(execFile);

export const DIST_CLI = fileURLToPath(new URL("../../dist/src/cli/main.js", import.meta.url));
export const DIST_INDEX = fileURLToPath(new URL("../../dist/src/index.js", import.meta.url));

export const AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

export interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node ...args` (a module script with `-e`: pass `--input-type=module` first), optionally with
 * `umask` set before node starts and as `nobody`.
 */
export async function runNode(args: string[], opts: { umask?: number; asNobody?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<ChildResult> {
  let command = [process.execPath, ...args];
  if (opts.umask !== undefined) command = ["sh", "-c", `umask ${opts.umask.toString(8).padStart(3, "0")} && exec "$0" "$@"`, ...command];
  if (opts.asNobody) command = [...AS_NOBODY, ...command];
  try {
    const { stdout, stderr } = await run(command[0]!, command.slice(1), { timeout: HANG_MS, env: { ...process.env, ...opts.env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/**
 * Null when a child can run ctxc's built code as `nobody`; else why not (no setpriv, not root, or the
 * checkout sits where `nobody` cannot read it — a clone in a 0700 home, say). Tests that need it skip
 * with this reason.
 */
export function nobodyUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "tests do not run as root, so they cannot switch to nobody";
  try {
    execFileSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, "--input-type=module", "-e", `await import(${JSON.stringify(DIST_INDEX)});`], {
      stdio: "pipe",
      timeout: HANG_MS,
    });
    return null;
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? "").split("\n").find((l) => l.trim() !== "") ?? (err as Error).message;
    return `nobody cannot run ctxc's built code from this checkout (${stderr.trim()})`;
  }
}
