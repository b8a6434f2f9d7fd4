/**
 * The worker pool behind `openSessionAsync` and `resolveBootstrapFilesForRun`: one lazily created
 * piscina pool running native-free-workers/openclaw-worker.js, shared by every caller in the process.
 *
 * Why shared and lazy: a gateway calls these per run from many places; one small pool (default 1
 * thread, grown with `configureOpenClawPool`) keeps the thread count predictable, and a gateway that
 * never calls them starts no thread. Idle threads exit after `idleTimeoutMs`, so the pool does not keep
 * a finishing process alive for long; `closeOpenClawPool()` ends it at once.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Piscina } from "piscina";
import { Errors, isWireError } from "../../native-free-workers/protocol/errors.js";
import { positiveInteger } from "../../native-free-workers/protocol/validate.js";
import { WORKER_FILE } from "../worker-file.js";
import type { OpenClawWorkerReply, OpenClawWorkerRequest } from "../../native-free-workers/openclaw-worker.js";

/** Where the built openclaw worker lives (next to the compile worker). */
export const OPENCLAW_WORKER_FILE = join(dirname(WORKER_FILE), "openclaw-worker.js");

/** Options of the shared pool. */
export interface OpenClawPoolOptions {
  /** Worker threads. Default 1. */
  threads?: number;
  /** Idle threads exit after this long. Default 30 s. */
  idleTimeoutMs?: number;
}

let options: Required<OpenClawPoolOptions> = { threads: 1, idleTimeoutMs: 30_000 };
let pool: Piscina | undefined;

/** Sets the pool's options; takes effect for the next pool (closes the current one if any). */
export async function configureOpenClawPool(next: OpenClawPoolOptions): Promise<void> {
  for (const [name, value] of Object.entries(next)) positiveInteger(name, value, 0);
  options = { ...options, ...Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)) };
  await closeOpenClawPool();
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
