/**
 * The per-session index a build keeps: one {@link EntryRecord} per entry, in file order, and pi's
 * id → entry map. Lines are fed to it in order; it never holds a line after `ingestLine` returns.
 *
 * Semantics follow pi's `parseSessionEntries` + `buildSessionContext` exactly for well-formed files
 * (every JSON object line is an entry, the header included; ids are Map keys whatever their type; a
 * later duplicate id wins). What pi does badly with damaged files (crash on `null` lines, loop on
 * cycles) becomes a diagnostic here.
 */
import { roleCode, RoleCode } from "../protocol/buffer-layout.js";
import { estimateMessageTokens } from "../tokenize/message-tokens.js";
import type { DiagnosticLog } from "./diagnostics.js";
import { Emits, EntryRecord, RecordFlag } from "./entry-record.js";
import { findTopLevelValue } from "./json-value-range.js";

const MESSAGE_KEY = Buffer.from("message");
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Entry types of pi session format v3. Others are kept in the tree but reported. */
const KNOWN_TYPES = new Set([
  "session",
  "message",
  "thinking_level_change",
  "model_change",
  "compaction",
  "branch_summary",
  "custom",
  "custom_message",
  "label",
  "session_info",
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

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

export class TranscriptIndex {
  readonly records: EntryRecord[] = [];
  /** pi's `byId`: entry id (any JSON value) → index in `records`; the last entry with an id wins. */
  readonly byId = new Map<unknown, number>();
  header: SessionHeader | null = null;
  /** Index in `records` of the latest entry whose id was already taken (-1: none). */
  lastDuplicateAt = -1;
  /** Transcript format version from the header (pi assumes 1 when absent). */
  version = 3;
  /** Lines seen (complete lines, blank and bad ones included). */
  lines = 0;
  /** v1 transcripts have no ids: pi's migration chains entries in file order. */
  private v1PreviousId: unknown = null;

  constructor(private readonly diagnostics: DiagnosticLog) {}

  ingestLine(bytes: Buffer, offset: number, lineNo: number): void {
    this.lines++;
    if (lineNo === 1 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2]) {
      // pi's content.trim() drops a leading BOM, so a BOM'd file is still well-formed.
      this.diagnostics.add("BOM", lineNo, offset, "UTF-8 byte-order mark at the start of the file ignored");
      bytes = bytes.subarray(3);
      offset += 3;
    }
    const text = bytes.toString("utf8");
    if (text.trim() === "") return; // pi skips blank lines silently
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.diagnostics.add("MALFORMED_LINE", lineNo, offset, `line is not valid JSON (${(err as Error).message}); skipped`);
      return;
    }
    if (!isObject(value)) {
      const what = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
      this.diagnostics.add("NON_OBJECT_LINE", lineNo, offset, `line is ${what}, not an entry object; skipped`);
      return;
    }
    this.addEntry(value, bytes, offset, lineNo);
  }

  private addEntry(entry: Record<string, unknown>, bytes: Buffer, offset: number, lineNo: number): void {
    const record = new EntryRecord();
    record.line = lineNo;
    record.offset = offset;
    record.length = bytes.length;
    record.type = typeof entry.type === "string" ? entry.type : "";
    record.id = entry.id;
    record.parentId = entry.parentId;
    const index = this.records.length;

    if (index === 0) this.readHeader(entry, lineNo, offset);
    if (this.version < 2 && record.type !== "session") this.chainV1(record, index);

    switch (record.type) {
      case "message":
        this.readMessage(record, entry, bytes, lineNo);
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
        record.extra = this.version < 2 ? this.v1FirstKept(entry) : entry.firstKeptEntryId;
        record.estimate = estimateMessageTokens({ role: "compactionSummary", summary: entry.summary });
        break;
      case "thinking_level_change":
        record.extra = entry.thinkingLevel;
        break;
      case "model_change":
        record.extra = { provider: entry.provider, modelId: entry.modelId };
        break;
      default:
        if (!KNOWN_TYPES.has(record.type)) {
          const what = record.type === "" ? "an entry without a type" : `unknown entry type "${record.type}"`;
          this.diagnostics.add("UNKNOWN_ENTRY_TYPE", lineNo, offset, `${what}; kept in the tree, not in the context`);
        }
    }

    if (record.id !== undefined && this.byId.has(record.id)) {
      this.lastDuplicateAt = index;
      const first = this.records[this.byId.get(record.id)!]!;
      this.diagnostics.add(
        "DUPLICATE_ID",
        lineNo,
        offset,
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
    this.header = { id: entry.id, cwd: entry.cwd, version: entry.version, timestamp: entry.timestamp };
    this.version = typeof entry.version === "number" ? entry.version : 1;
    if (typeof entry.id !== "string") {
      this.diagnostics.add("BAD_HEADER", lineNo, offset, "session header has no string id");
    }
    if (this.version > 3) {
      this.diagnostics.add("BAD_HEADER", lineNo, offset, `session version ${this.version} is newer than 3; read as v3`);
    }
  }

  private readMessage(record: EntryRecord, entry: Record<string, unknown>, bytes: Buffer, lineNo: number): void {
    const message = entry.message;
    if (!isObject(message)) {
      this.diagnostics.add("INVALID_ENTRY", lineNo, record.offset, "message entry without a message object; not in the context");
      return;
    }
    record.emits = Emits.message;
    record.role = roleCode(message.role);
    if (message.role === "assistant") {
      record.extra = { provider: message.provider, modelId: message.model };
      if (hasToolCalls(message)) record.flags |= RecordFlag.hasToolCalls;
    }
    if (this.version < 3 && message.role === "hookMessage") {
      // pi migrates v2 transcripts on open: hookMessage became custom.
      record.flags |= RecordFlag.hookMessage | RecordFlag.reserialize;
      record.role = RoleCode.custom;
    }
    const range = findTopLevelValue(bytes, MESSAGE_KEY);
    if (range) {
      record.valueStart = range[0];
      record.valueEnd = range[1];
    } else {
      record.flags |= RecordFlag.reserialize;
    }
    record.estimate = estimateMessageTokens(message);
  }

  /** pi's v1→v2 migration gives each entry a fresh id and the previous entry as parent. */
  private chainV1(record: EntryRecord, index: number): void {
    record.id = `v1:${index}`;
    record.parentId = this.v1PreviousId;
    this.v1PreviousId = record.id;
  }

  /** v1 compactions point at the first kept entry by its index among all entries (header included). */
  private v1FirstKept(entry: Record<string, unknown>): unknown {
    const i = entry.firstKeptEntryIndex;
    if (typeof i === "number" && i > 0) return `v1:${i}`;
    return entry.firstKeptEntryId;
  }

  /** Plain data for the persistent index (session/persistent-index.ts); records are saved separately. */
  snapshotFields(): { header: SessionHeader | null; version: number; lines: number; v1PreviousId: unknown } {
    return { header: this.header, version: this.version, lines: this.lines, v1PreviousId: this.v1PreviousId };
  }

  /** Restores a saved index: fields, then the records in file order (rebuilding `byId` as ingest does). */
  restore(fields: ReturnType<TranscriptIndex["snapshotFields"]>, records: EntryRecord[]): void {
    this.header = fields.header;
    this.version = fields.version;
    this.lines = fields.lines;
    this.v1PreviousId = fields.v1PreviousId;
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
