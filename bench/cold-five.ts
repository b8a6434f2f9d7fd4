/**
 * `node --expose-gc dist/bench/cold-five.js [rounds] [mb] [sliceMs] [threads] [--no-loop] [--split]`: where the time
 * of "5 agents × 28 MB going cold at once" goes (issue 14), without the gateway scenario's HTTP services.
 * With `--gateway=2,3`: the scenario's cold mode alone, services included, once per lane count
 * ({@link gatewayCold}). The first form measures three things in one process:
 *
 * 1. Does this machine run two threads at 2×? The same fixed CPU loop in one worker thread alone, then
 *    in two at once (wall and each thread's run/run-queue-wait time from /proc/self/task/<tid>/schedstat).
 * 2. One cold build alone, two at once (one per lane), five at once — on a warmed-up compiler of `threads`
 *    lanes (default 2), `forget()` before each round, as the scenario's cold mode does.
 * 3. For the five: a timeline per build (requested → lane chosen, its load → first slice → slices →
 *    worker finished the buffer → main thread has it) with the worker's stage times, and each thread's
 *    CPU and run-queue wait over the round (the kernel's own accounting: wait = runnable, not running).
 *
 * The lane instrumentation wraps Lane's methods from outside (this script only); nothing in src/ changes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { PerformanceObserver } from "node:perf_hooks";
import { createCompiler, type Compiler } from "../src/index.js";
import { Lane, type Job } from "../src/lane.js";
import { Header } from "../native-free-workers/protocol/buffer-layout.js";
import { agentCopy, freshRunDir, removeDir, transcriptOfSize } from "./lib/data.js";
import { DATA_DIR } from "./lib/paths.js";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { startServices } from "./gateway/services-client.js";
import { runScenario } from "./gateway/scenario.js";
import { median, round } from "./lib/stats.js";

/** run ns, wait ns per thread id of this process (the kernel's schedstat). */
function schedstat(): Map<number, { run: number; wait: number; name: string }> {
  const out = new Map<number, { run: number; wait: number; name: string }>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").trim().split(" ").map(Number);
      const name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
      out.set(Number(tid), { run: run! / 1e6, wait: wait! / 1e6, name });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

interface ThreadTime {
  tid: number;
  name: string;
  /** ms on a CPU between the two samples. */
  run: number;
  /** ms runnable but waiting for a CPU (another thread, of this process or not, had it). */
  wait: number;
}

/** Threads that ran at least 5 ms between two schedstat samples, busiest first. */
function busyThreads(a: ReturnType<typeof schedstat>, b: ReturnType<typeof schedstat>): ThreadTime[] {
  const rows: ThreadTime[] = [];
  for (const [tid, after] of b) {
    const before = a.get(tid) ?? { run: 0, wait: 0 };
    const run = after.run - before.run;
    if (run >= 5) rows.push({ tid, name: tid === process.pid ? "main" : after.name, run, wait: after.wait - before.wait });
  }
  return rows.sort((x, y) => y.run - x.run);
}

const describeThread = (t: ThreadTime) => `${t.name}(${t.tid}) run ${t.run.toFixed(0)} ms, runnable-waiting ${t.wait.toFixed(0)} ms`;

const SPIN = `
const { parentPort, workerData } = require("node:worker_threads");
let x = 0;
for (let i = 0; i < workerData; i++) x = (x * 31 + i) | 0;
parentPort.postMessage(x);
`;

/** Wall ms of `threads` workers each running the same integer loop at once. */
async function spin(threads: number, iterations: number): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(SPIN, { eval: true, workerData: iterations }));
  // Start timing once every worker is up: thread start-up is not what is measured.
  await Promise.all(workers.map((w) => new Promise((r) => w.once("online", r))));
  const t = performance.now();
  await Promise.all(workers.map((w) => new Promise((r) => w.once("message", r))));
  const wall = performance.now() - t;
  await Promise.all(workers.map((w) => w.terminate()));
  return wall;
}

/** The same integer loop in one thread, then in two at once: 2× means two full cores for this process. */
async function cpuLoopSpeedup(log: (s: string) => void): Promise<void> {
  const iterations = 300_000_000;
  await spin(1, iterations / 10); // JIT warm-up
  const one: number[] = [];
  const two: number[] = [];
  for (let r = 0; r < 3; r++) {
    one.push(await spin(1, iterations));
    two.push(await spin(2, iterations));
  }
  log(`cpu loop: one thread ${round(median(one), 0)} ms, two threads at once ${round(median(two), 0)} ms → parallel speed-up ${round((2 * median(one)) / median(two), 2)}× (2 = two full cores)`);
}

interface Trace {
  agent: string;
  requestedAt: number;
  lane: number;
  laneLoadBefore: number;
  /** Its second part was given to another lane to scan (splitColdBuilds). */
  split: boolean;
  firstSliceAt: number;
  slices: number;
  finishedAt: number;
  receivedAt: number;
  timings: Record<string, number>;
}

/** Wraps the lanes' enqueue/runSlice to record, per job id, its lane, the load it found, its slices. */
function instrument(lanes: Lane[]): { byJob: Map<number, Partial<Trace>> } {
  const byJob = new Map<number, Partial<Trace>>();
  const proto = Lane.prototype as unknown as {
    enqueue(job: Job): void;
    runSlice(job: Job): Promise<void>;
  };
  const enqueue = proto.enqueue;
  const runSlice = proto.runSlice;
  proto.enqueue = function (this: Lane, job: Job) {
    byJob.set(job.id, { agent: job.agent, lane: lanes.indexOf(this), laneLoadBefore: this.load, split: job.split !== undefined, slices: 0 });
    return enqueue.call(this, job);
  };
  proto.runSlice = function (this: Lane, job: Job) {
    const t = byJob.get(job.id);
    if (t) {
      t.firstSliceAt ??= performance.timeOrigin + performance.now();
      t.slices = (t.slices ?? 0) + 1;
    }
    return runSlice.call(this, job);
  };
  return { byJob };
}

async function warmCompiler(files: string[], sliceMs: number, threads: number, split: boolean): Promise<{ compiler: Compiler; lanes: Lane[] }> {
  const lanes: Lane[] = [];
  const proto = Lane.prototype as unknown as { pump(): void };
  const pump = proto.pump;
  // Collect the lanes the compiler creates (each pumps on its first enqueue).
  proto.pump = function (this: Lane) {
    if (!lanes.includes(this)) lanes.push(this);
    return pump.call(this);
  };
  const compiler = createCompiler({ threads, sliceMs, splitColdBuilds: split });
  await Promise.all(files.map((transcript, i) => compiler.build({ transcript, agentId: `warm-${i}`, budget: 120_000 })));
  proto.pump = pump;
  return { compiler, lanes };
}

async function coldRound(compiler: Compiler, files: string[], jitterMs: number): Promise<{ walls: number[]; traces: Trace[] }> {
  for (const f of files) await compiler.forget(f);
  const t0 = performance.timeOrigin + performance.now();
  const builds = files.map(async (transcript, i) => {
    if (jitterMs > 0) await new Promise((r) => setTimeout(r, (i * jitterMs) / files.length));
    const requestedAt = performance.timeOrigin + performance.now();
    const ctx = await compiler.build({ transcript, agentId: `agent-${i}`, budget: 120_000 });
    const receivedAt = performance.timeOrigin + performance.now();
    void ctx.tokens.total;
    if (ctx.messageCount > 0) ctx.message(ctx.messageCount - 1);
    const finishedAt = new DataView(ctx.buffer).getFloat64(Header.finishedAt, true);
    return { requestedAt, receivedAt, finishedAt, timings: ctx.meta.timings, agent: `agent-${i}` };
  });
  const done = await Promise.all(builds);
  return {
    walls: done.map((d) => d.receivedAt - t0),
    traces: done.map((d) => ({ ...d, lane: -1, laneLoadBefore: -1, split: false, firstSliceAt: 0, slices: 0 })),
  };
}

export async function coldFive(rounds = 3, mb = 28, sliceMs = 50, cpuLoop = true, threads = 2, split = false): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(`load: ${readFileSync("/proc/loadavg", "utf8").trim()}; splitColdBuilds ${split}`);

  // 1. Two threads, two cores?
  if (cpuLoop) await cpuLoopSpeedup(log);

  const source = await transcriptOfSize(mb);
  const dir = await freshRunDir("cold-five");
  try {
    const files = await Promise.all(Array.from({ length: 5 }, (_, i) => agentCopy(source, dir, `agent-${i}`).then((f) => f.path)));
    const warm = await Promise.all(Array.from({ length: threads }, (_, i) => i).map((i) => agentCopy(source, dir, `warm-${i}`).then((f) => f.path)));
    const { compiler, lanes } = await warmCompiler(warm, sliceMs, threads, split);
    const { byJob } = instrument(lanes);
    let gcMs = 0;
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMs += e.duration;
    });
    gcObserver.observe({ entryTypes: ["gc"] });
    try {
      // 2. Alone, two at once (one per lane).
      const alone: number[] = [];
      const pair: number[] = [];
      for (let r = 0; r < rounds; r++) {
        for (const [n, into] of [[1, alone], [2, pair]] as const) {
          const before = schedstat();
          const wall = Math.max(...(await coldRound(compiler, files.slice(0, n), 0)).walls);
          into.push(wall);
          log(`  ${n} at once: ${round(wall, 0)} ms; ${busyThreads(before, schedstat()).slice(0, 2).map(describeThread).join("; ")}`);
        }
      }
      log(`${mb} MB cold build: alone ${round(median(alone), 0)} ms; two at once on ${Math.min(2, threads)} lane(s) ${round(median(pair), 0)} ms (last done) → ${round((2 * median(alone)) / median(pair), 2)}× of one lane`);

      // 3. Five at once.
      const lasts: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const before = schedstat();
        const elu0 = performance.eventLoopUtilization();
        gcMs = 0;
        byJob.clear();
        const { walls, traces } = await coldRound(compiler, files, 20);
        const elu = performance.eventLoopUtilization(elu0);
        const after = schedstat();
        const jobs = [...byJob.values()];
        const start = Math.min(...traces.map((t) => t.requestedAt));
        lasts.push(Math.max(...walls));
        log(`\nround ${r + 1}: last build back after ${round(Math.max(...walls), 0)} ms (from the first request); main thread busy ${round(elu.active, 0)} ms, GC ${round(gcMs, 1)} ms`);
        for (const t of traces) {
          const j = jobs.find((x) => x.agent === t.agent) ?? {};
          const rel = (x: number) => round(x - start, 0);
          const stages = Object.entries(t.timings).map(([k, v]) => `${k} ${round(v, 0)}`).join(", ");
          log(`  ${t.agent}: requested +${rel(t.requestedAt)}, lane ${j.lane} (load ${j.laneLoadBefore}${j.split ? ", split" : ""}), first slice +${rel(j.firstSliceAt ?? 0)}, ${j.slices} slice(s), worker done +${rel(t.finishedAt)}, back +${rel(t.receivedAt)} | ${stages}`);
        }
        const window = Math.max(...traces.map((t) => t.receivedAt)) - start;
        const threads = busyThreads(before, after);
        for (const t of threads) log(`  thread ${describeThread(t)}`);
        // The lanes are the threads that ran the builds (the five builds' CPU is almost all theirs).
        const laneThreads = threads.filter((t) => t.tid !== process.pid).slice(0, lanes.length);
        const run = laneThreads.reduce((n, t) => n + t.run, 0);
        const wait = laneThreads.reduce((n, t) => n + t.wait, 0);
        log(`  summary: window ${round(window, 0)} ms; lanes ran ${laneThreads.map((t) => round(t.run, 0)).join(" / ")} ms (sum ${round(run, 0)}: ${round(run / 5, 0)} per build; idle ${laneThreads.map((t) => round(Math.max(0, window - t.run - t.wait), 0)).join(" / ")} ms); waited for a CPU ${round((100 * wait) / (run + wait), 0)} % of their runnable time`);
      }
      log(`\nfive at once: last build back, median of ${rounds} rounds: ${round(median(lasts), 0)} ms; load now ${readFileSync("/proc/loadavg", "utf8").trim()}`);
    } finally {
      gcObserver.disconnect();
      await compiler.close();
    }
  } finally {
    await removeDir(dir);
  }
}

/** CPU ms (utime + stime, 10 ms ticks) of this process's child processes: the scenario's fake services. */
function childrenCpuMs(): number {
  let ms = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid) ms += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // gone meanwhile
    }
  }
  return ms;
}

/**
 * The gateway scenario's cold mode alone (HTTP services included: what the RESULTS row measures), for each
 * lane count in turn: update→dispatch, and the CPU of the main loop and of the fake services per update.
 */
export async function gatewayCold(laneCounts: number[], rounds: number, mb: number): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  await mkdir(DATA_DIR, { recursive: true });
  const warmup = join(DATA_DIR, "warmup.jsonl");
  await writeFile(warmup, generateTranscript({ seed: 3, entries: 60, unicode: "heavy", includeAllEntryTypes: true }).text);
  const services = await startServices();
  try {
    for (const threads of laneCounts) {
      const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
      const cpu0 = childrenCpuMs();
      const config = { name: `cold-five-${threads}`, transcriptMB: mb, agents: 5, threads, budget: 120_000, rounds: { baseline: 0, ctxcCold: rounds, ctxcWarm: 0 }, modes: ["ctxcCold" as const] };
      const phase = (await runScenario(services, config, () => {}, warmup)).phases.ctxcCold!;
      const u = phase.updateToDispatch;
      log(`${threads} lane(s): update→dispatch p50 ${round(u.p50, 0)} / p99 ${round(u.p99, 0)} ms over ${phase.builds} builds; main thread CPU ${phase.mainThreadCpuMsPerUpdate} ms per update; services process CPU ${childrenCpuMs() - cpu0} ms over the phase (warm-up included); load at start ${load}`);
    }
  } finally {
    await services.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const [rounds, mb, sliceMs, threads] = args.map(Number);
  const gateway = process.argv.find((a) => a.startsWith("--gateway="));
  (gateway
    ? gatewayCold(gateway.slice("--gateway=".length).split(",").map(Number), rounds || 3, mb || 28)
    : coldFive(rounds || 3, mb || 28, sliceMs || 50, !process.argv.includes("--no-loop"), threads || 2, process.argv.includes("--split"))
  ).catch((err: unknown) => {
    process.stderr.write(`cold-five failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
