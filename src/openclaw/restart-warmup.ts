/**
 * The restart warm-up (issue #11, first turns): shortly after a restarted gateway loads OpenClaw's
 * session-manager chunk, ctxc does for the transcripts it served before the restart what each one's first
 * open will need — the worker read (continuing from the persistent index, off the main thread) and, on
 * the main thread, the frozen entries of ctxc's entry cache (kept-entries.ts) and the loaded-index record
 * `setLoadedSessionFile` continues (release/loaded-index.ts); on 2026.5.28–6.8, the kept entries
 * `loadEntriesFromFile` copies from (entry-loaders.ts: the first open then only copies, as a later one
 * does); on 2026.5.12–5.27, the kept buffer with its
 * tables and scalar memo pi's open builds from (pi-session-open.ts `warmPiOpen`) — so the agent's first turn finds them and
 * costs what a later turn costs. Nothing is decided differently at that open: its continued read, the
 * generation, the identity and the append checks still decide, and a transcript changed meanwhile falls
 * back to today's first open. Work moved to idle time, not removed: it is counted on its own
 * (`warmedUp`, `warmUpMs` in the summary — main-thread time on a CPU, {@link counted} —, one `warmup:` line) and its main-thread build runs in
 * {@link restartWarmUp}, a name the real-gateway profile summary shows as its own row.
 *
 * Which transcripts: the ones the persistent index holds. It names each by a hash of its path, never the
 * path (SECURITY.md), so the candidates are OpenClaw's transcripts (`<state dir>/agents/<id>/sessions/
 * *.jsonl`, OpenClaw's `resolveAgentSessionsDir` in every JSONL-era release) that have an index file
 * (native-free-workers/openclaw/session-index.ts `sessionIndexFile`), most recently saved first, bounded
 * by a count (`CTXC_OPENCLAW_WARMUP`, default {@link DEFAULT_WARM_UP_COUNT}) and by the entry cache's
 * bytes (`CTXC_OPENCLAW_ENTRY_CACHE_MB`), and a transcript is passed over when its turn comes if the
 * cache no longer has room for it (real first turns meanwhile kept theirs): the warm-up never evicts. On a
 * first start (nothing in the index), also the recently modified transcripts without an index file:
 * first-start-warmup.ts.
 *
 * When: one transcript at a time; its worker read is awaited (async), and its main-thread build runs in
 * steps ({@link WARM_UP_STEP_BYTES} of lines, {@link WARM_UP_FOLD_ENTRIES} entries of the loaded-index fold;
 * pi's open, 2026.5.12–5.27, in one) taken back to back within slices of 4–32 ms per macrotask
 * ({@link slicedPauses}) — so OpenClaw's start-up, messages, timers and I/O interleave. A
 * transcript whose real first open has started (prepared-reads.ts `openStarted`) is skipped — before the
 * read, again before the build, and between its steps, dropping what they built (the open then uses the
 * warm-up's read as its own, the prewarm's usual reuse). So is one whose read says OpenClaw's repair pass
 * will rewrite it before its first open (repair-check.ts `rewrittenByEveryRelease`: a build would be thrown
 * away; 2026.7.35's real gateway seeds all needed it), counted as `repairs` with the reason. Timers
 * are unref'd, nothing throws into OpenClaw, and the warm-up stops at exit.
 */
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { sessionIndexFile } from "../../native-free-workers/openclaw/session-index.js";
import { rewrittenByEveryRelease } from "../../native-free-workers/openclaw/repair-check.js";
import { judgeImagesAhead } from "./image-prejudge.js";
import { entryCacheLimit, entryCacheRoom, holdsCachedEntries, peekCachedEntries, setEntryCacheLimit } from "./entry-cache.js";
import { keptEntriesFor, type BuiltAhead } from "./kept-entries.js";
import { frozenEntriesInSteps, hasFields, type FrozenInSteps } from "./buffer-entries.js";
import { lazyStats } from "./entry-factory.js";
import { prepareFreshEntries } from "./lazy-entries.js";
import { clearKeptBuffers, getKeptBuffers } from "./kept-buffers.js";
import { warmPiOpen } from "./pi-session-open.js";
import { boundedSetting } from "./env-mib.js";
import { threadWaitMs } from "./thread-wait.js";
import { coreFreeBeforeColdReads, recentSince, unindexedCandidate, type GateInputs } from "./first-start-warmup.js";
import { cannotServeEntries, decodeRecordsInSteps } from "./release/file-entries.js";
import { forgetWarmDigests, warmDigest } from "./prefetched-digest.js";
import { forgetPreparedReads, openStarted, prepareSession, readRunning, settledRead, takeSettled } from "./prepared-reads.js";
import { forgetIndexRecords, warmLoadedIndex, type LoadedIndexHelpers } from "./release/loaded-index.js";
import { warmAppendCheckCode } from "./release/append-rewrite.js";
import { warmFileReadCode } from "./warm-file-read.js";

/** Transcripts warmed at most by default (`CTXC_OPENCLAW_WARMUP=N` sets it, `0`/`off` turns it off). */
export const DEFAULT_WARM_UP_COUNT = 16;
/** The most `CTXC_OPENCLAW_WARMUP` may ask for (the scan stats two files per candidate). */
const MAX_WARM_UP_COUNT = 256;
/** Transcript files looked at, at most, across all agents' session folders. */
const MAX_SCANNED = 4096;

/** `CTXC_OPENCLAW_WARMUP`: at most this many transcripts (0: off); unset or not a whole number: the default. */
export function warmUpCountFromEnv(value: string | undefined): number {
  return boundedSetting(value, { fallback: DEFAULT_WARM_UP_COUNT, max: MAX_WARM_UP_COUNT, whole: true });
}

/** A transcript the persistent index holds: its path, when its index file was last saved, its size now. */
export interface WarmUpCandidate {
  path: string;
  savedMs: number;
  size: number;
  /** Not in the index (a first start: first-start-warmup.ts); `savedMs` is the file's modification time. */
  unindexed?: boolean;
}

/**
 * The candidates to warm, in order: most recently saved first (ties by path), at most `count`, and no
 * more file bytes together than `bytes` (the entry cache's bound: a file that does not fit is passed
 * over, a smaller one after it may still fit). Empty files hold nothing to warm.
 */
export function selectWarmUp(candidates: readonly WarmUpCandidate[], { count, bytes }: { count: number; bytes: number }): WarmUpCandidate[] {
  const sorted = [...candidates].sort((a, b) => b.savedMs - a.savedMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const out: WarmUpCandidate[] = [];
  let total = 0;
  for (const c of sorted) {
    if (out.length >= count) break;
    if (c.size <= 0 || total + c.size > bytes) continue;
    out.push(c);
    total += c.size;
  }
  return out;
}

/**
 * OpenClaw's transcripts under `stateDir` that have an index file in `indexDir` (see the file comment) —
 * and, with `recentSinceMs`, those without one modified since then (first-start-warmup.ts; `indexDir`
 * null: the index is off, only those); never rejects.
 */
export async function findWarmUpCandidates(stateDir: string, indexDir: string | null, recentSinceMs?: number): Promise<WarmUpCandidate[]> {
  const agentsDir = join(stateDir, "agents");
  const agents = await readdir(agentsDir, { withFileTypes: true }).catch(() => []);
  const out: WarmUpCandidate[] = [];
  let scanned = 0;
  for (const agent of agents) {
    if (!agent.isDirectory()) continue;
    const sessions = join(agentsDir, agent.name, "sessions");
    const names = await readdir(sessions).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith(".jsonl") || ++scanned > MAX_SCANNED) continue;
      const path = resolve(sessions, name);
      const [saved, file] = await Promise.all([indexDir === null ? undefined : stat(sessionIndexFile(indexDir, path)).catch(() => undefined), stat(path).catch(() => undefined)]);
      if (!file?.isFile()) continue;
      const candidate = saved?.isFile() ? { path, savedMs: saved.mtimeMs, size: file.size } : unindexedCandidate(path, file, recentSinceMs);
      if (candidate) out.push(candidate);
    }
  }
  return out;
}

/** The release's bindings the build uses (from the session-manager chunk, preload-runtime.ts `chunkEvaluated`). */
export interface WarmUpHelpers {
  /** The chunk's `normalizeLoadedFileEntry` (2026.7.1+), as the snapshot open uses it. */
  normalize?: (entry: unknown) => unknown;
  /** `setLoadedSessionFile`'s helpers (2026.6.11+); absent: only the entries are warmed. */
  loadedIndex?: LoadedIndexHelpers;
  /** 2026.5.12–5.27: pi's own open is served (pi-session-open.ts): the kept buffers are warmed instead. */
  pi?: boolean;
  /**
   * 2026.5.28–6.8: the open is `loadEntriesFromFile`, which hands out fresh copies of the kept entries
   * (entry-loaders.ts): they are built as its first call builds them (decoded now, not on use), and no
   * loaded-index record (that release has no `setLoadedSessionFile`).
   */
  copying?: boolean;
}

/**
 * What the warm-up did in this process (summary counters; kept apart from the opens' own). `ms`: its
 * main-thread blocks' time on a CPU together (the summary's `warmUpMs`: their wall minus the main thread's
 * waits for a core inside them, thread-wait.ts — on a loaded host the wall counts those waits, 1–3× the
 * work); `wallMs`: their wall together; `longestMs`: the longest block, wall (what a message arriving
 * meanwhile waits at most).
 */
export const warmUpStats = noWarmUpYet();
/** {@link warmUpStats} before any warm-up (a process's start, or a test's restart: {@link restartedMainThread}). */
function noWarmUpYet() {
  return { candidates: 0, warmedUp: 0, skipped: 0, failed: 0, ms: 0, wallMs: 0, longestMs: 0, repairs: 0, imagesJudged: 0, builtImagesJudged: 0, digests: 0 };
}
/** Why the `repairs` of {@link warmUpStats} (skipped: OpenClaw's repair pass rewrites them first) were skipped. */
const repairReasons = new Set<string>();

/** The free-core gate as this process's warm-up left it: its windows so far, the last one's free cores, whether it is still waiting. */
const gateSeen = { windows: 0, last: Number.NaN, waiting: false };

/** {@link coreFreeBeforeColdReads} (`inputs`: tests), its windows noted for the line at exit ({@link warmUpSummary}). */
export async function watchedGate(cold: readonly WarmUpCandidate[], inputs: GateInputs = {}): Promise<void> {
  gateSeen.waiting = true;
  try {
    await coreFreeBeforeColdReads(cold, { ...inputs, windows: (free) => void ((gateSeen.windows++, (gateSeen.last = free)), inputs.windows?.(free)) });
  } finally {
    gateSeen.waiting = false;
  }
}

/**
 * The `warmup:` log line's figures (one line): what was warmed, what skipped and why, the main thread's share.
 * `atExit`: the process exits before the warm-up finished (a gateway stopped within the gate's 20 s): where it stood.
 */
export function warmUpSummary(overMs: number, { atExit = false }: { atExit?: boolean } = {}): string {
  const s = warmUpStats;
  const judged = s.imagesJudged > 0 ? `; ${s.imagesJudged} image line(s) of them judged ahead` : "";
  const repairs = s.repairs > 0 ? ` (${s.repairs} rewritten first by OpenClaw's repair: ${[...repairReasons].join("; ")}${judged})` : "";
  const gate = gateSeen.waiting ? ` (waiting for a free core: ${gateSeen.windows} window(s), the last ${gateSeen.last.toFixed(2)} free)` : "";
  const built = s.builtImagesJudged > 0 ? ` (${s.builtImagesJudged} image line(s) of them judged ahead)` : "";
  return `${atExit ? `unfinished at exit${gate}: ` : ""}warmedUp=${s.warmedUp}${built} of ${s.candidates} transcript(s), skipped=${s.skipped}${repairs} failed=${s.failed}, main thread ${s.ms.toFixed(1)} ms on a CPU (${s.wallMs.toFixed(1)} wall, longest block ${s.longestMs.toFixed(1)}) over ${overMs.toFixed(0)} ms`;
}

/**
 * Line bytes the 2026.5.28–6.8 build decodes per macrotask: ~0.3–1.5 ms of main thread each once V8 has
 * compiled the decode, a few ms while it has not (the whole decode, freeze and factory lookup is ~150 ms at
 * 28 MB: ~5 ms per MB; with 256 KiB the first, cold steps took 13–18 ms); a longer line is a step of its own.
 */
export const WARM_UP_STEP_BYTES = 64 * 1024;

/**
 * Entries the loaded-index fold (2026.6.11+) takes per macrotask: ~1 µs each once V8 has compiled the fold
 * (~15 ms at 28 MB, ~15,000 entries), a few times that cold.
 */
export const WARM_UP_FOLD_ENTRIES = 512;

/**
 * Line bytes the 2026.6.9+ build (frozen entries that decode on use) takes per macrotask: that build is
 * ~1 ms per MB once compiled (64 KiB steps measured ~0.06 ms each, the pause between them costing more).
 */
export const WARM_UP_FROZEN_STEP_BYTES = 512 * 1024;

let stopped = false;
/** Stops the warm-up between transcripts (at exit; tests). */
export function stopWarmUp(): void {
  stopped = true;
}

/** Whether `path` needs no warm-up: its real open started, or ctxc already reads or holds it. */
function taken(path: string): boolean {
  return openStarted(path) || readRunning(path) || settledRead(path) !== undefined || holdsCachedEntries(path) || getKeptBuffers(path) !== undefined;
}

/**
 * One macrotask later (unref'd: a warm-up never keeps the process alive). A timer, not `setImmediate`: an
 * unref'd immediate does not keep the event loop's poll from blocking, so with nothing else due it waits
 * for the next I/O or timer (seen: the stepped build stalled in a quiet process); an unref'd timer still
 * bounds that wait (~1 ms).
 */
const nextMacrotask = (): Promise<void> => new Promise((done) => setTimeout(done, 0).unref());

/**
 * Main-thread time the build's steps take back to back before the warm-up lets the gateway's own work run
 * (one macrotask), at least. A pause after every fixed-size step spread the build over the event loop's
 * turns: while OpenClaw starts (event-loop utilisation ~1, its timers 0.4–0.9 s late) a 28 MB build's ~90
 * steps took ~10 s of them on 2026.7.35's real gateway, so the first messages came before the warm-up ended.
 */
export const WARM_UP_SLICE_MS = 4;
/** …and at most: a slice grows with the last pause, to an eighth of it (the warm-up ≤ ~1/9 of a busy loop's time). */
export const WARM_UP_SLICE_MAX_MS = 32;

/**
 * The production `between` of {@link restartWarmUp}: returns at once while the current slice has had less
 * main thread than its budget, else waits for the next macrotask and starts a new slice. The budget is
 * {@link WARM_UP_SLICE_MS} on a loop that answers at once, and an eighth of the last pause on a busy one (for
 * the first slice, the pause before the build: `firstPauseMs`), up to {@link WARM_UP_SLICE_MAX_MS}: so the
 * blocks stay short beside a quiet gateway's work, and the build still ends in a few of a busy start-up's
 * long turns. The slice is the real block, so it is what
 * `longestMs` records. `now`, `pause`: tests.
 */
export function slicedPauses(now: () => number = () => performance.now(), pause: () => Promise<void> = nextMacrotask, firstPauseMs = lastPauseMs): () => Promise<void> {
  let from = now();
  let budget = sliceFor(firstPauseMs);
  return async () => {
    const ms = now() - from;
    if (ms < budget) return;
    if (ms > warmUpStats.longestMs) warmUpStats.longestMs = ms;
    const paused = now();
    await pause();
    from = now();
    budget = sliceFor((lastPauseMs = from - paused));
  };
}

/** The slice after a pause of `pauseMs` (see {@link slicedPauses}). */
const sliceFor = (pauseMs: number): number => Math.min(WARM_UP_SLICE_MAX_MS, Math.max(WARM_UP_SLICE_MS, pauseMs / 8));

/** The warm-up's last pause (ms): a transcript's first slice is sized by the pause before it (a busy loop stays busy). */
let lastPauseMs = 0;

/** {@link nextMacrotask}, its wait kept as {@link lastPauseMs}. */
async function timedPause(): Promise<void> {
  const t0 = performance.now();
  await nextMacrotask();
  lastPauseMs = performance.now() - t0;
}

/**
 * Warms `list` in order (see the file comment): per transcript the worker read, then, in a macrotask of
 * its own, {@link restartWarmUp} (`steps`: how its build steps; tests). Resolves when done or
 * stopped; never rejects.
 */
export async function runRestartWarmUp(list: readonly WarmUpCandidate[], helpers: WarmUpHelpers, steps?: WarmUpSteps): Promise<void> {
  warmUpStats.candidates += list.length;
  const built: string[] = [];
  // How image-prejudge.ts judges ahead: in this warm-up's slices and counted blocks, until it is stopped.
  const prejudgeSlicing = { startSlices: slicedPauses, block: counted, stopped: () => stopped };
  for (const { path, size } of list) {
    if (stopped) return;
    // No room left (real first turns since the selection kept their entries): warming would evict theirs.
    if (taken(path) || !roomFor(path, size)) {
      warmUpStats.skipped++;
      continue;
    }
    try {
      await prepareSession(path);
    } catch {
      warmUpStats.failed++;
      continue;
    }
    await timedPause();
    if (stopped) return;
    const read = settledRead(path);
    // The real open started meanwhile: it takes this read as its own (the prewarm's reuse); nothing to build.
    if (openStarted(path) || read === undefined || read instanceof Error) {
      warmUpStats.skipped++;
      continue;
    }
    // OpenClaw's repair pass, before the first open, will rewrite this file: what a build kept would be
    // thrown away (the open reads the new file). The read is released; counted apart, with its reason.
    if (read.status !== "missing" && rewrittenByEveryRelease(read.meta.repair)) {
      takeSettled(path);
      warmUpStats.skipped++;
      warmUpStats.repairs++;
      repairReasons.add(read.meta.repair!);
      // What the pass after OpenClaw's rewrites would judge in a turn, judged now (image-prejudge.ts).
      warmUpStats.imagesJudged += await judgeImagesAhead(path, prejudgeSlicing, { rewritten: true });
      continue;
    }
    await restartWarmUp(path, read, helpers, steps);
    built.push(path);
    // 2026.6.9+ (the snapshot open; its fence digests 8–32 MB files): the first turn's digests prepared on the
    // worker (prefetched-digest.ts `warmDigest`), not awaited — the next transcript's read queues behind it.
    const kept = !helpers.pi && !helpers.copying ? peekCachedEntries(path) : undefined;
    if (kept && !stopped && warmDigest(path, kept.identity.size)) warmUpStats.digests++;
    // Node's fs.promises file-handle code, which OpenClaw's prewarm runs on the first turn (warm-file-read.ts):
    // once, after a build (before the read it would delay the read a racing first open takes over).
    if (!stopped) await warmFileReadCode(path);
  }
  // The image lines each built transcript's first repair pass would judge (2026.6.5+), judged now
  // (image-prejudge.ts) — after all the builds, which are what a first message waits for.
  for (const path of built) {
    if (stopped) return;
    warmUpStats.builtImagesJudged += await judgeImagesAhead(path, prejudgeSlicing, { rewritten: false });
  }
}

/** The clocks a block is counted by: the wall, and the main thread's waits for a core so far (thread-wait.ts). */
export interface BlockClocks {
  now(): number;
  waited(): number;
}
const blockClocks: BlockClocks = { now: () => performance.now(), waited: threadWaitMs };

/**
 * Runs `block` on the main thread and counts it as one of the warm-up's blocks ({@link warmUpStats}): its
 * wall, and its wall less the waits for a core inside it as its time on a CPU (`clocks`: tests). Each
 * read of the waits is a positioned read of a /proc file (~2 µs; a 28 MB transcript's build is ~90 blocks).
 */
export function counted<T>(block: () => T, clocks: BlockClocks = blockClocks): T {
  const waited = clocks.waited();
  const t0 = clocks.now();
  try {
    return block();
  } finally {
    const ms = clocks.now() - t0;
    warmUpStats.wallMs += ms;
    warmUpStats.ms += Math.max(0, ms - (clocks.waited() - waited));
    if (ms > warmUpStats.longestMs) warmUpStats.longestMs = ms;
  }
}

/**
 * How the build steps: line bytes per step, entries per step of the loaded-index fold, and what runs
 * between two steps (tests interleave a change there; `phase`: in the entries' build, or in the fold after it).
 */
export interface WarmUpSteps {
  stepBytes?: number;
  foldEntries?: number;
  between?: (phase: "build" | "fold") => Promise<void>;
}

/**
 * {@link runRestartWarmUp} over `list`, the transcripts the index holds first (their reads continue from
 * it: quick, and the likeliest first turns after a restart), then — once a core is free for them
 * (`quiet`, first-start-warmup.ts) — the whole-file reads of those it holds nothing for. So a restart's
 * warm-up never waits behind a first start's gate. Never rejects.
 */
export async function warmUpIndexedFirst(list: readonly WarmUpCandidate[], helpers: WarmUpHelpers, quiet: (cold: readonly WarmUpCandidate[]) => Promise<void> = coreFreeBeforeColdReads): Promise<void> {
  const cold = list.filter((c) => c.unindexed);
  await runRestartWarmUp(list.filter((c) => !c.unindexed), helpers);
  if (cold.length === 0 || stopped) return;
  await quiet(cold);
  await runRestartWarmUp(cold, helpers);
}

/**
 * The main-thread build for one transcript (named so in a CPU profile: bench/real-gateway/profile-summary.ts):
 * the entry cache filled from the worker read as the first open would fill it (the snapshot open's lazy
 * frozen entries), the read released (the first open's own read continues it: only what was appended since
 * comes back), and the loaded-index record folded from those entries. Counts itself; never rejects.
 *
 * In steps, as many back to back as fit in a slice per macrotask ({@link slicedPauses}), so no block holds
 * the main thread long: the entries built in steps of `stepBytes` line bytes — 2026.6.9+ (the snapshot open): buffer-entries.ts `frozenEntriesInSteps`, one
 * block was ~30 ms at 28 MB; 2026.5.28–6.8 (`copying`): decoded, frozen and their copy factories looked
 * up, release/file-entries.ts `decodeRecordsInSteps`, one block was ~150 ms —, then handed over in a block
 * of their own, then (2026.6.11+) the loaded-index record folded in steps of `foldEntries` entries
 * (release/loaded-index.ts `warmLoadedIndex`, ~15 ms at 28 MB). Between steps the real open wins: when the
 * transcript's open has started, its read is no longer the one settled (during the build) or a new read
 * runs or the entry cache no longer holds the entries handed over (during the fold), or the warm-up
 * stopped, what the steps built is dropped — it was this function's alone; the open builds it itself, as
 * without the warm-up. Only a complete build is handed over, and then {@link buildNow} decides with every
 * check of `keptEntriesFor`, at that moment; only a complete fold is kept.
 */
export async function restartWarmUp(
  path: string,
  read: WarmRead,
  helpers: WarmUpHelpers,
  { stepBytes, foldEntries = WARM_UP_FOLD_ENTRIES, between = slicedPauses() }: WarmUpSteps = {},
): Promise<void> {
  const steps = buildSteps(read, helpers, stepBytes);
  if (!steps) {
    counted(() => buildNow(path, read, helpers));
    return;
  }
  let built: BuiltAhead | undefined;
  try {
    for (;;) {
      const step = counted(() => {
        const next = steps.next();
        if (helpers.copying && !next.done && next.value) prepareFreshEntries(next.value);
        return next;
      });
      if (step.done) {
        built = step.value;
        break;
      }
      await between("build");
      if (stopped || openStarted(path) || settledRead(path) !== read) {
        warmUpStats.skipped++;
        return;
      }
    }
  } catch {
    warmUpStats.failed++;
    return;
  }
  const kept = counted(() => buildNow(path, read, helpers, built));
  if (!kept || !helpers.loadedIndex) return;
  // The record the first load would fold, folded from the entries just kept (their first `count`).
  const { entries, count } = kept;
  const fold = warmLoadedIndex(path, entries, helpers.loadedIndex, kept.size, foldEntries);
  try {
    let step: IteratorResult<void, boolean>;
    do {
      await between("fold");
      if (stopped || openStarted(path) || readRunning(path) || settledRead(path) !== undefined || peekCachedEntries(path)?.entries !== entries || entries.length !== count) return;
      step = counted(() => fold.next());
    } while (!step.done);
    // The first rewrite's prefix check compiled ahead, as the fold's comparison was (release/append-rewrite.ts).
    if (step.value) counted(() => warmAppendCheckCode(entries));
  } catch {
    // never into OpenClaw: no record kept, the first load folds its own
  }
}

/**
 * The build's steps for `read`, or undefined where it runs in one block: pi's open (2026.5.12–5.27), a read
 * that is not served or not kept. Copying (2026.5.28–6.8): the records decoded frozen, each step's copy
 * factories looked up by the caller; else (2026.6.9+) what `keptEntriesFor` builds for a whole read — the
 * frozen entries that decode on use when the read has member FIELDS, the records decoded frozen otherwise.
 */
function buildSteps(read: WarmRead, helpers: WarmUpHelpers, stepBytes: number | undefined): Generator<readonly unknown[] | void, BuiltAhead, void> | undefined {
  if (helpers.pi || read.status === "missing" || cannotServeEntries(read) !== null || entryCacheLimit() <= 0) return undefined;
  const decode = () => decodeRecordsInSteps(read, helpers.normalize, { freeze: true, exactness: true, stepBytes: stepBytes ?? WARM_UP_STEP_BYTES }) as Generator<readonly unknown[], BuiltAhead, void>;
  if (helpers.copying) return decode();
  return read.firstRecord === 0 && hasFields(read) ? frozenEntriesInSteps(read, helpers.normalize, stepBytes ?? WARM_UP_FROZEN_STEP_BYTES) : decode();
}

/**
 * Whether the entry cache can take `bytes` of `path` without dropping another file. Asked again at the
 * hand-over, not only before the read: the read and the build's steps are macrotasks apart, and a real
 * first turn on another transcript may keep its entries meanwhile — the warm-up never evicts them.
 */
function roomFor(path: string, bytes: number): boolean {
  return bytes <= entryCacheRoom() + (peekCachedEntries(path)?.identity.size ?? 0);
}

/** A settled worker read (prepared-reads.ts `settledRead`). */
type WarmRead = Exclude<ReturnType<typeof settledRead>, Error | undefined>;

/**
 * {@link restartWarmUp}'s build in one block — `built`, the entries built ahead in steps, handed over
 * here; without them (pi's open, a read not kept) the whole build. The entries kept (the cache's array),
 * their count then and the file bytes they stand for, or undefined. Never throws.
 */
function buildNow(path: string, read: WarmRead, helpers: WarmUpHelpers, built?: BuiltAhead): { entries: readonly unknown[]; count: number; size: number } | undefined {
  try {
    if (helpers.pi) {
      // 2026.5.12–5.27: the kept buffer and its tables and memo (pi-session-open.ts warmPiOpen).
      const kept = entryCacheLimit() > 0 && warmPiOpen(read, path);
      if (settledRead(path) === read) takeSettled(path);
      warmUpStats[kept ? "warmedUp" : "skipped"]++;
      return undefined;
    }
    // What the open would refuse to serve (release/file-entries.ts) is not kept either: that open stays today's.
    const kept = read.status !== "missing" && !cannotServeEntries(read) && entryCacheLimit() > 0 ? (roomFor(path, read.meta.bytes) ? keptEntriesFor(path, read, helpers.normalize, { lazy: !helpers.copying, decoded: built }) : "no room") : "nothing to keep";
    if (settledRead(path) === read) takeSettled(path);
    if (typeof kept === "string") {
      warmUpStats.skipped++;
      return undefined;
    }
    // The frozen entries' lazy members count when they are kept (frozenEntriesFromBuffer counts its own).
    if (built?.lazy && kept.entries === built.entries) lazyStats.deferred += (built as FrozenInSteps).deferred;
    // The steps looked up the factories of what they decoded; entries kept otherwise get theirs here.
    if (helpers.copying && kept.entries !== built?.entries) prepareFreshEntries(kept.entries);
    warmUpStats.warmedUp++;
    return { entries: kept.entries, count: kept.entries.length, size: kept.identity.size };
  } catch {
    warmUpStats.failed++;
    return undefined;
  }
}

/** What the preload sets at start ({@link scheduleRestartWarmUp}) and what the chunk hands over when it loads. */
let settings: { count: number; stateDir: string; indexDir: string | null; log: (message: string) => void; recentDays?: number; gateWaitMs?: number } | undefined;
let helpersSeen: WarmUpHelpers | undefined;
let started = false;

/** The preload's settings (preload-install.ts): the warm-up starts once the session-manager chunk has loaded too. */
export function scheduleRestartWarmUp(next: NonNullable<typeof settings>): void {
  if (next.count <= 0) return;
  settings = next;
  process.once("exit", stopWarmUp);
  maybeStart();
}

/** The session-manager chunk's bindings, when it has loaded (preload-runtime.ts `chunkEvaluated`). */
export function noteWarmUpHelpers(helpers: WarmUpHelpers): void {
  helpersSeen ??= helpers;
  maybeStart();
}

/** The bindings handed over so far (tests run {@link runRestartWarmUp} with them). */
export function warmUpHelpers(): WarmUpHelpers | undefined {
  return helpersSeen;
}

function maybeStart(): void {
  if (started || !settings || !helpersSeen) return;
  started = true;
  const { count, stateDir, indexDir, log, recentDays = 0, gateWaitMs } = settings;
  const helpers = helpersSeen;
  // A moment after the chunk loaded (OpenClaw's start-up goes on meanwhile); unref'd.
  setTimeout(() => {
    void (async () => {
      try {
        const list = selectWarmUp(await findWarmUpCandidates(stateDir, indexDir, recentSince(recentDays)), { count, bytes: entryCacheLimit() });
        if (list.length === 0 || stopped) return;
        const t0 = performance.now();
        // A gateway stopped before the warm-up finished still says where it stood (the gate may wait 20 s).
        const atExit = () => log(warmUpSummary(performance.now() - t0, { atExit: true }));
        process.once("exit", atExit);
        await warmUpIndexedFirst(list, helpers, (cold) => watchedGate(cold, { maxWaitMs: gateWaitMs }));
        process.off("exit", atExit);
        log(warmUpSummary(performance.now() - t0));
      } catch {
        // never into OpenClaw: the first opens then do the work, as without the warm-up
      }
    })();
  }, 50).unref();
}

/**
 * The main thread as a restarted gateway's starts it, for tests and benches that restart the pool in
 * process: no prepared reads or opens started, an empty entry cache, no loaded-index records, the
 * warm-up's counters at 0 and not stopped. (The worker side restarts with the pool: closeOpenClawPool.)
 */
export function restartedMainThread(): void {
  forgetPreparedReads();
  forgetIndexRecords();
  clearKeptBuffers();
  const limit = entryCacheLimit();
  setEntryCacheLimit(0);
  setEntryCacheLimit(limit);
  Object.assign(warmUpStats, noWarmUpYet());
  Object.assign(gateSeen, { windows: 0, last: Number.NaN, waiting: false });
  repairReasons.clear();
  forgetWarmDigests();
  stopped = false;
}
