/**
 * OpenClaw 2026.6.6+'s `readSessionFileDigest(sessionFile)` — the session-file fence's sha-256 of a whole
 * 8–32 MB transcript (`readSessionFileFenceSnapshot` after every `withSessionWriteLock`, on fence publication
 * and lock release: about seven per turn in a 2026.7.35 gateway run, several inside the session-resource-loader stage) — computed by ctxc's
 * worker instead of a 64 KiB `createReadStream` whose every chunk is hashed on the main thread (~440
 * event-loop hops per 28 MB, each waiting behind every other agent's work).
 *
 * Stock's answer, exactly: the hex digest of the file's bytes from open to end of file, or `undefined`
 * when the stream errors (missing path, a directory, an open or read the OS refuses). What ctxc cannot
 * answer as a stream would — a path Node rejects before opening (a NUL byte: stock's promise rejects), a
 * FIFO, socket or device, a worker that crashed or a pool that is closed — runs OpenClaw's own function,
 * with one `fallback` line.
 *
 * No digest is answered from a stat: a rewrite within the same timestamp tick to the same size leaves size,
 * mtime and ctime as they were, and a digest keyed by them would call a changed file unchanged — the very
 * thing the fence exists to notice. Each call reads the whole file as it is; the worker keeps the bytes it
 * hashed last time and its hash state after them, so it compares that prefix (memcmp) instead of hashing it
 * again, and hashes from the first byte that differs (native-free-workers/openclaw/file-digest.ts). Off the
 * main thread, a call costs the gateway one round trip.
 */
import { resolve } from "node:path";
import { Priority, runInOpenClawPool } from "./pool.js";
import type { Handler, PreloadDeps } from "./preload-deps.js";
import { noteDigested, takePrefetchedDigest } from "./prefetched-digest.js";
import type { FileDigestReply } from "../../native-free-workers/protocol/file-digest.js";

const WHERE = "readSessionFileDigest";

async function readSessionFileDigest(deps: PreloadDeps, original: (file: unknown) => Promise<string | undefined>, [sessionFile]: unknown[]): Promise<string | undefined> {
  // Stock's own ways with what is not a plain path (a Buffer or URL is read by the stream as such; a NUL
  // byte makes createReadStream throw) stay stock's.
  if (typeof sessionFile !== "string" || sessionFile.includes("\0")) {
    deps.stepAside(`${WHERE} runs stock: not a plain path string`);
    return original(sessionFile);
  }
  // The stream opens a relative path against the process's cwd; the worker shares it, resolved here anyway.
  const path = resolve(sessionFile);
  noteDigested(path);
  // Asked beside this turn's repair check and still the file's digest (prefetched-digest.ts), or undefined.
  const prefetched = takePrefetchedDigest(path);
  const early = prefetched && (await prefetched);
  if (early !== undefined) {
    deps.counters.digestsServed++;
    deps.counters.digestsPrefetched++;
    return early;
  }
  let reply: FileDigestReply;
  try {
    // The turn waits on it (the session-resource-loader stage, under the session's write lock): first in line.
    reply = (await runInOpenClawPool({ op: "fileDigest", path }, Priority.open)) as FileDigestReply;
  } catch (err) {
    deps.fallback(WHERE, err);
    return original(sessionFile);
  }
  if ("sha256" in reply) {
    deps.counters.digestsServed++;
    return reply.sha256;
  }
  if (reply.streamFails) {
    deps.counters.digestsServed++;
    return undefined;
  }
  deps.fallback(WHERE, `${reply.error.message} (a stream reads it its own way)`);
  return original(sessionFile);
}

/** The handler (preload-runtime.ts `handlers`). */
export function sessionDigestHandlers(deps: PreloadDeps): Record<string, Handler> {
  return { readSessionFileDigest: (original, args) => readSessionFileDigest(deps, original, args) };
}
