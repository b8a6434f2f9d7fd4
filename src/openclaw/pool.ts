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
 * Why the pool keeps its own queue (issue #11: the agents' first turns after a start arrive together): a
 * piscina queue runs requests in arrival order, so a session whose repair pass is done and whose open now
 * waits on its read sat behind the other agents' repair checks, and a 10 MB file's read behind a 28 MB
 * one. Here each thread's requests wait in {@link nextOf}'s order — the reads a session open waits on
 * ({@link Priority.open}) first, then the smallest file first, then arrival — and only {@link AHEAD} are
 * handed to the worker at a time: the one running and the next, so the worker goes on to the next read
 * without waiting for the main thread (busy with OpenClaw's own repair parse) to hand it one.
 *
 * Why digests have a lane of their own (issue #11): a session-fence digest (`fileDigest`, ~7 per turn,
 * 40–90 ms of sha-256 each at 28 MB) gives its worker back between slices (native-free-workers/openclaw/
 * file-digest.ts), so a request handed over with it — a continued read, a repair check — runs in a slice's
 * gap instead of after the whole file. So up to {@link AHEAD} digests AND up to {@link AHEAD} other
 * requests are with a worker at once: the worker runs its digests one after the other (two sharing the
 * thread slice by slice would each finish later), the next one already there when one ends (no wait for the
 * main thread to hand it over), and the other requests between their slices.
 *
 * With `CTXC_OPENCLAW_TRACE=1` each request is timed (trace.ts `CallTrace`): waiting here, waiting in the
 * worker, running, and the hop back to the main thread.
 *
 * The pool tells one {@link PoolObserver} (idle-reread.ts: the background re-read after OpenClaw's
 * whole-file writes, run only while no turn wants the workers) when it goes busy and idle, and which
 * requests were answered, each with its ticket (requests numbered in the order they were asked for).
 *
 * Why a channel of its own beside piscina (issue #11: ~7 digests and a few reads per turn, each one round
 * trip): piscina's per-task path — its task object and async resource, its queue and balancer, the Atomics
 * wake-up — cost the main thread more than the rest of a request's round trip, and this queue does the
 * scheduling already (bench/openclaw-roundtrip.ts, main-thread CPU per request through piscina vs this
 * channel: 72 vs 30 µs for a trivial one, 103 vs 56 for a memoised digest; the seven digests of a 2026.7.35
 * later turn, bench/openclaw-turns.ts: 1.3–2.9 ms less main-thread CPU a turn). So piscina only starts the
 * thread (with `workerData`), hands it the pool's port once (the worker's `port` op) and ends it; every request goes
 * over the port, answered by id. The idle exit is this pool's: a thread with nothing in flight for
 * `idleTimeoutMs` is ended (piscina's own never fires: it sees no task), and the port is referenced only
 * while a request is in flight, so neither keeps a finishing process alive. A thread that dies (or whose
 * start fails) closes its port: what it had in flight and what waited for it fail (callers fall back), and
 * the next request starts a new one.
 *
 * With `indexDir`, the workers also keep what they read on disk (native-free-workers/openclaw/session-index.ts),
 * so a new pool — after a gateway restart — continues each transcript from there. The directory is
 * checked here once, on the main thread (private-dir.ts), and handed to every worker with the verdict.
 */
import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import { Errors, isWireError } from "../../native-free-workers/protocol/errors.js";
import { checkPrivateDir } from "../../native-free-workers/session/private-dir.js";
import { positiveInteger } from "../../native-free-workers/protocol/validate.js";
import { fnv1a } from "../../native-free-workers/protocol/string-hash.js";
import { DIGEST_KEEP_TOTAL_BYTES } from "../../native-free-workers/protocol/file-digest.js";
import { WORKER_FILE } from "../worker-file.js";
import { CallTrace, TRACING } from "./trace.js";
import type { OpenClawWorkerData, OpenClawWorkerReply, OpenClawWorkerRequest, PortHandover, PortReply, PortRequest } from "../../native-free-workers/openclaw-worker.js";
import type { SessionMeta } from "../../native-free-workers/protocol/session-buffer-layout.js";
import { judgeNotBuilt, type ImageJudgeSpec } from "../../native-free-workers/protocol/image-judge.js";

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
  /**
   * Bytes of transcript each worker keeps for the session-fence digest (native-free-workers/openclaw/
   * file-digest.ts `DigestMemo`: the bytes it hashed and the hash state after them, compared instead of
   * hashed again on the next digest). 0: keep nothing, every digest hashes the whole file. Default
   * `DIGEST_KEEP_TOTAL_BYTES` (128 MiB).
   */
  digestKeepBytes?: number;
  /**
   * Entry bytes of transcript each worker keeps of its session reads (native-free-workers/openclaw/
   * session-buffer.ts `SessionReadCache`: the lines read and their index, least recently used dropped
   * first), so a file's next read parses only what was appended. 0: keep nothing — each read starts over
   * (from the persistent index when there is one, else the whole file). Default
   * `CACHE_DEFAULTS.sessionReadCacheBytes` (256 MiB).
   */
  readKeepBytes?: number;
  /**
   * The release's image judge (protocol/image-judge.ts: built by src/openclaw/release/worker-judge.ts from the
   * located release), which each worker builds at start to judge the repair pass's image lines itself
   * (native-free-workers/openclaw/image-judge.ts). `null` (default): the main thread judges them.
   */
  imageJudge?: ImageJudgeSpec | null;
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

/**
 * Which requests run first (lowest first; see the file comment): what a turn waits on now — the read a
 * session open needs, the session-fence digest (session-digest.ts: under the session's write lock) —
 * then every other (repair checks, leaf and idempotency scans, recent lines, bootstrap files).
 */
export const Priority = { open: 0, other: 1 } as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

/** Requests of each lane (digests, the rest) handed to a worker at once: the one it runs and the next (see the file comment). */
export const AHEAD = 2;

let options: Required<Omit<OpenClawPoolOptions, "indexDir" | "digestKeepBytes" | "readKeepBytes" | "imageJudge">> = { threads: defaultThreads(), idleTimeoutMs: 30_000 };
let workerData: OpenClawWorkerData = { sessionIndex: null };

/** A request waiting for its turn on a thread. */
interface Queued {
  request: OpenClawWorkerRequest;
  priority: Priority;
  /** Bytes it is expected to read ({@link costOf}), measured when it had to wait. */
  cost: number;
  seq: number;
  /** A session-fence digest: in the digest lane (see the file comment). */
  digest: boolean;
  run(): void;
  cancel(err: Error): void;
}
/** One thread: its single-thread pool, its channel, the requests handed to it, and those waiting. */
interface Shard {
  pool: Piscina;
  /** The pool's end of the thread's channel (see the file comment). */
  port: MessagePort;
  /** Requests sent over {@link port} and not answered yet, by id. */
  pending: Map<number, { resolve(reply: OpenClawWorkerReply): void; reject(err: Error): void }>;
  ids: number;
  /** Ends the thread after `idleTimeoutMs` with nothing pending; armed when the last reply arrives. */
  idleTimer: NodeJS.Timeout | undefined;
  /** The thread died, its start failed, or it was ended: nothing more is sent to it. */
  ended: boolean;
  /** Requests other than digests handed to the worker and not answered yet. */
  running: number;
  /** Digests handed to the worker and not answered yet. */
  digesting: number;
  waiting: Queued[];
}
/** One per thread, created on first use (see the file comment). */
let shards: (Shard | undefined)[] = [];
let seq = 0;
/** Requests asked for so far (the latest one's ticket), and those not settled yet (queued or running, any thread). */
let tickets = 0;
let inFlight = 0;

/** What the pool reports to its observer (see the file comment). */
export interface PoolObserver {
  /** A request was asked for while none was in flight. */
  busy(): void;
  /** The last request in flight settled (answered or failed). */
  idle(): void;
  /** The request numbered `ticket` was answered with `reply` (not a coded error). */
  answered(request: OpenClawWorkerRequest, ticket: number, reply: unknown): void;
  /** The pool was closed: its workers' states are gone. */
  closed(): void;
}
let observer: PoolObserver | undefined;

/** Sets (or with undefined removes) the pool's one observer; returns the one it replaces (a test chains to it and puts it back). */
export function observeOpenClawPool(next: PoolObserver | undefined): PoolObserver | undefined {
  const previous = observer;
  observer = next;
  return previous;
}

/** Whether any request is queued or running on any thread. */
export const openClawPoolBusy = (): boolean => inFlight > 0;
/** The latest request's ticket. */
export const openClawPoolTicket = (): number => tickets;

/**
 * Per transcript path, what the last read of its worker reported ({@link noteRead}): the file's size then
 * and the bytes that read covered. Its worker keeps that read's state, so a request for a path listed
 * here is ordered without a stat. Cleared with the pool (a new pool's workers start empty).
 */
const lastReads = new Map<string, { size: number; bytes: number }>();
/**
 * Paths {@link lastReads} remembers, the least recently read dropped first: a gateway that reads ever new
 * transcripts must not grow it without end (one entry per path ever read), and its workers keep the read
 * states of far fewer files (the session read cache's byte bound). A path dropped is ordered by a stat, as
 * one never read — only an ordering hint is lost.
 */
export const LAST_READS_MAX = 4096;

/**
 * Records what a worker read of `path` (absolute, as the request named it) reported — its meta's file
 * size and bytes read — for {@link costOf}. Called by the callers that decode a reply's meta.
 */
export function noteRead(path: string, meta: { file: { size: number } | null; bytes: number } & IndexUse): void {
  lastReads.delete(path); // re-inserted: the most recently read last
  lastReads.set(path, { size: meta.file?.size ?? 0, bytes: meta.bytes });
  if (lastReads.size > LAST_READS_MAX) lastReads.delete(lastReads.keys().next().value!);
  noteIndexUse(meta);
}

/** Where a worker read's state came from (SessionMeta `index`) and where it started parsing (`readFrom`). */
export interface IndexUse {
  index?: SessionMeta["index"];
  readFrom?: number;
}

/**
 * What the persistent index did for this process's reads (the preload's `summary` line): reads that
 * continued from a saved state (`restored`; `restoredBytes`: the bytes they did not parse again, their
 * `readFrom`), and reads whose saved state was not used (`rejected`: the file changed other than by
 * appends, an unreadable or other-format index file, a directory no longer private); and reads whose
 * worker moved its state onto a rewrite that changed only the first line (`rebased`: compared, not parsed
 * again). A read with no saved state (`none`) or continuing this worker's memory counts in none. Not
 * reset by a new pool: a process-wide tally.
 */
export const indexUse = { restored: 0, restoredBytes: 0, rejected: 0, rebased: 0 };

/** Counts one worker read's {@link IndexUse} into {@link indexUse}; called by every caller that gets a read's meta (or its `index`) back. */
export function noteIndexUse(read: IndexUse): void {
  if (read.index === "disk") {
    indexUse.restored++;
    indexUse.restoredBytes += read.readFrom ?? 0;
  } else if (read.index === "disk-stale" || read.index === "disk-corrupt" || read.index === "refused") indexUse.rejected++;
  else if (read.index === "rebased") indexUse.rebased++;
}

/**
 * The bytes a request is expected to read. A path its worker has read ({@link noteRead}): what that
 * read left unread (a repair check that stopped early: the rest; else nothing — what was appended
 * since is unknown here and one turn's worth). Else the file's size (a stat: a file no worker read
 * yet), less what a continued read's caller already has. Only an ordering hint — a worker's state may
 * have been dropped or the file rewritten; no order changes any result (each read is of the file as it
 * is then, and its callers check that). A digest: the file's size (a stat), whatever was read of it.
 */
export function costOf(request: OpenClawWorkerRequest): number {
  if (!("path" in request)) return 0;
  // A digest reads the whole file, whatever the worker has read of it.
  const known = request.op === "fileDigest" ? undefined : lastReads.get(request.path);
  if (known) return Math.max(0, known.size - known.bytes);
  let size = 0;
  try {
    size = statSync(request.path).size;
  } catch {
    return 0; // missing: the worker answers at once
  }
  const have = request.op === "session" ? (request.continueFrom?.bytes ?? 0) : 0;
  return Math.max(0, size - have);
}

/**
 * The index in `waiting` of the request to run next — lowest priority class, then cost, then arrival —
 * among those whose lane has room (`full`: the digest lane or the other one holds {@link AHEAD} already),
 * or -1 when none may go now.
 */
export function nextOf(waiting: readonly Pick<Queued, "priority" | "cost" | "seq" | "digest">[], full: { digests: boolean; others: boolean } = { digests: false, others: false }): number {
  let best = -1;
  for (let i = 0; i < waiting.length; i++) {
    const a = waiting[i]!;
    if (a.digest ? full.digests : full.others) continue;
    const b = best < 0 ? undefined : waiting[best]!;
    if (!b || (a.priority !== b.priority ? a.priority < b.priority : a.cost !== b.cost ? a.cost < b.cost : a.seq < b.seq)) best = i;
  }
  return best;
}

/** Whether the thread's digest lane (`digest`) or its other lane holds {@link AHEAD} requests already. */
const laneFull = (shard: Shard, digest: boolean): boolean => (digest ? shard.digesting : shard.running) >= AHEAD;
/** Whether each lane of the thread is full. */
const lanesOf = (shard: Shard) => ({ digests: laneFull(shard, true), others: laneFull(shard, false) });

/** Hands waiting requests to the thread while their lane has room. */
function pump(shard: Shard): void {
  for (;;) {
    const at = nextOf(shard.waiting, lanesOf(shard));
    if (at < 0) return;
    shard.waiting.splice(at, 1)[0]!.run();
  }
}

/** The pool a request goes to: by its transcript's path (protocol/string-hash.ts), bootstrap requests to the first. */
export function shardOf(request: OpenClawWorkerRequest, threads: number): number {
  if (threads <= 1 || !("path" in request) || typeof request.path !== "string") return 0;
  return fnv1a(request.path) % threads;
}

/**
 * Sets the pool's options; takes effect for the next pool (closes the current one if any). An
 * `indexDir` is checked here, at once: {@link openClawPoolIndex} says whether it was refused.
 */
export async function configureOpenClawPool(next: OpenClawPoolOptions): Promise<void> {
  const { indexDir, digestKeepBytes, readKeepBytes, imageJudge, ...numbers } = next;
  for (const [name, value] of Object.entries(numbers)) positiveInteger(name, value, 0);
  for (const [name, bytes] of [["digestKeepBytes", digestKeepBytes], ["readKeepBytes", readKeepBytes]] as const) {
    if (bytes !== undefined && !(Number.isInteger(bytes) && bytes >= 0)) throw Errors.invalidOption(name, `expected a whole number of bytes, 0 or more, got ${String(bytes)}`);
  }
  options = { ...options, ...Object.fromEntries(Object.entries(numbers).filter(([, v]) => v !== undefined)) };
  if (indexDir !== undefined) workerData = { ...workerData, sessionIndex: indexDir === null ? null : checkedIndexDir(indexDir) };
  if (digestKeepBytes !== undefined) workerData = { ...workerData, digestKeepBytes };
  if (readKeepBytes !== undefined) workerData = { ...workerData, readKeepBytes };
  if (imageJudge !== undefined) {
    const { imageJudge: _dropped, ...rest } = workerData;
    workerData = imageJudge === null ? rest : { ...rest, imageJudge };
  }
  await closeOpenClawPool();
}

/** The bytes a worker's digest memo keeps (openclaw-worker.ts: `digestKeepBytes`, else its default; 0: no memo). */
export function openClawDigestKeepBytes(): number {
  return workerData.digestKeepBytes ?? DIGEST_KEEP_TOTAL_BYTES;
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

/** Stops the shared pool's threads (a later call starts a new pool); requests still waiting fail. */
export async function closeOpenClawPool(): Promise<void> {
  const closing = shards;
  shards = [];
  lastReads.clear();
  observer?.closed();
  await Promise.all(closing.map((s) => s && endShard(s, new Error("ctxc openclaw pool closed"))));
}

/**
 * Ends a thread: what it has in flight and what waits for it fail with `err`, and its pool is destroyed.
 * A new request for its transcripts starts a new thread. Idempotent (a closed port reports it again).
 */
function endShard(shard: Shard, err: Error): Promise<void> {
  if (shard.ended) return Promise.resolve();
  shard.ended = true;
  const index = shards.indexOf(shard);
  if (index >= 0) shards[index] = undefined;
  clearTimeout(shard.idleTimer);
  for (const q of shard.waiting.splice(0)) q.cancel(err);
  const pending = [...shard.pending.values()];
  shard.pending.clear();
  for (const p of pending) p.reject(err);
  shard.port.close();
  return shard.pool.destroy().catch(() => undefined);
}

/** Sends one request over the thread's channel; its promise settles with the worker's reply. */
function send(shard: Shard, request: OpenClawWorkerRequest): Promise<OpenClawWorkerReply> {
  return new Promise((resolve, reject) => {
    if (shard.ended) return reject(new Error("ctxc openclaw worker ended"));
    const id = ++shard.ids;
    try {
      shard.port.postMessage({ id, request } satisfies PortRequest);
    } catch (err) {
      return reject(err as Error); // not cloneable: nothing was sent
    }
    if (shard.pending.size === 0) {
      clearTimeout(shard.idleTimer);
      shard.port.ref(); // a request in flight keeps the process alive, as a piscina task did
    }
    shard.pending.set(id, { resolve, reject });
  });
}

/** The worker's answer to one request (see {@link send}); with nothing left in flight the thread may go idle. */
function received(shard: Shard, message: PortReply): void {
  const waiter = shard.pending.get(message.id);
  if (!waiter) return;
  shard.pending.delete(message.id);
  if (shard.pending.size === 0) {
    shard.port.unref();
    shard.idleTimer = setTimeout(() => void endShard(shard, new Error("ctxc openclaw worker idle")), options.idleTimeoutMs).unref();
  }
  if ("failed" in message) waiter.reject(new Error(message.failed));
  else waiter.resolve(message.reply);
}

/** Worker threads running now, over every shard (tests: {@link startOpenClawPool} started them). */
export function openClawPoolLiveThreads(): number {
  return shards.reduce((n, s) => n + (s?.pool.threads.length ?? 0), 0);
}

/** The configured thread count (for the preload's log). */
export function openClawPoolThreads(): number {
  return options.threads;
}

/**
 * Runs one request in the shared pool, on its transcript's thread, in {@link nextOf}'s order (`priority`:
 * {@link Priority.open} for the read a session open waits on); WireErrors come back as thrown CtxcErrors.
 */
export async function runInOpenClawPool(request: OpenClawWorkerRequest, priority: Priority = Priority.other): Promise<Exclude<OpenClawWorkerReply, { ctxcError: true }>> {
  const ticket = ++tickets;
  if (inFlight++ === 0) observer?.busy();
  let reply: OpenClawWorkerReply | undefined;
  try {
    reply = await runOnShard(request, priority);
    return reply;
  } finally {
    if (reply !== undefined) observer?.answered(request, ticket, reply);
    if (--inFlight === 0) observer?.idle();
  }
}

async function runOnShard(request: OpenClawWorkerRequest, priority: Priority): Promise<Exclude<OpenClawWorkerReply, { ctxcError: true }>> {
  const shard = shardFor(shardOf(request, options.threads));
  const digest = request.op === "fileDigest";
  const trace = TRACING ? new CallTrace(request.op, "path" in request ? request.path : undefined, priority === Priority.open ? "open" : "other") : undefined;
  const sent = trace ? { ...request, trace: trace.buffer } : request;
  let reply: OpenClawWorkerReply;
  try {
    reply = await new Promise<OpenClawWorkerReply>((resolve, reject) => {
      const run = () => {
        if (digest) shard.digesting++;
        else shard.running++;
        trace?.handed();
        send(shard, sent)
          .then(resolve, reject)
          .finally(() => {
            if (digest) shard.digesting--;
            else shard.running--;
            pump(shard);
          });
      };
      if (shard.waiting.length === 0 && !laneFull(shard, digest)) return run();
      shard.waiting.push({ request, priority, cost: costOf(request), seq: seq++, digest, run, cancel: reject });
      pump(shard);
    });
  } catch (err) {
    throw Errors.workerFailed(err);
  } finally {
    trace?.continued();
  }
  if (isWireError(reply)) throw Errors.fromWire(reply);
  return reply;
}

/**
 * Starts every thread now, each loading the worker (its `ready` op), so a gateway's first turn does not
 * pay the pool's start on the main thread (issue #11: in process, most of the first repair pass's ctxc
 * time). Called once OpenClaw's session code has loaded (preload-runtime.ts `startPoolSoon`), not at the
 * preload's start: a process that never loads it starts no thread. The `ready` requests go to the threads
 * directly: no ticket, no busy/idle for the observer (no turn asked for them). Idle threads still exit after
 * `idleTimeoutMs`, as after any request. Never throws or rejects; a worker not built: nothing started.
 * Resolves to why the workers could not build the image judge they were given (each reason once; none: built or not given).
 */
export async function startOpenClawPool(): Promise<string[]> {
  try {
    const answers = await Promise.all(Array.from({ length: options.threads }, (_, i) => send(shardFor(i), { op: "ready" }).catch(() => undefined)));
    return [...new Set(answers.map(judgeNotBuilt).filter((why) => why !== undefined))];
  } catch {
    // not built or not startable: the first request reports it, as without the start
    return [];
  }
}

/** The thread `index`, its pool started on first use. */
function shardFor(index: number): Shard {
  const existing = shards[index];
  if (existing) return existing;
  if (!existsSync(OPENCLAW_WORKER_FILE)) {
    throw Errors.internal(new Error(`ctxc openclaw worker not built: ${OPENCLAW_WORKER_FILE} (run \`npm run build\`)`));
  }
  const pool = new Piscina({
    filename: OPENCLAW_WORKER_FILE,
    minThreads: 0,
    maxThreads: 1,
    // Piscina runs one task, the port's handover (see the file comment). The next request of each lane
    // waits in the worker's port while it runs one; the session reads are synchronous there, so they still
    // run one at a time, and the worker runs its digests one after the other.
    // Atomics off: between piscina tasks the worker would otherwise block in Atomics.wait — and not read
    // its port. Idle exit: this pool's own (endShard), as piscina sees no task in flight.
    atomics: "disabled",
    idleTimeout: Infinity,
    workerData,
  });
  // Every request's outcome reaches its caller through its own promise. What piscina emits as 'error'
  // concerns no caller — a worker's answer to a request the pool's close already failed (a background
  // re-read in flight then: idle-reread.ts), a worker failing with nothing in flight, a close timing out
  // — and unhandled, that event would end the gateway's process.
  pool.on("error", () => {});
  const { port1, port2 } = new MessageChannel();
  const shard: Shard = { pool, port: port1, pending: new Map(), ids: 0, idleTimer: undefined, ended: false, running: 0, digesting: 0, waiting: [] };
  port1.on("message", (message: PortReply) => received(shard, message));
  // The worker's end closes when its thread exits (a crash, a destroy): nothing it had will be answered.
  port1.on("close", () => void endShard(shard, new Error("ctxc openclaw worker exited")));
  port1.unref();
  pool.run({ op: "port", port: port2 } satisfies PortHandover, { transferList: [port2] }).catch((err: unknown) => endShard(shard, err instanceof Error ? err : new Error(String(err))));
  return (shards[index] = shard);
}
