/**
 * bench/real-gateway/profile-summary.ts: main-thread samples are charged once, to the first category
 * (in CATEGORIES order) found anywhere on their stack, inside the requested time window; transcript
 * samples to the innermost transcript function, ctxc's or OpenClaw's by where its code lives.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { summarizeProfile } from "../../bench/real-gateway/profile-summary.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("profile-summary");

/** Node i + 1 of a call tree: function name, its children's ids, and the script URL. */
type TreeNode = [name: string, children: number[], url?: string];
let written = 0;

/** Writes a `.cpuprofile` of `tree` (ids are positions + 1) with these samples and time deltas (µs). */
function writeProfile(tree: TreeNode[], samples: number[], deltasUs: number[]): string {
  const nodes = tree.map(([functionName, children, url = ""], i) => ({ id: i + 1, callFrame: { functionName, scriptId: "0", url, lineNumber: 0, columnNumber: 0 }, children }));
  const path = join(dir, `p${++written}.cpuprofile`);
  writeFileSync(path, JSON.stringify({ nodes, startTime: 0, endTime: deltasUs.reduce((a, b) => a + b, 0), samples, timeDeltas: deltasUs }));
  return path;
}

/** A profile: (root) → runEmbeddedAttempt → repairSessionFileIfNeeded → loadPluginMetadataSnapshot, plus idle and GC. */
function profile(samples: number[], deltasUs: number[]): string {
  const tree: TreeNode[] = [["(root)", [2, 5, 6]], ["runEmbeddedAttempt", [3]], ["repairSessionFileIfNeeded", [4]], ["loadPluginMetadataSnapshot", []], ["(idle)", []], ["(garbage collector)", []]];
  return writeProfile(tree, samples, deltasUs);
}

describe("profile summary", () => {
  it("charges nested work to the first category on the stack, and the rest to other", () => {
    // Each sample lasts until the next one: 10 ms apart.
    const path = profile([2, 3, 4, 5, 6, 5], [0, 10_000, 10_000, 10_000, 10_000, 10_000]);
    const s = summarizeProfile(path);
    const transcript = Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw"))!;
    // Node 4 (plugin scan) runs inside the repair pass: the transcript category comes first in the order.
    expect(s.ms[transcript]).toBe(20);
    expect(s.ms.other).toBe(10);
    expect(s.ms.idle).toBe(10);
    expect(s.ms["garbage collector"]).toBe(10);
    expect(s.windowMs).toBe(50);
    expect(s.busyShare).toBeCloseTo(0.8);
  });

  it("counts 2026.7.35's transcript work (its own SessionManager, the rewrite after each turn) and splits it by innermost function", () => {
    const names = ["(root)", "runEmbeddedAttempt", "loadEntriesFromFileWithSnapshot", "parseJsonlEntries", "flushSessionManagerFile", "rewriteFile", "writeJsonlEntriesSync", "rememberWrittenSessionEntries", "discoverOpenClawPlugins", "applyPluginAutoEnable"];
    // 1 root → 2 attempt → 3 load → 4 parse; 2 → 5 flush → 6 rewrite → 7 write, 6 → 8 hash; 1 → 10 auto-enable → 9 discovery
    const children: Record<number, number[]> = { 1: [2, 10], 2: [3, 5], 3: [4], 5: [6], 6: [7, 8], 10: [9] };
    const tree = names.map((n, i): TreeNode => [n, children[i + 1] ?? []]);
    const s = summarizeProfile(writeProfile(tree, [3, 4, 4, 6, 7, 8, 8, 9, 10, 1], [0, ...Array<number>(9).fill(10_000)]));
    const reads = Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw/pi reads"))!;
    const writes = Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw writes"))!;
    expect(s.ms[reads]).toBe(30);
    expect(s.ms[writes]).toBe(40);
    expect(s.ms["plugin index / manifest scans (filesystem walks)"]).toBe(20);
    // The last sample has no following delta, so it adds nothing.
    expect(s.ms.other ?? 0).toBe(0);
    expect(s.transcriptByFunction).toEqual({ loadEntriesFromFileWithSnapshot: 10, parseJsonlEntries: 20, rewriteFile: 10, writeJsonlEntriesSync: 10, rememberWrittenSessionEntries: 20 });
  });

  it("charges a ctxc handler that carries an OpenClaw function's name to ctxc, by where its code lives", () => {
    const oc = "file:///x/node_modules/openclaw/dist/session-manager-buX5IgDX.js";
    const ctxc = "file:///x/node_modules/ctxc/dist/src/openclaw/preload-runtime.js";
    // 1 root → 2 OpenClaw's delegating loadEntriesFromFileWithSnapshot → 3 ctxc's handler of that name → 4 JSON.parse;
    // 3 → 5 the original, kept as NAME$openclaw, which ctxc's handler falls back to; 3 → 6 OpenClaw's own parser
    const tree: TreeNode[] = [
      ["(root)", [2]],
      ["loadEntriesFromFileWithSnapshot", [3], oc],
      ["loadEntriesFromFileWithSnapshot", [4, 5, 6], ctxc],
      ["parse", []],
      ["loadEntriesFromFileWithSnapshot$openclaw", [], oc],
      ["parseJsonlEntries", [], oc],
    ];
    const s = summarizeProfile(writeProfile(tree, [3, 4, 5, 2, 6, 1], [0, ...Array<number>(5).fill(10_000)]));
    const ctxcCat = Object.keys(s.ms).find((k) => k.startsWith("transcript: ctxc"))!;
    const reads = Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw/pi reads"))!;
    expect(s.ms[ctxcCat]).toBe(20);
    // The work inside OpenClaw's functions stays OpenClaw's, even below a ctxc frame.
    expect(s.ms[reads]).toBe(30);
    expect(s.transcriptByFunction).toEqual({ "ctxc loadEntriesFromFileWithSnapshot": 20, loadEntriesFromFileWithSnapshot: 20, parseJsonlEntries: 10 });
  });

  it("counts 2026.8+'s SQLite session store by OpenClaw module, listed transcript functions first, and names module-only work by its entry", () => {
    const dist = "file:///x/setup/releases/2026.9.6/node_modules/openclaw/dist/";
    // 1 root → 2 agent turn (unlisted module) → 3 readSessionTranscriptModelContext → 4 withSqliteSessionDatabase (store module)
    // → 5 runSqliteTransactionSync (shared sqlite helper); 2 → 6 loadSessionEntryReadOnly (store) → 7 anonymous (store) → 5';
    // 1 → 8 a state-db write (sqlite helper, no session frame); 2 → 9 an unlisted function in an unrelated module
    const tree: TreeNode[] = [
      ["(root)", [2, 8]],
      ["runAgentTurn", [3, 6, 9], `${dist}agent-runner-Ab12Cd34.mjs`],
      ["readSessionTranscriptModelContext", [4], `${dist}session-accessor.sqlite-model-context-Dxi3aFzy.mjs`],
      ["withSqliteSessionDatabase", [5], `${dist}session-accessor.sqlite-scope-DHC66DLY.mjs`],
      ["runSqliteTransactionSync", [], `${dist}sqlite-transaction-DKSXLQhb.mjs`],
      ["loadSessionEntryReadOnly", [7], `${dist}session-accessor.sqlite-entry-UCl9kr-O.mjs`],
      ["", [10], `${dist}session-accessor.sqlite-entry-UCl9kr-O.mjs`],
      ["writeStateRow", [], `${dist}sqlite-state-store-Zz99Yy88.mjs`],
      ["formatReply", [], `${dist}reply-format-Qq11Ww22.mjs`],
      ["runSqliteTransactionSync", [], `${dist}sqlite-transaction-DKSXLQhb.mjs`],
    ];
    const s = summarizeProfile(writeProfile(tree, [3, 4, 5, 6, 7, 10, 8, 9, 1], [0, ...Array<number>(8).fill(10_000)]));
    const reads = Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw 2026.8+ reads"))!;
    const store = Object.keys(s.ms).find((k) => k.startsWith("session store: OpenClaw 2026.8+"))!;
    const otherSqlite = Object.keys(s.ms).find((k) => k.startsWith("other SQLite stores"))!;
    // The listed read function owns everything below it, store modules included.
    expect(s.ms[reads]).toBe(30);
    expect(s.ms[store]).toBe(30);
    expect(s.ms[otherSqlite]).toBe(10);
    expect(s.ms.other).toBe(10);
    expect(s.transcriptByFunction).toEqual({ readSessionTranscriptModelContext: 30, "loadSessionEntryReadOnly (session-accessor.sqlite-entry)": 30 });
    // The six samples in a row are one 60 ms block of session work; the state-db write ends it.
    expect(s.longestBlocks?.map((b) => b.ms)).toEqual([60]);
    expect(s.blocksOver100ms).toEqual({});
  });

  it("measures uninterrupted blocks of transcript / session-store work and counts those over 100 ms", () => {
    const tree: TreeNode[] = [["(root)", [2, 3, 4]], ["repairSessionFileIfNeeded", []], ["flushSessionManagerFile", []], ["(idle)", []]];
    // reads 60 ms + writes 50 ms in a row = one 110 ms block (mostly reads); idle; a 20 ms read block.
    const samples = [2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 2, 2, 4, 1];
    const s = summarizeProfile(writeProfile(tree, samples, [0, ...Array<number>(samples.length - 1).fill(10_000)]));
    const reads = Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw/pi reads"))!;
    expect(s.longestBlocks).toEqual([{ ms: 110, category: reads, fn: "repairSessionFileIfNeeded" }, { ms: 20, category: reads, fn: "repairSessionFileIfNeeded" }]);
    expect(s.blocksOver100ms).toEqual({ [reads]: 1 });
  });

  it("keeps only the samples inside the window", () => {
    const path = profile([2, 3, 5, 5, 4], [0, 100_000, 100_000, 100_000, 100_000]);
    const s = summarizeProfile(path, 150, 350);
    expect(s.windowMs).toBe(200);
    expect(s.ms.idle).toBe(200);
  });
});
