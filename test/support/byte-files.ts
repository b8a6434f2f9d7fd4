/**
 * Files of seeded pseudo-random bytes, and ranges over them in the order a build reads them back: for
 * the tests of the transcript readers' windows (io/range-reader.ts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** A file `name` in `dir` of `bytes` pseudo-random bytes (seeded), and its contents. */
export function randomFile(dir: string, name: string, bytes: number, seed: number): { path: string; data: Buffer } {
  const data = Buffer.alloc(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, data };
}

/** Consecutive ranges covering `[0, size)`, newest first (as a build reads a context back), of the given lengths in turn. */
export function rangesNewestFirst(size: number, lengths: number[]): [number, number][] {
  const out: [number, number][] = [];
  let end = size;
  for (let i = 0; end > 0; i++) {
    const start = Math.max(0, end - lengths[i % lengths.length]!);
    out.push([start, end]);
    end = start;
  }
  return out;
}
