/**
 * Where the gateway's main thread spends its time, from a V8 CPU profile (`--profile`: the gateway runs
 * under V8's sampling profiler, cpu-profile-preload.ts). OpenClaw's own diagnostics say *that* the loop
 * is late; this says *what* kept it busy, without touching OpenClaw's code.
 *
 * Each sample is charged to the first category (in the order below) opened by a function anywhere on
 * its stack, so nested work is counted once, under the most specific owner. A frame opens a category by
 * its function name — OpenClaw's (its bundles keep them, while file names change every build), pi
 * 0.74's and ctxc's own — or, for 2026.8+'s SQLite session store, by the OpenClaw module it lives in:
 * that store is spread over a hundred `session-accessor.*` / `session-row-*` modules whose functions
 * (transactions, projections, canonical-key admission, maintenance) no name list keeps up with, while
 * the bundler keeps the module names (`dist/session-accessor.sqlite-entry-<hash>.mjs`). Transcript and
 * session-store work is also split by function (`transcriptByFunction`), because each release does it in
 * different functions and the totals alone hide which one grew.
 *
 * An anonymous OpenClaw frame (a callback: the session-fence digest's `data` handler runs on a stack
 * that starts in node's stream machinery) counts as the named function enclosing it in the source
 * (enclosing-function.ts), so its work is charged where it belongs rather than to "other". Work whose
 * stack holds no OpenClaw frame at all (a stream's next read, issued from a tick) stays "other"; the fs
 * stream reads among it are shown apart (`asyncCutFsStreamReads`).
 *
 * ctxc's handlers may carry the names of the OpenClaw functions they stand in for (the preload delegates
 * `loadEntriesFromFileWithSnapshot` to a ctxc function of that name), so a frame is ctxc's by where its
 * code lives (ctxc's build, `…/dist/src/…`; OpenClaw's dist/ is flat), not by name alone.
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { anonymousResolver } from "./enclosing-function.js";

/**
 * Category → function names that open it, and optionally the OpenClaw modules (file name in its flat
 * dist/, hash included) whose frames open it. Order matters: first match on the stack wins.
 */
export const CATEGORIES: ReadonlyArray<readonly [string, ReadonlySet<string>, RegExp?]> = [
  [
    "transcript: ctxc (decode + SessionManager from the worker's read)",
    // repair-pass.ts and recent-lines.ts: their handlers' own names (the delegate around them carries OpenClaw's).
    // restart-warmup.ts: the restart warm-up's main-thread build, its own row (`ctxc restartWarmUp`), outside the turns.
    new Set(["sessionManagerFromCtxc", "prepareSession", "openSessionAsync", "repairPass", "readRecent", "recentFromWorker", "restartWarmUp"]),
  ],
  [
    "transcript: OpenClaw/pi reads (repair pass, SessionManager.open, leaf scans, mirror checks)",
    new Set([
      // 2026.5.12 (pi 0.74's SessionManager) and later
      "repairSessionFileIfNeeded",
      "prewarmSessionFile",
      "hasCompletedBootstrapTurn",
      "loadEntriesFromFile",
      "setSessionFile",
      "readTranscriptLeafInfo",
      "transcriptHasIdempotencyKey",
      "findLatestEquivalentAssistantMessageId",
      "streamSessionTranscriptLines",
      "streamSessionTranscriptLinesReverse",
      "readLatestAssistantTextFromSessionTranscript",
      "readTailAssistantTextFromSessionTranscript",
      // OpenClaw's own SessionManager copy (dist/session-manager-*.js, 2026.5.28 on) and its readers
      "loadEntriesFromFileWithSnapshot",
      "parseJsonlEntries",
      "readSessionFileSnapshot",
      "revalidateLoadedSessionFile",
      "tryIncrementalSessionRepair",
      "repairSessionLines",
      "readSessionRepairSnapshot",
      "recoverCorruptSessionEntries",
      "readTranscriptLeafInfoForward",
      "findTranscriptMessageByIdempotencyKey",
      "parseRecentConversationText",
      "readRecentUserAssistantTextFromSessionTranscript",
      // 2026.5.22 on (selection chunk): the session-file fence around each embedded attempt's lock.
      // Before a turn is admitted and after the lock is released it fingerprints the transcript (stat)
      // and reads it whole (≤ its rewrite-text limit) or, 2026.6.6 on, streams it through sha256
      // (`readSessionFileDigest`, the `data` callback named by its enclosing function,
      // enclosing-function.ts): seconds per run on 10-28 MB transcripts. Surveyed in 2026.5.28's,
      // 6.11's and 7.35's chunk as the functions whose fs calls take the session file (stat, readFile,
      // open/read, createReadStream, readFileSync); test/matrix/profile-attribution.test.ts keeps it so.
      "readSessionFileFingerprint",
      "readSessionFileFingerprintSync",
      "readSessionFileFenceSnapshot",
      "readSessionFileDigest",
      "readAppendedSessionFileText",
      "classifySessionFenceChange",
      "classifySessionFenceAdvance",
      "classifySessionFenceRewrite",
      "sessionFenceCtimeDriftIsBenign",
      "sessionFenceRewriteIsBenign",
      "classifyOwnedSessionFileInitialization",
      // after an owned write that validates its append: re-reads the whole file (readFileSync)
      "publishOwnedSessionFileFenceSync",
      // the header before a reset (7.35: readFirstSessionFileLine; 6.11: assertExistingHeaderIsReadable),
      // and in the session-manager chunk the header read, the repair pass's suffix read and the session
      // list's per-file scan. Not listed: the lock controller's `withOwnedSessionFileWrite`, whose own
      // readFileSync of the file is on the same frame as the write it wraps (`run()`, listed on its own).
      "readFirstSessionFileLine",
      "assertExistingHeaderIsReadable",
      "readSessionRepairSuffix",
      "buildSessionInfo",
      // SessionManager.open's state from the loaded entries (2026.6.11+; ~130 ms per 2026.7.35 ctxc run
      // sat in "other" under `open` → `SessionManager`): the partition and index it builds.
      "setLoadedSessionFile",
      "partitionSessionFileEntries",
    ]),
  ],
  [
    // 2026.6.11 on: after each turn the whole transcript is re-serialised, rewritten and hashed.
    "transcript: OpenClaw writes (whole-file rewrite after each turn, serialise + hash)",
    // `getPersistedFileEntries` (2026.6.9+: the list every rewrite writes, built from the manager's entries —
    // O(entries), ~1.5 ms at 28 MB warm, 5–30 ms the first time V8 runs it): named because ctxc's rewrite
    // handler calls it too (stock's rewrite's own step, exactly once), and unnamed it was charged to
    // `ctxc rewriteFile`, where it was most of that row.
    new Set(["flushSessionManagerFile", "rewriteFile", "writeFullFile", "getPersistedFileEntries", "writeJsonlEntriesSync", "rememberWrittenSessionEntries"]),
  ],
  [
    // 2026.8+ (SQLite store, docs/sqlite-store.md): the model-context read (tree scan over every row's
    // navigation, path payloads, hydration), the fenced read before an admitted turn, message pages and
    // mirror checks — on the gateway thread unless OpenClaw sends it to its read worker.
    "transcript: OpenClaw 2026.8+ reads from SQLite (model context, hydration, fenced read, message pages)",
    new Set([
      "openModelContext",
      "openModelContextAsync",
      "readSessionTranscriptModelContext",
      "readSessionTranscriptModelContextAsync",
      "readSessionTranscriptContextMessages",
      "withTranscriptContextSnapshot",
      "scanSessionTranscriptTree",
      "selectSessionTranscriptTreePathNodes",
      "hydrateContextEntry",
      "selectBoundedModelRequests",
      "fromSelectedEntries",
      "runWithSessionTranscriptReadFence",
      "resolveSessionTranscriptReadFence",
      "resolveSqliteSessionTranscriptReadFence",
      "streamSessionTranscriptHydration",
      "createSessionTranscriptReader",
      "readRecentSqliteMessageRecords",
      "readSessionTranscriptBoundedActiveContextCore",
      "readSessionTranscriptMessageEvents",
      "readLatestSessionTranscriptMessageEvent",
      "visitSessionTranscriptMessageEvents",
      "readRecentSessionTranscriptActiveEvents",
      "withRecentSessionTranscriptActiveEvents",
      "readSessionTranscriptActiveStats",
      "readSessionTranscriptVisibleMessageDeltaCore",
      "readRecentSessionTranscriptMessageEvents",
      "readSessionTranscriptMessageEventPage",
      "readSessionTranscriptBoundedMessageTailPage",
      "readSessionTranscriptActivePathEntryRelation",
      "everySessionTranscriptUserInputFrom",
      "readTranscriptMirrorFacts",
      "readTranscriptMirrorFactsInSnapshot",
      "loadTranscriptEventsForMirrorFallback",
      "readSessionMessagesMatchingIdAsync",
      "visitSessionMessagesAsync",
      "readSessionMessageCountAsync",
      // SessionManager's view of the transcript: hydration (read off-thread, adopted on the main thread),
      // the synchronous load, reloads after an append, and restores from cold storage
      "setSessionTarget",
      "setSessionTargetAsync",
      "hydrateSessionTarget",
      "prepareSessionTranscriptHydration",
      "adoptPreparedTranscriptReload",
      "setLoadedSessionTarget",
      "loadTranscriptReadSnapshotSync",
      "reloadPersistedTranscript",
      "reloadPersistedTranscriptAsync",
      "reloadPersistedTranscriptAfterAppend",
      "readRestoredSessionTranscript",
      "readHotSessionTranscriptSnapshot",
    ]),
    /^(session-transcript-(read|hydration)|session-accessor\.(sqlite-(model-context|active-events|active-context)|transcript-read-target)|transcript-tree-|session-cold-storage-read-)/,
  ],
  [
    "transcript: OpenClaw 2026.8+ writes to SQLite (appends, suffix replaces, rewrites)",
    new Set([
      "persistSqliteRecord",
      "appendTranscriptEvent",
      "appendTranscriptEventSync",
      "appendTranscriptEventSnapshotSync",
      "runTranscriptWriteSnapshotSync",
      "appendTranscriptMessage",
      "appendTranscriptMessageSync",
      "appendTranscriptMessageSnapshotSync",
      "appendTranscriptMessageInTransaction",
      "withTranscriptWriteLock",
      "withTranscriptWriteTransaction",
      "replaceSqliteTranscriptSuffixInTransaction",
      "replaceTranscriptSuffixEventsSync",
      "replaceTranscriptEvents",
      "replaceTranscriptEventsSync",
      "rewriteTranscriptEventRowsExact",
      "replaceSessionWithBranchedTranscript",
      "trimTranscriptForManualCompact",
    ]),
    /^session-accessor\.sqlite-transcript-write-/,
  ],
  [
    // The rest of the per-agent session database: session rows (the old sessions.json entries) read,
    // patched and projected, canonical-key admission, lifecycle commits, maintenance and reclamation.
    // Not labelled by release: 2026.7.x already ships some of these modules (session-store-runtime,
    // transcript-tree, openclaw-state-db) for its session rows and state.
    "session store: OpenClaw SQLite/session-row modules (rows, projections, maintenance; by module)",
    new Set<string>(),
    /^(session-accessor[.-]|session-row-|session-canonical-|session-entry-|session-store-|session-maintenance|session-reclamation|session-cold-storage|openclaw-agent-db)/,
  ],
  [
    "bootstrap files",
    new Set(["resolveBootstrapFilesForRun", "resolveBootstrapFilesForRunCtxc", "buildBootstrapContextForFiles", "buildBootstrapContextForFilesCtxc", "loadWorkspaceBootstrapFiles"]),
  ],
  [
    "plugin index / manifest scans (filesystem walks)",
    new Set([
      "loadInstalledPluginIndex",
      "loadPluginManifestRegistry",
      "discoverOpenClawPlugins",
      "loadPluginMetadataSnapshot",
      "loadPluginRegistrySnapshotWithMetadata",
      // 2026.7.x: the same discovery reached through metadata snapshots and plugin auto-enable
      "resolvePluginMetadataSnapshot",
      "applyPluginAutoEnable",
      "detectPluginAutoEnableCandidates",
      "loadPluginManifest",
    ]),
  ],
  ["plugin loading", new Set(["loadOpenClawPlugins", "ensureStandaloneRuntimePluginRegistryLoaded"])],
  ["module loading (incl. loader hooks)", new Set(["makeSyncRequest", "makeAsyncRequest", "compileSourceTextModule", "ModuleWrap", "compileFunctionForCJSLoader"])],
  ["logging", new Set(["appendLogLine", "formatConsoleLine"])],
  // SQLite work of OpenClaw's other stores (state, auth-profile and delivery-queue databases, the
  // periodic integrity check, the shared transaction/worker/query-builder helpers) when no
  // session-store frame is above it.
  ["other SQLite stores (OpenClaw; by module)", new Set<string>(), /^(sqlite-|node-sqlite-|kysely-sync|openclaw-database-verify|openclaw-state-db)/],
  ["garbage collector", new Set(["(garbage collector)"])],
  ["idle", new Set(["(idle)"])],
];

/** Script URLs of ctxc's own build (dist/src/…; as a dependency, node_modules/ctxc/dist/src/…). */
const CTXC_CODE = /\/dist\/src\//;

export interface ProfileSummary {
  /** Window covered, ms (samples inside [fromMs, toMs] of the profile). */
  windowMs: number;
  /** Category → ms of main-thread time in the window; "other" is the rest. */
  ms: Record<string, number>;
  /** Busy share of the window (everything but idle). */
  busyShare: number;
  /**
   * The transcript and session-store categories' ms split by function: each sample goes to the innermost
   * listed function on its stack (so `rewriteFile` holds what its callees `writeJsonlEntriesSync` and
   * `rememberWrittenSessionEntries` do not; ctxc's own as `ctxc NAME`), which also decides which
   * transcript category owns it; a sample with none (owned by module only) to its entry into the
   * store, as `NAME (module)`. The parts add up to those categories' total.
   */
  transcriptByFunction: Record<string, number>;
  /**
   * Uninterrupted main-thread blocks of transcript / session-store work: runs of consecutive samples in
   * those categories (the loop did nothing else in between), longest first (at most 10), each under the
   * category and the function (transcriptByFunction's key) with most of its time. A block over 100 ms is a stall
   * of every other agent's turn, Telegram poll and timer. Wall-clock: on a loaded machine a descheduled
   * thread's block looks longer than the CPU it used.
   */
  longestBlocks?: Array<{ ms: number; category: string; fn: string }>;
  /**
   * Of `ms`, per category: the part of each sample's time past {@link LONG_GAP_MS} after it — stretches in
   * which the profiler took no sample, so the thread was off its core (or the sampler thread was: the
   * profile cannot tell which). `ms` charges such a stretch to the function the last sample caught; this
   * is the share of that which is not known to be work. `ms - longGapMs` is a lower bound of the work,
   * `ms` an upper one. Absent in summaries made before.
   */
  longGapMs?: Record<string, number>;
  /** Per transcript / session-store category (a block's main one): how many blocks exceeded 100 ms. */
  blocksOver100ms?: Record<string, number>;
  /**
   * Samples whose innermost OpenClaw frame is an anonymous function, ms: `named` when it was charged
   * as the function enclosing it in the source (enclosing-function.ts), `unnamed` when that could not
   * be told (module top level, or the source that ran is not at hand) and it counts as itself.
   */
  anonymousOpenClaw?: { namedMs: number; unnamedMs: number };
  /**
   * Part of "other": node's fs ReadStream reads (`ReadStream._read`) on a stack with no OpenClaw or ctxc
   * frame — the next chunk's read, scheduled from a tick after the previous one was handed out, so the
   * owner is not on the stack and the sample stays unowned — and the (named) OpenClaw / ctxc functions
   * that receive fs ReadStream data anywhere in the profile. One consumer in `consumers` makes it that
   * function's reading in all likelihood; the summary still does not charge it there.
   */
  asyncCutFsStreamReads?: { ms: number; consumers: string[] };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url?: string; lineNumber?: number; columnNumber?: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  /** When sampling started, on V8's monotonic clock (µs; the clock of `process.hrtime`). */
  startTime: number;
}

/**
 * A sample's time beyond this is a gap in sampling (see ProfileSummary `longGapMs`): twice the 1 ms
 * interval the gateway is profiled at (cpu-profile-preload.ts), so a tick late by a scheduler's ordinary
 * jitter is still work.
 */
export const LONG_GAP_MS = 2;

/** Script URLs of OpenClaw's flat dist/ (the file name is the module, `NAME-<hash>.mjs`). */
const OPENCLAW_MODULE = /\/openclaw\/dist\/([^/]+)$/;
/** Script URLs of OpenClaw's code (its dist/ and the folders under it), and the chunks ctxc's preload served rewritten. */
const OPENCLAW_CODE = /^file:.*\/openclaw\/dist\/|^data:/;

/** Categories whose samples are also split by function (transcriptByFunction). */
const isSplit = (category: string): boolean => category.startsWith("transcript") || category.startsWith("session store");

/** A span of the profile's own clock, ms after its start: [from, to]. */
export type ProfileSpan = readonly [fromMs: number, toMs: number];

/**
 * Whether a sample time lies inside ANY of `spans` (they may overlap: five agents' first turns run at
 * once, and a sample inside two of them is still counted once).
 */
export const insideAny = (spans: readonly ProfileSpan[]) => (tMs: number): boolean => spans.some(([a, b]) => tMs >= a && tMs <= b);

/**
 * Told of each kept sample of a category split by function: its time on V8's monotonic clock (µs; the
 * profile's `startTime` plus the deltas), the function key `transcriptByFunction` charges it to, and its ms.
 */
export type SplitSampleHook = (monoUs: number, fn: string, dtMs: number) => void;

/**
 * Summarises one `.cpuprofile` over [fromMs, toMs] after its start (defaults: all of it); with `keep`,
 * only the samples in that window whose time it accepts (e.g. inside any agent's first turn). A sample
 * it rejects ends an uninterrupted block, as the blocks are about contiguous main-thread time.
 */
export function summarizeProfile(path: string, fromMs = 0, toMs = Infinity, keep?: (tMs: number) => boolean, onSplit?: SplitSampleHook): ProfileSummary {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const name = new Map<number, string>();
  const parent = new Map<number, number>();
  const ctxcFrame = new Set<number>();
  const moduleOf = new Map<number, string>();
  const lineOf = new Map<number, number>();
  // OpenClaw's anonymous frames (callbacks, e.g. the session-fence digest's `data` handler under node's
  // stream machinery) take the name of the function enclosing them in the source (enclosing-function.ts);
  // a rewritten chunk's original is looked up in the dist/ directories of the profile's own frames.
  const distDirs = new Set<string>();
  for (const n of p.nodes) {
    const url = n.callFrame.url ?? "";
    if (url.startsWith("file:") && OPENCLAW_MODULE.test(url)) distDirs.add(dirname(fileURLToPath(url)));
  }
  const resolve = anonymousResolver(
    [...distDirs],
    p.nodes.map((n) => ({ functionName: n.callFrame.functionName, url: n.callFrame.url ?? "", lineNumber: n.callFrame.lineNumber ?? -1, columnNumber: n.callFrame.columnNumber ?? -1 })),
  );
  const anonymous = new Set<number>();
  const resolvedFrom = new Set<number>();
  const openclawFrame = new Set<number>();
  const urlOf = new Map<number, string>();
  for (const n of p.nodes) {
    lineOf.set(n.id, (n.callFrame.lineNumber ?? -1) + 1);
    const url = n.callFrame.url ?? "";
    // The preload keeps a served function's original body as NAME$openclaw: that is OpenClaw's NAME.
    let fn = n.callFrame.functionName.replace(/\$openclaw$/, "");
    if (fn === "" && OPENCLAW_CODE.test(url) && !CTXC_CODE.test(url)) {
      anonymous.add(n.id);
      const enclosing = resolve(url, n.callFrame.lineNumber ?? -1, n.callFrame.columnNumber ?? -1);
      if (enclosing !== undefined) {
        fn = enclosing.replace(/\$openclaw$/, "");
        resolvedFrom.add(n.id);
      }
    }
    name.set(n.id, fn);
    urlOf.set(n.id, url);
    if (OPENCLAW_CODE.test(url) && !CTXC_CODE.test(url)) openclawFrame.add(n.id);
    if (url.startsWith("file:") && CTXC_CODE.test(url)) ctxcFrame.add(n.id);
    else {
      const m = OPENCLAW_MODULE.exec(url);
      if (m) moduleOf.set(n.id, m[1]!);
    }
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const transcriptNames = new Set(CATEGORIES.filter(([c]) => c.startsWith("transcript")).flatMap(([, fns]) => [...fns]));
  /** The category a node opens by its function name, if any: a ctxc frame with a transcript function's name is ctxc's work. */
  const namedCategory = (id: number): string | undefined => {
    const fn = name.get(id)!;
    if (ctxcFrame.has(id) && transcriptNames.has(fn)) return CATEGORIES[0]![0];
    return CATEGORIES.find(([, fns]) => fns.has(fn))?.[0];
  };
  /** The category a node opens only by the OpenClaw module its code is in, if any. */
  const moduleCategory = (id: number): string | undefined => {
    const mod = moduleOf.get(id);
    return mod === undefined ? undefined : CATEGORIES.find(([, , modules]) => modules?.test(mod))?.[0];
  };
  const ownCategory = (id: number): string | undefined => namedCategory(id) ?? moduleCategory(id);
  // Category of each node: the better ranked of its own (if it opens one) and its parent's; memoised, so
  // each node is decided once from its already-decided parent.
  const category = new Map<number, string>();
  const rank = new Map<string, number>(CATEGORIES.map(([c], i) => [c, i]));
  const categoryOf = (id: number): string => {
    const known = category.get(id);
    if (known !== undefined) return known;
    const up = parent.has(id) ? categoryOf(parent.get(id)!) : "other";
    const own = ownCategory(id);
    const best = own !== undefined && (up === "other" || rank.get(own)! < rank.get(up)!) ? own : up;
    category.set(id, best);
    return best;
  };
  // Innermost frame of each node that opens a split category by name (itself if it does, else its
  // parent's; -1 for none), memoised. Such samples are owned by that frame — ctxc's, OpenClaw's reads or
  // its writes — so OpenClaw's original running under a ctxc wrapper (a fallback) stays OpenClaw's, and
  // the split by function adds up to the categories' total.
  const namedFrame = new Map<number, number>();
  const namedFrameOf = (id: number): number => {
    const known = namedFrame.get(id);
    if (known !== undefined) return known;
    const own = namedCategory(id);
    const frame = own !== undefined && isSplit(own) ? id : parent.has(id) ? namedFrameOf(parent.get(id)!) : -1;
    namedFrame.set(id, frame);
    return frame;
  };
  // A sample owned only by module (no listed function on its stack) is named after the outermost frame in
  // that category's modules: the entry into the session store (`loadSessionEntryReadOnly`,
  // `patchSessionEntryCore`), not the shared helper at the bottom of every such stack.
  const entryKey = (id: number, c: string): string => {
    let entry = -1;
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) if (moduleCategory(x) === c) entry = x;
    const mod = moduleOf.get(entry)!.replace(/-[A-Za-z0-9_-]{8}\.m?js$/, "");
    // An anonymous entry is mostly an async function's continuation (its caller's stack is gone after an
    // await): its line in that build's module tells which one.
    return name.get(entry) ? `${name.get(entry)} (${mod})` : `(anonymous) (${mod}:${lineOf.get(entry)})`;
  };
  // Innermost OpenClaw frame of each node (-1: none), memoised, for the anonymous-frame account.
  const innermostOpenclaw = new Map<number, number>();
  const innermostOpenclawOf = (id: number): number => {
    let known = innermostOpenclaw.get(id);
    if (known === undefined) {
      known = openclawFrame.has(id) ? id : parent.has(id) ? innermostOpenclawOf(parent.get(id)!) : -1;
      innermostOpenclaw.set(id, known);
    }
    return known;
  };
  const anon = { namedMs: 0, unnamedMs: 0 };
  // Node's fs ReadStream: `_read` (issues the next read) and the anonymous completion that pushes the chunk.
  const fsStream = (id: number, fn: string) => urlOf.get(id) === "node:internal/fs/streams" && name.get(id) === fn;
  // Per node: whether its stack holds an fs ReadStream read and no OpenClaw or ctxc frame (memoised).
  const owned = (id: number) => openclawFrame.has(id) || ctxcFrame.has(id);
  const cutRead = new Map<number, { read: boolean; owned: boolean }>();
  const cutReadOf = (id: number): { read: boolean; owned: boolean } => {
    let known = cutRead.get(id);
    if (known === undefined) {
      const up = parent.has(id) ? cutReadOf(parent.get(id)!) : { read: false, owned: false };
      known = { read: up.read || fsStream(id, "ReadStream._read"), owned: up.owned || owned(id) };
      cutRead.set(id, known);
    }
    return known;
  };
  // Consumers: an OpenClaw / ctxc frame reached from an fs stream's completion through node's own frames only.
  const consumers = new Set<string>();
  for (const id of name.keys()) {
    if (!owned(id)) continue;
    for (let x = parent.get(id); x !== undefined && !owned(x); x = parent.get(x)) {
      if (fsStream(x, "")) {
        consumers.add(name.get(id) || `(anonymous) ${urlOf.get(id)!.replace(/^.*\//, "").slice(0, 60)}:${lineOf.get(id)}`);
        break;
      }
    }
  }
  let cutFsReadMs = 0;
  const ms: Record<string, number> = {};
  const longGapMs: Record<string, number> = {};
  const byFunction: Record<string, number> = {};
  const blocks: Array<{ ms: number; category: string; fn: string }> = [];
  type Block = { ms: number; categories: Map<string, number>; fns: Map<string, number> };
  // (asserted: TypeScript does not see endBlock() reset it and would narrow it to null)
  let block = null as Block | null;
  const endBlock = () => {
    const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])[0]![0];
    if (block) blocks.push({ ms: block.ms, category: top(block.categories), fn: top(block.fns) });
    block = null;
  };
  let t = 0;
  let windowMs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]! / 1000;
    if (t < fromMs || t > toMs) continue;
    if (keep && !keep(t)) {
      endBlock();
      continue;
    }
    // A sample's time is the gap to the next one.
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    windowMs += dt;
    const sample = p.samples[i]!;
    const oc = innermostOpenclawOf(sample);
    if (anonymous.has(oc)) anon[resolvedFrom.has(oc) ? "namedMs" : "unnamedMs"] += dt;
    let c = categoryOf(sample);
    if (isSplit(c)) {
      const frame = namedFrameOf(sample);
      let fn: string;
      if (frame !== -1) {
        c = namedCategory(frame)!;
        fn = ctxcFrame.has(frame) ? `ctxc ${name.get(frame)}` : name.get(frame)!;
      } else fn = entryKey(sample, c);
      byFunction[fn] = (byFunction[fn] ?? 0) + dt;
      onSplit?.(p.startTime + t * 1000, fn, dt);
      block ??= { ms: 0, categories: new Map(), fns: new Map() };
      block.ms += dt;
      block.categories.set(c, (block.categories.get(c) ?? 0) + dt);
      block.fns.set(fn, (block.fns.get(fn) ?? 0) + dt);
    } else endBlock();
    ms[c] = (ms[c] ?? 0) + dt;
    if (dt > LONG_GAP_MS) longGapMs[c] = (longGapMs[c] ?? 0) + dt - LONG_GAP_MS;
    if (c === "other") {
      const r = cutReadOf(sample);
      if (r.read && !r.owned) cutFsReadMs += dt;
    }
  }
  endBlock();
  const blocksOver100ms: Record<string, number> = {};
  for (const b of blocks) if (b.ms > 100) blocksOver100ms[b.category] = (blocksOver100ms[b.category] ?? 0) + 1;
  const longestBlocks = blocks.sort((a, b) => b.ms - a.ms).slice(0, 10).map((b) => ({ ...b, ms: Math.round(b.ms) }));
  for (const k of Object.keys(ms)) ms[k] = Math.round(ms[k]!);
  for (const k of Object.keys(longGapMs)) longGapMs[k] = Math.round(longGapMs[k]!);
  for (const k of Object.keys(byFunction)) byFunction[k] = Math.round(byFunction[k]!);
  const anonymousOpenClaw = { namedMs: Math.round(anon.namedMs), unnamedMs: Math.round(anon.unnamedMs) };
  const asyncCutFsStreamReads = { ms: Math.round(cutFsReadMs), consumers: [...consumers].sort() };
  return { windowMs: Math.round(windowMs), ms, longGapMs, busyShare: windowMs > 0 ? 1 - (ms.idle ?? 0) / windowMs : 0, transcriptByFunction: byFunction, longestBlocks, blocksOver100ms, anonymousOpenClaw, asyncCutFsStreamReads };
}
