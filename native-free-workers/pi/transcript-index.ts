/**
 * The per-session index a build keeps: one {@link EntryRecord} per entry, in file order, and pi's
 * id → entry map. Lines are fed to it in order; it never holds a line after `ingestLine` returns.
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
 */
import { roleCode, RoleCode } from "../protocol/buffer-layout.js";
import type { DiagnosticLog } from "../protocol/diagnostic-log.js";
import { estimateMessageTokens } from "../tokenize/message-tokens.js";
import { Emits, EntryRecord, RecordFlag } from "./entry-record.js";
import { isKnownEntryType, sharedEntryType } from "./entry-types.js";
import { findTopLevelValue } from "./json-value-range.js";
import { BLANK_LINE, scanLineKeys, type LineKeys } from "./line-keys.js";
import { isHookMessage, migrationsFor, NO_MIGRATIONS, V1Chain, v1FirstKeptEntryId, type Migrations } from "./migrate.js";
import { isObject, parseLine } from "./parse-line.js";

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

export class TranscriptIndex {
  readonly records: EntryRecord[] = [];
  /** pi's `byId`: entry id (any JSON value) → index in `records`; the last entry with an id wins. */
  readonly byId = new Map<unknown, number>();
  header: SessionHeader | null = null;
  /** Index in `records` of the latest entry whose id was already taken (-1: none). */
  lastDuplicateAt = -1;
  /** Transcript format version from the header (pi assumes 1 when absent), as pi reads it. */
  version: unknown = 3;
  /** What pi's migration does to this file (decided by the header's version). */
  private migrations: Migrations = NO_MIGRATIONS;
  /** Lines seen (complete lines, blank and bad ones included). */
  lines = 0;
  /** v1 transcripts have no ids: pi's migration chains entries in file order. */
  private v1Chain = new V1Chain();

  constructor(private readonly diagnostics: DiagnosticLog) {}

  ingestLine(raw: Buffer, rawOffset: number, lineNo: number): void {
    this.lines++;
    // The header (first entry) and migrated (v1/v2) files are read in full: migration rewrites ids,
    // parents and roles from the bodies. So is any line the key scan does not vouch for.
    if (this.records.length > 0 && !this.migrations.v1 && !this.migrations.v2) {
      const keys = scanLineKeys(raw);
      if (keys === BLANK_LINE) return; // pi skips blank lines silently
      if (keys !== null) return this.addFromKeys(keys, raw.length, rawOffset, lineNo);
    }
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

  private addEntry(entry: Record<string, unknown>, bytes: Buffer, offset: number, lineNo: number): void {
    const record = new EntryRecord();
    record.line = lineNo;
    record.offset = offset;
    record.length = bytes.length;
    record.type = typeof entry.type === "string" ? sharedEntryType(entry.type) : "";
    record.id = entry.id;
    record.parentId = this.sharedId(entry.parentId);
    const index = this.records.length;

    if (index === 0) this.readHeader(entry, lineNo, offset);
    if (this.migrations.v1 && record.type !== "session") ({ id: record.id, parentId: record.parentId } = this.v1Chain.next(index));
    if (record.type === "message" && !isObject(entry.message)) this.invalidMessage(record);
    else this.readBody(record, entry, bytes, index);
    this.register(record, index);
  }

  /** An entry indexed from its keys: what the body decides is left for {@link complete}. */
  private addFromKeys(keys: LineKeys, length: number, offset: number, lineNo: number): void {
    const record = new EntryRecord();
    record.line = lineNo;
    record.offset = offset;
    record.length = length;
    record.type = sharedEntryType(keys.type);
    record.id = keys.id;
    record.parentId = this.sharedId(keys.parentId);
    switch (record.type) {
      case "message":
        if (!keys.messageIsObject) {
          this.invalidMessage(record);
          break;
        }
        record.emits = Emits.message;
        record.role = roleCode(keys.role);
        record.valueStart = keys.messageStart;
        record.valueEnd = keys.messageEnd;
        record.flags |= RecordFlag.keysOnly;
        break;
      case "custom_message":
        record.emits = Emits.customMessage;
        record.role = RoleCode.custom;
        record.flags |= RecordFlag.keysOnly;
        break;
      case "compaction":
        record.emits = Emits.compaction;
        record.role = RoleCode.compactionSummary;
        record.flags |= RecordFlag.keysOnly;
        break;
      case "branch_summary": // whether it emits depends on its summary
      case "thinking_level_change":
      case "model_change":
        record.flags |= RecordFlag.keysOnly;
        break;
    }
    this.register(record, this.records.length);
  }

  /**
   * Reads a keys-only record's line back (`reader`: the open transcript) and fills in what its body
   * decides, exactly as a full parse at ingest would have. No-op for a complete record.
   */
  complete(record: EntryRecord, reader: { read(start: number, end: number): Buffer }): void {
    if (!(record.flags & RecordFlag.keysOnly)) return;
    const bytes = reader.read(record.offset, record.offset + record.length);
    const entry = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    record.flags &= ~RecordFlag.keysOnly;
    this.readBody(record, entry, bytes, -1); // -1: only v1 files need the position, and they are read in full
  }

  /** {@link complete} for a keys-only `message` record whose message the caller has parsed already. */
  completeMessage(record: EntryRecord, message: Record<string, unknown>): void {
    if (!(record.flags & RecordFlag.keysOnly)) return;
    record.flags &= ~RecordFlag.keysOnly;
    this.readMessage(record, message, null); // the value's range is known from the keys
  }

  private invalidMessage(record: EntryRecord): void {
    this.diagnostics.add("INVALID_ENTRY", record.line, record.offset, "message entry without a message object; not in the context");
  }

  /** What an entry's body decides (a `message` entry's message is an object here). */
  private readBody(record: EntryRecord, entry: Record<string, unknown>, bytes: Buffer, index: number): void {
    switch (record.type) {
      case "message":
        this.readMessage(record, entry.message as Record<string, unknown>, bytes);
        break;
      case "custom_message":
        record.emits = Emits.customMessage;
        record.role = RoleCode.custom;
        record.estimate = estimateMessageTokens({ role: "custom", content: entry.content });
        break;
      case "branch_summary":
        if (entry.summary) {
          record.emits = Emits.branchSummary;
          record.role = RoleCode.branchSummary;
          record.estimate = estimateMessageTokens({ role: "branchSummary", summary: entry.summary });
        }
        break;
      case "compaction":
        record.emits = Emits.compaction;
        record.role = RoleCode.compactionSummary;
        record.extra = this.migrations.v1 ? this.v1FirstKept(entry, index) : entry.firstKeptEntryId;
        record.estimate = estimateMessageTokens({ role: "compactionSummary", summary: entry.summary });
        break;
      case "thinking_level_change":
        record.extra = entry.thinkingLevel;
        break;
      case "model_change":
        record.extra = { provider: entry.provider, modelId: entry.modelId };
        break;
    }
  }

  /**
   * A string parentId as the parent's own `id` string when that entry is indexed already (the same value,
   * so pi's Map lookups see no difference), else as given. Why: each record held its own copy of its
   * parent's id, decoded from its line — one string per entry that the parent's record already holds.
   */
  private sharedId(parentId: unknown): unknown {
    if (typeof parentId !== "string") return parentId;
    const at = this.byId.get(parentId);
    return at === undefined ? parentId : this.records[at]!.id;
  }

  /** Reports an unknown type and a taken id, then adds the record (a later duplicate id wins, as in pi). */
  private register(record: EntryRecord, index: number): void {
    if (!isKnownEntryType(record.type)) {
      const what = record.type === "" ? "an entry without a type" : `unknown entry type "${record.type}"`;
      this.diagnostics.add("UNKNOWN_ENTRY_TYPE", record.line, record.offset, `${what}; kept in the tree, not in the context`);
    }
    if (record.id !== undefined && this.byId.has(record.id)) {
      this.lastDuplicateAt = index;
      const first = this.records[this.byId.get(record.id)!]!;
      this.diagnostics.add(
        "DUPLICATE_ID",
        record.line,
        record.offset,
        `id ${JSON.stringify(record.id)} was already used on line ${first.line}; this later entry wins (as in pi)`,
      );
    }
    this.byId.set(record.id, index);
    this.records.push(record);
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

  private readMessage(record: EntryRecord, message: Record<string, unknown>, bytes: Buffer | null): void {
    record.emits = Emits.message;
    record.role = roleCode(message.role);
    if (message.role === "assistant") {
      record.extra = { provider: message.provider, modelId: message.model };
      if (hasToolCalls(message)) record.flags |= RecordFlag.hasToolCalls;
    }
    if (this.migrations.v2 && isHookMessage(message)) {
      // pi migrates v2 transcripts on open: hookMessage became custom.
      record.flags |= RecordFlag.hookMessage | RecordFlag.reserialize;
      record.role = RoleCode.custom;
    }
    const range = bytes && findTopLevelValue(bytes, MESSAGE_KEY);
    if (bytes === null) {
      // completeMessage: the range came from the keys
    } else if (range) {
      record.valueStart = range[0];
      record.valueEnd = range[1];
    } else {
      record.flags |= RecordFlag.reserialize;
    }
    record.estimate = estimateMessageTokens(message);
  }

  /**
   * v1 compactions point at the first kept entry by its index among all entries (header included). A later
   * entry is not read yet; it could never be before the compaction on its branch, so it is never found.
   */
  private v1FirstKept(entry: Record<string, unknown>, at: number): unknown {
    const isEntry = (t: number) => t > at || (this.records[t] !== undefined && this.records[t]!.type !== "session");
    const migrated = v1FirstKeptEntryId(entry, at, isEntry, () => undefined);
    return migrated ? migrated.id : entry.firstKeptEntryId;
  }

  /** Plain data for the persistent index (session/persistent-index.ts); records are saved separately. */
  snapshotFields(): { header: SessionHeader | null; version: unknown; lines: number; v1PreviousId: unknown } {
    return { header: this.header, version: this.version, lines: this.lines, v1PreviousId: this.v1Chain.last };
  }

  /** Restores a saved index: fields, then the records in file order (rebuilding `byId` as ingest does). */
  restore(fields: ReturnType<TranscriptIndex["snapshotFields"]>, records: EntryRecord[]): void {
    this.header = fields.header;
    this.version = fields.version;
    this.migrations = records.length > 0 && records[0]!.type === "session" ? migrationsFor(fields.version) : NO_MIGRATIONS;
    this.lines = fields.lines;
    this.v1Chain = new V1Chain(fields.v1PreviousId as string | null);
    for (const record of records) {
      this.byId.set(record.id, this.records.length);
      this.records.push(record);
    }
  }

  /** The leaf pi starts from: the last entry in file order. */
  get leaf(): EntryRecord | undefined {
    return this.records[this.records.length - 1];
  }
}
