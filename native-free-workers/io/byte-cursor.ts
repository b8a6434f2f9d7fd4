/**
 * Compares an open file, from a position on, with bytes the caller already holds, reading the file a chunk at a
 * time: one `Buffer#compare` per piece (or per chunk boundary inside one), a single byte checked as a byte. For
 * the checks that a file is exactly some lines the caller kept, without decoding either side: the OpenClaw
 * worker's rebase after a header rewrite (openclaw/header-rebase.ts) and the main thread's write follower
 * (src/openclaw/release/write-follower.ts `fileHoldsBytes`).
 */
import { readInto } from "./read-at.js";

export class FileByteCursor {
  private readonly chunk: Buffer;
  /** The file offset of chunk[0]. */
  private pos: number;
  /** Bytes in chunk. */
  private n = 0;
  /** The next byte of chunk to compare. */
  private c = 0;

  constructor(
    private readonly fd: number,
    from: number,
    chunkBytes: number,
  ) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
    this.pos = from;
  }

  /** Reads the next chunk once the current one is used up; false at the end of the file. */
  private filled(): boolean {
    if (this.c < this.n) return true;
    this.pos += this.n;
    this.n = readInto(this.fd, this.chunk, 0, this.pos, this.pos + this.chunk.length);
    this.c = 0;
    return this.n > 0;
  }

  /** Whether the file's next bytes are `part[at, end)` (consumed when they are). */
  next(part: Uint8Array, at: number, end: number): boolean {
    while (at < end) {
      if (!this.filled()) return false;
      const k = Math.min(this.n - this.c, end - at);
      // Buffer#compare over ranges: no view made per piece.
      if (this.chunk.compare(part, at, at + k, this.c, this.c + k) !== 0) return false;
      at += k;
      this.c += k;
    }
    return true;
  }

  /** Whether the file's next byte is `byte` (consumed when it is). */
  nextByte(byte: number): boolean {
    return this.filled() && this.chunk[this.c++] === byte;
  }

  /** Whether the file ends here. */
  atEnd(): boolean {
    return !this.filled();
  }
}
