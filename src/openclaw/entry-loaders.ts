/**
 * OpenClaw's own copy of pi's session load (2026.5.28+): `loadEntriesFromFile` and (2026.6.9+)
 * `loadEntriesFromFileWithSnapshot`, answered from ctxc's prepared worker read (prepared-reads.ts) through
 * ctxc's entry cache (kept-entries.ts), else OpenClaw's own read. The handlers take the runtime's counters
 * and log ({@link PreloadDeps}), as the other handler modules do.
 */
import { resolve } from "node:path";
import { decodeFileEntries, endsWithNewline } from "./release/file-entries.js";
import { resolveHelpers, type Handler, type PreloadDeps } from "./preload-deps.js";
import { entryCacheLimit, type BigintFileStat } from "./entry-cache.js";
import { keptEntriesFor, keptEntriesOfFile } from "./kept-entries.js";
import { freshEntries } from "./lazy-entries.js";
import { preparedFor, releaseAfterOpen, serveSnapshotOpens } from "./prepared-reads.js";
import { rememberFrozenEntries, type RememberHelpers } from "./release/remember-frozen.js";
import { emitTrace, fileKey, TRACING } from "./trace.js";
import { traceNow } from "../../native-free-workers/protocol/call-trace.js";

/** Getters of the chunk's own bindings a handler uses, by name. */
type Helpers = Record<string, () => unknown>;
type LoaderDeps = Pick<PreloadDeps, "counters" | "fallback">;

/** The handlers (preload-runtime.ts `handlers`). */
export function entryLoaderHandlers(deps: PreloadDeps): Record<string, Handler> {
  return {
    loadEntriesFromFile: (original, args, helpers) => loadEntriesFromFile(deps, original, args as [string], helpers),
    loadEntriesFromFileWithSnapshot: (original, args, helpers) => loadEntriesFromFileWithSnapshot(deps, original, args as [string], helpers),
  };
}

/**
 * OpenClaw's `loadEntriesFromFile(filePath)` (2026.5.28+; the vendored SessionManager's open calls it):
 * the entries from ctxc's worker read, through the chunk's own normaliser where it has one; OpenClaw's
 * read when there is no usable read. OpenClaw owns and may mutate what it gets (2026.5.28–6.8 keep no
 * frozen copy), so each call gets fresh objects: lazy-entries.ts copies of the entry cache (kept-entries.ts:
 * the previous call's entries, frozen, plus the appended records decoded now), whose object-valued fields
 * are copied only when read — or, without the cache, every record decoded fresh (release/file-entries.ts).
 */
function loadEntriesFromFile({ counters, fallback }: LoaderDeps, original: (p: string) => unknown[], [filePath]: [string], helpers: Helpers): unknown[] {
  try {
    if (typeof filePath === "string") {
      const path = resolve(filePath);
      const got = preparedFor(path);
      if (typeof got === "object") {
        const normalize = helpers.normalizeLoadedFileEntry?.() as ((e: unknown) => unknown) | undefined;
        const kept = entryCacheLimit() > 0 ? keptEntriesFor(path, got, normalize) : "entry cache off";
        if (typeof kept === "string" && got.firstRecord > 0) {
          // Every entry is asked for, and the read holds only the appended ones while the cache no longer
          // holds the rest: OpenClaw's read.
          fallback("loadEntriesFromFile", `continued read: ${kept} (${path})`);
          return original(filePath);
        }
        const entries = typeof kept === "string" ? decodeFileEntries(got, normalize) : freshEntries(kept.entries);
        if (typeof kept !== "string" && kept.reused > 0) counters.sessionsContinued++;
        counters.sessionsServed++;
        releaseAfterOpen(path, got);
        return entries;
      }
      if (got !== undefined) fallback("loadEntriesFromFile", `${got} (${path})`);
    }
  } catch (err) {
    fallback("loadEntriesFromFile", err);
  }
  return original(filePath);
}

/** The bindings of OpenClaw's session-manager chunk the snapshot handler uses (see shapes.ts `helpers`). */
interface SnapshotHelpers extends RememberHelpers {
  readSessionFileSnapshot: (p: string) => BigintFileStat;
  isSameSessionFileSnapshot: (a: unknown, b: unknown) => boolean;
  sessionEntriesCache: Map<string, { snapshot: unknown }>;
}

/**
 * OpenClaw's `loadEntriesFromFileWithSnapshot(filePath)` (2026.6.9+, behind SessionManager.open). Stock,
 * on a miss of its entry cache, reads and parses the whole file, then `rememberSessionEntries` freezes
 * the entries into the cache and returns copies. Here the parse is ctxc's worker read (checked against
 * OpenClaw's own snapshot of the file), handed to the same `rememberSessionEntries` — so the cache, the
 * returned entries and the snapshot are what stock leaves. A cache hit (file unchanged since OpenClaw
 * last parsed or wrote it) is left to OpenClaw: it costs no parse.
 *
 * The entries are ctxc's entry cache (kept-entries.ts): those of the previous turn, shared and frozen,
 * plus the appended records decoded and frozen now — sharing frozen entries is what stock does between
 * its own cache and every SessionManager it opens (`copyFileEntries` copies the array and clones only
 * the header). A header stock does not cache (not version 3) gets freshly decoded, unfrozen entries, as
 * stock returns then. Without a usable worker read (none prepared, or the file grew since it), the kept
 * entries alone answer when the file is still exactly what they stand for (kept-entries.ts
 * `keptEntriesOfFile`) — no read at all; and the manager then holds the cache's own objects, so the
 * rewrite after the turn proves its append by pointer comparisons (release/append-rewrite.ts).
 */
function loadEntriesFromFileWithSnapshot({ counters, fallback }: LoaderDeps, original: (p: string) => unknown, [filePath]: [string], helpers: Helpers): unknown {
  try {
    if (typeof filePath === "string") {
      const path = resolve(filePath);
      const h = resolveHelpers<SnapshotHelpers>(helpers);
      let snapshot: ReturnType<SnapshotHelpers["readSessionFileSnapshot"]> | undefined;
      try {
        snapshot = h.readSessionFileSnapshot(path);
      } catch {
        snapshot = undefined; // missing file: OpenClaw's answer (no entries, cache dropped)
      }
      serveSnapshotOpens();
      const cached = snapshot && h.sessionEntriesCache.get(path);
      if (snapshot && cached && h.isSameSessionFileSnapshot(cached.snapshot, snapshot)) {
        counters.sessionsCached++;
      } else if (snapshot) {
        const got = preparedFor(path, snapshot);
        if (typeof got === "object") {
          const normalize = helpers.normalizeLoadedFileEntry?.() as ((e: unknown) => unknown) | undefined;
          const kept = entryCacheLimit() > 0 ? keptEntriesFor(path, got, normalize, { lazy: true }) : "entry cache off";
          if (typeof kept === "string" && got.firstRecord > 0) {
            fallback("loadEntriesFromFileWithSnapshot", `${kept} (${path})`);
            return original(filePath);
          }
          // The cache's own array, shared: remember copies it (OpenClaw's cache and SessionManager get arrays of their own).
          const entries = typeof kept === "string" ? decodeFileEntries(got, normalize) : kept.entries;
          if (typeof kept !== "string" && kept.reused > 0) counters.sessionsContinued++;
          if (TRACING) emitTrace(`open file=${fileKey(path)} t=${traceNow().toFixed(1)} how=${typeof kept === "string" ? "decoded" : "kept"} reused=${typeof kept === "string" ? 0 : kept.reused} entries=${entries.length} first=${got.firstRecord} base=${got.meta.base}`);
          const out = { entries: remember(h, path, snapshot, entries, typeof kept !== "string", () => endsWithNewline(path, got.meta.bytes)), snapshot };
          counters.sessionsServed++;
          releaseAfterOpen(path, got);
          return out;
        }
        // No usable worker read: the entries ctxc keeps answer when they are the file as it is now.
        const kept = keptEntriesOfFile(path, snapshot);
        if (kept) {
          // endsWithNewline, not the lazy serializedExactly: reading it here would run the exactness check on an open.
          const entries = remember(h, path, snapshot, kept.entries, true, () => endsWithNewline(path, kept.identity.size));
          counters.sessionsKept++;
          return { entries, snapshot };
        }
        if (got !== undefined) fallback("loadEntriesFromFileWithSnapshot", `${got} (${path})`);
      }
    }
  } catch (err) {
    fallback("loadEntriesFromFileWithSnapshot", err);
  }
  return original(filePath);
}

/**
 * OpenClaw's `rememberSessionEntries(path, snapshot, entries, endsWithNewline)`, which leaves its cache and
 * returns the entries as stock's parse path does; for `frozen` entries (all deep-frozen, a header it
 * caches) without its per-entry freeze check and walk (release/remember-frozen.ts).
 */
function remember(h: SnapshotHelpers, path: string, snapshot: { size: bigint }, entries: readonly unknown[], frozen: boolean, endsWithNewline: () => boolean): unknown[] {
  // Frozen entries are ctxc's kept array (shared: copied there); decoded ones a fresh array stock may keep.
  return frozen ? rememberFrozenEntries(h, path, snapshot, entries, endsWithNewline, true) : h.rememberSessionEntries(path, snapshot, entries as unknown[], endsWithNewline());
}
