/**
 * The agents' first turns arriving together (issue #11, 2026.7.35 real-gateway: session-resource-loader
 * p99 worse with ctxc than stock): five transcripts (default 28/10/10/28/10 MB) whose cold whole-file
 * worker reads are all asked for at once, as the preload's prewarm (`prepareSession`) asks for them, on a
 * fresh pool of 1 thread and of 2 (src/openclaw/pool.ts: one single-thread pool per thread, each
 * transcript always on the same one). Reported per transcript: the wall ms until its read was ready (what
 * its session open waits for), and the main thread's busy ms over the whole batch (event-loop
 * utilisation: receiving and wrapping the buffers). Then a second round (one entry appended to each): the
 * reads continue on their worker, whatever the thread count.
 *
 *     npx tsc -p tsconfig.json && node dist/bench/openclaw-first-turns.js [--mbs 28,10,10,28,10] [--runs 3]
 *
 * A benchmark, not a test (2 shared cores here: read the numbers with the load average it prints).
 */
import { appendFileSync, copyFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { closeOpenClawPool, configureOpenClawPool } from "../src/openclaw/index.js";
import { prepareSession, settledRead } from "../src/openclaw/preload-runtime.js";
import { freshRunDir, removeDir, transcriptOfSize } from "./lib/data.js";
import { median, round } from "./lib/stats.js";

const { values } = parseArgs({ options: { mbs: { type: "string", default: "28,10,10,28,10" }, runs: { type: "string", default: "3" } } });
const mbs = values.mbs!.split(",").map(Number);
const runs = Number(values.runs);

const sources = await Promise.all([...new Set(mbs)].map(async (mb) => [mb, await transcriptOfSize(mb)] as const));
const sourceOf = new Map(sources);
const runDir = await freshRunDir("openclaw-first-turns");

/** One batch: every read asked for at once; each one's wall ms until ready, and the main thread's busy ms. */
async function batch(paths: string[]): Promise<{ wall: number[]; mainMs: number }> {
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  const wall = await Promise.all(
    paths.map((p) =>
      prepareSession(p).then(() => {
        const got = settledRead(p);
        if (!got || got instanceof Error) throw new Error(`no read of ${p}: ${got instanceof Error ? got.message : "none"}`);
        return performance.now() - t0;
      }),
    ),
  );
  return { wall, mainMs: performance.eventLoopUtilization(elu).active };
}

const out: Record<string, unknown> = { mbs, runs, load: loadavg()[0] };
try {
  for (const threads of [1, 2]) {
    const cold: number[][] = [];
    const warm: number[][] = [];
    const coldMain: number[] = [];
    const warmMain: number[] = [];
    for (let run = 0; run < runs; run++) {
      // Fresh copies and a fresh pool: every read is cold, as after a gateway start (no index here).
      const paths = mbs.map((mb, i) => {
        const p = join(runDir, `t${threads}-${run}-${i}.jsonl`);
        copyFileSync(sourceOf.get(mb)!.path, p);
        return p;
      });
      await configureOpenClawPool({ threads, indexDir: null });
      const first = await batch(paths);
      cold.push(first.wall);
      coldMain.push(first.mainMs);
      for (const p of paths) appendFileSync(p, `${JSON.stringify({ type: "custom", customType: "bench", data: { run }, id: `b${run}`, parentId: null, timestamp: "2026-01-05T09:00:00.000Z" })}\n`);
      const second = await batch(paths);
      warm.push(second.wall);
      warmMain.push(second.mainMs);
      await closeOpenClawPool();
    }
    const perFile = (xs: number[][]) => mbs.map((_, i) => round(median(xs.map((r) => r[i]!))));
    out[`threads${threads}`] = {
      coldWallMsPerRead: perFile(cold),
      coldLastReadyMs: round(median(cold.map((r) => Math.max(...r)))),
      coldMainThreadMs: round(median(coldMain)),
      warmWallMsPerRead: perFile(warm),
      warmMainThreadMs: round(median(warmMain)),
    };
  }
  out.loadAfter = loadavg()[0];
  console.log(JSON.stringify(out, null, 2));
} finally {
  await closeOpenClawPool();
  await removeDir(runDir);
}
