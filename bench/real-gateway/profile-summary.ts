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
 * ctxc's handlers may carry the names of the OpenClaw functions they stand in for (the preload delegates
 * `loadEntriesFromFileWithSnapshot` to a ctxc function of that name), so a frame is ctxc's by where its
 * code lives (ctxc's build, `…/dist/src/…`; OpenClaw's dist/ is flat), not by name alone.
 */
import { readFileSync } from "node:fs";

/**
 * Category → function names that open it, and optionally the OpenClaw modules (file name in its flat
 * dist/, hash included) whose frames open it. Order matters: first match on the stack wins.
 */
export const CATEGORIES: ReadonlyArray<readonly [string, ReadonlySet<string>, RegExp?]> = [
  [
    "transcript: ctxc (decode + SessionManager from the worker's read)",
    // repair-pass.ts and recent-lines.ts: their handlers' own names (the delegate around them carries OpenClaw's).
    new Set(["sessionManagerFromCtxc", "prepareSession", "openSessionAsync", "repairPass", "readRecent", "recentFromWorker"]),
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
    ]),
  ],
  [
    // 2026.6.11 on: after each turn the whole transcript is re-serialised, rewritten and hashed.
    "transcript: OpenClaw writes (whole-file rewrite after each turn, serialise + hash)",
    new Set(["flushSessionManagerFile", "rewriteFile", "writeFullFile", "writeJsonlEntriesSync", "rememberWrittenSessionEntries"]),
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
    "session store: OpenClaw 2026.8+ SQLite session rows, projections, maintenance (by module)",
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
  ["other SQLite stores (OpenClaw 2026.8+; by module)", new Set<string>(), /^(sqlite-|node-sqlite-|kysely-sync|openclaw-database-verify|openclaw-state-db)/],
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
  /** Per transcript / session-store category (a block's main one): how many blocks exceeded 100 ms. */
  blocksOver100ms?: Record<string, number>;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url?: string; lineNumber?: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Script URLs of OpenClaw's flat dist/ (the file name is the module, `NAME-<hash>.mjs`). */
const OPENCLAW_MODULE = /\/openclaw\/dist\/([^/]+)$/;

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
 * Summarises one `.cpuprofile` over [fromMs, toMs] after its start (defaults: all of it); with `keep`,
 * only the samples in that window whose time it accepts (e.g. inside any agent's first turn). A sample
 * it rejects ends an uninterrupted block, as the blocks are about contiguous main-thread time.
 */
export function summarizeProfile(path: string, fromMs = 0, toMs = Infinity, keep?: (tMs: number) => boolean): ProfileSummary {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const name = new Map<number, string>();
  const parent = new Map<number, number>();
  const ctxcFrame = new Set<number>();
  const moduleOf = new Map<number, string>();
  const lineOf = new Map<number, number>();
  for (const n of p.nodes) {
    lineOf.set(n.id, (n.callFrame.lineNumber ?? -1) + 1);
    // The preload keeps a served function's original body as NAME$openclaw: that is OpenClaw's NAME.
    name.set(n.id, n.callFrame.functionName.replace(/\$openclaw$/, ""));
    const url = n.callFrame.url ?? "";
    if (CTXC_CODE.test(url)) ctxcFrame.add(n.id);
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
  const ms: Record<string, number> = {};
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
    let c = categoryOf(sample);
    if (isSplit(c)) {
      const frame = namedFrameOf(sample);
      let fn: string;
      if (frame !== -1) {
        c = namedCategory(frame)!;
        fn = ctxcFrame.has(frame) ? `ctxc ${name.get(frame)}` : name.get(frame)!;
      } else fn = entryKey(sample, c);
      byFunction[fn] = (byFunction[fn] ?? 0) + dt;
      block ??= { ms: 0, categories: new Map(), fns: new Map() };
      block.ms += dt;
      block.categories.set(c, (block.categories.get(c) ?? 0) + dt);
      block.fns.set(fn, (block.fns.get(fn) ?? 0) + dt);
    } else endBlock();
    ms[c] = (ms[c] ?? 0) + dt;
  }
  endBlock();
  const blocksOver100ms: Record<string, number> = {};
  for (const b of blocks) if (b.ms > 100) blocksOver100ms[b.category] = (blocksOver100ms[b.category] ?? 0) + 1;
  const longestBlocks = blocks.sort((a, b) => b.ms - a.ms).slice(0, 10).map((b) => ({ ...b, ms: Math.round(b.ms) }));
  for (const k of Object.keys(ms)) ms[k] = Math.round(ms[k]!);
  for (const k of Object.keys(byFunction)) byFunction[k] = Math.round(byFunction[k]!);
  return { windowMs: Math.round(windowMs), ms, busyShare: windowMs > 0 ? 1 - (ms.idle ?? 0) / windowMs : 0, transcriptByFunction: byFunction, longestBlocks, blocksOver100ms };
}
