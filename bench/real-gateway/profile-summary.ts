/**
 * Where the gateway's main thread spends its time, from a V8 CPU profile (`--profile` starts the
 * gateway with `--cpu-prof`). OpenClaw's own diagnostics say *that* the loop is late; this says *what*
 * kept it busy, without touching OpenClaw's code.
 *
 * Each sample is charged to the first category (in the order below) whose function appears anywhere on
 * its stack, so nested work is counted once, under the most specific owner. Function names are
 * OpenClaw's (2026.5.12 through 2026.7.35: its bundles keep them, while file names change every build),
 * pi 0.74's, and ctxc's own. Transcript work is also split by function (`transcriptByFunction`), because
 * each release does it in different functions and the totals alone hide which one grew.
 *
 * ctxc's handlers may carry the names of the OpenClaw functions they stand in for (the preload delegates
 * `loadEntriesFromFileWithSnapshot` to a ctxc function of that name), so a frame is ctxc's by where its
 * code lives (ctxc's build, `…/dist/src/…`; OpenClaw's dist/ is flat), not by name alone.
 */
import { readFileSync } from "node:fs";

/** Category → function names that open it. Order matters: first match on the stack wins. */
export const CATEGORIES: ReadonlyArray<readonly [string, ReadonlySet<string>]> = [
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
   * The transcript categories' ms split by function: each sample goes to the innermost transcript
   * function on its stack (so `rewriteFile` holds what its callees `writeJsonlEntriesSync` and
   * `rememberWrittenSessionEntries` do not; ctxc's own as `ctxc NAME`), which also decides which
   * transcript category owns it; the parts add up to the categories' total.
   */
  transcriptByFunction: Record<string, number>;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url?: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Summarises one `.cpuprofile` over [fromMs, toMs] after its start (defaults: all of it). */
export function summarizeProfile(path: string, fromMs = 0, toMs = Infinity): ProfileSummary {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const name = new Map<number, string>();
  const parent = new Map<number, number>();
  const ctxcFrame = new Set<number>();
  for (const n of p.nodes) {
    // The preload keeps a served function's original body as NAME$openclaw: that is OpenClaw's NAME.
    name.set(n.id, n.callFrame.functionName.replace(/\$openclaw$/, ""));
    if (CTXC_CODE.test(n.callFrame.url ?? "")) ctxcFrame.add(n.id);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const transcriptNames = new Set(CATEGORIES.filter(([c]) => c.startsWith("transcript")).flatMap(([, fns]) => [...fns]));
  /** The category a node opens by itself, if any: a ctxc frame with a transcript function's name is ctxc's work. */
  const ownCategory = (id: number): string | undefined => {
    const fn = name.get(id)!;
    if (ctxcFrame.has(id) && transcriptNames.has(fn)) return CATEGORIES[0]![0];
    return CATEGORIES.find(([, fns]) => fns.has(fn))?.[0];
  };
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
  // Innermost transcript frame of each node (itself if it opens a transcript category, else its
  // parent's; -1 for none), memoised. Transcript samples are owned by that frame — ctxc's, OpenClaw's
  // reads or its writes — so OpenClaw's original running under a ctxc wrapper (a fallback) stays
  // OpenClaw's, and the split by function adds up to the transcript total.
  const transcriptFrame = new Map<number, number>();
  const transcriptFrameOf = (id: number): number => {
    const known = transcriptFrame.get(id);
    if (known !== undefined) return known;
    const frame = ownCategory(id)?.startsWith("transcript") ? id : parent.has(id) ? transcriptFrameOf(parent.get(id)!) : -1;
    transcriptFrame.set(id, frame);
    return frame;
  };
  const ms: Record<string, number> = {};
  const byFunction: Record<string, number> = {};
  let t = 0;
  let windowMs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]! / 1000;
    if (t < fromMs || t > toMs) continue;
    // A sample's time is the gap to the next one.
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    windowMs += dt;
    let c = categoryOf(p.samples[i]!);
    if (c.startsWith("transcript")) {
      const frame = transcriptFrameOf(p.samples[i]!);
      c = ownCategory(frame)!;
      const fn = ctxcFrame.has(frame) ? `ctxc ${name.get(frame)}` : name.get(frame)!;
      byFunction[fn] = (byFunction[fn] ?? 0) + dt;
    }
    ms[c] = (ms[c] ?? 0) + dt;
  }
  for (const k of Object.keys(ms)) ms[k] = Math.round(ms[k]!);
  for (const k of Object.keys(byFunction)) byFunction[k] = Math.round(byFunction[k]!);
  return { windowMs: Math.round(windowMs), ms, busyShare: windowMs > 0 ? 1 - (ms.idle ?? 0) / windowMs : 0, transcriptByFunction: byFunction };
}
