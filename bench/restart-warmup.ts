/**
 * The restart warm-up (src/openclaw/restart-warmup.ts, issue #11 first turns): a restarted process's first
 * open of a transcript with the warm-up (B) and without (A). Each trial is a NEW process (V8's code cold, as
 * after a gateway restart), alternated A B / B A, on the same transcript and the same persistent index (saved
 * once by a seeding process; no trial writes the file). In each: the release's served SessionManager (the
 * chunk as the preload serves it, bench/lib/openclaw-session-manager.ts) and ctxc's pool on the index; B runs
 * the warm-up and reports its main-thread CPU; then the first turn's prewarm (ctxc's worker read) and
 * `SessionManager.open` (2026.5.28–6.8: OpenClaw's, loading through the served `loadEntriesFromFile`;
 * 2026.5.12–5.27: pi's, wrapped as the preload wraps it) — whose main-thread CPU (process.threadCpuUsage on Node 23.9+, /proc schedstat on 22; wall beside it) is the
 * figure — and a later turn's (OpenClaw's cache evicted, prewarm, open), for "no regression of later turns".
 * (threadCpuUsage moves in scheduler ticks here: a few-ms open reads 0 or one tick; wall is beside it.)
 *
 *     node dist/bench/restart-warmup.js [--openclaw 2026.7.35|ROOT] [--mb 28] [--pairs 5] [--first-start [--agents 3]] [--vs <dist>]
 *
 * `--vs <dist>`: the warm-up of another build against this one's — `<dist>` a copy of another checkout's dist/
 * (kept inside this package, e.g. .tmp/main/dist, so it finds node_modules): the trials A and B of each
 * build, alternated `vs`/`this` (vsA thisA vsB thisB, then back), on the same transcript and index; reported
 * per build and mode (A: its first open without a warm-up, B: with it). `--only A|B`: those trials alone.
 *
 * `--first-start`: a FIRST start (src/openclaw/first-start-warmup.ts): no index is seeded, each trial gets an
 * empty one, and the transcript is copied to `--agents` agents' session folders of a state dir. The start-up
 * proxy: the process imports OpenClaw's library entry (dist/index.js) and then does `--tail` (1500) fixed units of
 * main-thread work (~2 ms each here, one macrotask each, ~3 s in all: the main thread at event-loop utilisation ~1, as
 * OpenClaw 2026.7.35's start-up keeps it for ~14 s on the real gateway); its wall and CPU are the cost the
 * warm-up's reads may add by competing for the cores. The agents' first turns (prewarm, open) come right
 * after it, as the real gateway's came at its end. A: no warm-up; B: the warm-up, its whole-file reads
 * behind the free-core gate (first-start-warmup.ts `coreFreeBeforeColdReads`); C: behind the OLD gate, a
 * quiet main thread (kept here as {@link mainThreadQuiet}, the baseline). B and C find their candidates
 * as the preload does, 50 ms after the session code loaded. A B C / C B A alternated. Reported besides:
 * when the warm-up was done and what it warmed. `DEBUG_GATE=1`: the gates' windows.
 *
 * A benchmark, not a test (correctness: test/matrix/restart-warmup.test.ts); read it with the load printed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { freshRunDir, removeDir } from "./lib/data.js";
import { loadCopyingSessionManagers, loadSessionManagerPair, type Manager } from "./lib/openclaw-session-manager.js";
import { removeIntercepted } from "./lib/openclaw-intercepted.js";
import { locateRelease } from "../src/openclaw/release/locate.js";
import { piPackageDir, planRelease } from "../src/openclaw/release/plan.js";
import { DEFAULT_WARM_UP_COUNT, type WarmUpHelpers } from "../src/openclaw/restart-warmup.js";
import { coreFreeBeforeColdReads, DEFAULT_WARM_UP_DAYS, recentSince } from "../src/openclaw/first-start-warmup.js";
import type { WarmUpCandidate } from "../src/openclaw/restart-warmup.js";
import { ROOT } from "./lib/paths.js";
import { benchArgs, gc, gcNote, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { median } from "./lib/stats.js";
import { mainThreadCpu as threadCpu } from "./lib/thread-cpu.js";
import { unitOfWork } from "./lib/startup-unit.js";

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    mb: { type: "string", default: "28" },
    pairs: { type: "string", default: "5" },
    "first-start": { type: "boolean", default: false },
    agents: { type: "string", default: "3" },
    vs: { type: "string" },
    only: { type: "string" },
    tail: { type: "string", default: "1500" },
    state: { type: "string" },
    child: { type: "string" },
    file: { type: "string" },
    index: { type: "string" },
  },
});
const { root, version } = await openclawRelease(values.openclaw);
const runtimeUrl = preloadRuntimeUrl();

interface Trial {
  mode: string;
  warmUpCpu: number;
  warmUpMs: number;
  /** The warm-up's longest main-thread block, as it counts itself (warmUpStats.longestMs). */
  warmUpLongest: number;
  /** The longest the event loop was held during the warm-up, by a 1 ms timer chain (every block, the read's return included; ±1 ms). */
  loopDelayMax: number;
  warmedUp: number;
  firstCpu: number;
  firstWall: number;
  laterCpu: number;
  laterWall: number;
  indexesContinued: number;
  indexesFolded: number;
  /** --first-start: OpenClaw's library import (the start-up proxy), wall and main-thread CPU ms; the warm-up's end, ms after the session code loaded. */
  startupWall?: number;
  startupCpu?: number;
  warmUpDone?: number;
  /** --first-start: when the gate let the reads start, and when the first turns were done (ms after the session code loaded). */
  readsFrom?: number;
  turnsDone?: number;
  /** --first-start: what each gate window measured (B: free cores; C: the main thread's event-loop utilisation). */
  gateWindows?: number[];
}

type Runtime = typeof import("../src/openclaw/preload-runtime.js");
/** The release's served open: 2026.6.9+'s SessionManager chunk as the preload serves it, or 2026.5.12–5.27's pi wrapped. */
interface Served {
  rt: Runtime;
  open(path: string): Manager;
  /** OpenClaw's own entry cache dropped (2026.6.9+), as a gateway's other agents make it. */
  evict(path: string): void;
  helpers(): WarmUpHelpers;
  dispose(): void;
}

async function served(tag: string): Promise<Served> {
  const pair = await loadSessionManagerPair(root, version, runtimeUrl, tag);
  if (typeof pair !== "string") {
    pair.runtime.serveSnapshotOpens();
    return { rt: pair.runtime, open: (p) => pair.served.SM.open(p), evict: (p) => pair.served.cache.delete(p), helpers: () => pair.runtime.warmUpHelpers()!, dispose: pair.dispose };
  }
  // 2026.5.28–6.8: OpenClaw's SessionManager, its open the chunk's loadEntriesFromFile (no cache of its own).
  const copying = await loadCopyingSessionManagers(root, version, runtimeUrl);
  if (typeof copying !== "string") {
    const rt = copying.runtime;
    return { rt, open: (p) => copying.served.open(p), evict: () => {}, helpers: () => rt.warmUpHelpers() ?? {}, dispose: removeIntercepted };
  }
  const plan = planRelease(locateRelease(root, version), runtimeUrl);
  if (typeof plan === "string" || !plan.pi) throw new Error(`openclaw ${version}: ${pair}`);
  const rt = (await import(runtimeUrl)) as Runtime;
  const pi = (await import(pathToFileURL(join(piPackageDir(locateRelease(root, version).piSessionManagerImporter!)!, "dist", "index.js")).href)) as { SessionManager: { open(p: string): Manager } };
  const SM = rt.wrapSessionManager(pi.SessionManager, plan.pi);
  return { rt, open: (p) => SM.open(p), evict: () => {}, helpers: () => ({ pi: true }), dispose: () => {} };
}

/**
 * `DEBUG_STEPS=1`: the warm-up's steps, each one's block (from the end of the pause before it to the next
 * pause: the step's own block) timed and printed to stderr per phase when the build moves on or ends.
 */
function stepTimes(): { between: (phase: "build" | "fold") => Promise<void> } {
  let last = performance.now();
  let phase = "build";
  let times: number[] = [];
  const flush = () => {
    const sorted = [...times].sort((x, y) => y - x);
    console.error(`${phase}: ${times.length} steps, ${times.reduce((x, y) => x + y, 0).toFixed(1)} ms, first ${times.slice(0, 3).map((t) => t.toFixed(2)).join(" ")}, longest ${sorted.slice(0, 3).map((t) => t.toFixed(2)).join(" ")}, median ${median(times).toFixed(2)}`);
    times = [];
  };
  process.once("beforeExit", flush);
  return {
    between: async (next) => {
      times.push(performance.now() - last);
      if (next !== phase) {
        flush();
        phase = next;
      }
      await new Promise((done) => setTimeout(done, 0));
      last = performance.now();
    },
  };
}

/** One trial (`--child A|B`): a fresh process's first and second open of `file`, with or without the warm-up. */
async function child(mode: string, file: string, indexDir: string): Promise<void> {
  const side = await served(`-warm${process.pid}`);
  const rt = side.rt;
  try {
    await rt.configureOpenClawPool({ indexDir, idleTimeoutMs: 60_000 });
    let warmUpCpu = 0;
    let loopDelayMax = 0;
    if (mode === "B") {
      // A 1 ms timer chain: how late each fires is how long something held the loop. It is ref'd, so it also
      // keeps this process alive while the warm-up waits between its steps (its own timers are unref'd).
      let probe: NodeJS.Timeout | undefined;
      const tick = (due: number) => {
        probe = setTimeout(() => {
          loopDelayMax = Math.max(loopDelayMax, performance.now() - due);
          tick(performance.now() + 1);
        }, 1);
      };
      tick(performance.now() + 1);
      const c0 = threadCpu();
      await rt.runRestartWarmUp([{ path: file, savedMs: 0, size: 1 }], side.helpers(), process.env.DEBUG_STEPS ? stepTimes() : undefined);
      warmUpCpu = threadCpu(c0);
      // The warm-up's last block may have run in this very macrotask: let the probe fire once after it.
      await new Promise((done) => setTimeout(done, 1));
      clearTimeout(probe);
    }
    const prewarm = rt.wrapPrewarm(async () => {});
    const open = (): [number, number, Manager] => {
      gc();
      const c0 = threadCpu();
      const t0 = performance.now();
      const sm = side.open(file);
      return [threadCpu(c0), performance.now() - t0, sm];
    };
    await prewarm(file);
    const [firstCpu, firstWall, sm] = open();
    if ((sm.getEntries() as unknown[]).length === 0) throw new Error("the open found no entries");
    side.evict(file);
    await prewarm(file);
    const [laterCpu, laterWall] = open();
    const s = rt.warmUpStats;
    const out: Trial = { mode, warmUpCpu, warmUpMs: s.ms, warmUpLongest: s.longestMs, loopDelayMax, warmedUp: s.warmedUp, firstCpu, firstWall, laterCpu, laterWall, indexesContinued: rt.counters.indexesContinued || rt.counters.sessionsContinued, indexesFolded: rt.counters.indexesFolded };
    console.log(JSON.stringify(out));
  } finally {
    await rt.closeOpenClawPool();
    side.dispose();
  }
}

/** The agents' transcripts in the state dir `state` (--first-start). */
const agentFiles = (state: string): string[] => Array.from({ length: Number(values.agents) }, (_, i) => resolve(state, "agents", `a${i}`, "sessions", "s.jsonl"));

/**
 * The OLD gate (first-start-warmup.ts until 2026-12-05), C's: two 200 ms windows in a row with the main
 * thread's event-loop utilisation < 0.25 and the window's timer ≤ 40 ms late, at most 20 s.
 */
async function mainThreadQuiet(list: readonly WarmUpCandidate[], windows?: (u: number) => void): Promise<void> {
  if (!list.some((c) => c.unindexed)) return;
  const deadline = performance.now() + 20_000;
  let [quiet, from] = [0, performance.eventLoopUtilization()];
  while (performance.now() < deadline) {
    const due = performance.now() + 200;
    await new Promise<void>((done) => setTimeout(done, 200).unref());
    const late = performance.now() - due;
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, from).utilization || 0;
    from = now;
    windows?.(u);
    quiet = u < 0.25 && late <= 40 ? quiet + 1 : 0;
    if (quiet >= 2) return;
  }
}


/**
 * One --first-start trial: an empty index; B's and C's warm-up (candidates as the preload finds them) runs
 * while the start-up proxy runs, A's does not; then each agent's first turn.
 */
async function firstStartChild(mode: string, state: string, indexDir: string): Promise<void> {
  const side = await served(`-first${process.pid}`);
  const rt = side.rt;
  try {
    await rt.configureOpenClawPool({ indexDir, idleTimeoutMs: 60_000 });
    rt.serveSnapshotOpens();
    void rt.startOpenClawPool();
    const loaded = performance.now();
    const at = () => (performance.now() - loaded).toFixed(0);
    const gateWindows: number[] = [];
    const debug = (x: number) => {
      gateWindows.push(x);
      if (process.env.DEBUG_GATE) console.error(`${mode} gate window ${x.toFixed(2)} at ${at()} ms`);
    };
    let warmUpDone: number | undefined;
    let readsFrom: number | undefined;
    const warming =
      mode !== "A"
        ? (async () => {
            await sleep(50);
            const list = rt.selectWarmUp(await rt.findWarmUpCandidates(state, indexDir, recentSince(DEFAULT_WARM_UP_DAYS)), { count: DEFAULT_WARM_UP_COUNT, bytes: rt.entryCache.entryCacheLimit() });
            await (mode === "B" ? coreFreeBeforeColdReads(list, { windows: debug }) : mainThreadQuiet(list, debug));
            readsFrom = performance.now() - loaded;
            await rt.runRestartWarmUp(list, side.helpers());
            warmUpDone = performance.now() - loaded;
          })()
        : undefined;
    // The warm-up's timers are unref'd (a gateway keeps its process alive; this bench keeps it alive here).
    const alive = setInterval(() => {}, 1000);
    const c0 = threadCpu();
    const t0 = performance.now();
    await import(pathToFileURL(join(root, "dist", "index.js")).href);
    for (let i = 0; i < Number(values.tail); i++) {
      unitOfWork();
      await new Promise((done) => setImmediate(done));
    }
    const [startupCpu, startupWall] = [threadCpu(c0), performance.now() - t0];
    const prewarm = rt.wrapPrewarm(async () => {});
    let [firstCpu, firstWall] = [0, 0];
    for (const file of agentFiles(state)) {
      await prewarm(file);
      gc();
      const c1 = threadCpu();
      const t1 = performance.now();
      const sm = side.open(file);
      [firstCpu, firstWall] = [firstCpu + threadCpu(c1), firstWall + performance.now() - t1];
      if ((sm.getEntries() as unknown[]).length === 0) throw new Error("the open found no entries");
    }
    const turnsDone = performance.now() - loaded;
    await warming;
    clearInterval(alive);
    const s = rt.warmUpStats;
    const out: Trial = { mode, warmUpCpu: 0, warmUpMs: s.ms, warmUpLongest: s.longestMs, loopDelayMax: 0, warmedUp: s.warmedUp, firstCpu, firstWall, laterCpu: 0, laterWall: 0, indexesContinued: rt.counters.indexesContinued || rt.counters.sessionsContinued, indexesFolded: rt.counters.indexesFolded, startupWall, startupCpu, warmUpDone, readsFrom, turnsDone, gateWindows };
    console.log(JSON.stringify(out));
  } finally {
    await rt.closeOpenClawPool();
    side.dispose();
  }
}

/** --first-start: the agents' copies in a state dir, an empty index per trial; the trials alternated as in {@link main}. */
async function firstStartMain(): Promise<void> {
  const dir = await freshRunDir("first-start-warmup");
  try {
    const state = join(dir, "state");
    const text = generateTranscript({ seed: 7, targetBytes: Number(values.mb) * 1024 * 1024, branchProbability: 0.05, compactions: 2, erroredEmptyContent: false }).text;
    for (const file of agentFiles(state)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    console.log(`OpenClaw ${version}, node ${process.version}${gcNote}, first start, ${values.agents} agents x ${values.mb} MB; load before ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    const trials: Trial[] = [];
    for (let i = 0; i < Number(values.pairs); i++) {
      for (const mode of i % 2 ? ["C", "B", "A"] : ["A", "B", "C"]) {
        const indexDir = join(dir, `index-${i}${mode}`);
        mkdirSync(indexDir, { mode: 0o700 });
        const args = [...process.execArgv, import.meta.filename, "--openclaw", root, "--agents", values.agents!, "--state", state, "--index", indexDir, "--first-start", "--tail", values.tail!, "--child", mode];
        const t = JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").at(-1)!) as Trial;
        trials.push(t);
        console.log(`  ${mode}: start-up ${t.startupWall!.toFixed(0)} ms wall (${t.startupCpu!.toFixed(0)} CPU), first opens ${t.firstCpu.toFixed(1)} ms CPU (${t.firstWall.toFixed(1)} wall, done at ${t.turnsDone!.toFixed(0)} ms), warmed ${t.warmedUp} (reads from ${t.readsFrom?.toFixed(0) ?? "-"} ms, build ${t.warmUpMs.toFixed(1)} ms, done at ${t.warmUpDone?.toFixed(0) ?? "-"} ms), continued ${t.indexesContinued} folded ${t.indexesFolded}${t.gateWindows?.length ? `; gate: ${t.gateWindows.length} windows, median ${median(t.gateWindows).toFixed(2)}, max ${Math.max(...t.gateWindows).toFixed(2)}` : ""}`);
      }
    }
    for (const mode of ["A", "B", "C"]) {
      const ts = trials.filter((t) => t.mode === mode);
      const m = (f: (t: Trial) => number) => median(ts.map(f)).toFixed(1);
      console.log(`${{ A: "A (no warm-up)       ", B: "B (free-core gate)   ", C: "C (quiet-thread gate)" }[mode]}: start-up median ${m((t) => t.startupWall!)} ms wall (${m((t) => t.startupCpu!)} CPU), first opens ${m((t) => t.firstCpu)} ms CPU (wall ${m((t) => t.firstWall)}), warmed ${m((t) => t.warmedUp)}, reads from ${m((t) => t.readsFrom ?? 0)} ms, warm-up build ${m((t) => t.warmUpMs)} ms, done at ${m((t) => t.warmUpDone ?? 0)} ms, ${ts.length} processes`);
    }
    console.log(`load after ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  } finally {
    await removeDir(dir);
  }
}

/** Seeds the index (a first read with the pool on it), then runs the trials, each a process of its own. */
async function main(): Promise<void> {
  const dir = await freshRunDir("restart-warmup");
  try {
    const file = resolve(dir, "agent.jsonl");
    const indexDir = join(dir, "index");
    mkdirSync(indexDir, { mode: 0o700 });
    writeFileSync(file, generateTranscript({ seed: 7, targetBytes: Number(values.mb) * 1024 * 1024, branchProbability: 0.05, compactions: 2, erroredEmptyContent: false }).text);
    const self = [...process.execArgv, import.meta.filename, "--openclaw", root, "--file", file, "--index", indexDir];
    execFileSync(process.execPath, [...self, "--child", "seed"], { stdio: ["ignore", "ignore", "inherit"] });
    console.log(`OpenClaw ${version}, node ${process.version}${gcNote}, ${values.mb} MB; load before ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    const trials: Trial[] = [];
    // --vs: A and B of the other build ("vs…") and of this one ("this…"), the other's child started from its own dist.
    const modes = (values.vs ? ["vsA", "thisA", "vsB", "thisB"] : ["A", "B"]).filter((m) => !values.only || m.endsWith(values.only));
    const other = values.vs && resolve(values.vs, "bench", "restart-warmup.js");
    for (let i = 0; i < Number(values.pairs); i++) {
      for (const mode of i % 2 ? [...modes].reverse() : modes) {
        const args = mode.startsWith("vs") ? [...process.execArgv, other!, ...self.slice(process.execArgv.length + 1)] : self;
        const out = execFileSync(process.execPath, [...args, "--child", mode.at(-1)!], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
        const t = { ...(JSON.parse(out.trim().split("\n").at(-1)!) as Trial), mode };
        trials.push(t);
        console.log(`  ${mode}: first open ${t.firstCpu.toFixed(1)} ms CPU (${t.firstWall.toFixed(1)} wall), later open ${t.laterCpu.toFixed(1)} (${t.laterWall.toFixed(1)} wall), warm-up ${t.warmUpCpu.toFixed(1)} ms CPU (build ${t.warmUpMs.toFixed(1)} ms, longest block ${t.warmUpLongest.toFixed(1)}, loop held at most ${t.loopDelayMax.toFixed(1)}), continued ${t.indexesContinued} (index or, pi, sessions) folded ${t.indexesFolded}`);
      }
    }
    for (const mode of modes) {
      const ts = trials.filter((t) => t.mode === mode);
      const m = (f: (t: Trial) => number) => median(ts.map(f)).toFixed(1);
      const label = values.vs ? `${mode.at(-1)} of ${mode.startsWith("vs") ? values.vs : "this build"}` : mode === "A" ? "A (no warm-up)" : "B (warm-up)   ";
      console.log(`${label}: first open median ${m((t) => t.firstCpu)} ms CPU (wall ${m((t) => t.firstWall)}), later open ${m((t) => t.laterCpu)} (wall ${m((t) => t.laterWall)}), warm-up ${m((t) => t.warmUpCpu)} ms CPU (its build ${m((t) => t.warmUpMs)}, longest block ${m((t) => t.warmUpLongest)}, loop held at most ${m((t) => t.loopDelayMax)}), ${ts.length} processes`);
    }
    console.log(`load after ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  } finally {
    await removeDir(dir);
  }
}

if (values.child === "seed") {
  const side = await served(`-seed${process.pid}`);
  await side.rt.configureOpenClawPool({ indexDir: values.index! });
  await side.rt.prepareSession(values.file!);
  await side.rt.closeOpenClawPool();
  side.dispose();
} else if (values.child && values["first-start"]) await firstStartChild(values.child, values.state!, values.index!);
else if (values.child) await child(values.child, values.file!, values.index!);
else if (values["first-start"]) await firstStartMain();
else await main();
