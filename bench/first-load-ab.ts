/**
 * The first `setLoadedSessionFile` of a file after a restart (issue #11: the first turn's open), two builds
 * A/B alternated in ONE process: each build's served SessionManager (the release's chunk as the preload
 * serves it, bench/lib/openclaw-session-manager.ts) and the release's stock one, each given the same loaded
 * entries for a file no record stands for (a new path per call: nothing of an earlier call continues). The
 * figure is the main thread's CPU time of the call (process.threadCpuUsage, Node 23.9+; wall time beside
 * it): on a build before 2026-12-04's first fold, stock's partition + `buildIndex` plus ctxc's record of the
 * index; after it, ctxc's fold from the header (release/loaded-index.ts `headerRecord`).
 *
 *     node --expose-gc dist/bench/first-load-ab.js --a /path/to/other/dist/src/openclaw/preload-runtime.js \
 *       [--b dist's] [--openclaw 2026.7.35|ROOT] [--mb 28] [--reps 20]
 *
 * The entries are the generated transcript's lines parsed and frozen (as the records need: ctxc's own frozen
 * entries are what a gateway's open hands; the call reads only their top-level scalars). A benchmark, not a
 * test: read the figures with the load average it prints.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { freshRunDir, removeDir } from "./lib/data.js";
import { loadSessionManagerPair, type Side } from "./lib/openclaw-session-manager.js";
import { benchArgs, gc, gcNote, openclawRelease, preloadRuntimeUrl, usageExit } from "./lib/run-setup.js";
import { median } from "./lib/stats.js";
import { hasThreadCpu, threadCpuMs } from "./lib/thread-cpu.js";

const { values } = benchArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    openclaw: { type: "string" },
    mb: { type: "string", default: "28" },
    reps: { type: "string", default: "20" },
  },
});
if (!values.a) usageExit("--a <preload-runtime.js of the other build> is required");
const { root, version } = await openclawRelease(values.openclaw);
const url = (p: string) => pathToFileURL(resolve(p)).href;
const runtimes = { A: url(values.a), B: values.b ? url(values.b) : preloadRuntimeUrl() };

async function main(): Promise<void> {
  const sides: Record<string, Side> = {};
  const disposers: (() => void)[] = [];
  for (const [name, rt] of Object.entries(runtimes)) {
    const pair = await loadSessionManagerPair(root, version, rt, `-ab${name}`);
    if (typeof pair === "string") throw new Error(`openclaw ${version}: ${pair}`);
    disposers.push(pair.dispose);
    sides[name] = pair.served;
    sides.stock ??= pair.stock;
  }
  const dir = await freshRunDir("first-load-ab");
  try {
    const text = generateTranscript({ seed: 7, targetBytes: Number(values.mb) * 1024 * 1024, branchProbability: 0.05, compactions: 2 }).text;
    const lines = text.trimEnd().split("\n");
    const rest = lines.slice(1).map((l) => Object.freeze(JSON.parse(l) as object));
    console.log(`OpenClaw ${version}, node ${process.version}${gcNote}, ${values.mb} MB, ${rest.length + 1} entries; A ${runtimes.A}; B ${runtimes.B}; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    const headerFile = join(dir, "header.jsonl");
    writeFileSync(headerFile, `${lines[0]}\n`);
    const cpu: Record<string, number[]> = {};
    const wall: Record<string, number[]> = {};
    let n = 0;
    let indexed: number | undefined;
    const reps = Number(values.reps);
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 ? ["B", "A", "stock"] : ["A", "B", "stock"];
      for (const name of order) {
        const file = join(dir, `f${++n}.jsonl`); // a path no record stands for
        writeFileSync(file, `${lines[0]}\n`);
        const sm = sides[name]!.SM.open(headerFile);
        const loaded = { entries: [JSON.parse(lines[0]!), ...rest], snapshot: undefined };
        gc();
        const c0 = threadCpuMs();
        const t0 = performance.now();
        sm.setLoadedSessionFile(file, loaded);
        const ms = performance.now() - t0;
        const used = threadCpuMs() - c0;
        (wall[name] ??= []).push(ms);
        (cpu[name] ??= []).push(hasThreadCpu ? used : ms);
        // Every side indexed the same entries (the lockstep test compares the whole state: this only guards the bench).
        indexed ??= sm.byId.size;
        if (sm.byId.size !== indexed || indexed === 0) throw new Error(`${name}: ${sm.byId.size} entries indexed, not ${indexed}`);
      }
    }
    for (const name of ["A", "B", "stock"]) {
      const c = cpu[name]!;
      // The first call is the side's code still cold, as a gateway's first turn after a restart runs it.
      console.log(`${name}: thread CPU median ${median(c).toFixed(2)} ms (min ${Math.min(...c).toFixed(2)}, first ${c[0]!.toFixed(2)}), wall median ${median(wall[name]!).toFixed(2)} ms, ${c.length} calls`);
    }
    console.log(`load after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  } finally {
    for (const d of disposers) d();
    await removeDir(dir);
  }
}

await main();
