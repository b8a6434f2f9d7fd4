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

/** Reads `path` and returns the session buffer (transferable). Throws CtxcError for I/O failures other than absence. */
export function encodeSessionBuffer(path: string, options: SessionBufferOptions = {}): ArrayBuffer {
  const absolute = resolve(path);
  const diagnostics: SessionMeta["diagnostics"] = [];
  let fd: number;
  try {
    fd = openSync(absolute, "r");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") return encode(absolute, "missing", 0, 0, null, [], Buffer.alloc(0), -1, 0, diagnostics, "missing file (OpenClaw decides)");
    throw Errors.fromTranscriptIo(absolute, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Errors.transcriptNotAFile(absolute, st.isDirectory() ? "directory" : "special file");
    const staging = Buffer.allocUnsafe(Math.max(1, st.size));
    let used = 0;
    const records: Rec[] = [];
    let lines = 0;
    const repair = new RepairCheck();
    const ingest = (bytes: Buffer, lineNo: number) => {
      lines++;
      if (lineNo === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3); // pi's trim() drops a BOM
        repair.unknown("a byte-order mark (OpenClaw's repair reads it as part of the header line)");
      }
      const text = bytes.toString("utf8");
      if (text.trim() === "") return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        repair.malformed();
        diagnostics.push({ code: "MALFORMED_LINE", line: lineNo, message: "not valid JSON; skipped (as pi)" });
        return;
      }
      repair.entry(value);
      if (!isObject(value)) {
        diagnostics.push({ code: "NON_OBJECT_LINE", line: lineNo, message: "not an entry object; skipped" });
        return;
      }
      if (used + bytes.length > staging.length) return; // grew while reading: keep the snapshot consistent
      bytes.copy(staging, used);
      const hasId = Object.hasOwn(value, "id");
      const id = value.id;
      records.push({
        offset: used,
        length: bytes.length,
        line: lineNo,
        type: entryTypeCode(value.type),
        idKind: !hasId ? IdKind.absent : typeof id === "string" ? IdKind.string : IdKind.json,
        idKey: !hasId ? "" : typeof id === "string" ? id : JSON.stringify(id) ?? "",
        id,
        parentId: value.parentId,
        parent: -1,
      });
      if (records.length === 1) header = value;
      used += bytes.length;
    };
    let header: Record<string, unknown> | undefined;
    const reader = new LineReader(
      fd,
      0,
      1,
      { chunkBytes: options.chunkBytes ?? 64 * 1024, maxLineBytes: options.maxLineBytes ?? 256 * 1024 * 1024, until: st.size },
      {
        onLine: (bytes, _offset, lineNo) => ingest(bytes, lineNo),
        onOversize: (_offset, lineNo, length) => {
          lines++;
          repair.unknown("a line too long to check");
          diagnostics.push({ code: "LINE_TOO_LONG", line: lineNo, message: `line of ${length} bytes skipped` });
        },
      },
    );
    while (reader.step());
    const result = reader.result();
    if (result.torn && result.torn.length <= (options.maxLineBytes ?? 256 * 1024 * 1024)) {
      // pi reads the whole file: a last line without "\n" is still parsed when it is valid JSON.
      // readAt loops over short reads: a single read() may return only part of the tail.
      ingest(readAt(fd, result.torn.offset, result.torn.offset + result.torn.length), result.torn.lineNo);
    } else if (result.torn) {
      repair.unknown("a last line too long to check");
    }
    const file = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
    const bytesRead = result.bytesRead;

    let status: SessionStatus = "loaded";
    const first = header as Record<string, unknown> | undefined;
    if (records.length === 0) status = "empty";
    else if (first?.type !== "session" || typeof first.id !== "string") status = "invalid-header";
    if (status !== "loaded") {
      return encode(absolute, status, bytesRead, lines, file, [], Buffer.alloc(0), -1, 0, diagnostics, repair.verdict());
    }

    // pi: version = (first session-type entry).version ?? 1, migrate when < 3 (same JS comparisons).
    const version = (first!.version ?? 1) as number;
    let flags = 0;
    if (version < CURRENT_VERSION) {
      if (version < 2) flags |= SessionFlag.migrateV1;
      flags |= SessionFlag.migrateV2;
    }

    // Parents exactly as pi's walk finds them: byId over non-session entries, the last entry per id wins.
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
    return encode(absolute, "loaded", bytesRead, lines, file, records, staging.subarray(0, used), leaf, flags, diagnostics, repair.verdict());
  } finally {
    closeSync(fd);
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
): ArrayBuffer {
  const meta: SessionMeta = { path, status, bytes, lines, file, diagnostics, repair };
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
