/**
 * What a build remembers about one transcript entry after its line was parsed: structure and byte
 * ranges, never the content. Content is read back from the file only for entries that reach the
 * context, so memory follows the number of entries, not the size of the transcript.
 */

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
} as const;

export class EntryRecord {
  /** 1-based line number in the file. */
  line = 0;
  /** Byte offset of the line's first byte (after a BOM on line 1). */
  offset = 0;
  /** Byte length of the line, without its `\n`. */
  length = 0;
  /** The entry's `type`, or "" when it has none. */
  type = "";
  /** The entry's `id` exactly as parsed (pi indexes entries by this value, whatever its type). */
  id: unknown = undefined;
  /** The entry's `parentId` exactly as parsed. */
  parentId: unknown = undefined;
  emits: EmitsCode = Emits.nothing;
  /** Role code (buffer-layout RoleCode) of the message this entry emits. */
  role = 0;
  flags = 0;
  /** For `message` entries: `[start, end)` of the `message` value, relative to `offset`. */
  valueStart = -1;
  valueEnd = -1;
  /** Cheap chars/4 estimate of the tokens this entry emits (used to report dropped messages). */
  estimate = 0;
  /**
   * Small per-type data needed to resolve the path without re-reading the line:
   * thinking_level_change → the level; model_change / assistant message → {provider, modelId};
   * compaction → firstKeptEntryId.
   */
  extra: unknown = undefined;
  /** Token count of the message this entry emits, once counted (-1 until then); kept across builds. */
  tokens = -1;
}
