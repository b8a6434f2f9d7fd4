/**
 * Encodes a session transcript into the session buffer (native-free-workers/protocol/session-buffer-layout.ts) with
 * pi's `SessionManager.open` semantics, without ever writing the file.
 *
 * Why not TranscriptIndex: that index follows `parseSessionEntries` + `buildSessionContext(entries)`
 * (the header is in `byId`, the leaf is the last entry), while `SessionManager` keeps session-type
 * entries out of `byId` and takes the leaf from the last non-session entry. Everything else is pi's one
 * copy shared with the compiler: the open (io/open-file.ts), the line split (io/line-reader.ts), the line
 * rule (pi/parse-line.ts) and the migrations with their synthetic ids (pi/migrate.ts).
 *
 * Sync on purpose: it runs either in a worker (openSessionAsync) or inline for the synchronous
 * `openSession`, which must stand in for the synchronous `SessionManager.open`.
 */
import { randomUUID } from "node:crypto";
import { closeSync, fstatSync, type Stats } from "node:fs";
import { resolve } from "node:path";
import { CACHE_DEFAULTS, DEFAULTS } from "../protocol/defaults.js";
import {
  EntryTypeCode,
  IdKind,
  SESSION_HEADER_BYTES,
  SESSION_LAYOUT_VERSION,
  SESSION_MAGIC,
  SESSION_RECORD_BYTES,
  SESSION_SECTION_COUNT,
  SessionFlag,
  SessionHeader,
  SessionRecord,
  SessionSection,
  entryTypeCode,
  snapshotOf,
  type FileIdentityWire,
  type RepairCheckOptions,
  type RepairCheckReply,
  type RepairSnapshotWire,
  type SessionContinuation,
  type SessionMeta,
  type SessionStatus,
} from "../protocol/session-buffer-layout.js";
import { AppendCheck, CHECK_BYTES, rewrittenInPlace } from "../session/append-check.js";
import { SizeBoundLru } from "../session/lru.js";
import { fileBytesCapacity } from "../grown.js";
import { LineReader, type ReadFn, type ReadLinesResult } from "../io/line-reader.js";
import { openTranscript } from "../io/open-file.js";
import { readAt } from "../io/read-at.js";
import { migrationsFor, syntheticV1Id } from "../pi/migrate.js";
import { parseLine } from "../pi/parse-line.js";
import { KeptScans, noFields } from "./record-scans.js";
import { LeafInfoScan, type TranscriptLeafInfo } from "./leaf-info.js";
import { lookupInRecords } from "./idempotency.js";
import { RecentConversationIndex, type RecentLinesQuery, type RecentLinesReply } from "./recent-lines.js";
import { hasCheckedImage, RepairCheck } from "./repair-check.js";
import { imageJudgeNamed, imageLineClean } from "./image-judge.js";
import { loadReadState, saveReadStateIfDue, type SessionIndexDir } from "./session-index.js";
import { rebaseOnNewHeader } from "./header-rebase.js";

export interface SessionBufferOptions {
  /** Lines longer than this are skipped (pi would parse them). Default 256 MiB. */
  maxLineBytes?: number;
  /** Read size. Default 64 KiB. */
  chunkBytes?: number;
  /**
   * Read from the file's start, whatever state is kept of it: the caller saw it written other than by
   * appends after this worker's last read (src/openclaw/kept-keys.ts), which the append check against
   * that older end could take for an append.
   */
  startOver?: boolean;
  /**
   * The read call (io/line-reader.ts `ReadFn`; default `fs.readSync`). In-process callers only — tests that
   * make a writer append between the read's fstat and its reads; a request over the pool's channel cannot
   * carry a function.
   */
  read?: ReadFn;
}

/** One entry line as the read keeps it (exported for the persistent index, openclaw/session-index.ts). */
export interface Rec {
  offset: number; // in staging
  /** Where the line's bytes start in the file. */
  fileOffset: number;
  length: number;
  line: number;
  type: number;
  idKind: number;
  idKey: string;
  id: unknown;
  parentId: unknown;
  parent: number;
}

/** Kept for the callers that import it from here: the one scheme lives in pi/migrate.ts. */
export { syntheticV1Id };

/**
 * What a worker keeps about one transcript between session reads, so that the next read of the same
 * file parses only the lines appended since (OpenClaw opens the session on every turn). The entry
 * bytes and records are kept as they were ingested; the buffer is re-assembled from them (a copy, no
 * parse). Trusted only after the compiler's append check (session/append-check.ts), whose head and
 * tail bytes here both come from the lines as they were read, never re-read later (a rewrite landing
 * mid-read must not pass for the old bytes).
 */
export interface SessionReadState {
  /** Names this state (SessionMeta.generation): a new state, a new name, so a caller's records of an older one never pass for these. */
  generation: string;
  check: AppendCheck;
  maxLineBytes: number;
  /** Offset just past the last complete line ingested. */
  end: number;
  /** The file's mtime and ctime when it was `end` bytes long (the last read that kept this state). */
  mtimeMs: number;
  ctimeMs: number;
  nextLineNo: number;
  lines: number;
  staging: Buffer;
  used: number;
  records: Rec[];
  header: Record<string, unknown> | undefined;
  diagnostics: SessionMeta["diagnostics"];
  repair: RepairCheck;
  leafInfo: LeafInfoScan;
  recent: RecentConversationIndex;
  lastUsed: number;
  /** What the buffers sent from this state have scanned of its records (record-scans.ts); none until the first. */
  scans?: KeptScans;
  /** `end` when this state was last saved to the persistent index (-1: never). */
  savedEnd: number;
  /**
   * The last read stopped before the end of the file ({@link readRepairCheck}): OpenClaw's pass is
   * about to rewrite it, perhaps in place and longer than `end`, where the append check's head and tail
   * bytes are all that would catch it — so any change of mtime or ctime starts over instead, and the
   * state is not saved to the persistent index until a read completes it.
   */
  stopped?: boolean;
  /**
   * The first `records` image records of this state were judged clean by `judge` (RepairCheckOptions.judge):
   * told by a caller's `imagesFrom`, or restored from the persistent index with the state.
   */
  judged?: { judge: string; records: number };
  /** `judged.records` when the state was last saved (0: none saved). */
  savedJudged?: number;
}

/**
 * Per-worker states, least recently used evicted past `maxBytes` of kept entry bytes and kept scans
 * (session/lru.ts; the scans are ~15 % of the bytes at 28 MB: record-scans.ts);
 * with an `index` directory, also kept on disk (openclaw/session-index.ts) so that a restarted gateway's
 * first read of a transcript continues from there instead of parsing the whole file.
 */
export class SessionReadCache {
  private readonly lru: SizeBoundLru<SessionReadState>;
  readonly index: SessionIndexDir | null;
  constructor(maxBytes: number = CACHE_DEFAULTS.sessionReadCacheBytes, index: SessionIndexDir | null = null) {
    this.lru = new SizeBoundLru<SessionReadState>(maxBytes, (s) => s.staging.length + (s.scans?.bytes ?? 0));
    this.index = index;
  }
  get maxBytes(): number {
    return this.lru.maxBytes;
  }
  set maxBytes(bytes: number) {
    this.lru.maxBytes = bytes;
  }
  /** The read owns the state until it puts it back (a failed read must not leave half a state). */
  take(path: string): SessionReadState | undefined {
    return this.lru.take(path);
  }
  put(path: string, state: SessionReadState): void {
    // A bound of 0 keeps nothing (CTXC_OPENCLAW_READ_KEEP_MB=0); any other keeps at least the file just read.
    if (this.lru.maxBytes > 0) {
      this.lru.set(path, state);
      this.lru.trim(path);
    }
    if (this.index && !state.stopped) saveReadStateIfDue(this.index, path, state);
  }
  get size(): number {
    return this.lru.size;
  }
}

/** Why `state` cannot continue on the open file (null: it can): the append check and {@link rewrittenInPlace}. */
function verifyState(state: SessionReadState, fd: number, st: FileStat, maxLineBytes: number): string | null {
  if (rewrittenInPlace(state, st, state.stopped)) return "rewritten";
  return state.check.verify(fd, st, state.end) ?? (maxLineBytes !== state.maxLineBytes ? "options" : null);
}

/** Which per-line scans a read runs for the records it sends (see {@link encodeSessionBuffer}). */
export interface SessionScans {
  /** Locate each line's members (the FIELDS section). */
  fields: boolean;
  /** Flag each canonical-JSON line (`RecordFlag.canonical`). */
  canonical: boolean;
}

/** The fstat fields a read state is checked against. */
type FileStat = { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number };

/** The least headroom a grown staging buffer gets (a small file's appends do not copy it every turn). */
const STAGING_MIN_HEADROOM = 64 * 1024;

function newState(st: FileStat, maxLineBytes: number): SessionReadState {
  return {
    generation: randomUUID(), check: new AppendCheck(st.dev, st.ino), maxLineBytes, end: 0, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, nextLineNo: 1, lines: 0,
    staging: Buffer.allocUnsafe(Math.max(1, st.size)), used: 0, records: [], header: undefined, diagnostics: [],
    repair: new RepairCheck(), leafInfo: new LeafInfoScan(), recent: new RecentConversationIndex(), lastUsed: 0, savedEnd: -1,
  };
}

/**
 * The state to continue from and where it came from: this worker's memory, else the persistent index
 * (verified against the open file there), else none. A kept state that no longer fits the file means the
 * file changed other than by appends since this worker read it (a rewrite, a replacement): an older
 * saved state fits only if the change lies wholly after its end, which is not worth loading the index
 * on every rewrite; the read starts over, and saves the new state — but for a rewrite that changed only
 * the first line (header-rebase.ts), whose kept state is moved onto the new file by a byte compare.
 */
function stateToContinue(
  cache: SessionReadCache | undefined,
  path: string,
  fd: number,
  st: Stats,
  maxLineBytes: number,
): { state: SessionReadState | undefined; index: SessionMeta["index"] } {
  const kept = cache?.take(path);
  if (kept) {
    if (verifyState(kept, fd, st, maxLineBytes) === null) return { state: kept, index: "memory" };
    // Rewritten with another first line and the rest as it was (2026.7.35's header rewrite): the same records, compared, not parsed.
    const rebased = rebaseOnNewHeader(kept, fd, st, maxLineBytes);
    return rebased ? { state: rebased, index: "rebased" } : { state: undefined, index: "none" };
  }
  if (!cache?.index) return { state: undefined, index: "none" };
  const loaded = loadReadState(cache.index, path, fd, st, maxLineBytes);
  return { state: loaded.state ?? undefined, index: loaded.source };
}

/** One read of a transcript: its meta, and for a loaded session the entries that go into the buffer. */
interface SessionRead {
  meta: SessionMeta;
  records: Rec[];
  entryBytes: Buffer;
  flags: number;
  /** The read's state (also when it is not kept: a torn tail); undefined for a missing file. */
  state?: SessionReadState;
  /** False when the read stopped early ({@link readRepairCheck}); `meta.bytes` is then where. */
  complete: boolean;
  /** With RepairCheckOptions.snapshot: the bigint fstat taken after the open, before the read. */
  snapshot?: RepairSnapshotWire;
}

/**
 * Reads `path` and returns the session buffer (transferable). Throws CtxcError for I/O failures other
 * than absence. With a `cache` (the worker's), a file read before and only appended to since costs
 * the appended lines; `meta.readFrom` says where this read started parsing (0: the whole file).
 *
 * With `continueFrom` (what the caller kept of an earlier read of this worker), the buffer holds only
 * the records the caller does not have — when its records are still records of this worker's state for
 * the file (same generation, so the append check has held since, and they end where the caller says):
 * `meta.base` says how many it found still valid, 0 when none and the buffer holds every record. `whole`:
 * every record all the same (a caller that needs all the bytes, e.g. to scan them), `meta.base` still
 * saying which of them the caller has. `fields` false: no FIELDS pass — every record's descriptor is
 * NO_FIELDS (a reader parses such a line whole), for a caller that never builds entries from the members
 * (OpenClaw 2026.5.28+, whose open parses the lines itself): at 28 MB the pass is ~0.3 s of the read.
 * `canonical` false: no canonical-line scan — every record's `RecordFlag.canonical` unset — for a caller
 * that never checks exactness (pi's own open on 2026.5.12–5.27): ~0.1 s of the read at 28 MB.
 */
export function encodeSessionBuffer(
  path: string,
  options: SessionBufferOptions = {},
  cache?: SessionReadCache,
  continueFrom?: SessionContinuation,
  whole = false,
  scans: SessionScans = { fields: true, canonical: true },
): ArrayBuffer {
  const read = readSession(path, options, cache, continueFrom);
  // What earlier buffers of this state scanned (record-scans.ts); only for the state's own records (a
  // read that is not "loaded" sends none).
  const s = read.state;
  const kept = s && read.records === s.records ? (s.scans ??= new KeptScans()) : new KeptScans();
  return encode(read.meta, read.records, read.entryBytes, linkRecords(read.records, read.flags), read.flags, whole ? 0 : read.meta.base, scans, kept);
}

/**
 * The lines OpenClaw's recent-conversation read can use (recent-lines.ts), from the same (continued)
 * read; a string when ctxc cannot tell (missing file, a line it skipped unread).
 */
export function readRecentLines(path: string, options: SessionBufferOptions, cache: SessionReadCache | undefined, query: RecentLinesQuery): RecentLinesReply | string {
  const read = readSession(path, options, cache, undefined);
  const s = read.state;
  if (!s) return `status ${read.meta.status}`;
  if (s.recent.unknownReason !== null) return s.recent.unknownReason;
  const { records, exhausted } = s.recent.select(query);
  const lines = records.map((i) => {
    const r = s.records[i]!;
    return s.staging.toString("utf8", r.offset, r.offset + r.length);
  });
  return { lines, exhausted, file: read.meta.file, index: read.meta.index, readFrom: read.meta.readFrom };
}

/** What {@link readMayHoldKey} answers when ctxc can tell. */
export interface MayHoldKeyReply {
  /** False only when no entry line of the file can hold the key (idempotency.ts). */
  mayHold: boolean;
  /** The file as the worker read it (the caller checks it is still the file), and the bytes read. */
  file: SessionMeta["file"];
  bytes: number;
  /** Where the read's state came from and where it started parsing (the preload's index tally). */
  index: SessionMeta["index"];
  readFrom: number;
  /**
   * Asked for (`keys`): every idempotency key a line of the file holds (idempotency.ts `addKeysOfRecords`), so the
   * main thread can answer later lookups itself from them plus the lines appended since (kept-keys.ts).
   * Absent when not asked for or more than {@link MAX_REPLY_KEYS}.
   */
  keys?: string[];
}

/** Keys sent back at most (a transcript holds one per user turn or delivery mirror; more is not worth the reply). */
export const MAX_REPLY_KEYS = 100_000;

/**
 * Whether OpenClaw's idempotency-key lookup can find `key` in the transcript, from the same (continued)
 * read: the scan of every entry line's bytes runs here, so the gateway thread gets one boolean. A string
 * when ctxc's read is not what OpenClaw's backward parse reads (any diagnostic, a v1/v2 file, no header).
 */
export function readMayHoldKey(path: string, options: SessionBufferOptions, cache: SessionReadCache | undefined, key: string, wantKeys = false): MayHoldKeyReply | string {
  const read = readSession(path, options, cache, undefined);
  const { meta } = read;
  if (meta.status !== "loaded") return `status ${meta.status}`;
  if (meta.diagnostics.length > 0) return `file has ${meta.diagnostics.length} diagnostic(s), first ${meta.diagnostics[0]!.code}`;
  if (read.flags & (SessionFlag.migrateV1 | SessionFlag.migrateV2)) return "file needs v1/v2 migration (OpenClaw rewrites it)";
  if (read.records[0]?.type !== EntryTypeCode.session) return "first line is not the session header";
  // With `wantKeys`: byte searches for the member name over the whole read, a parse of only the lines they land in.
  const { mayHold, keys } = lookupInRecords(read.entryBytes, read.records, key, wantKeys);
  const reply: MayHoldKeyReply = { mayHold, file: meta.file, bytes: meta.bytes, index: meta.index, readFrom: meta.readFrom };
  if (keys && keys.size <= MAX_REPLY_KEYS) reply.keys = [...keys];
  return reply;
}

/**
 * What OpenClaw's repair pass needs to know, from the same (continued) read, without assembling the
 * buffer (no FIELDS pass, no transfer): the meta with the repair facts, and with `images` the lines of
 * the records the 2026.6.5+ image rule judges. The read stops at the first chunk after which the facts'
 * `common` reason is set (repair-check.ts `verdictSettled`): the release's pass then rewrites the file
 * (or decides itself) whatever follows, and a read of the rest would be thrown away with the old bytes.
 * The state is kept where it stopped, so a read of the unchanged file continues from there.
 */
export function readRepairCheck(path: string, options: SessionBufferOptions, cache: SessionReadCache | undefined, check: RepairCheckOptions): RepairCheckReply {
  const read = readSession(path, options, cache, undefined, check);
  const s = read.state;
  const wanted = check.images && read.complete && s ? (check.allImages ? imageMessagesOf(s) : (read.meta.repairFacts?.imageRecords ?? [])) : [];
  // The image records whose lines end before the state's end (complete lines: the same in any continuation).
  let settled = 0;
  while (settled < wanted.length && isSettled(s!, wanted[settled]!)) settled++;
  const seen = check.imagesFrom;
  let from = seen && seen.generation === s?.generation && Number.isInteger(seen.records) && seen.records >= 0 && seen.records <= settled ? seen.records : 0;
  if (check.allImages) from = 0;
  else if (s && typeof check.judge === "string" && read.complete) from = judgedFrom(cache, path, s, check.judge, from, settled);
  const lineOf = (i: number) => {
    const r = s!.records[i]!;
    return s!.staging.subarray(r.offset, r.offset + r.length);
  };
  // The release's judge in this worker (image-judge.ts), when the check names it: the lines it finds clean
  // are not sent. Of the pass's lines, a run from `from` — the pass's bookkeeping counts image records from
  // the first — remembered for the judge as the pass's report would be; of all lines (judging ahead), each.
  const judge = s ? imageJudgeNamed(check.judge) : undefined;
  let judgedInWorker = 0;
  let rest = wanted.slice(from);
  if (judge && check.allImages) {
    rest = rest.filter((i) => !imageLineClean(judge, lineOf(i)));
    judgedInWorker = wanted.length;
  } else if (judge && read.complete) {
    const start = from;
    while (from < settled && imageLineClean(judge, lineOf(wanted[from]!))) from++;
    judgedInWorker = Math.min(settled, from + 1) - start;
    if (from > start) judgedFrom(cache, path, s!, check.judge!, from, settled);
    rest = wanted.slice(from);
  }
  const imageLines = rest.map((i) => lineOf(i).toString("utf8"));
  const reply: RepairCheckReply = { meta: read.meta, complete: read.complete, imageLines, imageLinesFrom: from, imageRecordsSettled: settled, imageLinesJudgedInWorker: judgedInWorker };
  if (check.snapshot) reply.snapshot = read.snapshot ?? null;
  return reply;
}

/**
 * Where the image lines to send start, given what the caller's `imagesFrom` says it judged of this state
 * (`from`): that, remembered for `judge` in the state (and saved to the persistent index when it adds to
 * what was saved: a restart should not judge them again); or, with no `imagesFrom` that fits, what `judge`
 * judged clean of this state before — after a restart, as restored from the index (the state's complete
 * lines are the bytes that were judged: the index verified them).
 */
function judgedFrom(cache: SessionReadCache | undefined, path: string, s: SessionReadState, judge: string, from: number, settled: number): number {
  const known = s.judged;
  if (from === 0) return known && known.judge === judge && known.records <= settled ? known.records : 0;
  if (!known || known.judge !== judge || known.records < from) s.judged = { judge, records: from };
  if (cache?.index && !s.stopped) {
    // Put back as kept (`put` saves when due): the state itself, when the read kept it (a torn tail is not kept).
    const key = resolve(path);
    const kept = cache.take(key);
    if (kept) cache.put(key, kept);
  }
  return from;
}

/** The meta {@link encodeSessionBuffer} would carry, from the same read, without assembling the buffer. */
export function readSessionMeta(path: string, options: SessionBufferOptions = {}, cache?: SessionReadCache): SessionMeta {
  return readSession(path, options, cache, undefined).meta;
}

/**
 * How many records of `s` the caller of `continueFrom` has, or 0 when they are not records of this state
 * ending at its byte offset: same generation, and the offset falls between the last record it has and
 * the first it has not (the records of one generation only ever grow, in file order).
 */
function continuedBase(s: SessionReadState, c: SessionContinuation | undefined, bytes: number, file: FileIdentityWire): number {
  if (c?.file) return sameFileWhole(s, c, bytes, file) ? c.records : 0;
  if (!c || c.generation !== s.generation) return 0;
  const n = c.records;
  if (!Number.isInteger(n) || n <= 0 || n > s.records.length || !Number.isInteger(c.bytes) || c.bytes > bytes) return 0;
  const last = s.records[n - 1]!;
  if (last.fileOffset + last.length + 1 > c.bytes) return 0;
  if (n < s.records.length && s.records[n]!.fileOffset < c.bytes) return 0;
  return n;
}

/**
 * Whether a caller's records of the file with identity `c.file` (SessionContinuation.file) are this read's
 * records, all of them: the read saw that very identity (dev, ino, size, mtime, ctime of its fstat), read
 * all of it (`bytes`, the state's end, the size: nothing torn), and found exactly `c.records` records, one
 * per line. Both sides then stand for every line of the same bytes.
 */
function sameFileWhole(s: SessionReadState, c: SessionContinuation, bytes: number, file: FileIdentityWire): boolean {
  const f = c.file!;
  const same = f.dev === file.dev && f.ino === file.ino && f.size === file.size && f.mtimeMs === file.mtimeMs && f.ctimeMs === file.ctimeMs;
  return same && c.bytes === bytes && bytes === file.size && s.end === bytes && c.records === s.records.length && c.records > 0 && s.lines === c.records;
}

/** SessionMeta.contiguous: the records from `base` are the lines from `from` to `bytes`, back to back, each with its "\n". */
function contiguousFrom(records: Rec[], base: number, from: number, bytes: number): boolean {
  let at = from;
  for (let i = base; i < records.length; i++) {
    const r = records[i]!;
    if (r.fileOffset !== at) return false;
    at += r.length + 1;
  }
  return at === bytes;
}

function readSession(
  path: string,
  options: SessionBufferOptions,
  cache: SessionReadCache | undefined,
  continueFrom: SessionContinuation | undefined,
  repairCheck?: RepairCheckOptions,
): SessionRead {
  const absolute = resolve(path);
  const maxLineBytes = options.maxLineBytes ?? DEFAULTS.maxLineBytes;
  // O_NONBLOCK (io/open-file.ts): a FIFO is refused as not a file instead of blocking until a writer comes.
  const opened = openTranscript(absolute, { missing: "null" });
  if (opened === null) {
    const meta: SessionMeta = {
      path: absolute, status: "missing", bytes: 0, lines: 0, file: null, diagnostics: [], repair: "missing file (OpenClaw decides)", repairFacts: null, readFrom: 0, leafInfo: null, index: "none",
      generation: null, base: 0, contiguous: true,
    };
    return { meta, records: [], entryBytes: Buffer.alloc(0), flags: 0, complete: true };
  }
  const { fd, stats: st } = opened;
  try {
    // OpenClaw's "before read" snapshot of these bytes (src/openclaw/repair-pass.ts): after `st`, before any read.
    const snapshot = repairCheck?.snapshot ? repairSnapshotOf(fd) : undefined;
    if (options.startOver) cache?.take(absolute);
    const { state, index } = options.startOver ? { state: undefined, index: "none" as const } : stateToContinue(cache, absolute, fd, st, maxLineBytes);
    const s = state ?? newState(st, maxLineBytes);
    const readFrom = s.end;
    // A repair check stops once the repair verdict is settled.
    const stop = repairCheck ? () => s.repair.verdictSettled : undefined;
    const { result, complete } = readNewLines(fd, s, st.size, options.chunkBytes ?? DEFAULTS.chunkBytes, stop, options.read);
    s.mtimeMs = st.mtimeMs;
    s.ctimeMs = st.ctimeMs;
    s.stopped = !complete;
    // Not kept: a torn tail (its line is in `s` now, and the next read must continue before it), and a read
    // that finished a line past the size `st` gave — an append landed after the fstat, and the state's times
    // (st's) are older than bytes it holds. Kept, the next read would find the file exactly that size with
    // moved times, take it for rewritten in place (rewrittenInPlace) and start over from nothing — also past
    // the persistent index, losing what the index kept (the image lines judged clean, issue #11). Not kept,
    // the next read continues from the index (or starts over where there is none), as after a torn tail.
    const keep = cache !== undefined && result.torn === null && result.end <= st.size;
    readTornTail(fd, s, result);
    const file = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev };
    // A stopped read stands for the lines up to where it stopped (the bytes read past them are not used).
    const bytes = complete ? result.bytesRead + readFrom : s.end;
    const base = continuedBase(s, continueFrom, bytes, file);
    const meta: SessionMeta = {
      path: absolute, status: sessionStatus(s), bytes, lines: s.lines, file, diagnostics: s.diagnostics,
      // The repair facts (up to 4,097 tool-result ids, the image records: ~6 ms to build at 28 MB) only for a
      // repair check, their one user (src/openclaw/repair-pass.ts); every other read sends null.
      repair: s.repair.verdict(), repairFacts: repairCheck ? s.repair.facts(repairCheck.idLimits) : null, readFrom, leafInfo: s.leafInfo.result(), index,
      generation: s.generation, base, contiguous: contiguousFrom(s.records, base, base > 0 ? continueFrom!.bytes : 0, bytes),
    };
    if (meta.status !== "loaded") {
      meta.base = 0;
      if (keep) cache.put(absolute, s);
      return { meta, records: [], entryBytes: Buffer.alloc(0), flags: 0, state: s, complete, snapshot };
    }
    // pi: version = (first session-type entry).version ?? 1 (pi/migrate.ts).
    const migrations = migrationsFor(s.header!.version);
    const flags = (migrations.v1 ? SessionFlag.migrateV1 : 0) | (migrations.v2 ? SessionFlag.migrateV2 : 0);
    // v1/v2 files are migrated and rewritten by pi on open: nothing to continue from.
    if (keep && flags === 0) cache.put(absolute, s);
    return { meta, records: s.records, entryBytes: s.staging.subarray(0, s.used), flags, state: s, complete, snapshot };
  } finally {
    closeSync(fd);
  }
}

/** Marks every image block's line: a `"image"` string somewhere in it (a cheap byte test first). */
const IMAGE_MARK = Buffer.from('"image');

/**
 * The records of `s` that are message entries with a block the image rule looks at (repair-check.ts
 * `hasCheckedImage`), whatever else the file holds (RepairCheckOptions.allImages). Lines without the bytes
 * `"image` cannot have one (the block's `type` member is that string) and are not parsed.
 */
function imageMessagesOf(s: SessionReadState): number[] {
  const out: number[] = [];
  const bytes = s.staging.subarray(0, s.used);
  let mark = -2; // the next mark at or after the record's start (records lie in staging in file order)
  for (let i = 0; i < s.records.length; i++) {
    const r = s.records[i]!;
    if (mark < r.offset && mark !== -1) mark = bytes.indexOf(IMAGE_MARK, r.offset);
    if (mark === -1) break;
    if (mark < r.offset || mark + IMAGE_MARK.length > r.offset + r.length) continue;
    try {
      const value = JSON.parse(s.staging.toString("utf8", r.offset, r.offset + r.length)) as { type?: unknown; message?: { content?: unknown } | null };
      if (value?.type === "message" && typeof value.message === "object" && value.message !== null && hasCheckedImage(value.message.content)) out.push(i);
    } catch {
      // not JSON: no image message (the pass drops the line)
    }
  }
  return out;
}

/** Whether record `i` of `s` is a complete line of the state (its "\n" before `s.end`), not a torn last line read past it. */
function isSettled(s: SessionReadState, i: number): boolean {
  const r = s.records[i]!;
  return r.fileOffset + r.length < s.end;
}

/** OpenClaw's repair snapshot fields (`readSessionRepairSnapshot`: `fs.stat(file, {bigint: true})`) of the open file. */
function repairSnapshotOf(fd: number): RepairSnapshotWire {
  return snapshotOf(fstatSync(fd, { bigint: true }));
}

/** What pi's `SessionManager.open` makes of what was read (status "loaded", or why it would start fresh). */
function sessionStatus(s: SessionReadState): SessionStatus {
  const first = s.header;
  if (s.records.length === 0) return "empty";
  if (first?.type !== "session" || typeof first.id !== "string") return "invalid-header";
  return "loaded";
}

/** One line into the state, by pi's line rule (pi/parse-line.ts), with OpenClaw's repair and leaf-scan views of it. */
function ingestLine(s: SessionReadState, raw: Buffer, lineNo: number, offset: number): void {
  s.lines++;
  const line = parseLine(raw, lineNo, offset); // pi's trim() drops a BOM
  if (line.bom) s.repair.unknown("a byte-order mark (OpenClaw's repair reads it as part of the header line)");
  if (line.kind === "blank") return;
  if (line.kind === "malformed") {
    s.recent.malformed(line.bytes);
    s.repair.malformed();
    s.diagnostics.push({ code: "MALFORMED_LINE", line: lineNo, message: "not valid JSON; skipped (as pi)" });
    return;
  }
  s.repair.entry(line.value, line.kind === "non-object" ? -1 : s.records.length);
  if (!line.bom) s.leafInfo.line(line.value); // with its BOM the line is not JSON to OpenClaw's scan
  if (line.kind === "non-object") {
    s.diagnostics.push({ code: "NON_OBJECT_LINE", line: lineNo, message: "not an entry object; skipped" });
    return;
  }
  const { bytes, value } = line;
  s.recent.line(value, s.records.length);
  if (s.used + bytes.length > s.staging.length) {
    const grown = Buffer.allocUnsafe(fileBytesCapacity(s.used + bytes.length, STAGING_MIN_HEADROOM));
    s.staging.copy(grown, 0, 0, s.used);
    s.staging = grown;
  }
  // `set`, not `Buffer#copy`: per line, copy's argument checks and the view it makes cost about what the bytes do.
  s.staging.set(bytes, s.used);
  const hasId = Object.hasOwn(value, "id");
  const id = value.id;
  s.records.push({
    offset: s.used,
    fileOffset: line.offset,
    length: bytes.length,
    line: lineNo,
    type: entryTypeCode(value.type),
    idKind: !hasId ? IdKind.absent : typeof id === "string" ? IdKind.string : IdKind.json,
    idKey: !hasId ? "" : typeof id === "string" ? id : JSON.stringify(id) ?? "",
    id,
    parentId: value.parentId,
    parent: -1,
  });
  if (s.records.length === 1) s.header = value;
  s.used += bytes.length;
}

/**
 * Reads the complete lines after `s.end` into `s`; the state then ends on the last complete line. With
 * `stop`: asked after each chunk, a true ends the read there (`complete` false; the state still ends on
 * the last complete line, and the next read continues from it).
 */
function readNewLines(fd: number, s: SessionReadState, size: number, chunkBytes: number, stop?: () => boolean, read?: ReadFn): { result: ReadLinesResult; complete: boolean } {
  // The append check's bytes as read, from the reader's chunks (a skipped line's too): the file's first
  // CHECK_BYTES and the last CHECK_BYTES before the end of the last complete line.
  const keepHead = { bytes: CHECK_BYTES, before: s.check.headBytes };
  const keepTail = { bytes: CHECK_BYTES, before: s.check.tailBytes };
  const reader = new LineReader(fd, s.end, s.nextLineNo, { chunkBytes, maxLineBytes: s.maxLineBytes, until: size, read, keepHead, keepTail }, {
    onLine: (bytes, offset, lineNo) => ingestLine(s, bytes, lineNo, offset),
    onOversize: (offset, lineNo, length) => {
      s.lines++;
      s.repair.unknown("a line too long to check");
      s.leafInfo.unknown("a line too long to read");
      s.recent.unknown("a line too long to read");
      s.diagnostics.push({ code: "LINE_TOO_LONG", line: lineNo, message: `line of ${length} bytes skipped` });
    },
  });
  // Nothing to read when the verdict was settled before (a state continued from a stopped read).
  let stopped = stop !== undefined && stop();
  while (!stopped && reader.step()) stopped = stop !== undefined && stop();
  const result = reader.result();
  s.check.setHead(reader.head);
  s.check.setTail(reader.tail);
  s.end = result.end;
  s.nextLineNo = result.nextLineNo;
  // Stopped exactly at the end of the file: nothing was left (and no torn tail: the last line had its "\n").
  return { result, complete: !stopped || result.end >= size };
}

/**
 * pi reads the whole file: a last line without "\n" is still parsed when it is valid JSON. It is not kept
 * in the state (the next read continues before it). readAt loops over short reads.
 */
function readTornTail(fd: number, s: SessionReadState, result: ReadLinesResult): void {
  const torn = result.torn;
  if (!torn) return;
  if (torn.length <= s.maxLineBytes) {
    ingestLine(s, readAt(fd, torn.offset, torn.offset + torn.length), torn.lineNo, torn.offset);
  } else {
    s.repair.unknown("a last line too long to check");
    s.leafInfo.unknown("a last line too long to read");
    s.recent.unknown("a last line too long to read");
  }
}

/** Sets each record's parent index and returns the leaf (-1: none), as pi's `SessionManager` finds them. */
function linkRecords(records: Rec[], flags: number): number {
  let leaf = -1;
  if (flags & SessionFlag.migrateV1) {
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (r.type === EntryTypeCode.session) continue;
      r.idKind = IdKind.synthetic;
      r.idKey = syntheticV1Id(i);
      r.parent = leaf;
      leaf = i;
    }
    return leaf;
  }
  // Parents exactly as pi's walk finds them: byId over non-session entries, the last entry per id wins.
  const byId = new Map<unknown, number>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.type === EntryTypeCode.session) continue;
    byId.set(r.id, i);
    leaf = i;
  }
  for (const r of records) if (r.type !== EntryTypeCode.session && r.parentId) r.parent = byId.get(r.parentId) ?? -1;
  return leaf;
}

/** Whether typed arrays are little-endian here (the buffer's integers always are). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Assembles the buffer from the read's records, all of them (`first` 0) or (a continued read) those from
 * `first` on: only what the caller does not have is copied and transferred.
 */
function encode(meta: SessionMeta, allRecords: Rec[], allEntryBytes: Buffer, allLeaf: number, flags: number, first: number, scans: SessionScans, kept: KeptScans): ArrayBuffer {
  const status = meta.status;
  const records = first === 0 ? allRecords : allRecords.slice(first);
  const bytesFrom = first === 0 ? 0 : records.length > 0 ? records[0]!.offset : allEntryBytes.length;
  const entryBytes = first === 0 ? allEntryBytes : allEntryBytes.subarray(bytesFrom);
  const leaf = allLeaf >= first ? allLeaf - first : -1;
  let sessionRecords = 0;
  for (let i = 0; i < records.length; i++) if (records[i]!.type === EntryTypeCode.session) sessionRecords++;
  // This buffer's count, beside the read's meta (a continued read's buffer holds only the records from `first` on).
  const metaBytes = Buffer.from(JSON.stringify({ ...meta, sessionRecords } satisfies SessionMeta), "utf8");
  let idText = "";
  const idStarts = new Uint32Array(records.length);
  for (let i = 0; i < records.length; i++) {
    idStarts[i] = idText.length;
    idText += records[i]!.idKey;
  }
  const idBytes = Buffer.from(idText, "utf8");
  // The two scans serve different readers: FIELDS pi's SessionManager.open (2026.5.12–5.27), the
  // canonical flags 2026.6.9+'s exactness checks; the preload asks each read for the one its release
  // uses. A flag left unset is the conservative answer (the main thread serialises that line to check).
  // Records an earlier buffer of this state scanned are not scanned again (record-scans.ts).
  const { fields, layouts } = scans.fields ? kept.fieldSections(allRecords, allEntryBytes, first) : noFields(records.length);
  const recordFlags = scans.canonical ? kept.canonicalFlags(allRecords, allEntryBytes, first) : new Uint16Array(records.length);
  const sizes = [metaBytes.length, records.length * SESSION_RECORD_BYTES, idBytes.length, entryBytes.length, fields.byteLength, layouts.length];
  // FIELDS and RECORDS start on a multiple of 4 (a gap of up to 3 bytes before each) so the decoder reads
  // their u32 words in place (RECORDS: every record's line offset on a first open, buffer-entries.ts).
  const offsets: number[] = [];
  let at = SESSION_HEADER_BYTES;
  for (let s = 0; s < SESSION_SECTION_COUNT; s++) {
    if (s === SessionSection.FIELDS || s === SessionSection.RECORDS) at = (at + 3) & ~3;
    offsets.push(at);
    at += sizes[s]!;
  }
  const total = at;
  const buffer = new ArrayBuffer(total);
  const view = new DataView(buffer);
  const out = new Uint8Array(buffer);
  view.setUint32(SessionHeader.magic, SESSION_MAGIC, true);
  view.setUint16(SessionHeader.version, SESSION_LAYOUT_VERSION, true);
  view.setUint16(SessionHeader.flags, flags | (status === "loaded" ? 0 : SessionFlag.fresh), true);
  view.setUint32(SessionHeader.totalBytes, total, true);
  view.setUint32(SessionHeader.recordCount, records.length, true);
  view.setInt32(SessionHeader.leafIndex, leaf, true);
  view.setUint32(SessionHeader.firstRecord, first, true);
  for (let s = 0; s < SESSION_SECTION_COUNT; s++) {
    view.setUint32(SessionHeader.sectionTable + s * 8, offsets[s]!, true);
    view.setUint32(SessionHeader.sectionTable + s * 8 + 4, sizes[s]!, true);
  }
  out.set(metaBytes, offsets[SessionSection.META]!);
  const base = offsets[SessionSection.RECORDS]!;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const o = base + i * SESSION_RECORD_BYTES;
    view.setUint32(o + SessionRecord.offset, r.offset - bytesFrom, true);
    view.setUint32(o + SessionRecord.length, r.length, true);
    view.setInt32(o + SessionRecord.parent, r.parent >= first ? r.parent - first : -1, true);
    view.setUint32(o + SessionRecord.idStart, idStarts[i]!, true);
    view.setUint32(o + SessionRecord.idLength, r.idKey.length, true);
    view.setUint32(o + SessionRecord.line, r.line, true);
    view.setUint8(o + SessionRecord.type, r.type);
    view.setUint8(o + SessionRecord.idKind, r.idKind);
    view.setUint16(o + SessionRecord.flags, recordFlags[i]!, true);
  }
  out.set(idBytes, offsets[SessionSection.ID_TEXT]!);
  out.set(entryBytes, offsets[SessionSection.ENTRY_BYTES]!);
  const fieldsAt = offsets[SessionSection.FIELDS]!;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(fields.buffer, fields.byteOffset, fields.byteLength), fieldsAt);
  else for (let i = 0; i < fields.length; i++) view.setUint32(fieldsAt + i * 4, fields[i]!, true);
  out.set(layouts, offsets[SessionSection.LAYOUTS]!);
  return buffer;
}
