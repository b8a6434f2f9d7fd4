/**
 * OpenClaw's idempotency-key lookup answered on the main thread, without a worker round trip (issue #11):
 * 2026.7.35 runs `findTranscriptMessageByIdempotencyKey` inside the session write lock after each reply
 * (`persistSessionTranscriptTurn`), and the worker's answer had to wait for the gateway's busy main thread
 * to take it — most of that lock hold (docs/openclaw.md §5, the `anon@data:2595` holder).
 *
 * Kept per transcript: every key its lines hold (the worker's reply to a `mayHoldKey` read with `keys`,
 * then the lines appended since, parsed here), the file's identity (dev, ino), how far the keys cover it,
 * and the append check's head and tail bytes (native-free-workers/session/append-check.ts, the worker's
 * own test that the file was only appended to). A lookup checks the file against that (O(1): an fstat and
 * two 4 KB reads), reads only the bytes appended since, adds their lines' keys, and answers "may be
 * there" or "not there" exactly (idempotency.ts `addKeysOfLines`). The main-thread cost is O(appended bytes),
 * plus the parse of the appended lines whose bytes can spell the member name. Anything else — the file
 * gone, replaced, truncated, rewritten, grown by more than {@link MAX_APPENDED} — drops what was kept and
 * says "cannot tell": the worker path runs as before and starts a new kept set.
 */
import { closeSync, fstatSync, openSync, type Stats } from "node:fs";
import { sameIdentity } from "./entry-cache.js";
import { addKeysOfLines, keySetMayHold } from "../../native-free-workers/openclaw/idempotency.js";
import { AppendCheck, CHECK_BYTES, rewrittenInPlace } from "../../native-free-workers/session/append-check.js";
import { readAt } from "../../native-free-workers/io/read-at.js";
import type { MayHoldKeyReply } from "../../native-free-workers/openclaw/session-buffer.js";

/**
 * Whether lookups are answered here at all (`CTXC_OPENCLAW_KEPT_KEYS=0`: no, the worker answers each, as
 * before; read at each lookup, so the in-process bench can alternate the two).
 */
export function keptKeysEnabled(): boolean {
  return process.env.CTXC_OPENCLAW_KEPT_KEYS !== "0";
}

/** Appended bytes read on the main thread at most per lookup (more goes to the worker, off the main thread). */
export const MAX_APPENDED = 4 * 1024 * 1024;
/** Transcripts kept at most (least recently used dropped first); each holds its keys and 8 KB of check bytes. */
const MAX_FILES = 256;

interface KeptKeys {
  check: AppendCheck;
  /** The file's bytes the keys and check stand for. */
  end: number;
  /** Where the last line not ended by "\n" starts (`end` when there is none): its keys are not in `keys`. */
  lineStart: number;
  mtimeMs: number;
  ctimeMs: number;
  /** Every key of the lines in bytes 0 … lineStart (and perhaps of the unended line: a superset is only cautious). */
  keys: Set<string>;
}

const files = new Map<string, KeptKeys>();

/**
 * What {@link keptKeyAnswer} says: the key is not in the file, may be, or ctxc cannot tell here — undefined,
 * or "changed" when what was kept no longer fits the file because it was written other than by appends.
 */
export type KeptKeyAnswer = "absent" | "maybe" | "changed" | undefined;

/**
 * Whether `path` (absolute) can hold `key`, from what is kept of it plus the bytes appended since; undefined
 * when nothing usable is kept (the caller asks the worker). "changed": the caller asks the worker to read the
 * file from its start — the worker's own state may be older than what was kept here (the lookups answered
 * here do not move it), and against that older end a same-size rewrite seen here looks like an append
 * (found by test/matrix/idempotency-fuzz.test.ts: append, a lookup here, a same-size edit in the middle).
 */
export function keptKeyAnswer(path: string, key: string): KeptKeyAnswer {
  const kept = files.get(path);
  if (!kept) return undefined;
  files.delete(path);
  return withFile(path, undefined, (fd): KeptKeyAnswer => {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (rewrittenInPlace(kept, st) || kept.check.verify(fd, st, kept.end) !== null) return "changed";
    if (st.size - kept.lineStart > MAX_APPENDED) return undefined;
    const appended = readAt(fd, kept.lineStart, st.size);
    if (appended.length !== st.size - kept.lineStart) return undefined;
    const lastNl = appended.lastIndexOf(10);
    addKeysOfLines(appended.subarray(0, lastNl + 1), kept.keys);
    // The line not ended yet: stock parses it too (as the file's last line), but it may still grow.
    const open = new Set<string>();
    addKeysOfLines(appended.subarray(lastNl + 1), open);
    if (!stillTheFile(fd, st)) return undefined;
    if (st.size > kept.end) kept.check.setTail(tailOf(kept.check.tailBytes, appended, kept.end - kept.lineStart));
    Object.assign(kept, { end: st.size, lineStart: kept.lineStart + lastNl + 1, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });
    remember(path, kept);
    return keySetMayHold(kept.keys, key) || keySetMayHold(open, key) ? "maybe" : "absent";
  });
}

/**
 * Starts the kept keys of `path` (absolute) from a worker reply with `keys` that the caller has checked is
 * the file now (prepared-reads.ts `sameFile`); says whether it did. The check bytes are read here, and the
 * file's identity compared with the reply's again after, so they are the bytes the keys stand for.
 */
export function startKeptKeys(path: string, reply: MayHoldKeyReply): boolean {
  const f = reply.file;
  const keys = reply.keys;
  if (!keys || !f) return false;
  return withFile(path, false, (fd) => {
    const st = fstatSync(fd);
    // The worker's file, as prepared-reads.ts `sameFile` compares it.
    const same = (s: Stats) => sameIdentity(s, f) && s.size === reply.bytes;
    if (!same(st)) return false;
    const check = new AppendCheck(st.dev, st.ino);
    check.snapshotHead(fd, st.size);
    check.snapshotTail(fd, st.size);
    const tail = check.tailBytes;
    // Where the last unended line starts, from the tail; one longer than the tail is not worth keeping.
    const lastNl = tail.lastIndexOf(10);
    if (lastNl === -1 && tail.length < st.size) return false;
    if (!same(fstatSync(fd))) return false;
    remember(path, { check, end: st.size, lineStart: st.size - tail.length + lastNl + 1, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, keys: new Set(keys) });
    return true;
  });
}

/** `fn` of `path` opened for reading (closed after), or `none` when it cannot be opened (gone, no access). */
function withFile<T>(path: string, none: T, fn: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return none;
  }
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** Whether the open file still has the identity and size `st` it had before the read (no write meanwhile). */
function stillTheFile(fd: number, st: Stats): boolean {
  return sameIdentity(fstatSync(fd), st);
}

/** The last CHECK_BYTES bytes before the new end: the old tail up to `lineStart`'s place, then what was read from it. */
function tailOf(oldTail: Buffer, appended: Buffer, overlap: number): Buffer {
  // `appended` starts `overlap` bytes before the old end; the old tail ends at the old end.
  const before = oldTail.subarray(0, Math.max(0, oldTail.length - overlap));
  const all = appended.length >= CHECK_BYTES ? appended : Buffer.concat([before, appended]);
  return Buffer.from(all.subarray(Math.max(0, all.length - CHECK_BYTES)));
}

function remember(path: string, kept: KeptKeys): void {
  files.set(path, kept);
  if (files.size > MAX_FILES) files.delete(files.keys().next().value!);
}
