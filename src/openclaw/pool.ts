/**
 * The worker pool behind `openSessionAsync` and `resolveBootstrapFilesForRun`: lazily created piscina
 * pools running native-free-workers/openclaw-worker.js, shared by every caller in the process.
 *
 * Why shared and lazy: a gateway calls these per run from many places; a small pool keeps the thread
 * count predictable, and a gateway that never calls them starts no thread. Idle threads exit after
 * `idleTimeoutMs`, so the pool does not keep a finishing process alive for long; `closeOpenClawPool()`
 * ends it at once.
 *
 * Why one single-thread pool per thread, each transcript always on the same one: a worker keeps what it
 * has read of each transcript (the next read of it parses only what was appended, and the main thread's
 * kept entries continue from that read: kept-entries.ts). A read sent to another thread would start over.
 * So a transcript's requests go to the pool its path hashes to. Why more than one thread (default 2 on a
 * machine with 4+ cores, `os.availableParallelism`; {@link defaultThreads}): the agents' first turns after
 * a start arrive together, each with a cold whole-file read; on one thread they queue behind each other
 * (2026.7.35 real-gateway: the session-resource-loader p99 worse than stock's).
 *
 * With `indexDir`, the workers also keep what they read on disk (native-free-workers/openclaw/session-index.ts),
 * so a new pool — after a gateway restart — continues each transcript from there. The directory is
 * checked here once, on the main thread (private-dir.ts), and handed to every worker with the verdict.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { Piscina } from "piscina";
import { Errors, isWireError } from "../../native-free-workers/protocol/errors.js";
import { checkPrivateDir } from "../../native-free-workers/session/private-dir.js";
import { positiveInteger } from "../../native-free-workers/protocol/validate.js";
import { WORKER_FILE } from "../worker-file.js";
import type { OpenClawWorkerData, OpenClawWorkerReply, OpenClawWorkerRequest } from "../../native-free-workers/openclaw-worker.js";

/** Where the built openclaw worker lives (next to the compile worker). */
export const OPENCLAW_WORKER_FILE = join(dirname(WORKER_FILE), "openclaw-worker.js");

/** Options of the shared pool. */
export interface OpenClawPoolOptions {
  /** Worker threads (each transcript always on the same one). Default {@link defaultThreads}. */
  threads?: number;
  /** Idle threads exit after this long. Default 30 s. */
  idleTimeoutMs?: number;
  /**
   * Persistent index of the session reads: a directory private to this user (created 0700 when missing;
   * a symlink, another user's, or one others can write to — or under such a parent — is refused: see
   * {@link openClawPoolIndex}), where each transcript's read state is saved (files 0600, no message
   * text: SECURITY.md). `null` (default): none, a new pool reads each transcript in full the first time.
   */
  indexDir?: string | null;
}

/**
 * 2 on a machine with 4 or more cores, else 1. Not 2 on 2 cores: during the burst of first turns the
 * gateway's main thread is busy too (OpenClaw's repair passes, its session opens), and two workers next to
 * it oversubscribe the machine — bench/openclaw-first-turns.ts on this 2-core machine under load 5–6 was
 * as likely slower as faster (last read ready 1.74 s with 1 thread vs 1.56–2.53 s with 2). Set
 * CTXC_OPENCLAW_THREADS to choose.
 */
export function defaultThreads(cores: number = availableParallelism()): number {
  return cores >= 4 ? 2 : 1;
}

let options: Required<Omit<OpenClawPoolOptions, "indexDir">> = { threads: defaultThreads(), idleTimeoutMs: 30_000 };
let workerData: OpenClawWorkerData = { sessionIndex: null };
/** One single-thread pool per thread, created on first use (see the file comment). */
let pools: (Piscina | undefined)[] = [];

/** The pool a request goes to: by its transcript's path (FNV-1a), bootstrap requests to the first. */
export function shardOf(request: OpenClawWorkerRequest, threads: number): number {
  if (threads <= 1 || !("path" in request) || typeof request.path !== "string") return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < request.path.length; i++) h = Math.imul(h ^ request.path.charCodeAt(i), 0x01000193);
  return (h >>> 0) % threads;
}

/**
 * Sets the pool's options; takes effect for the next pool (closes the current one if any). An
 * `indexDir` is checked here, at once: {@link openClawPoolIndex} says whether it was refused.
 */
export async function configureOpenClawPool(next: OpenClawPoolOptions): Promise<void> {
  const { indexDir, ...numbers } = next;
  for (const [name, value] of Object.entries(numbers)) positiveInteger(name, value, 0);
  options = { ...options, ...Object.fromEntries(Object.entries(numbers).filter(([, v]) => v !== undefined)) };
  if (indexDir !== undefined) workerData = { sessionIndex: indexDir === null ? null : checkedIndexDir(indexDir) };
  await closeOpenClawPool();
}

function checkedIndexDir(dir: string): NonNullable<OpenClawWorkerData["sessionIndex"]> {
  const verdict = checkPrivateDir(dir);
  return { dir: verdict.path, check: verdict.ok ? { identity: { dev: verdict.dev, ino: verdict.ino } } : { refused: verdict.reason } };
}

/** The pool's session index directory and, when it was refused, why (the reason reads after the path); null without one. */
export function openClawPoolIndex(): { dir: string; refused: string | null } | null {
  const index = workerData.sessionIndex;
  return index && { dir: index.dir, refused: "refused" in index.check ? index.check.refused : null };
}

/** Stops the shared pool's threads (a later call starts a new pool). */
export async function closeOpenClawPool(): Promise<void> {
  const closing = pools;
  pools = [];
  await Promise.all(closing.map((p) => p?.destroy()));
}

/** The configured thread count (for the preload's log). */
export function openClawPoolThreads(): number {
  return options.threads;
}

/** Runs one request in the shared pool; WireErrors come back as thrown CtxcErrors. */
export async function runInOpenClawPool(request: OpenClawWorkerRequest): Promise<Exclude<OpenClawWorkerReply, { ctxcError: true }>> {
  const shard = shardOf(request, options.threads);
  let pool = pools[shard];
  if (!pool) {
    if (!existsSync(OPENCLAW_WORKER_FILE)) {
      throw Errors.internal(new Error(`ctxc openclaw worker not built: ${OPENCLAW_WORKER_FILE} (run \`npm run build\`)`));
    }
    pool = pools[shard] = new Piscina({
      filename: OPENCLAW_WORKER_FILE,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: options.idleTimeoutMs,
      workerData,
    });
  }
  let reply: OpenClawWorkerReply;
  try {
    reply = (await pool.run(request)) as OpenClawWorkerReply;
  } catch (err) {
    throw Errors.workerFailed(err);
  }
  if (isWireError(reply)) throw Errors.fromWire(reply);
  return reply;
}
