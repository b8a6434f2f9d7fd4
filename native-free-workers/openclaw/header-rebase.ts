/**
 * A transcript rewritten with a new first line and every other line as it was: the worker's kept read
 * state moved onto the new file by comparing bytes, not by parsing the file again (issue #11).
 *
 * Why: OpenClaw 2026.7.35 rewrites a session's header on its first turn when the stored `id` or `cwd` is
 * not the run's (`prepareSessionManagerForRun`), and writes the whole file (header and every entry line
 * as it was); OpenClaw's own writes of an unchanged file (a rewrite of the same lines) look the same from
 * here. The worker's kept state then fails the append check — the head bytes changed, or the inode — and
 * the next read parsed all of it again: 0.1–0.4 s of the single worker per 10–28 MB file on a 2-core host,
 * right in the next turn's repair check, which the turn waits for.
 *
 * When it applies (else undefined, and the read starts over as before): the kept state is a complete read
 * whose records are the whole file, line after line, each ending with "\n" (no blank, malformed, skipped or
 * BOM-prefixed line, nothing torn), its first a session header; the new file's first line is a session
 * header too, with a non-empty string id and the same `version` (so the same migrations: none), and the
 * bytes after it are the kept lines 2… exactly, each with its "\n" — then perhaps lines appended since,
 * which the read goes on to parse as for any append.
 *
 * Why the kept scans stay true: every view of a line kept here (repair-check.ts, leaf-info.ts,
 * recent-lines.ts, the image records) sees a session header the same way whatever its members — counted
 * as an entry, a valid header, no message, no leaf — given both headers are valid and neither has a
 * `message` (the one member the recent-conversation view would look at). The other lines are the same
 * bytes, so their views are the same. Record numbers are unchanged, so what was judged of the image lines
 * holds. The per-record scans of sent buffers (record-scans.ts) are dropped: the header's would be stale.
 * The new state has a new generation: a caller's records of the old one hold the old header — unless the new
 * first line is the old one, byte for byte (the file rewritten with the same lines): then the state is kept
 * as it is, generation and all.
 */
import { randomUUID } from "node:crypto";
import type { Stats } from "node:fs";
import { AppendCheck, CHECK_BYTES } from "../session/append-check.js";
import { fileBytesCapacity } from "../grown.js";
import { FileByteCursor } from "../io/byte-cursor.js";
import { readAt } from "../io/read-at.js";
import { EntryTypeCode, IdKind } from "../protocol/session-buffer-layout.js";
import { parseLine } from "../pi/parse-line.js";
import type { Rec, SessionReadState } from "./session-buffer.js";

/** The longest first line looked for (a session header is a few hundred bytes). */
const MAX_HEADER_BYTES = 64 * 1024;
/** File bytes read at a time for the compare. */
const COMPARE_CHUNK_BYTES = 1 << 20;

/** Whether `value` is a header every kept view sees alike (see the file comment). */
function plainHeader(value: Record<string, unknown> | undefined): boolean {
  return !!value && value.type === "session" && typeof value.id === "string" && value.id.length > 0 && !Object.hasOwn(value, "message");
}

/** Whether the kept records are the whole file `[0, end)`, each line one record followed by "\n". */
function recordsAreTheFile(s: SessionReadState): boolean {
  let at = 0;
  for (const r of s.records) {
    if (r.fileOffset !== at) return false;
    at += r.length + 1;
  }
  return at === s.end && s.lines === s.records.length;
}

/**
 * The kept state `s` moved onto the open file (`fd`, `st`) when that file is `s`'s file with another
 * first line (see the file comment); undefined otherwise. Only reads: `s` is left as it was when the
 * answer is undefined, and is to be dropped when it is not (its scans move to the new state).
 */
export function rebaseOnNewHeader(s: SessionReadState, fd: number, st: Pick<Stats, "dev" | "ino" | "size">, maxLineBytes: number): SessionReadState | undefined {
  if (s.stopped || s.maxLineBytes !== maxLineBytes || s.diagnostics.length > 0 || s.records.length === 0) return undefined;
  const old = s.records[0]!;
  if (old.type !== EntryTypeCode.session || !plainHeader(s.header) || !recordsAreTheFile(s)) return undefined;
  const first = readAt(fd, 0, Math.min(st.size, MAX_HEADER_BYTES));
  const newline = first.indexOf(0x0a);
  if (newline <= 0 || newline > maxLineBytes) return undefined;
  const line = parseLine(first.subarray(0, newline), 1, 0);
  if (line.kind !== "entry" || line.bom || !plainHeader(line.value) || line.value.version !== s.header!.version) return undefined;
  const shift = newline - old.length;
  const bodyFrom = old.length + 1; // in the kept file
  const end = s.end + shift;
  if (st.size < end) return undefined;
  if (!bodyMatches(fd, s, bodyFrom, shift)) return undefined;
  if (shift === 0 && line.bytes.equals(s.staging.subarray(old.offset, old.offset + old.length))) {
    // The very bytes the state holds, header too: a rewrite of the same lines (OpenClaw flushing an unchanged
    // file, or ctxc's own rewrite with nothing new, which writes the last byte again so that the times move as
    // stock's write moves them: src/openclaw/release/append-rewrite.ts). The state stands as it is, generation
    // and scans included, so a caller's records of it stay valid — a new generation here made the next read
    // send every record, which the main thread then decoded again (2026.7.35, a read between a turn's last
    // append and that rewrite: 236 ms at 28 MB). Only the check is made anew: the inode may be another.
    return { ...s, check: checkOf(st, s.staging, s.records, s.end), savedEnd: -1, ...(s.judged ? { savedJudged: 0 } : {}) };
  }

  const used = s.used + shift;
  const staging = Buffer.allocUnsafe(fileBytesCapacity(used, 64 * 1024));
  staging.set(line.bytes, 0);
  s.staging.copy(staging, newline, old.offset + old.length, s.used);
  const id = line.value.id as string;
  const records: Rec[] = new Array(s.records.length);
  records[0] = { ...old, offset: 0, fileOffset: 0, length: newline, idKind: IdKind.string, idKey: id, id, parentId: line.value.parentId };
  for (let i = 1; i < s.records.length; i++) {
    const r = s.records[i]!;
    records[i] = { ...r, offset: r.offset + shift, fileOffset: r.fileOffset + shift };
  }
  return {
    ...s,
    generation: randomUUID(),
    check: checkOf(st, staging, records, end),
    end,
    staging,
    used,
    records,
    header: line.value,
    scans: undefined,
    savedEnd: -1,
    ...(s.judged ? { savedJudged: 0 } : {}),
  };
}

/** The append check of the file `st` whose first `end` bytes are `records`: its windows from the state's own bytes, which the compare just found to be the file's, as read. */
function checkOf(st: Pick<Stats, "dev" | "ino">, staging: Buffer, records: readonly Rec[], end: number): AppendCheck {
  const check = new AppendCheck(st.dev, st.ino);
  check.setHead(fileBytes(staging, records, 0, Math.min(CHECK_BYTES, end)));
  check.setTail(fileBytes(staging, records, Math.max(0, end - CHECK_BYTES), end));
  return check;
}

/**
 * Whether the file from `bodyFrom + shift` holds the kept records 1… each followed by "\n"; false when a byte
 * differs or the file ends first.
 */
function bodyMatches(fd: number, s: SessionReadState, bodyFrom: number, shift: number): boolean {
  const file = new FileByteCursor(fd, bodyFrom + shift, COMPARE_CHUNK_BYTES);
  for (let i = 1; i < s.records.length; i++) {
    const r = s.records[i]!;
    if (!file.next(s.staging, r.offset, r.offset + r.length) || !file.nextByte(0x0a)) return false;
  }
  return true;
}

/** Bytes `[from, to)` of a file that is `records` back to back, each followed by "\n" (their bytes in `staging`). */
export function fileBytes(staging: Buffer, records: readonly Rec[], from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe(Math.max(0, to - from));
  for (const r of records) {
    const lineEnd = r.fileOffset + r.length + 1;
    if (lineEnd <= from) continue;
    if (r.fileOffset >= to) break;
    const a = Math.max(from, r.fileOffset);
    const b = Math.min(to, r.fileOffset + r.length);
    if (a < b) staging.copy(out, a - from, r.offset + (a - r.fileOffset), r.offset + (b - r.fileOffset));
    if (lineEnd - 1 >= from && lineEnd - 1 < to) out[lineEnd - 1 - from] = 0x0a;
  }
  return out;
}
