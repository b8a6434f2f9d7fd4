/**
 * The piscina worker entry of `ctxc/openclaw`: the two OpenClaw stages that read files on the gateway's
 * main thread, moved here.
 *
 * - `session`: reads a transcript into the session buffer (openclaw/session-buffer.ts) and transfers it;
 *   a transcript read before and only appended to since is continued, not re-parsed — also after a
 *   restart, from the persistent index when the pool was given one (openclaw/session-index.ts) — and a
 *   caller that says which records of this worker's read it already has gets only the ones appended since.
 * - `sessionMeta`: the same read, answering only its meta (e.g. OpenClaw's transcript leaf info).
 * - `repairCheck`: the same read for OpenClaw's repair pass: the meta (and the image lines it judges),
 *   stopping early once the pass is known to rewrite the file.
 * - `recentLines`: the same read, answering the lines OpenClaw's recent-conversation read can use.
 * - `fileDigest`: the sha-256 of a whole file (OpenClaw 2026.6.6+'s session-fence digest), read in chunks,
 *   giving the thread back between slices so the other requests handed to this worker run between them
 *   (openclaw/file-digest.ts).
 * - `ready`: nothing; answers once the worker has loaded (the pool starts its threads before a gateway's first
 *   turn with it: src/openclaw/pool.ts `startOpenClawPool`).
 * - `port`: the pool's own channel (src/openclaw/pool.ts): every later request of the pool comes over this
 *   port ({@link PortRequest}) and is answered there ({@link PortReply}), not as a piscina task.
 * - `bootstrap`: reads the workspace bootstrap files. The per-worker cache keyed by path + file identity
 *   (realpath, dev, ino, size, mtime) means an unchanged file is stat'ed but not read again.
 *
 * A request may carry `trace` (protocol/call-trace.ts): the worker then stamps when it started and finished
 * serving it, and how long its own code ran.
 *
 * A separate entry from compile-worker.ts because these loads need no session affinity or slicing:
 * any worker can serve them. Failures are returned as WireErrors (structured clone drops `code`).
 */
import type { MessagePort, TransferListItem } from "node:worker_threads";
import { move, Piscina, transferableSymbol, valueSymbol } from "piscina";
import { CtxcError, Errors, type WireError } from "./protocol/errors.js";
import {
  resolveBootstrapFilesDetailed,
  type BootstrapDiagnostic,
  type BootstrapFile,
  type CachedBootstrapFile,
  type ResolveBootstrapFilesOptions,
} from "./bootstrap/bootstrap-files.js";
import {
  encodeSessionBuffer,
  readMayHoldKey,
  readRecentLines,
  readRepairCheck,
  readSessionMeta,
  type MayHoldKeyReply,
  SessionReadCache,
  type SessionBufferOptions,
} from "./openclaw/session-buffer.js";
import type { RecentLinesQuery, RecentLinesReply } from "./openclaw/recent-lines.js";
import { DigestMemo, digestFileSliced } from "./openclaw/file-digest.js";
import { TraceSlot, traceNow } from "./protocol/call-trace.js";
import { DIGEST_KEEP_FILE_BYTES, DIGEST_KEEP_TOTAL_BYTES, type FileDigestReply } from "./protocol/file-digest.js";
import type { RepairCheckOptions, RepairCheckReply, SessionContinuation, SessionMeta } from "./protocol/session-buffer-layout.js";
import type { SessionIndexDir } from "./openclaw/session-index.js";
import { readyReply, type ImageJudgeSpec } from "./protocol/image-judge.js";
import { loadImageJudge } from "./openclaw/image-judge.js";

/**
 * What the pool (src/openclaw/pool.ts) starts each worker with: the persistent index directory of the
 * session reads, as the main thread checked it (private-dir.ts), or null for none.
 */
export interface OpenClawWorkerData {
  sessionIndex: SessionIndexDir | null;
  /** Bytes the worker keeps for digests (DigestMemo); 0: none; absent: DIGEST_KEEP_TOTAL_BYTES. */
  digestKeepBytes?: number;
  /** Entry bytes the worker keeps of its session reads (SessionReadCache); 0: none; absent: CACHE_DEFAULTS.sessionReadCacheBytes. */
  readKeepBytes?: number;
  /** The release's image judge, to judge the repair pass's image lines here (openclaw/image-judge.ts); absent: the main thread judges them. */
  imageJudge?: ImageJudgeSpec;
}

export type OpenClawWorkerRequest = OpenClawWorkerOp & {
  /** Opt-in call trace: the worker stamps its slots (protocol/call-trace.ts). Absent: nothing extra is done. */
  trace?: SharedArrayBuffer;
};

/** The requests the worker serves (see the file comment). */
export type OpenClawWorkerOp =
  | { op: "session"; path: string; options?: SessionBufferOptions; continueFrom?: SessionContinuation; whole?: boolean; fields?: boolean; canonical?: boolean }
  | { op: "sessionMeta"; path: string; options?: SessionBufferOptions }
  | { op: "repairCheck"; path: string; options?: SessionBufferOptions; check: RepairCheckOptions }
  | { op: "recentLines"; path: string; options?: SessionBufferOptions; query: RecentLinesQuery }
  | { op: "mayHoldKey"; path: string; options?: SessionBufferOptions; key: string; keys?: boolean }
  | { op: "fileDigest"; path: string }
  | { op: "bootstrap"; options: Omit<ResolveBootstrapFilesOptions, "cache" | "onDiagnostic"> }
  | { op: "ready" };

/** The piscina task that hands the worker the pool's channel (see the file comment); answers `true` at once. */
export interface PortHandover {
  op: "port";
  port: MessagePort;
}
/** A request over the pool's channel: `id` names it in the reply. */
export interface PortRequest {
  id: number;
  request: OpenClawWorkerRequest;
}
/** The answer to {@link PortRequest} `id`: the handler's reply, or `failed` when it threw or its reply could not be posted. */
export type PortReply = { id: number; reply: OpenClawWorkerReply } | { id: number; failed: string };

export interface BootstrapReply {
  files: BootstrapFile[];
  diagnostics: BootstrapDiagnostic[];
  /** Files whose bytes were read by this request (the others came from the worker's cache). */
  reads: number;
}

export type OpenClawWorkerReply = ArrayBuffer | SessionMeta | RepairCheckReply | RecentLinesReply | MayHoldKeyReply | FileDigestReply | string | BootstrapReply | WireError;

/**
 * One per worker: what was parsed of each transcript, so OpenClaw's per-turn session open costs only the
 * appended lines when the same worker serves it again (always, with the default single thread).
 */
// `Piscina.workerData`, not the `workerData` export: that one is captured when piscina is first loaded in
// the thread, and under the preload (`--import`, inherited by worker threads) that is before piscina's
// worker has received it (it is then null).
const sessionCache = new SessionReadCache(
  (Piscina.workerData as OpenClawWorkerData | undefined)?.readKeepBytes,
  (Piscina.workerData as OpenClawWorkerData | undefined)?.sessionIndex ?? null,
);

/**
 * The release's image judge, built once at start (its module imported, its functions evaluated); `ready`
 * answers after it, so a pool started before the first turn has it then. Resolves to why it could not be
 * built (the image lines then go to the main thread), or null.
 */
const imageJudgeSpec = (Piscina.workerData as OpenClawWorkerData | undefined)?.imageJudge;
const imageJudgeLoaded: Promise<string | null> = imageJudgeSpec ? loadImageJudge(imageJudgeSpec) : Promise.resolve(null);

/** One per worker: bootstrap file contents by path, with the identity they were read under. */
const fileCache = new Map<string, CachedBootstrapFile>();

/**
 * The last digest handed to this worker: each `fileDigest` starts when the one before it is done, so two
 * digests never share the thread slice by slice (each would finish later); the pool hands over the next
 * one while one runs (src/openclaw/pool.ts: the digest lane), so it starts without a round trip.
 */
let digests: Promise<unknown> = Promise.resolve();

/**
 * One per worker: the bytes and hash states of the files it digested, so a digest hashes only what changed;
 * none when the gateway set the bound to 0 (`CTXC_OPENCLAW_DIGEST_KEEP_MB=0`: every digest hashes the file).
 */
const digestKeepBytes = (Piscina.workerData as OpenClawWorkerData | undefined)?.digestKeepBytes ?? DIGEST_KEEP_TOTAL_BYTES;
const digestMemo = digestKeepBytes > 0 ? new DigestMemo(digestKeepBytes, Math.min(DIGEST_KEEP_FILE_BYTES, digestKeepBytes)) : undefined;

/** One digest after those before it on this worker; `ran` gets the ms its slices ran (not the waits). */
function queuedDigest(path: string, ran?: (ms: number) => void): Promise<FileDigestReply> {
  const mine = digests.then(() => digestFileSliced(path, { ran, memo: digestMemo }));
  digests = mine.catch(() => undefined);
  return mine;
}

export default async function handle(request: OpenClawWorkerRequest | PortHandover): Promise<OpenClawWorkerReply | true> {
  if (request.op === "port") return servePort(request.port);
  const trace = request.trace;
  if (trace === undefined) return serve(request);
  const slots = new Float64Array(trace);
  slots[TraceSlot.started] = traceNow();
  let ownMs = 0;
  // Only an op that pauses reports its slices; any other ran from started to done without a pause.
  let sliced = false;
  const ran = (ms: number) => {
    sliced = true;
    ownMs += ms;
  };
  try {
    return await serve(request, ran);
  } finally {
    slots[TraceSlot.done] = traceNow();
    slots[TraceSlot.ownMs] = sliced ? ownMs : slots[TraceSlot.done]! - slots[TraceSlot.started]!;
  }
}

/**
 * Serves the pool's requests over `port` (src/openclaw/pool.ts: piscina's per-task path cost the main
 * thread more than the rest of the round trip). A reply piscina would have moved (`move`) is transferred
 * here likewise.
 */
function servePort(port: MessagePort): true {
  port.on("message", ({ id, request }: PortRequest) => {
    handle(request).then(
      (reply) => {
        const moved = reply !== null && typeof reply === "object" && valueSymbol in reply;
        const value = moved ? (reply as unknown as Record<symbol, OpenClawWorkerReply>)[valueSymbol]! : (reply as OpenClawWorkerReply);
        const transfer = moved ? [(reply as unknown as Record<symbol, TransferListItem>)[transferableSymbol]!] : [];
        try {
          port.postMessage({ id, reply: value } satisfies PortReply, transfer);
        } catch (err) {
          port.postMessage({ id, failed: String(err) } satisfies PortReply);
        }
      },
      (err: unknown) => port.postMessage({ id, failed: String(err) } satisfies PortReply),
    );
  });
  return true;
}

async function serve(request: OpenClawWorkerOp, ran?: (ms: number) => void): Promise<OpenClawWorkerReply> {
  try {
    switch (request.op) {
      case "session":
        // With continueFrom: only what the caller does not have yet (meta.base), when its records are this worker's.
        // fields false: no member scan (a caller that parses the lines itself); canonical false: no
        // canonical-line scan (a caller that never checks exactness).
        const scans = { fields: request.fields !== false, canonical: request.canonical !== false };
        return move(encodeSessionBuffer(request.path, request.options, sessionCache, request.continueFrom, request.whole, scans)) as ArrayBuffer;
      case "sessionMeta":
        // The same (continued) read, without assembling the buffer: only the small meta goes back.
        return readSessionMeta(request.path, request.options, sessionCache);
      case "repairCheck":
        // A check naming a judge waits for this worker's to be built (a worker started after an idle exit
        // gets its first request at once), so its image lines are judged here, not sent.
        if (request.check.judge !== undefined) await imageJudgeLoaded;
        // The same read, stopping once the repair verdict is settled; only the meta (and image lines) go back.
        return readRepairCheck(request.path, request.options ?? {}, sessionCache, request.check);
      case "recentLines":
        // The same read, answering only the few lines OpenClaw's recent-conversation read can use.
        return readRecentLines(request.path, request.options ?? {}, sessionCache, request.query);
      case "mayHoldKey":
        // The same read; the scan of every entry line's bytes for the key stays here (one boolean goes back,
        // and asked for, the lines' keys: the main thread answers the next lookups from them, kept-keys.ts).
        return readMayHoldKey(request.path, request.options ?? {}, sessionCache, request.key, request.keys === true);
      case "fileDigest":
        // Not a session read: the file's bytes as they are, hashed; errors come back in the reply.
        // Sliced: the other ops handed to this worker run between its slices; digests one after the other.
        return await queuedDigest(request.path, ran);
      case "ready": {
        // The module graph above is loaded, the caches made and the image judge built: a first read finds the thread ready.
        return readyReply(await imageJudgeLoaded);
      }
      case "bootstrap": {
        let reads = 0;
        const counting = {
          get: (p: string) => fileCache.get(p),
          set: (p: string, entry: CachedBootstrapFile) => {
            reads++;
            return fileCache.set(p, entry);
          },
          delete: (p: string) => fileCache.delete(p),
        };
        const { files, diagnostics } = await resolveBootstrapFilesDetailed({ ...request.options, cache: counting });
        return { files, diagnostics, reads };
      }
    }
  } catch (err) {
    return (err instanceof CtxcError ? err : Errors.internal(err)).toWire();
  }
}
