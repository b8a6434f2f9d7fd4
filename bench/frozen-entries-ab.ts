/**
 * The first open after a restart on OpenClaw 2026.6.9+, its largest main-thread part alone (issue #11):
 * `frozenEntriesFromBuffer` (src/openclaw/buffer-entries.ts) building the deep-frozen entries of a whole
 * session buffer with member FIELDS, ctxc holding nothing of the file — A/B between two builds in ONE
 * process, alternated (which goes first swaps each round), each on a fresh buffer read, after a GC. The
 * figure is the main thread's CPU time of the call (process.threadCpuUsage, Node 23.9+; else wall time):
 * on a loaded shared host, wall time also counts descheduling.
 *
 *     node --expose-gc dist/bench/frozen-entries-ab.js --a /path/to/other/dist [--b dist] [--mb 28] [--reps 20]
 *
 * `--a`/`--b`: a build's `dist` folder (e.g. a copy of the base commit's, with package.json beside it and
 * node_modules reachable). The normaliser is 2026.7.1+'s rule (bench/lib/loaded-entry-normalizer.ts).
 * A benchmark, not a test: correctness is test/openclaw/frozen-entries.test.ts and repeated-strings.test.ts.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { freshRunDir, removeDir } from "./lib/data.js";
import { median } from "./lib/stats.js";
import { hasThreadCpu, threadCpuMs } from "./lib/thread-cpu.js";
import { normalizeLoadedEntry as normalize } from "./lib/loaded-entry-normalizer.js";
import { benchArgs, gc, gcNote } from "./lib/run-setup.js";

const { values } = benchArgs({
  options: { a: { type: "string" }, b: { type: "string" }, mb: { type: "string", default: "28" }, reps: { type: "string", default: "20" } },
});
if (!values.a) throw new Error("--a <dist folder of the other build> is required");
const roots = [resolve(values.a), resolve(values.b ?? join(import.meta.dirname, ".."))];
const mb = Number(values.mb);
const reps = Number(values.reps);

interface Side {
  root: string;
  buffer: ArrayBuffer;
  decode: (b: ArrayBuffer) => unknown;
  build: (session: unknown, n: typeof normalize, exactness: boolean) => { entries: unknown[] };
  ms: number[];
}

const runDir = await freshRunDir("frozen-entries-ab");
try {
  const path = join(runDir, "t.jsonl");
  writeFileSync(path, generateTranscript({ seed: 7, targetBytes: mb * 1024 * 1024, branchProbability: 0.05, compactions: 2 }).text);
  const sides: Side[] = [];
  for (const root of roots) {
    const url = (p: string) => pathToFileURL(join(root, p)).href;
    const sb = (await import(url("native-free-workers/openclaw/session-buffer.js"))) as typeof import("../native-free-workers/openclaw/session-buffer.js");
    const be = (await import(url("src/openclaw/buffer-entries.js"))) as { frozenEntriesFromBuffer: Side["build"] };
    const se = (await import(url("src/openclaw/session.js"))) as { decodeSession: Side["decode"] };
    sides.push({ root, buffer: sb.encodeSessionBuffer(path, {}, new sb.SessionReadCache()), decode: se.decodeSession, build: be.frozenEntriesFromBuffer, ms: [] });
  }
  for (let i = 0; i < reps; i++) {
    for (const s of i % 2 ? [...sides].reverse() : sides) {
      const session = s.decode(s.buffer); // a new session: nothing of it read yet (its reader is built by the call)
      gc();
      const c0 = threadCpuMs();
      const t0 = performance.now();
      const { entries } = s.build(session, normalize, true);
      s.ms.push(hasThreadCpu ? threadCpuMs() - c0 : performance.now() - t0);
      if (entries.length === 0) throw new Error("no entries");
    }
  }
  console.log(`${mb} MB, ${reps} rounds, ${hasThreadCpu ? "thread CPU" : "wall"} ms, node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}${gcNote}`);
  for (const s of sides) console.log(`${s.root}: median ${median(s.ms).toFixed(1)} min ${Math.min(...s.ms).toFixed(1)}  [${s.ms.map((x) => x.toFixed(0)).join(" ")}]`);
} finally {
  await removeDir(runDir);
}
