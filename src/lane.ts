/**
 * A lane: one worker thread (src/lane-worker.ts: replaced when it dies, resourceLimits enforced by
 * Node) plus the queue of builds that run on it.
 *
 * Why lanes instead of one shared pool: a session's incremental state lives in the worker that built
 * it, so a session's builds must go back to that worker (affinity). Why slices: builds run a slice
 * at a time, and the lane serves agents round-robin between slices, so a long cold build of one
 * agent delays another agent's build by at most one slice.
 */
import type { ResourceLimits } from "node:worker_threads";
import { sessionKeyOf, type CompileTask } from "../native-free-workers/protocol/compile-task.js";
import { CtxcError, Errors, isWireError } from "../native-free-workers/protocol/errors.js";
import type { WorkerReply, WorkerRequest } from "../native-free-workers/compile-worker.js";
import { WORKER_FILE } from "./worker-file.js";
import { LaneWorker } from "./lane-worker.js";
import { claimOpen, ScanClaim, type ScanRangeRequest, type SplitWire } from "../native-free-workers/protocol/key-batch.js";
import type { MessagePort } from "node:worker_threads";
import type { TokenizerName } from "../native-free-workers/protocol/tokenizers.js";

/** One build waiting for, or running on, a lane. */
export interface Job {
  readonly id: number;
  /** Fairness key: builds of one agent share a queue; agents take turns. */
  readonly agent: string;
  readonly task: CompileTask;
  /** Whether the worker holds this build's generator (false: next slice starts it). */
  started: boolean;
  /** Set when the job was settled from outside (abort, timeout, close): drop it at the next chance. */
  cancelled: boolean;
  /** Slices run so far. */
  slices: number;
  /**
   * A cold build whose second part another lane scans (src/split-cold.ts): sent with the first start
   * only (its port is moved then); a restart after a lost worker reads the whole file itself.
   */
  split?: SplitWire;
  resolve(buffer: ArrayBuffer): void;
  reject(error: CtxcError): void;
}

export interface LaneOptions {
  sliceMs: number;
  maxCacheBytes: number;
  resourceLimits?: ResourceLimits;
  /** The compiler's default tokenizer: the worker loads its encoder before its first request (none for `estimate`). */
  preloadTokenizer?: TokenizerName;
}

export class Lane {
  private readonly worker: LaneWorker;
  /** agent → its jobs, oldest first. Map order is the round-robin order: served agents move to the back. */
  private readonly queues = new Map<string, Job[]>();
  private running: Job | null = null;
  /**
   * Shared with the worker: non-zero asks the running build to pause at its next slice boundary
   * (another agent waits, or the running build was cancelled). Zero lets it run to the end without a
   * round trip per slice.
   */
  private readonly yieldFlag = new SharedArrayBuffer(4);
  /** Control requests (forget a session) run between slices, before the next build slice. */
  private controls: { request: WorkerRequest; done: () => void; transferList?: MessagePort[]; failed?: () => void }[] = [];
  private controlRunning = false;
  private idleWaiters: (() => void)[] = [];
  /** Transcripts whose state this lane's worker holds (or will after its current build). */
  readonly sessions = new Set<string>();
  failures = 0;

  constructor(private readonly options: LaneOptions) {
    // The lane does its own queueing (per agent): its worker sees at most one request at a time.
    const preloadTokenizer = options.preloadTokenizer;
    this.worker = new LaneWorker(WORKER_FILE, options.resourceLimits, preloadTokenizer === undefined ? undefined : { preloadTokenizer });
  }

  /** Jobs waiting (not running). */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n - (this.running ? 1 : 0);
  }

  /** Jobs waiting or running. */
  get load(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Whether a build of this session (sessionKeyOf) waits or runs here. */
  hasJobsOf(sessionKey: string): boolean {
    for (const queue of this.queues.values()) for (const job of queue) if (sessionKeyOf(job.task) === sessionKey) return true;
    return false;
  }

  enqueue(job: Job): void {
    const queue = this.queues.get(job.agent);
    if (queue) queue.push(job);
    else this.queues.set(job.agent, [job]);
    this.updateYieldFlag();
    this.pump();
  }

  /** Asks the running build to yield when anyone but its own agent waits, or when it was cancelled. */
  private updateYieldFlag(): void {
    const running = this.running;
    let others = this.controls.length > 0 || (running?.cancelled ?? false);
    for (const [agent, queue] of this.queues) {
      if (others) break;
      if (agent !== running?.agent && queue.length > 0) others = true;
    }
    Atomics.store(new Int32Array(this.yieldFlag), 0, others ? 1 : 0);
  }

  /** Drops a job that was settled from outside; tells the worker to free it if it holds it. */
  cancel(job: Job): void {
    job.cancelled = true;
    // Not started yet: the other lane need not scan its second part.
    if (job.split) claimOpen(job.split.claim, ScanClaim.takenBack);
    if (this.running === job) {
      this.updateYieldFlag(); // stop it at the next slice boundary; dropped when its slice returns
      return;
    }
    this.remove(job);
    this.updateYieldFlag();
    if (job.started) void this.send({ op: "cancel", jobId: job.id }).catch(() => {});
    this.pump();
  }

  private remove(job: Job): void {
    const queue = this.queues.get(job.agent);
    if (!queue) return;
    const i = queue.indexOf(job);
    if (i >= 0) queue.splice(i, 1);
    if (queue.length === 0) this.queues.delete(job.agent);
  }

  private send(request: WorkerRequest, transferList?: MessagePort[]): Promise<WorkerReply> {
    return this.worker.send(request, transferList);
  }

  private next(): Job | undefined {
    for (const [agent, queue] of this.queues) {
      // Rotate: this agent goes to the back, so the next slice serves someone else.
      this.queues.delete(agent);
      this.queues.set(agent, queue);
      return queue[0];
    }
    return undefined;
  }

  /** Drops the worker's state for `path` (between slices, so never under a running build). */
  forget(path: string): Promise<void> {
    this.sessions.delete(path);
    return new Promise((done) => {
      this.controls.push({ request: { op: "forget", path }, done });
      this.updateYieldFlag();
      this.pump();
    });
  }

  /**
   * Scans the second part of a cold build another lane owns (native-free-workers/split-handoff.ts), as
   * soon as the running slice ends: the owner is waiting for it, or will be. If this lane's worker dies
   * under it, the claim cell says so and the owner reads the rest itself.
   */
  scanRange(request: ScanRangeRequest): void {
    this.controls.push({
      request: { op: "scanRange", ...request },
      done: () => {},
      transferList: [request.port],
      failed: () => Atomics.store(new Int32Array(request.claim), 0, ScanClaim.failed),
    });
    this.updateYieldFlag();
    this.pump();
  }

  private pump(): void {
    if (this.running || this.controlRunning) return;
    const control = this.controls.shift();
    if (control) {
      this.controlRunning = true;
      void this.send(control.request, control.transferList)
        .catch(() => control.failed?.()) // a dead worker has forgotten everything anyway
        .finally(() => {
          this.controlRunning = false;
          control.done();
          this.pump();
        });
      return;
    }
    const job = this.next();
    if (!job) {
      for (const wake of this.idleWaiters.splice(0)) wake();
      return;
    }
    this.running = job;
    this.updateYieldFlag();
    void this.runSlice(job).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async runSlice(job: Job): Promise<void> {
    const { sliceMs, maxCacheBytes } = this.options;
    let reply: WorkerReply;
    try {
      const split = job.started ? undefined : job.split;
      job.split = undefined;
      reply = await this.send(
        job.started
          ? { op: "resume", jobId: job.id, sliceMs, yieldFlag: this.yieldFlag }
          : { op: "start", jobId: job.id, task: job.task, sliceMs, maxCacheBytes, yieldFlag: this.yieldFlag, split },
        split && [split.port],
      );
    } catch (err) {
      // The worker died (crash, exit, out of memory). LaneWorker starts a new one for the next request; every
      // build it held is gone, so the others restart from scratch on it. Only this build fails.
      this.failures++;
      for (const queue of this.queues.values()) for (const other of queue) other.started = false;
      this.sessions.clear();
      this.remove(job);
      job.reject(Errors.workerFailed(err));
      return;
    }
    job.started = true;
    job.slices++;
    if (job.cancelled) {
      this.remove(job);
      if (!(reply instanceof ArrayBuffer) && "paused" in reply) void this.send({ op: "cancel", jobId: job.id }).catch(() => {});
      return;
    }
    if (reply instanceof ArrayBuffer) {
      this.remove(job);
      job.resolve(reply);
    } else if (isWireError(reply)) {
      this.remove(job);
      job.reject(Errors.fromWire(reply));
    } else if ("lost" in reply) {
      job.started = false; // the worker was replaced since the last slice: start over
    }
    // paused: stays queued; the agent already moved to the back of the round.
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.running && !this.controlRunning && this.queues.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
