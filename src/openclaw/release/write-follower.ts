/**
 * OpenClaw's own whole-file writes (2026.6.9–2026.7.35), answered without the re-parse (issue #11).
 *
 * Two SessionManager calls write a whole transcript outside `rewriteFile`'s append path:
 * - `persistRecord`'s first flush (and stock's `rewriteFile`): `writeFullFile` →
 *   `writeJsonlEntriesSync(file, getPersistedFileEntries(…))`, then `rememberWrittenSessionEntries(file, content)`;
 * - 2026.7.35's `prepareSessionManagerForRun` on a session's first turn, when the stored header's `id` or
 *   `cwd` is not the run's (`sessionId`, effective cwd — a transcript copied or moved, a session re-keyed,
 *   the agent's workspace moved): it sets both on the header, writes `getSerializedFileLinesForRewrite()`
 *   joined, and `syncSnapshotAfterHeaderRewrite(content)` → `rememberWrittenSessionEntries(file, content)`.
 *
 * Stock's `rememberWrittenSessionEntries` re-reads the file, compares it with `content`, and re-parses
 * every line into OpenClaw's entry cache (`parseJsonlEntries`): at 28 MB a few hundred ms of main thread
 * per write. Here the two producers are served by their own bodies (the same calls, in the same order:
 * shapes.ts checks the bodies) and remember WHICH entries the content serialises, so the follower knows
 * line i is `serializeJsonlLine(entries[i])` — no `JSON.stringify` to prove it. Where `entries[i]` is the
 * very object ctxc's entry cache keeps for line i (deep-frozen; its line is its `JSON.stringify`, whose
 * parse is deep-equal to it: entry-cache.ts), that object is line i's parse — and the header's line is
 * compared with the kept header's (the manager holds a clone of it); the other lines (a changed header,
 * new entries) are parsed as `parseJsonlEntries` parses them. Stock's read and compare still run (they
 * are what verifies the write), on bytes for ASCII content ({@link fileHoldsText}), then the release's own
 * `rememberSessionEntries` caches the result as after stock's parse. Cost: the read, one pass over the
 * line boundaries, the parse of the changed lines — never more than stock, which reads and parses all.
 *
 * Without a matching record (another caller, the content not the recorded serialisation, a line that does
 * not parse) OpenClaw's function runs unchanged and ctxc's cache of the file is dropped.
 */
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { dropCachedEntries, getCachedEntries, identityIsSnapshot, identityOf, setCachedEntries, type CachedFile } from "../entry-cache.js";
import { normalizerChanges } from "./entry-normalizer.js";
import { fileBytesOfLines, serializedLines, type ExpectedFile, type LinesRead } from "./read-lines.js";
import { runningStockRewrite, type RewriteHelpers, type RewritingManager, type SessionFileSnapshot } from "./append-rewrite.js";
import { FileByteCursor } from "../../../native-free-workers/io/byte-cursor.js";
import { readInto } from "../../../native-free-workers/io/read-at.js";

/** What one whole-file write serialised: `entries`, as `content` (writeFullFile) or as `lines` (the header rewrite's). */
interface RecordedWrite {
  entries: readonly unknown[];
  content?: string;
  lines?: readonly unknown[];
  /** The lines' tail that is ctxc's read, as it gave them (release/read-lines.ts). */
  read?: LinesRead;
}

/**
 * Recent writes by resolved path, until their follower call takes them. Several at once: the header
 * rewrite awaits its write, so other sessions' first turns record meanwhile. Bounded, oldest dropped (its
 * follower then runs stock): a write that failed is never followed, and its record holds the lines — the
 * bound is what a few such records may keep alive (as many files as OpenClaw's own entry cache holds).
 */
const recorded = new Map<string, RecordedWrite>();
const MAX_RECORDED = 8;

function record(file: string, write: RecordedWrite): void {
  const path = resolve(file);
  recorded.delete(path);
  recorded.set(path, write);
  if (recorded.size > MAX_RECORDED) recorded.delete(recorded.keys().next().value!);
}

/** The manager calls the producers use. */
export interface WritingManager extends RewritingManager {
  getPersistedFileEntries(leafAppendParentId?: unknown, leafAppendMode?: unknown): unknown[];
}

/**
 * `sm.writeFullFile(leafAppendParentId = this.appendParentId, leafAppendMode)`: its body, recording the
 * entries the content serialises. Errors propagate as stock's (nothing recorded then).
 */
export function writeFullFile(sm: WritingManager, args: unknown[], h: Pick<RewriteHelpers, "writeJsonlEntriesSync">): string {
  if (!sm.sessionFile) return "";
  const entries = sm.getPersistedFileEntries(args[0] === undefined ? sm.appendParentId : args[0], args[1]);
  const content = h.writeJsonlEntriesSync(sm.sessionFile, entries);
  record(sm.sessionFile, { entries, content });
  return content;
}

/**
 * `sm.getSerializedFileLinesForRewrite()`: its body, recording which entries the lines serialise. The
 * lines of ctxc's kept objects whose read line is known to be their serialisation are that line's text
 * (release/read-lines.ts; `fromRead` is told how many), the others `serializeJsonlLine`'s.
 */
export function serializedFileLinesForRewrite(sm: WritingManager, h: Pick<RewriteHelpers, "serializeJsonlLine">, fromRead?: (n: number) => void): unknown[] {
  const entries = sm.getPersistedFileEntries();
  const file = typeof sm.sessionFile === "string" && sm.sessionFile ? sm.sessionFile : undefined;
  const { lines, fromRead: n, read } = serializedLines(entries, file ? getCachedEntries(resolve(file))?.entries : undefined, h.serializeJsonlLine);
  // A copy: the array returned is OpenClaw's to change; what the follower checks is what was handed out.
  if (file) record(file, { entries, lines: lines.slice(), ...(read ? { read } : {}) });
  if (n > 0) fromRead?.(n);
  return lines;
}

/** {@link writtenEntries}' answer: line i's parse for each i, and what the kept entries say of the content. */
export interface Written {
  entries: unknown[];
  /** Every kept entry is the entry of its line (the file is the kept file followed by new lines). */
  prefixKept: boolean;
  /** Every entry's `JSON.stringify` is its line (no line the normaliser changed). */
  exact: boolean;
  /** Lines answered by a kept object (not parsed). */
  shared: number;
}

/**
 * What `parseJsonlEntries(content)` returns, deep-equal, when `content` is the recorded serialisation of
 * `write.entries` (checked here: the same string, or the recorded lines at their offsets), else null.
 * Each line is `JSON.stringify` output — no raw newline, no surrounding blank — so the parse's
 * `trim().split("\n")` finds exactly these lines, none blank; a line that does not parse (a release whose
 * serialiser lets `undefined` through) makes it null: stock skips it, and stock runs.
 */
function writtenEntries(content: string, write: RecordedWrite, kept: CachedFile | undefined, normalize: RewriteHelpers["normalizeLoadedFileEntry"]): Written | null {
  const { entries, lines } = write;
  if (!lines && content !== write.content) return null;
  const mine = kept?.serializedExactly ? kept.entries : [];
  const out: unknown[] = new Array(entries.length);
  let prefixKept = mine.length > 0 && mine.length <= entries.length;
  let exact = true;
  let shared = 0;
  let at = 0;
  for (let i = 0; i < entries.length; i++) {
    let end: number;
    if (lines) {
      const line = lines[i];
      if (typeof line !== "string") return null;
      end = at + line.length;
      // A slice compared whole (a flat compare) — `startsWith(line, at)` walks char by char, 5× slower at 28 MB.
      if (content.charCodeAt(end) !== 10 || content.slice(at, end) !== line) return null;
    } else {
      end = content.indexOf("\n", at);
      if (end === -1) return null;
    }
    // The header is never the kept object (OpenClaw hands each manager a structuredClone of it,
    // copyFileEntries): its one line is compared, so a first flush keeps the file the kept file plus lines.
    if (i < mine.length && (entries[i] === mine[i] || (i === 0 && content.slice(at, end) === JSON.stringify(mine[0])))) {
      out[i] = mine[i];
      shared++;
    } else {
      if (i < mine.length) prefixKept = false;
      let value: unknown;
      try {
        value = JSON.parse(lines ? (lines[i] as string) : content.slice(at, end));
      } catch {
        return null;
      }
      if (normalize && normalizerChanges(value)) exact = false;
      out[i] = normalize ? normalize(value) : value;
    }
    at = end + 1;
  }
  return at === content.length ? { entries: out, prefixKept, exact, shared } : null;
}

/** The helpers the follower calls: rememberWrittenSessionEntries' own (shapes.ts). */
export type FollowerHelpers = Pick<
  RewriteHelpers,
  "sessionEntriesCache" | "readSessionFileSnapshot" | "rememberSessionEntries" | "invalidateSessionFileRepairCache" | "MAX_CACHED_SESSION_BYTES" | "normalizeLoadedFileEntry"
> & { isSameSessionFileSnapshot: (a: SessionFileSnapshot, b: SessionFileSnapshot) => boolean };

/** `rememberWrittenSessionEntries`' result. */
interface Remembered {
  snapshot: SessionFileSnapshot | undefined;
  verifiedWrite: boolean;
  stableRead: boolean;
}

/**
 * `rememberWrittenSessionEntries(filePath, expectedContent)`: stock's body with `parseJsonlEntries(content)`
 * answered from the recorded write (see the file comment), and ctxc's entry cache refilled from the result;
 * else OpenClaw's function and ctxc's cache of the file dropped. `followed` is told whether it was answered.
 */
export function followWrite(original: (...args: unknown[]) => unknown, args: unknown[], h: FollowerHelpers, followed?: (w: Written) => void): unknown {
  const [filePath, expected] = args;
  if (typeof filePath !== "string") return original(...args);
  const path = resolve(filePath);
  const kept = getCachedEntries(path);
  const write = recorded.get(path);
  recorded.delete(path);
  dropCachedEntries(path);
  // The rewrite handler's own stock steps refill ctxc's cache from what they wrote (append-rewrite.ts).
  const written = !runningStockRewrite() && write && typeof expected === "string" ? writtenEntries(expected, write, kept, h.normalizeLoadedFileEntry) : null;
  if (!written) return original(...args);
  const text = expected as string; // a string: writtenEntries compared it
  // From here on: stock's body, parse aside.
  const failed = (snapshot: SessionFileSnapshot | undefined): Remembered => {
    h.sessionEntriesCache.delete(path);
    return { snapshot, verifiedWrite: false, stableRead: false };
  };
  h.invalidateSessionFileRepairCache(path);
  let before: SessionFileSnapshot;
  try {
    before = h.readSessionFileSnapshot(path);
  } catch {
    return failed(undefined);
  }
  if (before.size > h.MAX_CACHED_SESSION_BYTES) return failed(before);
  let same: boolean;
  let after: SessionFileSnapshot;
  try {
    // The text the file must decode to is the recorded lines (writtenEntries compared them with it).
    const bytes = write!.read && write!.lines ? fileBytesOfLines(write!.lines, write!.read) : null;
    same = (bytes !== null && fileHoldsBytes(path, bytes)) || fileHoldsText(path, text);
    after = h.readSessionFileSnapshot(path);
  } catch {
    return failed(undefined);
  }
  if (!same || !h.isSameSessionFileSnapshot(before, after)) return failed(after);
  h.rememberSessionEntries(path, after, written.entries, text.endsWith("\n"));
  followed?.(written);
  refill(path, after, written, kept, h);
  return { snapshot: after, verifiedWrite: true, stableRead: true } satisfies Remembered;
}

/** File bytes decoded and compared at a time by {@link fileHoldsText} (a young-generation string). */
const COMPARE_BYTES = 1 << 15;

/**
 * Stock's `readFileSync(path, "utf8") === expected` (the read that verifies the write), without a string
 * of the file's size: the file is read and decoded a chunk at a time, each chunk ending on a character
 * boundary, and each decoded chunk compared with the text there. The same answer when the text holds no
 * U+FFFD: the chunks all match only if none decoded an invalid sequence (that gives U+FFFD), so the file
 * is valid UTF-8 and decodes whole as the chunks do; and a file that decodes whole to the text is valid
 * UTF-8, cut on character boundaries. Text with U+FFFD: stock's read and compare. Why: at 28 MB the
 * whole-file string is an allocation that made V8 collect its heap right there, ~130 ms of the header
 * rewrite; reading and decoding are ~10 ms. Throws as the read does.
 */
export function fileHoldsText(path: string, expected: string): boolean {
  if (expected.includes("\uFFFD")) return readFileSync(path, "utf8") === expected;
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(COMPARE_BYTES);
    let pos = 0;
    let at = 0;
    for (;;) {
      const n = readInto(fd, chunk, 0, pos, pos + chunk.length);
      if (n === 0) return at === expected.length;
      const cut = n < COMPARE_BYTES ? n : characterBoundary(chunk, n);
      const text = chunk.toString("utf8", 0, cut);
      if (text !== expected.slice(at, at + text.length)) return false;
      at += text.length;
      pos += cut;
    }
  } finally {
    closeSync(fd);
  }
}

/** File bytes read at a time by {@link fileHoldsBytes}. */
const HOLDS_CHUNK_BYTES = COMPARE_BYTES * 32;

/**
 * Whether the file's bytes are exactly `expected` (read a chunk at a time, none decoded). True makes
 * stock's `readFileSync(path, "utf8") === content` true when `expected` is bytes that decode to `content`
 * (read-lines.ts `fileBytesOfLines`); false says nothing of it. One `Buffer#compare` per record (and per
 * chunk boundary inside one), over offsets into the read's buffer; each newline is checked as a byte
 * (~15,000 records at 28 MB: a compare call each for the newlines too was half the check's time).
 * `chunkBytes`: the read size (a test's small chunks put boundaries inside records and at newlines).
 * Throws as the read does.
 */
export function fileHoldsBytes(path: string, expected: ExpectedFile, chunkBytes = HOLDS_CHUNK_BYTES): boolean {
  const { head, bytes, spans } = expected;
  let size = head.length + spans.length / 2;
  for (let i = 0; i < spans.length; i += 2) size += spans[i + 1]! - spans[i]!;
  const fd = openSync(path, "r");
  try {
    if (fstatSync(fd).size !== size) return false;
    const file = new FileByteCursor(fd, 0, chunkBytes);
    if (!file.next(head, 0, head.length)) return false;
    for (let i = 0; i < spans.length; i += 2) if (!file.next(bytes, spans[i]!, spans[i + 1]!) || !file.nextByte(0x0a)) return false;
    return file.atEnd(); // and nothing after them
  } finally {
    closeSync(fd);
  }
}

/** Where the last whole UTF-8 character of `bytes[0, n)` ends: before an incomplete sequence at the end, else `n`. */
function characterBoundary(bytes: Buffer, n: number): number {
  let k = n - 1;
  while (k > n - 4 && k > 0 && (bytes[k]! & 0xc0) === 0x80) k--;
  const lead = bytes[k]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return k + need > n ? k : n;
}

/**
 * ctxc's entry cache after a followed write: the entries OpenClaw just cached (frozen by it, as its cache
 * freezes), when it cached them (a header it caches, within its bound) and they spell the file exactly.
 * The kept file followed by new lines keeps the worker read the kept entries continue (the next open gets
 * only the new records); otherwise the next open's whole read finds these entries standing for exactly the
 * file it read and decodes nothing (kept-entries.ts).
 */
function refill(path: string, snapshot: SessionFileSnapshot, written: Written, kept: CachedFile | undefined, h: FollowerHelpers): void {
  const theirs = h.sessionEntriesCache.get(path);
  const now = identityOf(path);
  if (!written.exact || !theirs || theirs.snapshot !== snapshot || !now || !identityIsSnapshot(now, snapshot)) return;
  const grown = !!kept && written.prefixKept && now.dev === kept.identity.dev && now.ino === kept.identity.ino && now.size >= kept.identity.size;
  setCachedEntries(path, { identity: now, entries: written.entries, serializedExactly: true, ...(grown && kept.generation ? { generation: kept.generation } : {}) });
}
