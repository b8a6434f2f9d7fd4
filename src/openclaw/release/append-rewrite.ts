/**
 * OpenClaw 2026.6.9–2026.7.35 `SessionManager.rewriteFile` as an append, when that is exactly stock's
 * result (issue #11 item 2).
 *
 * Stock, after each turn: `writeFullFile` serialises every entry (`getPersistedFileEntries`, which may
 * add a leaf-control entry first) and `writeFileSync`s the whole transcript in place; then
 * `rememberWrittenSessionEntries` invalidates the repair cache, re-reads the file, compares it with what
 * it wrote and re-parses all of it into the entry cache; then the manager's `sessionFileSnapshot` is set
 * and the snapshot published. Most of the time the file already holds every entry but the last few
 * (`persistRecord` appends them as they come), so the write changes only the tail.
 *
 * Here, when ctxc's entry cache (../entry-cache.ts) says the file is exactly the serialisation of its
 * cached entries, and the entries OpenClaw would write begin with those entries — the very same objects
 * (deep-frozen, so unchanged since they were decoded), or, for the ones that are not (the header is a
 * structuredClone, entries appended by this manager are its own objects), the same serialisation — the
 * file stock writes is the current file followed by the serialised new entries. Those lines alone are
 * appended (`appendFileSync`, same string, same encoding; with none, the last byte is written again so the
 * file's times move as stock's write moves them), and what the re-read would have produced is
 * built from the cached entries plus the parse of the new lines: the release's own
 * `rememberSessionEntries`, `invalidateSessionFileRepairCache`, `publishRememberedSessionFileSnapshot`
 * run as stock runs them. Cost: the serialisation of the entries not shared with the cache and one
 * append, instead of the whole file serialised, written, read and parsed.
 *
 * Otherwise stock's steps run (the same calls, `getPersistedFileEntries` still called once) and ctxc's
 * entry cache of the file is dropped. A concurrent reader sees a difference that favours the append: it
 * never sees a truncated file, which stock's truncate-and-write can show.
 */
import { appendFileSync, closeSync, openSync, readSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { normalizerChanges } from "./entry-normalizer.js";
import { keepFrozenEntries } from "./remember-frozen.js";
import { deepFreeze, dropCachedEntries, extendedEntries, getCachedEntries, identityIsSnapshot, identityOf, sameIdentity, setCachedEntries, type BigintFileStat, type CachedFile, type FileIdentity } from "../entry-cache.js";

/** OpenClaw's file snapshot (`readSessionFileSnapshot`: bigint stat fields). */
export type SessionFileSnapshot = BigintFileStat;

/** The session-manager chunk's bindings the rewrite handler calls (shapes.ts helpers). */
export interface RewriteHelpers {
  writeJsonlEntriesSync: (path: string, entries: unknown[]) => string;
  serializeJsonlLine: (entry: unknown) => string | undefined;
  rememberWrittenSessionEntries: (path: string, content: string) => { snapshot?: SessionFileSnapshot; verifiedWrite: boolean };
  rememberSessionEntries: (path: string, snapshot: SessionFileSnapshot, entries: unknown[], endsWithNewline: boolean) => unknown[];
  publishRememberedSessionFileSnapshot: (path: string, snapshot: SessionFileSnapshot | undefined) => void;
  invalidateSessionFileRepairCache: (path: string) => void;
  readSessionFileSnapshot: (path: string) => SessionFileSnapshot;
  sessionEntriesCache: Map<string, { entries: unknown[]; snapshot: SessionFileSnapshot }>;
  trimSessionEntriesCache: () => void;
  copyFileEntries: (entries: unknown[]) => unknown[];
  MAX_CACHED_SESSION_BYTES: bigint;
  normalizeLoadedFileEntry?: (entry: unknown) => unknown;
}

/** The part of OpenClaw's SessionManager `rewriteFile` uses. */
export interface RewritingManager {
  shouldPersist: boolean;
  sessionFile?: string;
  appendParentId: unknown;
  sessionFileSnapshot?: SessionFileSnapshot;
  getPersistedFileEntries(leafAppendParentId: unknown, leafAppendMode: unknown): unknown[];
}

/** `rewriteFile`'s options (2026.6.9+). */
export interface RewriteOptions {
  leafAppendParentId?: unknown;
  leafAppendMode?: unknown;
  publishSnapshot?: boolean;
}

/** What one rewrite did: appended `bytes`, or ran stock's steps because of `why` (undefined: nothing to say). */
export type RewriteOutcome = { appended: true; bytes: number } | { appended: false; why?: string };

/** Why ctxc's cache of `path` cannot stand for the file now, or null. */
function cacheMismatch(cached: CachedFile | undefined, now: FileIdentity | undefined): string | null {
  if (!cached) return "no cached decode of the file";
  if (!cached.serializedExactly) return "the file is not exactly its entries serialised";
  if (!now) return "file missing";
  return sameIdentity(cached.identity, now) ? null : "file changed since ctxc's cached decode";
}

/**
 * The serialised lines stock would write after the cached ones, or why the write is not an append:
 * `entries` must begin with the cached entries (same object, or same serialisation).
 */
export function appendedLines(entries: readonly unknown[], cached: readonly unknown[], serialize: RewriteHelpers["serializeJsonlLine"]): string[] | string {
  if (entries.length < cached.length) return `${cached.length - entries.length} entries fewer than the file holds`;
  for (let i = 0; i < cached.length; i++) {
    if (entries[i] === cached[i]) continue;
    // The cached entry's serialisation is its line in the file (serializedExactly).
    if (serialize(entries[i]) !== JSON.stringify(cached[i])) return i === 0 ? "the header changed" : `entry ${i} differs from the file's line`;
  }
  const lines: string[] = [];
  for (let i = cached.length; i < entries.length; i++) {
    const line = serialize(entries[i]);
    if (typeof line !== "string") return `entry ${i} does not serialise`;
    lines.push(line);
  }
  return lines;
}

/** Whether {@link warmAppendCheckCode} has run in this process (V8 compiles a function once for all its callers). */
let appendCheckWarmed = false;

/**
 * {@link appendedLines}' prefix check, run once per process on `entries` (the restart warm-up's kept entries,
 * restart-warmup.ts) against a copy of themselves: every entry the same object, nothing serialised, nothing
 * kept. Why: the check is a loop over every entry (~15,000 at 28 MB), and a restarted gateway's first rewrite
 * otherwise runs it in V8's interpreter (~1.5–5 ms at 28 MB on a loaded host against ~0.3 later). The copy is
 * built by `push`, as OpenClaw's `getPersistedFileEntries` builds the list a rewrite compares, and `entries`
 * is the kind of array the cache keeps, so the code V8 compiles here fits the turn's arrays (other kinds
 * would make it throw that code away at the turn's first call). Only V8's code is warmed.
 */
export function warmAppendCheckCode(entries: readonly unknown[]): void {
  if (appendCheckWarmed || entries.length === 0) return;
  appendCheckWarmed = true;
  const persisted: unknown[] = [];
  for (const entry of entries) persisted.push(entry);
  appendedLines(persisted, entries, () => undefined);
}

/** Stock's steps after the content is written (rewriteFile's body after `writeFullFile`). */
function rememberStockWrite(sm: RewritingManager, options: RewriteOptions | undefined, content: string, h: RewriteHelpers): boolean {
  const file = sm.sessionFile!;
  inStockRewrite = true;
  let remembered: ReturnType<RewriteHelpers["rememberWrittenSessionEntries"]>;
  try {
    remembered = h.rememberWrittenSessionEntries(file, content);
  } finally {
    inStockRewrite = false;
  }
  sm.sessionFileSnapshot = remembered.snapshot;
  if (remembered.verifiedWrite && options?.publishSnapshot !== false) h.publishRememberedSessionFileSnapshot(file, remembered.snapshot);
  return remembered.verifiedWrite;
}

/**
 * After stock's write of `written` was verified and re-parsed into OpenClaw's cache, that parse is
 * ctxc's cache of the file too, at no cost: the file is `written` serialised (stock compared it), and
 * each entry OpenClaw keeps is `JSON.parse` of one such line, which `JSON.stringify` spells back
 * exactly (its output round-trips: shortest number forms, canonical escapes, key order kept) — unless
 * the release's normaliser changed it on load. Nothing is kept when that cannot be told.
 */
function refillFromStock(path: string, written: readonly unknown[], h: RewriteHelpers): void {
  const theirs = h.sessionEntriesCache.get(path);
  const now = identityOf(path);
  if (!theirs || !now || !identityIsSnapshot(now, theirs.snapshot) || theirs.entries.length !== written.length) return;
  if (h.normalizeLoadedFileEntry && written.some(normalizerChanges)) return;
  // A copy of the list: OpenClaw pushes its later appends onto its own.
  setCachedEntries(path, { identity: now, entries: theirs.entries.slice(), serializedExactly: true });
}

/** Decodes appended lines as the chunk's `parseJsonlEntries` does, deep-frozen (as OpenClaw's cache keeps them). */
function decodeLines(lines: readonly string[], normalize: RewriteHelpers["normalizeLoadedFileEntry"]): unknown[] {
  return lines.map((line) => {
    const entry = JSON.parse(line) as unknown;
    return deepFreeze(normalize ? normalize(entry) : entry);
  });
}

/**
 * `sm.rewriteFile(options)`: an append when exactly equivalent (see the file comment), else stock's
 * steps. `original` is OpenClaw's method, bound to `sm`.
 */
export function rewriteFile(sm: RewritingManager, original: (options?: RewriteOptions) => void, options: RewriteOptions | undefined, h: RewriteHelpers): RewriteOutcome {
  if (!sm.shouldPersist || !sm.sessionFile) {
    original(options);
    return { appended: false };
  }
  const file = sm.sessionFile;
  const path = resolve(file);
  const cached = getCachedEntries(path);
  const before = identityOf(path);
  const mismatch = cacheMismatch(cached, before);
  if (mismatch) {
    dropCachedEntries(path);
    original(options);
    return { appended: false, why: mismatch };
  }
  // From here on stock's steps are taken one by one (getPersistedFileEntries may add a leaf-control entry:
  // it must run exactly once, as in stock).
  const leafAppendParentId = options?.leafAppendParentId === undefined ? sm.appendParentId : options.leafAppendParentId;
  const entries = sm.getPersistedFileEntries(leafAppendParentId, options?.leafAppendMode);
  let lines: string[] | string;
  try {
    lines = appendedLines(entries, cached!.entries, h.serializeJsonlLine);
  } catch (err) {
    lines = `serialising failed (${(err as Error).message})`; // stock's write below throws the same
  }
  if (typeof lines === "string") {
    dropCachedEntries(path);
    if (rememberStockWrite(sm, options, h.writeJsonlEntriesSync(file, entries), h)) refillFromStock(path, entries, h);
    return { appended: false, why: lines };
  }
  const text = lines.length > 0 ? `${lines.join("\n")}\n` : "";
  if (text) appendFileSync(file, text, "utf-8");
  else rewriteLastByte(file, before!.size);
  return rememberAppend(sm, options, h, { path, cached: cached!, cachedCount: cached!.entries.length, before: before!, entries, lines, bytes: Buffer.byteLength(text) });
}

/**
 * Nothing new: stock writes the same bytes again, and that write moves the file's modification and change
 * times, which OpenClaw's snapshots compare (a snapshot published before, without a new one published now,
 * is stale after stock's write). The last byte written again in place, the same byte, moves them as a write
 * does and keeps the bytes, the size and the inode. A file changed meanwhile is left to rememberAppend's
 * check, as after an append.
 */
function rewriteLastByte(file: string, size: number): void {
  if (size === 0) return;
  const fd = openSync(file, "r+");
  try {
    const last = Buffer.alloc(1);
    if (readSync(fd, last, 0, 1, size - 1) === 1) writeSync(fd, last, 0, 1, size - 1);
  } finally {
    closeSync(fd);
  }
}

/** What `rememberWrittenSessionEntries` leaves after stock's write, for the append just made (without the re-read). */
function rememberAppend(
  sm: RewritingManager,
  options: RewriteOptions | undefined,
  h: RewriteHelpers,
  w: { path: string; cached: CachedFile; cachedCount: number; before: FileIdentity; entries: unknown[]; lines: string[]; bytes: number },
): RewriteOutcome {
  const file = sm.sessionFile!;
  const after = identityOf(w.path);
  if (!after || after.dev !== w.before.dev || after.ino !== w.before.ino || after.size !== w.before.size + w.bytes) {
    // Someone else wrote meanwhile: stock's check (re-read and compare with the full content) decides.
    dropCachedEntries(w.path);
    rememberStockWrite(sm, options, `${w.entries.map((e) => h.serializeJsonlLine(e)).join("\n")}\n`, h);
    return { appended: false, why: "the file changed during the append" };
  }
  h.invalidateSessionFileRepairCache(w.path);
  let snapshot: SessionFileSnapshot;
  try {
    snapshot = h.readSessionFileSnapshot(w.path);
  } catch {
    h.sessionEntriesCache.delete(w.path);
    dropCachedEntries(w.path);
    sm.sessionFileSnapshot = undefined;
    return { appended: true, bytes: w.bytes };
  }
  // The cached entries (as many as when the rewrite began) and the appended lines': O(appended).
  const all = extendedEntries(w.cached.entries, w.cachedCount, decodeLines(w.lines, h.normalizeLoadedFileEntry));
  // The generation stays: the file grew by exactly these lines, which the worker checks when it continues.
  setCachedEntries(w.path, { identity: after, entries: all, serializedExactly: true, generation: w.cached.generation });
  sm.sessionFileSnapshot = snapshot;
  if (snapshot.size > h.MAX_CACHED_SESSION_BYTES) {
    // Stock: too large for OpenClaw's cache, and the write is not reported verified (no publish).
    h.sessionEntriesCache.delete(w.path);
    return { appended: true, bytes: w.bytes };
  }
  // Stock's re-read drops `rememberSessionEntries`' answer: the entry cached, no copy handed back.
  keepFrozenEntries(h, w.path, snapshot, all as unknown[], () => true);
  if (options?.publishSnapshot !== false) h.publishRememberedSessionFileSnapshot(file, snapshot);
  return { appended: true, bytes: w.bytes };
}

/** `rememberAppendedSessionEntry`'s arguments (persistRecord, after appending `serializedAppend`). */
type AppendArgs = [filePath: string, previousSnapshot: unknown, beforeAppendSnapshot: SessionFileSnapshot | undefined, serializedAppend: string, ...rest: unknown[]];

/**
 * Follows OpenClaw's `persistRecord` appends into ctxc's entry cache, so the rewrite at the end of the
 * turn finds the file still described by it: when the cache stood for the file just before the append
 * and the file grew by exactly the appended line, the cache takes that line's entry — the object
 * OpenClaw's own cache took when it advanced, so both share it (identity in the next rewrite's check),
 * else a decode of the line. Anything else drops the cache of the file. OpenClaw's function runs first,
 * unchanged.
 */
export function followAppend(original: (...args: unknown[]) => unknown, args: unknown[], h: Pick<RewriteHelpers, "sessionEntriesCache" | "normalizeLoadedFileEntry">): unknown {
  const [filePath, , before, serialized] = args as AppendArgs;
  const result = original(...args) as { cacheAdvanced?: boolean } | undefined;
  if (typeof filePath !== "string") return result;
  const path = resolve(filePath);
  const cached = getCachedEntries(path);
  if (!cached) return result;
  try {
    const after = identityOf(path);
    const bytes = typeof serialized === "string" ? Buffer.byteLength(serialized) : -1;
    const grewByLine =
      !!before && !!after && typeof serialized === "string" && !serialized.startsWith("\n") && serialized.indexOf("\n") === serialized.length - 1 &&
      identityIsSnapshot(cached.identity, before) &&
      after.dev === cached.identity.dev && after.ino === cached.identity.ino && after.size === cached.identity.size + bytes;
    if (!grewByLine) {
      dropCachedEntries(path);
      return result;
    }
    const theirs = result?.cacheAdvanced ? h.sessionEntriesCache.get(path)?.entries.at(-1) : undefined;
    const entry = theirs ?? decodeLines([serialized.slice(0, -1)], h.normalizeLoadedFileEntry)[0];
    // Read before the list grows (a lazy exactness check reads the entries it was made for).
    const serializedExactly = cached.serializedExactly && JSON.stringify(entry) === serialized.slice(0, -1);
    setCachedEntries(path, { identity: after!, entries: extendedEntries(cached.entries, cached.entries.length, [entry]), serializedExactly, generation: cached.generation });
  } catch {
    dropCachedEntries(path);
  }
  return result;
}

/** Set while the rewrite handler runs stock's steps itself (it refills ctxc's cache more cheaply, from the written entries). */
let inStockRewrite = false;

/** Whether the rewrite handler is running stock's steps itself (the write follower then leaves the refill to it). */
export const runningStockRewrite = (): boolean => inStockRewrite;
