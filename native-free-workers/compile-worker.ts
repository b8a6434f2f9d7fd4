/**
 * The piscina worker entry. Each worker runs in its own single-thread pool (a "lane", see
 * src/lane.ts), so the main thread knows which worker holds which session's state.
 *
 * A build runs in slices: `start` creates the build's generator and runs it for at most `sliceMs`;
 * if it is not done, it stays here and the main thread sends `resume` when this agent's turn comes
 * round again. That is how one agent's 100 MB cold build cannot hold another agent's small warm build
 * for more than one slice: the scheduler interleaves them on the same worker.
 *
 * Results: the context ArrayBuffer (returned through `move()`, so piscina transfers it: nothing is
 * cloned), `{ paused: true }`, `{ lost: true }` when a `resume` names a build this worker does not
 * have (the worker was replaced), or a WireError. Failures are returned, not thrown, because
 * structured clone would strip an Error's `code`; anything not already a CtxcError is a bug and is
 * reported as INTERNAL.
 */
import { move } from "piscina";
import type { CompileTask } from "../src/compile-task.js";
import { CtxcError, Errors, type WireError } from "../src/errors.js";
import { compileSteps } from "./compile.js";
import { SessionCache } from "./session/session-cache.js";

export type WorkerRequest =
  | { op: "start"; jobId: number; task: CompileTask; sliceMs: number; maxCacheBytes: number }
  | { op: "resume"; jobId: number; sliceMs: number }
  | { op: "cancel"; jobId: number }
  | { op: "forget"; path: string };

export type WorkerReply = ArrayBuffer | WireError | { paused: true } | { lost: true } | { ok: true };

const sessions = new SessionCache(256 * 1024 * 1024);
const jobs = new Map<number, AsyncGenerator<void, ArrayBuffer>>();

async function runSlice(jobId: number, sliceMs: number): Promise<WorkerReply> {
  const job = jobs.get(jobId);
  if (!job) return { lost: true };
  const deadline = performance.now() + sliceMs;
  try {
    for (;;) {
      const step = await job.next();
      if (step.done) {
        jobs.delete(jobId);
        return move(step.value) as ArrayBuffer;
      }
      if (performance.now() >= deadline) return { paused: true };
    }
  } catch (err) {
    jobs.delete(jobId);
    return (err instanceof CtxcError ? err : Errors.internal(err)).toWire();
  }
}

export default async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.op) {
    case "start":
      sessions.maxBytes = request.maxCacheBytes;
      jobs.set(request.jobId, compileSteps(request.task, sessions, request.jobId));
      return runSlice(request.jobId, request.sliceMs);
    case "resume":
      return runSlice(request.jobId, request.sliceMs);
    case "cancel": {
      const job = jobs.get(request.jobId);
      jobs.delete(request.jobId);
      await job?.return(undefined as never); // runs the build's `finally`: closes its fd, releases its session
      return { ok: true };
    }
    case "forget":
      sessions.delete(request.path);
      return { ok: true };
  }
}
