/**
 * The arguments of pi's `SessionManager.open(path, sessionDir, cwdOverride)` that ctxc's wrapper
 * (preload-runtime.ts `wrapSessionManager`) can answer as pi does, per checked pi shape
 * (plan.ts KNOWN_PI_SESSION_MANAGER).
 *
 * The wrapper keys ctxc's read by `path.resolve(path)`, builds pi's instance with `persist` off (so pi's
 * constructor creates nothing) and gives it the file's folder when no `sessionDir` is passed. pi 0.74–0.75.4
 * do the same (`sessionDir ?? resolve(path, "..")`). pi 0.75.5 passes `path` through its own `resolvePath`
 * and `sessionDir` through `normalizePath` — both expand `~` (from `os.homedir()`) and `file://` URLs, and
 * are `path.resolve` / the identity otherwise — and takes any falsy `sessionDir` (also `""`) as absent.
 */
import { existsSync } from "node:fs";

/** What differs between the checked pi shapes (plan.ts `PiSessionManagerVariant`). */
export interface PiOpenOptions {
  normalisesPaths?: boolean;
}

/** True when pi 0.75.5's `normalizePath` (default options) returns `p` unchanged: no `~` to expand, no file: URL. */
function normalisedAsIs(p: string): boolean {
  if (p === "~" || p.startsWith("~/") || (process.platform === "win32" && p.startsWith("~\\"))) return false;
  return !/^file:\/\//.test(p);
}

/**
 * The `sessionDir` to build pi's instance with, or why the wrapper must leave this open to pi (its own
 * open runs; the reason is logged).
 */
export function piOpenSessionDir(path: unknown, sessionDir: unknown, options: PiOpenOptions = {}): { sessionDir: string | undefined } | string {
  if (typeof path !== "string") return "path is not a string";
  if (sessionDir !== undefined && typeof sessionDir !== "string") return "sessionDir is not a string";
  let dir = sessionDir;
  if (options.normalisesPaths) {
    if (!normalisedAsIs(path) || (dir && !normalisedAsIs(dir))) return "path with ~ or file: URL (pi normalises it)";
    if (!dir) dir = undefined; // pi 0.75.5: `sessionDir ? normalizePath(sessionDir) : resolve(path, "..")`
  }
  // pi's constructor (persist on) creates a missing sessionDir; ctxc's instance is built with persist off.
  if (dir && !existsSync(dir)) return "sessionDir does not exist (pi's constructor creates it)";
  return { sessionDir: dir };
}
