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
 */
import { readFileSync } from "node:fs";

/** Category → function names that open it. Order matters: first match on the stack wins. */
export const CATEGORIES: ReadonlyArray<readonly [string, ReadonlySet<string>]> = [
  [
    "transcript: ctxc (decode + SessionManager from the worker's read)",
    new Set(["sessionManagerFromCtxc", "prepareSession", "openSessionAsync"]),
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
   * `rememberWrittenSessionEntries` do not), and the parts add up to the categories' total.
   */
  transcriptByFunction: Record<string, number>;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Summarises one `.cpuprofile` over [fromMs, toMs] after its start (defaults: all of it). */
export function summarizeProfile(path: string, fromMs = 0, toMs = Infinity): ProfileSummary {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const name = new Map<number, string>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    name.set(n.id, n.callFrame.functionName);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  // Category of each node: the better ranked of its own (if it opens one) and its parent's; memoised, so
  // each node is decided once from its already-decided parent.
  const category = new Map<number, string>();
  const rank = new Map<string, number>(CATEGORIES.map(([c], i) => [c, i]));
  const categoryOf = (id: number): string => {
    const known = category.get(id);
    if (known !== undefined) return known;
    const up = parent.has(id) ? categoryOf(parent.get(id)!) : "other";
    const own = CATEGORIES.find(([, fns]) => fns.has(name.get(id)!))?.[0];
    const best = own !== undefined && (up === "other" || rank.get(own)! < rank.get(up)!) ? own : up;
    category.set(id, best);
    return best;
  };
  // Innermost transcript function of each node (its own name if listed, else its parent's), memoised.
  const transcriptNames = new Set(CATEGORIES.filter(([c]) => c.startsWith("transcript")).flatMap(([, fns]) => [...fns]));
  const transcriptFn = new Map<number, string>();
  const transcriptFnOf = (id: number): string => {
    const known = transcriptFn.get(id);
    if (known !== undefined) return known;
    const own = name.get(id)!;
    const fn = transcriptNames.has(own) ? own : parent.has(id) ? transcriptFnOf(parent.get(id)!) : "(none)";
    transcriptFn.set(id, fn);
    return fn;
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
    const c = categoryOf(p.samples[i]!);
    ms[c] = (ms[c] ?? 0) + dt;
    if (c.startsWith("transcript")) {
      const fn = transcriptFnOf(p.samples[i]!);
      byFunction[fn] = (byFunction[fn] ?? 0) + dt;
    }
  }
  for (const k of Object.keys(ms)) ms[k] = Math.round(ms[k]!);
  for (const k of Object.keys(byFunction)) byFunction[k] = Math.round(byFunction[k]!);
  return { windowMs: Math.round(windowMs), ms, busyShare: windowMs > 0 ? 1 - (ms.idle ?? 0) / windowMs : 0, transcriptByFunction: byFunction };
}
