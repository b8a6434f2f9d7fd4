/**
 * A lane's worker thread (src/lane.ts): one request at a time over the worker's own port, the reply on it
 * (a context buffer moved, not copied), and a new worker for the next request once one dies (crash, exit,
 * out of memory under `resourceLimits`): every request it held fails, the lane restarts their builds.
 *
 * Why not piscina's single-thread pool (what lanes used before): a lane does its own queueing, so all a
 * lane needed from piscina was the request/reply and the replacement, and piscina's per-task path — a
 * task object and async resource per request, a futex wake besides the message, its response handling —
 * made a warm build's round trip after an idle gap (the gateway's case: a build follows an update) about
 * twice a bare port's: 0.18–0.19 vs 0.09–0.10 ms (a 4 KiB buffer moved back, 300 rounds
 * with 5 ms gaps, load 4–8; issue 14).
 */
import { pathToFileURL } from "node:url";
import { Worker, type ResourceLimits, type TransferListItem } from "node:worker_threads";
import type { LaneAnswer, LaneWorkerData, WorkerReply, WorkerRequest } from "../native-free-workers/compile-worker.js";

/**
 * The worker's code: an import of the entry module, given as a string so the worker inherits the
 * process's Node options as a piscina worker did (given as `execArgv`, Node refuses per-process ones such
 * as `--expose-gc`) and starts under any of them: `node --input-type=module -e …` makes a worker whose
 * entry is a module file fail with ERR_INPUT_TYPE_NOT_ALLOWED, while `import()` is valid in string input
 * of either type.
 */
function entryCode(file: string): string {
  return `import(${JSON.stringify(pathToFileURL(file).href)});`;
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

export class LaneWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly resourceLimits?: ResourceLimits,
    private readonly workerData?: LaneWorkerData,
  ) {
    this.spawn(); // started now, as piscina's minThreads did: the module loads while nothing waits
  }

  private spawn(): Worker {
    const worker = new Worker(entryCode(this.file), {
      eval: true,
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
      ...(this.workerData ? { workerData: this.workerData } : {}),
    });
    // An idle lane does not keep the process alive (ref'd while a request is out). Again once the thread is
    // online: an unref() before that did not hold (a build-less script with a lane never exited).
    worker.unref();
    worker.once("online", () => {
      if (this.pending.size === 0) worker.unref();
    });
    worker.on("message", (answer: LaneAnswer) => {
      const pending = this.pending.get(answer.id);
      if (!pending) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) worker.unref();
      if ("thrown" in answer) pending.reject(new Error(answer.thrown));
      else pending.resolve(answer.reply);
    });
    const died = (error: Error) => {
      if (this.worker !== worker) return; // 'error' is followed by 'exit': settle once
      this.worker = null;
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    worker.on("error", died);
    worker.on("exit", (code) => died(new Error(`ctxc worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** Sends one request; rejects if the worker dies before it answers (or throws instead of answering). */
  send(request: WorkerRequest, transferList?: readonly TransferListItem[]): Promise<WorkerReply> {
    if (this.closed) return Promise.reject(new Error("ctxc lane closed"));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      try {
        worker.postMessage({ id, request }, transferList);
      } catch (err) {
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        reject(err as Error);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    const closed = new Error("ctxc lane closed");
    for (const pending of this.pending.values()) pending.reject(closed);
    this.pending.clear();
    await worker?.terminate();
  }
}
