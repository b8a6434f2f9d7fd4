/**
 * `node --expose-gc dist/bench/byte-pass.js [rounds] [otherRoot|-] [MB ...]`: a cold build's byte pass in
 * one thread (issue 14), split in two: the line reader with the line-key scan of every line (the scan),
 * and the same with each line indexed as the build indexes it (TranscriptIndex.ingestLine: record-table
 * rows, ids hashed and registered, parents found, type and role codes). The difference, paired round by
 * round, is the per-line indexing beyond the scan. CPU is this thread's run time from schedstat (what it
 * ran, not what it waited for a core; the kernel updates it at ticks and switches, so read passes of
 * 10 MB and more), medians of `rounds`.
 *
 * With `otherRoot` (a directory holding another build's `dist/`, e.g. main's copied to .tmp/base), both
 * codes run in one process, alternated round by round, so a load change hits both alike; each round also
 * checks that both indexes hold the same rows (every numeric column) and diagnostics.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { transcriptOfSize } from "./lib/data.js";
import { median } from "./lib/stats.js";
import { mainThreadRunMs } from "./lib/thread-cpu.js";
import { gc, gcNote } from "./lib/run-setup.js";

type LineReaderModule = typeof import("../native-free-workers/io/line-reader.js");
type LineKeysModule = typeof import("../native-free-workers/pi/line-keys.js");
type IndexModule = typeof import("../native-free-workers/pi/transcript-index.js");
type LogModule = typeof import("../native-free-workers/protocol/diagnostic-log.js");
type RecordTableModule = typeof import("../native-free-workers/pi/record-table.js");

interface Side {
  name: string;
  LineReader: LineReaderModule["LineReader"];
  keys: LineKeysModule;
  TranscriptIndex: IndexModule["TranscriptIndex"];
  DiagnosticLog: LogModule["DiagnosticLog"];
  columns: RecordTableModule["NUMERIC_COLUMNS"];
}

async function loadSide(name: string, root: string): Promise<Side> {
  const at = (p: string) => pathToFileURL(join(root, "dist", "native-free-workers", p)).href;
  return {
    name,
    LineReader: ((await import(at("io/line-reader.js"))) as LineReaderModule).LineReader,
    keys: (await import(at("pi/line-keys.js"))) as LineKeysModule,
    TranscriptIndex: ((await import(at("pi/transcript-index.js"))) as IndexModule).TranscriptIndex,
    DiagnosticLog: ((await import(at("protocol/diagnostic-log.js"))) as LogModule).DiagnosticLog,
    columns: ((await import(at("pi/record-table.js"))) as RecordTableModule).NUMERIC_COLUMNS,
  };
}

/** This thread's run time from schedstat (NaN off Linux). */
const threadCpuMs = (): number => mainThreadRunMs() ?? NaN;

/** One pass over the file: the scan only, or scan + index. Returns its CPU and, when indexed, a fingerprint of the index. */
function pass(side: Side, fd: number, size: number, index: boolean): { cpu: number; fingerprint: string } {
  const log = new side.DiagnosticLog(1000);
  const idx = new side.TranscriptIndex(log);
  // The index reads a line back on an equal id hash or a parent not among the last rows, as in a build.
  idx.reader = {
    read(start: number, end: number) {
      const b = Buffer.allocUnsafe(end - start);
      readSync(fd, b, 0, end - start, start);
      return b;
    },
    release() {},
  };
  const scan = side.keys.scanLineKeys;
  const chunkBytes = 64 * 1024; // the build's default (protocol/defaults.ts)
  const options = { chunkBytes, maxLineBytes: 256 * 1024 * 1024, until: size, chunk: side.keys.scanReadBuffer(chunkBytes) ?? undefined };
  const sink = {
    onLine: index ? (b: Buffer, offset: number, lineNo: number) => idx.ingestLine(b, offset, lineNo) : (b: Buffer) => void scan(b),
    onOversize() {},
  };
  const reader = new side.LineReader(fd, 0, 1, options, sink);
  gc();
  const c0 = threadCpuMs();
  while (reader.step());
  const cpu = threadCpuMs() - c0;
  if (!index) return { cpu, fingerprint: "" };
  const t = idx.table;
  const columns = t.columns(); // the saved form: the same on codes that keep the rows in other columns
  const rows = side.columns.map((name) => columns[name]);
  return { cpu, fingerprint: JSON.stringify([rows, [...t.keptParents], [...t.replacedBy], log.list]) };
}

export async function bytePass(rounds: number, otherRoot: string | null, sizes: number[]): Promise<void> {
  const sides = [await loadSide("this", resolve(import.meta.dirname, "..", ".."))];
  if (otherRoot) sides.push(await loadSide("other", resolve(otherRoot)));
  for (const mb of sizes) {
    const file = await transcriptOfSize(mb);
    const fd = openSync(file.path, "r");
    const size = fstatSync(fd).size;
    for (let i = 0; i < 3; i++) for (const side of sides) for (const index of [false, true]) pass(side, fd, size, index); // optimized code first
    const scans = new Map<string, number[]>(sides.map((s) => [s.name, []]));
    const indexed = new Map<string, number[]>(sides.map((s) => [s.name, []]));
    const load0 = loadavg()[0]!;
    for (let r = 0; r < rounds; r++) {
      const prints: string[] = [];
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
        scans.get(side.name)!.push(pass(side, fd, size, false).cpu);
        const full = pass(side, fd, size, true);
        indexed.get(side.name)!.push(full.cpu);
        prints.push(full.fingerprint);
      }
      if (prints.length === 2 && prints[0] !== prints[1]) throw new Error(`byte-pass: ${mb} MB: the two codes' indexes differ`);
    }
    closeSync(fd);
    process.stdout.write(`${mb} MB: ${rounds} rounds, load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}${gcNote}${sides.length === 2 ? ", indexes identical" : ""}\n`);
    for (const side of sides) {
      const s = scans.get(side.name)!;
      const x = indexed.get(side.name)!;
      const beyond = x.map((v, i) => v - s[i]!);
      process.stdout.write(`  ${side.name}: thread CPU p50 scan ${median(s).toFixed(2)} ms, scan + index ${median(x).toFixed(2)} ms, index beyond the scan (paired) ${median(beyond).toFixed(2)} ms\n`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [rounds, other, ...sizes] = process.argv.slice(2);
  bytePass(Number(rounds) || 21, other && other !== "-" ? other : null, sizes.length > 0 ? sizes.map(Number) : [10, 28]).catch((err: unknown) => {
    process.stderr.write(`byte-pass failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
