/**
 * Main-thread cost of one session open after one appended entry (issue #11 item 3), on an OpenClaw
 * release's own SessionManager: stock, ctxc without the entry cache (every entry decoded each turn), and
 * ctxc with it (the previous turn's frozen entries + the appended one). A benchmark, not a test.
 *
 *   node dist/bench/openclaw-open.js [--openclaw ROOT] [--sizes 1,10,28,100] [--turns 5]
 *
 * ROOT: an installed OpenClaw package (default: .cache/openclaw/2026.7.35/node_modules/openclaw; run it
 * with the Node that release asks for). Per size and mode, a fresh copy of a generated transcript
 * (compactions every ~700 KB, as the real-gateway bench seeds them) is opened once (cold), then per turn:
 * one entry appended, ctxc's worker read awaited (the preload's prewarm), `SessionManager.open` timed.
 * Reported: the median over the turns of the synchronous open's wall time, and of the main thread's CPU
 * time over prewarm + open (the worker's reply handled, the open; `process.threadCpuUsage` where Node
 * has it (≥ 23.9), else event-loop busy time, which also counts time the thread was descheduled).
 *
 * 2026.5.12 (pi's SessionManager, wrapped by the preload): `--openclaw` its package; the entry cache is
 * not used there (see docs/openclaw.md §5), so "before" and "after" are the same code.
 */
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { median, round } from "./lib/stats.js";
import { locateRelease } from "../src/openclaw/release/locate.js";
import { planRelease } from "../src/openclaw/release/plan.js";
import { closeOpenClawPool } from "../src/openclaw/index.js";

type Runtime = typeof import("../src/openclaw/preload-runtime.js");
interface SessionManagerClass {
  open(path: string): { fileEntries?: unknown[]; getEntries(): unknown[] };
}

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const here = fileURLToPath(new URL(".", import.meta.url));
const repo = resolve(here, "..", "..");
const root = resolve(arg("openclaw", join(repo, ".cache", "openclaw", "2026.7.35", "node_modules", "openclaw")));
const sizes = arg("sizes", "1,10,28,100").split(",").map(Number);
const turns = Number(arg("turns", "5"));
const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
const RUNTIME_URL = pathToFileURL(join(repo, "dist", "src", "openclaw", "preload-runtime.js")).href;

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
  // 2026.5.12: pi's SessionManager, wrapped as the preload's resolve hook serves it.
  const pi = (await import(pathToFileURL(join(root, "node_modules", "@earendil-works", "pi-coding-agent", "dist", "index.js")).href)) as { SessionManager: SessionManagerClass };
  return { stock: pi.SessionManager, ctxc: runtime.wrapSessionManager(pi.SessionManager), runtime, cleanup: () => undefined };
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
  const opens: number[] = [];
  const busy: number[] = [];
  for (let t = 0; t <= turns + 1; t++) {
    if (t > 0) {
      appendFileSync(path, entryLine(t, parent));
      parent = `bench${t.toString(16).padStart(4, "0")}`;
    }
    const cpu = mainThreadCpu();
    if (runtime) await runtime.prepareSession(path);
    const t0 = performance.now();
    const sm = SM.open(path);
    const openMs = performance.now() - t0;
    const used = cpu();
    if ((sm.fileEntries ?? sm.getEntries()).length < 2) throw new Error("nothing loaded");
    // Turn 0 is the cold read, turn 1 the first continued one: measured from turn 2.
    if (t >= 2) {
      opens.push(openMs);
      busy.push(used);
    }
  }
  return { openMs: round(median(opens), 1), mainThreadMs: round(median(busy), 1) };
}

/** Starts a main-thread CPU measure; the returned function gives the ms since. */
function mainThreadCpu(): () => number {
  const threadCpu = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
  if (threadCpu) {
    const a = threadCpu.call(process);
    return () => {
      const b = threadCpu.call(process);
      return (b.user - a.user + b.system - a.system) / 1000;
    };
  }
  const elu = performance.eventLoopUtilization();
  return () => performance.eventLoopUtilization(elu).active;
}

const dir = mkdtempSync(join(tmpdir(), "ctxc-open-bench-"));
const { stock, ctxc, runtime, cleanup } = await sessionManagers();
process.env.CTXC_OPENCLAW_LOG ??= join(dir, "preload.log");
const rows: string[] = [];
try {
  console.log(`openclaw ${version}, node ${process.version}, ${turns} turns per size and mode (median)`);
  for (const mb of sizes) {
    const template = join(dir, `t${mb}.jsonl`);
    const bytes = Math.round(mb * 1024 * 1024);
    writeFileSync(template, generateTranscript({ seed: 11, targetBytes: bytes, compactions: Math.max(1, Math.round(bytes / 700_000)), unicode: "mixed" }).text);
    const s = await measure(stock, null, template, dir, `stock${mb}`);
    runtime.entryCache.setEntryCacheLimit(0);
    const before = await measure(ctxc, runtime, template, dir, `before${mb}`);
    runtime.entryCache.setEntryCacheLimit(runtime.entryCache.DEFAULT_ENTRY_CACHE_BYTES);
    const after = await measure(ctxc, runtime, template, dir, `after${mb}`);
    const row = `| ${mb} MB | ${s.openMs} | ${before.openMs} / ${before.mainThreadMs} | ${after.openMs} / ${after.mainThreadMs} |`;
    rows.push(row);
    console.log(row);
    rmSync(template);
  }
  console.log(`\n| transcript | stock open ms | ctxc before: open / main-thread ms | ctxc after: open / main-thread ms |\n|---|---:|---:|---:|\n${rows.join("\n")}`);
  console.log(`counters: ${JSON.stringify(runtime.counters)}`);
} finally {
  cleanup();
  rmSync(dir, { recursive: true, force: true });
  await closeOpenClawPool();
}
