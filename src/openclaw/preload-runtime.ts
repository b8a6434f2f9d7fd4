/**
 * The replacements the ctxc preload (register.ts) puts in front of OpenClaw's run path. The loader
 * hooks (preload-hooks.ts) only redirect imports and serve rewritten chunks whose intercepted functions
 * call {@link handlers} here; what decides what runs is plain functions that take the originals — so it
 * runs on Node 20 too and is unit-tested without hooks. This file is the runtime's entry: its counters
 * and log, the handler table, and the wrappers the hooks import; the handlers live in modules of their
 * own that take {@link PreloadDeps} (prepared-reads.ts, pi-session-open.ts, entry-loaders.ts,
 * transcript-scans.ts, bootstrap-wrappers.ts, repair-pass.ts, recent-lines.ts, session-digest.ts).
 *
 * Rule for every wrapper: ctxc only READS. Whatever OpenClaw or pi would write (appends, migrations,
 * fresh headers, repairs) stays on their own path; when ctxc cannot serve a call exactly, or fails, the
 * original runs and the reason goes to the preload log (CTXC_OPENCLAW_LOG, else stderr).
 */
import { logLine, writeLogLines } from "./log-line.js";
import { traceHandlers, TRACING } from "./trace.js";
import { followAppend, rewriteFile, type RewriteHelpers, type RewriteOptions, type RewritingManager } from "./release/append-rewrite.js";
import { setLoadedSessionFile, type LoadedIndexHelpers, type LoadingManager } from "./release/loaded-index.js";
import { followWrite, serializedFileLinesForRewrite, writeFullFile, type FollowerHelpers, type WritingManager } from "./release/write-follower.js";
import { resolve } from "node:path";
import type { PiOpenOptions } from "./release/pi-open.js";
import { recentLinesHandlers } from "./recent-lines.js";
import { passJudgesImages, prefetchNextTurn, repairHandlers } from "./repair-pass.js";
import { onTurnEnd, TURN_END_READS } from "./turn-end-prefetch.js";
import { noteImageJudge } from "./image-prejudge.js";
import { sessionDigestHandlers } from "./session-digest.js";
import { fileFingerprintHandlers } from "./file-fingerprint.js";
import { lockFsHandlers } from "./lock-fs.js";
import { workspaceFilesHandlers } from "./workspace-files.js";
import { resolveHelpers, type PreloadDeps } from "./preload-deps.js";
import { readRepairCheckAsync, readSessionMetaAsync, type OpenClawSession } from "./session.js";
import { observeOpenClawPool, openClawPoolBusy, openClawPoolTicket, startOpenClawPool } from "./pool.js";
import { IdleRereads } from "./idle-reread.js";
import { noteWarmUpHelpers } from "./restart-warmup.js";
import { prefetchSession, prefetchWarmSession, prewarmSessionFile, unchangedSince } from "./prepared-reads.js";
import { sessionManagerFromCtxc as piSessionManagerFromCtxc, wrapSessionManager as wrapPiSessionManager, type PiSessionManagerClass, type PiSessionManagerLike } from "./pi-session-open.js";
import { entryLoaderHandlers } from "./entry-loaders.js";
import { transcriptLeafInfo as leafInfoFromCtxc, transcriptScanHandlers, type LeafInfo } from "./transcript-scans.js";
import {
  wrapBuildBootstrapContext as buildBootstrapContextWrapper,
  wrapResolveBootstrapFiles as resolveBootstrapFilesWrapper,
  type BootstrapFileLike,
  type BootstrapHookDeps,
  type ResolveParams,
} from "./bootstrap-wrappers.js";

export { prepareSession, settledRead, readSettled, unchangedSince, prefetchSession, prefetchWarmSession, wrapPrewarm, serveSnapshotOpens } from "./prepared-reads.js";
export { setJudgeRelease, forgetJudgedLines, judgeNameOfSource, workerJudgeSpec } from "./judged-images.js";
/** The worker's repair check through this instance's pool (tests ask it what the workers' image judge sends). */
export { readRepairCheckAsync } from "./session.js";
export { judgeImagesAhead, noteImageJudge } from "./image-prejudge.js";
/** The restart warm-up (tests run it with the helpers the chunk handed over, and read its counters). */
export { runRestartWarmUp, warmUpHelpers, warmUpStats, selectWarmUp, findWarmUpCandidates, stopWarmUp, restartedMainThread } from "./restart-warmup.js";
export type { BootstrapHookDeps } from "./bootstrap-wrappers.js";

/** ctxc's decoded-entry cache as this runtime instance keeps it (the session open fills it; tests fill and inspect it). */
export * as entryCache from "./entry-cache.js";
export * as keptBuffers from "./kept-buffers.js";
/** Worker requests asked for so far, by this runtime instance's pool (tests count requests with it: never timed). */
export { openClawPoolBusy, openClawPoolTicket } from "./pool.js";
export { lockFileOpened, lockFileClosed, forgetTurnEnds } from "./turn-end-prefetch.js";
/** This instance's pool itself: a test holding the runtime the chunks call restarts its worker with these (a "gateway restart"). */
export { configureOpenClawPool, closeOpenClawPool, startOpenClawPool } from "./pool.js";
/** …and its observer: a test chains to the runtime's own to act between a worker's answer and the handler that asked (e.g. a write racing a read). */
export { observeOpenClawPool } from "./pool.js";

/** What the preload did in this process (written as one `summary` line at exit). */
export interface PreloadCounters {
  /** Session opens (pi's `SessionManager.open`, OpenClaw's `loadEntriesFromFile*`) answered from ctxc's worker read. */
  sessionsServed: number;
  /** 2026.6.9+: opens OpenClaw answered from its own entry cache (file unchanged since it last parsed or wrote it). */
  sessionsCached: number;
  /** Of sessionsServed: opens that decoded only the records appended since the previous turn, or none when the kept entries were the file the worker read (kept-entries.ts). */
  sessionsContinued: number;
  /**
   * 2026.6.9+: opens with no usable worker read (e.g. `persistRecord`'s re-open after OpenClaw's cache
   * dropped the file) answered from ctxc's kept entries, the file unchanged since (kept-entries.ts).
   */
  sessionsKept: number;
  /** OpenClaw transcript leaf scans (before each transcript append) answered by ctxc's worker. */
  leafInfoServed: number;
  /** OpenClaw idempotency-key scans (before a user turn / mirror is appended) answered "not there" from ctxc's read. */
  idempotencyServed: number;
  /** Of idempotencyServed: answered on the main thread from the kept keys plus the bytes appended since, no worker hop (kept-keys.ts). */
  idempotencyMain: number;
  /** Of idempotencyServed: answered by the worker's read. */
  idempotencyWorker: number;
  /** Idempotency-key lookups where OpenClaw's own scan ran (the key may be there, or ctxc could not tell). */
  idempotencyScans: number;
  /** OpenClaw repair passes skipped because ctxc's worker found nothing they would change. */
  repairsSkipped: number;
  /** 2026.6.11+: recent-conversation reads answered from the lines ctxc's worker picked (recent-lines.ts). */
  recentReadsServed: number;
  /** Of the recent-conversation reads: worker reads asked again because OpenClaw appended to the file meanwhile (recent-lines.ts `ATTEMPTS`). */
  recentReadsAgain: number;
  bootstrapServed: number;
  bootstrapContextServed: number;
  /** 2026.5.12+: workspace bootstrap reads (`loadWorkspaceBootstrapFiles`) answered by ctxc's worker (workspace-files.ts). */
  workspaceReadsServed: number;
  /** 2026.6.9+ `SessionManager.rewriteFile` calls served as an append of only the new lines (release/append-rewrite.ts). */
  rewritesAppended: number;
  /** Bytes those appends wrote (0 when the file already held every entry: stock rewrote the same bytes). */
  rewriteAppendedBytes: number;
  /** Rewrites that ran stock's whole-file write (ctxc's entry cache could not prove an append equivalent; each logged). */
  rewritesStock: number;
  /**
   * 2026.6.9+: OpenClaw's own whole-file writes (first flush, 2026.7.35's header rewrite, stock's rewrite)
   * whose re-parse ctxc answered from the entries written (release/write-follower.ts).
   */
  writesFollowed: number;
  /** Lines of those writes answered by ctxc's kept objects (not parsed). */
  writeEntriesShared: number;
  /** 2026.7.35's header rewrite: lines given as the text ctxc read, not serialised again (release/read-lines.ts). */
  linesFromRead: number;
  /** 2026.6.6+: session-fence digests (`readSessionFileDigest`) computed by ctxc's worker, `undefined` answers included (session-digest.ts). */
  digestsServed: number;
  /**
   * 2026.6.11+: `setLoadedSessionFile` calls (opens, and `persistRecord`'s re-load after OpenClaw's cache lost
   * the file) whose index continued the one built for the same entries before (release/loaded-index.ts).
   */
  indexesContinued: number;
  /**
   * 2026.6.11+: `setLoadedSessionFile` calls with no record to continue (a first open, after a restart) whose
   * index ctxc folded itself from the header, instead of stock's body and a copy (release/loaded-index.ts).
   */
  indexesFolded: number;
  /** Of those, the ones asked beside the turn's repair check and taken by the fence's call (prefetched-digest.ts). */
  digestsPrefetched: number;
  /** Repair passes answered from the check asked at the stage's first call (repair-pass.ts `earlyChecks`). */
  repairsEarly: number;
  /** 2026.6.5+: image lines the worker's checks handed to the main thread for the release's judge (judged-images.ts). */
  imageLinesJudged: number;
  /** Image lines the workers judged with the release's judge (release/worker-judge.ts), not sent to the main thread. */
  imageLinesJudgedInWorkers: number;
  /** 2026.5.27+: the session lock's fingerprint stats answered synchronously (file-fingerprint.ts). */
  fingerprintsServed: number;
  /** The session write lock's folder realpaths (and fs-safe's folder checks) answered synchronously (lock-fs.ts). */
  lockPathsServed: number;
  /** fs-safe's lock-file snapshots (on each lock release and contended attempt) read synchronously (lock-fs.ts). */
  lockSnapshotsServed: number;
  /** fs-safe's fstat of the lock file it has just created and written, answered synchronously (lock-fs.ts `statOfLockHandle`). */
  lockStatsServed: number;
  /** fs-safe's new lock files opened (`wx`) and their payloads written synchronously (lock-fs.ts `openLockFile`). */
  lockFilesServed: number;
  /** Session lock releases after which the next turn's reads were asked (turn-end-prefetch.ts). */
  turnEndPrefetches: number;
  /** The embedded run's `hadSessionFile` stat answered synchronously (file-fingerprint.ts `sessionFileStat`). */
  sessionStatsServed: number;
  /** Calls handed to OpenClaw's own code because ctxc could not prove its answer (each logged as a `fallback:` line with why; by design, not failures). */
  stockRuns: number;
  fallbacks: number;
}

export const counters: PreloadCounters = {
  sessionsServed: 0,
  sessionsCached: 0,
  sessionsContinued: 0,
  sessionsKept: 0,
  idempotencyServed: 0,
  idempotencyMain: 0,
  idempotencyWorker: 0,
  idempotencyScans: 0,
  leafInfoServed: 0,
  repairsSkipped: 0,
  recentReadsServed: 0,
  recentReadsAgain: 0,
  bootstrapServed: 0,
  bootstrapContextServed: 0,
  workspaceReadsServed: 0,
  rewritesAppended: 0,
  rewriteAppendedBytes: 0,
  rewritesStock: 0,
  writesFollowed: 0,
  writeEntriesShared: 0,
  linesFromRead: 0,
  digestsServed: 0,
  indexesContinued: 0,
  indexesFolded: 0,
  digestsPrefetched: 0,
  repairsEarly: 0,
  imageLinesJudged: 0,
  imageLinesJudgedInWorkers: 0,
  fingerprintsServed: 0,
  lockPathsServed: 0,
  lockSnapshotsServed: 0,
  lockStatsServed: 0,
  lockFilesServed: 0,
  turnEndPrefetches: 0,
  sessionStatsServed: 0,
  stockRuns: 0,
  fallbacks: 0,
};

/** One line to the preload log; never throws (a logging problem must not break a run). */
export function preloadLog(kind: "active" | "inactive" | "stock" | "index" | "warmup" | "judge" | "fallback" | "summary", message: string): void {
  writeLogLines(logLine(kind, message));
}

/** Counts and logs a call ctxc meant to serve but handed to OpenClaw because something failed. */
export function fallback(where: string, why: unknown): void {
  counters.fallbacks++;
  const text = why instanceof Error ? `${why.name}: ${why.message}` : String(why);
  preloadLog("fallback", `${where}: ${text}`);
}

/** Counts and logs a call ctxc hands to OpenClaw's own code because it cannot prove its answer (preload-deps.ts `stepAside`). */
export function stepAside(message: string): void {
  counters.stockRuns++;
  preloadLog("fallback", message);
}

/** What the handler modules of their own files use (preload-deps.ts). */
const preloadDeps: PreloadDeps = { counters, stepAside, fallback, prefetchSession, prefetchWarmSession, checkRepair: readRepairCheckAsync, unchangedSince };
// The next turn's reads, asked at the end of this one (turn-end-prefetch.ts; opt-in).
if (TURN_END_READS) {
  onTurnEnd((file) => {
    counters.turnEndPrefetches++;
    prefetchNextTurn(preloadDeps, file);
  });
}

/**
 * OpenClaw 2026.5.12's `repairSessionFileIfNeeded(params)` answered "nothing to repair" from ctxc's
 * worker read when its pass would change nothing (repair-pass.ts, which serves every release's variant).
 */
export function wrapRepair<P extends { sessionFile?: unknown }, R>(original: (params: P) => Promise<R>): (params: P) => Promise<R> {
  return (params: P) => repairHandlers(preloadDeps).repairSessionFileIfNeeded!(original as (p: unknown) => Promise<unknown>, [params], {}) as Promise<R>;
}

let poolStart: "off" | "armed" | "started" = "off";
/** preload-install.ts, at activation: the worker pool starts once OpenClaw's session code has loaded ({@link startPoolSoon}). */
export function armPoolStart(): void {
  if (poolStart === "off") poolStart = "armed";
}

/**
 * The first time a served chunk (or pi's module) loads, in a macrotask of its own (unref'd): the worker
 * threads start and load (pool.ts `startOpenClawPool`) while OpenClaw goes on starting, so the first turn's
 * first request finds them up. Once per process; never throws into the chunk.
 */
function startPoolSoon(): void {
  if (poolStart !== "armed") return;
  poolStart = "started";
  setImmediate(() => {
    void startOpenClawPool().then((failed) => {
      for (const why of failed) preloadLog("judge", `the workers could not build the release's image judge (${why}); image lines are judged on the main thread`);
    });
  }).unref();
}

/** pi's `SessionManager` class with `open` answered from ctxc's prepared read (pi-session-open.ts); imported by the hooks' pi module. */
export function wrapSessionManager<T extends object>(SM: T, options: PiOpenOptions = {}): T {
  const wrapped = wrapPiSessionManager(preloadDeps, SM, options);
  // pi's module has loaded (the run path imports it): the restart warm-up can build what its opens keep.
  noteWarmUpHelpers({ pi: true });
  startPoolSoon();
  return wrapped;
}

/** The pi `SessionManager` `SessionManager.open` would return, from a worker read, or why not (pi-session-open.ts). */
export function sessionManagerFromCtxc(SM: PiSessionManagerClass, session: OpenClawSession, path: string, sessionDir?: string, cwdOverride?: string): PiSessionManagerLike | string {
  return piSessionManagerFromCtxc(preloadDeps, SM, session, path, sessionDir, cwdOverride);
}

/** OpenClaw's `readTranscriptLeafInfo` answered by ctxc's worker, else `original` (transcript-scans.ts). */
export function transcriptLeafInfo(transcriptPath: string, original: (p: string) => Promise<LeafInfo>): Promise<LeafInfo> {
  return leafInfoFromCtxc(preloadDeps, transcriptPath, original);
}

/** OpenClaw's `resolveBootstrapFilesForRun` with the file reads in ctxc's worker (bootstrap-wrappers.ts). */
export function wrapResolveBootstrapFiles(
  original: (params: ResolveParams) => Promise<BootstrapFileLike[]>,
  deps: BootstrapHookDeps,
): (params: ResolveParams) => Promise<BootstrapFileLike[]> {
  return resolveBootstrapFilesWrapper(preloadDeps, original, deps);
}

/** OpenClaw's `buildBootstrapContextForFiles` answered by ctxc's (bootstrap-wrappers.ts). */
export function wrapBuildBootstrapContext<F extends (files: never, params: never) => unknown>(original: F): F {
  return buildBootstrapContextWrapper(preloadDeps, original);
}


/**
 * OpenClaw's `SessionManager.rewriteFile` (2026.6.9+, after each turn): an append of only the new lines
 * when ctxc's entry cache proves that is the file stock writes (release/append-rewrite.ts), else stock's
 * steps — and the reason logged (a missing cache, the usual case before ctxc decoded the file, is only
 * counted). OpenClaw's errors (a failing write) propagate as stock's do.
 */
function rewriteSessionFile(original: AnyFn, [options]: [RewriteOptions | undefined], helpers: Helpers, sm: RewritingManager): void {
  const outcome = rewriteFile(sm, original, options, resolveHelpers<RewriteHelpers>(helpers));
  if (outcome.appended) {
    counters.rewritesAppended++;
    counters.rewriteAppendedBytes += outcome.bytes;
  } else if (outcome.why !== undefined) {
    counters.rewritesStock++;
    if (outcome.why !== "no cached decode of the file") stepAside(`rewrite runs stock: ${outcome.why} (${sm.sessionFile})`);
  }
}

// -----------------------------------------------------------------------------------------------
// The handlers the rewritten chunks call (release/rewrite.ts)
// -----------------------------------------------------------------------------------------------

/** Getters of the chunk's own bindings a handler uses, by name (getters: some are declared after the function). */
type Helpers = Record<string, () => unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/**
 * After OpenClaw wrote a transcript whole (2026.6.9+ `rememberWrittenSessionEntries`: the first flush,
 * 2026.7.35's header rewrite, stock's rewrite), one worker read of the file as written — once the pool is
 * idle, unless a read of the session comes first (idle-reread.ts): the worker's state and the persistent
 * index saved from it then follow the file, so a gateway stopped before the session's next read does not
 * restart from a stale index. Exported for the tests (their clock drives it).
 */
export const idleRereads = new IdleRereads({ busy: openClawPoolBusy, ticket: openClawPoolTicket }, (path) => readSessionMetaAsync(path));
observeOpenClawPool(idleRereads);

function rereadAfterWrite(filePath: unknown): void {
  if (typeof filePath === "string") idleRereads.afterWrite(resolve(filePath));
}

/**
 * One handler per intercepted OpenClaw function (release/shapes.ts `InterceptionName`): called as
 * `handler(original, args, helpers)` by the delegate the chunk rewrite puts under the function's name.
 * Each answers from ctxc when it can tell exactly, else returns `original(...args)`.
 */
const servedHandlers: Record<string, (original: AnyFn, args: unknown[], helpers: Helpers, self?: unknown) => unknown> = {
  prewarmSessionFile: (original, args) => prewarmSessionFile(original, args as [string]),
  ...repairHandlers(preloadDeps),
  ...recentLinesHandlers(preloadDeps),
  ...sessionDigestHandlers(preloadDeps),
  ...fileFingerprintHandlers(preloadDeps),
  ...lockFsHandlers(preloadDeps),
  ...workspaceFilesHandlers(preloadDeps),
  ...transcriptScanHandlers(preloadDeps),
  ...entryLoaderHandlers(preloadDeps),
  resolveBootstrapFilesForRun: (original, [params], h) =>
    wrapResolveBootstrapFiles(original, {
      createInternalHookEvent: h.createInternalHookEvent!() as BootstrapHookDeps["createInternalHookEvent"],
      triggerInternalHook: h.triggerInternalHook!() as BootstrapHookDeps["triggerInternalHook"],
      resolveAgentIdFromSessionKey: h.resolveAgentIdFromSessionKey!() as BootstrapHookDeps["resolveAgentIdFromSessionKey"],
    })(params as ResolveParams),
  buildBootstrapContextForFiles: (original, [files, params]) => (wrapBuildBootstrapContext(original) as AnyFn)(files, params),
  "SessionManager.rewriteFile": (original, args, helpers, sm) => rewriteSessionFile(original, args as [RewriteOptions | undefined], helpers, sm as RewritingManager),
  rememberAppendedSessionEntry: (original, args, helpers) => followAppend(original, args, resolveHelpers(helpers)),
  rememberWrittenSessionEntries: (original, args, helpers) => {
    const remembered = followWrite(original, args, resolveHelpers<FollowerHelpers>(helpers), (w) => {
      counters.writesFollowed++;
      counters.writeEntriesShared += w.shared;
    });
    rereadAfterWrite(args[0]);
    return remembered;
  },
  "SessionManager.writeFullFile": (_original, args, helpers, sm) => writeFullFile(sm as WritingManager, args, resolveHelpers(helpers)),
  "SessionManager.getSerializedFileLinesForRewrite": (_original, _args, helpers, sm) => serializedFileLinesForRewrite(sm as WritingManager, resolveHelpers(helpers), (n) => (counters.linesFromRead += n)),
  "SessionManager.setLoadedSessionFile": (original, args, helpers, sm) => {
    const served = setLoadedSessionFile(original, args, resolveHelpers<LoadedIndexHelpers>(helpers), sm as LoadingManager);
    if (served === "continued") counters.indexesContinued++;
    else if (served === "folded") counters.indexesFolded++;
  },
};

/**
 * Called by each rewritten chunk once it has evaluated (release/rewrite.ts), with the names of the
 * handlers it calls and its helpers: the first one starts the worker pool ({@link startPoolSoon}); the
 * session-manager chunk (the one serving the snapshot open, or on 2026.5.28–6.8 `loadEntriesFromFile`) hands
 * the restart warm-up (restart-warmup.ts) the release's normaliser and `setLoadedSessionFile`'s bindings, or
 * says the open copies. Never throws into the chunk.
 */
export function chunkEvaluated(names: readonly string[], helpers: Helpers): void {
  try {
    startPoolSoon();
    // The repair pass's image judge, for the first-start warm-up to judge ahead (image-prejudge.ts).
    if (names.some(passJudgesImages)) noteImageJudge(resolveHelpers<Record<string, unknown>>(helpers).isCorruptedImageContentBlock);
    // 2026.6.9+ serves both loaders from this chunk: the snapshot one is behind SessionManager.open there.
    const snapshot = names.includes("loadEntriesFromFileWithSnapshot");
    if (!snapshot && !names.includes("loadEntriesFromFile")) return;
    const h = resolveHelpers<Record<string, unknown>>(helpers);
    const normalize = typeof h.normalizeLoadedFileEntry === "function" ? (h.normalizeLoadedFileEntry as (e: unknown) => unknown) : undefined;
    if (!snapshot) return noteWarmUpHelpers({ normalize, copying: true });
    const loadedIndex = names.includes("SessionManager.setLoadedSessionFile") ? resolveHelpers<LoadedIndexHelpers>(helpers) : undefined;
    noteWarmUpHelpers({ normalize, loadedIndex });
  } catch {
    // the warm-up then does not run; the opens are today's
  }
}

/** The handlers, each call timed into the call trace when `CTXC_OPENCLAW_TRACE=1` (trace.ts); as they are otherwise. */
export const handlers = TRACING ? traceHandlers(servedHandlers) : servedHandlers;
