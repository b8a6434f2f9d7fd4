/**
 * The decoded entries of each transcript the preload served, kept between turns on the main thread so a
 * turn decodes only what was appended (issue #11 item 3), and so a whole-file rewrite that only adds lines
 * can be proved to be an append (the rewrite handler).
 *
 * Contract (every reader and writer of this cache relies on it):
 * - `entries` are every JSON line of the file in file order (the header first), each the value OpenClaw's
 *   own parse returns for that line (through the release's normaliser where it has one), deep-frozen —
 *   as OpenClaw 2026.6.9+ freezes the entries of its own cache. They are shared: never mutate them; hand
 *   out copies of the array, never the array. The array itself may be grown in place by the next
 *   extension ({@link extendedEntries}): read a cache entry's `entries` when you get it, not later.
 * - `identity` is the file they were decoded from (dev, ino, size, mtime, ctime); `size` is the number of bytes they cover (the whole file).
 * - `serializedExactly` is true only when the file's bytes are exactly
 *   `entries.map((e) => JSON.stringify(e) + "\n").join("")` (no blank or non-canonical line, ends with a
 *   newline): then a writer that keeps these entries as a prefix may append instead of rewriting.
 *
 * - `generation` (optional): the worker read (SessionMeta.generation) whose records 0 … entries.length−1
 *   these entries are. The session open sends it with the next read, and the worker then returns only the
 *   records appended since (after its own append check: same file, only appended to). Absent: the worker
 *   reads the whole file again. A writer that extends `entries` by exactly the lines it appended may keep
 *   it: the worker also checks that `identity.size` falls between its record `entries.length − 1` and the
 *   next, i.e. that the file's lines there are as many as the entries.
 *
 * The cache is bounded by the file bytes it covers (least recently used dropped first;
 * `CTXC_OPENCLAW_ENTRY_CACHE_MB`, 0 = off).
 *
 * Who writes it: the session open fills it (or, for a whole read of exactly the file it stands for, only
 * takes that read's generation); the rewrite handler (release/append-rewrite.ts, 2026.6.9+) extends it by
 * the lines it appends and by the lines OpenClaw's `persistRecord` appends, refills it from OpenClaw's
 * verified re-parse after a stock rewrite or another whole-file write OpenClaw makes (keeping its own
 * objects for the unchanged lines), and drops it after any write it cannot follow (so a same-size
 * rewrite within one timestamp tick cannot pass for the cached file).
 */
import { statSync, type BigIntStats } from "node:fs";
import { bytesFromMibSetting } from "./env-mib.js";
import type { RepairSnapshotWire } from "../../native-free-workers/protocol/session-buffer-layout.js";

/**
 * The file a cached decode stands for (numbers as `fs.statSync` gives them). The ctime is part of it, as
 * of OpenClaw's own snapshot (`isSameSessionFileSnapshot`): another process can put the mtime back
 * (`utimes`) after a same-size rewrite, but not the ctime, which the kernel sets on every write.
 */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** `fs.statSync`'s identity of a file, or undefined when it is gone. */
export function identityOf(path: string): FileIdentity | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs } : undefined;
}

/** Whether two identities are the same file state. */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * The fields of OpenClaw's file snapshots (`readSessionFileSnapshot`, 2026.6.9+ `readSessionRepairSnapshot`:
 * a bigint stat's), which an identity is compared with — the worker's wire type of them (its `snapshotOf`
 * picks them from a stat).
 */
export type BigintFileStat = RepairSnapshotWire;

/** A bigint `fs.statSync` of `path` at the call, or undefined on any error (gone, unreadable, …). */
export function bigintStatOf(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false }) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Whether two bigint snapshots are the same file state (all five fields equal). */
export function sameSnapshot(a: BigintFileStat, b: BigintFileStat): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** Whether a bigint nanosecond time is `ms` (a float from `fs.stat`, exact to about the microsecond). */
const sameTime = (ns: bigint, ms: number): boolean => typeof ns === "bigint" && Math.abs(Number(ns) / 1e6 - ms) < 0.001;

/** Whether OpenClaw's bigint snapshot is the file `identity` describes (mtime and ctime to the microsecond, as the session open compares). */
export function identityIsSnapshot(identity: FileIdentity, snapshot: BigintFileStat): boolean {
  return (
    Number(snapshot.size) === identity.size && Number(snapshot.dev) === identity.dev && Number(snapshot.ino) === identity.ino &&
    sameTime(snapshot.mtimeNs, identity.mtimeMs) && sameTime(snapshot.ctimeNs, identity.ctimeMs)
  );
}

/** One transcript's decoded entries (see the module comment for the contract). */
export interface CachedFile {
  identity: FileIdentity;
  entries: readonly unknown[];
  serializedExactly: boolean;
  /** The worker read these entries continue (see the module comment); undefined: none. */
  generation?: string;
}

/**
 * `file` with `extra` over it, keeping a lazy `serializedExactly` ({@link withLazyExactness}) lazy — an
 * object spread would read it, and so run the check it defers.
 */
export function cachedFileWith<T extends object>(file: CachedFile, extra: T): CachedFile & T {
  return Object.defineProperties(Object.defineProperties({}, Object.getOwnPropertyDescriptors(file)), Object.getOwnPropertyDescriptors(extra)) as CachedFile & T;
}

/**
 * A cache entry whose `serializedExactly` is `exact()`, run the first time a writer asks and remembered.
 * Why: the check serialises every entry and compares it with its line (~180 ms at 28 MB, ~40% of the
 * decode) and only a write needs it — the open that fills the cache from a whole read does not, and on
 * a session's first turn it made ctxc's open slower than stock's own parse (issue #11). `exact` must
 * keep what it reads (the read's buffer) alive until then; it is dropped once it has answered.
 */
export function withLazyExactness(file: Omit<CachedFile, "serializedExactly">, exact: () => boolean): CachedFile {
  let check: (() => boolean) | undefined = exact;
  let answer = false;
  return Object.defineProperty({ ...file }, "serializedExactly", {
    enumerable: true,
    get(): boolean {
      if (check) {
        answer = check();
        check = undefined;
      }
      return answer;
    },
  }) as CachedFile;
}

/** Default bound: the file bytes the cache may cover (decoded entries take a few times that in heap). */
export const DEFAULT_ENTRY_CACHE_BYTES = 256 * 1024 * 1024;

const files = new Map<string, CachedFile>();
let limitBytes = DEFAULT_ENTRY_CACHE_BYTES;

/** The cached decode of `path` (absolute), marked most recently used; undefined when none. */
export function getCachedEntries(path: string): CachedFile | undefined {
  const hit = files.get(path);
  if (hit) {
    files.delete(path);
    files.set(path, hit);
  }
  return hit;
}

/** The cache's decode of `path` (absolute), without marking it used (restart-warmup.ts: a check, not a use). */
export function peekCachedEntries(path: string): CachedFile | undefined {
  return files.get(path);
}

/** Whether the cache holds a decode of `path` (absolute), without marking it used. */
export function holdsCachedEntries(path: string): boolean {
  return files.has(path);
}

/** The file bytes the cache may still take before it drops a file (the restart warm-up fills only that). */
export function entryCacheRoom(): number {
  return limitBytes - heldBytes();
}

function heldBytes(): number {
  let total = 0;
  for (const f of files.values()) total += f.identity.size;
  return total;
}

/** Replaces the cached decode of `path` (absolute); drops least recently used files beyond the bound. */
export function setCachedEntries(path: string, file: CachedFile): void {
  files.delete(path);
  if (file.identity.size > limitBytes) return;
  files.set(path, file);
  trim();
}

function trim(): void {
  let total = heldBytes();
  for (const [key, f] of files) {
    if (total <= limitBytes) break;
    files.delete(key);
    total -= f.identity.size;
  }
}

/**
 * Lists {@link extendedEntries} made: held by this cache only (every reader copies what it hands out, or
 * reads it synchronously and lets go), so the next extension may push onto them instead of copying.
 */
const growable = new WeakSet<readonly unknown[]>();

/**
 * The entries `entries[0, at)` followed by `more`, for the cache's next entry of the same file: the
 * extension of a turn's appends (issue #11: a copy of every entry per appended line was ~0.15 ms per
 * append at 28 MB, 15,000 entries; now O(appended)). When `entries` is a list made here and ends at `at`
 * — nothing was added to it since its holder read it — `more` is pushed onto it and it is returned;
 * else (a list from a decode, or one grown past `at` meanwhile) a new list is made, which the next
 * extension may grow. So a cache entry read before an extension may see entries past its identity: read
 * one synchronously, right after getting it, and take `entries.length` then (every caller does).
 */
export function extendedEntries(entries: readonly unknown[], at: number, more: readonly unknown[]): readonly unknown[] {
  let list: unknown[];
  if (growable.has(entries) && entries.length === at) list = entries as unknown[];
  else {
    list = entries.slice(0, at);
    growable.add(list);
  }
  for (const entry of more) list.push(entry);
  return list;
}

/** Forgets `path` (a write ctxc did not follow, a file that changed in a way the cache cannot extend). */
export function dropCachedEntries(path: string): void {
  files.delete(path);
}

/** Sets the bound in file bytes (0 turns the cache off); for the preload's settings and tests. */
export function setEntryCacheLimit(bytes: number): void {
  limitBytes = Math.max(0, bytes);
  trim();
}

/** The bound in file bytes (0: the cache is off). */
export function entryCacheLimit(): number {
  return limitBytes;
}

/**
 * The bound from `CTXC_OPENCLAW_ENTRY_CACHE_MB` (MiB of transcript bytes; 0 = off); unset or not a
 * non-negative number: {@link DEFAULT_ENTRY_CACHE_BYTES}.
 */
export function entryCacheLimitFromEnv(value: string | undefined): number {
  return bytesFromMibSetting(value, DEFAULT_ENTRY_CACHE_BYTES);
}

/**
 * Deep-freezes a freshly parsed JSON value in place (as OpenClaw 2026.6.9+ `freezeJsonLikeValue`), returning
 * it. A value already frozen is taken as frozen all the way down (true of everything this module freezes).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) for (const item of value) deepFreeze(item);
  else for (const item of Object.values(value)) deepFreeze(item);
  return Object.freeze(value);
}
