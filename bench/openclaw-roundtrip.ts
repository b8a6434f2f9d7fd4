/**
 * Main-thread cost of one request/reply through the OpenClaw worker pool (`runInOpenClawPool`, src/openclaw/
 * pool.ts; issue #11: ~7 session-fence digests and a few reads per turn, each one round trip). A benchmark,
 * not a test.
 *
 *   node dist/bench/openclaw-roundtrip.js [--requests 3000] [--rounds 3] [--ops ready,fileDigest] [--concurrent 1] [--pause MS]
 *
 * Per op, `requests` requests, `concurrent` in flight at once (1: each awaited before the next is asked,
 * the loop idle in between — as a turn's digests, each awaited by its caller), after a warm-up of 200. With
 * `--pause MS` (only with `--concurrent 1`): a sleep of MS ms before each request, so that every request finds
 * the threads asleep — the CPU then counts only the requests (from the ask to the caller resumed), not the sleeps:
 * - cpu: the main thread's own CPU µs per request (Node 23.9+ `process.threadCpuUsage`; "–" before —
 *   `process.cpuUsage` would count the worker too), the figure to compare;
 * - busy: event-loop utilisation's `active` µs per request (on a loaded host it also counts descheduling);
 * - wall: µs per request.
 * `ready` is the trivial op (the worker answers at once); `fileDigest` hashes an unchanged 4 KiB file (the
 * worker's memo answers without hashing it again), so both are mostly the round trip itself. Each round
 * prints a line; the last line is the median over rounds. For an A/B, run the same file compiled against
 * another build (copy dist/bench/openclaw-roundtrip.js and dist/bench/lib beside that build's dist/src) in
 * fresh processes, alternated.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { closeOpenClawPool, configureOpenClawPool, runInOpenClawPool } from "../src/openclaw/pool.js";
import type { OpenClawWorkerRequest } from "../native-free-workers/openclaw-worker.js";
import { benchArgs } from "./lib/run-setup.js";
import { median } from "./lib/stats.js";
import { threadCpuMs } from "./lib/thread-cpu.js";

const { values } = benchArgs({
  options: {
    requests: { type: "string", default: "3000" },
    rounds: { type: "string", default: "3" },
    ops: { type: "string", default: "ready,fileDigest" },
    concurrent: { type: "string", default: "1" },
    pause: { type: "string", default: "0" },
  },
});
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const concurrent = Number(values.concurrent);
const pauseMs = Number(values.pause);

const dir = mkdtempSync(join(tmpdir(), "ctxc-roundtrip-"));
const file = join(dir, "t.jsonl");
writeFileSync(file, "x".repeat(4096));
await configureOpenClawPool({ threads: 1 });

const requestOf = (op: string): OpenClawWorkerRequest => (op === "fileDigest" ? { op: "fileDigest", path: file } : { op: "ready" });

/** Main-thread CPU µs of the paused requests (`--pause`: each counted from the ask to the caller resumed). */
let pausedCpu = 0;
async function batch(op: string, n: number): Promise<void> {
  if (pauseMs > 0) {
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, pauseMs));
      const c0 = threadCpuMs();
      await runInOpenClawPool(requestOf(op));
      pausedCpu += (threadCpuMs() - c0) * 1000;
    }
    return;
  }
  let next = 0;
  const lane = async () => {
    while (next++ < n) await runInOpenClawPool(requestOf(op));
  };
  await Promise.all(Array.from({ length: concurrent }, lane));
}

const results = new Map<string, { cpu: number[]; busy: number[]; wall: number[] }>();
for (let round = 0; round < rounds; round++) {
  for (const op of values.ops.split(",")) {
    await batch(op, 200);
    pausedCpu = 0;
    const cpu0 = threadCpuMs();
    const elu = performance.eventLoopUtilization();
    const t0 = performance.now();
    await batch(op, requests);
    const wall = ((performance.now() - t0) * 1000) / requests;
    const busy = (performance.eventLoopUtilization(elu).active * 1000) / requests;
    const cpu = (pauseMs > 0 ? pausedCpu : (threadCpuMs() - cpu0) * 1000) / requests; // NaN without threadCpuUsage
    const r = results.get(op) ?? { cpu: [], busy: [], wall: [] };
    r.cpu.push(cpu);
    r.busy.push(busy);
    r.wall.push(wall);
    results.set(op, r);
    console.log(`round ${round + 1} ${op.padEnd(10)} cpu ${cpu.toFixed(1)} µs  busy ${busy.toFixed(1)} µs  wall ${wall.toFixed(1)} µs`);
  }
}
for (const [op, r] of results) {
  console.log(`median ${op.padEnd(10)} cpu ${median(r.cpu).toFixed(1)} µs  busy ${median(r.busy).toFixed(1)} µs  wall ${median(r.wall).toFixed(1)} µs  (load ${(await import("node:os")).loadavg()[0]!.toFixed(1)})`);
}
await closeOpenClawPool();
rmSync(dir, { recursive: true, force: true });
