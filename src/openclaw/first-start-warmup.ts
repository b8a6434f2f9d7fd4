/**
 * The warm-up on a FIRST start (issue #11: ctxc just installed, or its persistent index off or lost): the
 * restart warm-up (restart-warmup.ts) takes as candidates also the transcripts the index holds nothing for,
 * when OpenClaw modified them recently — the sessions a user is likely to come back to. An old session
 * nobody opens is never read: only files modified in the last `CTXC_OPENCLAW_WARMUP_DAYS` days (default
 * {@link DEFAULT_WARM_UP_DAYS}), and the restart warm-up's own bounds (its count, the entry cache's bytes,
 * most recent first: their file's modification time stands where an indexed one has its index save time).
 * Their worker read is a whole-file read, off the main thread, and saves the index as any read does; the
 * main-thread build is the restart warm-up's, in idle time.
 *
 * When: such whole-file reads keep a core busy for seconds (28 MB: ~0.7 s of worker CPU), and on a small
 * host they compete with OpenClaw's own start-up for the cores (bench/restart-warmup.ts --first-start: its
 * start-up proxy slower by up to ~0.4 s under load when the reads ran beside it). So a warm-up with such a
 * candidate first waits until the main thread has been quiet for a moment ({@link quietBeforeColdReads}:
 * two 200 ms windows in a row with little event-loop utilisation and a timer on time), at most
 * {@link QUIET_MAX_WAIT_MS}; a turn that comes first reads its transcript itself, as without the warm-up.
 */
import type { Stats } from "node:fs";
import { basename } from "node:path";
import { performance } from "node:perf_hooks";
import type { WarmUpCandidate } from "./restart-warmup.js";
import { boundedSetting } from "./env-mib.js";

/** Days back a transcript with nothing in the index may have been modified and still be warmed. */
export const DEFAULT_WARM_UP_DAYS = 2;
/** The most `CTXC_OPENCLAW_WARMUP_DAYS` may ask for. */
const MAX_WARM_UP_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

/** `CTXC_OPENCLAW_WARMUP_DAYS`: days back (fractions allowed; 0 or `off`: no transcript without an index entry); unset or not a number ≥ 0: the default. */
export function warmUpDaysFromEnv(value: string | undefined): number {
  return boundedSetting(value, { fallback: DEFAULT_WARM_UP_DAYS, max: MAX_WARM_UP_DAYS, whole: false });
}

/** The oldest modification time (ms) a transcript without an index entry may have, `days` back from `now`; undefined: none taken. */
export function recentSince(days: number, now: number = Date.now()): number | undefined {
  return days > 0 ? now - days * DAY_MS : undefined;
}

/** OpenClaw's compaction checkpoint transcripts (its COMPACTION_CHECKPOINT_TRANSCRIPT_RE). */
const CHECKPOINT_NAME = /^(.+)\.checkpoint\.([0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.jsonl$/i;

/**
 * Whether a `*.jsonl` file name in a sessions dir is a session's transcript, as OpenClaw's own
 * `isPrimarySessionTranscriptFileName` (2026.5.28+) tells: not a trajectory log (`<id>.trajectory.jsonl`, the
 * run's event stream, written beside the transcript every turn) and not a compaction checkpoint
 * (`<id>.checkpoint.<uuid>.jsonl`); archives (`.jsonl.deleted.…`, `.reset.…`, `.bak…`) do not end in `.jsonl`.
 * Indexed files need no such test: ctxc indexed them because OpenClaw opened them as transcripts.
 */
export function isTranscriptFileName(name: string): boolean {
  return name.endsWith(".jsonl") && !name.endsWith(".trajectory.jsonl") && !CHECKPOINT_NAME.test(name);
}

/** `path` as a candidate though the index holds nothing for it: a transcript (by name) modified at or after `sinceMs` (see the file comment). */
export function unindexedCandidate(path: string, file: Stats, sinceMs: number | undefined): WarmUpCandidate | undefined {
  if (sinceMs === undefined || file.mtimeMs < sinceMs || !isTranscriptFileName(basename(path))) return undefined;
  return { path, savedMs: file.mtimeMs, size: file.size, unindexed: true };
}

/** A window counts as quiet when the main thread's event-loop utilisation in it is below this… */
export const QUIET_BELOW = 0.25;
/** …and its timer fired at most this late (before the event loop runs, its utilisation reads 0: lateness tells). */
export const QUIET_LATE_MS = 40;
export const QUIET_WINDOW_MS = 200;
/** Quiet windows in a row it takes. */
export const QUIET_WINDOWS = 2;
/** The longest a warm-up with whole-file reads waits for a quiet main thread before it starts anyway. */
export const QUIET_MAX_WAIT_MS = 20_000;

/**
 * Resolves at once when no candidate of `list` is a whole-file read (all in the index), else after
 * {@link QUIET_WINDOWS} quiet windows of {@link QUIET_WINDOW_MS} in a row (the main thread's event-loop
 * utilisation below {@link QUIET_BELOW}, the window's timer at most {@link QUIET_LATE_MS} late), or after
 * {@link QUIET_MAX_WAIT_MS}. Its timers are unref'd (a process with nothing else to do just exits); never
 * rejects. `windows` (tests, benches): each window's utilisation and lateness as measured.
 */
export async function quietBeforeColdReads(list: readonly WarmUpCandidate[], windows?: (utilisation: number, lateMs: number) => void): Promise<void> {
  if (!list.some((c) => c.unindexed)) return;
  const deadline = performance.now() + QUIET_MAX_WAIT_MS;
  let quiet = 0;
  let from = performance.eventLoopUtilization();
  while (performance.now() < deadline) {
    const due = performance.now() + QUIET_WINDOW_MS;
    await new Promise<void>((done) => setTimeout(done, QUIET_WINDOW_MS).unref());
    const late = performance.now() - due;
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, from).utilization || 0;
    from = now;
    windows?.(u, late);
    quiet = u < QUIET_BELOW && late <= QUIET_LATE_MS ? quiet + 1 : 0;
    if (quiet >= QUIET_WINDOWS) return;
  }
}
