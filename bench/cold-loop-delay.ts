/**
 * `node --expose-gc [--cpu-prof --cpu-prof-dir=DIR] dist/bench/cold-loop-delay.js [rounds] [variant,variant,...] [mb] [--warm]`:
 * why the 5 ms timer fires late while 5 agents go cold at once (issue 14, the "event-loop delay, ctxc cold"
 * row). Runs the gateway scenario's cold mode (with --warm: its warm mode, to see a setting's cost there) as the suite does (fake Telegram + model services, 5 agents,
 * budget 120k), once per variant in the list — a lane count, `2n10` = 2 lanes whose threads are set to
 * nice 10 once started (bench-only: what a lane priority would do) — alternate them for an A/B
 * (`2,1,2n10,2,1,2n10`); beside the
 * scenario's own timer keeps a second 5 ms timer — running exactly while the scenario's one runs (it
 * wraps LoopMonitor.resume/pause) — that, on every tick, reads the kernel's accounting of the threads:
 *
 * - the main thread's run and run-queue wait time (/proc/self/task/<pid>/schedstat: wait = runnable
 *   but not on a CPU), so a late tick splits into "the main thread ran (work on it)" and "it waited for
 *   a core" (the rest: it slept, i.e. the timer itself was not due yet or the wake-up was late);
 * - the CPU time of this process's other threads (ctxc lanes, V8/libuv helpers: getrusage minus the
 *   main thread) and of the services process's main thread, i.e. who held the cores;
 * - GC pauses (PerformanceObserver "gc") overlapping the tick.
 *
 * With --cpu-prof, the late ticks' windows are written next to the profile (late-ticks-<pid>.json, in
 * process.hrtime µs, the profile's clock) so `cold-loop-profile.js` can say which functions the main
 * thread ran inside them.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setPriority } from "node:os";
import { pathToFileURL } from "node:url";
import { PerformanceObserver } from "node:perf_hooks";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { startServices } from "./gateway/services-client.js";
import { runScenario } from "./gateway/scenario.js";
import { LoopMonitor } from "./gateway/loop-monitor.js";
import { DATA_DIR } from "./lib/paths.js";
import { round, summarize } from "./lib/stats.js";

const TICK_MS = 5;
/** A tick this late is attributed (the target is p99 ≤ 5 ms). */
const LATE_MS = 3;

function schedOf(path: string): { run: number; wait: number } {
  const [run, wait] = readFileSync(path, "utf8").trim().split(" ").map(Number);
  return { run: run! / 1e6, wait: wait! / 1e6 };
}

/** CPU ms of every thread of this process (getrusage: cheap enough for every tick, unlike one /proc read per thread). */
function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Snapshot {
  t: number;
  hr: bigint;
  main: { run: number; wait: number };
  others: number;
  services: number;
}

interface LateTick {
  lateMs: number;
  /** hrtime µs of when the tick was due and when it fired. */
  dueUs: number;
  firedUs: number;
  mainRunMs: number;
  mainWaitMs: number;
  othersRunMs: number;
  servicesRunMs: number;
  gcMs: number;
}

export class Attribution {
  private timer: NodeJS.Timeout | null = null;
  private prev: Snapshot | null = null;
  private gcs: { start: number; end: number }[] = [];
  readonly delays: number[] = [];
  readonly late: LateTick[] = [];
  /** hrtime µs [from, to] of each measured round (resume → pause). */
  readonly rounds: [number, number][] = [];
  /** Over all ticks: main thread run / wait ms, per tick interval summed. */
  totals = { ms: 0, mainRun: 0, mainWait: 0, others: 0, services: 0 };
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  });

  constructor(private readonly servicesPid: number) {
    this.observer.observe({ entryTypes: ["gc"] });
  }

  private snap(): Snapshot {
    return {
      t: performance.now(),
      hr: process.hrtime.bigint(),
      main: schedOf(`/proc/self/task/${process.pid}/schedstat`),
      others: processCpuMs(),
      // its main thread: the fake Telegram/model services are plain JS on one thread
      services: schedOf(`/proc/${this.servicesPid}/schedstat`).run,
    };
  }

  resume(): void {
    if (this.timer) return;
    this.prev = this.snap();
    this.rounds.push([Number(this.prev.hr / 1000n), 0]);
    this.timer = setInterval(() => {
      const s = this.snap();
      const p = this.prev!;
      const interval = s.t - p.t;
      const lateMs = Math.max(0, interval - TICK_MS);
      this.delays.push(round(lateMs, 2));
      const mainRun = s.main.run - p.main.run;
      // others = the process's CPU minus the main thread's (two clocks: a tick's figure is ± ~1 ms)
      const d = { mainRun, mainWait: s.main.wait - p.main.wait, others: Math.max(0, s.others - p.others - mainRun), services: s.services - p.services };
      this.totals.ms += interval;
      this.totals.mainRun += d.mainRun;
      this.totals.mainWait += d.mainWait;
      this.totals.others += d.others;
      this.totals.services += d.services;
      if (lateMs >= LATE_MS) {
        const gcMs = this.gcs.reduce((acc, g) => acc + Math.max(0, Math.min(g.end, s.t) - Math.max(g.start, p.t)), 0);
        const firedUs = Number(s.hr / 1000n);
        this.late.push({
          lateMs: round(lateMs, 2),
          dueUs: Math.round(firedUs - lateMs * 1000),
          firedUs,
          mainRunMs: round(d.mainRun, 2),
          mainWaitMs: round(d.mainWait, 2),
          othersRunMs: round(d.others, 2),
          servicesRunMs: round(d.services, 2),
          gcMs: round(gcMs, 2),
        });
      }
      this.prev = this.snap(); // after the reads: their own cost is not the next tick's
    }, TICK_MS);
  }

  pause(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.rounds[this.rounds.length - 1]![1] = Number(process.hrtime.bigint() / 1000n);
    }
    this.timer = null;
  }

  close(): void {
    this.pause();
    this.observer.disconnect();
  }
}

function servicesPid(): number {
  const children = readFileSync(`/proc/self/task/${process.pid}/children`, "utf8").trim().split(/\s+/).map(Number);
  if (children.length !== 1 || !Number.isFinite(children[0])) throw new Error(`expected one child (the services), found ${children.join(",")}`);
  return children[0]!;
}

const med = (xs: number[]): number => round(summarize(xs).p50, 2);

/** Thread ids of this process now. */
const threadIds = (): Set<number> => new Set(readdirSync("/proc/self/task").map(Number));

/** One variant: `2` = 2 lanes; `2n10` = 2 lanes reniced to nice 10 once started (Linux: nice is per thread). */
function variant(spec: string): { threads: number; nice: number | null } {
  const m = /^(\d+)(?:n(\d+))?$/.exec(spec);
  if (!m) throw new Error(`bad variant "${spec}" (want e.g. 2, 1 or 2n10)`);
  return { threads: Number(m[1]), nice: m[2] === undefined ? null : Number(m[2]) };
}

export async function coldLoopDelay(rounds: number, specs: string[], mb: number, mode: "ctxcCold" | "ctxcWarm" = "ctxcCold"): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  await mkdir(DATA_DIR, { recursive: true });
  const warmup = join(DATA_DIR, "warmup.jsonl");
  await writeFile(warmup, generateTranscript({ seed: 3, entries: 60, unicode: "heavy", includeAllEntryTypes: true }).text);
  const services = await startServices();
  const pid = servicesPid();
  const resume = LoopMonitor.prototype.resume;
  const pause = LoopMonitor.prototype.pause;
  const allLate: LateTick[] = [];
  const allRounds: [number, number][] = [];
  try {
    for (const spec of specs) {
      const { threads, nice } = variant(spec);
      const before = threadIds(); // the libuv pool exists already (the warm-up file was written)
      let reniced: number[] | null = null;
      const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
      const a = new Attribution(pid);
      LoopMonitor.prototype.resume = function (this: LoopMonitor) {
        resume.call(this);
        if (nice !== null && reniced === null) {
          // The threads started since the phase began are its compiler's lanes (its warm-up has run).
          reniced = [...threadIds()].filter((t) => !before.has(t));
          for (const tid of reniced) setPriority(tid, nice);
        }
        a.resume();
      };
      LoopMonitor.prototype.pause = function (this: LoopMonitor) {
        pause.call(this);
        a.pause();
      };
      const config = { name: `cold-loop-${threads}`, transcriptMB: mb, agents: 5, threads, budget: 120_000, rounds: { baseline: 0, ctxcCold: 0, ctxcWarm: 0, [mode]: rounds }, modes: [mode] };
      const phase = (await runScenario(services, config, () => {}, warmup)).phases[mode]!;
      a.close();
      const d = phase.loopDelay.timer;
      const mine = summarize(a.delays);
      const tot = a.totals;
      log(`${spec}: ${threads} lane(s)${nice === null ? "" : ` at nice ${nice} (threads ${(reniced as number[] | null)?.join(",")})`}, ${mb} MB × 5, ${rounds} rounds, load ${load}: scenario timer p50 ${d.p50} / p99 ${d.p99} / max ${d.max} ms (${d.count} ticks); attribution timer p99 ${mine.p99} / max ${mine.max}; update→dispatch p50 ${round(phase.updateToDispatch.p50, 0)} / p99 ${round(phase.updateToDispatch.p99, 0)} ms; main thread CPU ${phase.mainThreadCpuMsPerUpdate} ms/update (ELU ${phase.eluActiveMsPerUpdate})`);
      log(`  over all ticks (${round(tot.ms, 0)} ms): main thread ran ${round(tot.mainRun, 0)} ms, waited for a core ${round(tot.mainWait, 0)} ms; other threads of this process ran ${round(tot.others, 0)} ms, the services process ${round(tot.services, 0)} ms`);
      const l = a.late;
      if (l.length) {
        log(`  ${l.length} tick(s) ≥ ${LATE_MS} ms late: lateness median ${med(l.map((t) => t.lateMs))}, of the tick's interval the main thread ran median ${med(l.map((t) => t.mainRunMs))} ms, waited runnable median ${med(l.map((t) => t.mainWaitMs))} ms; GC in it median ${med(l.map((t) => t.gcMs))} ms (in ${l.filter((t) => t.gcMs > 0).length} of them, ${round(l.reduce((acc, t) => acc + t.gcMs, 0), 1)} ms in all); lanes+helpers ran ${med(l.map((t) => t.othersRunMs))} ms, services ${med(l.map((t) => t.servicesRunMs))} ms`);
        for (const t of [...l].sort((x, y) => y.lateMs - x.lateMs).slice(0, 8)) {
          log(`    late ${t.lateMs} ms: main ran ${t.mainRunMs}, waited ${t.mainWaitMs}, gc ${t.gcMs}; lanes+helpers ran ${t.othersRunMs}, services ${t.servicesRunMs}`);
        }
      }
      allLate.push(...l);
      allRounds.push(...a.rounds);
    }
  } finally {
    LoopMonitor.prototype.resume = resume;
    LoopMonitor.prototype.pause = pause;
    await services.stop();
  }
  const dir = process.execArgv.find((x) => x.startsWith("--cpu-prof-dir="))?.slice("--cpu-prof-dir=".length);
  if (dir) writeFileSync(join(dir, `late-ticks-${process.pid}.json`), JSON.stringify({ late: allLate, rounds: allRounds }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [rounds, variants, mb] = process.argv.slice(2).filter((a) => a !== "--warm");
  coldLoopDelay(Number(rounds) || 4, (variants ?? "2").split(","), Number(mb) || 10, process.argv.includes("--warm") ? "ctxcWarm" : "ctxcCold").catch((err: unknown) => {
    process.stderr.write(`cold-loop-delay failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
