/**
 * pi 0.74's `SessionManager._buildIndex()` (OpenClaw 2026.5.12), run in the pass that builds a served
 * open's entries (buffer-entries.ts) instead of as a second walk over them (issue #11 item 3): that walk
 * read `type` and `id` of every entry through megamorphic property loads — entries have many layouts —
 * and was a third of an open's main-thread work. Here an ordinary entry (its `type` and `id` unescaped
 * strings, `type` neither `session` nor `label`) costs one `Map.set` with the id string the buffer's
 * reader decoded once; every other entry goes through {@link indexEntry}, pi's loop body verbatim.
 *
 * The rule is pi's, so it is served only to a `SessionManager` whose `_buildIndex` source is the one
 * copied here ({@link servesPiIndex}); any other pi gets its own `_buildIndex()` called on the entries.
 */

/** The state `_buildIndex()` leaves on a `SessionManager` (pi's field names). */
export interface PiIndex {
  byId: Map<unknown, unknown>;
  labelsById: Map<unknown, unknown>;
  labelTimestampsById: Map<unknown, unknown>;
  leafId: unknown;
}

/** A fresh, empty index (what `_buildIndex()` starts from). */
export function emptyIndex(): PiIndex {
  return { byId: new Map(), labelsById: new Map(), labelTimestampsById: new Map(), leafId: null };
}

type IndexedEntry = { type?: unknown; id?: unknown; targetId?: unknown; label?: unknown; timestamp?: unknown };

/** One iteration of pi's `_buildIndex` loop (pi 0.74 session-manager.js), for an entry of any shape. */
export function indexEntry(ix: PiIndex, entry: IndexedEntry): void {
  if (entry.type === "session") return;
  ix.byId.set(entry.id, entry);
  ix.leafId = entry.id;
  indexLabel(ix, entry);
}

/**
 * The label step of pi's `_buildIndex` loop, the same in OpenClaw 2026.6.11+'s `buildIndex`
 * (release/loaded-index.ts): a label entry sets or (empty label) deletes its target's label and timestamp.
 */
export function indexLabel(ix: Pick<PiIndex, "labelsById" | "labelTimestampsById">, entry: IndexedEntry): void {
  if (entry.type !== "label") return;
  if (entry.label) {
    ix.labelsById.set(entry.targetId, entry.label);
    ix.labelTimestampsById.set(entry.targetId, entry.timestamp);
  } else {
    ix.labelsById.delete(entry.targetId);
    ix.labelTimestampsById.delete(entry.targetId);
  }
}

/** pi 0.74's `_buildIndex` source, whitespace removed: the method {@link indexEntry} stands for. */
const PI_BUILD_INDEX =
  "_buildIndex(){this.byId.clear();this.labelsById.clear();this.labelTimestampsById.clear();this.leafId=null;" +
  'for(constentryofthis.fileEntries){if(entry.type==="session")continue;this.byId.set(entry.id,entry);this.leafId=entry.id;' +
  'if(entry.type==="label"){if(entry.label){this.labelsById.set(entry.targetId,entry.label);this.labelTimestampsById.set(entry.targetId,entry.timestamp);}' +
  "else{this.labelsById.delete(entry.targetId);this.labelTimestampsById.delete(entry.targetId);}}}}";

const checked = new WeakMap<object, boolean>();

/**
 * Whether `prototype._buildIndex` is pi 0.74's (so {@link indexEntry} computes what it would): its source
 * text, whitespace aside, is the copied one. Checked once per class.
 */
export function servesPiIndex(prototype: object): boolean {
  let ok = checked.get(prototype);
  if (ok === undefined) {
    const method = (prototype as { _buildIndex?: unknown })._buildIndex;
    ok = typeof method === "function" && Function.prototype.toString.call(method).replace(/\s+/g, "") === PI_BUILD_INDEX;
    checked.set(prototype, ok);
  }
  return ok;
}
