/**
 * What the preload runtime (preload-runtime.ts) hands to the handler modules kept in files of their own
 * (repair-pass.ts, recent-lines.ts): its prepared worker reads, counters and log. Passed in, not
 * imported, so those modules and the runtime do not import each other.
 */
import type { PreloadCounters } from "./preload-runtime.js";
import type { OpenClawSession } from "./session.js";

export interface PreloadDeps {
  counters: PreloadCounters;
  preloadLog: (kind: "fallback", message: string) => void;
  /** Counts a failure (`fallbacks`) and logs it. */
  fallback: (where: string, why: unknown) => void;
  /** Starts (or restarts) ctxc's worker read of `file`, kept for the session open that follows. */
  prepareSession: (file: string, options?: { whole?: boolean }) => Promise<void>;
  /** The settled read of an absolute path. */
  settledRead: (path: string) => OpenClawSession | Error | undefined;
  /** Whether the file is still exactly what the worker read. */
  unchangedSince: (session: OpenClawSession, path: string) => boolean;
}

/** A handler the rewritten chunk calls: `(original, args, helpers)` (release/rewrite.ts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (original: (...args: any[]) => any, args: unknown[], helpers: Record<string, () => unknown>) => unknown;

/** The chunk bindings behind the helper getters, by name (getters: some are declared after the function). */
export function resolveHelpers(helpers: Record<string, () => unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(helpers).map(([k, get]) => [k, get()]));
}
