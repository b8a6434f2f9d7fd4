/**
 * The first session open after a gateway restart (issue 11 item 4), with and without the session reads'
 * persistent index, on one generated transcript (default 28 MB) that grew by one turn (~6 kB) while the
 * gateway was down:
 *
 * - worker ms: the worker's read (encodeSessionBuffer on a fresh SessionReadCache — what a new worker
 *   does), run in this thread so it is timed alone; with the index it restores the saved state
 *   (verified: append check + digest of the entry bytes read back) and parses only the turn;
 * - first open ms: `openSessionAsync` on a new pool, as the preload's prewarm calls it (worker start,
 *   read, transfer), wall time;
 * - main-thread ms: what the main thread runs of that open — the event loop's active time during it, and
 *   decoding the entries pi's `SessionManager.open` view needs (getHeader + getEntries +
 *   buildSessionContext: after a restart nothing is decoded yet, index or not).
 * Plus the cold read that writes the index (the save's cost) and the index file's size.
 *
 *     npx tsc -p tsconfig.json && node dist/bench/openclaw-restart.js [--mb 28] [--runs 5]
 *
 * Prints one JSON object. Speed claims live here, not in tests.
 */
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { SessionReadCache, encodeSessionBuffer } from "../native-free-workers/openclaw/session-buffer.js";
import { sessionIndexFile, type SessionIndexDir } from "../native-free-workers/openclaw/session-index.js";
import { checkPrivateDir } from "../native-free-workers/session/private-dir.js";
import { closeOpenClawPool, configureOpenClawPool, decodeSession, openSessionAsync } from "../src/openclaw/index.js";
import { freshRunDir, removeDir, transcriptOfSize } from "./lib/data.js";
import { median, round } from "./lib/stats.js";

const { values } = parseArgs({ options: { mb: { type: "string", default: "28" }, runs: { type: "string", default: "5" } } });
const mb = Number(values.mb);
const runs = Number(values.runs);

const source = await transcriptOfSize(mb);
const runDir = await freshRunDir("openclaw-restart");
const path = join(runDir, "agent.jsonl");
const text = readFileSync(source.path);
const cut = text.lastIndexOf(10, text.length - 6000) + 1; // the last ~6 kB: the turn appended while down
const indexPath = join(runDir, "index");
const verdict = checkPrivateDir(indexPath);
if (!verdict.ok) throw new Error(verdict.reason);
const index: SessionIndexDir = { dir: verdict.path, check: { identity: { dev: verdict.dev, ino: verdict.ino } } };

const ms = (start: number) => performance.now() - start;

// Before the restart: the gateway read the transcript (cold; with the index on, that read saves it).
writeFileSync(path, text.subarray(0, cut));
const coldWithSave: number[] = [];
const coldWithout: number[] = [];
for (let i = 0; i < runs; i++) {
  rmSync(sessionIndexFile(index.dir, path), { force: true }); // a cold read that writes the index, not a restore
  let t = performance.now();
  encodeSessionBuffer(path, {}, new SessionReadCache(undefined, index));
  coldWithSave.push(ms(t));
  t = performance.now();
  encodeSessionBuffer(path, {}, new SessionReadCache());
  coldWithout.push(ms(t));
}
const indexBytes = statSync(sessionIndexFile(index.dir, path)).size;
// While it was down: one more turn.
appendFileSync(path, text.subarray(cut));

/**
 * The worker's first read after the restart, timed alone in this thread: wall time, and CPU time (the
 * process's, while only this thread works: less disturbed than wall time on a shared machine).
 */
function workerRead(withIndex: boolean): { ms: number; cpuMs: number; parsed: number; index: string } {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const meta = decodeSession(encodeSessionBuffer(path, {}, new SessionReadCache(undefined, withIndex ? index : null))).meta;
  const wall = ms(t);
  const used = process.cpuUsage(cpu);
  return { ms: wall, cpuMs: (used.user + used.system) / 1000, parsed: meta.bytes - meta.readFrom, index: meta.index };
}

/** The first open through a new pool (a restarted gateway), and the main thread's share of it. */
async function firstOpen(withIndex: boolean): Promise<{ openMs: number; loopActiveMs: number; decodeMs: number; index: string }> {
  await configureOpenClawPool({ indexDir: withIndex ? indexPath : null }); // closes the old pool: the next call starts a new worker
  const elu = performance.eventLoopUtilization();
  let t = performance.now();
  const session = await openSessionAsync(path);
  const openMs = ms(t);
  const loopActiveMs = performance.eventLoopUtilization(elu).active;
  t = performance.now();
  session.getHeader();
  session.getEntries();
  session.buildSessionContext();
  return { openMs, loopActiveMs, decodeMs: ms(t), index: session.meta.index };
}

const result: Record<string, unknown> = { mb, bytes: statSync(path).size, entries: source.entries, appendedBytes: text.length - cut, runs, indexBytes };
const measured = new Map<boolean, { worker: ReturnType<typeof workerRead>[]; open: Awaited<ReturnType<typeof firstOpen>>[] }>([
  [true, { worker: [], open: [] }],
  [false, { worker: [], open: [] }],
]);
// Interleaved, so a change in the machine's load meanwhile hits both alike.
for (let i = 0; i < runs; i++) {
  for (const withIndex of [true, false]) {
    measured.get(withIndex)!.worker.push(workerRead(withIndex));
    measured.get(withIndex)!.open.push(await firstOpen(withIndex));
  }
}
for (const [withIndex, { worker, open }] of measured) {
  result[withIndex ? "withIndex" : "withoutIndex"] = {
    index: worker[0]!.index,
    bytesParsed: worker[0]!.parsed,
    workerMs: round(median(worker.map((w) => w.ms)), 1),
    workerCpuMs: round(median(worker.map((w) => w.cpuMs)), 1),
    firstOpenMs: round(median(open.map((o) => o.openMs)), 1),
    mainLoopActiveMs: round(median(open.map((o) => o.loopActiveMs)), 1),
    mainDecodeMs: round(median(open.map((o) => o.decodeMs)), 1),
    openIndex: open[0]!.index,
  };
}
result.coldReadMs = { savingTheIndex: round(median(coldWithSave), 1), withoutIndex: round(median(coldWithout), 1) };
await closeOpenClawPool();
await removeDir(runDir);
console.log(JSON.stringify(result, null, 2));
