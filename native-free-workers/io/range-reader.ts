/**
 * Reads the byte ranges of the entries that reach the context back from the open transcript.
 *
 * Builds walk the context newest-first, so ranges arrive in falling file order; reading a window
 * that ends at the requested range turns thousands of small preads into a few large sequential ones.
 * The fd stays open for the whole build, so a transcript replaced by rename is still read whole from
 * the old inode; a transcript truncated under us shows up as a short read and fails the build.
 */
import { readSync } from "node:fs";
import { Errors } from "../protocol/errors.js";
import type { ReadFn } from "./line-reader.js";
import { readAt, readInto } from "./read-at.js";

/**
 * Windows start small and double on each miss: a warm build with a budget reads back a few hundred KB,
 * so a fixed large window would read far more than it uses; a cold build without one still ends up
 * reading in large sequential steps. The largest window is most of a cold build's own memory (issue 14:
 * flat in the file's size): at 4 MiB a 10 MB transcript's build peaked at 5–7 MB beyond its state while a
 * 1 MB one (whose windows the file caps) peaked at ~2 MB. Since the context's messages no longer hold the
 * windows they were read from (assemble/materialize.ts copies them out), only the current window is held:
 * 256 KiB (was 1 MiB) leaves a 120k-token context (~0.5 MB of text) a few more sequential reads — a few
 * syscalls from the page cache, against a cold build of 20–600 ms — and takes 0.75 MB off the peak of
 * every transcript past ~2 MB, which the 1 MB one (windows capped by the file) did not have.
 */
const FIRST_WINDOW_BYTES = 64 * 1024;
const MAX_WINDOW_BYTES = 256 * 1024;

const EMPTY = Buffer.alloc(0);

/**
 * The window {@link RangeReader.copyInto} reads through: one per worker, reused by every build (issue 14).
 * A warm build copies its ~0.6 MB of kept messages from the transcript into the context buffer; through
 * windows of their own that took ~0.7 MB of fresh allocations per build, whose first touch (page faults)
 * cost more than reading the bytes from the page cache. Bytes copied out of it are never handed out, so
 * reusing it cannot change a result another caller holds; the worker runs one encode at a time
 * (encodeContext does not yield). 256 KiB held for the worker's life, whatever the sessions.
 */
const COPY_WINDOW_BYTES = MAX_WINDOW_BYTES;
let copyWindow: Buffer | null = null;
/** Who filled the copy window last, and with which bytes of its file. */
let copyOwner: RangeReader | null = null;
let copyStart = 0;
let copyLength = 0;

export class RangeReader {
  private window: Buffer = EMPTY;
  /**
   * The memory windows are read into, reused from window to window (windowed readers only). A fresh
   * buffer per window had cost a cold build without a budget ~10 MB of new allocations on a 10 MB
   * transcript (it walks the whole file back), each page touched first by the read (issue 14). So a
   * result is valid only until the next read: every caller uses it (parses, copies) before reading again.
   */
  private own: Buffer = EMPTY;
  private windowStart = 0;
  private windowBytes: number;

  constructor(
    private readonly fd: number,
    private readonly path: string,
    /** The read call; default `fs.readSync`. Only tests pass another one (short-read injection). */
    private readonly readFn: ReadFn = readSync,
    /**
     * The largest window; 0 reads exactly the ranges asked for (scattered single records, where a
     * window would read bytes no later range uses: the index's reads back, pi/transcript-index.ts).
     */
    private readonly maxWindowBytes = MAX_WINDOW_BYTES,
  ) {
    this.windowBytes = Math.min(FIRST_WINDOW_BYTES, maxWindowBytes);
  }

  /** Drops the window (RecordReader.release); a later read starts a new one. */
  release(): void {
    this.window = EMPTY;
    this.own = EMPTY;
    this.windowStart = 0;
    if (copyOwner === this) copyOwner = null;
  }

  /**
   * Copies bytes `[start, end)` of the file into `target` at `at`, through the worker's copy window
   * (see COPY_WINDOW_BYTES): ranges walked newest first, like {@link read}'s. A range larger than the
   * window is read straight into `target`. Fails like {@link read} when the file became shorter.
   */
  copyInto(start: number, end: number, target: Uint8Array, at: number): void {
    if (copyOwner === this && start >= copyStart && end <= copyStart + copyLength) {
      target.set(copyWindow!.subarray(start - copyStart, end - copyStart), at);
      return;
    }
    if (end - start > COPY_WINDOW_BYTES) {
      const into = Buffer.from(target.buffer, target.byteOffset, target.byteLength);
      if (readInto(this.fd, into, at, start, end, this.readFn) < end - start) throw Errors.transcriptShortened(this.path);
      return;
    }
    copyWindow ??= Buffer.allocUnsafeSlow(COPY_WINDOW_BYTES);
    const from = Math.max(0, end - COPY_WINDOW_BYTES);
    copyOwner = null; // until it holds this reader's bytes
    const filled = readInto(this.fd, copyWindow, 0, from, end, this.readFn);
    if (from + filled < end) throw Errors.transcriptShortened(this.path);
    copyOwner = this;
    copyStart = from;
    copyLength = filled;
    target.set(copyWindow.subarray(start - from, end - from), at);
  }

  /**
   * Bytes `[start, end)` of the file. The result is a view of the reader's window: valid until the next
   * read (a windowed reader reuses the window's memory, see {@link own}).
   */
  read(start: number, end: number): Buffer {
    const windowEnd = this.windowStart + this.window.length;
    if (start >= this.windowStart && end <= windowEnd) {
      return this.window.subarray(start - this.windowStart, end - this.windowStart);
    }
    // Walking backwards (budget fitting goes newest first): a window that ends here. Walking forwards: a
    // window that starts here. Either way the next ranges are likely inside it.
    const forward = this.window.length > 0 && start >= windowEnd;
    const from = forward ? start : Math.max(0, Math.min(start, end - this.windowBytes));
    const to = forward ? Math.max(end, start + this.windowBytes) : end;
    const buffer = this.fill(from, to);
    // Past `end` the window is only read-ahead; short of it, the file lost bytes we had read.
    if (from + buffer.length < end) throw Errors.transcriptShortened(this.path);
    this.window = buffer;
    this.windowBytes = Math.min(this.windowBytes * 2, this.maxWindowBytes);
    this.windowStart = from;
    return buffer.subarray(start - from, end - from);
  }

  /** Bytes `[from, to)` read into the reused window memory when they fit in it, else into a buffer of their own. */
  private fill(from: number, to: number): Buffer {
    if (to - from > this.maxWindowBytes) return readAt(this.fd, from, to, this.readFn);
    if (this.own.length === 0) this.own = Buffer.allocUnsafeSlow(this.maxWindowBytes);
    return this.own.subarray(0, readInto(this.fd, this.own, 0, from, to, this.readFn));
  }
}
