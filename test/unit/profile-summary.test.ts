/**
 * bench/real-gateway/profile-summary.ts: main-thread samples are charged once, to the first category
 * (in CATEGORIES order) found anywhere on their stack, inside the requested time window; transcript
 * samples to the innermost transcript function, ctxc's or OpenClaw's by where its code lives.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { summarizeProfile } from "../../bench/real-gateway/profile-summary.js";
import { findFunctions } from "../../src/openclaw/release/locate.js";
import { rewriteChunk } from "../../src/openclaw/release/rewrite.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("profile-summary");

/** Node i + 1 of a call tree: function name, its children's ids, the script URL and V8's position of the function (0-based). */
type TreeNode = [name: string, children: number[], url?: string, at?: readonly [line: number, column: number]];
let written = 0;

/** Writes a `.cpuprofile` of `tree` (ids are positions + 1) with these samples and time deltas (µs). */
function writeProfile(tree: TreeNode[], samples: number[], deltasUs: number[]): string {
  const nodes = tree.map(([functionName, children, url = "", [lineNumber, columnNumber] = [0, 0]], i) => ({ id: i + 1, callFrame: { functionName, scriptId: "0", url, lineNumber, columnNumber }, children }));
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

  it("charges OpenClaw's getPersistedFileEntries to OpenClaw's writes, also under ctxc's rewrite handler", () => {
    const oc = "file:///x/node_modules/openclaw/dist/session-manager-buX5IgDX.js";
    const ctxc = "file:///x/node_modules/ctxc/dist/src/openclaw/release/append-rewrite.js";
    // 1 root → 2 OpenClaw's delegating rewriteFile → 3 ctxc's rewriteFile → 4 the manager's getPersistedFileEntries → 5 isIndexedSessionEntry;
    // 3 → 6 ctxc's appendedLines (unlisted: ctxc's own)
    const tree: TreeNode[] = [
      ["(root)", [2]],
      ["rewriteFile", [3], oc],
      ["rewriteFile", [4, 6], ctxc],
      ["getPersistedFileEntries", [5], oc],
      ["isIndexedSessionEntry", [], oc],
      ["appendedLines", [], ctxc],
    ];
    const s = summarizeProfile(writeProfile(tree, [3, 4, 5, 5, 6, 1], [0, ...Array<number>(5).fill(10_000)]));
    const writes = Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw writes"))!;
    expect(s.ms[writes]).toBe(30);
    expect(s.transcriptByFunction).toEqual({ "ctxc rewriteFile": 20, getPersistedFileEntries: 30 });
  });

  it("charges the restart warm-up's build to its own row (`ctxc restartWarmUp`), not to the open or index functions it runs", () => {
    const ctxc = "file:///x/node_modules/ctxc/dist/src/openclaw/restart-warmup.js";
    // 1 root → 2 (a macrotask) → 3 restartWarmUp → 4 keptEntriesFor (unlisted) → 5 frozenEntriesFromBuffer; 3 → 6 warmLoadedIndex
    const tree: TreeNode[] = [["(root)", [2]], ["processImmediate", [3]], ["restartWarmUp", [4, 6], ctxc], ["keptEntriesFor", [5], ctxc], ["frozenEntriesFromBuffer", [], ctxc], ["warmLoadedIndex", [], ctxc]];
    const s = summarizeProfile(writeProfile(tree, [3, 4, 5, 6, 1], [0, ...Array<number>(4).fill(10_000)]));
    expect(s.transcriptByFunction).toEqual({ "ctxc restartWarmUp": 40 });
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
    const store = Object.keys(s.ms).find((k) => k.startsWith("session store: OpenClaw SQLite"))!;
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

  it("counts apart, per category, the time past 2 ms after a sample (a gap in sampling: not known to be work)", () => {
    const tree: TreeNode[] = [["(root)", [2, 3, 4]], ["repairSessionFileIfNeeded", []], ["discoverOpenClawPlugins", []], ["(idle)", []]];
    // Samples 1 ms apart, but a read sample followed by 25 ms without one, and a plugin-scan sample by 3 ms.
    const samples = [2, 2, 2, 3, 3, 4, 1];
    const s = summarizeProfile(writeProfile(tree, samples, [0, 1_000, 1_000, 25_000, 1_000, 3_000, 1_000]));
    const reads = Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw/pi reads"))!;
    expect(s.ms[reads]).toBe(27);
    expect(s.longGapMs).toEqual({ [reads]: 23, "plugin index / manifest scans (filesystem walks)": 1 });
    // Samples at the interval: no gap.
    expect(summarizeProfile(writeProfile(tree, samples, [0, ...Array<number>(6).fill(1_000)])).longGapMs).toEqual({});
  });

  it("keeps only the samples inside the window", () => {
    const path = profile([2, 3, 5, 5, 4], [0, 100_000, 100_000, 100_000, 100_000]);
    const s = summarizeProfile(path, 150, 350);
    expect(s.windowMs).toBe(200);
    expect(s.ms.idle).toBe(200);
  });
});

/** A fake OpenClaw install's dist/ under this test's temp dir (one per test: the summary caches what it read of a dist/). */
function fakeDist(name: string): string {
  const dist = join(dir, name, "node_modules", "openclaw", "dist");
  mkdirSync(dist, { recursive: true });
  return dist;
}

/** V8's position of the function whose parameter list opens at the first `needle` after `after` in `source`: [line, column], 0-based. */
function v8Position(source: string, needle: string, after = ""): [number, number] {
  const at = source.indexOf(needle, source.indexOf(after));
  if (at < 0) throw new Error(`${needle} not in source`);
  const before = source.slice(0, at);
  return [before.split("\n").length - 1, at - (before.lastIndexOf("\n") + 1)];
}

const readsCategory = (s: { ms: Record<string, number> }) => Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw/pi reads"));

describe("anonymous OpenClaw frames", () => {
  // The shape of 2026.7.35's session-fence digest (selection chunk), a module-level callback, and a
  // named caller.
  const SELECTION = [
    'import { createReadStream } from "node:fs";',
    'import { createHash } from "node:crypto";',
    "async function readSessionFileDigest(sessionFile) {",
    '\tconst hash = createHash("sha256");',
    "\treturn await new Promise((resolve) => {",
    "\t\tconst stream = createReadStream(sessionFile);",
    '\t\tstream.on("data", (chunk) => {',
    "\t\t\thash.update(chunk);",
    "\t\t});",
    '\t\tstream.on("end", () => resolve(hash.digest("hex")));',
    "\t});",
    "}",
    "setInterval(() => {",
    "\tvoid readSessionFileDigest(process.argv[2]);",
    "}, 1000);",
    "async function runEmbeddedAttempt(params) {",
    "\treturn await readSessionFileDigest(params.sessionFile);",
    "}",
    "",
  ].join("\n");

  it("charges a stream callback to the function enclosing it in the source, the stream machinery on its stack included; an async-cut read stays other", () => {
    const dist = fakeDist("digest");
    writeFileSync(join(dist, "selection-Fk3x9Q2a.js"), SELECTION);
    const url = pathToFileURL(join(dist, "selection-Fk3x9Q2a.js")).href;
    // 1 root → 2 fs read completion → 3 node's stream onread → 4 Readable.push → 5 emit → 6 the `data`
    // callback (anonymous, in the fake chunk) → 7 hash.update → 8 node's native hash; 4 → 9 maybeReadMore
    // (push's own machinery, not under the callback); 1 → 10 tick queue → 11 maybeReadMore_ →
    // 12 ReadStream._read → 13 native read (the next chunk's read: the chain starts after an async
    // boundary, no OpenClaw frame); 1 → 14 the module-level interval callback (no named function around it).
    const tree: TreeNode[] = [
      ["(root)", [2, 10, 14]],
      ["wrapper", [3], "node:fs"],
      ["", [4], "node:internal/fs/streams"],
      ["Readable.push", [5, 9], "node:internal/streams/readable"],
      ["emit", [6], "node:events"],
      ["", [7], url, v8Position(SELECTION, "(chunk)")],
      ["update", [8], "node:internal/crypto/hash"],
      ["", []],
      ["maybeReadMore", [], "node:internal/streams/readable"],
      ["processTicksAndRejections", [11], "node:internal/process/task_queues"],
      ["maybeReadMore_", [12], "node:internal/streams/readable"],
      ["ReadStream._read", [13], "node:internal/fs/streams"],
      ["read", []],
      ["", [], url, v8Position(SELECTION, "() => {", "setInterval")],
    ];
    const samples = [6, 7, 8, 8, 5, 4, 9, 12, 13, 14, 1];
    const s = summarizeProfile(writeProfile(tree, samples, [0, ...Array<number>(samples.length - 1).fill(10_000)]));
    const reads = readsCategory(s)!;
    expect(s.ms[reads]).toBe(40);
    expect(s.transcriptByFunction).toEqual({ readSessionFileDigest: 40 });
    // emit/push/maybeReadMore outside the callback, the async-cut read, the module-level callback.
    expect(s.ms.other).toBe(60);
    expect(s.anonymousOpenClaw).toEqual({ namedMs: 40, unnamedMs: 10 });
    // The async-cut read is shown apart within "other", with the one function fs stream data goes to.
    expect(s.asyncCutFsStreamReads).toEqual({ ms: 20, consumers: ["readSessionFileDigest"] });
    // One uninterrupted 40 ms block of the digest.
    expect(s.longestBlocks).toEqual([{ ms: 40, category: reads, fn: "readSessionFileDigest" }]);
  });

  it("leaves an anonymous frame as it is when no function starts at its position or its source is gone", () => {
    const dist = fakeDist("mismatch");
    writeFileSync(join(dist, "selection-Fk3x9Q2a.js"), SELECTION);
    const url = pathToFileURL(join(dist, "selection-Fk3x9Q2a.js")).href;
    const [line, column] = v8Position(SELECTION, "(chunk)");
    const tree: TreeNode[] = [
      ["(root)", [2, 3, 4]],
      // One column off: a different build's positions, not this source's.
      ["", [], url, [line, column + 1]],
      ["", [], pathToFileURL(join(dist, "selection-Gone0000.js")).href, [line, column]],
      // The same position under a ctxc build's URL: ctxc's code is never renamed after OpenClaw's.
      ["", [], "file:///x/node_modules/ctxc/dist/src/openclaw/preload-runtime.js", [line, column]],
    ];
    const s = summarizeProfile(writeProfile(tree, [2, 3, 4, 1], [0, 10_000, 10_000, 10_000]));
    expect(readsCategory(s)).toBeUndefined();
    expect(s.ms.other).toBe(30);
    expect(s.anonymousOpenClaw).toEqual({ namedMs: 0, unnamedMs: 20 });
  });

  it("finds a callback in a chunk ctxc's preload served rewritten (data: URL), past the delegates the rewrite inserted", () => {
    const dist = fakeDist("rewritten");
    // Two callbacks at the same column, three lines apart: in the rewritten chunk, the first one sits
    // where the second one would be had no delegate been inserted before it.
    const source = [
      'import { a as normalizeLowercaseStringOrEmpty } from "./string-coerce-DW4mBlAt.js";',
      'import { r as createSubsystemLogger } from "./subsystem-Bx91kQ2a.js";',
      'import { t as resolveSessionTranscriptPath } from "./paths-Cq82jZ1b.js";',
      "async function repairSessionFileIfNeeded(params) {",
      "\tconst items = await readEntries(params.sessionFile);",
      "\tconst cleaned = items.map((entry) => JSON.stringify(entry));",
      "}",
      "function unrelated(items) {",
      "\tconst cleaned = items.map((entry) => entry.id);",
      "\treturn cleaned;",
      "}",
      "async function readEntries(file) {",
      "\treturn [];",
      "}",
      "export { repairSessionFileIfNeeded as t, unrelated as u };",
      "",
    ].join("\n");
    const chunk = join(dist, "session-manager-Bq7xPz3K.js");
    writeFileSync(chunk, source);
    writeFileSync(join(dist, "selection-Fk3x9Q2a.js"), SELECTION);
    const chunkUrl = pathToFileURL(chunk).href;
    const [fn] = findFunctions(source, "repairSessionFileIfNeeded", chunk);
    const rewritten = rewriteChunk(source, chunkUrl, "file:///x/node_modules/ctxc/dist/src/openclaw/preload-runtime.js", [{ fn: fn!, handler: "repairSessionFileIfNeeded", helpers: [] }]);
    // V8 keeps a script URL's first 1024 characters.
    const dataUrl = `data:text/javascript;base64,${Buffer.from(rewritten).toString("base64")}`.slice(0, 1024);
    const callback = v8Position(rewritten, "(entry)");
    const original = v8Position(rewritten, "(params)", "repairSessionFileIfNeeded$openclaw");
    // 1 root → 2 the callback on a stack that has lost its caller; 1 → 3 a frame of the release's dist/
    // (where the original chunk is found); 1 → 4 the renamed original, which pins how many delegates lie above.
    const tree = (withOriginal: boolean): TreeNode[] => [
      ["(root)", withOriginal ? [2, 3, 4] : [2, 3]],
      ["", [], dataUrl, callback],
      ["runEmbeddedAttempt", [], pathToFileURL(join(dist, "selection-Fk3x9Q2a.js")).href, v8Position(SELECTION, "(params)")],
      ...(withOriginal ? [["repairSessionFileIfNeeded$openclaw", [], dataUrl, original] satisfies TreeNode] : []),
    ];
    const s = summarizeProfile(writeProfile(tree(true), [2, 2, 1], [0, 10_000, 10_000]));
    expect(s.transcriptByFunction).toEqual({ repairSessionFileIfNeeded: 20 });
    expect(s.anonymousOpenClaw).toEqual({ namedMs: 20, unnamedMs: 0 });
    // Without a named frame to pin it, the callback could be either function's: it is left unnamed.
    const t = summarizeProfile(writeProfile(tree(false), [2, 2, 1], [0, 10_000, 10_000]));
    expect(t.transcriptByFunction).toEqual({});
    expect(t.anonymousOpenClaw).toEqual({ namedMs: 0, unnamedMs: 20 });
  });
});
