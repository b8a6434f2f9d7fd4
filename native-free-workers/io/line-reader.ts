/**
 * Streams a transcript in fixed-size chunks and splits it on raw `\n` bytes.
 *
 * Why raw bytes: 0x0A never occurs inside a multi-byte UTF-8 sequence, so splitting before decoding is
 * exact, and it lets us skip an oversized line without ever decoding or holding it. The file is never
 * turned into one string: memory is bounded by the chunk size plus the longest line we accept.
 *
 * Why synchronous reads: this runs on a worker thread whose only job is this build; `readSync` on a
 * regular file avoids a promise per chunk and measured ~2× faster than readFile+split.
 */
import { readSync } from "node:fs";

/**
 * `fs.readSync`'s shape (positional). Injectable so tests can prove that short reads (a filesystem
 * returning fewer bytes than asked, as network and FUSE filesystems do) never change the result.
 */
export type ReadFn = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number;

export interface LineReaderOptions {
  /** Bytes per read() call. */
  chunkBytes: number;
  /** Lines longer than this are skipped (reported through `onOversize`) and never buffered. */
  maxLineBytes: number;
  /**
   * Read at least up to this offset. Past it, reading continues only to finish the line that straddles
   * it, so a writer appending while we read cannot keep us reading forever.
   */
  until: number;
  /** The read call; default `fs.readSync`. Only tests pass another one. */
  read?: ReadFn;
  /**
   * The buffer chunks are read into (its length is the chunk size; default a new one of `chunkBytes`).
   * A reader never needs its bytes once a {@link LineReader.step} is done (the piece of a line that
   * continues in the next chunk is copied), so readers of one thread may share one — the line-key scan's
   * buffer in WASM memory, where lines are scanned without a copy (pi/line-keys.ts `scanReadBuffer`).
   */
  chunk?: Buffer;
  /**
   * Keep the last `bytes` bytes before the consumed end ({@link LineReader.tail}) from the chunks as they
   * were read; `before`: the bytes just before `from` (the previous read's tail). For the append check
   * (session/append-check.ts): bytes read back from the file later could be a rewrite's, not the lines'.
   */
  keepTail?: { bytes: number; before: Buffer };
  /**
   * Keep the file's first `bytes` bytes, up to the consumed end ({@link LineReader.head}), from the chunks
   * as they were read — every byte, a skipped line's too; `before`: what the previous read kept (the bytes
   * up to `from` when it is shorter than `bytes`; a head that ended short of `from` stays as it is). For the
   * append check's head, as `keepTail` for its tail.
   */
  keepHead?: { bytes: number; before: Buffer };
}

export interface LineSink {
  /**
   * A complete line (without its `\n`). `bytes` is only valid during the call: it may be a view into the
   * reader's chunk buffer.
   */
  onLine(bytes: Buffer, offset: number, lineNo: number): void;
  /** A line longer than `maxLineBytes`, skipped. */
  onOversize(offset: number, lineNo: number, length: number): void;
}

export interface ReadLinesResult {
  /** Offset just past the last complete line's `\n`: the consistent prefix that was consumed. */
  end: number;
  /** Number of the next line (1-based line numbers). */
  nextLineNo: number;
  /** Bytes read from the file, torn tail included. */
  bytesRead: number;
  /**
   * A final line without `\n` at end of file (still being written, or torn by a crash), not passed to
   * `onLine`. Null when the file ends with `\n`, or when reading stopped at `until` with more to come.
   */
  torn: { offset: number; length: number; lineNo: number } | null;
}

/**
 * Reads complete lines from `fd` starting at byte `from` (which must be a line start), one chunk per
 * {@link LineReader.step} call, so a build can pause between chunks and let other work run.
 */
export class LineReader {
  private readonly chunk: Buffer;
  private position: number; // file offset of chunk[0] on the next read
  private lineStart: number; // file offset where the current (unfinished) line starts
  private lineNo: number;
  private bytesRead = 0;
  // Pieces of a line that spans chunks. Copied, because `chunk` is reused.
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false; // inside an oversized line: drop bytes until its `\n`
  private finishLineAt = -1; // once past `until`: the start of the one line we still finish
  private eof = false;
  private finished = false;
  // keepTail: the last bytes before `lineStart` (`tail`) and before `position` (`recent`), as read.
  private tailBytes: Buffer;
  private recent: Buffer;
  // keepHead: the file's first bytes as read, possibly past `lineStart` (a line not yet ended).
  private headSeen: Buffer;

  constructor(
    private readonly fd: number,
    from: number,
    firstLineNo: number,
    private readonly options: LineReaderOptions,
    private readonly sink: LineSink,
  ) {
    this.chunk = options.chunk ?? Buffer.allocUnsafe(options.chunkBytes);
    this.position = from;
    this.lineStart = from;
    this.lineNo = firstLineNo;
    this.tailBytes = this.recent = options.keepTail?.before ?? Buffer.alloc(0);
    this.headSeen = options.keepHead?.before ?? Buffer.alloc(0);
  }

  get done(): boolean {
    return this.finished;
  }

  /** File offset up to which bytes have been read (the torn tail included). */
  get readTo(): number {
    return this.position;
  }

  /** With `keepHead`: the file's first bytes up to the consumed end ({@link ReadLinesResult.end}), as read. */
  get head(): Buffer {
    return this.headSeen.length <= this.lineStart ? this.headSeen : this.headSeen.subarray(0, this.lineStart);
  }

  /** With `keepTail`: the last bytes before the consumed end ({@link ReadLinesResult.end}), as read. */
  get tail(): Buffer {
    return this.tailBytes;
  }

  /** Reads and splits one chunk. Returns false once there is nothing more to read. */
  step(): boolean {
    if (this.finished) return false;
    const { options, sink, chunk } = this;
    if (this.position >= options.until) {
      if (this.finishLineAt === -1) this.finishLineAt = this.lineStart;
      if (this.position === this.lineStart || this.lineStart !== this.finishLineAt) {
        this.finished = true;
        return false;
      }
    }
    const n = (options.read ?? readSync)(this.fd, chunk, 0, chunk.length, this.position);
    if (n === 0) {
      this.eof = true; // a short read is not EOF: only a read of 0 bytes is
      this.finished = true;
      return false;
    }
    this.bytesRead += n;
    // Before the lines: a sink may get views of the chunk.
    const headBytes = options.keepHead?.bytes;
    if (headBytes !== undefined) this.extendHead(headBytes, chunk, n);
    let cursor = 0;
    while (cursor < n) {
      const nl = chunk.indexOf(10, cursor);
      const pieceEnd = nl === -1 || nl >= n ? n : nl;
      const pieceLength = pieceEnd - cursor;
      if (!this.skipping && this.pendingBytes + pieceLength > options.maxLineBytes) {
        this.skipping = true;
        this.pending = [];
        this.pendingBytes = 0;
      }
      if (pieceEnd === n) {
        // No newline in the rest of this chunk: keep the piece and read on.
        if (!this.skipping) {
          this.pending.push(Buffer.from(chunk.subarray(cursor, n)));
          this.pendingBytes += pieceLength;
        }
        break;
      }
      // A complete line ends at `nl`.
      const lineLength = this.position + nl - this.lineStart;
      const lineStart = this.lineStart;
      const lineNo = this.lineNo;
      this.lineNo++;
      this.lineStart = this.position + nl + 1;
      cursor = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        sink.onOversize(lineStart, lineNo, lineLength);
      } else if (this.pendingBytes === 0) {
        sink.onLine(chunk.subarray(cursor - 1 - pieceLength, nl), lineStart, lineNo);
      } else {
        this.pending.push(chunk.subarray(cursor - 1 - pieceLength, nl));
        const line = Buffer.concat(this.pending, this.pendingBytes + pieceLength);
        this.pending = [];
        this.pendingBytes = 0;
        sink.onLine(line, lineStart, lineNo);
      }
    }
    const keep = options.keepTail?.bytes;
    if (keep !== undefined) {
      // A line ended in this chunk (lineStart moved past the chunk's start): the tail ends there now.
      if (this.lineStart > this.position) this.tailBytes = lastBytes(keep, this.recent, chunk.subarray(0, this.lineStart - this.position));
      this.recent = lastBytes(keep, this.recent, chunk.subarray(0, n));
    }
    this.position += n;
    return true;
  }

  /** Adds the chunk's bytes below `limit` to the head, when they continue it (a copy: the chunk is reused). */
  private extendHead(limit: number, chunk: Buffer, n: number): void {
    const have = this.headSeen.length;
    const to = Math.min(this.position + n, limit);
    if (have < this.position || to <= have) return;
    this.headSeen = Buffer.concat([this.headSeen, chunk.subarray(have - this.position, to - this.position)]);
  }

  /** Where reading stands: the consumed prefix, and a torn last line once finished at EOF. */
  result(): ReadLinesResult {
    const tornLength = this.position - this.lineStart;
    return {
      end: this.lineStart,
      nextLineNo: this.lineNo,
      bytesRead: this.bytesRead,
      torn: this.eof && tornLength > 0 ? { offset: this.lineStart, length: tornLength, lineNo: this.lineNo } : null,
    };
  }
}

/** The last `keep` bytes of `before` followed by `bytes`, copied (`bytes` may be a view into the chunk). */
function lastBytes(keep: number, before: Buffer, bytes: Buffer): Buffer {
  if (bytes.length >= keep) return Buffer.from(bytes.subarray(bytes.length - keep));
  const head = before.subarray(Math.max(0, before.length - (keep - bytes.length)));
  return Buffer.concat([head, bytes], head.length + bytes.length);
}

/** Reads all complete lines in one go (see {@link LineReader}). */
export function readLines(
  fd: number,
  from: number,
  firstLineNo: number,
  options: LineReaderOptions,
  sink: LineSink,
): ReadLinesResult {
  const reader = new LineReader(fd, from, firstLineNo, options, sink);
  while (reader.step());
  return reader.result();
}
