/**
 * The per-session index a build keeps: one row per entry, in file order, and pi's id → entry map
 * (both in a {@link RecordTable}). Lines are fed to it in order; it never holds a line after `ingestLine` returns.
 *
 * Semantics follow pi's `parseSessionEntries` + `buildSessionContext` exactly for well-formed files
 * (every JSON object line is an entry, the header included; ids are Map keys whatever their type; a
 * later duplicate id wins). What pi does badly with damaged files (crash on `null` lines, loop on
 * cycles) becomes a diagnostic here.
 *
 * Keys first, bodies on demand: after the header, a line of a current-format (v3) file is indexed from
 * its keys only (pi/line-keys.ts: `type`, `id`, `parentId`, where the message lies and its role — the
 * line validated, never `JSON.parse`d). What only the body tells (a setting's value, a compaction's
 * firstKeptEntryId, whether a branch summary is empty, tool calls, the token estimate) is read back by
 * {@link TranscriptIndex.complete} when a build needs it: for the entries that reach the context and the
 * few whose values change pi's result. A line the key scan does not vouch for is parsed in full here, so
 * every diagnostic (malformed, not an object, invalid message, unknown type, duplicate id) is the one a
 * full parse gives, at the same line and offset.
 *
 * Compact between builds: rows live in a {@link RecordTable} (typed-array columns, ids as hashes), and
 * what a row's body or id says is read back from the transcript through {@link TranscriptIndex.reader}
 * when a build needs it, so the state kept per entry does not hold the entry's strings.
 */
import { roleCode, RoleCode } from "../protocol/buffer-layout.js";
import { LineKind, ValueTag, type KeyBatch } from "../protocol/key-batch.js";
import { EntryTypeCode } from "../protocol/session-buffer-layout.js";
import type { DiagnosticLog } from "../protocol/diagnostic-log.js";
import { estimateMessageTokens } from "../tokenize/message-tokens.js";
import { Errors } from "../protocol/errors.js";
import type { RecordReader } from "../sources/source.js";
import { Emits, EntryRecord, RecordFlag } from "./entry-record.js";
import { isKnownEntryType } from "./entry-types.js";
import { findTopLevelValue } from "./json-value-range.js";
import { BLANK_LINE, scanLineKeys, type LineKeys } from "./line-keys.js";
import { isHookMessage, migrationsFor, NO_MIGRATIONS, V1Chain, v1FirstKeptEntryId, type Migrations } from "./migrate.js";
import { isObject, parseLine } from "./parse-line.js";
import { IdCode, idHash, KEPT_PARENT, NO_PARENT, RecordTable } from "./record-table.js";

const MESSAGE_KEY = Buffer.from("message");

function hasToolCalls(message: Record<string, unknown>): boolean {
  const content = message.content;
  if (!Array.isArray(content)) return false;
  for (const block of content) if (isObject(block) && block.type === "toolCall") return true;
  return false;
}

export interface SessionHeader {
  id: unknown;
  cwd: unknown;
  version: unknown;
  timestamp: unknown;
}

/** The header fields ctxc keeps, from a parsed `session` entry (also used to read it back: persistent-index.ts). */
export function sessionHeader(entry: Record<string, unknown>): SessionHeader {
  return { id: entry.id, cwd: entry.cwd, version: entry.version, timestamp: entry.timestamp };
}

/** Ids of the last rows kept as strings: a new row's parent is nearly always one of them. */
const RECENT = 64;
/** Bodies' small values (settings, models, firstKeptEntryId) kept for the rows read last. */
const EXTRA_CACHE = 256;

/** What pi's rules read from an entry's body besides its message (see {@link TranscriptIndex.extraOf}). */
function extraFrom(type: string, entry: Record<string, unknown>): unknown {
  switch (type) {
    case "thinking_level_change":
      return entry.thinkingLevel;
    case "model_change":
      return { provider: entry.provider, modelId: entry.modelId };
    case "compaction":
      return entry.firstKeptEntryId;
    case "message": {
      const message = entry.message as Record<string, unknown>;
      return message.role === "assistant" ? { provider: message.provider, modelId: message.model } : undefined;
    }
  }
  return undefined;
}

export class TranscriptIndex {
  /** One row per entry, in file order. */
  readonly table = new RecordTable();
  header: SessionHeader | null = null;
  /** Row of the latest entry whose id was already taken (-1: none). */
  lastDuplicateAt = -1;
  /** Transcript format version from the header (pi assumes 1 when absent), as pi reads it. */
  version: unknown = 3;
  /** What pi's migration does to this file (decided by the header's version). */
  private migrations: Migrations = NO_MIGRATIONS;
  /** Lines seen (complete lines, blank and bad ones included). */
  lines = 0;
  /** v1 transcripts have no ids: pi's migration chains entries in file order. */
  private v1Chain = new V1Chain();
  /**
   * The open transcript, for reading rows back (ids on an equal hash, bodies): set by the build that
   * uses this index, null between builds (its file descriptor is closed then).
   */
  reader: RecordReader | null = null;
  private readonly recentRows = new Int32Array(RECENT).fill(-1);
  private readonly recentIds: unknown[] = new Array<unknown>(RECENT);
  /** Bounded cache of {@link extraOf} (insertion order: the oldest goes first). */
  private readonly extras = new Map<number, unknown>();
  /** v1 compactions' migrated firstKeptEntryId: not in the line, so never read back. */
  private readonly keptExtras = new Map<number, unknown>();

  constructor(private readonly diagnostics: DiagnosticLog) {}

  /** Entries indexed. */
  get count(): number {
    return this.table.count;
  }

  /** Heap bytes held (for the LRU bound): the rows, and the bounded caches of ids and bodies' values. */
  get bytes(): number {
    return this.table.bytes + RECENT * 48 + (this.extras.size + this.keptExtras.size) * 96;
  }

  /** A handle on row `r` (see EntryRecord). */
  record(r: number): EntryRecord {
    return new EntryRecord(this.table, r);
  }

  /**
   * Whether the next line may be indexed from its keys. The header (first entry) and migrated (v1/v2)
   * files are read in full: migration rewrites ids, parents and roles from the bodies.
   */
  get indexesKeys(): boolean {
    return this.table.count > 0 && !this.migrations.v1 && !this.migrations.v2;
  }

  ingestLine(raw: Buffer, rawOffset: number, lineNo: number): void {
    // A line the key scan does not vouch for is read in full too.
    if (this.indexesKeys) {
      const keys = scanLineKeys(raw);
      if (keys !== null) return void this.ingestScanned(keys, raw.length, rawOffset, lineNo);
    }
    this.lines++;
    const line = parseLine(raw, lineNo, rawOffset);
    const { offset } = line;
    // pi's content.trim() drops a leading BOM, so a BOM'd file is still well-formed.
    if (line.bom) this.diagnostics.add("BOM", lineNo, rawOffset, "UTF-8 byte-order mark at the start of the file ignored");
    switch (line.kind) {
      case "blank":
        return; // pi skips blank lines silently
      case "malformed":
        this.diagnostics.add("MALFORMED_LINE", lineNo, offset, `line is not valid JSON (${line.error}); skipped`);
        return;
      case "non-object":
        this.diagnostics.add("NON_OBJECT_LINE", lineNo, offset, `line is ${line.what}, not an entry object; skipped`);
        return;
      case "entry":
        this.addEntry(line.value, line.bytes, offset, lineNo);
    }
  }

  /**
   * {@link ingestLine} for a line whose key scan was done elsewhere (another lane's range scan,
   * session/range-merge.ts): false, and nothing done, when the line must be read in full now
   * ({@link indexesKeys} is false; the caller reads it back and calls {@link ingestLine}).
   */
  ingestScanned(keys: LineKeys | typeof BLANK_LINE, length: number, offset: number, lineNo: number): boolean {
    if (!this.indexesKeys) return false;
    this.lines++;
    if (keys !== BLANK_LINE) this.addFromKeys(keys, length, offset, lineNo); // pi skips blank lines silently
    return true;
  }

  private addEntry(entry: Record<string, unknown>, bytes: Buffer, offset: number, lineNo: number): void {
    const type = typeof entry.type === "string" ? entry.type : "";
    const r = this.table.add(lineNo, offset, bytes.length, type);
    let id = entry.id;
    let parentId = entry.parentId;
    if (r === 0) this.readHeader(entry, lineNo, offset);
    if (this.migrations.v1 && type !== "session") {
      ({ id, parentId } = this.v1Chain.next(r));
      this.table.keptIds.set(r, id); // synthesized: reading the line back would not give it
    }
    if (type === "message" && !isObject(entry.message)) this.invalidMessage(r);
    else this.readBody(r, type, entry, bytes, r);
    this.register(r, id, parentId);
  }

  /** An entry indexed from its keys: what the body decides is left for {@link complete}. */
  private addFromKeys(keys: LineKeys, length: number, offset: number, lineNo: number): void {
    const r = this.table.add(lineNo, offset, length, keys.type);
    // The role is a message's only (keyColumns reads it for those): not coded for the other lines.
    const role = keys.messageIsObject && this.table.typeCode[r] === EntryTypeCode.message ? roleCode(keys.role) : RoleCode.other;
    this.keyColumns(r, keys.messageIsObject, role, keys.messageStart, keys.messageEnd);
    this.register(r, keys.id, keys.parentId);
  }

  /** What a row indexed from its keys holds before {@link complete} (by its type: the row's typeCode). */
  private keyColumns(r: number, messageIsObject: boolean, role: number, messageStart: number, messageEnd: number): void {
    const t = this.table;
    switch (t.typeCode[r]) {
      case EntryTypeCode.message:
        if (!messageIsObject) {
          this.invalidMessage(r);
          break;
        }
        t.emits[r] = Emits.message;
        t.role[r] = role;
        t.setValueRange(r, messageStart, messageEnd);
        t.flags[r] |= RecordFlag.keysOnly;
        break;
      case EntryTypeCode.custom_message:
        t.emits[r] = Emits.customMessage;
        t.role[r] = RoleCode.custom;
        t.flags[r] |= RecordFlag.keysOnly;
        break;
      case EntryTypeCode.compaction:
        t.emits[r] = Emits.compaction;
        t.role[r] = RoleCode.compactionSummary;
        t.flags[r] |= RecordFlag.keysOnly;
        break;
      case EntryTypeCode.branch_summary: // whether it emits depends on its summary
      case EntryTypeCode.thinking_level_change:
      case EntryTypeCode.model_change:
        t.flags[r] |= RecordFlag.keysOnly;
        break;
    }
  }

  /**
   * {@link ingestScanned} for a run of another lane's range scan (session/range-merge.ts): its keys lines
   * from `from` on, line `i` numbered `firstLineNo + i`, each becoming a row (`rowOf[i]`). The scan settled
   * the ids within its range — an id comes as its hash, a parent or an earlier equal id in the range as
   * a line — so a row is column writes and one hash-slot insert; only what crosses the cut is decoded:
   * a parentId the range did not find (read back, looked up), an id whose hash a row before
   * `firstRangeRow` holds (read back and compared — a hash never decides alone). Returns the line it
   * stopped at: the end, a line of another kind, or a keys line whose facts name a line without a row
   * (the caller then reads on from the bytes); -1 when no line may be indexed from its keys now.
   */
  ingestRun(batch: KeyBatch, from: number, firstLineNo: number, rowOf: Int32Array, firstRangeRow: number, kept: RunValues): number {
    if (!this.indexesKeys) return -1;
    const t = this.table;
    let i = from;
    for (; i < batch.count && batch.kind[i] === LineKind.keys; i++) {
      const taken = batch.idTaken[i]!;
      const parent = batch.parentAt[i]!;
      const takenRow = taken < 0 ? -1 : rowOf[taken]!;
      const parentRow = parent < 0 ? -1 : rowOf[parent]!;
      if ((taken >= 0 && takenRow < 0) || (parent >= 0 && parentRow < 0)) break;
      this.lines++;
      const code = batch.typeCode[i]!;
      const r = t.addCoded(firstLineNo + i, batch.offset[i]!, batch.length[i]!, code, code === EntryTypeCode.other ? (kept.otherTypes.get(i) ?? "") : "");
      rowOf[i] = r;
      this.keyColumns(r, batch.messageIsObject[i] === 1, batch.role[i]!, batch.messageStart[i]!, batch.messageEnd[i]!);
      this.knownType(r);
      const parentTag = batch.parentTag[i]!;
      if (parentTag !== ValueTag.text) this.setParent(r, parentTag === ValueTag.value ? kept.values.get(2 * i + 1) : undefined, -1);
      else if (parentRow >= 0) t.setParentRow(r, parentRow);
      else {
        const parentId = this.scannedId(r, 1);
        this.setParent(r, parentId, this.findParent(r, parentId));
      }
      const idTag = batch.idTag[i]!;
      if (idTag !== ValueTag.text) {
        if (idTag === ValueTag.value) this.otherId(r, kept.values.get(2 * i));
        continue;
      }
      const before = t.indexId(r, batch.idHash[i]!); // first: its probe gives the rows of the same hash before it (sameHash), no second one
      let id: string | undefined;
      let dup = takenRow;
      // Rows of the range with this hash hold other ids (the scan compared them); earlier rows are compared here.
      for (let q = dup < 0 ? before : -1; q >= 0; q = t.sameHashOf(q)) {
        if (q < firstRangeRow && this.idOf(q) === (id ??= this.scannedId(r, 0))) {
          dup = q;
          break;
        }
      }
      if (dup >= 0) this.duplicate(r, dup, id ?? this.scannedId(r, 0));
    }
    return i;
  }

  /**
   * Row `r`'s string id (0) or parentId (1), read back from its line (a range scan's row: only to compare
   * or report it). A line that no longer scans was rewritten since: "" then, and the build's change
   * guard rejects what it read.
   */
  private scannedId(r: number, which: 0 | 1): string {
    const keys = scanLineKeys(this.readBack(r));
    const value = keys === null || keys === BLANK_LINE ? undefined : which === 0 ? keys.id : keys.parentId;
    return typeof value === "string" ? value : "";
  }

  /**
   * Reads a keys-only record's line back (`reader`: the open transcript) and fills in what its body
   * decides, exactly as a full parse at ingest would have. No-op for a complete record.
   */
  complete(record: EntryRecord, reader: RecordReader | null = this.reader): void {
    const r = record.at;
    if (!(this.table.flags[r]! & RecordFlag.keysOnly)) return;
    const bytes = this.readBack(r, reader);
    const entry = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    this.table.flags[r] &= ~RecordFlag.keysOnly;
    this.readBody(r, this.table.typeOf(r), entry, bytes, -1); // -1: only v1 files need the position, and they are read in full
  }

  /** {@link complete} for a keys-only `message` record whose message the caller has parsed already. */
  completeMessage(record: EntryRecord, message: Record<string, unknown>): void {
    const r = record.at;
    if (!(this.table.flags[r]! & RecordFlag.keysOnly)) return;
    this.table.flags[r] &= ~RecordFlag.keysOnly;
    this.readMessage(r, message, null); // the value's range is known from the keys
  }

  /**
   * What pi's rules read from row `r`'s body: a thinking_level_change's level, a model_change's or an
   * assistant message's `{provider, modelId}`, a compaction's firstKeptEntryId. Not kept per entry (an
   * object per assistant message was a large share of the state): cached for the rows read last, else
   * read back from the transcript.
   */
  extraOf(r: number): unknown {
    if (this.keptExtras.has(r)) return this.keptExtras.get(r);
    if (this.extras.has(r)) return this.extras.get(r);
    const type = this.table.typeOf(r);
    if (type === "message" && this.table.emits[r] !== Emits.message) return undefined;
    const entry = JSON.parse(this.readBack(r).toString("utf8")) as Record<string, unknown>;
    const extra = extraFrom(type, entry);
    this.cacheExtra(r, extra);
    return extra;
  }

  private cacheExtra(r: number, extra: unknown): void {
    if (this.extras.size >= EXTRA_CACHE) this.extras.delete(this.extras.keys().next().value!);
    this.extras.set(r, extra);
  }

  /** Row `r`'s id, as pi's parse gives it (read back from its line unless it is among the kept ones). */
  idOf(r: number): unknown {
    const t = this.table;
    if (t.idKind[r] === IdCode.absent) return undefined;
    if (t.keptIds.has(r)) return t.keptIds.get(r);
    const slot = r % RECENT;
    if (this.recentRows[slot] === r) return this.recentIds[slot];
    const bytes = this.readBack(r);
    const keys = scanLineKeys(bytes);
    return keys !== null && keys !== BLANK_LINE ? keys.id : (JSON.parse(bytes.toString("utf8")) as Record<string, unknown>).id;
  }

  /** Whether row `r`'s id is `value` (pi's `entry.id === value`), reading the id back only on an equal hash. */
  isId(r: number, value: unknown): boolean {
    const t = this.table;
    switch (t.idKind[r]) {
      case IdCode.string:
        return typeof value === "string" && t.idHash[r] === idHash(value) && this.idOf(r) === value;
      case IdCode.other:
        return t.keptIds.get(r) === value;
      default:
        return value === undefined;
    }
  }

  /** pi's `byId.get(id)`: the last row with that id, or undefined. */
  find(id: unknown): number | undefined {
    if (typeof id !== "string") return this.table.otherIds.get(id);
    const r = this.findString(id, idHash(id));
    return r < 0 ? undefined : r;
  }

  /**
   * The last row before `r` whose string id is `parentId`, or -1. Most entries continue the one before:
   * when row `r − 1` took `parentId` as its string id, it is the newest row with that id (the head of its
   * chain), so it is the answer without hashing the id or walking the chain.
   */
  private findParent(r: number, parentId: string): number {
    const prev = r - 1;
    if (prev >= 0 && this.recentRows[prev % RECENT] === prev && this.recentIds[prev % RECENT] === parentId) return prev;
    return this.findString(parentId, idHash(parentId));
  }

  /** The last row whose string id is `id` (`hash` its hash), or -1: equal hashes are confirmed by the id itself. */
  private findString(id: string, hash: number): number {
    const t = this.table;
    for (let r = t.headOf(hash); r >= 0; r = t.sameHashOf(r)) if (this.idOf(r) === id) return r;
    return -1;
  }

  /**
   * Row `r`'s parent as pi's walk finds it (`parentId ? byId.get(parentId)`): a row, null for none (a
   * root), undefined when the parentId names no entry. A parent found at ingest is followed to the row
   * that took its id since, when one did (pi's map keeps the last).
   */
  parentOf(r: number): number | null | undefined {
    const t = this.table;
    let p = t.parentRowOf(r);
    if (p === NO_PARENT) return null;
    if (p === KEPT_PARENT) return this.find(t.keptParents.get(r));
    for (let next = t.replacedBy.get(p); next !== undefined; next = t.replacedBy.get(p)) p = next;
    return p;
  }

  /** Row `r`'s parentId as written (for diagnostics). */
  parentIdOf(r: number): unknown {
    const t = this.table;
    const p = t.parentRowOf(r);
    if (p === KEPT_PARENT) return t.keptParents.get(r);
    return p === NO_PARENT ? null : this.idOf(p);
  }

  private readBack(r: number, reader: RecordReader | null = this.reader): Buffer {
    if (!reader) throw Errors.internal(new Error("transcript index read back without an open transcript"));
    const start = this.table.offsetOf(r);
    return reader.read(start, start + this.table.lengthOf(r));
  }

  private invalidMessage(r: number): void {
    this.diagnostics.add("INVALID_ENTRY", this.table.lineOf(r), this.table.offsetOf(r), "message entry without a message object; not in the context");
  }

  /** What an entry's body decides (a `message` entry's message is an object here). */
  private readBody(r: number, type: string, entry: Record<string, unknown>, bytes: Buffer, index: number): void {
    const t = this.table;
    switch (type) {
      case "message":
        this.readMessage(r, entry.message as Record<string, unknown>, bytes);
        break;
      case "custom_message":
        t.emits[r] = Emits.customMessage;
        t.role[r] = RoleCode.custom;
        t.setEstimate(r, estimateMessageTokens({ role: "custom", content: entry.content }));
        break;
      case "branch_summary":
        if (entry.summary) {
          t.emits[r] = Emits.branchSummary;
          t.role[r] = RoleCode.branchSummary;
          t.setEstimate(r, estimateMessageTokens({ role: "branchSummary", summary: entry.summary }));
        }
        break;
      case "compaction":
        t.emits[r] = Emits.compaction;
        t.role[r] = RoleCode.compactionSummary;
        if (this.migrations.v1) this.keptExtras.set(r, this.v1FirstKept(entry, index));
        else this.cacheExtra(r, extraFrom(type, entry));
        t.setEstimate(r, estimateMessageTokens({ role: "compactionSummary", summary: entry.summary }));
        break;
      case "thinking_level_change":
      case "model_change":
        this.cacheExtra(r, extraFrom(type, entry));
        break;
    }
  }

  /** Notes the entry's parent (found now when it can be) and its id; reports an unknown type and a taken id. */
  private register(r: number, id: unknown, parentId: unknown): void {
    const t = this.table;
    this.knownType(r);
    // Before the id: a parentId naming the entry itself is then kept and found at walk time, as pi does.
    this.setParent(r, parentId, typeof parentId === "string" && parentId ? this.findParent(r, parentId) : -1);
    if (typeof id === "string") {
      // Indexed first: its probe puts the row at the head of its hash's chain, so the earlier rows of that
      // hash are the chain after it (findString's walk without a second probe of the slots).
      for (let q = t.indexId(r, idHash(id)); q >= 0; q = t.sameHashOf(q)) {
        if (this.idOf(q) === id) {
          this.duplicate(r, q, id);
          break;
        }
      }
      this.recentRows[r % RECENT] = r;
      this.recentIds[r % RECENT] = id;
    } else if (id !== undefined) this.otherId(r, id);
  }

  /** Reports row `r`'s type when pi does not know it. */
  private knownType(r: number): void {
    const t = this.table;
    if (t.typeCode[r] !== EntryTypeCode.other) return; // every coded type is one of pi's (pi/entry-types.ts)
    const type = t.typeOf(r);
    if (!isKnownEntryType(type)) {
      const what = type === "" ? "an entry without a type" : `unknown entry type "${type}"`;
      this.diagnostics.add("UNKNOWN_ENTRY_TYPE", t.lineOf(r), t.offsetOf(r), `${what}; kept in the tree, not in the context`);
    }
  }

  /** Row `r`'s parent: `found` (the row whose id `parentId` is, -1: none yet) or kept for the walk. */
  private setParent(r: number, parentId: unknown, found: number): void {
    const t = this.table;
    if (!parentId) t.setParentRow(r, NO_PARENT);
    else if (found >= 0) t.setParentRow(r, found);
    else {
      t.setParentRow(r, KEPT_PARENT); // named later in the file, nowhere, or not a string: pi's map decides at walk time
      t.keptParents.set(r, parentId);
    }
  }

  /** Row `r`'s id when it is not a string (damaged files): kept as the value, pi's Map semantics. */
  private otherId(r: number, id: unknown): void {
    const t = this.table;
    t.idKind[r] = IdCode.other;
    t.keptIds.set(r, id);
    const taken = t.otherIds.get(id);
    if (taken !== undefined) this.duplicate(r, taken, id);
    t.otherIds.set(id, r);
  }

  /** A later entry with a taken id wins, as in pi: parents found at the earlier one now lead to it. */
  private duplicate(r: number, taken: number, id: unknown): void {
    const t = this.table;
    this.lastDuplicateAt = r;
    t.replacedBy.set(taken, r);
    this.diagnostics.add(
      "DUPLICATE_ID",
      t.lineOf(r),
      t.offsetOf(r),
      `id ${JSON.stringify(id)} was already used on line ${t.lineOf(taken)}; this later entry wins (as in pi)`,
    );
  }

  private readHeader(entry: Record<string, unknown>, lineNo: number, offset: number): void {
    if (entry.type !== "session") {
      this.diagnostics.add("MISSING_HEADER", lineNo, offset, "first entry is not a session header");
      return;
    }
    this.header = sessionHeader(entry);
    this.version = entry.version ?? 1;
    this.migrations = migrationsFor(entry.version);
    if (typeof entry.id !== "string") {
      this.diagnostics.add("BAD_HEADER", lineNo, offset, "session header has no string id");
    }
    if ((this.version as number) > 3) {
      this.diagnostics.add("BAD_HEADER", lineNo, offset, `session version ${this.version} is newer than 3; read as v3`);
    }
  }

  private readMessage(r: number, message: Record<string, unknown>, bytes: Buffer | null): void {
    const t = this.table;
    t.emits[r] = Emits.message;
    t.role[r] = roleCode(message.role);
    if (message.role === "assistant") {
      this.cacheExtra(r, { provider: message.provider, modelId: message.model });
      if (hasToolCalls(message)) t.flags[r] |= RecordFlag.hasToolCalls;
    }
    if (this.migrations.v2 && isHookMessage(message)) {
      // pi migrates v2 transcripts on open: hookMessage became custom.
      t.flags[r] |= RecordFlag.hookMessage | RecordFlag.reserialize;
      t.role[r] = RoleCode.custom;
    }
    const range = bytes && findTopLevelValue(bytes, MESSAGE_KEY);
    if (bytes === null) {
      // completeMessage: the range came from the keys
    } else if (range) {
      t.setValueRange(r, range[0], range[1]);
    } else {
      t.flags[r] |= RecordFlag.reserialize;
    }
    t.setEstimate(r, estimateMessageTokens(message));
  }

  /**
   * v1 compactions point at the first kept entry by its index among all entries (header included). A later
   * entry is not read yet; it could never be before the compaction on its branch, so it is never found.
   */
  private v1FirstKept(entry: Record<string, unknown>, at: number): unknown {
    const isEntry = (i: number) => i > at || (i < at && i >= 0 && this.table.typeOf(i) !== "session");
    const migrated = v1FirstKeptEntryId(entry, at, isEntry, () => undefined);
    return migrated ? migrated.id : entry.firstKeptEntryId;
  }

  /** Plain data for the persistent index (session/persistent-index.ts), rows and kept values included. */
  snapshotFields(): SavedIndexFields {
    const t = this.table;
    return {
      header: this.header, version: this.version, lines: this.lines, v1PreviousId: this.v1Chain.last,
      count: t.count, columns: t.columns(),
      otherTypes: [...t.otherTypes], keptIds: [...t.keptIds], keptParents: [...t.keptParents],
      replacedBy: [...t.replacedBy], keptExtras: [...this.keptExtras], lastDuplicateAt: this.lastDuplicateAt,
    };
  }

  /** Restores a saved index (what {@link snapshotFields} gave; `header` read back by the caller). */
  restore(fields: SavedIndexFields): void {
    const t = this.table;
    this.header = fields.header;
    this.version = fields.version;
    this.lines = fields.lines;
    this.v1Chain = new V1Chain(fields.v1PreviousId as string | null);
    t.restoreColumns(fields.count, fields.columns);
    const row = (r: unknown): number => {
      if (!Number.isInteger(r) || (r as number) < 0 || (r as number) >= t.count) throw new Error("row");
      return r as number;
    };
    for (const [r, v] of fields.otherTypes) t.otherTypes.set(row(r), String(v));
    for (const [r, v] of fields.keptIds) {
      t.keptIds.set(row(r), v);
      if (t.idKind[r] === IdCode.other) t.otherIds.set(v, r); // file order: the last row of an id wins
    }
    for (const [r, v] of fields.keptParents) t.keptParents.set(row(r), v);
    for (const [r, v] of fields.replacedBy) {
      if (row(v) <= row(r)) throw new Error("replacedBy"); // a later row only: following them must end
      t.replacedBy.set(r, v);
    }
    for (const [r, v] of fields.keptExtras) this.keptExtras.set(row(r), v);
    this.lastDuplicateAt = fields.lastDuplicateAt;
    this.migrations = t.count > 0 && t.typeOf(0) === "session" ? migrationsFor(fields.version) : NO_MIGRATIONS;
  }

  /** The leaf pi starts from: the last entry in file order. */
  get leaf(): EntryRecord | undefined {
    return this.table.count > 0 ? this.record(this.table.count - 1) : undefined;
  }
}

/** What the persistent index saves of an index (JSON-safe but for `undefined`, which it encodes). */
export interface SavedIndexFields {
  header: SessionHeader | null;
  version: unknown;
  lines: number;
  v1PreviousId: unknown;
  count: number;
  columns: ReturnType<RecordTable["columns"]>;
  otherTypes: [number, string][];
  keptIds: [number, unknown][];
  keptParents: [number, unknown][];
  replacedBy: [number, number][];
  keptExtras: [number, unknown][];
  lastDuplicateAt: number;
}

/** A range scan's values that are not in its columns (session/range-merge.ts builds them once per batch). */
export interface RunValues {
  /** Line → its type string, for lines whose type code is `other`. */
  otherTypes: Map<number, string>;
  /** `2 × line + (0: id | 1: parentId)` → a value tagged `value`. */
  values: Map<number, unknown>;
}
