/**
 * How a worker tells that a transcript it read before has only been appended to since, so what it kept
 * of the earlier read can be continued. Shared by the compiler's SessionState and the OpenClaw session
 * read (openclaw/session-buffer.ts).
 *
 * An append-only log can change in ways that are not appends: OpenClaw's repair pass and compaction
 * rewrite the file (atomically, by rename), users truncate or delete it. So the check compares the
 * inode (replaced by rename?), the size (truncated?) and the bytes at the start and just before the old
 * end (rewritten in place?).
 */
import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import { readAt } from "../io/read-at.js";

/** What a continued read kept of the file it read: where it ended and the file's times then. */
export interface ReadEnd {
  end: number;
  mtimeMs: number;
  ctimeMs: number;
}

/**
 * The rule beside the byte check, for the worker's read state and the main thread's kept keys alike: a
 * file of the same size whose mtime or ctime moved was written without growing — rewritten in place,
 * perhaps in the middle where the check's head and tail windows do not look (OpenClaw's own snapshot
 * cache treats any such change as a new file too). A file that grew was appended to (its times move
 * anyway). `anyMove`: any move of the times counts (a read that stopped early cannot tell an append).
 */
export function rewrittenInPlace(kept: ReadEnd, st: { size: number; mtimeMs: number; ctimeMs: number }, anyMove = false): boolean {
  const moved = st.mtimeMs !== kept.mtimeMs || st.ctimeMs !== kept.ctimeMs;
  return moved && (anyMove || st.size === kept.end);
}

/** Bytes compared at the start of the file and before the old end. */
export const CHECK_BYTES = 4096;

/** Why a kept read cannot be continued. */
export type AppendCheckFailure =
  /** The path now names another file (rename, delete + recreate). */
  | "replaced"
  /** The file is shorter than what was read before. */
  | "truncated"
  /** Bytes that were read before have changed. */
  | "rewritten";

/**
 * The saved form of an AppendCheck (the persistent index stores it). The windows are kept as their
 * length and SHA-256, not their bytes — they are the start and the end of a private conversation. The
 * check stays exactly as strong: {@link AppendCheck.restore} reads the same windows back from the file
 * and compares their hashes, then holds those bytes as if it had read them itself.
 */
export interface AppendCheckIdentity {
  dev: number;
  ino: number;
  headLength: number;
  headSha256: string;
  tailLength: number;
  tailSha256: string;
}

/** Hex SHA-256 (the check windows here; the transcript path's name in persistent-index.ts). */
export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function isLength(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= CHECK_BYTES;
}

export class AppendCheck {
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    private dev: number,
    private ino: number,
  ) {}

  /**
   * The first bytes of the file (up to CHECK_BYTES, up to the end of what was read) as the lines were read
   * — from the reader's chunks (io/line-reader.ts `keepHead`), every byte, a line skipped unread too — not
   * read again later: a file rewritten while a build runs would otherwise hand the check the new bytes, and
   * the check would pass a build that mixed old and new.
   */
  get headBytes(): Buffer {
    return this.head;
  }

  /** Sets {@link headBytes} (the caller took them from the chunks as read). */
  setHead(bytes: Buffer): void {
    this.head = bytes;
  }

  /** The bytes just before the end of what was read, as the next check will compare them. */
  get tailBytes(): Buffer {
    return this.tail;
  }

  /** Sets the bytes just before `end` (the caller took them from the lines as read). */
  setTail(bytes: Buffer): void {
    this.tail = bytes;
  }

  /**
   * Reads the first bytes of the file (up to `end`) as the head: for a caller that did not read the lines
   * itself but knows the file's bytes up to `end` are the ones it stands for (the main thread's kept keys,
   * src/openclaw/kept-keys.ts, checked against the worker's identity of the file).
   */
  snapshotHead(fd: number, end: number): void {
    this.head = readAt(fd, 0, Math.min(end, CHECK_BYTES));
  }

  /** Reads the bytes just before `end` from the file. */
  snapshotTail(fd: number, end: number): void {
    this.tail = readAt(fd, Math.max(0, end - CHECK_BYTES), end);
  }

  /** Null when the open file is the one read up to `end`, grown by appends at most; else why not. */
  verify(fd: number, stats: Pick<Stats, "dev" | "ino" | "size">, end: number): AppendCheckFailure | null {
    if (stats.dev !== this.dev || stats.ino !== this.ino) return "replaced";
    if (stats.size < end) return "truncated";
    if (end === 0) return null;
    if (!readAt(fd, 0, this.head.length).equals(this.head)) return "rewritten";
    if (!readAt(fd, end - this.tail.length, end).equals(this.tail)) return "rewritten";
    return null;
  }

  identity(): AppendCheckIdentity {
    return {
      dev: this.dev,
      ino: this.ino,
      headLength: this.head.length,
      headSha256: sha256(this.head),
      tailLength: this.tail.length,
      tailSha256: sha256(this.tail),
    };
  }

  /**
   * Takes over a saved identity if the open file passes it — the same comparisons as {@link verify}
   * (inode, size, the bytes at the start and before `end`), with the saved windows' hashes standing in
   * for their bytes — and keeps the bytes just read as the windows. Null when restored; else why not
   * (the check is left as it was). Throws on a malformed saved identity.
   *
   * Windows narrower than `end` allows (a head under min(CHECK_BYTES, end), a tail of another length) are
   * not taken over, as "rewritten": a read keeps both at full width since 2026-12-07, and an index saved
   * before then could hold a head or tail that ended short at a line skipped as too long — a weaker check
   * than a read's, which the state would otherwise carry until its next full read. The caller reads the
   * file again, as for any index it cannot use.
   */
  restore(saved: AppendCheckIdentity, fd: number, stats: Pick<Stats, "dev" | "ino" | "size">, end: number): AppendCheckFailure | null {
    if (!isLength(saved.headLength) || !isLength(saved.tailLength) || typeof saved.headSha256 !== "string" || typeof saved.tailSha256 !== "string") {
      throw new Error("malformed append-check identity");
    }
    if (stats.dev !== saved.dev || stats.ino !== saved.ino) return "replaced";
    if (stats.size < end) return "truncated";
    const full = Math.min(CHECK_BYTES, end);
    if (saved.headLength < full || saved.tailLength !== full) return "rewritten";
    const head = readAt(fd, 0, saved.headLength);
    const tail = readAt(fd, Math.max(0, end - saved.tailLength), end);
    if (head.length !== saved.headLength || sha256(head) !== saved.headSha256) return "rewritten";
    if (tail.length !== saved.tailLength || sha256(tail) !== saved.tailSha256) return "rewritten";
    this.dev = saved.dev;
    this.ino = saved.ino;
    this.head = head;
    this.tail = tail;
    return null;
  }

  /** Bytes held (for LRU bounds). */
  get bytes(): number {
    return this.head.length + this.tail.length;
  }
}
