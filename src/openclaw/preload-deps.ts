/**
 * What the preload runtime (preload-runtime.ts) hands to the handler modules kept in files of their own
 * (repair-pass.ts, recent-lines.ts): its prepared worker reads, counters and log. Passed in, not
 * imported, so those modules and the runtime do not import each other.
 */
import type { PreloadCounters } from "./preload-runtime.js";
import type { RepairCheckOptions, RepairCheckReply, SessionMeta } from "../../native-free-workers/protocol/session-buffer-layout.js";

export interface PreloadDeps {
  counters: PreloadCounters;
  /**
   * Counts a call ctxc hands to OpenClaw's own code because it cannot prove its answer equal to stock's
   * (`stockRuns`: by design, not a failure) and logs why as one `fallback:` line.
   */
  stepAside: (message: string) => void;
  /** Counts a failure (`fallbacks`) and logs it. */
  fallback: (where: string, why: unknown) => void;
  /**
   * Starts ctxc's worker read of `file` for the prewarm and open that follow (a file OpenClaw just
   * rewrote), unless one is already running; never rejects.
   */
  prefetchSession: (file: string) => void;
  /**
   * Starts that read now when it is a warm one (ctxc keeps the file's records: only the appended ones are
   * read) and none is running; says whether it did (prepared-reads.ts `prefetchWarmSession`); never rejects.
   */
  prefetchWarmSession: (file: string) => boolean;
  /** The worker's repair check of an absolute path (session.ts `readRepairCheckAsync`). */
  checkRepair: (path: string, check: RepairCheckOptions) => Promise<RepairCheckReply>;
  /** Whether the file is still exactly what the worker read (`meta.file`, `meta.bytes`). */
  unchangedSince: (read: { meta: SessionMeta }, path: string) => boolean;
}

/** A handler the rewritten chunk calls: `(original, args, helpers)` (release/rewrite.ts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (original: (...args: any[]) => any, args: unknown[], helpers: Record<string, () => unknown>) => unknown;

/** The chunk bindings behind the helper getters, by name (getters: some are declared after the function). */
export function resolveHelpers<T = Record<string, unknown>>(helpers: Record<string, () => unknown>): T {
  return Object.fromEntries(Object.entries(helpers).map(([k, get]) => [k, get()])) as T;
}

/**
 * A synchronous fs call's outcome as the promise its `fs.promises` twin settles to: its value, or what it threw
 * as the rejection — for handlers that answer an awaited fs call at the call (file-fingerprint.ts, lock-fs.ts).
 */
export function settledAtCall<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err);
  }
}
