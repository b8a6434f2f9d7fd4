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

/** Reads complete lines from `fd` starting at byte `from` (which must be a line start). */
export function readLines(
  fd: number,
  from: number,
  firstLineNo: number,
  options: LineReaderOptions,
  sink: LineSink,
): ReadLinesResult {
  const chunk = Buffer.allocUnsafe(options.chunkBytes);
  let position = from; // file offset of chunk[0] on the next read
  let lineStart = from; // file offset where the current (unfinished) line starts
  let lineNo = firstLineNo;
  let bytesRead = 0;
  // Pieces of a line that spans chunks. Copied, because `chunk` is reused.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false; // inside an oversized line: drop bytes until its `\n`
  let finishLineAt = -1; // once past `until`: the start of the one line we still finish
  let eof = false;

  for (;;) {
    if (position >= options.until) {
      if (finishLineAt === -1) finishLineAt = lineStart;
      if (position === lineStart || lineStart !== finishLineAt) break;
    }
    const n = readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) {
      eof = true; // a short read is not EOF: only a read of 0 bytes is
      break;
    }
    bytesRead += n;
    let cursor = 0;
    while (cursor < n) {
      const nl = chunk.indexOf(10, cursor);
      const pieceEnd = nl === -1 || nl >= n ? n : nl;
      const pieceLength = pieceEnd - cursor;
      if (!skipping && pendingBytes + pieceLength > options.maxLineBytes) {
        skipping = true;
        pending = [];
        pendingBytes = 0;
      }
      if (pieceEnd === n) {
        // No newline in the rest of this chunk: keep the piece and read on.
        if (!skipping) {
          pending.push(Buffer.from(chunk.subarray(cursor, n)));
          pendingBytes += pieceLength;
        }
        break;
      }
      // A complete line ends at `nl`.
      const lineLength = position + nl - lineStart;
      if (skipping) {
        sink.onOversize(lineStart, lineNo, lineLength);
        skipping = false;
      } else if (pendingBytes === 0) {
        sink.onLine(chunk.subarray(cursor, nl), lineStart, lineNo);
      } else {
        pending.push(chunk.subarray(cursor, nl));
        sink.onLine(Buffer.concat(pending, pendingBytes + pieceLength), lineStart, lineNo);
        pending = [];
        pendingBytes = 0;
      }
      lineNo++;
      lineStart = position + nl + 1;
      cursor = nl + 1;
    }
    position += n;
  }

  const tornLength = position - lineStart;
  return {
    end: lineStart,
    nextLineNo: lineNo,
    bytesRead,
    torn: eof && tornLength > 0 ? { offset: lineStart, length: tornLength, lineNo } : null,
  };
}
