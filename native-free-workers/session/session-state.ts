/**
 * What a worker keeps about one transcript between builds, so that the next build reads only the
 * bytes appended since: the entry index, where reading stopped, cached token counts, and enough of
 * the file's identity to tell an append from anything else.
 *
 * An append-only log can change in ways that are not appends: OpenClaw's repair pass and compaction
 * rewrite the file (atomically, by rename), users truncate or delete it. Before trusting the state we
 * check the inode (replaced by rename?), the size (truncated?) and the bytes at the start and just
 * before the old end (rewritten in place?). Any mismatch discards the state and the build starts
 * over, and says why.
 */
import type { Stats } from "node:fs";
import { DiagnosticLog } from "../transcript/diagnostics.js";
import type { BranchMemo } from "../transcript/active-branch.js";
import { readAt } from "../transcript/read-at.js";
import { TranscriptIndex } from "../transcript/transcript-index.js";

/** Why a build could not continue from the previous state. */
export type RebuildReason =
  /** No state for this transcript (first build, evicted, or the worker was replaced). */
  | "cold"
  /** The path now names another file (rename, delete + recreate). */
  | "replaced"
  /** The file is shorter than what was read before. */
  | "truncated"
  /** Bytes that were read before have changed. */
  | "rewritten"
  /** A different tokenizer than the cached counts were made with (index kept, counts redone). */
  | "tokenizer"
  /** A different `maxLineBytes` than the state was indexed with: lines skipped or kept before may not be now. */
  | "options";

const CHECK_BYTES = 4096;

export class SessionState {
  readonly index: TranscriptIndex;
  /** Diagnostics found while parsing lines; they stay true for later builds of the same bytes. */
  readonly parseDiagnostics: DiagnosticLog;
  /** Offset just past the last complete line ingested. */
  end = 0;
  nextLineNo = 1;
  /** Tokenizer the cached counts on the records were made with. */
  tokenizer = "";
  /** The job currently reading into this state (two builds must not ingest the same bytes twice). */
  owner: number | null = null;
  /** The last active-branch resolution, extended by the next build when the branch just grew. */
  branchMemo: BranchMemo | undefined = undefined;
  /** `end` when the state was last saved to the persistent index (-1: never). */
  savedEnd = -1;
  /** The `maxLineBytes` the lines were indexed with (null: unknown, e.g. restored from disk). */
  maxLineBytes: number | null = null;
  /** Last time a build used this state (LRU). */
  lastUsed = 0;
  private dev: number;
  private ino: number;
  private head: Buffer = Buffer.alloc(0);
  /** The head stopped growing (a line in it was skipped unread). */
  private headClosed = false;
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    readonly path: string,
    stats: Stats,
    maxDiagnostics: number,
  ) {
    this.dev = stats.dev;
    this.ino = stats.ino;
    this.parseDiagnostics = new DiagnosticLog(maxDiagnostics);
    this.index = new TranscriptIndex(this.parseDiagnostics);
  }

  /** Checks that the open file is the one this state describes, grown by appends at most. */
  verify(fd: number, stats: Stats): RebuildReason | null {
    if (stats.dev !== this.dev || stats.ino !== this.ino) return "replaced";
    if (stats.size < this.end) return "truncated";
    if (this.end === 0) return null;
    if (!readAt(fd, 0, this.head.length).equals(this.head)) return "rewritten";
    if (!readAt(fd, this.end - this.tail.length, this.end).equals(this.tail)) return "rewritten";
    return null;
  }

  /**
   * Whether lines indexed under this state's `maxLineBytes` are the lines a build with `maxLineBytes`
   * would index: "options" when not. A state of unknown limit is kept unless it skipped a line for its
   * length, and then takes this limit.
   */
  indexedWith(maxLineBytes: number): RebuildReason | null {
    if (this.maxLineBytes === maxLineBytes) return null;
    if (this.maxLineBytes !== null || (this.parseDiagnostics.counts.LINE_TOO_LONG ?? 0) > 0) return "options";
    this.maxLineBytes = maxLineBytes;
    return null;
  }

  /**
   * Records the first bytes of the file from the lines as they were read (not read again later: a file
   * rewritten while a build runs would otherwise hand the check the new bytes, and the check would pass
   * a build that mixed old and new). Call for every consumed line, in order, before moving `end`.
   * `length` is the line's length without its `\n`; `bytes` may be null for a line that was skipped
   * unread (too long), which ends the head there.
   */
  observeLine(offset: number, length: number, bytes: Buffer | null): void {
    if (this.headClosed || offset !== this.head.length || offset >= CHECK_BYTES) {
      this.headClosed ||= offset < CHECK_BYTES;
      return;
    }
    if (!bytes) {
      this.headClosed = true;
      return;
    }
    const take = Math.min(length + 1, CHECK_BYTES - offset);
    const line = Buffer.allocUnsafe(take);
    bytes.copy(line, 0, 0, Math.min(take, bytes.length));
    if (take > bytes.length) line[bytes.length] = 10; // the line's "\n"
    this.head = Buffer.concat([this.head, line]);
  }

  /** Records the bytes before `end` that later builds check; call whenever `end` moved. */
  snapshot(fd: number): void {
    this.tail = readAt(fd, Math.max(0, this.end - CHECK_BYTES), this.end);
  }

  /** Forgets cached token counts (another tokenizer). */
  resetTokens(tokenizer: string): void {
    for (const record of this.index.records) record.tokens = -1;
    this.tokenizer = tokenizer;
  }

  /** The file identity and check bytes, for the persistent index. */
  identity(): { dev: number; ino: number; head: string; tail: string } {
    return { dev: this.dev, ino: this.ino, head: this.head.toString("base64"), tail: this.tail.toString("base64") };
  }

  /** Restores what {@link identity} saved. */
  restoreIdentity(saved: { dev: number; ino: number; head: string; tail: string }): void {
    this.dev = saved.dev;
    this.ino = saved.ino;
    this.head = Buffer.from(saved.head, "base64");
    this.tail = Buffer.from(saved.tail, "base64");
  }

  /** Approximate heap bytes held (for the LRU bound). */
  get approxBytes(): number {
    return 1024 + this.index.records.length * 240 + this.head.length + this.tail.length;
  }
}
