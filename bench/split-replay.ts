/**
 * `node --expose-gc dist/bench/split-replay.js [mb] [rounds]`: where a split cold build's CPU goes (issue 14),
 * one thread, no lanes. For the part of a transcript past the cut (30 %): what the single pass spends on it
 * (ingestLine from the bytes), what the scanning lane spends (scanRange), and what the owner then spends
 * replaying the batch into its index (replayBatch) — the owner's share must be much less than the scan's
 * for a split to move work. Each phase's CPU is this thread's own run time (/proc/thread-self/schedstat),
 * so the figures hold under load better than wall time; medians of `rounds`.
 */
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { readLines } from "../native-free-workers/io/line-reader.js";
import { readAt } from "../native-free-workers/io/read-at.js";
import { TranscriptIndex } from "../native-free-workers/pi/transcript-index.js";
import { scanReadBuffer } from "../native-free-workers/pi/line-keys.js";
import { lineStartAtOrAfter, scanRange } from "../native-free-workers/pi/range-scan.js";
import { DiagnosticLog } from "../native-free-workers/protocol/diagnostic-log.js";
import { replayBatch } from "../native-free-workers/session/range-merge.js";
import { transcriptOfSize } from "./lib/data.js";
import { median, round } from "./lib/stats.js";
import { gc, gcNote } from "./lib/run-setup.js";

/** This thread's CPU time so far, ms. */
function cpuMs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
}

function timed<T>(fn: () => T): [T, number] {
  gc();
  const t0 = cpuMs();
  const out = fn();
  return [out, cpuMs() - t0];
}

const mb = Number(process.argv[2] ?? 28);
const rounds = Number(process.argv[3] ?? 5);
const file = await transcriptOfSize(mb);
const fd = openSync(file.path, "r");
const stats = fstatSync(fd);
const options = { chunkBytes: 64 * 1024, maxLineBytes: 256 * 1024 * 1024, until: stats.size };
/** The chunk a build reads into (in WASM memory: lines are key-scanned there without a copy). */
const chunk = scanReadBuffer(options.chunkBytes) ?? undefined;
const cut = lineStartAtOrAfter(fd, Math.floor(stats.size * 0.3), stats.size)!;

/** An index holding the lines before the cut, and the number of the next line. */
function firstPart(): [TranscriptIndex, number] {
  const index = new TranscriptIndex(new DiagnosticLog(100));
  index.reader = { read: (start: number, end: number) => readAt(fd, start, end) } as never;
  let next = 1;
  readLines(fd, 0, 1, { ...options, until: cut, chunk }, {
    onLine: (bytes, offset, lineNo) => { index.ingestLine(bytes, offset, lineNo); next = lineNo + 1; },
    onOversize: () => {},
  });
  return [index, next];
}

const single: number[] = [];
const scan: number[] = [];
const replay: number[] = [];
for (let i = 0; i < rounds; i++) {
  const [a, nextA] = firstPart();
  single.push(timed(() => readLines(fd, cut, nextA, { ...options, chunk }, {
    onLine: (bytes, offset, lineNo) => a.ingestLine(bytes, offset, lineNo),
    onOversize: () => {},
  }))[1]);
  const [batch, scanMs] = timed(() => scanRange(fd, cut, { ...options, dev: stats.dev, ino: stats.ino })!);
  scan.push(scanMs);
  const [b, nextB] = firstPart();
  replay.push(timed(() => replayBatch(batch, nextB, {
    onScanned: (keys, offset, length, lineNo) => b.ingestScanned(keys, length, offset, lineNo),
    onRun: (batch, from, firstLineNo, rowOf, firstRangeRow, kept) => b.ingestRun(batch, from, firstLineNo, rowOf, firstRangeRow, kept),
    table: b.table,
    onLine: (bytes, offset, lineNo) => b.ingestLine(bytes, offset, lineNo),
    onOversize: () => {},
  }, (offset, length) => readAt(fd, offset, offset + length)))[1]);
  if (b.count !== a.count) throw new Error(`replay gave ${b.count} rows, the single pass ${a.count}`);
}
closeSync(fd);
console.log(`${mb} MB, cut at ${cut} (${round((100 * cut) / stats.size)} %), CPU ms, median of ${rounds}${gcNote}:`);
console.log(`  single pass over the part past the cut: ${round(median(single))}  (${single.map(round).join(" ")})`);
console.log(`  scanning lane's scanRange:              ${round(median(scan))}  (${scan.map(round).join(" ")})`);
console.log(`  owner's replay of the batch:            ${round(median(replay))}  (${replay.map(round).join(" ")})`);
