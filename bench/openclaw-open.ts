/**
 * Main-thread cost of one session open after one appended entry (issue #11 item 3), on an OpenClaw
 * release's own SessionManager: stock, ctxc without the entry cache (every entry decoded each turn), and
 * ctxc with it (the previous turn's frozen entries + the appended one). A benchmark, not a test.
 *
 *   node dist/bench/openclaw-open.js [--openclaw 2026.7.35|ROOT] [--sizes 1,10,28,100] [--turns 5] [--modes stock,before,after]
 *
 * `--openclaw`: an installed release or an OpenClaw package folder (bench/lib/run-setup.ts; run it with the
 * Node that release asks for, which the bench names otherwise). Per size and mode, a fresh copy of a generated transcript
 * (compactions every ~700 KB, as the real-gateway bench seeds them) is opened once (cold), then per turn:
 * one entry appended, ctxc's worker read awaited (the preload's prewarm), `SessionManager.open` timed.
 * Reported per mode: the main thread's busy time over prewarm + open (event-loop utilization: the
 * worker's reply handled, the synchronous open), median and minimum over the turns — on a shared
 * machine the busy time also counts time the thread was descheduled, the minimum least so. (Per-thread
 * CPU time is no better here: the kernel accounts it in scheduler ticks, too coarse for a few ms.)
 *
 * 2026.5.12–5.27 (pi's SessionManager, wrapped by the preload): `--openclaw` its package. "before" decodes every
 * entry fresh (the entry cache off), "after" hands out lazy-entries.ts copies of the kept entries, whose
 * object fields are copied on first read — so the "+ reads" columns (the open plus what the run then
 * reads) are the ones to compare there. The same holds on 2026.5.28–6.8 (`loadEntriesFromFile`).
 * Since the kept buffers (kept-buffers.ts), 2026.5.12's "before" (nothing kept) builds every entry
 * from the worker's whole buffer each turn and "after" from the kept buffers plus the appended one;
 * both without a `JSON.parse` per line. The FIRST open of each mode (turn 0: nothing kept in the
 * process) is reported in its own table — the cost the issue's report says hurts most. Beside the
 * synchronous open's wall time, its main-thread CPU time (lib/thread-cpu.ts `mainThreadRunMs`): on a
 * loaded shared host the wall time counts the waits for a core, the CPU time does not (but it is up to a
 * scheduler tick off at either end: read it for the first opens, tens of ms, not for a later open of 1 ms).
 */
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { median, round } from "./lib/stats.js";
import { mainThreadRunMs } from "./lib/thread-cpu.js";
import { benchArgs, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { locateRelease } from "../src/openclaw/release/locate.js";
import { planRelease } from "../src/openclaw/release/plan.js";
import { closeOpenClawPool } from "../src/openclaw/index.js";

type Runtime = typeof import("../src/openclaw/preload-runtime.js");
interface SessionManagerClass {
  open(path: string): { fileEntries?: unknown[]; getEntries(): unknown[]; buildSessionContext(): { messages: unknown[] } };
}

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    sizes: { type: "string", default: "1,10,28,100" },
    turns: { type: "string", default: "5" },
    /** Which modes to run (a mode left out shows "—"): e.g. `--modes after` for the later opens alone. */
    modes: { type: "string", default: "stock,before,after" },
  },
});
const { root, version } = await openclawRelease(values.openclaw);
const sizes = values.sizes.split(",").map(Number);
const turns = Number(values.turns);
const modes = new Set(values.modes.split(","));
const RUNTIME_URL = preloadRuntimeUrl();

/** The release's SessionManager: stock (its real chunk) and as the preload serves it (rewritten chunk / pi wrapper). */
async function sessionManagers(): Promise<{ stock: SessionManagerClass; ctxc: SessionManagerClass; runtime: Runtime; cleanup: () => void }> {
  const plan = planRelease(locateRelease(root, version), RUNTIME_URL, true);
  if (typeof plan === "string") throw new Error(plan);
  const runtime = (await import(RUNTIME_URL)) as Runtime;
  const isSM = (v: unknown): v is SessionManagerClass => typeof v === "function" && v.name === "SessionManager" && typeof (v as unknown as SessionManagerClass).open === "function";
  const entry = Object.entries(plan.chunks).find(([, source]) => source.includes("as __ctxc_loadEntriesFromFileWithSnapshot,") || source.includes("as __ctxc_loadEntriesFromFile,"));
  if (entry) {
    const real = fileURLToPath(entry[0]);
    const stock = Object.values((await import(entry[0])) as Record<string, unknown>).find(isSM);
    const file = real.replace(/\.m?js$/, `.ctxc-bench-${process.pid}.js`);
    writeFileSync(file, entry[1]);
    const ctxc = Object.values((await import(pathToFileURL(file).href)) as Record<string, unknown>).find(isSM);
    if (!stock || !ctxc) throw new Error("SessionManager not exported by the session-manager chunk");
    return { stock, ctxc, runtime, cleanup: () => rmSync(file, { force: true }) };
  }
  // 2026.5.12–5.27: pi's SessionManager, wrapped as the preload's resolve hook serves it (with the pi variant's rules).
  if (!plan.pi) throw new Error(`no SessionManager served in ${root}: ${plan.stock.join("; ")}`);
  const piDir = [join(root, "node_modules"), join(root, "..")].map((d) => join(d, "@earendil-works", "pi-coding-agent", "dist", "index.js")).find((f) => existsSync(f));
  if (!piDir) throw new Error(`no SessionManager chunk served and no pi-coding-agent next to ${root}`);
  const pi = (await import(pathToFileURL(piDir).href)) as { SessionManager: SessionManagerClass };
  return { stock: pi.SessionManager, ctxc: runtime.wrapSessionManager(pi.SessionManager, plan.pi), runtime, cleanup: () => undefined };
}

const entryLine = (i: number, parentId: string | null) =>
  JSON.stringify({
    type: "message",
    id: `bench${i.toString(16).padStart(4, "0")}`,
    parentId,
    timestamp: new Date(Date.UTC(2026, 0, 6, 0, 0, i)).toISOString(),
    message: { role: "user", content: `turn ${i}: ${"lorem ipsum dolor sit amet ".repeat(20)}`, timestamp: 1767657600000 + i },
  }) + "\n";

async function measure(SM: SessionManagerClass, runtime: Runtime | null, template: string, dir: string, name: string) {
  const path = join(dir, `${name}.jsonl`);
  copyFileSync(template, path);
  let parent = (JSON.parse(readFileSync(path, "utf8").trimEnd().split("\n").at(-1)!) as { id: string }).id;
  const busy: number[] = [];
  const again: number[] = [];
  const withReads: number[] = [];
  const alone: number[] = [];
  const aloneCpu: number[] = [];
  let first = 0;
  let firstAlone = 0;
  let firstCpu: number | undefined;
  let firstWithReads = 0;
  for (let t = 0; t <= turns + 1; t++) {
    if (t > 0) {
      appendFileSync(path, entryLine(t, parent));
      parent = `bench${t.toString(16).padStart(4, "0")}`;
    }
    const busyFrom = mainThreadBusy();
    if (runtime) await runtime.prepareSession(path);
    const cpuFrom = mainThreadRunMs();
    const openFrom = performance.now();
    const sm = SM.open(path);
    const openMs = performance.now() - openFrom;
    const cpuTo = mainThreadRunMs();
    const openCpu = cpuFrom === null || cpuTo === null ? undefined : cpuTo - cpuFrom;
    const used = busyFrom();
    if ((sm.fileEntries ?? sm.getEntries()).length < 2) throw new Error("nothing loaded");
    // What the run then reads (2026.5.12's run path, docs/openclaw.md §5): the context (pi reads every
    // path message's role for the model; the context's messages go to the model request in full) and
    // OpenClaw's scans of the custom entries' data. Copies made on read (lazy-entries.ts) count here.
    const readsFrom = performance.now();
    const context = sm.buildSessionContext();
    JSON.stringify(context.messages);
    for (const e of sm.getEntries() as { type?: unknown; customType?: unknown; data?: unknown }[]) if (e.type === "custom" && typeof e.customType === "string") void e.data;
    const readsMs = performance.now() - readsFrom;
    // The same file opened again, unchanged: 2026.6.9+ answers from its own entry cache (files up to 32
    // MiB) — OpenClaw's own per-open work, the floor for any open of this file.
    const busyAgain = mainThreadBusy();
    if (!runtime) SM.open(path);
    const againMs = busyAgain();
    // Turn 0 is the cold read (the first open of the session in this process: nothing kept yet), turn 1
    // the first continued one: the per-turn figures are measured from turn 2.
    if (t === 0) {
      first = used;
      firstAlone = openMs;
      firstCpu = openCpu;
      firstWithReads = used + readsMs;
    }
    if (t >= 2) {
      busy.push(used);
      again.push(againMs);
      withReads.push(used + readsMs);
      alone.push(openMs);
      if (openCpu !== undefined) aloneCpu.push(openCpu);
    }
  }
  const fmt = (xs: number[]) => `${round(median(xs), 1)} (${round(Math.min(...xs), 1)})`;
  return {
    mainThreadMs: fmt(busy),
    againMs: fmt(again),
    withReadsMs: fmt(withReads),
    aloneMs: fmt(alone),
    aloneCpuMs: aloneCpu.length ? fmt(aloneCpu) : "—",
    firstMs: round(first, 1),
    firstWithReadsMs: round(firstWithReads, 1),
    firstAloneMs: round(firstAlone, 1),
    firstCpuMs: firstCpu === undefined ? "—" : round(firstCpu, 1),
  };
}

/** Starts a main-thread busy-time measure; the returned function gives the ms since. */
function mainThreadBusy(): () => number {
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  // Synchronous work inside one callback does not show in ELU until the callback returns: count the
  // time since the start when nothing was awaited (the stock open and the repeated open).
  return () => Math.max(performance.eventLoopUtilization(elu).active, 0) || performance.now() - t0;
}

const dir = mkdtempSync(join(tmpdir(), "ctxc-open-bench-"));
const { stock, ctxc, runtime, cleanup } = await sessionManagers();
process.env.CTXC_OPENCLAW_LOG ??= join(dir, "preload.log");
const rows: string[] = [];
const firstRows: string[] = [];
try {
  console.log(`openclaw ${version}, node ${process.version}, ${turns} turns per size and mode (median), load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  for (const mb of sizes) {
    const template = join(dir, `t${mb}.jsonl`);
    const bytes = Math.round(mb * 1024 * 1024);
    writeFileSync(template, generateTranscript({ seed: 11, targetBytes: bytes, compactions: Math.max(1, Math.round(bytes / 700_000)), unicode: "mixed" }).text);
    const skipped = { mainThreadMs: "—", aloneMs: "—", aloneCpuMs: "—", againMs: "—", withReadsMs: "—", firstMs: "—", firstWithReadsMs: "—", firstAloneMs: "—", firstCpuMs: "—" };
    const s = modes.has("stock") ? await measure(stock, null, template, dir, `stock${mb}`) : skipped;
    runtime.entryCache.setEntryCacheLimit(0);
    const before = modes.has("before") ? await measure(ctxc, runtime, template, dir, `before${mb}`) : skipped;
    runtime.entryCache.setEntryCacheLimit(runtime.entryCache.DEFAULT_ENTRY_CACHE_BYTES);
    const after = modes.has("after") ? await measure(ctxc, runtime, template, dir, `after${mb}`) : skipped;
    const row = `| ${mb} MB | ${s.mainThreadMs} | ${s.againMs} | ${before.mainThreadMs} | ${after.mainThreadMs} | ${after.aloneMs} | ${after.aloneCpuMs} | ${s.withReadsMs} | ${before.withReadsMs} | ${after.withReadsMs} |`;
    rows.push(row);
    console.log(row);
    const firstRow = `| ${mb} MB | ${s.firstMs} | ${before.firstMs} | ${after.firstMs} | ${after.firstAloneMs} | ${after.firstCpuMs} | ${s.firstWithReadsMs} | ${before.firstWithReadsMs} | ${after.firstWithReadsMs} |`;
    firstRows.push(firstRow);
    console.log(firstRow);
    rmSync(template);
  }
  console.log(
    `\nmain-thread ms per open after one appended entry, median (min) of ${turns} turns; "+ reads": the open plus the run's reads (context built and serialised, custom entries' data)\n` +
      `| transcript | stock | stock, file unchanged (its own cache) | ctxc, every entry decoded (before) | ctxc, kept entries + appended (after) | after, the synchronous open alone | … its main-thread CPU | stock + reads | before + reads | after + reads |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n${rows.join("\n")}`,
  );
  console.log(
    `\nmain-thread ms of the FIRST open of each mode's session (nothing kept for it; one run each; "before" runs first in the process, "after" with the code already warm)\n` +
      `| transcript | stock | before | after | after, the synchronous open alone | … its main-thread CPU | stock + reads | before + reads | after + reads |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n${firstRows.join("\n")}`,
  );
  console.log(`counters: ${JSON.stringify(runtime.counters)}; load average at the end ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
} finally {
  cleanup();
  rmSync(dir, { recursive: true, force: true });
  await closeOpenClawPool();
}
