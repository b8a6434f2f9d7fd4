/**
 * OpenClaw 2026.6.9+'s `rememberSessionEntries(path, snapshot, entries, endsWithNewline)` for entries that
 * are all deep-frozen — ctxc's kept entries (entry-cache.ts contract) and the appended ones it froze — as
 * the session open and the rewrite-as-append hand it every turn.
 *
 * Why not the release's own function: its first step, `entries.map((e) => Object.isFrozen(e) ? e :
 * freezeFileEntry(e))`, returns every such entry unchanged but costs an integrity check per entry
 * (~0.3 µs each under load: at 28 MB, 15,000 entries twice a turn — the largest part of ctxc's own
 * per-turn main-thread work that grew with the file, bench/openclaw-turns.ts profile). For a cacheable
 * header under the cache bound, the rest of its body is: a cache entry `{snapshot, entries (a new array of
 * the same entries), endsWithNewline}` put last in `sessionEntriesCache`, `trimSessionEntriesCache()`, and
 * `copyFileEntries` of that array returned — done here with the chunk's own bindings; over the bound, the
 * path dropped from the cache and `copyFileEntries` of the entries. Its body and the helpers it calls are
 * part of the shape of both handlers that use this (shapes.ts SHAPE_DEPS), so this is that body's answer for
 * these inputs. A header it does not cache goes to the release's function.
 */
import { isCacheableHeader } from "../kept-entries.js";

/** The session-manager chunk's bindings used here (shapes.ts helpers of the snapshot open and the rewrite). */
export interface RememberHelpers<S extends { size: bigint } = { size: bigint }> {
  rememberSessionEntries: (path: string, snapshot: S, entries: unknown[], endsWithNewline: boolean) => unknown[];
  sessionEntriesCache: Map<string, unknown>;
  trimSessionEntriesCache: () => void;
  copyFileEntries: (entries: unknown[]) => unknown[];
  MAX_CACHED_SESSION_BYTES: bigint;
}

/**
 * `h.rememberSessionEntries(path, snapshot, entries, endsWithNewline())` for deep-frozen `entries` (see the
 * file comment); `endsWithNewline` is asked only where the answer is kept (it may read the file's last byte).
 * `shared`: `entries` is an array its owner keeps (ctxc's entry cache) — the caller's copy of it is made
 * here, and only where stock would hand out or keep the very array it was given (a header it does not
 * cache); everywhere else stock's own body copies it anyway (the cache's array, `copyFileEntries`), so a
 * copy beforehand would be a second one (issue #11: each is O(entries), ~0.2–0.6 ms at 100 MB).
 */
export function rememberFrozenEntries<S extends { size: bigint }>(h: RememberHelpers<S>, path: string, snapshot: S, entries: readonly unknown[], endsWithNewline: () => boolean, shared = false): unknown[] {
  return remember(h, path, snapshot, entries, endsWithNewline, shared, true)!;
}

/**
 * {@link rememberFrozenEntries} for a caller that drops the answer, as stock's `rememberWrittenSessionEntries`
 * does (the rewrite-as-append stands for it): the cache entry is the same, the copy handed back — a `slice` of
 * every entry and a `structuredClone` of the header, ~0.1 ms at 28 MB each turn — is not made. A header the
 * release does not cache still goes to the release's function (its answer dropped too).
 */
export function keepFrozenEntries<S extends { size: bigint }>(h: RememberHelpers<S>, path: string, snapshot: S, entries: readonly unknown[], endsWithNewline: () => boolean): void {
  remember(h, path, snapshot, entries, endsWithNewline, false, false);
}

function remember<S extends { size: bigint }>(h: RememberHelpers<S>, path: string, snapshot: S, entries: readonly unknown[], endsWithNewline: () => boolean, shared: boolean, answer: boolean): unknown[] | undefined {
  if (entries.length === 0 || !isCacheableHeader(entries[0])) return h.rememberSessionEntries(path, snapshot, shared ? entries.slice() : (entries as unknown[]), endsWithNewline());
  h.sessionEntriesCache.delete(path);
  // Over the bound stock returns `copyFileEntries(entries.map(freezeFileEntry))`: freezing a frozen entry
  // changes nothing, but its freeze walks every value of every entry (~0.4 s per turn at 100 MB).
  if (snapshot.size > h.MAX_CACHED_SESSION_BYTES) return answer ? h.copyFileEntries(entries as unknown[]) : undefined; // a copy (`slice`, header cloned): the input is not touched
  const cachedEntries = entries.slice();
  const cached = { snapshot, entries: cachedEntries, endsWithNewline: endsWithNewline() };
  h.sessionEntriesCache.set(path, cached);
  h.trimSessionEntriesCache();
  return answer ? h.copyFileEntries(cachedEntries) : undefined;
}
