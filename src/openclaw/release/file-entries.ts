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
 * OpenClaw). `decodeFileEntries` decodes fresh objects (OpenClaw 2026.5.28–6.8 owns and mutates what
 * it gets); `decodeRecords` also decodes the records of a continued read, frozen for the entry cache.
 */
import { isAscii } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";
import type { OpenClawSession } from "../session.js";
import { deepFreeze } from "../entry-cache.js";
import { normalizerChanges } from "./entry-normalizer.js";
import { EntryTypeCode, RecordFlag, SESSION_RECORD_BYTES, SessionFlag, SessionHeader, SessionRecord, SessionSection } from "../../../native-free-workers/protocol/session-buffer-layout.js";

/** Why `session` cannot stand for OpenClaw's parse of its file, or null. */
export function cannotServeEntries(session: OpenClawSession): string | null {
  if (session.status !== "loaded") return `status ${session.status}`;
  const meta = session.meta;
  if (meta.diagnostics.length > 0) return `file has ${meta.diagnostics.length} diagnostic(s), first ${meta.diagnostics[0]!.code}`;
  const view = new DataView(session.buffer);
  if (view.getUint16(SessionHeader.flags, true) & (SessionFlag.migrateV1 | SessionFlag.migrateV2)) return "file needs v1/v2 migration (OpenClaw rewrites it)";
  const recordsAt = view.getUint32(SessionHeader.sectionTable + SessionSection.RECORDS * 8, true);
  // A continued read starts after the records the caller kept: their header was checked when they were read.
  if (session.firstRecord > 0) return null;
  if (view.getUint32(SessionHeader.recordCount, true) === 0 || view.getUint8(recordsAt + SessionRecord.type) !== EntryTypeCode.session) return "first line is not the session header";
  return null;
}

/** Every record of `session` (a whole read), freshly decoded, in file order (the header first), through `normalize` if given. */
export function decodeFileEntries(session: OpenClawSession, normalize?: (entry: unknown) => unknown): unknown[] {
  if (session.firstRecord > 0) throw new Error("a continued read holds only the appended records");
  return decodeRecords(session, 0, normalize).entries;
}

/** What {@link decodeRecords} returns. */
export interface DecodedRecords {
  entries: unknown[];
  /**
   * With `exactness`: per entry, 1 when its line is known to be exactly `JSON.stringify(entry)` without
   * serialising it — the worker found the line canonical (`RecordFlag.canonical`: its `JSON.parse`
   * serialises back to it) and `normalize` leaves that parse as it is (entry-normalizer.ts: only some
   * `message` entries change); 0 when only {@link exactnessOf}'s comparison can tell.
   */
  known?: Uint8Array;
}

/**
 * The records of `session`'s buffer from buffer index `from` on (up to `to`, default all), decoded in
 * file order, each through `normalize` if given; `freeze`: deep-frozen (entry-cache.ts); `exactness`:
 * with `known` (see {@link DecodedRecords}). Whether the others serialise to their lines is
 * {@link exactnessOf}'s, asked later.
 */
export function decodeRecords(
  session: OpenClawSession,
  from: number,
  normalize?: (entry: unknown) => unknown,
  { freeze = false, to, exactness = false }: { freeze?: boolean; to?: number; exactness?: boolean } = {},
): DecodedRecords {
  const lines = recordLines(session, from, to);
  const count = Math.min(to ?? Infinity, lines.count);
  const out: unknown[] = new Array(Math.max(0, count - from));
  const known = exactness ? new Uint8Array(out.length) : undefined;
  for (let i = from; i < count; i++) {
    let entry = JSON.parse(lines.text(i)) as unknown;
    // Told on the plain parse, before the normaliser replaces what it changes.
    if (known && lines.canonical(i) && !(normalize && normalizerChanges(entry))) known[i - from] = 1;
    if (normalize) entry = normalize(entry);
    out[i - from] = freeze ? deepFreeze(entry) : entry;
  }
  return known ? { entries: out, known } : { entries: out };
}

/**
 * {@link decodeRecords} of every record of `session` from buffer index 0 on, done in steps of about
 * `stepBytes` line bytes each (at least one record; a longer line is one step of its own): a caller that
 * must not hold the main thread for the whole decode (restart-warmup.ts, ~150 ms at 28 MB) runs one step,
 * lets other work run, and runs the next. Each step yields the entries it decoded; the return value is what
 * `decodeRecords(session, 0, normalize, options)` returns — the same entries, in order, with `known` —
 * since each step is that function on a range of the records. Abandoning it midway leaves nothing
 * behind: what was decoded is the generator's alone.
 */
export function* decodeRecordsInSteps(
  session: OpenClawSession,
  normalize: ((entry: unknown) => unknown) | undefined,
  { freeze = false, exactness = false, stepBytes }: { freeze?: boolean; exactness?: boolean; stepBytes: number },
): Generator<readonly unknown[], DecodedRecords, void> {
  const { count, range } = recordRanges(session);
  const entries: unknown[] = new Array(count);
  const known = exactness ? new Uint8Array(count) : undefined;
  for (let from = 0; from < count; ) {
    let to = from + 1;
    for (let bytes = range(from)[1] - range(from)[0]; to < count && bytes < stepBytes; to++) bytes += range(to)[1] - range(to)[0];
    const step = decodeRecords(session, from, normalize, { freeze, exactness, to });
    for (let i = 0; i < step.entries.length; i++) entries[from + i] = step.entries[i];
    if (known) known.set(step.known!, from);
    from = to;
    yield step.entries;
  }
  return known ? { entries, known } : { entries };
}

/**
 * The first index below `count` whose `known` flag is not 1 (`count` when none): a builtin scan, as the check
 * runs once per file per process — on a restart's first turn, where a JS loop over every entry still runs
 * in V8's interpreter (~1 ms at 28 MB, 15,000 entries; the flags are only ever 0 or 1).
 */
function firstUnknown(known: Uint8Array | undefined, count: number): number {
  if (!known) return 0;
  const n = Math.min(count, known.length);
  const at = known.subarray(0, n).indexOf(0);
  return at === -1 ? n : at;
}

/**
 * Whether `entries` (decoded from `session`'s records from buffer index `from` on, in order) serialise
 * exactly to their lines (entry-cache.ts `serializedExactly`), as a check to run later: it keeps the
 * read's buffer until it runs. The entries must be frozen (they cannot change before it runs). `known`
 * ({@link decodeRecords}): the entries whose lines are exact already — only the others are serialised
 * and compared (none, for a file the worker found canonical throughout).
 */
export function exactnessOf(session: OpenClawSession, from: number, entries: readonly unknown[], known?: Uint8Array): () => boolean {
  return () => {
    const first = firstUnknown(known, entries.length);
    if (first === entries.length) return true;
    try {
      const lines = recordLines(session, from + first, from + entries.length);
      for (let i = first; i < entries.length; i++) {
        if (known?.[i] !== 1 && !serializesTo(entries[i], lines.text(from + i), lines.bytes(from + i))) return false;
      }
      return true;
    } catch {
      return false; // the buffer is no longer readable: "not exact" only costs the writer its shortcut
    }
  };
}

/** Record i's line text (`from` ≤ i < `to`), decoded as {@link recordLines} decodes it (release/read-lines.ts). */
export function lineTextsOf(session: OpenClawSession, from: number, to: number): (i: number) => string {
  return recordLines(session, from, to).text;
}

/**
 * Where the lines of records `from` … `to`−1 lie in `session`'s buffer (release/read-lines.ts): `bytes`
 * (the whole buffer) and `spans`, record from+k's line at `bytes[spans[2k], spans[2k+1])`, without its
 * newline. Offsets, not a view per line: the follower's byte check walks ~15,000 of them at 28 MB, and
 * a view each was ~5 ms of its first turn.
 */
export function recordSpansOf(session: OpenClawSession, from: number, to: number): { bytes: Uint8Array; spans: Uint32Array } {
  const { range } = recordRanges(session);
  const spans = new Uint32Array(2 * Math.max(0, to - from));
  for (let i = from, k = 0; i < to; i++, k += 2) {
    const r = range(i);
    spans[k] = r[0];
    spans[k + 1] = r[1];
  }
  return { bytes: new Uint8Array(session.buffer), spans };
}

/** Where each record's line lies in the buffer: `range(i)`, its byte offsets. */
function recordRanges(session: OpenClawSession): { view: DataView; recordsAt: number; count: number; range(i: number): [number, number] } {
  const view = new DataView(session.buffer);
  const recordsAt = view.getUint32(SessionHeader.sectionTable + SessionSection.RECORDS * 8, true);
  const entriesAt = view.getUint32(SessionHeader.sectionTable + SessionSection.ENTRY_BYTES * 8, true);
  const count = view.getUint32(SessionHeader.recordCount, true);
  const range = (i: number): [number, number] => {
    const rec = recordsAt + i * SESSION_RECORD_BYTES;
    const at = entriesAt + view.getUint32(rec + SessionRecord.offset, true);
    return [at, at + view.getUint32(rec + SessionRecord.length, true)];
  };
  return { view, recordsAt, count, range };
}

/**
 * Each record's line in the buffer: its UTF-8 text and its bytes. `from`/`to` (record indexes): the
 * records about to be read, when known — their bytes, when all ASCII (the common transcript), are
 * decoded as ONE string and each line is a slice of it, as stock's `readFileSync` + `split` makes them:
 * one large string outside the young generation and slices that copy nothing, instead of one fresh
 * string per line (at 28 MB the per-line copies cost the first open ~250 ms of scavenges that stock's
 * parse does not pay). ASCII makes byte offsets string offsets; any other byte decodes per line.
 */
function recordLines(session: OpenClawSession, from = 0, to?: number): { count: number; text(i: number): string; bytes(i: number): Uint8Array; canonical(i: number): boolean } {
  const { view, recordsAt, count, range } = recordRanges(session);
  // Buffer's utf8 slice: the same decoding as TextDecoder (replacement characters for bad bytes), but
  // V8's fast path for many small slices — this loop is on the main thread, once per entry.
  const bytes = Buffer.from(session.buffer);
  const last = Math.min(to ?? count, count) - 1;
  let text = (i: number): string => bytes.toString("utf8", ...range(i));
  if (last - from >= 1) {
    // The records are concatenated in order (SessionSection.ENTRY_BYTES); each slice is still checked to
    // lie inside the decoded span, so a layout that is not falls back to the per-line decode.
    const start = range(from)[0];
    const end = range(last)[1];
    if (start < end && isAscii(bytes.subarray(start, end))) {
      const whole = bytes.toString("latin1", start, end);
      const perLine = text;
      text = (i) => {
        const [a, b] = range(i);
        return a >= start && b <= end ? whole.slice(a - start, b - start) : perLine(i);
      };
    }
  }
  const canonical = (i: number): boolean => (view.getUint16(recordsAt + i * SESSION_RECORD_BYTES + SessionRecord.flags, true) & RecordFlag.canonical) !== 0;
  return { count, text, bytes: (i) => bytes.subarray(...range(i)), canonical };
}

/**
 * Whether `JSON.stringify(entry)` is exactly the line's bytes. Equal text is equal bytes unless the line
 * held invalid UTF-8 (decoded to U+FFFD, which encodes differently): only then are the bytes compared.
 */
function serializesTo(entry: unknown, text: string, line: Uint8Array): boolean {
  if (JSON.stringify(entry) !== text) return false;
  return !text.includes("\uFFFD") || Buffer.from(text, "utf8").equals(line);
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
