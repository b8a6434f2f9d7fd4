/**
 * The main-thread API: a pool of worker threads that compile transcripts into context buffers.
 * The main thread validates options, queues the task and decodes the header of the returned buffer;
 * reading, parsing, tokenizing and assembling all happen in the workers.
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import type { ResourceLimits } from "node:worker_threads";
import { decodeContext, type CompiledContext } from "./decode-context.js";
import { CtxcError, Errors, isWireError } from "./errors.js";
import { DEFAULTS, normalizeBuildOptions, validateTokenizer, type BuildOptions, type TokenizerName } from "./options.js";
import { assertWorkerBuilt, WORKER_FILE } from "./worker-file.js";

/** Options of a compiler (one worker pool). */
export interface CompilerOptions {
  /** Worker threads. Default: available cores − 1, at least 1 (the main thread keeps a core). */
  threads?: number;
  /** Default tokenizer for builds that do not name one. Default `o200k_base`. */
  tokenizer?: TokenizerName;
  /** Builds allowed to wait for a worker; one more rejects with QUEUE_FULL. Default 1,000. */
  maxQueue?: number;
  /** Per-worker V8 limits; a worker exceeding them fails its build with WORKER_FAILED and is replaced. */
  resourceLimits?: ResourceLimits;
  /** Idle workers exit after this many ms. Default: never while the compiler is open. */
  idleTimeoutMs?: number;
}

export interface CompilerStats {
  /** Builds waiting for a worker. */
  queued: number;
  /** Builds finished, by outcome. */
  builds: { ok: number; failed: number };
  threads: number;
}

export interface Compiler {
  /** Compiles one transcript (+ workspace) into a context. */
  build(options: BuildOptions): Promise<CompiledContext>;
  /** Pool and build counters. */
  stats(): CompilerStats;
  /** Waits for running builds, then stops the workers. Later builds reject with COMPILER_CLOSED. */
  close(): Promise<void>;
}

function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw Errors.invalidOption(name, `expected a positive integer, got ${value}`);
  return value;
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === "AbortError" || (err as { code?: string }).code === "ABORT_ERR");
}

export function createCompiler(options: CompilerOptions = {}): Compiler {
  assertWorkerBuilt();
  const threads = positiveOption("threads", options.threads, defaultThreads());
  const maxQueue = positiveOption("maxQueue", options.maxQueue, 1_000);
  const defaultTokenizer = validateTokenizer(options.tokenizer ?? DEFAULTS.tokenizer);
  const pool = new Piscina({
    filename: WORKER_FILE,
    minThreads: threads,
    maxThreads: threads,
    maxQueue,
    idleTimeout: options.idleTimeoutMs ?? Number.MAX_SAFE_INTEGER,
    resourceLimits: options.resourceLimits,
  });
  const counters = { ok: 0, failed: 0 };
  let closed = false;

  async function run(options: BuildOptions): Promise<CompiledContext> {
    if (closed) throw Errors.compilerClosed();
    const task = normalizeBuildOptions(options, defaultTokenizer);
    const signals: AbortSignal[] = [];
    if (options.signal) signals.push(options.signal);
    if (options.timeoutMs !== undefined) {
      if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) {
        throw Errors.invalidOption("timeoutMs", `expected a positive integer, got ${options.timeoutMs}`);
      }
      signals.push(AbortSignal.timeout(options.timeoutMs));
    }
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    if (signal?.aborted) throw abortReason(options, signal);
    if (pool.queueSize >= maxQueue) throw Errors.queueFull(maxQueue);
    let result: ArrayBuffer | unknown;
    try {
      result = await pool.run(task, { signal });
    } catch (err) {
      if (signal?.aborted || isAbortError(err)) throw abortReason(options, signal);
      if (err instanceof Error && /queue.*(full|limit)/i.test(err.message)) throw Errors.queueFull(maxQueue);
      throw Errors.workerFailed(err);
    }
    if (isWireError(result)) throw Errors.fromWire(result);
    return decodeContext(result as ArrayBuffer);
  }

  return {
    async build(options) {
      try {
        const ctx = await run(options);
        counters.ok++;
        return ctx;
      } catch (err) {
        counters.failed++;
        throw err instanceof CtxcError ? err : Errors.internal(err);
      }
    },
    stats() {
      return { queued: pool.queueSize, builds: { ...counters }, threads };
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.close();
    },
  };
}

function abortReason(options: BuildOptions, signal: AbortSignal | undefined): CtxcError {
  if (options.signal?.aborted) return Errors.aborted(options.signal.reason);
  if (signal?.aborted && options.timeoutMs !== undefined) return Errors.timeout(options.timeoutMs);
  return Errors.aborted(signal?.reason);
}
