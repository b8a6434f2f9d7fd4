/**
 * The session buffer layout: what `openSession`/`openSessionAsync` hold instead of pi's array of
 * parsed entries. The encoder (native-free-workers/openclaw/session-buffer.ts, run in a worker or
 * inline) and the decoders (src/openclaw/session.ts; FIELDS and LAYOUTS: src/openclaw/buffer-entries.ts)
 * read this description; docs/openclaw.md explains it in prose.
 *
 * Why this shape: pi's `SessionManager.open` parses every line into objects and keeps them all, yet a
 * run only touches the header, the leaf and the active branch. The buffer keeps every entry's raw line
 * bytes plus a fixed-size index (parent already resolved to a record number, id as text), so walking
 * the branch needs no JSON at all and an entry is `JSON.parse`d only when someone asks for it.
 *
 * All integers little-endian. Section offsets are from the start of the buffer; offsets inside records
 * are from the start of their section.
 */

/** "CXSS" read as a little-endian u32. */
export const SESSION_MAGIC = 0x53535843;
/** Bumped whenever the meaning of any byte changes. Decoders refuse other versions. */
export const SESSION_LAYOUT_VERSION = 4;

/** Byte offsets of the fixed header. */
export const SessionHeader = {
  /** u32 {@link SESSION_MAGIC} */
  magic: 0,
  /** u16 {@link SESSION_LAYOUT_VERSION} */
  version: 4,
  /** u16 bit set of {@link SessionFlag} */
  flags: 6,
  /** u32 size of the whole buffer */
  totalBytes: 8,
  /** u32 number of records in this buffer (every JSON-object line, session-type entries included: pi's `fileEntries`) */
  recordCount: 12,
  /** i32 record number (in this buffer) of the leaf (last non-session entry), -1 when there is none or it is before {@link SessionHeader.firstRecord} */
  leafIndex: 16,
  /**
   * u32 record number in the file of this buffer's first record: 0 for a whole read; N for a continued
   * read (N = {@link SessionMeta.base}), which holds only the records from N on (the caller has the first N).
   * Record numbers in a continued buffer (leaf, parents) count from N; a parent before N reads -1.
   */
  firstRecord: 20,
  /** the section table: {@link SESSION_SECTION_COUNT} × (u32 offset, u32 length) */
  sectionTable: 24,
} as const;

/** Header flag bits. */
export const SessionFlag = {
  /** pi would migrate this file from v1 (no ids: ids and parents are synthesized, see docs). */
  migrateV1: 1 << 0,
  /** pi would migrate this file from v2 (`hookMessage` role becomes `custom`; header version 3). */
  migrateV2: 1 << 1,
  /** No usable session: file missing, empty, or without a valid header. See {@link SessionMeta.status}. */
  fresh: 1 << 2,
} as const;

/** Sections, in table order and buffer order. */
export const SessionSection = {
  /** UTF-8 JSON {@link SessionMeta}. */
  META: 0,
  /** recordCount × {@link SESSION_RECORD_BYTES}, see {@link SessionRecord}; starts on a multiple of 4 (buffers written since 2026-12-04; a reader reads an unaligned one through a DataView). */
  RECORDS: 1,
  /** UTF-8 text: every record's id key concatenated (decoded once, sliced by UTF-16 ranges). */
  ID_TEXT: 2,
  /** The entries' raw line bytes, concatenated without separators. */
  ENTRY_BYTES: 3,
  /**
   * Where each record's members lie (version 3; native-free-workers/pi/entry-fields.ts), so the main
   * thread builds an entry without `JSON.parse` of its line: recordCount × u32, the word index (into
   * the words that follow) of the record's descriptor or {@link NO_FIELDS}; then the u32 words. A
   * descriptor is `layout` (an index into LAYOUTS) then, per member in line order, three words: the
   * kind word ({@link FieldKind} in the low 4 bits; for an object member described one level down, the
   * number of words from this kind word to the child's descriptor above them, else 0), and the value's
   * `[from, to)` byte offsets relative to the line's start. Top-level members and the members of
   * object-valued top-level members are described; deeper values are ranges. A buffer read without
   * the member scan (a caller that parses the lines itself, openclaw/session-buffer.ts `fields`) has
   * NO_FIELDS for every record and no words after them.
   */
  FIELDS: 4,
  /**
   * UTF-8 JSON: an array of key layouts (each an array of member names, in line order). Every object
   * described with one layout also has the same members of kind object/array (the encoder interns
   * layouts by both), so a decoder may build its objects from one factory per layout.
   */
  LAYOUTS: 5,
} as const;
export const SESSION_SECTION_COUNT = 6;

/** A record without a descriptor: the main thread parses its line (see {@link SessionSection.FIELDS}). */
export const NO_FIELDS = 0xffffffff;
/** Members per described object; a larger object is left to `JSON.parse`. */
export const MAX_LAYOUT_KEYS = 64;
/** Layouts per session buffer; objects of further layouts are left to `JSON.parse`. */
export const MAX_LAYOUTS = 512;

/** The kind of a described member's value (low 4 bits of its kind word). */
export const FieldKind = {
  /** A string without escapes: its UTF-8 bytes between the quotes are the value. */
  string: 0,
  /** A string with escapes: `JSON.parse` of its range. */
  escapedString: 1,
  /** A number: `Number` of its text (the same double as `JSON.parse`: 1e400 is Infinity, -0 is -0). */
  number: 2,
  true: 3,
  false: 4,
  null: 5,
  /** An object: described one level down (kind word above bit 4) or `JSON.parse` of its range. */
  object: 6,
  /** An array: `JSON.parse` of its range. */
  array: 7,
} as const;
export const SESSION_HEADER_BYTES = SessionHeader.sectionTable + SESSION_SECTION_COUNT * 8;

/** Byte offsets inside one record. */
export const SessionRecord = {
  /** u32 offset of the line inside ENTRY_BYTES */
  offset: 0,
  /** u32 length of the line in bytes (no `\n`) */
  length: 4,
  /** i32 record number of the parent as pi's walk finds it (`parentId ? byId.get(parentId)`), -1 for none */
  parent: 8,
  /** u32 UTF-16 start of the id key in the decoded ID_TEXT */
  idStart: 12,
  /** u32 UTF-16 length of the id key */
  idLength: 16,
  /** u32 1-based line number in the file */
  line: 20,
  /** u8 {@link EntryTypeCode} */
  type: 24,
  /** u8 {@link IdKind} */
  idKind: 25,
  /** u16 bit set of {@link RecordFlag} (layout version 4) */
  flags: 26,
} as const;
export const SESSION_RECORD_BYTES = 28;

/** Record flag bits ({@link SessionRecord.flags}). */
export const RecordFlag = {
  /**
   * The line is canonical JSON: its bytes are valid UTF-8 and `JSON.stringify(JSON.parse(line)) === line`
   * (native-free-workers/pi/canonical-json.ts decides it byte by byte). Unset when the line is not, or
   * when the worker cannot tell (also for a line nesting deeper than 64 containers: a reader may take a
   * canonical line to be shallow), and never set in a buffer read without the canonical scan (a reader that
   * never checks exactness: the pi-era open): the reader then compares as it would without the flag. What a reader's
   * own transformation of the parse (a release's entry normaliser) does to the line is the reader's to
   * decide — the flag speaks of the plain `JSON.parse` only.
   */
  canonical: 1 << 0,
} as const;

/** How a record's id is stored in ID_TEXT. */
export const IdKind = {
  /** The entry has no `id` member (pi's id is `undefined`). */
  absent: 0,
  /** A string id; the key is the string itself. */
  string: 1,
  /** Any other JSON id (number, boolean, null, object); the key is its JSON text. */
  json: 2,
  /** v1 file: the id pi's migration would generate (the key); the line has none. */
  synthetic: 3,
} as const;

/** Entry types as codes, so label / session records are found without decoding. */
export const EntryTypeCode = {
  other: 0,
  session: 1,
  message: 2,
  thinking_level_change: 3,
  model_change: 4,
  compaction: 5,
  branch_summary: 6,
  custom: 7,
  custom_message: 8,
  label: 9,
  session_info: 10,
} as const;
const ENTRY_TYPE_NAMES: string[] = [];
for (const [name, code] of Object.entries(EntryTypeCode)) ENTRY_TYPE_NAMES[code] = name;
/** The type an {@link EntryTypeCode} stands for ("other" for `other`, whose string is kept elsewhere; undefined: no such code). */
export function entryTypeName(code: number): string | undefined {
  return ENTRY_TYPE_NAMES[code];
}
export function entryTypeCode(type: unknown): number {
  return typeof type === "string" && type !== "other" && Object.hasOwn(EntryTypeCode, type)
    ? EntryTypeCode[type as keyof typeof EntryTypeCode]
    : EntryTypeCode.other;
}

/** Why a session is fresh (what pi's `SessionManager.open` would do instead, see docs/openclaw.md). */
export type SessionStatus =
  /** A session loaded from the file. */
  | "loaded"
  /** The file does not exist (pi: a new in-memory session; it writes the file on the first assistant reply). */
  | "missing"
  /** The file holds no JSON entry (pi: a new session, and it REWRITES the file with a fresh header). */
  | "empty"
  /** The first entry is not a `session` header with a string id (pi: a new session, file overwritten). */
  | "invalid-header";

/** The META section. */
/** The tool-result check a release applies: which calls need a result, read with which id rule. */
export type ToolResultRule = "codex/v1" | "codex/v2" | "chatgpt/v2" | "mirror/v2";

/** What the repair passes of 2026.5.12–2026.7.35 need to know about a file (computed by native-free-workers/openclaw/repair-check.ts). */
export interface RepairFacts {
  /**
   * Why every release's pass would change the file or return early (malformed line, invalid message,
   * errored empty assistant turn, blank user message, no header, empty file), or why ctxc cannot tell;
   * null when none of these applies.
   */
  common: string | null;
  /** The tool-result rules under which some call has no result (each such release would insert one). */
  unresolved: ToolResultRule[];
  /** Record indexes (session buffer) of message entries with an image block the 2026.6.5+ rule checks. */
  imageRecords: number[];
  /**
   * Tool-result ids by the v2 rule, first occurrences in file order (native-free-workers/openclaw/repair-check.ts):
   * with {@link ResultIdLimits}, all of them when within both limits and none when over either; without,
   * at most 4,097 (OpenClaw's repair cache keeps at most 4,096: one more says "too many").
   */
  toolResultIds: string[];
  /** How many distinct tool-result ids by the v2 rule the file has (the size of OpenClaw's `resultIds` set). */
  toolResultIdCount: number;
  /** Their UTF-8 bytes summed (what OpenClaw's `countToolResultIdBytes` counts, without its early stop past its limit). */
  toolResultIdBytes: number;
}

/** A release's repair-cache bounds (2026.6.9+: MAX_CACHED_REPAIR_TOOL_RESULT_IDS / _ID_BYTES): over either, no ids are sent. */
export interface ResultIdLimits {
  count: number;
  bytes: number;
}

/** What a repair check (`repairCheck` request) asks of the worker's read beyond the meta. */
export interface RepairCheckOptions {
  /** The lines of the records with image blocks (2026.6.5+'s image rule). */
  images: boolean;
  /** The bigint fstat of the file read ({@link RepairCheckReply.snapshot}; 2026.6.9+'s repair cache). */
  snapshot?: boolean;
  /** The release's repair-cache bounds on the tool-result ids sent ({@link RepairFacts.toolResultIds}). */
  idLimits?: ResultIdLimits;
  /**
   * The caller judged the lines of the first `records` image records of the read state `generation`
   * ({@link RepairCheckReply.imageRecordsSettled} of an earlier reply): when the read continues that
   * state, only the lines of the later image records are sent ({@link RepairCheckReply.imageLinesFrom}).
   */
  imagesFrom?: { generation: string; records: number };
  /**
   * Who judges the image lines: the release's judge, named so that another release (or Node) never passes
   * for it (src/openclaw/judged-images.ts). With it, the worker keeps what `imagesFrom` reported judged in
   * the read state and its persistent index, and when no `imagesFrom` fits — the first check after a
   * restart, whose state came from the index under a new generation — it leaves out the lines of the image
   * records this judge already found clean in that state (issue #11: the first turn after a restart).
   * When the worker runs the same judge (it was started with it: protocol/image-judge.ts), it judges the
   * lines itself and sends only those it does not find clean (with `allImages` too).
   */
  judge?: string;
  /**
   * With `images`: the lines of EVERY complete image message of the read (a block the image rule looks at),
   * including those after a line the pass repairs (whose facts stop there), from the first on (`imagesFrom`
   * and `judge` are not used): for judging them ahead of the pass (src/openclaw/image-prejudge.ts).
   */
  allImages?: boolean;
}

/**
 * OpenClaw's repair snapshot (2026.6.9+ `readSessionRepairSnapshot`: bigint stat fields) of the file the
 * worker read, from the worker's own `fstat` of the descriptor it read, taken before the read.
 */
export interface RepairSnapshotWire {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/**
 * OpenClaw's snapshot of a bigint stat: its five fields as a plain object, as the release's own snapshot
 * readers return it — the worker's of its descriptor, the main thread's of the path (src/openclaw).
 */
export function snapshotOf(st: RepairSnapshotWire): RepairSnapshotWire {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

/**
 * The worker's answer to a repair check (`repairCheck` request, openclaw-worker.ts): the read's meta with
 * the repair facts, without the session buffer — no FIELDS pass, no transfer (the prewarm that follows
 * continues the same read state and gets the buffer then).
 */
export interface RepairCheckReply {
  meta: SessionMeta;
  /**
   * False when the read stopped before the end of the file because the facts' `common` reason was found
   * and nothing after it can change the verdict (the release's pass will rewrite the file or decide
   * itself): `meta.bytes` is then where the read stopped, and the read state is kept there.
   */
  complete: boolean;
  /**
   * The lines of `meta.repairFacts.imageRecords` (when asked for and the read is complete), in that order,
   * from the {@link imageLinesFrom}-th image record on.
   */
  imageLines: string[];
  /** How many image records' lines were left out (RepairCheckOptions.imagesFrom honoured, or judged clean here); 0 when all are sent. */
  imageLinesFrom: number;
  /**
   * How many image lines the worker judged itself with the release's judge (native-free-workers/openclaw/
   * image-judge.ts: when the check names the judge the worker was started with); those it found clean are
   * not in {@link imageLines}.
   */
  imageLinesJudgedInWorker?: number;
  /**
   * How many of the image records (from the first) are complete lines, ending before the read state's end:
   * a continued read of the same state (`meta.generation`) has these same lines at these same indexes
   * (a torn last line is not in the state, and may read otherwise once complete).
   */
  imageRecordsSettled: number;
  /** When asked for: the bigint fstat of the file read, taken after the open and before the read (null: missing file). */
  snapshot?: RepairSnapshotWire | null;
}

export interface SessionMeta {
  /** Absolute path of the transcript. */
  path: string;
  status: SessionStatus;
  /** Bytes read (the whole file at the time of the read, torn last line included, as pi reads it). */
  bytes: number;
  /** Lines seen. */
  lines: number;
  /** File identity at the time of the read (null when missing); the ctime too, which a writer cannot set back. */
  file: FileIdentityWire | null;
  /** What differs from a clean read: skipped lines, cycles, …  (never fatal). */
  diagnostics: { code: string; line: number; message: string }[];
  /**
   * Null when OpenClaw 2026.5.12's repair pass (`repairSessionFileIfNeeded`) would leave these bytes as
   * they are; otherwise why it would change them, or why ctxc cannot tell (native-free-workers/openclaw/repair-check.ts).
   */
  repair: string | null;
  /**
   * What the repair passes of later releases need (2026.5.26–2026.7.35; native-free-workers/openclaw/repair-check.ts):
   * set in the reply to a repair check (`repairCheck` request) only; null in every other read's meta, and
   * for a missing file.
   */
  repairFacts: RepairFacts | null;
  /**
   * Where this read started parsing: 0 for the whole file; the end of the previous read when the
   * worker continued from what it kept of an earlier read of the same, only-appended file.
   */
  readFrom: number;
  /**
   * What OpenClaw 2026.5.12's internal `readTranscriptLeafInfo` would return for these bytes
   * (native-free-workers/openclaw/leaf-info.ts); null when ctxc cannot tell (a line it skipped unread)
   * or the file is missing.
   */
  leafInfo: { leafId?: string; hasParentLinkedEntries: boolean; nonSessionEntryCount: number } | null;
  /**
   * Where the state this read continued from came from: `"memory"` (this worker read the file before),
   * `"rebased"` (this worker read it before it was rewritten with another first line and every other line
   * as it was: the state moved onto the new bytes by a compare, native-free-workers/openclaw/header-rebase.ts),
   * `"disk"` (the persistent index, verified against the file: the read parsed from `readFrom`), `"none"`
   * (no state: parsed from 0); or why the index was not used — `"disk-stale"` (the file changed since
   * the index was saved: not an append), `"disk-corrupt"` (unreadable, another format), `"refused"` (the
   * index directory is no longer private, native-free-workers/session/private-dir.ts).
   */
  index: "memory" | "rebased" | "disk" | "none" | "disk-stale" | "disk-corrupt" | "refused";
  /**
   * The worker read state this read belongs to (null: none kept, e.g. a missing file). Every read of the
   * same generation continues the same parse of the same, only-appended file (checked by the append
   * check each time), so record N of one read is record N of every later read of that generation.
   */
  generation: string | null;
  /**
   * Records the caller already has ({@link SessionContinuation.records}), checked by the worker to be
   * records of this generation ending at {@link SessionContinuation.bytes}: the buffer then holds only the
   * records from `base` on (its header's `firstRecord`), unless the caller asked for every record. 0: the
   * caller has none of them.
   */
  base: number;
  /**
   * True when the records from `base` on are the file's lines from the caller's byte offset (0 for a whole
   * read) to `bytes`, one after the other, each ending with "\n": no blank, skipped or BOM-prefixed line and
   * no torn tail among them — so those bytes are exactly the records' bytes, each followed by "\n".
   */
  contiguous: boolean;
  /**
   * How many of this buffer's records (from its header's `firstRecord` on) are session-type entries, so
   * a reader knows how many entries pi's `getEntries()` holds without a pass over the records (the
   * preload's first open after a restart, src/openclaw/pi-session-open.ts). Set by the encoder for the
   * records it writes; absent in buffers made before 2026-12-05 (a reader counts the records then).
   */
  sessionRecords?: number;
}

/** A file's identity as a read saw it (its fstat): the ctime too, which a writer cannot set back. */
export interface FileIdentityWire {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

/**
 * What a caller already has of a transcript, sent with a session read so the worker returns only what
 * was appended since: the records of one read {@link SessionMeta.generation}, and the bytes they cover.
 */
export interface SessionContinuation {
  /** The read the records came from ({@link SessionMeta.generation}); "" with {@link file}. */
  generation: string;
  /** Number of records the caller has (records 0 … records−1 of that generation). */
  records: number;
  /** The file bytes those records cover (the `bytes` of the read they came from). */
  bytes: number;
  /**
   * Instead of a generation: the caller's records are every line of the file that had this identity, all
   * `bytes` of it — it followed its own write of the file rather than a worker read (the preload after
   * OpenClaw's whole-file writes: src/openclaw/release/write-follower.ts). The worker grants them only to
   * a read of that very file (the same fstat identity), complete, whose records are its every line and as
   * many: then it needs to send none of them.
   */
  file?: FileIdentityWire;
}
