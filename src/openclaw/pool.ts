/**
 * The worker pool behind `openSessionAsync` and `resolveBootstrapFilesForRun`: one lazily created
 * piscina pool running native-free-workers/openclaw-worker.js, shared by every caller in the process.
 *
 * Why shared and lazy: a gateway calls these per run from many places; one small pool (default 1
 * thread, grown with `configureOpenClawPool`) keeps the thread count predictable, and a gateway that
 * never calls them starts no thread. Idle threads exit after `idleTimeoutMs`, so the pool does not keep
 * a finishing process alive for long; `closeOpenClawPool()` ends it at once.
 *
 * With `indexDir`, the workers also keep what they read on disk (native-free-workers/openclaw/session-index.ts),
 * so a new pool — after a gateway restart — continues each transcript from there. The directory is
 * checked here once, on the main thread (private-dir.ts), and handed to every worker with the verdict.
 */
import { existsSync } from "node:fs";
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
  /** Worker threads. Default 1. */
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

let options: Required<Omit<OpenClawPoolOptions, "indexDir">> = { threads: 1, idleTimeoutMs: 30_000 };
let workerData: OpenClawWorkerData = { sessionIndex: null };
let pool: Piscina | undefined;

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
  const p = pool;
  pool = undefined;
  await p?.destroy();
}

/** Runs one request in the shared pool; WireErrors come back as thrown CtxcErrors. */
export async function runInOpenClawPool(request: OpenClawWorkerRequest): Promise<Exclude<OpenClawWorkerReply, { ctxcError: true }>> {
  if (!pool) {
    if (!existsSync(OPENCLAW_WORKER_FILE)) {
      throw Errors.internal(new Error(`ctxc openclaw worker not built: ${OPENCLAW_WORKER_FILE} (run \`npm run build\`)`));
    }
    pool = new Piscina({
      filename: OPENCLAW_WORKER_FILE,
      minThreads: 0,
      maxThreads: options.threads,
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
