/**
 * The restart warm-up's main-thread cost beside a busy start-up (issue #11: the sliced warm-up's `warmUpMs`
 * was 251–304 ms on the real gateway against 120–153 for one-block builds of the same five transcripts).
 * Each trial is a NEW process (V8's code cold, as after a restart) on the same persistent index (seeded once):
 * the served 2026.6.9+ SessionManager chunk (bench/lib/openclaw-session-manager.ts) and ctxc's pool; a busy
 * loop stands in for OpenClaw's start-up — macrotasks of ~2 ms each (a JSON parse and stringify: it allocates,
 * as a start-up does), `--turn` ms of them per event-loop turn, so a timer is ~`--turn` ms late (the real
 * start-up's were 0.4–0.9 s) — and beside it the warm-up of `--mb` transcripts (runRestartWarmUp's loop:
 * read, a macrotask, restartWarmUp) in one of these modes, alternated per pair:
 *
 *   block   each transcript's build and fold in one step each, never pausing (the 07:03 one-block builds)
 *   steps   the default steps (512 KiB of lines, 512 entries), a macrotask's pause after each (the 10:18 runs)
 *   slices  the default steps in slices (slicedPauses, production: 4–32 ms per macrotask)
 *
 * Per trial: the warm-up's blocks (from the end of a pause to the start of the next, or the build's end) —
 * their wall sum, the main thread's waits for a core inside them (src/openclaw/thread-wait.ts: /proc schedstat's
 * run delay; wall minus waits is the blocks' time on a CPU, the figure to read on a loaded host), their
 * process.threadCpuUsage sum beside it (it moves at scheduler ticks: coarse, low after a sleep), the longest,
 * how many; the GC (a
 * PerformanceObserver's 'gc' entries that start inside a block: count, ms, the scavenges' share) and the
 * whole trial's GC; `warmUpStats.ms` (what the summary's `warmUpMs` says); when the warm-up was done, and the
 * busy loop's units meanwhile.
 *
 *     node --expose-gc dist/bench/warmup-busy.js [--mb 28,10,10,28,10] [--pairs 3] [--modes block,slices,steps] [--turn 256] [--retain 0] [--import-openclaw]
 *
 * `--retain N`: the busy loop keeps its last N units' parses alive (long-lived start-up state: the scavenges
 * promote, old space grows and is marked); `--import-openclaw`: OpenClaw's library entry imported first.
 *
 * 2026.6.9+ only (the snapshot open's build). A benchmark, not a test; read it with the load printed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { freshRunDir, removeDir } from "./lib/data.js";
import { loadSessionManagerPair } from "./lib/openclaw-session-manager.js";
import { restartWarmUp, slicedPauses, type WarmUpSteps } from "../src/openclaw/restart-warmup.js";
import { benchArgs, gcNote, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { median } from "./lib/stats.js";
import { mainThreadCpu } from "./lib/thread-cpu.js";
import { unitOfWork } from "./lib/startup-unit.js";
import { threadWaitMs } from "../src/openclaw/thread-wait.js";

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    mb: { type: "string", default: "28,10,10,28,10" },
    pairs: { type: "string", default: "3" },
    modes: { type: "string", default: "block,slices,steps" },
    turn: { type: "string", default: "256" },
    retain: { type: "string", default: "0" },
    "import-openclaw": { type: "boolean", default: false },
    child: { type: "string" },
    files: { type: "string" },
    index: { type: "string" },
  },
});
const { root, version } = await openclawRelease(values.openclaw);
const runtimeUrl = preloadRuntimeUrl();

interface Trial {
  mode: string;
  warmedUp: number;
  /** warmUpStats.ms (the summary's `warmUpMs`: on a CPU), .wallMs and .longestMs. */
  statsMs: number;
  statsWall: number;
  statsLongest: number;
  blocks: number;
  blockWall: number;
  blockCpu: number;
  /** The main thread's waits for a core inside the blocks (thread-wait.ts); wall minus it: on a CPU. */
  blockWaited: number;
  longestWall: number;
  /** GC entries starting inside the warm-up's blocks: count, ms, of which scavenges (minor) ms. */
  gcIn: number;
  gcInMs: number;
  scavengeInMs: number;
  /** All GC during the warm-up (the busy loop's included), ms. */
  gcAllMs: number;
  /** The warm-up's wall from its first read to its last block's end; the main thread's CPU over it. */
  doneMs: number;
  threadCpu: number;
  /** Busy-loop units run meanwhile and their mean wall. */
  units: number;
  unitMs: number;
}

/** `--retain N`: the last N units' parses stay alive (a start-up builds long-lived state: survivors to promote, old space to mark). */
const kept: unknown[] = [];
let keptAt = 0;
const retained = Number(values.retain);

const macrotask = (): Promise<void> => new Promise((done) => setTimeout(done, 0).unref());

async function child(mode: string, files: string[], indexDir: string): Promise<void> {
  const pair = await loadSessionManagerPair(root, version, runtimeUrl, `-busy${process.pid}`);
  if (typeof pair === "string") throw new Error(`openclaw ${version}: ${pair} (2026.6.9+ only)`);
  const rt = pair.runtime;
  try {
    rt.serveSnapshotOpens();
    await rt.configureOpenClawPool({ indexDir, idleTimeoutMs: 60_000 });
    await rt.startOpenClawPool();
    // `--import-openclaw`: OpenClaw's library loaded first, as in the gateway (its heap, its code).
    if (values["import-openclaw"]) await import(pathToFileURL(join(root, "dist", "index.js")).href);
    const helpers = rt.warmUpHelpers()!;

    // The busy loop: `perTurn` units queued at once run in one check phase; the last queues the next batch.
    const perTurn = Math.max(1, Math.round(Number(values.turn) / 2));
    let [busy, units, unitWall] = [true, 0, 0];
    const batch = () => {
      for (let i = 0; i < perTurn; i++)
        setImmediate(() => {
          const t = performance.now();
          const parsed = unitOfWork();
          if (retained > 0) kept[keptAt++ % retained] = parsed;
          unitWall += performance.now() - t;
          units++;
          if (i === perTurn - 1 && busy) batch();
        });
    };
    batch();
    await new Promise((done) => setTimeout(done, 1000));

    const gcs: { start: number; ms: number; minor: boolean }[] = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration, minor: (e as unknown as { detail?: { kind?: number } }).detail?.kind === 1 });
    });
    obs.observe({ entryTypes: ["gc"] });

    const blocks: { from: number; to: number; cpu: number; waited: number }[] = [];
    let open: { from: number; cpu: number; waited: number } | undefined;
    const start = () => {
      const [cpu, waited] = [mainThreadCpu(), threadWaitMs()];
      open = { from: performance.now(), cpu, waited };
    };
    const end = () => {
      if (!open) return;
      const to = performance.now();
      blocks.push({ from: open.from, to, cpu: mainThreadCpu(open.cpu), waited: threadWaitMs() - open.waited });
      open = undefined;
    };
    const pause = async () => {
      end();
      await macrotask();
      start();
    };
    const steps = (): WarmUpSteps =>
      mode === "block" ? { stepBytes: 2 ** 30, foldEntries: Infinity, between: async () => {} } : mode === "steps" ? { between: pause } : { between: slicedPauses(undefined, pause) };

    const [u0, w0, t0, c0] = [units, unitWall, performance.now(), mainThreadCpu()];
    for (const path of files) {
      await rt.prepareSession(path);
      await macrotask();
      start();
      const read = rt.settledRead(path);
      if (read === undefined || read instanceof Error) throw new Error(`no read of ${path}`);
      await restartWarmUp(path, read, helpers, steps());
      end();
    }
    const [doneMs, threadCpu] = [performance.now() - t0, mainThreadCpu(c0)];
    const [n, unitMs] = [units - u0, (unitWall - w0) / Math.max(1, units - u0)];
    busy = false;
    await new Promise((done) => setTimeout(done, 50));
    obs.disconnect();
    const inBlock = (g: { start: number }) => blocks.some((b) => g.start >= b.from && g.start <= b.to);
    const during = gcs.filter((g) => g.start >= t0 && g.start <= t0 + doneMs);
    const inside = during.filter(inBlock);
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    const s = rt.warmUpStats;
    const out: Trial = {
      mode,
      warmedUp: s.warmedUp,
      statsMs: s.ms,
      statsWall: s.wallMs,
      statsLongest: s.longestMs,
      blocks: blocks.length,
      blockWall: sum(blocks.map((b) => b.to - b.from)),
      blockCpu: sum(blocks.map((b) => b.cpu)),
      blockWaited: sum(blocks.map((b) => b.waited)),
      longestWall: Math.max(...blocks.map((b) => b.to - b.from)),
      gcIn: inside.length,
      gcInMs: sum(inside.map((g) => g.ms)),
      scavengeInMs: sum(inside.filter((g) => g.minor).map((g) => g.ms)),
      gcAllMs: sum(during.map((g) => g.ms)),
      doneMs,
      threadCpu,
      units: n,
      unitMs,
    };
    console.log(JSON.stringify(out));
  } finally {
    await rt.closeOpenClawPool();
    pair.dispose();
  }
}

async function main(): Promise<void> {
  const dir = await freshRunDir("warmup-busy");
  try {
    const sizes = values.mb!.split(",").map(Number);
    const files = sizes.map((mb, i) => resolve(dir, `agent${i}.jsonl`));
    sizes.forEach((mb, i) => writeFileSync(files[i]!, generateTranscript({ seed: 7 + i, targetBytes: mb * 1024 * 1024, branchProbability: 0.05, compactions: 2, erroredEmptyContent: false }).text));
    const indexDir = join(dir, "index");
    mkdirSync(indexDir, { mode: 0o700 });
    const self = [...process.execArgv, import.meta.filename, "--openclaw", root, "--files", files.join(","), "--index", indexDir, "--turn", values.turn!, "--retain", values.retain!, ...(values["import-openclaw"] ? ["--import-openclaw"] : [])];
    execFileSync(process.execPath, [...self, "--child", "seed"], { stdio: ["ignore", "ignore", "inherit"] });
    console.log(`OpenClaw ${version}, node ${process.version}${gcNote}, ${values.mb} MB, busy loop ${values.turn} ms per turn of ~2 ms units, ${values.retain} kept${values["import-openclaw"] ? ", OpenClaw's library imported" : ""}; load before ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    const modes = values.modes!.split(",");
    const trials: Trial[] = [];
    const f = (x: number) => x.toFixed(1);
    for (let i = 0; i < Number(values.pairs); i++) {
      for (const mode of i % 2 ? [...modes].reverse() : modes) {
        const out = execFileSync(process.execPath, [...self, "--child", mode], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
        const t = JSON.parse(out.trim().split("\n").at(-1)!) as Trial;
        trials.push(t);
        console.log(`  ${mode}: warmed ${t.warmedUp}, warmUpMs ${f(t.statsMs)} (wall ${f(t.statsWall)}, longest ${f(t.statsLongest)}); blocks ${t.blocks}: wall ${f(t.blockWall)} (waited ${f(t.blockWaited)}: on a CPU ${f(t.blockWall - t.blockWaited)}) threadCpuUsage ${f(t.blockCpu)} longest ${f(t.longestWall)}; GC in them ${t.gcIn} ${f(t.gcInMs)} ms (scavenges ${f(t.scavengeInMs)}), all GC ${f(t.gcAllMs)}; done ${t.doneMs.toFixed(0)} ms, thread CPU ${t.threadCpu.toFixed(0)}, units ${t.units} x ${t.unitMs.toFixed(2)} ms`);
      }
    }
    for (const mode of modes) {
      const ts = trials.filter((t) => t.mode === mode);
      const m = (g: (t: Trial) => number) => f(median(ts.map(g)));
      console.log(`${mode.padEnd(6)}: warmUpMs ${m((t) => t.statsMs)} (wall ${m((t) => t.statsWall)}), blocks' wall ${m((t) => t.blockWall)}, waited ${m((t) => t.blockWaited)}, on a CPU ${m((t) => t.blockWall - t.blockWaited)} (threadCpuUsage ${m((t) => t.blockCpu)}), longest ${m((t) => t.longestWall)}, ${m((t) => t.blocks)} blocks; GC in them ${m((t) => t.gcInMs)} ms (scavenges ${m((t) => t.scavengeInMs)}, ${m((t) => t.gcIn)} GCs); done at ${m((t) => t.doneMs)} ms; unit ${m((t) => t.unitMs)} ms; ${ts.length} processes (medians)`);
    }
    console.log(`load after ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  } finally {
    await removeDir(dir);
  }
}

if (values.child === "seed") {
  const pair = await loadSessionManagerPair(root, version, runtimeUrl, `-seed${process.pid}`);
  if (typeof pair === "string") throw new Error(pair);
  await pair.runtime.configureOpenClawPool({ indexDir: values.index! });
  for (const file of values.files!.split(",")) await pair.runtime.prepareSession(file);
  await pair.runtime.closeOpenClawPool();
  pair.dispose();
} else if (values.child) await child(values.child, values.files!.split(","), values.index!);
else await main();
