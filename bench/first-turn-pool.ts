/**
 * The worker pool started before the first turn (issue #11, a FIRST gateway start: src/openclaw/pool.ts
 * `startOpenClawPool`, which the preload runs when OpenClaw's session code loads): a new process's first
 * turn — the release's repair pass (ctxc's handler: its worker check) then the prewarm's read and the
 * session open — with the pool started beforehand (B) and without (A: the first request starts it). Each
 * trial is a NEW process, alternated A B / B A, on the same transcript, no persistent index (a first start).
 * Both wait `--idle` ms before the turn (OpenClaw's start-up between its session code loading and the first
 * message takes seconds). Reported: main-thread CPU of the repair pass and of prewarm + open (process.
 * threadCpuUsage on Node 23.9+, /proc schedstat on 22), and of that start-up window (B's less A's: what the
 * start costs the main thread at start-up). The transcript is the generator's, repaired once by stock's pass
 * before the trials (it holds what 2026.7.35 repairs), so every trial's pass is ctxc's check finding nothing.
 *
 *     node dist/bench/first-turn-pool.js [--openclaw 2026.7.35|ROOT] [--mb 10] [--pairs 5] [--idle 300]
 *
 * A benchmark, not a test; read it with the load printed.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { freshRunDir, removeDir } from "./lib/data.js";
import { loadSessionManagerPair, type Manager } from "./lib/openclaw-session-manager.js";
import { interceptedOrThrow, removeIntercepted } from "./lib/openclaw-intercepted.js";
import { benchArgs, gc, gcNote, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { median } from "./lib/stats.js";
import { mainThreadCpu as threadCpu } from "./lib/thread-cpu.js";

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    mb: { type: "string", default: "10" },
    pairs: { type: "string", default: "5" },
    idle: { type: "string", default: "300" },
    child: { type: "string" },
    file: { type: "string" },
  },
});
const { root, version } = await openclawRelease(values.openclaw);
const runtimeUrl = preloadRuntimeUrl();

interface Trial {
  mode: string;
  startCpu: number;
  repairCpu: number;
  repairWall: number;
  openCpu: number;
  repairsSkipped: number;
}

async function child(mode: string, file: string): Promise<void> {
  const repair = await interceptedOrThrow(root, "repairSessionFileIfNeeded", runtimeUrl);
  const pair = await loadSessionManagerPair(root, version, runtimeUrl, `-pool${process.pid}`);
  if (typeof pair === "string") throw new Error(`openclaw ${version}: ${pair}`);
  const rt = pair.runtime;
  try {
    await rt.configureOpenClawPool({ idleTimeoutMs: 60_000 });
    rt.serveSnapshotOpens();
    // The start-up window, both modes alike: B starts the pool in it (its main-thread cost is B's window less A's).
    gc();
    const w0 = threadCpu();
    if (mode === "B") setImmediate(() => void rt.startOpenClawPool());
    await sleep(Number(values.idle));
    const startCpu = threadCpu(w0);
    gc();
    let c0 = threadCpu();
    const t0 = performance.now();
    await repair.ctxc({ sessionFile: file, debug: () => {}, warn: () => {} });
    const repairCpu = threadCpu(c0);
    const repairWall = performance.now() - t0;
    c0 = threadCpu();
    await rt.wrapPrewarm(async () => {})(file);
    const sm = pair.served.SM.open(file) as Manager;
    const openCpu = threadCpu(c0);
    if ((sm.getEntries() as unknown[]).length === 0) throw new Error("the open found no entries");
    const out: Trial = { mode, startCpu, repairCpu, repairWall, openCpu, repairsSkipped: rt.counters.repairsSkipped };
    console.log(JSON.stringify(out));
  } finally {
    await rt.closeOpenClawPool();
    pair.dispose();
    removeIntercepted();
  }
}

async function main(): Promise<void> {
  const dir = await freshRunDir("first-turn-pool");
  try {
    const file = resolve(dir, "agent.jsonl");
    writeFileSync(file, generateTranscript({ seed: 7, targetBytes: Number(values.mb) * 1024 * 1024, branchProbability: 0.05, compactions: 2 }).text);
    const self = [...process.execArgv, import.meta.filename, "--openclaw", root, "--file", file, "--idle", values.idle!];
    execFileSync(process.execPath, [...self, "--child", "seed"], { stdio: ["ignore", "ignore", "inherit"] });
    console.log(`OpenClaw ${version}, node ${process.version}${gcNote}, ${values.mb} MB, idle ${values.idle} ms; load before ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    const trials: Trial[] = [];
    for (let i = 0; i < Number(values.pairs); i++) {
      for (const mode of i % 2 ? ["B", "A"] : ["A", "B"]) {
        const out = execFileSync(process.execPath, [...self, "--child", mode], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
        const t = JSON.parse(out.trim().split("\n").at(-1)!) as Trial;
        trials.push(t);
        console.log(`  ${mode}: repair pass ${t.repairCpu.toFixed(1)} ms CPU (${t.repairWall.toFixed(1)} wall, skipped ${t.repairsSkipped}), prewarm + open ${t.openCpu.toFixed(1)} ms CPU, start-up window ${t.startCpu.toFixed(1)} ms CPU`);
      }
    }
    for (const mode of ["A", "B"]) {
      const ts = trials.filter((t) => t.mode === mode);
      const m = (f: (t: Trial) => number) => median(ts.map(f)).toFixed(1);
      console.log(`${mode === "A" ? "A (pool on first use)" : "B (pool started)    "}: repair pass median ${m((t) => t.repairCpu)} ms CPU (wall ${m((t) => t.repairWall)}), prewarm + open ${m((t) => t.openCpu)}, first turn ${m((t) => t.repairCpu + t.openCpu)}, start-up window ${m((t) => t.startCpu)} ms CPU, ${ts.length} processes`);
    }
    console.log(`load after ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  } finally {
    await removeDir(dir);
  }
}

if (values.child === "seed") {
  const repair = await interceptedOrThrow(root, "repairSessionFileIfNeeded", runtimeUrl);
  await repair.openclaw({ sessionFile: values.file!, debug: () => {}, warn: () => {} });
  removeIntercepted();
} else if (values.child) await child(values.child, values.file!);
else await main();
