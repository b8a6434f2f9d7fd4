/**
 * Encodes a session transcript into the session buffer (native-free-workers/protocol/session-buffer-layout.ts) with
 * pi's `SessionManager.open` semantics, without ever writing the file.
 *
 * Why not TranscriptIndex: that index follows `parseSessionEntries` + `buildSessionContext(entries)`
 * (the header is in `byId`, v1 ids are `v1:<n>`), while `SessionManager` keeps session-type entries out
 * of `byId`, takes the leaf from the last non-session entry and migrates v1/v2 files. The line reading
 * (LineReader: raw `\n` split, oversize lines skipped unbuffered) is shared.
 *
 * Sync on purpose: it runs either in a worker (openSessionAsync) or inline for the synchronous
 * `openSession`, which must stand in for the synchronous `SessionManager.open`.
 */
import { closeSync, fstatSync, openSync } from "node:fs";
import { resolve } from "node:path";
import { CACHE_DEFAULTS, DEFAULTS } from "../protocol/defaults.js";
import { Errors } from "../protocol/errors.js";
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
  type SessionMeta,
  type SessionStatus,
} from "../protocol/session-buffer-layout.js";
import { AppendCheck, CHECK_BYTES } from "../session/append-check.js";
import { LineReader } from "../transcript/line-reader.js";
import { readAt } from "../transcript/read-at.js";
import { LeafInfoScan, type TranscriptLeafInfo } from "./leaf-info.js";
import { RepairCheck } from "./repair-check.js";

export interface SessionBufferOptions {
  /** Lines longer than this are skipped (pi would parse them). Default 256 MiB. */
  maxLineBytes?: number;
  /** Read size. Default 64 KiB. */
  chunkBytes?: number;
}

interface Rec {
  offset: number; // in staging
  length: number;
  line: number;
  type: number;
  idKind: number;
  idKey: string;
  id: unknown;
  parentId: unknown;
  parent: number;
}

const CURRENT_VERSION = 3;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** pi's `migrateV1ToV2` generates random 8-hex ids; ctxc derives them from the record number (deterministic). */
export function syntheticV1Id(record: number): string {
  return record.toString(16).padStart(8, "0");
}

/**
 * What a worker keeps about one transcript between session reads, so that the next read of the same
 * file parses only the lines appended since (OpenClaw opens the session on every turn). The entry
 * bytes and records are kept as they were ingested; the buffer is re-assembled from them (a copy, no
 * parse). Trusted only after the compiler's append check (session/append-check.ts), whose head and
 * tail bytes here both come from the lines as they were read, never re-read later (a rewrite landing
 * mid-read must not pass for the old bytes).
 */
export interface SessionReadState {
  check: AppendCheck;
  maxLineBytes: number;
  /** Offset just past the last complete line ingested. */
  end: number;
  nextLineNo: number;
  lines: number;
  staging: Buffer;
  used: number;
  records: Rec[];
  header: Record<string, unknown> | undefined;
  diagnostics: SessionMeta["diagnostics"];
  repair: RepairCheck;
  leafInfo: LeafInfoScan;
  lastUsed: number;
}

/** Per-worker states, least recently used evicted past `maxBytes` of kept entry bytes. */
export class SessionReadCache {
  private readonly states = new Map<string, SessionReadState>();
  constructor(public maxBytes: number = CACHE_DEFAULTS.sessionReadCacheBytes) {}
  take(path: string): SessionReadState | undefined {
    const s = this.states.get(path);
    this.states.delete(path); // the read owns it until put back (a failed read must not leave half a state)
    return s;
  }
  put(path: string, state: SessionReadState): void {
    state.lastUsed = performance.now();
    this.states.set(path, state);
    let total = 0;
    for (const s of this.states.values()) total += s.staging.length;
    while (total > this.maxBytes && this.states.size > 1) {
      let oldest: string | undefined;
      let t = Infinity;
      for (const [k, v] of this.states) if (k !== path && v.lastUsed < t) [oldest, t] = [k, v.lastUsed];
      if (oldest === undefined) break;
      total -= this.states.get(oldest)!.staging.length;
      this.states.delete(oldest);
    }
  }
  get size(): number {
    return this.states.size;
  }
}

/** Why `state` cannot continue on the open file (null: it can). */
function verifyState(state: SessionReadState, fd: number, st: { dev: number; ino: number; size: number }, maxLineBytes: number): string | null {
  return state.check.verify(fd, st, state.end) ?? (maxLineBytes !== state.maxLineBytes ? "options" : null);
}

function newState(st: { dev: number; ino: number; size: number }, maxLineBytes: number): SessionReadState {
  return {
    check: new AppendCheck(st.dev, st.ino), maxLineBytes, end: 0, nextLineNo: 1, lines: 0,
    staging: Buffer.allocUnsafe(Math.max(1, st.size)), used: 0, records: [], header: undefined, diagnostics: [],
    repair: new RepairCheck(), leafInfo: new LeafInfoScan(), lastUsed: 0,
  };
}

/** One read of a transcript: its meta, and for a loaded session the entries that go into the buffer. */
interface SessionRead {
  meta: SessionMeta;
  records: Rec[];
  entryBytes: Buffer;
  flags: number;
}

/**
 * Reads `path` and returns the session buffer (transferable). Throws CtxcError for I/O failures other
 * than absence. With a `cache` (the worker's), a file read before and only appended to since costs
 * the appended lines; `meta.readFrom` says where this read started parsing (0: the whole file).
 */
export function encodeSessionBuffer(path: string, options: SessionBufferOptions = {}, cache?: SessionReadCache): ArrayBuffer {
  const read = readSession(path, options, cache);
  return encode(read.meta, read.records, read.entryBytes, linkRecords(read.records, read.flags), read.flags);
}

/** The meta {@link encodeSessionBuffer} would carry, from the same read, without assembling the buffer. */
export function readSessionMeta(path: string, options: SessionBufferOptions = {}, cache?: SessionReadCache): SessionMeta {
  return readSession(path, options, cache).meta;
}

function readSession(path: string, options: SessionBufferOptions, cache: SessionReadCache | undefined): SessionRead {
  const absolute = resolve(path);
  const maxLineBytes = options.maxLineBytes ?? DEFAULTS.maxLineBytes;
  let fd: number;
  try {
    fd = openSync(absolute, "r");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") {
      const meta: SessionMeta = { path: absolute, status: "missing", bytes: 0, lines: 0, file: null, diagnostics: [], repair: "missing file (OpenClaw decides)", readFrom: 0, leafInfo: null };
      return { meta, records: [], entryBytes: Buffer.alloc(0), flags: 0 };
    }
    throw Errors.fromTranscriptIo(absolute, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Errors.transcriptNotAFile(absolute, st.isDirectory() ? "directory" : "special file");
    let state = cache?.take(absolute);
    if (state && verifyState(state, fd, st, maxLineBytes) !== null) state = undefined;
    const s = state ?? newState(st, maxLineBytes);
    const readFrom = s.end;
    const tail = new TailWindow(s.check.tailBytes);
    const ingest = (bytes: Buffer, lineNo: number) => {
      s.lines++;
      let bom = false;
      if (lineNo === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3); // pi's trim() drops a BOM
        bom = true;
        s.repair.unknown("a byte-order mark (OpenClaw's repair reads it as part of the header line)");
      }
      const text = bytes.toString("utf8");
      if (text.trim() === "") return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        s.repair.malformed();
        s.diagnostics.push({ code: "MALFORMED_LINE", line: lineNo, message: "not valid JSON; skipped (as pi)" });
        return;
      }
      s.repair.entry(value);
      if (!bom) s.leafInfo.line(value); // with its BOM the line is not JSON to OpenClaw's scan
      if (!isObject(value)) {
        s.diagnostics.push({ code: "NON_OBJECT_LINE", line: lineNo, message: "not an entry object; skipped" });
        return;
      }
      if (s.used + bytes.length > s.staging.length) {
        const grown = Buffer.allocUnsafe(Math.max(s.used + bytes.length, Math.ceil(s.staging.length * 1.5)));
        s.staging.copy(grown, 0, 0, s.used);
        s.staging = grown;
      }
      bytes.copy(s.staging, s.used);
      const hasId = Object.hasOwn(value, "id");
      const id = value.id;
      s.records.push({
        offset: s.used,
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
    };
    // Check bytes from the raw lines as read (with their `\n`; `raw` is only valid during the call, so
    // both copy): the head (AppendCheck), and the last CHECK_BYTES before the end of the last complete
    // line, after the last line skipped unread.
    const observe = (raw: Buffer | null, offset: number, length: number) => {
      s.check.observeLine(offset, length, raw);
      if (!raw) return tail.reset();
      tail.push(raw);
      tail.push(NEWLINE);
    };
    const reader = new LineReader(
      fd,
      s.end,
      s.nextLineNo,
      { chunkBytes: options.chunkBytes ?? DEFAULTS.chunkBytes, maxLineBytes, until: st.size },
      {
        onLine: (bytes, offset, lineNo) => {
          observe(bytes, offset, bytes.length);
          ingest(bytes, lineNo);
        },
        onOversize: (offset, lineNo, length) => {
          observe(null, offset, length);
          s.lines++;
          s.repair.unknown("a line too long to check");
          s.leafInfo.unknown("a line too long to read");
          s.diagnostics.push({ code: "LINE_TOO_LONG", line: lineNo, message: `line of ${length} bytes skipped` });
        },
      },
    );
    while (reader.step());
    const result = reader.result();
    // The state (if kept) ends here, on a complete line.
    s.check.setTail(tail.value());
    s.end = result.end;
    s.nextLineNo = result.nextLineNo;
    const keep = cache !== undefined && result.torn === null;
    if (result.torn && result.torn.length <= maxLineBytes) {
      // pi reads the whole file: a last line without "\n" is still parsed when it is valid JSON.
      // readAt loops over short reads: a single read() may return only part of the tail.
      ingest(readAt(fd, result.torn.offset, result.torn.offset + result.torn.length), result.torn.lineNo);
    } else if (result.torn) {
      s.repair.unknown("a last line too long to check");
      s.leafInfo.unknown("a last line too long to read");
    }
    const file = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
    let status: SessionStatus = "loaded";
    const first = s.header;
    if (s.records.length === 0) status = "empty";
    else if (first?.type !== "session" || typeof first.id !== "string") status = "invalid-header";
    const meta: SessionMeta = {
      path: absolute, status, bytes: result.bytesRead + readFrom, lines: s.lines, file, diagnostics: s.diagnostics,
      repair: s.repair.verdict(), readFrom, leafInfo: s.leafInfo.result(),
    };
    if (status !== "loaded") {
      if (keep) cache.put(absolute, s);
      return { meta, records: [], entryBytes: Buffer.alloc(0), flags: 0 };
    }

    // pi: version = (first session-type entry).version ?? 1, migrate when < 3 (same JS comparisons).
    const version = (first!.version ?? 1) as number;
    let flags = 0;
    if (version < CURRENT_VERSION) {
      if (version < 2) flags |= SessionFlag.migrateV1;
      flags |= SessionFlag.migrateV2;
    }
    // v1/v2 files are migrated and rewritten by pi on open: nothing to continue from.
    if (keep && flags === 0) cache.put(absolute, s);
    return { meta, records: s.records, entryBytes: s.staging.subarray(0, s.used), flags };
  } finally {
    closeSync(fd);
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

const NEWLINE = Buffer.from("\n");

/** The last CHECK_BYTES of what was pushed, kept in a 4× buffer that is compacted only when full. */
class TailWindow {
  private readonly buf = Buffer.allocUnsafe(CHECK_BYTES * 4);
  private len = 0;
  constructor(initial: Buffer) {
    this.push(initial);
  }
  reset(): void {
    this.len = 0;
  }
  push(bytes: Buffer): void {
    if (bytes.length >= CHECK_BYTES) {
      bytes.copy(this.buf, 0, bytes.length - CHECK_BYTES);
      this.len = CHECK_BYTES;
      return;
    }
    if (this.len + bytes.length > this.buf.length) {
      // len > 3 × CHECK_BYTES here, so the kept window is whole.
      this.buf.copy(this.buf, 0, this.len - CHECK_BYTES, this.len);
      this.len = CHECK_BYTES;
    }
    bytes.copy(this.buf, this.len);
    this.len += bytes.length;
  }
  value(): Buffer {
    return Buffer.from(this.buf.subarray(Math.max(0, this.len - CHECK_BYTES), this.len));
  }
}

function encode(meta: SessionMeta, records: Rec[], entryBytes: Buffer, leaf: number, flags: number): ArrayBuffer {
  const status = meta.status;
  const metaBytes = Buffer.from(JSON.stringify(meta), "utf8");
  let idText = "";
  const idStarts = new Uint32Array(records.length);
  for (let i = 0; i < records.length; i++) {
    idStarts[i] = idText.length;
    idText += records[i]!.idKey;
  }
  const idBytes = Buffer.from(idText, "utf8");
  const sizes = [metaBytes.length, records.length * SESSION_RECORD_BYTES, idBytes.length, entryBytes.length];
  const total = SESSION_HEADER_BYTES + sizes.reduce((a, b) => a + b, 0);
  const buffer = new ArrayBuffer(total);
  const view = new DataView(buffer);
  const out = new Uint8Array(buffer);
  view.setUint32(SessionHeader.magic, SESSION_MAGIC, true);
  view.setUint16(SessionHeader.version, SESSION_LAYOUT_VERSION, true);
  view.setUint16(SessionHeader.flags, flags | (status === "loaded" ? 0 : SessionFlag.fresh), true);
  view.setUint32(SessionHeader.totalBytes, total, true);
  view.setUint32(SessionHeader.recordCount, records.length, true);
  view.setInt32(SessionHeader.leafIndex, leaf, true);
  let at = SESSION_HEADER_BYTES;
  const offsets: number[] = [];
  for (let s = 0; s < SESSION_SECTION_COUNT; s++) {
    view.setUint32(SessionHeader.sectionTable + s * 8, at, true);
    view.setUint32(SessionHeader.sectionTable + s * 8 + 4, sizes[s]!, true);
    offsets.push(at);
    at += sizes[s]!;
  }
  out.set(metaBytes, offsets[SessionSection.META]!);
  const base = offsets[SessionSection.RECORDS]!;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const o = base + i * SESSION_RECORD_BYTES;
    view.setUint32(o + SessionRecord.offset, r.offset, true);
    view.setUint32(o + SessionRecord.length, r.length, true);
    view.setInt32(o + SessionRecord.parent, r.parent, true);
    view.setUint32(o + SessionRecord.idStart, idStarts[i]!, true);
    view.setUint32(o + SessionRecord.idLength, r.idKey.length, true);
    view.setUint32(o + SessionRecord.line, r.line, true);
    view.setUint8(o + SessionRecord.type, r.type);
    view.setUint8(o + SessionRecord.idKind, r.idKind);
  }
  out.set(idBytes, offsets[SessionSection.ID_TEXT]!);
  out.set(entryBytes, offsets[SessionSection.ENTRY_BYTES]!);
  return buffer;
}
