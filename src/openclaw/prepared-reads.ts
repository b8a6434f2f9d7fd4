/**
 * The worker reads prepared for OpenClaw's session opens: the prewarm (async, awaited) starts ctxc's read
 * of the whole transcript, and the synchronous open right after it takes the settled result — pi's
 * `SessionManager.open` (pi-session-open.ts) or OpenClaw's own loaders (entry-loaders.ts). State of the
 * preload runtime (preload-runtime.ts), kept here with the functions that start, check and take the reads.
 */
import { resolve } from "node:path";
import { cannotServeEntries } from "./release/file-entries.js";
import { openSessionAsync, type OpenClawSession } from "./session.js";
import { entryCacheLimit, identityIsSnapshot, identityOf, sameIdentity, type BigintFileStat } from "./entry-cache.js";
import { adoptGrantedRead, continuationFor } from "./kept-entries.js";
import { bufferContinuationFor } from "./kept-buffers.js";
import { emitTrace, fileKey, TRACING } from "./trace.js";
import { traceNow } from "../../native-free-workers/protocol/call-trace.js";
import type { SessionContinuation, SessionMeta } from "../../native-free-workers/protocol/session-buffer-layout.js";

/**
 * Sessions parsed by ctxc's worker, keyed by absolute path, waiting for the synchronous
 * `SessionManager.open` that OpenClaw calls right after awaiting `prewarmSessionFile`. An entry is
 * taken (deleted) by that open, so a later open of the same file re-reads it.
 */
const prepared = new Map<string, Promise<OpenClawSession | Error>>();
/**
 * Whether pi's `SessionManager.open` is served here ({@link wrapSessionManager}: 2026.5.12–5.27), the one
 * open that builds entries from the buffer's member FIELDS (buffer-entries.ts). The later releases' opens
 * (`loadEntriesFromFile*`) parse the lines, so their reads skip the worker's FIELDS pass.
 */
let piOpenServed = false;

/** From now on the reads build the buffer's member FIELDS for pi's own open (2026.5.12–5.27: pi-session-open.ts). */
export function servePiOpen(): void {
  piOpenServed = true;
}
/**
 * Whether OpenClaw 2026.6.9+'s `loadEntriesFromFileWithSnapshot` is served here (preload-install.ts says so at
 * start; its handler too, on its first call). Its open shares the frozen entries it gets, so a read of a
 * file the entry cache holds nothing of (the first open after a restart) asks the worker for member FIELDS
 * too, and the entries decode on use (kept-entries.ts `lazy`) instead of every line parsed here.
 */
let snapshotOpenServed = false;

/** Says that the snapshot open is served (see {@link snapshotOpenServed}); preload-install.ts calls it at start. */
export function serveSnapshotOpens(): void {
  snapshotOpenServed = true;
}
const settled = new Map<string, OpenClawSession | Error>();
/**
 * Paths whose open (a turn's repair pass, prewarm or load) has started in this process: the restart
 * warm-up (restart-warmup.ts) leaves them alone — the real open wins.
 */
const opensStarted = new Set<string>();

/**
 * Paths whose prepared read was asked for ahead by the repair pass ({@link prefetchWarmSession}) and not yet
 * claimed by a prewarm: an open that finds such a read still running, or of a file that changed since, was
 * not the one it was asked for (a caller that opens without the run's prewarm) — it gets no read, as when
 * none was asked for, not a fallback.
 */
const unclaimed = new Set<string>();

/** Whether a turn's open of `path` (absolute) has started in this process (see {@link opensStarted}). */
export function openStarted(path: string): boolean {
  return opensStarted.has(path);
}

/**
 * Starts ctxc's worker read of `file`; the result is kept for the next `SessionManager.open(file)`. When
 * the entry cache holds the file's entries from an earlier read, the worker sends only the records
 * appended since (kept-entries.ts) — unless `whole` (a caller that scans every line's bytes).
 */
export function prepareSession(file: string, { whole = false }: { whole?: boolean } = {}): Promise<void> {
  const path = resolve(file);
  settled.delete(path);
  unclaimed.delete(path);
  // The entry cache (2026.5.28+) or the kept buffers (2026.5.12): whichever holds this file's earlier records.
  const continueFrom = keptContinuation(path);
  // FIELDS: pi's open builds every entry from them; the snapshot open, only when it holds nothing of the file
  // or holds it by identity (a read the worker does not grant it is a whole read; one it grants sends no record).
  const fields = piOpenServed || (snapshotOpenServed && (continueFrom === undefined || continueFrom.file !== undefined) && entryCacheLimit() > 0);
  const p = openSessionAsync(path, { continueFrom, whole, fields, canonical: !piOpenServed }).then(
    (s) => s,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
  prepared.set(path, p);
  return p.then((r) => {
    if (TRACING) traceRead(path, continueFrom, r);
    // Granted for the cache's file identity: the cache takes its generation whether or not an open uses the read.
    if (continueFrom?.file && !(r instanceof Error)) adoptGrantedRead(path, r);
    if (prepared.get(path) === p) {
      prepared.delete(path);
      settled.set(path, r);
    }
  });
}

/**
 * A `read` trace line (trace.ts): what a session read asked the worker to continue and what came back — whether
 * the worker continued it (`first` = the records asked for) or read every record again, and from which state.
 */
function traceRead(path: string, asked: SessionContinuation | undefined, r: OpenClawSession | Error): void {
  const how = asked === undefined ? "none" : asked.file ? "file" : "generation";
  const got = r instanceof Error ? "error" : `first=${r.firstRecord} base=${r.meta.base} records=${r.recordCount} index=${r.meta.index} bytes=${r.meta.bytes} readFrom=${r.meta.readFrom} generation=${r.meta.generation?.slice(0, 8) ?? "-"}`;
  emitTrace(`read file=${fileKey(path)} t=${traceNow().toFixed(1)} asked=${how} askedRecords=${asked?.records ?? 0} askedBytes=${asked?.bytes ?? 0} ${got}`);
}

/** The settled worker read of `path` (absolute) that prepareSession started, if any. */
export function settledRead(path: string): OpenClawSession | Error | undefined {
  return settled.get(path);
}

/** True when the file on disk is still exactly what the worker read for `session` (or a repair check). */
export function unchangedSince(session: { meta: SessionMeta }, path: string): boolean {
  return sameFile(session.meta.file, session.meta.bytes, path);
}

/**
 * Starts the worker read of `file` for the prewarm and open to come, unless one is running already (the
 * prewarm then waits for it instead of asking again): for a file OpenClaw's repair pass just rewrote.
 */
export function prefetchSession(file: string): void {
  opensStarted.add(resolve(file));
  if (!prepared.has(resolve(file))) void prepareSession(file);
}

/**
 * Starts the worker read of `file` for the prewarm and open to come when it is a warm one — the entry cache
 * or the kept buffers hold the file's records, so the worker sends only what was appended — and none is
 * running; says whether it started one. For the repair pass (repair-pass.ts), asked right after its own
 * worker request (or beside stock's incremental pass): both wait on the worker together and come back to
 * the main thread in the same hop, so the prewarm finds the read settled instead of asking again — one
 * sequential round trip fewer per turn, and on a gateway main thread busy with OpenClaw's own work each
 * round trip costs a wait behind it (issue #11). A file ctxc holds nothing of is not prefetched: that read
 * is the whole file, which a stock repair (likely on such a first turn) would waste. Whether the read is
 * then used is decided as for every prepared read: {@link prewarmSessionFile} (the file still what it read,
 * the kept records still what it continues), then the open's own identity check.
 */
export function prefetchWarmSession(file: string): boolean {
  const path = resolve(file);
  opensStarted.add(path);
  if (prepared.has(path) || keptContinuation(path) === undefined || stillUsable(path)) return false;
  void prepareSession(path);
  unclaimed.add(path);
  return true;
}

/**
 * Whether the settled read of `path` is one the prewarm would use now (a read asked at the previous turn's end,
 * turn-end-prefetch.ts, for the file as it still is): then it is not asked again. The prewarm decides anew.
 */
function stillUsable(path: string): boolean {
  const ready = settled.get(path);
  return ready !== undefined && !(ready instanceof Error) && unchangedSince(ready, path) && continuesKept(ready, path);
}

/** What a read of `path` (absolute) continues: the entry cache's records (2026.5.28+) or the kept buffers' (2026.5.12). */
function keptContinuation(path: string): SessionContinuation | undefined {
  return continuationFor(path) ?? bufferContinuationFor(path);
}

/**
 * Whether a read still continues what the kept state holds: a continued read (`firstRecord` > 0) holds only
 * the records appended after those, so it is of use only while they are the same generation and count. A
 * whole read continues nothing.
 */
function continuesKept(read: OpenClawSession, path: string): boolean {
  if (read.firstRecord === 0) return true;
  const kept = keptContinuation(path);
  if (!kept || kept.records !== read.firstRecord) return false;
  // Granted by the file's identity (kept-entries.ts continuationFor): the kept records must still be of that file.
  if (kept.file) return read.meta.base === kept.records && !!read.meta.file && sameIdentity(kept.file, read.meta.file);
  return kept.generation === read.meta.generation;
}

/** True when `path` is still the file a worker read saw (`file`), and that read covered all of it (`bytes`). */
export function sameFile(f: OpenClawSession["meta"]["file"], bytes: number, path: string): boolean {
  const now = identityOf(path);
  return !!now && !!f && sameIdentity(now, f) && now.size === bytes;
}

/**
 * OpenClaw's `prewarmSessionFile(file)` (reads the first 4 KB to warm the cache) plus ctxc's worker read
 * of the whole file, in parallel; resolves when both are done, so the synchronous open that follows
 * finds ctxc's result ready. A read already running for the file (started beside the repair pass, or when
 * OpenClaw's repair pass rewrote it) is waited for, and a settled one used, when the file is still what it
 * read and the kept records still what it continues — not asked for again. (The repair check's own read
 * sends no buffer: the read here continues its state.)
 */
export function wrapPrewarm(original: (file: string) => Promise<void>): (file: string) => Promise<void> {
  return (file: string) => prewarmSessionFile(original, [file]);
}

/** OpenClaw's `prewarmSessionFile(file)` as served (see {@link wrapPrewarm}); the handler's body. */
export async function prewarmSessionFile(original: (file: string) => Promise<void>, [file]: [string]): Promise<void> {
  if (typeof file !== "string") return original(file);
  const path = resolve(file);
  opensStarted.add(path);
  unclaimed.delete(path);
  const reading = prepared.get(path);
  const own = async () => {
    if (reading) await reading;
    // A read started earlier (a prefetch beside the repair pass, or at the previous turn's end) is used only for the file as it is now.
    if (!stillUsable(path)) await prepareSession(file);
  };
  await Promise.all([original(file), own()]);
}

/**
 * The prepared read of `path` when it can stand for OpenClaw's parse of the file as it is now, or why
 * not; undefined when no read was prepared (a caller off the run path: OpenClaw's own load, no log).
 */
export function preparedFor(path: string, snapshot?: BigintFileStat): OpenClawSession | string | undefined {
  opensStarted.add(path);
  const ahead = unclaimed.has(path);
  if (prepared.has(path)) return ahead ? undefined : "ctxc read still running";
  const got = settled.get(path);
  if (got === undefined) return undefined;
  if (got instanceof Error) return got.message;
  // No file: stock's answer costs nothing (and a new session is OpenClaw's to create).
  if (got.status === "missing") return undefined;
  const why = cannotServeEntries(got);
  if (why) return why;
  const f = got.meta.file;
  if (snapshot) {
    // OpenClaw's own snapshot (bigint stat) of the file must be the one the worker read.
    const same = !!f && f.size === got.meta.bytes && identityIsSnapshot(f, snapshot);
    return same ? got : ahead ? undefined : "file changed since the worker read it";
  }
  return unchangedSince(got, path) ? got : ahead ? undefined : "file changed since the worker read it";
}

/**
 * Drops the read of `path` (and its buffer, as large as the file) once the synchronous open that used it
 * is over — an open may load twice (2026.5.28–6.8: `open` and `setSessionFile`); the next run prewarms
 * again, and the worker continues from what it kept.
 */
export function releaseAfterOpen(path: string, session: OpenClawSession): void {
  setImmediate(() => {
    if (settled.get(path) === session) settled.delete(path);
  });
}

/** Whether a worker read of `path` (absolute) is still running. */
export function readRunning(path: string): boolean {
  return prepared.has(path);
}

/**
 * Resolves once no worker read of `file` is running (the one started, if any, has settled and is what
 * {@link settledRead} gives). For tests that must order a change of the file after a read started beside
 * the repair pass came back: when the worker reads is otherwise up to its thread and the machine's load.
 */
export async function readSettled(file: string): Promise<void> {
  const path = resolve(file);
  for (let p = prepared.get(path); p; p = prepared.get(path)) await p;
}

/** Takes (removes) the settled read of `path` (absolute): pi's open uses it once. */
export function takeSettled(path: string): OpenClawSession | Error | undefined {
  const got = settled.get(path);
  settled.delete(path);
  return got;
}

/** Forgets every read and every open started (restart-warmup.ts `restartedMainThread`: tests and benches). */
export function forgetPreparedReads(): void {
  prepared.clear();
  settled.clear();
  opensStarted.clear();
  unclaimed.clear();
}
