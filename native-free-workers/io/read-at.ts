/**
 * Reads bytes `[start, end)` of an open file, looping over short reads (a filesystem may return fewer
 * bytes than asked without being at end of file). Stops early only at end of file: the result is then
 * shorter than asked, and the caller decides what that means.
 */
import { readSync } from "node:fs";
import type { ReadFn } from "./line-reader.js";

export function readAt(fd: number, start: number, end: number, read: ReadFn = readSync): Buffer {
  const buffer = Buffer.allocUnsafe(Math.max(0, end - start)); // only the filled part is returned
  return buffer.subarray(0, readInto(fd, buffer, 0, start, end, read));
}

/** {@link readAt} into `target` at `at` (which must have room for `end - start` bytes); returns the bytes filled. */
export function readInto(fd: number, target: Buffer, at: number, start: number, end: number, read: ReadFn = readSync): number {
  const length = Math.max(0, end - start);
  let filled = 0;
  while (filled < length) {
    const n = read(fd, target, at + filled, length - filled, start + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}
