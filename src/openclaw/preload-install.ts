/**
 * The preload's body, loaded by register.ts (the `--import` entry, which loads it with V8's eager
 * compilation on: compile-eagerly.ts). At start it locates the interception points in OpenClaw's dist/ by
 * what they are (release/locate.ts: function names and checked body shapes, never chunk file names), then
 * installs module customization hooks (preload-hooks.ts; in-thread `module.registerHooks` where Node has
 * it) that serve the chunks holding them rewritten, each function asking ctxc first (preload-runtime.ts
 * `handlers`). A release with nothing checked, or with SQLite transcripts, runs stock and the log says why
 * in one line (CTXC_OPENCLAW_LOG, else stderr). docs/openclaw.md, docs/real-gateway.md.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import * as nodeModule from "node:module";
import { dirname, join } from "node:path";
import { isMainThread } from "node:worker_threads";
import { createPreloadHooks, type PreloadHookData } from "./preload-hooks.js";
import { JUDGE_LABEL, planForRoot, planServes } from "./release/plan.js";
import type { WorkerJudgePlan } from "./release/worker-judge.js";
import { configureOpenClawPool, defaultThreads, indexUse, openClawPoolIndex, openClawPoolThreads } from "./pool.js";
import { entryCacheLimitFromEnv, setEntryCacheLimit } from "./entry-cache.js";
import { bytesFromMibSetting } from "./env-mib.js";
import { DIGEST_KEEP_TOTAL_BYTES } from "../../native-free-workers/protocol/file-digest.js";
import { CACHE_DEFAULTS } from "../../native-free-workers/protocol/defaults.js";
import { armPoolStart, counters, preloadLog, serveSnapshotOpens, setJudgeRelease, workerJudgeSpec } from "./preload-runtime.js";
import { lazyStats } from "./lazy-entries.js";
import { openClawStateDir, preloadIndexDir } from "./state-dir.js";
import { scheduleRestartWarmUp, warmUpCountFromEnv, warmUpStats } from "./restart-warmup.js";
import { gateWaitFromEnv, warmUpDaysFromEnv } from "./first-start-warmup.js";
import { TRACING } from "./trace.js";
import { traceSessionWriteLocks } from "./lock-trace.js";

/** How long the preload's worker (and its transcript reads) stays alive without work. */
export const PRELOAD_POOL_IDLE_MS = 15 * 60_000;

/** The OpenClaw package root above `entry` (the script node runs, e.g. openclaw.mjs or a bin symlink), or null. */
export function findOpenClawRoot(entry: string | undefined): string | null {
  if (!entry) return null;
  let dir: string;
  try {
    dir = dirname(realpathSync(entry));
  } catch {
    return null;
  }
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "openclaw") return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * What the preload serves for the OpenClaw at `root` — found by what the functions are, checked once
 * at start (release/locate.ts, release/plan.ts) — or, in one line, why the gateway runs stock.
 */
export function planPreload(root: string | null): PreloadHookData | string {
  if (!root) return "no openclaw package found above the entry script";
  let version: unknown;
  try {
    version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown }).version;
  } catch (err) {
    return `cannot read ${join(root, "package.json")}: ${(err as Error).message}`;
  }
  if (typeof version !== "string") return `${join(root, "package.json")} has no version`;
  try {
    return planForRoot(root, version, new URL("./preload-runtime.js", import.meta.url).href);
  } catch (err) {
    return `openclaw ${version} at ${root}: locating the interception points failed (${(err as Error).message})`;
  }
}

/**
 * The image judge the workers get (2026.6.5+: release/worker-judge.ts), or undefined: none planned, or
 * `CTXC_OPENCLAW_WORKER_JUDGE=off` — then the repair pass judges image lines on the main thread, as before
 * 2026-12-07, and the plan's served and stock lists (the `active:` and `stock:` lines) say so.
 */
export function workerJudgeSetting(plan: Pick<PreloadHookData, "imageJudge" | "served" | "stock">, env: Record<string, string | undefined>): WorkerJudgePlan | undefined {
  if (!plan.imageJudge) return undefined;
  if (env.CTXC_OPENCLAW_WORKER_JUDGE !== "off") return plan.imageJudge;
  plan.served.splice(plan.served.indexOf(JUDGE_LABEL), 1);
  plan.stock.push(`${JUDGE_LABEL} (CTXC_OPENCLAW_WORKER_JUDGE=off: the repair pass judges image lines on the main thread)`);
  return undefined;
}

function install(): void {
  // Worker threads inherit `--import`; only the main thread runs OpenClaw's run path (and ctxc's own
  // pool workers must not install hooks).
  if (!isMainThread) return;
  const plan = planPreload(findOpenClawRoot(process.argv[1]));
  if (typeof plan === "string") {
    preloadLog("inactive", `${plan}; hooks not installed, OpenClaw runs stock`);
    return;
  }
  // In-thread synchronous hooks where Node has them (>= 22.15): no loader-thread round trip for each of
  // OpenClaw's thousands of module resolutions (see preload-hooks.ts). Otherwise the off-thread API.
  const api = nodeModule as {
    registerHooks?: (hooks: Pick<ReturnType<typeof createPreloadHooks>, "resolve">) => unknown;
    register?: (specifier: string, options?: { data?: unknown }) => void;
  };
  // The decoded entries kept between turns on this thread (entry-cache.ts): bounded in transcript bytes.
  setEntryCacheLimit(entryCacheLimitFromEnv(process.env.CTXC_OPENCLAW_ENTRY_CACHE_MB));
  let mechanism: string;
  try {
    if (typeof api.registerHooks === "function") {
      api.registerHooks({ resolve: createPreloadHooks(plan, true).resolve });
      mechanism = "module.registerHooks";
    } else if (typeof api.register === "function") {
      api.register(new URL("./preload-hooks.js", import.meta.url).href, { data: plan });
      mechanism = "module.register";
    } else {
      preloadLog("inactive", `node ${process.version} has neither module.registerHooks nor module.register; OpenClaw runs stock`);
      return;
    }
  } catch (err) {
    preloadLog("inactive", `installing the module hooks failed (${(err as Error).message}); OpenClaw runs stock`);
    return;
  }
  // `--trace` only: the session write lock's waits and holders (lock-trace.ts), before OpenClaw creates the lock.
  if (TRACING) traceSessionWriteLocks();
  // Only once the hooks are in: a run that stays stock creates no index directory. A gateway is
  // long-lived and a user's next turn often comes minutes later: keep the worker (and with it the
  // transcripts it has read, so the next turn parses only what was appended) for 15 idle minutes
  // instead of the library's 30 s. CTXC_OPENCLAW_IDLE_MS overrides.
  const idleMs = Number(process.env.CTXC_OPENCLAW_IDLE_MS ?? PRELOAD_POOL_IDLE_MS);
  let indexSetting: ReturnType<typeof preloadIndexDir>;
  try {
    indexSetting = preloadIndexDir();
  } catch (err) {
    // No home and no cwd: OpenClaw cannot resolve its state dir either. Run without the index, say why.
    indexSetting = { off: `OpenClaw's state dir cannot be resolved (${(err as Error).message}); the session reads run without the persistent index`, log: true };
  }
  // CTXC_OPENCLAW_THREADS: worker threads (each transcript always on the same one, pool.ts); unset or not a
  // whole number from 1 to 16: pool.ts defaultThreads (2 on a machine with 4+ cores, else 1).
  const threads = Number(process.env.CTXC_OPENCLAW_THREADS ?? NaN);
  // The image judge's verdicts are kept across restarts under a name with the release in it (judged-images.ts).
  setJudgeRelease(plan.version);
  const workerJudge = workerJudgeSetting(plan, process.env);
  void configureOpenClawPool({
    threads: Number.isInteger(threads) && threads >= 1 && threads <= 16 ? threads : defaultThreads(),
    // CTXC_OPENCLAW_DIGEST_KEEP_MB: what each worker keeps for the session-fence digests (0 = nothing).
    digestKeepBytes: bytesFromMibSetting(process.env.CTXC_OPENCLAW_DIGEST_KEEP_MB, DIGEST_KEEP_TOTAL_BYTES),
    // CTXC_OPENCLAW_READ_KEEP_MB: what each worker keeps of its session reads (0 = nothing: each read starts over).
    readKeepBytes: bytesFromMibSetting(process.env.CTXC_OPENCLAW_READ_KEEP_MB, CACHE_DEFAULTS.sessionReadCacheBytes),
    idleTimeoutMs: Number.isInteger(idleMs) && idleMs > 0 ? idleMs : PRELOAD_POOL_IDLE_MS,
    // After a restart, each transcript's first read continues from what was saved here (state-dir.ts).
    indexDir: "dir" in indexSetting ? indexSetting.dir : null,
    // 2026.6.5+: the repair pass's image lines judged in the workers, by the release's judge (release/worker-judge.ts).
    imageJudge: (workerJudge && workerJudgeSpec(workerJudge)) ?? null,
  });
  // The worker threads start when OpenClaw's session code loads, before the first turn (preload-runtime.ts startPoolSoon).
  armPoolStart();
  // The snapshot open shares the frozen entries it gets: a file's first read then carries member FIELDS.
  if (planServes(plan, "loadEntriesFromFileWithSnapshot")) serveSnapshotOpens();
  // After a restart: warm the transcripts the persistent index holds before their first turns (restart-warmup.ts);
  // and those it holds nothing for (a first start, or the index off) that were modified recently (first-start-warmup.ts).
  const warmUp = warmUpCountFromEnv(process.env.CTXC_OPENCLAW_WARMUP);
  // Every served session open: the snapshot one (2026.6.9+), loadEntriesFromFile (2026.5.28–6.8), pi's (2026.5.12–5.27).
  const opens = planServes(plan, "loadEntriesFromFileWithSnapshot") || planServes(plan, "loadEntriesFromFile") || plan.served.some((s) => s.startsWith("session open (pi "));
  if (opens) {
    try {
      const recentDays = warmUpDaysFromEnv(process.env.CTXC_OPENCLAW_WARMUP_DAYS);
      const gateWaitMs = gateWaitFromEnv(process.env.CTXC_OPENCLAW_WARMUP_WAIT_MS);
      scheduleRestartWarmUp({ count: warmUp, stateDir: openClawStateDir(), indexDir: "dir" in indexSetting ? indexSetting.dir : null, recentDays, gateWaitMs, log: (m) => preloadLog("warmup", m) });
    } catch {
      // no state dir to scan: no warm-up, the first opens are today's
    }
  }
  const index = describeIndex(indexSetting);
  const located = `located in ${plan.located.ms} ms (${plan.located.filesRead} files${plan.located.fullScan ? ", all of dist/" : ""})`;
  preloadLog("active", `openclaw ${plan.version}, node ${process.version}, ${mechanism}, serves ${plan.served.join(" + ")}, ${located}, ${index.summary}, ${openClawPoolThreads()} worker thread(s), pid ${process.pid}`);
  if (plan.stock.length > 0) preloadLog("stock", plan.stock.join("; "));
  if (index.refused) preloadLog("index", index.refused);
  process.once("exit", () => {
    const c = counters;
    preloadLog("summary", `sessionsServed=${c.sessionsServed} sessionsCached=${c.sessionsCached} sessionsContinued=${c.sessionsContinued} sessionsKept=${c.sessionsKept} idempotencyServed=${c.idempotencyServed} idempotencyMain=${c.idempotencyMain} idempotencyWorker=${c.idempotencyWorker} idempotencyScans=${c.idempotencyScans} leafInfoServed=${c.leafInfoServed} repairsSkipped=${c.repairsSkipped} recentReadsServed=${c.recentReadsServed} recentReadsAgain=${c.recentReadsAgain} bootstrapServed=${c.bootstrapServed} bootstrapContextServed=${c.bootstrapContextServed} workspaceReadsServed=${c.workspaceReadsServed} rewritesAppended=${c.rewritesAppended} rewritesStock=${c.rewritesStock} writesFollowed=${c.writesFollowed} linesFromRead=${c.linesFromRead} digestsServed=${c.digestsServed} indexesContinued=${c.indexesContinued} indexesFolded=${c.indexesFolded} digestsPrefetched=${c.digestsPrefetched} repairsEarly=${c.repairsEarly} imageLinesJudged=${c.imageLinesJudged} imageLinesJudgedInWorkers=${c.imageLinesJudgedInWorkers} fingerprintsServed=${c.fingerprintsServed} lockPathsServed=${c.lockPathsServed} lockSnapshotsServed=${c.lockSnapshotsServed} lockStatsServed=${c.lockStatsServed} lockFilesServed=${c.lockFilesServed} turnEndPrefetches=${c.turnEndPrefetches} sessionStatsServed=${c.sessionStatsServed} lazyFields=${lazyStats.deferred} lazyFieldsCopied=${lazyStats.decoded} indexRestored=${indexUse.restored} indexRestoredBytes=${indexUse.restoredBytes} indexRejected=${indexUse.rejected} indexRebased=${indexUse.rebased} warmedUp=${warmUpStats.warmedUp} warmUpMs=${Math.round(warmUpStats.ms)} stockRuns=${c.stockRuns} fallbacks=${c.fallbacks}`);
  });
}

/** The index setting for the `active` line, and the one line saying why a directory was refused or is missing. */
function describeIndex(setting: ReturnType<typeof preloadIndexDir>): { summary: string; refused: string | null } {
  if ("off" in setting) return setting.log ? { summary: "index off", refused: setting.off } : { summary: `index off (${setting.off})`, refused: null };
  const used = openClawPoolIndex();
  if (used?.refused) {
    return { summary: "index refused", refused: `${used.dir} ${used.refused}; refused, the session reads run without the persistent index (every first read after a restart parses the whole transcript)` };
  }
  return { summary: `index ${setting.dir}`, refused: null };
}

// Installing on import is the point of a `--import` preload; the test imports the helpers above with
// CTXC_OPENCLAW_PRELOAD=off.
if (process.env.CTXC_OPENCLAW_PRELOAD !== "off") install();
