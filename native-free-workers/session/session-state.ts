/**
 * What a worker keeps about one transcript between builds, so that the next build reads only the
 * bytes appended since: the entry index, where reading stopped, cached token counts, and enough of
 * the file's identity to tell an append from anything else (append-check.ts: inode, size, the bytes at
 * the start and before the old end). Any mismatch discards the state and the build starts over, and
 * says why.
 */
import type { Stats } from "node:fs";
import { DiagnosticLog } from "../protocol/diagnostic-log.js";
import { AppendCheck, CHECK_BYTES, rewrittenInPlace, type AppendCheckFailure, type AppendCheckIdentity } from "./append-check.js";
import type { BranchMemo } from "../pi/active-branch.js";
import { TranscriptIndex } from "../pi/transcript-index.js";

/** Why a build could not continue from the previous state. */
export type RebuildReason =
  /** No state for this transcript (first build, evicted, or the worker was replaced). */
  | "cold"
  /** Not an append since the last read: replaced, truncated or rewritten (append-check.ts). */
  | AppendCheckFailure
  /** A different tokenizer than the cached counts were made with (index kept, counts redone). */
  | "tokenizer"
  /** A different `maxLineBytes` than the state was indexed with: lines skipped or kept before may not be now. */
  | "options";

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
  /**
   * The file's times from the fstat taken before the bytes up to `end` were read (NaN: not known — a read
   * that finished a line appended after that fstat). A later build that finds the file exactly `end` long
   * with other times takes it for rewritten in place, perhaps in the middle where the check's windows do
   * not look (session/append-check.ts `rewrittenInPlace`, the rule the OpenClaw read follows too).
   */
  mtimeMs = Number.NaN;
  ctimeMs = Number.NaN;
  /** `end` when the state was last saved to the persistent index (-1: never). */
  savedEnd = -1;
  /** The `maxLineBytes` the lines were indexed with (null: unknown, e.g. restored from disk). */
  maxLineBytes: number | null = null;
  /** Last time a build used this state (LRU). */
  lastUsed = 0;
  /**
   * What a source other than a JSONL file keeps between builds to verify the store and read records
   * back (sources/sqlite/: row positions and the store's identity). Owned by that source; undefined
   * for JSONL, whose identity is the append check below.
   */
  sourceState: unknown = undefined;
  /**
   * Heap bytes {@link sourceState} holds, kept current by its source (the SQLite source's two numbers
   * per row read), so the LRU bound counts them: for a store of many small rows they are a real share.
   */
  sourceStateBytes = 0;
  private readonly check: AppendCheck;

  /**
   * `createIndex` comes from the transcript's source (sources/source.ts); the default is pi JSONL's, the
   * format the persistent index saves.
   */
  constructor(
    readonly path: string,
    stats: Stats,
    maxDiagnostics: number,
    createIndex: (diagnostics: DiagnosticLog) => TranscriptIndex = (diagnostics) => new TranscriptIndex(diagnostics),
  ) {
    this.check = new AppendCheck(stats.dev, stats.ino);
    this.parseDiagnostics = new DiagnosticLog(maxDiagnostics);
    this.index = createIndex(this.parseDiagnostics);
  }

  /** Checks that the open file is the one this state describes, grown by appends at most. */
  verify(fd: number, stats: Stats): RebuildReason | null {
    return this.check.verify(fd, stats, this.end);
  }

  /**
   * {@link verify} between builds: also the times rule ({@link mtimeMs}). Not within a build (ChangeGuard):
   * there the state's times are the previous build's, and its own reads move `end`.
   */
  verifyKept(fd: number, stats: Stats): RebuildReason | null {
    return this.verify(fd, stats) ?? (rewrittenInPlace(this, stats) ? "rewritten" : null);
  }

  /** Keeps the times of `stats` — the fstat taken before this build read its bytes — when they cover `end` ({@link mtimeMs}). */
  keepReadTimes(stats: Pick<Stats, "size" | "mtimeMs" | "ctimeMs">): void {
    const known = this.end <= stats.size;
    this.mtimeMs = known ? stats.mtimeMs : Number.NaN;
    this.ctimeMs = known ? stats.ctimeMs : Number.NaN;
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

  /** The first bytes of the file as read, up to `end` (a read continuing from `end` extends them: io/line-reader.ts `keepHead`). */
  get checkHead(): Buffer {
    return this.check.headBytes;
  }

  /** Sets {@link checkHead} to the file's first bytes as the lines up to `end` were read. */
  keepCheckHead(bytes: Buffer): void {
    this.check.setHead(bytes);
  }

  /**
   * Records the bytes at the start and before `end` that later builds check, read back from the file: only
   * for lines indexed without their bytes at hand (a split build's replayed scan; its reader stopped at the
   * cut, which may lie in the head's first CHECK_BYTES). A read of the lines keeps them as read instead
   * ({@link checkHead}, {@link checkTail}).
   */
  snapshot(fd: number): void {
    if (this.check.headBytes.length < Math.min(this.end, CHECK_BYTES)) this.check.snapshotHead(fd, this.end);
    this.check.snapshotTail(fd, this.end);
  }

  /** The bytes before `end` that later builds check (a read continuing from `end` extends them). */
  get checkTail(): Buffer {
    return this.check.tailBytes;
  }

  /** Sets {@link checkTail} to the bytes before `end` as the lines up to it were read. */
  keepCheckTail(bytes: Buffer): void {
    this.check.setTail(bytes);
  }

  /** Forgets cached token counts (another tokenizer). */
  resetTokens(tokenizer: string): void {
    this.index.table.resetTokens();
    this.tokenizer = tokenizer;
  }

  /** The file identity and check bytes, for the persistent index. */
  identity(): AppendCheckIdentity {
    return this.check.identity();
  }

  /**
   * Restores what {@link identity} saved if the open file passes it (read up to `end`, which must be
   * set first): null when restored, else why not (AppendCheck.restore).
   */
  restoreIdentity(saved: AppendCheckIdentity, fd: number, stats: Stats): RebuildReason | null {
    return this.check.restore(saved, fd, stats, this.end);
  }

  /** Approximate heap bytes held (for the LRU bound). */
  get approxBytes(): number {
    return 1024 + this.index.bytes + this.check.bytes + this.sourceStateBytes;
  }
}
