/**
 * A later turn's repair pass on OpenClaw 2026.6.9+ (issue #11: ctxc's biggest main-thread item left on
 * 2026.7.35), served by ctxc, with the release's own function rewritten as the preload serves it
 * (bench/lib/openclaw-intercepted.ts). The transcript (default 28 MB, the harness's seed) has more than
 * 4,096 tool results, so OpenClaw's incremental repair cache never keeps it and every turn takes ctxc's
 * path: the worker's check of the appended lines, the snapshots, the cache update. Per turn two messages
 * are appended, then `repairSessionFileIfNeeded({sessionFile})` runs; reported per pass (median over the
 * turns): the main thread's busy ms (event-loop utilisation: the reply's deserialisation, the image
 * judge, the id set, the callbacks) and the wall ms, and — in separate passes, as the hook costs time —
 * the event-loop hops: callbacks of I/O and message-port resources (async_hooks `before`, promises and
 * nextTicks and queued microtasks not counted).
 *
 *     npm run build && node dist/bench/openclaw-repair-later.js [--openclaw 2026.7.35|ROOT] [--mb 28] [--turns 9] [--runtime URL] [--no-images]
 *
 * `--no-images`: the same generator and seed without image blocks (the release's image judge, which runs
 * on every image line each pass, is then out of the figure).
 * `--restart`: the pool reads with a persistent index (a private folder in the run directory) and the release
 * named to the image judge (as register.ts does), and after two passes the pool is restarted (a new worker
 * restoring from the index: a gateway restart, the main thread's judged-image memory no longer fitting) and a
 * turn appended; `restartPassMainMs` is that first pass after the restart (issue #11: every image line judged
 * again, before the judge's verdicts were kept in the index). A runtime without `setJudgeRelease` runs it too.
 * `--workers-judge`: the release named and the workers given its image judge, as the preload does since
 * 2026-12-07 (release/worker-judge.ts): the passes' image lines are judged in the worker (`workersJudge` in the
 * results; a `--runtime` without it: false).
 * `--runtime` points the delegate at another build of preload-runtime.js (e.g. the commit before, to
 * compare). A benchmark, not a test (correctness: test/matrix/reads.test.ts); read the numbers with the
 * load average it prints.
 */
import { createHook } from "node:async_hooks";
import { appendFileSync, copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { importInterceptedWith, judgeAsThePreload, removeIntercepted } from "./lib/openclaw-intercepted.js";
import { freshRunDir, removeDir, transcriptOfSize } from "./lib/data.js";
import { writeTranscript } from "./fixtures/transcript-generator.js";
import { benchArgs, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { median, round } from "./lib/stats.js";

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    mb: { type: "string", default: "28" },
    turns: { type: "string", default: "9" },
    runtime: { type: "string" },
    "no-images": { type: "boolean", default: false },
    restart: { type: "boolean", default: false },
    "workers-judge": { type: "boolean", default: false },
  },
});
const { root, version } = await openclawRelease(values.openclaw);
const runtimeUrl = preloadRuntimeUrl(values.runtime);
const turns = Number(values.turns);

const repair = await importInterceptedWith(root, "repairSessionFileIfNeeded", runtimeUrl);
if (typeof repair === "string") throw new Error(`openclaw ${version}: ${repair}`);
const cache = repair.helpers.sessionRepairCache as Map<string, unknown> | undefined;
if (!cache) throw new Error(`openclaw ${version}: no repair cache (2026.6.9+ only)`);
const quiet = { debug: () => {}, warn: () => {} };

/** Callbacks of non-promise resources run while `run` is pending (each one a turn the pass waits on the event loop). */
async function hopsOf(run: () => Promise<unknown>): Promise<{ hops: number; kinds: Record<string, number> }> {
  const types = new Map<number, string>();
  const kinds: Record<string, number> = {};
  let hops = 0;
  const hook = createHook({
    init: (id, type) => void types.set(id, type),
    before: (id) => {
      const type = types.get(id) ?? "(earlier)";
      if (type === "PROMISE" || type === "TickObject" || type === "Microtask") return;
      hops++;
      kinds[type] = (kinds[type] ?? 0) + 1;
    },
  });
  hook.enable();
  try {
    await run();
  } finally {
    hook.disable();
  }
  return { hops, kinds };
}

const runDir = await freshRunDir("openclaw-repair-later");
try {
  const file = join(runDir, "agent.jsonl");
  const mb = Number(values.mb);
  if (values["no-images"]) await writeTranscript(file, { seed: 4242, targetBytes: Math.round(mb * 1_000_000), compactions: Math.round(mb / 5), unicode: "mixed", imageProbability: 0 });
  else copyFileSync((await transcriptOfSize(mb)).path, file);
  // What every later turn finds: the file after the release's own first-turn repair.
  await repair.openclaw({ sessionFile: file, ...quiet });
  const text = readFileSync(file, "utf8");
  const toolResults = (text.match(/"role":"toolResult"/g) ?? []).length;
  if (toolResults <= 4096) throw new Error(`${toolResults} tool results: the file must have more than 4,096`);
  let parent = (JSON.parse(text.trimEnd().split("\n").at(-1)!) as { id: string }).id;
  let n = 0;
  const appendTurn = () => {
    const ids = [`later-${n}-u`, `later-${n}-a`];
    n++;
    const lines = [
      { type: "message", id: ids[0], parentId: parent, timestamp: "2026-01-06T00:00:00.000Z", message: { role: "user", content: `question ${n}`, timestamp: 1 } },
      { type: "message", id: ids[1], parentId: ids[0], timestamp: "2026-01-06T00:00:01.000Z", message: { role: "assistant", content: [{ type: "text", text: `answer ${n}` }], stopReason: "stop", timestamp: 2 } },
    ];
    parent = ids[1]!;
    appendFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  };
  // The runtime's own pool (the same module instance as the chunk's runtime: plain Node, one loader).
  const pool = (await import(runtimeUrl.replace(/preload-runtime\.js$/, "index.js"))) as typeof import("../src/openclaw/index.js");
  const rt = repair.runtime as { setJudgeRelease?: (v: string | undefined) => void };
  // As the preload at gateway start: the release named and (2026.6.5+) the workers judging the image lines.
  const workersJudge = values["workers-judge"] ? await judgeAsThePreload(root, version, runtimeUrl, repair.runtime) : false;
  if (values.restart) {
    const indexDir = join(runDir, "index");
    mkdirSync(indexDir, { mode: 0o700 });
    await pool.configureOpenClawPool({ indexDir });
    rt.setJudgeRelease?.(version);
  }
  // The first turn: the worker's whole-file read; its main-thread ms reported apart (`firstPassMainMs`:
  // the first pass in a process judges every image line, as nothing was judged in it yet).
  const elu0 = performance.eventLoopUtilization();
  await repair.ctxc({ sessionFile: file, ...quiet });
  const firstPassMainMs = performance.eventLoopUtilization(elu0).active;
  let restartPassMainMs: number | undefined;
  if (values.restart) {
    appendTurn();
    await repair.ctxc({ sessionFile: file, ...quiet }); // tells the worker what the first pass judged (saved)
    await pool.closeOpenClawPool(); // the restart
    appendTurn();
    const elu1 = performance.eventLoopUtilization();
    await repair.ctxc({ sessionFile: file, ...quiet });
    restartPassMainMs = performance.eventLoopUtilization(elu1).active;
  }
  const skipped0 = repair.runtime.counters.repairsSkipped;
  const mainMs: number[] = [];
  const wallMs: number[] = [];
  for (let t = 0; t < turns; t++) {
    appendTurn();
    const elu = performance.eventLoopUtilization();
    const t0 = performance.now();
    const r = (await repair.ctxc({ sessionFile: file, ...quiet })) as { repaired: boolean; validatedSnapshot?: unknown };
    wallMs.push(performance.now() - t0);
    mainMs.push(performance.eventLoopUtilization(elu).active);
    if (r.repaired || !r.validatedSnapshot || cache.has(file)) throw new Error(`turn ${t}: not the later-turn path (${JSON.stringify({ repaired: r.repaired, cached: cache.has(file) })})`);
  }
  const hopCounts: number[] = [];
  let kinds: Record<string, number> = {};
  for (let t = 0; t < Math.min(turns, 5); t++) {
    appendTurn();
    const h = await hopsOf(() => repair.ctxc({ sessionFile: file, ...quiet }));
    hopCounts.push(h.hops);
    kinds = h.kinds;
  }
  const served = repair.runtime.counters.repairsSkipped - skipped0;
  console.log(
    JSON.stringify({
      openclaw: version,
      runtime: values.runtime ?? "this build",
      mb,
      images: !values["no-images"],
      workersJudge,
      bytes: Buffer.byteLength(text),
      toolResults,
      turns,
      served,
      load: round(loadavg()[0], 2),
      firstPassMainMs: round(firstPassMainMs, 2),
      ...(restartPassMainMs !== undefined ? { restartPassMainMs: round(restartPassMainMs, 2) } : {}),
      mainMsPerPass: round(median(mainMs), 2),
      mainMs: mainMs.map((x) => round(x, 2)),
      wallMsPerPass: round(median(wallMs), 2),
      hopsPerPass: median(hopCounts),
      hopKinds: kinds,
    }),
  );
} catch (err) {
  // Said and exit 1, as every bench's failure (the exit below, there for the pool's threads, used to end 0 silently).
  process.stderr.write(`openclaw-repair-later failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
} finally {
  removeIntercepted();
  await removeDir(runDir);
  process.exit();
}
