/**
 * The context buffer layout: the single description used by the encoder (in the worker) and the
 * decoder (on the main thread). docs/buffer-format.md explains it in prose; test/unit/buffer-layout.test.ts
 * checks that the two agree.
 *
 * All integers are little-endian unsigned 32-bit unless noted. Offsets of sections are from the start
 * of the buffer; offsets inside the message-index records are from the start of the MESSAGE_BYTES
 * section. Text is UTF-8 without BOM.
 */

/** "CTXC" read as a little-endian u32. */
export const MAGIC = 0x43585443;
/** Bumped whenever the meaning of any byte changes. Decoders refuse other versions. */
export const LAYOUT_VERSION = 1;

/** Byte offsets of the fixed header fields. */
export const Header = {
  /** u32 {@link MAGIC} */
  magic: 0,
  /** u16 {@link LAYOUT_VERSION} */
  version: 4,
  /** u16 bit set of {@link HeaderFlag} */
  flags: 6,
  /** u32 size of this header, section table included ({@link HEADER_BYTES}) */
  headerBytes: 8,
  /** u32 size of the whole buffer */
  totalBytes: 12,
  /** u32 number of messages in the context (records in MESSAGE_INDEX) */
  messageCount: 16,
  /** u32 number of messages dropped to fit the budget */
  droppedCount: 20,
  /** u32 number of diagnostics in the DIAGNOSTICS section */
  diagnosticCount: 24,
  /** u32 tokens of the system prompt */
  systemTokens: 28,
  /** u32 tokens of all messages in the context */
  messageTokens: 32,
  /** u32 estimated tokens (chars/4) of the dropped messages */
  droppedTokensEstimate: 36,
  /** f64 wall-clock time (ms since the epoch) when the worker finished the buffer: measures transfer */
  finishedAt: 40,
  /** the section table: {@link SECTION_COUNT} × (u32 offset, u32 length) */
  sectionTable: 48,
} as const;

/** Header flag bits. */
export const HeaderFlag = {
  /** A token budget was applied. */
  budgetApplied: 1 << 0,
  /** Token counts come from an exact tokenizer (not the chars/4 estimate). */
  exactTokens: 1 << 1,
} as const;

/** Section numbers, in the order they appear in the section table and in the buffer. */
export const Section = {
  /** UTF-8 JSON object: {@link ContextMeta}. */
  META: 0,
  /** UTF-8 text of the system prompt (the project-context section). */
  SYSTEM_PROMPT: 1,
  /** messageCount records of {@link INDEX_RECORD_BYTES} bytes, see {@link IndexRecord}. */
  MESSAGE_INDEX: 2,
  /** UTF-8 JSON array of {@link Diagnostic}. */
  DIAGNOSTICS: 3,
  /** The messages: each a UTF-8 JSON object, concatenated without separators. */
  MESSAGE_BYTES: 4,
} as const;
export const SECTION_COUNT = 5;
export const HEADER_BYTES = Header.sectionTable + SECTION_COUNT * 8;

/** Byte offsets inside one message-index record. */
export const IndexRecord = {
  /** u8 {@link MessageKind} */
  kind: 0,
  /** u8 {@link RoleCode} */
  role: 1,
  /** u16 bit set of {@link MessageFlag} */
  flags: 2,
  /** u32 token count of this message */
  tokens: 4,
  /** u32 offset of the message JSON inside MESSAGE_BYTES */
  offset: 8,
  /** u32 length of the message JSON in bytes */
  length: 12,
  /** u32 1-based line of the transcript entry this message came from */
  sourceLine: 16,
} as const;
export const INDEX_RECORD_BYTES = 20;

/** Where a message came from: which transcript entry type produced it. */
export const MessageKind = {
  /** A `message` entry; the bytes are the entry's `message` value exactly as in the transcript. */
  entry: 0,
  /** The summary of the latest compaction on the path (`role: "compactionSummary"`). */
  compactionSummary: 1,
  /** A `branch_summary` entry (`role: "branchSummary"`). */
  branchSummary: 2,
  /** A `custom_message` entry (`role: "custom"`). */
  customMessage: 3,
} as const;
export type MessageKindCode = (typeof MessageKind)[keyof typeof MessageKind];

/** Message roles as codes; any other role is {@link RoleCode.other}, the JSON holds the real one. */
export const RoleCode = {
  other: 0,
  user: 1,
  assistant: 2,
  toolResult: 3,
  bashExecution: 4,
  custom: 5,
  branchSummary: 6,
  compactionSummary: 7,
} as const;
const ROLE_NAMES = Object.keys(RoleCode) as (keyof typeof RoleCode)[];
export function roleCode(role: unknown): number {
  return typeof role === "string" && Object.hasOwn(RoleCode, role) && role !== "other"
    ? RoleCode[role as keyof typeof RoleCode]
    : RoleCode.other;
}
export function roleName(code: number): string | undefined {
  const name = ROLE_NAMES.find((n) => RoleCode[n] === code);
  return name === "other" ? undefined : name;
}

/** Per-message flag bits. */
export const MessageFlag = {
  /**
   * The message's `timestamp` is NaN in pi's result (the entry's timestamp did not parse as a date);
   * JSON cannot hold NaN, so the bytes say `null` and the decoder restores NaN.
   */
  nanTimestamp: 1 << 0,
  /** An assistant message that contains toolCall blocks. */
  hasToolCalls: 1 << 1,
} as const;

/** One problem found in the input: counted, located, never fatal. */
export interface Diagnostic {
  /** Machine-readable code, see {@link DiagnosticCode}. */
  code: DiagnosticCode;
  /** 1-based line in the transcript (0 when not about a line, e.g. a bootstrap file). */
  line: number;
  /** Byte offset of the start of that line in the transcript (0 when not about a line). */
  offset: number;
  /** Human-readable explanation. */
  message: string;
}

export type DiagnosticCode =
  /** A line that is not valid JSON; skipped (pi skips it too). */
  | "MALFORMED_LINE"
  /** A JSON line that is not an object (number, string, array, null); skipped. */
  | "NON_OBJECT_LINE"
  /** The last line has no newline yet (a write in progress or a crash); excluded until it is complete. */
  | "TORN_TAIL"
  /** The first entry is not a `session` header. */
  | "MISSING_HEADER"
  /** The header is a `session` entry but lacks a string id, or has an unexpected version. */
  | "BAD_HEADER"
  /** An entry type ctxc does not know; kept in the tree, never in the context. */
  | "UNKNOWN_ENTRY_TYPE"
  /** An entry lacking fields its type needs (e.g. a `message` entry without an object `message`). */
  | "INVALID_ENTRY"
  /** A `parentId` that names no entry: the active branch stops there. */
  | "DANGLING_PARENT"
  /** The `parentId` chain loops; the branch is cut where the loop closes. */
  | "CYCLE"
  /** Two entries share an id; like pi, the later one wins. */
  | "DUPLICATE_ID"
  /** A compaction's `firstKeptEntryId` is not on the active branch before it: nothing before it is kept. */
  | "FIRST_KEPT_NOT_FOUND"
  /** A line longer than `maxLineBytes`; skipped without being held in memory. */
  | "LINE_TOO_LONG"
  /** A UTF-8 byte-order mark at the start of the file; ignored. */
  | "BOM"
  /** A bootstrap file could not be read (permission, not a file); reported instead of its content. */
  | "BOOTSTRAP_UNREADABLE"
  /** The system prompt alone does not fit the budget; every droppable message was dropped. */
  | "BUDGET_TOO_SMALL"
  /**
   * A persistent session index (cacheDir) was stale, unreadable or of an older format and was ignored (the
   * build started over); or cacheDir itself was refused as not private (SECURITY.md) and no index is used.
   */
  | "INDEX_IGNORED"
  /** The persistent session index could not be written (the build itself is fine). */
  | "INDEX_WRITE_FAILED"
  /** More diagnostics than `maxDiagnostics`; the rest were counted, not listed. */
  | "DIAGNOSTICS_TRUNCATED";

/** The META section. */
export interface ContextMeta {
  /** The thinking level set by the last `thinking_level_change` on the path ("off" by default). */
  thinkingLevel: unknown;
  /** The model from the last `model_change` or assistant message on the path, or null. */
  model: { provider: unknown; modelId: unknown } | null;
  /** Tokenizer used for the counts. */
  tokenizer: string;
  /** The budget applied, or null. */
  budget: number | null;
  /** The transcript as read. */
  transcript: {
    path: string;
    /** Bytes of complete lines read (the context reflects exactly this prefix of the file). */
    bytes: number;
    /** Complete lines read. */
    lines: number;
    /** Entries parsed (objects, header included). */
    entries: number;
    /** The session header's id and cwd, when the header is valid. */
    sessionId?: string;
    cwd?: string;
    /** id of the leaf entry the active branch starts from. */
    leafId?: string | null;
  };
  /** The workspace files that went into the system prompt. */
  bootstrapFiles: { name: string; path: string; missing: boolean; chars: number; truncated: boolean }[];
  /** Counts of every diagnostic code, including those not listed. */
  diagnosticCounts: Partial<Record<DiagnosticCode, number>>;
  /** What this build did: cold or warm (and why it rebuilt), how much it read and counted. */
  build: {
    rebuilt: "cold" | "replaced" | "truncated" | "rewritten" | "tokenizer" | "options" | null;
    bytesParsed: number;
    messagesTokenized: number;
    tokensCounted: number;
    cacheBytes: number;
    cachedSessions: number;
    /** Where the session state came from: "memory", "disk" (cacheDir), "none", "disk-stale", "disk-corrupt", "refused" (cacheDir not private). */
    index: string;
  };
  /** Milliseconds spent per stage in the worker (readParse, resolve, bootstrap, tokenize, assemble, encode). */
  timings: Record<string, number>;
}

/**
 * Keys pi always sets on the messages it synthesizes, even to `undefined`. JSON drops undefined
 * members, so a decoder restores the missing ones as `undefined` to deep-equal pi's objects.
 */
export const SYNTHETIC_KEYS: Readonly<Record<number, readonly string[]>> = {
  [MessageKind.compactionSummary]: ["role", "summary", "tokensBefore", "timestamp"],
  [MessageKind.branchSummary]: ["role", "summary", "fromId", "timestamp"],
  [MessageKind.customMessage]: ["role", "customType", "content", "display", "details", "timestamp"],
};
