/**
 * Main-thread cost of one session-fence digest (OpenClaw 2026.6.6+'s `readSessionFileDigest`, issue #11:
 * ~2 per turn on an 8–32 MB transcript, inside the session-resource-loader stage): the release's own
 * function (a 64 KiB `createReadStream`, each chunk hashed on the main thread) vs ctxc's delegate (one
 * request to the worker pool, src/openclaw/session-digest.ts). A benchmark, not a test.
 *
 *   node --expose-gc dist/bench/openclaw-digest.js [--openclaw 2026.7.35|ROOT] [--sizes 10,28] [--runs 7] [--busy MS]
 *
 * `--openclaw`: an installed release or an OpenClaw package folder (bench/lib/run-setup.ts; run with the
 * Node it asks for, which the bench names otherwise). Per size, a generated transcript; per mode one warm-up call, then `runs` timed calls:
 * - busy: the main thread's busy time during the call (event-loop utilisation's `active`: the hashing
 *   and stream callbacks for stock, the request and reply for ctxc; on a shared machine it also counts
 *   time the thread was descheduled, the minimum least so);
 * - cpu: the main thread's own CPU time during the call (Node 23.9+ `process.threadCpuUsage`; "–" before):
 *   what busy leaves once descheduling is out — for ctxc the pool's and piscina's code on the request and
 *   the reply, and the event loop's wake-up when it slept while the worker hashed (issue #11: ~7 a turn);
 * - wall: the call's elapsed time (for ctxc, mostly the worker's read and hash);
 * - hops: event-loop callbacks the call needs (async_hooks `before` of resources other than promises and
 *   `process.nextTick`s, which run without going back to the loop: each stream read completion, the
 *   worker's reply), counted in one more call with the hook on (not on while timing). Each hop is a
 *   point where the call waits behind every other agent's work;
 * - with `--busy MS`: the same calls while the main thread also runs other work — a chain of macrotasks
 *   of MS ms of synchronous work each (other agents' turns) — so that every hop queues behind one.
 * A GC (with --expose-gc) before each timed call keeps one mode's garbage out of the other's times.
 * Both answers are checked equal before anything is timed.
 */
import { createHook } from "node:async_hooks";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { importInterceptedWith, removeIntercepted } from "./lib/openclaw-intercepted.js";
import { median, round } from "./lib/stats.js";
import { hasThreadCpu, threadCpuMs } from "./lib/thread-cpu.js";
import { otherWork } from "./lib/other-work.js";
import { benchArgs, gc, gcNote, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { closeOpenClawPool } from "../src/openclaw/index.js";

const { values } = benchArgs({
  options: { openclaw: { type: "string" }, sizes: { type: "string", default: "10,28" }, runs: { type: "string", default: "7" }, busy: { type: "string", default: "0" } },
});
const { root, version } = await openclawRelease(values.openclaw);
const sizes = values.sizes.split(",").map(Number);
const runs = Number(values.runs);
const busyMs = Number(values.busy);
const RUNTIME_URL = preloadRuntimeUrl();

type Digest = (file: string) => Promise<string | undefined>;

/** Busy, CPU (NaN without threadCpuUsage) and wall ms of one call (busy and CPU include the other work, when there is some: compare wall then). */
async function timed(fn: Digest, file: string): Promise<{ busy: number; cpu: number; wall: number }> {
  gc();
  const stop = otherWork(busyMs);
  const elu = performance.eventLoopUtilization();
  const cpu0 = threadCpuMs();
  const t0 = performance.now();
  await fn(file);
  const wall = performance.now() - t0;
  const cpu = threadCpuMs() - cpu0;
  const busy = performance.eventLoopUtilization(elu).active;
  stop();
  return { busy, cpu, wall };
}

/** Event-loop callbacks (non-promise async resources' `before`) during one call. */
async function hops(fn: Digest, file: string): Promise<number> {
  const types = new Map<number, string>();
  let n = 0;
  const hook = createHook({
    init: (id, type) => void types.set(id, type),
    before: (id) => {
      const type = types.get(id);
      if (type !== "PROMISE" && type !== "TickObject") n++;
    },
  });
  hook.enable();
  try {
    await fn(file);
  } finally {
    hook.disable();
  }
  return n;
}

const x = await importInterceptedWith(root, "readSessionFileDigest", RUNTIME_URL);
if (typeof x === "string") throw new Error(`openclaw ${version}: ${x}`);
const modes: [string, Digest][] = [
  ["stock", x.openclaw as Digest],
  ["ctxc", x.ctxc as Digest],
];
const dir = mkdtempSync(join(tmpdir(), "ctxc-bench-digest-"));
const rows: string[] = [];
try {
  for (const mb of sizes) {
    const file = join(dir, `t${mb}.jsonl`);
    writeFileSync(file, generateTranscript({ seed: mb, targetBytes: mb * 1024 * 1024, branchProbability: 0.1, compactions: Math.max(1, Math.round(mb * 1.4)) }).text);
    const bytes = statSync(file).size;
    const [a, b] = await Promise.all(modes.map(([, fn]) => fn(file)));
    if (!a || a !== b) throw new Error(`digests differ at ${mb} MB: stock ${a}, ctxc ${b}`);
    for (const [mode, fn] of modes) {
      await fn(file);
      const samples: { busy: number; cpu: number; wall: number }[] = [];
      for (let i = 0; i < runs; i++) samples.push(await timed(fn, file));
      const busy = samples.map((s) => s.busy);
      const wall = samples.map((s) => s.wall);
      const cpu = samples.map((s) => s.cpu);
      const cpuCell = hasThreadCpu ? `${round(median(cpu))} (min ${round(Math.min(...cpu))})` : "–";
      rows.push(`| ${(bytes / 1048576).toFixed(1)} MB | ${mode} | ${round(median(busy))} (min ${round(Math.min(...busy))}) | ${cpuCell} | ${round(median(wall))} (min ${round(Math.min(...wall))}) | ${await hops(fn, file)} |`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  removeIntercepted();
  await closeOpenClawPool();
}
console.log(`openclaw ${version}, node ${process.version}, ${runs} runs per mode (median, min), other work ${busyMs} ms per macrotask${gcNote}; served: digestsServed=${x.runtime.counters.digestsServed} fallbacks=${x.runtime.counters.fallbacks}`);
console.log("| file | mode | main-thread busy ms | main-thread CPU ms | wall ms | event-loop hops |\n|---|---|---|---|---|---|\n" + rows.join("\n"));
