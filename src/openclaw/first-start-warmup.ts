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
 * candidate may first wait until a core is free for them ({@link coreFreeBeforeColdReads}: the host's idle
 * cores, and the cores this process may use less what it uses, both ≥ 0.7 in two 200 ms windows in a row),
 * at most `CTXC_OPENCLAW_WARMUP_WAIT_MS` — by default only on a one-core host ({@link defaultGateWaitMs}: on
 * the real gateway with 2 cores the wait cost the first turns and saved the start-up nothing); a turn that
 * comes first reads its transcript itself, as without the warm-up. Not a quiet MAIN thread: OpenClaw
 * 2026.7.35's start-up keeps it at event-loop utilisation 0.999 for the ~14 s before its first turns while
 * the second core idles (real gateway, 5 agents: that gate never opened), and the reads need a core, not
 * the main thread.
 */
import type { Stats } from "node:fs";
import { availableParallelism, cpus } from "node:os";
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

/** The whole-file reads start once this much of a core was free in each of {@link FREE_WINDOWS} windows in a row… */
export const FREE_CORE_AT_LEAST = 0.7;
export const FREE_WINDOW_MS = 200;
/** …windows in a row. */
export const FREE_WINDOWS = 2;
/** The longest a warm-up with whole-file reads may wait for a free core before it starts anyway (`CTXC_OPENCLAW_WARMUP_WAIT_MS`). */
export const FREE_MAX_WAIT_MS = 20_000;

/**
 * The gate's wait by default: none where the process may use 2 cores or more, {@link FREE_MAX_WAIT_MS} on one.
 *
 * Why none (2026-12-07, the real gateway, 2026.7.35, 5 agents, settled seeds; docs/openclaw.md §5 "The first
 * start's warm-up reads at once"): on 2 cores the gate never opened during OpenClaw's start-up (its windows
 * had less than 0.7 of a core free), so the reads began as the first messages came and the warm-up's
 * main-thread builds landed in the agents' first turns — 39.6 and 91.8 ms of transcript work per first turn
 * against 14.0 and 16.6 ms with the reads at once, while the start-up until all bots poll did not move
 * (12.9–14.3 s either way, three runs each). On one core the reads would take the start-up's only core:
 * there the gate still waits.
 */
export function defaultGateWaitMs(cores: number = availableParallelism()): number {
  return cores >= 2 ? 0 : FREE_MAX_WAIT_MS;
}

/** `CTXC_OPENCLAW_WARMUP_WAIT_MS`: the gate's longest wait, 0 to {@link FREE_MAX_WAIT_MS} (0 or `off`: the reads start at once); unset or not a whole number ≥ 0: {@link defaultGateWaitMs}. */
export function gateWaitFromEnv(value: string | undefined, cores?: number): number {
  return boundedSetting(value, { fallback: defaultGateWaitMs(cores), max: FREE_MAX_WAIT_MS, whole: true });
}

/** The CPU counters a window compares (ms): the host's idle time over all its cores, this process's CPU (all threads), when. */
export interface CpuSample {
  atMs: number;
  idleMs: number;
  processMs: number;
  /** Cores this process may run on (`os.availableParallelism`: its affinity). */
  cores: number;
}

/** The counters now: `os.cpus()` idle times (Linux: /proc/stat, 10 ms ticks; ~0.04 ms a call here), `process.cpuUsage`. */
export function cpuSample(): CpuSample {
  const host = cpus();
  // No per-CPU times here (some platforms and sandboxes): the process bound alone decides.
  let idleMs = host.length === 0 ? Infinity : 0;
  for (const cpu of host) idleMs += cpu.times.idle;
  const own = process.cpuUsage();
  return { atMs: performance.now(), idleMs, processMs: (own.user + own.system) / 1000, cores: availableParallelism() };
}

/**
 * Cores free between two samples: the host's idle cores, but no more than the cores this process may use
 * less what it used (a container's CPU set shows the host's idle cores: the second bound holds there).
 */
export function freeCores(from: CpuSample, to: CpuSample): number {
  const wall = to.atMs - from.atMs;
  if (!(wall > 0)) return 0;
  const idle = to.idleMs === Infinity ? Infinity : (to.idleMs - from.idleMs) / wall;
  return Math.min(idle, to.cores - (to.processMs - from.processMs) / wall);
}

/** What the gate reads and how it waits (tests inject both; the defaults are the host's counters and an unref'd timer). */
export interface GateInputs {
  sample?: () => CpuSample;
  wait?: (ms: number) => Promise<void>;
  /** Each window's free cores as measured (tests, benches). */
  windows?: (free: number) => void;
  /** The longest wait (ms); default {@link FREE_MAX_WAIT_MS}, 0: none. */
  maxWaitMs?: number;
}

const unrefSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms).unref());

/**
 * Resolves at once when no candidate of `list` is a whole-file read (all in the index), else once a core
 * was free for the worker's reads ({@link freeCores} ≥ {@link FREE_CORE_AT_LEAST}) in {@link FREE_WINDOWS}
 * windows of {@link FREE_WINDOW_MS} in a row, or after `maxWaitMs` (default {@link FREE_MAX_WAIT_MS}; 0: at once). The gateway's main thread
 * may be busy meanwhile: the reads run on a worker, and the build's main-thread part is small and in
 * macrotasks of its own. Never rejects.
 */
export async function coreFreeBeforeColdReads(list: readonly WarmUpCandidate[], { sample = cpuSample, wait = unrefSleep, windows, maxWaitMs = FREE_MAX_WAIT_MS }: GateInputs = {}): Promise<void> {
  if (!list.some((c) => c.unindexed) || maxWaitMs <= 0) return;
  let from = sample();
  const deadline = from.atMs + maxWaitMs;
  let free = 0;
  while (from.atMs < deadline) {
    await wait(FREE_WINDOW_MS);
    const to = sample();
    const cores = freeCores(from, to);
    from = to;
    windows?.(cores);
    free = cores >= FREE_CORE_AT_LEAST ? free + 1 : 0;
    if (free >= FREE_WINDOWS) return;
  }
}
