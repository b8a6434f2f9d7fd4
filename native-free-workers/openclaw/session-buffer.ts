/**
 * Encodes a session transcript into the session buffer (src/openclaw/session-buffer-layout.ts) with
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
import { Errors } from "../../src/errors.js";
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
} from "../../src/openclaw/session-buffer-layout.js";
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
 * parse). Trusted only after the same checks as the compiler's SessionState: same inode, not shorter,
 * and the first and last check bytes before the old end unchanged — both taken from the lines as they
 * were read, never re-read later (a rewrite landing mid-read must not pass for the old bytes).
 */
export interface SessionReadState {
  dev: number;
  ino: number;
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
  /** The file's first bytes as read (up to CHECK_BYTES), and whether a skipped line stopped it short. */
  head: Buffer;
  headClosed: boolean;
  /** The bytes just before `end`, as read. */
  tail: Buffer;
  lastUsed: number;
}

const CHECK_BYTES = 4096;

/** Per-worker states, least recently used evicted past `maxBytes` of kept entry bytes. */
export class SessionReadCache {
  private readonly states = new Map<string, SessionReadState>();
  constructor(public maxBytes = 256 * 1024 * 1024) {}
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
  if (st.dev !== state.dev || st.ino !== state.ino) return "replaced";
  if (st.size < state.end) return "truncated";
  if (maxLineBytes !== state.maxLineBytes) return "options";
  if (!readAt(fd, 0, state.head.length).equals(state.head)) return "rewritten";
  if (!readAt(fd, state.end - state.tail.length, state.end).equals(state.tail)) return "rewritten";
  return null;
}

function newState(st: { dev: number; ino: number; size: number }, maxLineBytes: number): SessionReadState {
  return {
    dev: st.dev, ino: st.ino, maxLineBytes, end: 0, nextLineNo: 1, lines: 0,
    staging: Buffer.allocUnsafe(Math.max(1, st.size)), used: 0, records: [], header: undefined, diagnostics: [],
    repair: new RepairCheck(), leafInfo: new LeafInfoScan(), head: Buffer.alloc(0), headClosed: false, tail: Buffer.alloc(0), lastUsed: 0,
  };
}

/**
 * Reads `path` and returns the session buffer (transferable). Throws CtxcError for I/O failures other
 * than absence. With a `cache` (the worker's), a file read before and only appended to since costs
 * the appended lines; `meta.readFrom` says where this read started parsing (0: the whole file).
 */
export function encodeSessionBuffer(path: string, options: SessionBufferOptions = {}, cache?: SessionReadCache): ArrayBuffer {
  const absolute = resolve(path);
  const maxLineBytes = options.maxLineBytes ?? 256 * 1024 * 1024;
  let fd: number;
  try {
    fd = openSync(absolute, "r");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") return encode(absolute, "missing", 0, 0, null, [], Buffer.alloc(0), -1, 0, [], "missing file (OpenClaw decides)", 0, null);
    throw Errors.fromTranscriptIo(absolute, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Errors.transcriptNotAFile(absolute, st.isDirectory() ? "directory" : "special file");
    let state = cache?.take(absolute);
    if (state && verifyState(state, fd, st, maxLineBytes) !== null) state = undefined;
    const s = state ?? newState(st, maxLineBytes);
    const readFrom = s.end;
    const tail = new TailWindow(s.tail);
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
    // both windows copy): the head grows until CHECK_BYTES or the first skipped line; the tail is the
    // last CHECK_BYTES before the end of the last complete line (after the last skipped one).
    const observe = (raw: Buffer | null, offset: number) => {
      if (!s.headClosed && s.head.length < CHECK_BYTES && offset === s.head.length) {
        if (raw) s.head = Buffer.concat([s.head, raw, NEWLINE]).subarray(0, CHECK_BYTES);
        else s.headClosed = true;
      }
      if (!raw) return tail.reset();
      tail.push(raw);
      tail.push(NEWLINE);
    };
    const reader = new LineReader(
      fd,
      s.end,
      s.nextLineNo,
      { chunkBytes: options.chunkBytes ?? 64 * 1024, maxLineBytes, until: st.size },
      {
        onLine: (bytes, offset, lineNo) => {
          observe(bytes, offset);
          ingest(bytes, lineNo);
        },
        onOversize: (offset, lineNo, length) => {
          observe(null, offset);
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
    s.tail = tail.value();
    s.end = result.end;
    s.nextLineNo = result.nextLineNo;
    const keep = cache !== undefined && result.torn === null;
    if (result.torn && result.torn.length <= maxLineBytes) {
      ingest(readAt(fd, result.torn.offset, result.torn.offset + result.torn.length), result.torn.lineNo);
    } else if (result.torn) {
      s.repair.unknown("a last line too long to check");
      s.leafInfo.unknown("a last line too long to read");
    }
    const file = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
    const bytesRead = result.bytesRead + readFrom;

    let status: SessionStatus = "loaded";
    const first = s.header;
    if (s.records.length === 0) status = "empty";
    else if (first?.type !== "session" || typeof first.id !== "string") status = "invalid-header";
    if (status !== "loaded") {
      if (keep) cache.put(absolute, s);
      return encode(absolute, status, bytesRead, s.lines, file, [], Buffer.alloc(0), -1, 0, s.diagnostics, s.repair.verdict(), readFrom, s.leafInfo.result());
    }

    const version = (first!.version ?? 1) as number;
    let flags = 0;
    if (version < CURRENT_VERSION) {
      if (version < 2) flags |= SessionFlag.migrateV1;
      flags |= SessionFlag.migrateV2;
    }

    let leaf = -1;
    const records = s.records;
    if (flags & SessionFlag.migrateV1) {
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        if (r.type === EntryTypeCode.session) continue;
        r.idKind = IdKind.synthetic;
        r.idKey = syntheticV1Id(i);
        r.parent = leaf;
        leaf = i;
      }
    } else {
      const byId = new Map<unknown, number>();
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        if (r.type === EntryTypeCode.session) continue;
        byId.set(r.id, i);
        leaf = i;
      }
      for (const r of records) if (r.type !== EntryTypeCode.session && r.parentId) r.parent = byId.get(r.parentId) ?? -1;
    }
    // v1/v2 files are migrated and rewritten by pi on open: nothing to continue from.
    if (keep && flags === 0) cache.put(absolute, s);
    return encode(absolute, "loaded", bytesRead, s.lines, file, records, s.staging.subarray(0, s.used), leaf, flags, s.diagnostics, s.repair.verdict(), readFrom, s.leafInfo.result());
  } finally {
    closeSync(fd);
  }
}

const NEWLINE = Buffer.from("\n");

/** The meta section of a session buffer (what a caller needs when it does not need the entries). */
export function sessionBufferMeta(buffer: ArrayBuffer): SessionMeta {
  const view = new DataView(buffer);
  const at = view.getUint32(SessionHeader.sectionTable + SessionSection.META * 8, true);
  const length = view.getUint32(SessionHeader.sectionTable + SessionSection.META * 8 + 4, true);
  return JSON.parse(Buffer.from(buffer, at, length).toString("utf8")) as SessionMeta;
}

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

function encode(
  path: string,
  status: SessionStatus,
  bytes: number,
  lines: number,
  file: SessionMeta["file"],
  records: Rec[],
  entryBytes: Buffer,
  leaf: number,
  flags: number,
  diagnostics: SessionMeta["diagnostics"],
  repair: string | null,
  readFrom: number,
  leafInfo: TranscriptLeafInfo | null,
): ArrayBuffer {
  const meta: SessionMeta = { path, status, bytes, lines, file, diagnostics, repair, readFrom, leafInfo };
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
