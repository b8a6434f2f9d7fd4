/**
 * OpenClaw's `fileEntries` for a transcript, built from ctxc's worker read (the session buffer) instead
 * of a main-thread `readFileSync` + split + parse — for the vendored `loadEntriesFromFile*` of
 * 2026.5.28+ (preload-runtime.ts handlers).
 *
 * What OpenClaw's parse returns for a file is `JSON.parse` of every non-blank line, in file order, each
 * passed through the chunk's own entry normaliser where it has one (2026.7.1+). The buffer keeps each
 * JSON-object line's exact bytes, so decoding them gives the same objects — as long as the file has no
 * line the two read differently (malformed, non-object, over-long, torn: ctxc reports each as a
 * diagnostic, and then ctxc does not answer) and no migration applies (v1/v2 files are rewritten by
 * OpenClaw). Every call decodes fresh objects: OpenClaw owns and mutates what it gets.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { OpenClawSession } from "../session.js";
import { EntryTypeCode, SESSION_RECORD_BYTES, SessionFlag, SessionHeader, SessionRecord, SessionSection } from "../../../native-free-workers/protocol/session-buffer-layout.js";

/** Why `session` cannot stand for OpenClaw's parse of its file, or null. */
export function cannotServeEntries(session: OpenClawSession): string | null {
  if (session.status !== "loaded") return `status ${session.status}`;
  const meta = session.meta;
  if (meta.diagnostics.length > 0) return `file has ${meta.diagnostics.length} diagnostic(s), first ${meta.diagnostics[0]!.code}`;
  const view = new DataView(session.buffer);
  if (view.getUint16(SessionHeader.flags, true) & (SessionFlag.migrateV1 | SessionFlag.migrateV2)) return "file needs v1/v2 migration (OpenClaw rewrites it)";
  const recordsAt = view.getUint32(SessionHeader.sectionTable + SessionSection.RECORDS * 8, true);
  if (view.getUint32(SessionHeader.recordCount, true) === 0 || view.getUint8(recordsAt + SessionRecord.type) !== EntryTypeCode.session) return "first line is not the session header";
  return null;
}

/** Every record of `session`, freshly decoded, in file order (the header first), through `normalize` if given. */
export function decodeFileEntries(session: OpenClawSession, normalize?: (entry: unknown) => unknown): unknown[] {
  const count = new DataView(session.buffer).getUint32(SessionHeader.recordCount, true);
  const decode = recordDecoder(session);
  const out: unknown[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const entry = decode(i);
    out[i] = normalize ? normalize(entry) : entry;
  }
  return out;
}

/** The records at `indexes` (session buffer record numbers), freshly decoded. */
export function decodeRecords(session: OpenClawSession, indexes: readonly number[]): unknown[] {
  const decode = recordDecoder(session);
  return indexes.map((i) => decode(i));
}

/** `JSON.parse` of record `i`'s line bytes. */
function recordDecoder(session: OpenClawSession): (i: number) => unknown {
  const view = new DataView(session.buffer);
  // Buffer's utf8 slice: the same decoding as TextDecoder (replacement characters for bad bytes), but
  // V8's fast path for many small slices — this loop is on the main thread, once per entry.
  const bytes = Buffer.from(session.buffer);
  const recordsAt = view.getUint32(SessionHeader.sectionTable + SessionSection.RECORDS * 8, true);
  const entriesAt = view.getUint32(SessionHeader.sectionTable + SessionSection.ENTRY_BYTES * 8, true);
  return (i) => {
    const rec = recordsAt + i * SESSION_RECORD_BYTES;
    const at = entriesAt + view.getUint32(rec + SessionRecord.offset, true);
    return JSON.parse(bytes.toString("utf8", at, at + view.getUint32(rec + SessionRecord.length, true))) as unknown;
  };
}

/** The raw bytes of every JSON-object line of the read, concatenated (the ENTRY_BYTES section). */
export function entryBytes(session: OpenClawSession): Uint8Array {
  const view = new DataView(session.buffer);
  const table = SessionHeader.sectionTable + SessionSection.ENTRY_BYTES * 8;
  return new Uint8Array(session.buffer, view.getUint32(table, true), view.getUint32(table + 4, true));
}

/** Whether the file's last byte (of `size`) is a newline — OpenClaw's snapshot cache records it. */
export function endsWithNewline(path: string, size: number): boolean {
  if (size === 0) return false;
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(1);
    return readSync(fd, b, 0, 1, size - 1) === 1 && b[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}
