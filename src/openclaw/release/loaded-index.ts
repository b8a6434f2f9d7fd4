/**
 * OpenClaw 2026.6.11–2026.7.35's `SessionManager.setLoadedSessionFile(file, loaded)` — partition the
 * loaded entries, then `buildIndex()` over all of them — answered from the index of the same entries it
 * built last time, when `loaded` is those entries plus appended ones (issue #11: a later turn after a
 * restart re-loads the file once its first append finds OpenClaw's 32 MiB entry cache lost it, so the
 * manager partitions and indexes every entry twice a turn: open, then `persistRecord`'s re-load).
 *
 * Why it is exact. `buildIndex` is a left fold: it clears the manager's maps, then walks the file entries in
 * order (the opaque records whose `index` is i just before entry i), each step reading only that record and
 * the state so far. So the state after entries 0…m−1 followed by entries m… is the state after 0…m−1,
 * continued over m…. What is kept per file here (a *record*, ctxc's memory only):
 * - `entries`: the loaded array the state was built from (its entries 1… are frozen objects: every value a
 *   step reads is a top-level member of one, so the same object is the same input — a new header clone at 0
 *   is fine: a v3 header is taken as the header and indexed by no step);
 * - the partition of those entries (the file entries after the header, the opaque records and their index);
 * - the maps and scalars `buildIndex` left, copied right after it ran (maps copied in their order, as
 *   {@link LayeredMap}s: see below).
 * A later call whose `loaded.entries` has the same objects at 1…m−1 (pointer compares) and a v3 header at 0
 * gets the record's state continued over the rest by the loop body of `buildIndex` for a file entry
 * ({@link foldEntry}, with the chunk's own `isIndexedSessionEntry` / `isSessionTranscriptSideAppendEntry`),
 * handed to the manager's maps in O(1) each (`handOver`: a map an earlier load handed over takes the
 * record's entries in place, as stock's cleared-and-refilled Map keeps its identity; the constructor's own
 * empty Map is replaced by a fork). A handed-over map shares the record's append-only store and keeps the
 * manager's later edits in its own overlay, so neither side sees the other's changes (layered-map.ts; the
 * manager edits its maps between loads, the record follows the file). Records the partition makes opaque
 * (a leaf control, a record with a parent link, anything else no step indexes) are folded too, by the loop's
 * opaque branch with the chunk's own parsers and resolvers ({@link foldOpaque}; 2026.6.9+, where they are
 * found). Appended entries that are not frozen: stock's body runs, and the record then follows the file
 * (recorded from stock's result), so the next turn's open continues it again. A file with no record (its first load since the process started: the first open
 * after a restart) continues the record of its header alone — the cleared state, as a v3 header is indexed
 * by no step ({@link headerRecord}) — so the whole first fold is ctxc's, built straight into the record's
 * stores, instead of stock's partition and `buildIndex` followed by a copy of their index. Cost per call: one step per appended entry and the O(1) hand-over, plus two O(entries)
 * pointer passes left (docs/openclaw.md §5): the comparison that the loaded entries 1…m−1 are the recorded
 * objects (~0.16 ms at 15,000 entries: `loaded.entries` is OpenClaw's array, so nothing short of reading it
 * proves that) and the manager's own `fileEntries` array (a slice, ~0.02 ms: the manager pushes and splices
 * it, and stock hands each load a new one).
 *
 * The handler's body is stock's `setLoadedSessionFile` for a v3 header and a non-empty partition (no
 * corrupt-header recovery, no migration): the same assignments in the same order, so the manager's own
 * properties are created in the same order. Its shape, with `buildIndex`, the partition and the
 * constructor's fields, is what shapes.ts checks (SHAPE_DEPS).
 */
import { join, resolve } from "node:path";
import { entryCacheLimit } from "../entry-cache.js";
import { indexLabel } from "../pi-index.js";
import { LayeredMap } from "./layered-map.js";

/** The index state `buildIndex` leaves (the manager's fields of these names). */
interface IndexState {
  byId: Map<unknown, unknown>;
  opaqueParentsById: Map<unknown, unknown>;
  logicalParentsById: Map<unknown, unknown>;
  invalidLeafControlIds: Set<unknown>;
  labelsById: Map<unknown, unknown>;
  labelTimestampsById: Map<unknown, unknown>;
  leafId: unknown;
  appendParentId: unknown;
  promptReleasedSideBranchParentId: unknown;
}

/** The manager fields `setLoadedSessionFile` sets (OpenClaw's SessionManager). */
export interface LoadingManager extends IndexState {
  sessionFile: string;
  sessionFileSnapshot: unknown;
  recoveredCorruptHeader: boolean;
  fileEntries: unknown[];
  opaqueFileEntries: { index: number; record: unknown }[];
  sessionId: string;
  flushed: boolean;
  newSession(): unknown;
}

/** The chunk's bindings the handler uses (shapes.ts helpers). */
export interface LoadedIndexHelpers {
  existsSync: (path: string) => boolean;
  isIndexedSessionEntry: (entry: unknown) => boolean;
  isSessionTranscriptSideAppendEntry: (entry: unknown) => boolean;
  /**
   * The chunk's `SessionManager` class: the restart warm-up runs its `getPersistedFileEntries` on a throwaway
   * ({@link warmPersistedEntriesCode}); the fold of an opaque record its resolvers ({@link foldOpaque}).
   */
  SessionManager?: new (cwd: string, sessionDir: string, sessionFile: string, persist: boolean, loaded: object) => object;
  /** The chunk's parsers of an opaque record (2026.6.9+): a leaf control, a record with a parent link. Without them an opaque record is not folded. */
  parseOpaqueLeafEntry?: (record: unknown) => OpaqueLeafEntry | undefined;
  parseParentLinkedOpaqueEntry?: (record: unknown) => { id: unknown; parentId: unknown } | undefined;
}

/** What the chunk's `parseOpaqueLeafEntry` makes of a leaf-control record. */
interface OpaqueLeafEntry {
  id: unknown;
  parentId: unknown;
}

/** What the chunk's `SessionManager.resolveOpaqueLeafControl` answers for a leaf control it accepts. */
interface LeafState {
  leafId: unknown;
  appendParentId: unknown;
  appendMode?: unknown;
}

/** The resolvers {@link foldOpaque} calls, as SessionManager's methods (they read `this`'s maps and call each other). */
interface OpaqueResolvers {
  resolveOpaqueLeafControl(leafEntry: OpaqueLeafEntry): LeafState | undefined;
  resolveOpaqueAppendParentId(parentId: unknown): unknown;
}

/** What {@link warmPersistedEntriesCode} calls on its throwaway manager (OpenClaw's SessionManager). */
interface ThrowawayManager {
  getPersistedFileEntries(leafAppendParentId?: string | null): unknown[];
}

/** The maps a record keeps as {@link LayeredMap}s: handed to each load in O(1), whatever the file's size. */
const LAYERED = ["byId", "opaqueParentsById", "logicalParentsById", "labelsById", "labelTimestampsById"] as const;
type Layered = (typeof LAYERED)[number];

/** One file's record (see the file comment). */
interface IndexRecord extends Omit<IndexState, Layered>, Record<Layered, LayeredMap<unknown, unknown>> {
  /** The loaded entries the state stands for (the record's own array: appended to, never handed out). */
  entries: unknown[];
  /** The file entries (the header's slot aside: each load's own header goes there), in order. */
  files: unknown[];
  opaque: { index: number; record: unknown }[];
  /** Calls served from this record (a record never served is not replaced by another at once). */
  served: number;
  /** The file bytes its entries stand for (the loaded snapshot's size), for the bound. */
  bytes: number;
  /** Folded by the restart warm-up ahead of the file's first load ({@link warmLoadedIndex}). */
  warm?: boolean;
}

/**
 * Records by resolved path, least recently used first: as many files as OpenClaw's own entry cache holds,
 * and no more file bytes than ctxc's entry cache covers (`CTXC_OPENCLAW_ENTRY_CACHE_MB`; 0 = no records) —
 * a record keeps its entries alive, as that cache does.
 */
const records = new Map<string, IndexRecord>();
const MAX_RECORDS = 8;

function keep(path: string, rec: IndexRecord): void {
  records.delete(path);
  records.set(path, rec);
  trimRecords();
}

/** Drops the least recently used records past the bounds (also before a lookup: the bytes bound can be lowered at run time). */
function trimRecords(): void {
  let total = 0;
  for (const r of records.values()) total += r.bytes;
  for (const [key, r] of records) {
    if (records.size <= MAX_RECORDS && total <= entryCacheLimit()) break;
    records.delete(key);
    total -= r.bytes;
  }
}

/** The bytes `loaded.snapshot` says the entries stand for (0 when it says nothing). */
const snapshotBytes = (snapshot: unknown): number => {
  const size = (snapshot as { size?: unknown } | undefined)?.size;
  return typeof size === "bigint" || typeof size === "number" ? Number(size) : 0;
};

/** A record's {@link LAYERED} maps, each `make(name)`. */
function layeredMaps(make: (key: Layered) => LayeredMap<unknown, unknown>): Record<Layered, LayeredMap<unknown, unknown>> {
  return Object.fromEntries(LAYERED.map((key) => [key, make(key)])) as Record<Layered, LayeredMap<unknown, unknown>>;
}

/** A copy of `s`'s index state (new maps, same order). */
function copyState(s: IndexState): Omit<IndexRecord, "entries" | "files" | "opaque" | "served" | "bytes"> {
  return {
    ...layeredMaps((key) => LayeredMap.of(s[key])),
    invalidLeafControlIds: new Set(s.invalidLeafControlIds),
    leafId: s.leafId,
    appendParentId: s.appendParentId,
    promptReleasedSideBranchParentId: s.promptReleasedSideBranchParentId,
  };
}

/**
 * Gives the manager's map `key` the record's entries in the record's order, as stock's `clear()` then sets
 * would: a LayeredMap (one an earlier load handed over) takes them in place, in O(1); a manager's own empty
 * Map (the constructor's, before its first load: nothing holds it yet) is replaced by a fork, in O(1); any
 * other Map is cleared and refilled (O(size), once per manager: its loads from then on hand over in O(1)).
 */
function handOver(sm: LoadingManager, key: Layered, from: LayeredMap<unknown, unknown>): void {
  const mine = sm[key];
  if (mine instanceof LayeredMap) mine.adopt(from);
  else if (mine.size === 0) sm[key] = from.fork();
  else {
    mine.clear();
    for (const [k, v] of from) mine.set(k, v);
  }
}

/** A v3 header `partitionSessionFileEntries` takes as the header (`acceptsLegacyEntries` false, no migration). */
function isV3Header(entry: unknown): entry is { id: string } {
  const h = entry as { type?: unknown; id?: unknown; version?: unknown } | null;
  return typeof h === "object" && h !== null && !Array.isArray(h) && h.type === "session" && typeof h.id === "string" && h.version === 3;
}

/**
 * `buildIndex`'s loop body for file entry `e` (an indexed session entry, no opaque record before it), on
 * `s`. The same Map operations in the same order, so the maps' order is the fold's.
 */
function foldEntry(s: IndexState, e: Record<string, unknown>, isSide: (entry: unknown) => boolean): void {
  // Asked once: the entry is frozen and the predicate reads its `type` and `appendMode` (stock may ask twice: the same answer).
  const side = isSide(e);
  if (!Object.hasOwn(e, "parentId") || (!side && e.parentId === s.appendParentId && s.leafId !== s.appendParentId)) s.logicalParentsById.set(e.id, s.leafId);
  s.byId.set(e.id, e);
  s.appendParentId = e.id;
  if (side) s.promptReleasedSideBranchParentId = e.id;
  else {
    s.leafId = e.id;
    s.promptReleasedSideBranchParentId = undefined;
  }
  indexLabel(s, e);
}

/**
 * `buildIndex`'s loop body for an opaque record (the partition's: a leaf control, a record with a parent link,
 * anything else after the header that no step indexes), on `s` — the same branches, with the chunk's own
 * parsers and SessionManager's own resolvers. The resolvers are methods: they run on a view whose prototype is
 * the chunk's SessionManager's and whose own properties are `s`'s index maps, all they read of a manager
 * (SHAPE_DEPS pins their bodies). Called only when the chunk gave them ({@link foldsOpaque}).
 */
function foldOpaque(s: IndexState, record: unknown, h: LoadedIndexHelpers): void {
  const { parseOpaqueLeafEntry, parseParentLinkedOpaqueEntry } = h;
  const leafEntry = parseOpaqueLeafEntry!(record);
  if (leafEntry) {
    const view = resolvers(s, h);
    const leafState = view.resolveOpaqueLeafControl(leafEntry);
    if (!leafState) {
      s.invalidLeafControlIds.add(leafEntry.id);
      s.opaqueParentsById.set(leafEntry.id, view.resolveOpaqueAppendParentId(leafEntry.parentId));
      return;
    }
    s.opaqueParentsById.set(leafEntry.id, leafState.leafId);
    s.leafId = leafState.leafId;
    s.appendParentId = leafState.appendParentId;
    s.promptReleasedSideBranchParentId = leafState.appendMode === "side" ? leafState.appendParentId : undefined;
    return;
  }
  const link = parseParentLinkedOpaqueEntry!(record);
  if (link) {
    s.opaqueParentsById.set(link.id, link.parentId);
    s.appendParentId = link.id;
    if (s.promptReleasedSideBranchParentId !== undefined) s.promptReleasedSideBranchParentId = link.id;
  }
}

/** Whether the chunk gave what {@link foldOpaque} calls. */
const foldsOpaque = (h: LoadedIndexHelpers): boolean => typeof h.parseOpaqueLeafEntry === "function" && typeof h.parseParentLinkedOpaqueEntry === "function" && typeof h.SessionManager === "function";

/** SessionManager's resolvers bound to `s`'s maps (see {@link foldOpaque}). */
function resolvers(s: IndexState, h: LoadedIndexHelpers): OpaqueResolvers {
  const view = Object.create(h.SessionManager!.prototype as object) as Record<string, unknown>;
  view.byId = s.byId;
  view.opaqueParentsById = s.opaqueParentsById;
  view.invalidLeafControlIds = s.invalidLeafControlIds;
  return view as unknown as OpaqueResolvers;
}

/** The entries `loaded` appends to `rec`'s, when it continues it and a fold can take them; else undefined. */
function continuation(rec: IndexRecord, entries: unknown[], h: LoadedIndexHelpers): unknown[] | undefined {
  const old = rec.entries;
  if (entries.length < old.length || !isV3Header(entries[0])) return undefined;
  for (let i = 1; i < old.length; i++) if (entries[i] !== old[i]) return undefined;
  const added = entries.slice(old.length);
  for (const e of added) if (!foldKind(e, h)) return undefined;
  return added;
}

/**
 * How `e`, after the record's entries, folds into it: it must stay as read (frozen) and become a file entry
 * (the header is found; legacy entries are not accepted after a v3 one) — or an opaque record, when the chunk
 * gave its parsers and resolvers ({@link foldOpaque}). Undefined: it cannot be folded.
 */
function foldKind(e: unknown, h: LoadedIndexHelpers): "entry" | "opaque" | undefined {
  if (!Object.isFrozen(e)) return undefined;
  if (h.isIndexedSessionEntry(e)) return "entry";
  return foldsOpaque(h) ? "opaque" : undefined;
}

/**
 * Folds `e`, of {@link foldKind} `kind`, at position `i` of the loaded entries into `rec`: a file entry's step,
 * or an opaque record's (kept in `rec.opaque` at the partition's index: the file entries before it, the
 * header's included — `i` less the opaque records before it).
 */
function foldAt(rec: IndexRecord, e: unknown, i: number, kind: "entry" | "opaque", h: LoadedIndexHelpers): void {
  if (kind === "entry") {
    foldEntry(rec, e as Record<string, unknown>, h.isSessionTranscriptSideAppendEntry);
    return;
  }
  foldOpaque(rec, e, h);
  rec.opaque.push({ index: i - rec.opaque.length, record: e });
}

/**
 * The record of `entries`' header alone, for a file with no record (the first open after a restart): the
 * state `buildIndex` leaves for a v3 header that no step indexes is the cleared one (empty maps, null leaf
 * and append parent), so continuing it over entries 1… is stock's whole fold, with the maps built straight
 * into the record's stores (no stock body, no copy of its index). Undefined when records are off or the
 * header is not such a header (stock's body then runs and is recorded as before).
 */
function headerRecord(entries: unknown[], h: LoadedIndexHelpers): IndexRecord | undefined {
  if (entryCacheLimit() === 0 || entries.length === 0) return undefined;
  const header = entries[0];
  if (!tried(() => isV3Header(header) && !h.isIndexedSessionEntry(header))) return undefined;
  return {
    ...layeredMaps(() => new LayeredMap()),
    invalidLeafControlIds: new Set(),
    leafId: null,
    appendParentId: null,
    promptReleasedSideBranchParentId: undefined,
    entries: [header],
    files: [header],
    opaque: [],
    served: 0,
    bytes: 0,
  };
}

/**
 * The record of a file with no record ({@link headerRecord}) continued over entries 1…, each checked as
 * {@link continuation} checks an appended entry and folded in the same pass (one walk of the entries, not
 * a check pass then a fold pass: this is a first turn's whole index, ~15,000 entries at 28 MB); undefined
 * when the header is not such a header or an entry is not such an entry (stock's body then runs and is
 * recorded, as when a continuation is refused). A read that throws propagates (the caller's `tried`): the
 * half-built record was never kept, and stock's body then throws its own error at its own point.
 */
function firstFold(entries: unknown[], h: LoadedIndexHelpers): IndexRecord | undefined {
  const rec = headerRecord(entries, h);
  if (!rec || !foldRange(rec, entries, 1, entries.length, h)) return undefined;
  return foldedWhole(rec, entries, entries.length);
}

/** Entries `from` … `to`−1 checked and folded into `rec` ({@link firstFold}'s loop); false at the first that is not such an entry. */
function foldRange(rec: IndexRecord, entries: readonly unknown[], from: number, to: number, h: LoadedIndexHelpers): boolean {
  for (let i = from; i < to; i++) {
    const e = entries[i];
    const kind = foldKind(e, h);
    if (!kind) return false;
    foldAt(rec, e, i, kind, h);
  }
  return true;
}

/**
 * `rec` once entries 1 … n−1 are folded: its arrays are copies of `entries` (not 2 × 15,000 pushes), the file
 * entries without the opaque records (each at its index plus the opaque records before it).
 */
function foldedWhole(rec: IndexRecord, entries: readonly unknown[], n: number): IndexRecord {
  rec.entries = entries.slice(0, n);
  if (rec.opaque.length === 0) rec.files = rec.entries.slice();
  else {
    const files: unknown[] = [];
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (k < rec.opaque.length && rec.opaque[k]!.index + k === i) k++;
      else files.push(rec.entries[i]);
    }
    rec.files = files;
  }
  return rec;
}

/**
 * `f()`, or undefined when it throws (the caller then runs stock's body, which reads the same entries and
 * throws its own error at its own point).
 */
function tried<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Records the index stock's body just built for `entries`, when a later call could continue it. */
function record(path: string, sm: LoadingManager, entries: unknown[], snapshot: unknown): void {
  if (entryCacheLimit() === 0) return;
  const prior = records.get(path);
  records.delete(path);
  // A record never served (the next load was not a continuation): skip one recording, so loads that never
  // continue (OpenClaw re-parsing the file itself) pay the copy on every other call at most.
  if (prior && prior.served === 0) return;
  if (sm.fileEntries[0] !== entries[0] || sm.fileEntries.length + sm.opaqueFileEntries.length !== entries.length || !isV3Header(entries[0])) return;
  for (let i = 1; i < entries.length; i++) if (!Object.isFrozen(entries[i])) return;
  keep(path, {
    ...copyState(sm),
    entries: entries.slice(),
    files: sm.fileEntries.slice(),
    opaque: sm.opaqueFileEntries.map((o) => ({ index: o.index, record: o.record })),
    served: 0,
    bytes: snapshotBytes(snapshot),
  });
}

/**
 * `sm.setLoadedSessionFile(sessionFile, loaded)`: served from the file's record when `loaded` continues it
 * (see the file comment) — with no record, from its header's ({@link headerRecord}) —, else OpenClaw's body,
 * after which the index it built is recorded. Returns how it was served: "continued" (a record of the file),
 * "folded" (from the header alone), or false (stock's body).
 */
export function setLoadedSessionFile(original: (...a: unknown[]) => unknown, args: unknown[], h: LoadedIndexHelpers, sm: LoadingManager): "continued" | "folded" | false {
  const [sessionFile, loaded] = args as [unknown, { entries?: unknown; snapshot?: unknown } | undefined];
  // The warm-up's throwaway manager being constructed (warmPersistedEntriesCode): nothing loaded, nothing kept.
  if (loaded === throwawayLoad) return false;
  const entries = loaded?.entries;
  if (typeof sessionFile !== "string" || !Array.isArray(entries)) {
    original(...args);
    return false;
  }
  const path = resolve(sessionFile); // node:path's, as the chunk's `resolve`
  trimRecords();
  let kept = records.get(path);
  let added = kept && tried(() => continuation(kept!, entries, h));
  // A warm-up's record (restart-warmup.ts) these entries do not continue (the file changed since): the load is the first one it stood in for.
  if (kept?.warm && kept.served === 0 && !added) {
    records.delete(path);
    kept = undefined;
  }
  // A kept record is continued over the appended entries below; a first load's is folded whole here.
  const rec = kept ?? tried(() => firstFold(entries, h));
  if (!kept) added = rec && [];
  if (!rec || !added) {
    original(...args);
    if (sm.sessionFile === path && !sm.recoveredCorruptHeader) record(path, sm, entries, loaded!.snapshot);
    else records.delete(path);
    return false;
  }
  // Stock's body, in its order, for a v3 header and a non-empty partition.
  sm.sessionFile = path;
  sm.sessionFileSnapshot = undefined;
  sm.recoveredCorruptHeader = false;
  if (!h.existsSync(sm.sessionFile)) {
    records.delete(path);
    const explicitPath = sm.sessionFile;
    sm.newSession();
    sm.sessionFile = explicitPath;
    return false;
  }
  // The record follows the file: continued over the appended entries first, then copied to the manager.
  // A step that throws (an entry whose read throws: not JSON as parsed) leaves the record half-continued:
  // it is dropped and stock's body runs from the start, so the error comes at stock's point with stock's state.
  // Each appended entry is pushed as it is folded (an opaque record's index counts the file entries before it).
  const at = rec.entries.length;
  const step = () => {
    for (let j = 0; j < added.length; j++) {
      const e = added[j];
      const kind = foldKind(e, h)!; // as continuation() found it: the entries are frozen
      foldAt(rec, e, at + j, kind, h);
      if (kind === "entry") rec.files.push(e);
      rec.entries.push(e);
    }
    return true;
  };
  if (tried(step) === undefined) {
    records.delete(path);
    original(...args);
    return false;
  }
  rec.served++;
  rec.bytes = snapshotBytes(loaded!.snapshot);
  keep(path, rec);
  handOverRecord(sm, rec, entries[0], loaded!.snapshot);
  return kept ? "continued" : "folded";
}

/** The rest of stock's body from `rec` (its partition and `buildIndex`'s state), `header` at entry 0. */
function handOverRecord(sm: LoadingManager, rec: IndexRecord, header: unknown, snapshot: unknown): void {
  // The manager's own array (it pushes and splices it): a copy of the pointers (O(entries), see docs/openclaw.md §5).
  sm.fileEntries = rec.files.slice();
  sm.fileEntries[0] = header;
  sm.opaqueFileEntries = rec.opaque.map((o) => ({ index: o.index, record: o.record }));
  sm.sessionFileSnapshot = snapshot;
  sm.sessionId = (header as { id: string }).id;
  // buildIndex: the maps cleared and the scalars reset (creating them in stock's order), then the fold's state.
  sm.leafId = null;
  sm.appendParentId = null;
  sm.promptReleasedSideBranchParentId = undefined;
  for (const key of LAYERED) handOver(sm, key, rec[key]);
  // Leaf controls marked invalid: as many as such records, a handful at most (copied).
  sm.invalidLeafControlIds.clear();
  for (const id of rec.invalidLeafControlIds) sm.invalidLeafControlIds.add(id);
  sm.leafId = rec.leafId;
  sm.appendParentId = rec.appendParentId;
  sm.promptReleasedSideBranchParentId = rec.promptReleasedSideBranchParentId;
  sm.flushed = true;
}

/**
 * The restart warm-up (restart-warmup.ts): the record a file's first load would fold ({@link firstFold}),
 * folded ahead of it from the entries ctxc's entry cache now holds for the file — the very objects the first
 * open then hands to `setLoadedSessionFile`, which continues this record (its pointer comparison decides,
 * as for any record). Only into room the bounds leave: a warm-up never evicts a record. In steps of
 * `stepEntries` entries, yielding after each (the caller lets other work run between them): `buildIndex`
 * is a left fold (see the file comment), so folding entries 1…k−1 and then k… is the whole fold; the
 * entries are frozen and the first `entries.length` (taken now) are the ones folded. The record is kept
 * only at the end, when the bounds are asked again; abandoning the generator leaves nothing behind.
 * Returns whether it kept one.
 */
export function* warmLoadedIndex(path: string, entries: readonly unknown[], h: LoadedIndexHelpers, bytes: number, stepEntries = Infinity): Generator<void, boolean, void> {
  if (!roomFor(path, bytes)) return false;
  const rec = headerRecord(entries as unknown[], h);
  if (!rec) return false;
  const n = entries.length;
  for (let from = 1; from < n; ) {
    const to = Math.min(n, from + stepEntries);
    if (!tried(() => foldRange(rec, entries, from, to, h))) return false;
    from = to;
    if (from < n) yield;
  }
  if (!roomFor(path, bytes)) return false;
  foldedWhole(rec, entries, n);
  rec.bytes = bytes;
  rec.warm = true;
  keep(path, rec);
  warmContinuationCode(rec, h);
  warmPersistedEntriesCode(path, rec, h);
  return true;
}

/** Whether {@link warmContinuationCode} has run in this process (V8 compiles a function once for all its callers). */
let continuationCodeWarmed = false;

/**
 * The first load's pointer comparison ({@link continuation}), run once per process on a warmed record against
 * its own entries (nothing appended: the answer is an empty list, nothing is kept or changed). Why: the
 * comparison is a loop over every entry (~15,000 at 28 MB), and a restarted gateway's first turn otherwise runs
 * it in V8's interpreter — its first call, ~1–5 ms at 28 MB on a loaded host against ~0.2 later, where V8 has
 * compiled it during that first call. Run here, on arrays of the same kinds as a turn's (the record's own
 * entries and the load's copy of the cache's array are both `slice`s of the decode's list), the turn's first call finds
 * the compiled code. Only V8's code is warmed: no result is kept, and the turn compares its own entries.
 */
function warmContinuationCode(rec: IndexRecord, h: LoadedIndexHelpers): void {
  if (continuationCodeWarmed) return;
  continuationCodeWarmed = true;
  tried(() => continuation(rec, rec.entries, h));
}

/** Throwaways of other shapes {@link warmPersistedEntriesCode} runs first: one more than V8's 4 shapes per property access. */
const OTHER_SHAPES = 5;
/**
 * File entries each of them keeps (its opaque records stay): enough loop turns for V8 to keep what the accesses
 * see (it records nothing for a function's first few short calls; 8 were too few), at ~0.1 ms in all.
 */
const OTHER_SHAPE_ENTRIES = 256;

/** Whether {@link warmPersistedEntriesCode} has run in this process. */
let persistedCodeWarmed = false;

/** The `loaded` argument the throwaway's constructor passes: `setLoadedSessionFile` then does nothing at all. */
const throwawayLoad = Object.freeze({});

/**
 * The release's own `SessionManager.getPersistedFileEntries` — the first call of the turn's rewrite
 * (release/append-rewrite.ts `rewriteFile`) — run once per process on a throwaway manager loaded from a
 * warmed record. Why: it is a loop over every entry calling the chunk's `parseOpaqueLeafEntry` /
 * `isIndexedSessionEntry` (~15,000 at 28 MB), and a restarted gateway's first rewrite otherwise runs it in
 * V8's interpreter (issue #11: ~2.5 ms of the real gateway's first turn against ~0.3 later; 11–29 ms in
 * process at 28 MB).
 *
 * The throwaway is a real instance with a real instance's shape: made by the release's constructor with a
 * session file (so it creates no session of its own: `newSession` would add other properties first, and
 * V8's code compiled for that shape is thrown away — a "wrong map" deopt — at the turn's call) whose load,
 * {@link throwawayLoad}, this module's handler answers by doing nothing; then loaded as a served load loads
 * a manager ({@link handOverRecord}: the same properties in the same order). `persist` is false and the
 * method writes nothing; what it may add (a leaf-control entry) goes to the throwaway's own copies — its
 * `fileEntries` a `slice`, its opaque records new objects (the method clamps their `index` in place), its
 * maps forks, which keep their changes in their own overlays (layered-map.ts). The record, the entries
 * (frozen; only top-level members are read, so no lazy member decodes) and every cache are untouched, and
 * the throwaway is dropped. Its session file is a path below the transcript, which cannot exist (should a
 * release's own body ever run instead of this handler, it reads nothing).
 *
 * Before it, the method runs on {@link OTHER_SHAPES} more throwaways, each with an own property of its own
 * and {@link OTHER_SHAPE_ENTRIES} entries, twice (see the leaf-control note in the body). Why: a real manager
 * is not of the throwaway's shape by the turn — OpenClaw assigns own properties to it after its load
 * (2026.7.35's tool-result guard: `appendMessage`, `flushPendingToolResults`, …) — and code V8 compiled for
 * one shape is thrown away at the first call on another ("wrong map"), in the middle of the loop, whose rest
 * then runs in the interpreter: 10–13 ms of some real gateways' first turn after a restart, found under
 * `--trace-deopt` (issue #11; docs/openclaw.md §5). Having seen more shapes than V8 tells apart at one
 * property access, the code it compiles during the full call reads the manager's properties by name.
 */
function warmPersistedEntriesCode(path: string, rec: IndexRecord, h: LoadedIndexHelpers): void {
  const SessionManager = h.SessionManager;
  if (persistedCodeWarmed || typeof SessionManager !== "function") return;
  persistedCodeWarmed = true;
  const throwaway = join(path, "ctxc-warm-up-throwaway");
  const make = (): LoadingManager & ThrowawayManager => {
    const sm = new SessionManager("", "", throwaway, false, throwawayLoad) as unknown as LoadingManager & ThrowawayManager;
    // The start of stock's body (setLoadedSessionFile above), then the hand-over.
    sm.sessionFile = throwaway;
    sm.sessionFileSnapshot = undefined;
    sm.recoveredCorruptHeader = false;
    handOverRecord(sm, rec, rec.entries[0], undefined);
    return sm;
  };
  for (let i = 0; i < OTHER_SHAPES; i++) {
    tried(() => {
      const other = make();
      other.fileEntries = other.fileEntries.slice(0, OTHER_SHAPE_ENTRIES);
      (other as unknown as Record<string, unknown>)[`ctxcWarmUpShape${i}`] = i;
      // The leaf a few entries give is not the manager's: the method adds a leaf control to the throwaway's own
      // list — with an append parent, asked for one other than the leaf — and its next call reads it back: the
      // loop's branch for leaf controls, which a turn takes once OpenClaw has moved a leaf, and the full call
      // below does not when the transcript holds none (seen at the turn's call: "insufficient type feedback").
      other.getPersistedFileEntries(null);
      return other.getPersistedFileEntries();
    });
  }
  tried(() => make().getPersistedFileEntries());
}

/** Whether a warm-up's record of `bytes` file bytes fits beside the records kept ({@link warmLoadedIndex}: it never evicts). */
function roomFor(path: string, bytes: number): boolean {
  trimRecords();
  if (records.has(path) || records.size >= MAX_RECORDS) return false;
  let total = bytes;
  for (const r of records.values()) total += r.bytes;
  return total <= entryCacheLimit();
}

/** Forgets every record (restart-warmup.ts `restartedMainThread`: tests and benches). */
export function forgetIndexRecords(): void {
  records.clear();
}
