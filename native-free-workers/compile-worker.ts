/**
 * The worker entry of a lane (src/lane.ts, src/lane-worker.ts): one worker per lane, so the main thread
 * knows which worker holds which session's state. Requests come over the worker's port as
 * {@link LaneRequest}s, one at a time; each is answered with a {@link LaneAnswer} of the same id.
 *
 * A build runs in slices: `start` creates the build's generator and runs it; once it has run `sliceMs`
 * and the lane signals (shared memory) that another agent is waiting, it pauses, stays here, and the
 * main thread sends `resume` when this agent's turn comes round again. That is how one agent's 100 MB cold build cannot hold another agent's small warm build
 * for more than one slice: the scheduler interleaves them on the same worker.
 *
 * `scanRange` scans the second part of a cold build another lane owns (split-handoff.ts, issue 14); it
 * runs between slices, like `forget`.
 *
 * Results: the context ArrayBuffer (moved to the main thread in the answer's transfer list: nothing
 * is cloned), `{ paused: true }`, `{ lost: true }` when a `resume` names a build this worker does not
 * have (the worker was replaced), or a WireError. Failures are returned, not thrown, because
 * structured clone would strip an Error's `code`; anything not already a CtxcError is a bug and is
 * reported as INTERNAL.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { CompileTask } from "./protocol/compile-task.js";
import { CtxcError, Errors, type WireError } from "./protocol/errors.js";
import { CACHE_DEFAULTS } from "./protocol/defaults.js";
import { compileSteps } from "./compile.js";
import { SessionCache } from "./session/session-cache.js";
import type { ScanRangeRequest, SplitWire } from "./protocol/key-batch.js";
import { ownerSplit, scanForOwner } from "./split-handoff.js";
import { loadedEncoders, preloadEncoders } from "./tokenize/token-counter.js";
import type { TokenizerName } from "./protocol/tokenizers.js";

export type WorkerRequest =
  | { op: "start"; jobId: number; task: CompileTask; sliceMs: number; maxCacheBytes: number; yieldFlag: SharedArrayBuffer; split?: SplitWire }
  | ({ op: "scanRange" } & ScanRangeRequest)
  | { op: "resume"; jobId: number; sliceMs: number; yieldFlag: SharedArrayBuffer }
  | { op: "cancel"; jobId: number }
  | { op: "forget"; path: string }
  | { op: "encoders" };

export type WorkerReply = ArrayBuffer | WireError | { paused: true } | { lost: true } | { ok: true } | { encoders: string[] };

/** What a lane's worker is started with (src/lane-worker.ts). */
export interface LaneWorkerData {
  /** The compiler's default tokenizer: its encoder is loaded before the first request is taken. */
  preloadTokenizer?: TokenizerName;
}

/** What the lane posts: a request and the id its answer carries. */
export interface LaneRequest {
  id: number;
  request: WorkerRequest;
}

/** The answer to a {@link LaneRequest}: the reply, or what the handler threw (a bug: the lane treats it as a lost worker). */
export type LaneAnswer = { id: number; reply: WorkerReply } | { id: number; thrown: string };

const sessions = new SessionCache(CACHE_DEFAULTS.maxCacheBytes);
const jobs = new Map<number, AsyncGenerator<void, ArrayBuffer>>();

/**
 * Runs a build until it is done, or until its slice is used up AND the lane has asked for the worker
 * back (`yieldFlag[0] !== 0`: another agent is waiting, or this build was cancelled). Without
 * contention a build runs to the end in one go: no round trips through the main thread.
 */
async function runSlice(jobId: number, sliceMs: number, yieldFlag: SharedArrayBuffer): Promise<WorkerReply> {
  const job = jobs.get(jobId);
  if (!job) return { lost: true };
  const wanted = new Int32Array(yieldFlag);
  const deadline = performance.now() + sliceMs;
  try {
    for (;;) {
      const step = await job.next();
      if (step.done) {
        jobs.delete(jobId);
        return step.value;
      }
      if (performance.now() >= deadline && Atomics.load(wanted, 0) !== 0) return { paused: true };
    }
  } catch (err) {
    jobs.delete(jobId);
    return (err instanceof CtxcError ? err : Errors.internal(err)).toWire();
  }
}

export async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.op) {
    case "start":
      sessions.maxBytes = request.maxCacheBytes;
      jobs.set(request.jobId, compileSteps(request.task, sessions, request.jobId, request.split && ownerSplit(request.split)));
      return runSlice(request.jobId, request.sliceMs, request.yieldFlag);
    case "resume":
      return runSlice(request.jobId, request.sliceMs, request.yieldFlag);
    case "cancel": {
      const job = jobs.get(request.jobId);
      jobs.delete(request.jobId);
      await job?.return(undefined as never); // runs the build's `finally`: closes its fd, releases its session
      return { ok: true };
    }
    case "scanRange":
      scanForOwner(request);
      return { ok: true };
    case "forget":
      sessions.delete(request.path);
      return { ok: true };
    case "encoders": // diagnostics and tests: what the worker has loaded (its preload, its builds)
      return { encoders: loadedEncoders() };
  }
}

// Started as a lane's worker (not when a test imports this module). The default tokenizer's encoder is
// loaded here, before any request is taken: a lane starts with the compiler, its first build comes later
// (a gateway's start-up, then a message), and that build no longer loads it (~130–180 ms, on top of a 28
// MB cold build's ~60). A load that fails is left for the first build to report.
if (parentPort) {
  const { preloadTokenizer } = (workerData ?? {}) as LaneWorkerData;
  if (preloadTokenizer !== undefined) {
    try {
      preloadEncoders(preloadTokenizer);
    } catch {
      // reported by the build that needs it (the same load, the same error)
    }
  }
}
parentPort?.on("message", ({ id, request }: LaneRequest) => {
  handle(request).then(
    (reply) => parentPort!.postMessage({ id, reply } satisfies LaneAnswer, reply instanceof ArrayBuffer ? [reply] : []),
    (err: unknown) => parentPort!.postMessage({ id, thrown: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies LaneAnswer),
  );
});
