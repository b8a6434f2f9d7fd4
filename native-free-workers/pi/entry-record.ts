/**
 * What a build remembers about one transcript entry after its line was parsed: structure and byte
 * ranges, never the content (the row layout is pi/record-table.ts). Content is read back from the file only for entries that reach the
 * context, so memory follows the number of entries, not the size of the transcript.
 */

import type { RecordTable } from "./record-table.js";

/** What an entry contributes to the context when it is on the active branch. */
export const Emits = {
  nothing: 0,
  /** a `message` entry: its `message` value */
  message: 1,
  /** a `custom_message` entry: pi's createCustomMessage(...) */
  customMessage: 2,
  /** a `branch_summary` entry with a non-empty summary: pi's createBranchSummaryMessage(...) */
  branchSummary: 3,
  /** a `compaction` entry: its summary, when it is the latest compaction on the path */
  compaction: 4,
} as const;
export type EmitsCode = (typeof Emits)[keyof typeof Emits];

/** Record flags. */
export const RecordFlag = {
  /** The message bytes cannot be forwarded as they are (escaped key, v2 `hookMessage` role): re-serialize. */
  reserialize: 1 << 0,
  /** An assistant message with toolCall blocks. */
  hasToolCalls: 1 << 1,
  /** A v2 transcript's `hookMessage` role, which pi migrates to `custom`. */
  hookMessage: 1 << 2,
  /**
   * Indexed from the line's keys only (pi/line-keys.ts): what the body decides — `estimate`,
   * `hasToolCalls`, whether a branch summary emits — is not known until TranscriptIndex.complete reads
   * the line back. Kept in the persistent index like any flag.
   */
  keysOnly: 1 << 3,
} as const;

/**
 * One entry of a {@link RecordTable} (pi/record-table.ts), as the build's stages read it: a handle on row
 * `at`, whose fields read and write the table's columns. Handles are made only for what a build holds
 * on to (the active branch's context items, the leaf), never one per entry of the file.
 */
export class EntryRecord {
  constructor(
    readonly table: RecordTable,
    /** The row: the entry's position among the file's entries. */
    readonly at: number,
  ) {}
  /** 1-based line number in the file. */
  get line(): number {
    return this.table.lineOf(this.at);
  }
  /** Byte offset of the line's first byte (after a BOM on line 1). */
  get offset(): number {
    return this.table.offsetOf(this.at);
  }
  /** Byte length of the line, without its `\n`. */
  get length(): number {
    return this.table.lengthOf(this.at);
  }
  /** The entry's `type`, or "" when it has none. */
  get type(): string {
    return this.table.typeOf(this.at);
  }
  get emits(): EmitsCode {
    return this.table.emitsOf(this.at);
  }
  /** Role code (buffer-layout RoleCode) of the message this entry emits. */
  get role(): number {
    return this.table.role[this.at]!;
  }
  get flags(): number {
    return this.table.flags[this.at]!;
  }
  /** For `message` entries: `[start, end)` of the `message` value, relative to `offset`. */
  get valueStart(): number {
    return this.table.valueStartOf(this.at);
  }
  get valueEnd(): number {
    return this.table.valueEndOf(this.at);
  }
  /** Cheap chars/4 estimate of the tokens this entry emits (used to report dropped messages). */
  get estimate(): number {
    return this.table.estimateOf(this.at);
  }
  /** Token count of the message this entry emits, once counted (-1 until then); kept across builds. */
  get tokens(): number {
    return this.table.tokensOf(this.at);
  }
  set tokens(value: number) {
    this.table.setTokens(this.at, value);
  }
}
