/**
 * The main-thread API: lanes of worker threads that compile transcripts into context buffers.
 * The main thread validates options, routes the build to the lane holding the session's state, and
 * decodes the header of the returned buffer; reading, parsing, tokenizing and assembling all happen
 * in the workers. Concurrent identical builds share one job (single flight).
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { ResourceLimits } from "node:worker_threads";
import { Header } from "../native-free-workers/protocol/buffer-layout.js";
import { sessionKeyOf, type CompileTask } from "../native-free-workers/protocol/compile-task.js";
import { decodeContext, type CompiledContext } from "./decode-context.js";
import { CtxcError, Errors } from "../native-free-workers/protocol/errors.js";
import { Lane, type Job } from "./lane.js";
import { leastBusyLane } from "./lane-choice.js";
import { splitColdBuild } from "./split-cold.js";
import { DEFAULTS, normalizeBuildOptions, validateTokenizer, type BuildOptions, type TokenizerName } from "./options.js";
import { checkPrivateDir } from "../native-free-workers/session/private-dir.js";
import { assertWorkerBuilt } from "./worker-file.js";
import { CACHE_DEFAULTS } from "../native-free-workers/protocol/defaults.js";
import { positiveInteger } from "../native-free-workers/protocol/validate.js";
import { createProgressCells, loadProgress } from "../native-free-workers/protocol/progress.js";

/** Options of a compiler (one set of worker lanes). */
export interface CompilerOptions {
  /**
   * Worker threads (lanes). Default: available cores − 1, but at least 2 ({@link defaultThreads}). Why
   * more than one: a session's first (cold) build reads its whole transcript, and builds of different
   * sessions on one lane queue behind each other, so with one lane five agents going cold at once wait
   * for each other's full reads. The main thread only waits for the buffer (< 1 ms of its time per
   * build), so on a 2-core machine a second lane uses the core the main thread leaves idle.
   *
   * Why not more lanes than cores (3 on 2 cores, so that a burst of five spreads 2/2/1 instead of 3/2):
   * tried, and in the same bench run (`npm run bench:quick`, pool-threads table, 5 agents × 10 MB) 3 lanes
   * were worse than 2 on every row — cold p99 1,048 vs 784 ms, warm p99 84.8 vs 52.2 ms, event-loop
   * max 18 vs 10 ms: the third thread competes with the main one for a core, which is what the gateway's
   * polls and dispatches need — and each lane costs ~100 MB RSS with the tokenizer loaded.
   */
  threads?: number;
  /**
   * Default tokenizer for builds that do not name one. Default `o200k_base`. Each lane loads its encoder
   * when it starts (an exact one: gpt-tokenizer's, or tiktoken's where the hybrid is not proven; ~70 MB
   * RSS, ~130–180 ms of the lane's CPU), so the lane's first build does not: a fresh compiler's first 28 MB
   * cold build took 306–328 ms instead of 457–632 (its second ~70). The hybrid's tiktoken, for texts with a
   * routed character only, still loads on its first such text (~180 ms, ~64 MB).
   */
  tokenizer?: TokenizerName;
  /** Builds allowed to wait across all lanes; one more rejects with QUEUE_FULL. Default 1,000. */
  maxQueue?: number;
  /**
   * Longest stretch (ms) a build runs before the worker serves another agent that is waiting. Without
   * another agent waiting, a build is not interrupted. Smaller: fairer under contention, slightly more
   * overhead. A single message's tokenization is not split. Default 50.
   */
  sliceMs?: number;
  /** Approximate bytes of session state each worker keeps (LRU beyond). Default 256 MiB. */
  maxCacheBytes?: number;
  /**
   * Directory for the persistent session index: a restarted gateway then pays only for the bytes appended
   * since. Written atomically, versioned, verified before use; a stale or corrupt index is ignored and
   * reported (INDEX_IGNORED). Default: none (state lives in worker memory only).
   *
   * The directory must be private (SECURITY.md): it is created 0700 if missing; an existing one that is
   * a symlink, owned by another user, writable by group or others, or under a parent others can write
   * (not sticky) is refused — no index is read or written there, and every build reports INDEX_IGNORED
   * with the reason (or fails, with {@link cacheDirRequired}). Index files are created 0600.
   */
  cacheDir?: string;
  /**
   * Make the persistent index a requirement: a `cacheDir` that is refused (see above) makes
   * `createCompiler` throw `CACHE_DIR_REFUSED` — and a build whose cacheDir was swapped since fails with
   * it — instead of running without the index. Default false. CLI: `--cache-required`.
   */
  cacheDirRequired?: boolean;
  /** Per-worker V8 limits; a worker exceeding them fails its build with WORKER_FAILED and is replaced. */
  resourceLimits?: ResourceLimits;
  /**
   * Let another lane scan part of a cold build that waits behind others on its lane (src/split-cold.ts,
   * issue 14): same result, byte for byte; the byte pass of the burst spreads over the lanes. Default false.
   */
  splitColdBuilds?: boolean;
}

/** Milliseconds spent per stage, summed over finished builds. */
export interface StageTimes {
  readParse: number;
  resolve: number;
  bootstrap: number;
  tokenize: number;
  assemble: number;
  /** From the worker finishing the buffer to the main thread receiving it. */
  transfer: number;
  /** Main-thread time to open the buffer (header checks; messages decode later, on access). */
  decode: number;
}

export interface CompilerStats {
  /** Builds waiting for their lane. */
  queued: number;
  /** Builds running a slice right now. */
  running: number;
  builds: {
    /** Finished builds that started from scratch (first build, evicted, or the file was not an append). */
    cold: number;
    /** Finished builds that only read the appended bytes. */
    warm: number;
    /** Callers that joined an identical build already under way. */
    shared: number;
    failed: number;
  };
  /** Rebuild reasons seen, by reason. */
  rebuilt: Record<string, number>;
  bytesParsed: number;
  tokensCounted: number;
  /** Session state held across workers (as last reported by each). */
  cacheBytes: number;
  /** Workers replaced after a crash or out-of-memory. */
  workerFailures: number;
  stages: StageTimes;
  threads: number;
}

export interface Compiler {
  /** Compiles one transcript (+ workspace) into a context. */
  build(options: BuildOptions): Promise<CompiledContext>;
  /**
   * Drops the state the workers keep for a transcript (in memory; a `cacheDir` index is kept and
   * re-verified on use). Call it when a session ends (reset, archive); the next build of that path is
   * cold. Builds already queued are not affected. For a SQLite session store, name the `session` too
   * (as given to `build`).
   */
  forget(transcript: string, session?: string): Promise<void>;
  /** Queue, build and cache counters. */
  stats(): CompilerStats;
  /** Rejects queued builds with COMPILER_CLOSED, then stops the workers. */
  close(): Promise<void>;
}

/** The lanes a compiler starts when `threads` is not given, on a machine with `cores` cores (see {@link CompilerOptions.threads}). */
export function defaultThreads(cores: number = availableParallelism()): number {
  return Math.max(2, cores - 1);
}

/** The compile task's view of a cacheDir check. */
function privateDirCheck(dir: string): CompileTask["cacheDirCheck"] {
  const verdict = checkPrivateDir(dir);
  return verdict.ok ? { identity: { dev: verdict.dev, ino: verdict.ino } } : { refused: verdict.reason };
}

/** One build in flight, possibly awaited by several callers (single flight). */
interface Flight {
  job: Job;
  lane: Lane;
  promise: Promise<ArrayBuffer>;
  waiters: number;
}

// Over 80 lines on purpose: the body is the compiler's private state (lanes, flights, stats) and the small
// closures that share it (each under 40 lines); a class would move the same state into fields, not shorten it.
export function createCompiler(options: CompilerOptions = {}): Compiler {
  assertWorkerBuilt();
  const threads = positiveInteger("threads", options.threads, defaultThreads());
  const maxQueue = positiveInteger("maxQueue", options.maxQueue, 1_000);
  const sliceMs = positiveInteger("sliceMs", options.sliceMs, 50);
  const maxCacheBytes = positiveInteger("maxCacheBytes", options.maxCacheBytes, CACHE_DEFAULTS.maxCacheBytes);
  const cacheDir = options.cacheDir === undefined ? null : resolve(options.cacheDir);
  const cacheDirRequired = options.cacheDirRequired === true;
  const splitCold = options.splitColdBuilds === true;
  const defaultTokenizer = validateTokenizer(options.tokenizer ?? DEFAULTS.tokenizer);
  // After every option is validated (a rejected call creates nothing): checked, and created 0700, once
  // here; each build re-checks with one lstat (private-dir.ts says why once is enough).
  const cacheDirCheck = cacheDir === null ? null : privateDirCheck(cacheDir);
  if (cacheDirCheck && "refused" in cacheDirCheck && cacheDirRequired) throw Errors.cacheDirRefused(cacheDir!, cacheDirCheck.refused);
  // Decoding and parsing a line needs several times its size in heap; with a heap limit, a line that
  // cannot fit is skipped (LINE_TOO_LONG) rather than left to kill the worker with one huge allocation,
  // which V8 may not be able to turn into a clean worker exit.
  const heapMb = options.resourceLimits?.maxOldGenerationSizeMb;
  const maxLineBytesForHeap = heapMb ? Math.floor((heapMb * 1024 * 1024) / 8) : Number.MAX_SAFE_INTEGER;
  const lanes = Array.from({ length: threads }, () => new Lane({ sliceMs, maxCacheBytes, resourceLimits: options.resourceLimits, preloadTokenizer: defaultTokenizer }));
  const laneOf = new Map<string, Lane>();
  const flights = new Map<string, Flight>();
  const cacheBytesByLane = new Map<Lane, number>();
  const stats = {
    builds: { cold: 0, warm: 0, shared: 0, failed: 0 },
    rebuilt: {} as Record<string, number>,
    bytesParsed: 0,
    tokensCounted: 0,
    stages: { readParse: 0, resolve: 0, bootstrap: 0, tokenize: 0, assemble: 0, transfer: 0, decode: 0 } as StageTimes,
  };
  let nextJobId = 1;
  let closed = false;

  /**
   * The lane holding this session's state (its next build must find it there). A session no lane holds
   * goes where its builds of before `forget()` still wait, if any (so they stay in order), else to the
   * least busy lane (lane-choice.ts), so sessions going cold at the same moment spread over the pool.
   */
  function laneFor(key: string): Lane {
    let lane = laneOf.get(key);
    if (!lane) {
      lane = lanes.find((l) => l.hasJobsOf(key)) ?? leastBusyLane(lanes);
      laneOf.set(key, lane);
    }
    lane.sessions.add(key);
    return lane;
  }

  function startFlight(key: string, task: CompileTask, agent: string): Flight {
    if (lanes.reduce((n, l) => n + l.queued, 0) >= maxQueue) throw Errors.queueFull(maxQueue);
    const cold = !laneOf.has(sessionKeyOf(task));
    const lane = laneFor(sessionKeyOf(task));
    let job!: Job;
    const promise = new Promise<ArrayBuffer>((resolve, reject) => {
      job = { id: nextJobId++, agent, task, started: false, cancelled: false, slices: 0, resolve, reject };
    });
    const flight: Flight = { job, lane, promise, waiters: 0 };
    flights.set(key, flight);
    const done = () => {
      if (flights.get(key) === flight) flights.delete(key);
    };
    promise.then(done, done);
    if (splitCold && cold) splitColdBuild(job, lane, lanes);
    lane.enqueue(job);
    return flight;
  }

  /** Waits for the flight, or rejects early on this caller's abort/timeout (the flight goes on for others). */
  function await_(flight: Flight, signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<ArrayBuffer> {
    flight.waiters++;
    if (!signal && timeoutMs === undefined) return flight.promise;
    return new Promise<ArrayBuffer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (error: CtxcError) => {
        cleanup();
        flight.waiters--;
        if (flight.waiters === 0) {
          flight.job.reject(error); // nobody else waits: stop the build
          flight.lane.cancel(flight.job);
        }
        reject(error);
      };
      const onAbort = () => leave(Errors.aborted(signal?.reason));
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      if (timeoutMs !== undefined) timer = setTimeout(() => leave(Errors.timeout(timeoutMs)), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      flight.promise.then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (err: unknown) => {
          cleanup();
          reject(err);
        },
      );
    });
  }

  function record(ctx: CompiledContext, lane: Lane, receivedAt: number, decodeMs: number): void {
    const meta = ctx.meta;
    const build = meta.build;
    cacheBytesByLane.set(lane, build.cacheBytes);
    if (build.rebuilt === null) stats.builds.warm++;
    else {
      stats.builds.cold++;
      stats.rebuilt[build.rebuilt] = (stats.rebuilt[build.rebuilt] ?? 0) + 1;
    }
    stats.bytesParsed += build.bytesParsed;
    stats.tokensCounted += build.tokensCounted;
    for (const stage of ["readParse", "resolve", "bootstrap", "tokenize", "assemble"] as const) {
      stats.stages[stage] += meta.timings[stage] ?? 0;
    }
    const finishedAt = new DataView(ctx.buffer).getFloat64(Header.finishedAt, true);
    stats.stages.transfer += Math.max(0, receivedAt - finishedAt);
    stats.stages.decode += decodeMs;
  }

  async function build(options: BuildOptions): Promise<CompiledContext> {
    if (closed) throw Errors.compilerClosed();
    const task = normalizeBuildOptions(options, defaultTokenizer);
    task.maxLineBytes = Math.min(task.maxLineBytes, maxLineBytesForHeap);
    task.cacheDir = cacheDir;
    task.cacheDirCheck = cacheDirCheck;
    task.cacheDirRequired = cacheDirRequired;
    if (options.timeoutMs !== undefined) positiveInteger("timeoutMs", options.timeoutMs, 0);
    if (options.signal?.aborted) throw Errors.aborted(options.signal.reason);
    let progressTimer: NodeJS.Timeout | undefined;
    if (options.onProgress) {
      const cells = (task.progress = createProgressCells());
      const report = options.onProgress;
      progressTimer = setInterval(() => {
        const progress = loadProgress(cells);
        if (progress) report(progress);
      }, 100);
      progressTimer.unref();
    }
    const key = JSON.stringify({ ...task, progress: undefined });
    let flight = flights.get(key);
    const shared = flight !== undefined;
    flight ??= startFlight(key, task, options.agentId ?? sessionKeyOf(task));
    let buffer: ArrayBuffer;
    try {
      buffer = await await_(flight, options.signal, options.timeoutMs);
    } finally {
      if (progressTimer) clearInterval(progressTimer);
    }
    const receivedAt = performance.timeOrigin + performance.now();
    if (shared) stats.builds.shared++;
    // A shared build's buffer is read by several views: fine, views never write to it.
    const t0 = performance.now();
    const ctx = decodeContext(buffer);
    const decodeMs = performance.now() - t0;
    if (!shared) record(ctx, flight.lane, receivedAt, decodeMs);
    return ctx;
  }

  return {
    async build(options) {
      try {
        return await build(options);
      } catch (err) {
        stats.builds.failed++;
        throw err instanceof CtxcError ? err : Errors.internal(err);
      }
    },
    async forget(transcript, session) {
      const key = sessionKeyOf({ transcript: resolve(transcript), session: session ?? null });
      const lane = laneOf.get(key);
      laneOf.delete(key);
      await lane?.forget(key);
    },
    stats() {
      return {
        queued: lanes.reduce((n, l) => n + l.queued, 0),
        running: lanes.reduce((n, l) => n + (l.load > l.queued ? 1 : 0), 0),
        builds: { ...stats.builds },
        rebuilt: { ...stats.rebuilt },
        bytesParsed: stats.bytesParsed,
        tokensCounted: stats.tokensCounted,
        cacheBytes: [...cacheBytesByLane.values()].reduce((a, b) => a + b, 0),
        workerFailures: lanes.reduce((n, l) => n + l.failures, 0),
        stages: { ...stats.stages },
        threads,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const flight of flights.values()) {
        flight.job.reject(Errors.compilerClosed());
        flight.lane.cancel(flight.job);
      }
      await Promise.all(lanes.map((lane) => lane.close()));
    },
  };
}
