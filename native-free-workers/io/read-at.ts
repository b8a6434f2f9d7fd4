/**
 * Reads bytes `[start, end)` of an open file, looping over short reads (a filesystem may return fewer
 * bytes than asked without being at end of file). Stops early only at end of file: the result is then
 * shorter than asked, and the caller decides what that means.
 */
import { readSync } from "node:fs";
import type { ReadFn } from "./line-reader.js";

export function readAt(fd: number, start: number, end: number, read: ReadFn = readSync): Buffer {
  const buffer = Buffer.allocUnsafe(Math.max(0, end - start)); // only the filled part is returned
  let filled = 0;
  while (filled < buffer.length) {
    const n = read(fd, buffer, filled, buffer.length - filled, start + filled);
    if (n === 0) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}
