/**
 * The session open's entries at O(appended) main-thread cost (issue #11 item 3): the entries kept from
 * the previous turn (entry-cache.ts) plus the records ctxc's worker read appended since, decoded here,
 * through the release's normaliser, deep-frozen — what OpenClaw 2026.6.9+ keeps in its own entry cache.
 *
 * How the two sides agree on "the previous turn": the read that filled the cache carried its worker
 * state's generation; the next read sends it back with the record count and bytes the cache holds
 * ({@link continuationFor}). The worker answers with only the newer records when its state is still
 * that generation — it has passed the append check (same file, size not smaller, head and tail bytes
 * unchanged) at every read since — and the count and bytes fall on a record boundary of it; else with
 * every record (`meta.base` 0), and the cache is refilled from scratch.
 */
import type { OpenClawSession } from "./session.js";
import { cachedFileWith, extendedEntries, getCachedEntries, setCachedEntries, entryCacheLimit, withLazyExactness, identityIsSnapshot, identityOf, sameIdentity, type BigintFileStat, type CachedFile, type FileIdentity } from "./entry-cache.js";
import { decodeRecords, exactnessOf, type DecodedRecords } from "./release/file-entries.js";
import { frozenEntriesFromBuffer, hasFields } from "./buffer-entries.js";
import { rememberReadLines } from "./release/read-lines.js";
import type { SessionContinuation } from "../../native-free-workers/protocol/session-buffer-layout.js";

/**
 * What to send with the next worker read of `path` (absolute): the records the cache holds, if any — of a
 * worker read (its generation), or of a write ctxc followed without one (no generation: by the file's
 * identity, which the worker grants only to a read of that very file, whole; release/write-follower.ts).
 */
export function continuationFor(path: string): SessionContinuation | undefined {
  const kept = entryCacheLimit() > 0 ? getCachedEntries(path) : undefined;
  if (!kept) return undefined;
  if (kept.generation) return { generation: kept.generation, records: kept.entries.length, bytes: kept.identity.size };
  // A header OpenClaw does not cache: its open decodes fresh entries from every record (see keptEntriesFor).
  if (kept.entries.length === 0 || !isCacheableHeader(kept.entries[0])) return undefined;
  const { dev, ino, size, mtimeMs, ctimeMs } = kept.identity;
  return { generation: "", records: kept.entries.length, bytes: size, file: { dev, ino, size, mtimeMs, ctimeMs } };
}

/**
 * Whether OpenClaw 2026.6.9+ caches (and so freezes) the entries of a file with this header: its
 * `hasCacheableSessionHeader` (a `session` header with a string id and version 3). For other headers
 * stock returns the parsed entries unfrozen, so they are not served from the cache.
 */
export function isCacheableHeader(header: unknown): boolean {
  const h = header as { type?: unknown; id?: unknown; version?: unknown } | null | undefined;
  return !!h && h.type === "session" && typeof h.id === "string" && h.version === 3;
}

/** Entries built ahead for {@link keptEntriesFor} (`decoded`): `lazy`, buffer-entries.ts's frozen entries that decode on use. */
export interface BuiltAhead extends Required<DecodedRecords> {
  lazy?: true;
}

/** {@link keptEntriesFor}'s answer: the cache's entry for the file, and how many of its entries were kept from before this read (not decoded now). */
export interface KeptEntries extends CachedFile {
  reused: number;
}

/**
 * Every entry of the file `session` read (a loaded read ctxc can serve: see release/file-entries.ts
 * `cannotServeEntries`), deep-frozen, in file order, and the cache updated to them; or why not:
 * - a continued read whose base is not what the cache holds (it changed since the read was asked for),
 * - a header OpenClaw does not cache (its entries would be unfrozen: the caller decodes fresh ones).
 * The returned `entries` array is the cache's: hand out copies. `lazy` (an open that hands out the frozen
 * entries themselves, 2026.6.9+'s snapshot open): a whole read with member FIELDS gives entries that
 * decode on use (buffer-entries.ts `frozenEntriesFromBuffer`); a copying open (lazy-entries.ts) would read
 * every member at once, so it decodes them here. `decoded` (restart-warmup.ts, whose build runs in steps:
 * release/file-entries.ts `decodeRecordsInSteps`, or with `lazy` set, buffer-entries.ts
 * `frozenEntriesInSteps`): every record of `session` built ahead as this call would build it, with
 * `known` — used where this call would build the whole read that same way itself, and only there; every
 * check above that build is made here, now, as without it.
 */
export function keptEntriesFor(
  path: string,
  session: OpenClawSession,
  normalize?: (entry: unknown) => unknown,
  { lazy = false, decoded }: { lazy?: boolean; decoded?: BuiltAhead } = {},
): KeptEntries | string {
  const meta = session.meta;
  if (!meta.file || !meta.generation) return "no file identity";
  const total = session.firstRecord + session.recordCount;
  const kept = getCachedEntries(path);
  const sameRead = !!kept && kept.generation === meta.generation;
  const identity = readIdentity(meta);
  const sameFile = !!kept && kept.entries.length === total && sameIdentity(kept.identity, identity);
  // The same read served twice (an open that loads twice): the cache already holds its result.
  if (sameRead && sameFile) return cachedFileWith(kept, { reused: meta.base });
  // A whole read of the very file state the kept entries stand for (a write ctxc followed without a read,
  // release/write-follower.ts followWrite, or OpenClaw's cache answered the opens since): by the cache's
  // contract they are every line's value, and the read's records are those lines, as many — so they
  // are this read's entries, and its generation is theirs from now on (the next read continues it).
  // No decode: the cost does not grow with the file. The identity includes the ctime, which no other
  // writer can set back; a same-size rewrite within one timestamp tick is the one case it misses, as
  // OpenClaw's own snapshot cache does.
  // The same holds for a read the worker answered with none of the records (`base` all of them), granted for
  // the file's identity the cache sent (continuationFor): the worker found that very file, whole, as many lines.
  const wholeOrNone = (session.firstRecord === 0 && meta.base === 0) || (session.firstRecord === total && meta.base === total);
  if (!sameRead && sameFile && wholeOrNone && isCacheableHeader(kept.entries[0])) return cachedFileWith(adopt(path, kept, meta.generation), { reused: total });
  // Records 0 … base−1 are the cache's (the worker checked them); decode the rest. A whole read whose
  // base the cache no longer holds refills the cache from all its records.
  const base = meta.base > 0 && sameRead && kept.entries.length === meta.base ? meta.base : 0;
  if (base === 0 && session.firstRecord > 0) return "the entry cache changed since the read was asked for";
  const prefix = base > 0 ? kept!.entries : [];
  // meta.contiguous speaks of the records from meta.base on.
  const exactSoFar = (base > 0 ? kept!.serializedExactly : true) && meta.contiguous && base === meta.base;
  if (base === 0 && !isCacheableHeader(decodeRecords(session, 0, undefined, { to: 1 }).entries[0])) return "header OpenClaw does not cache";
  const from = base - session.firstRecord;
  // A whole decode read with member FIELDS, for an open that shares the frozen entries (2026.6.9+): entries
  // that decode on use instead of every line parsed on the main thread (the first open after a restart).
  const whole = lazy && from === 0 && session.firstRecord === 0 && hasFields(session);
  // Built ahead the way this call builds them (lazy frozen entries only where it would make those): taken as they are.
  const ahead = from === 0 && decoded?.entries.length === session.recordCount && (decoded.lazy === true) === whole ? decoded : undefined;
  const fresh = ahead ?? (whole ? frozenEntriesFromBuffer(session, normalize, exactSoFar) : decodeRecords(session, from, normalize, { freeze: true, exactness: exactSoFar }));
  // Their lines answer a serialisation OpenClaw asks of these objects (release/read-lines.ts); `known` counts only when exact so far.
  if (whole && exactSoFar && fresh.known) rememberReadLines(fresh.entries, session, fresh.known);
  // Exactness is checked when a writer first asks (entry-cache.ts withLazyExactness), not on this open —
  // and then only for the lines the worker's canonical flag and the normaliser leave unsure.
  const freshExact = exactSoFar ? exactnessOf(session, from, fresh.entries, fresh.known) : () => false;
  const file = withLazyExactness(
    // The kept entries grown by the appended ones (O(appended): entry-cache.ts extendedEntries).
    { identity, entries: base > 0 ? extendedEntries(prefix, base, fresh.entries) : fresh.entries, generation: meta.generation },
    freshExact,
  );
  setCachedEntries(path, file);
  return cachedFileWith(file, { reused: base });
}

/** The file a worker read saw (its fstat; `meta.file` set), as the entry cache keeps identities: the size is what it read. */
function readIdentity(meta: OpenClawSession["meta"]): FileIdentity {
  const f = meta.file!;
  return { dev: f.dev, ino: f.ino, size: meta.bytes, mtimeMs: f.mtimeMs, ctimeMs: f.ctimeMs };
}

/** The cache of `path` from now on `kept` with `generation`: its entries are that worker read's records, every one. */
function adopt(path: string, kept: CachedFile, generation: string): CachedFile {
  const adopted = cachedFileWith(kept, { generation });
  setCachedEntries(path, adopted);
  return adopted;
}

/**
 * When `session` is a read the worker granted for the file identity the entry cache of `path` sent
 * ({@link continuationFor}: none of the records sent, all of them the cache's) and the cache still holds
 * exactly that file, the cache takes the read's generation now, as {@link keptEntriesFor} would at the open;
 * says whether it did. For the read no open takes: 2026.7.35's turn after the header rewrite finds OpenClaw's
 * own cache holding the file (its open then reads nothing, and ctxc's handler does not build entries), so
 * without this the cache kept only the identity, the next turn's appends moved the file past it, and that
 * turn's read — granted only for that very file — sent every record again, decoded whole on the main thread
 * (a 28 MB transcript: ~40 ms, and the index rebuilt: ~17 ms). With the generation the next read continues it.
 */
export function adoptGrantedRead(path: string, session: OpenClawSession): boolean {
  const meta = session.meta;
  const kept = getCachedEntries(path);
  if (!meta.file || !meta.generation || !kept || kept.generation || session.recordCount !== 0 || meta.base !== session.firstRecord) return false;
  if (kept.entries.length !== meta.base || meta.base === 0 || !sameIdentity(kept.identity, readIdentity(meta)) || !isCacheableHeader(kept.entries[0])) return false;
  adopt(path, kept, meta.generation);
  return true;
}

/**
 * The kept entries of `path` (absolute) when they are the file as it is now, for an open that has no
 * usable worker read (2026.7.35: `persistRecord` re-opening the file through `revalidateLoadedSessionFile`
 * after its own append when OpenClaw's cache — 32 MiB for all files together — no longer holds it; an
 * open after the prepared read was released or went stale). Stock parses the whole file there; its parse
 * is exactly these entries (the cache's contract: every line's value through the release's normaliser,
 * frozen as OpenClaw's cache freezes them) as long as the file is the one they were decoded from or
 * followed to: `fs.statSync`'s dev, ino, size, mtime and ctime equal the cache's identity, and OpenClaw's own
 * bigint `snapshot` of it agrees. Every write OpenClaw makes in this process is followed by ctxc
 * (append-rewrite.ts) or drops the cache, so an unchanged identity is an unchanged file — the same
 * assumption OpenClaw's own cache makes. A header OpenClaw does not cache is left to its parse (stock
 * returns unfrozen entries then). Undefined: none kept, or not the file now.
 */
export function keptEntriesOfFile(path: string, snapshot: BigintFileStat): CachedFile | undefined {
  if (entryCacheLimit() <= 0) return undefined;
  const kept = getCachedEntries(path);
  if (!kept || !isCacheableHeader(kept.entries[0]) || !identityIsSnapshot(kept.identity, snapshot)) return undefined;
  const now = identityOf(path);
  return now && sameIdentity(now, kept.identity) ? kept : undefined;
}
