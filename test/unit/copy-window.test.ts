/**
 * RangeReader.copyInto (io/range-reader.ts): encode copies a context's messages from the transcript into
 * the buffer through one window per worker, reused by every build (issue 14: a warm build's fresh
 * windows cost more than the bytes). Whatever the window held before — another reader's file, another
 * stretch of this one, a released reader — the bytes copied must be the file's bytes at those offsets,
 * a range larger than the window included; a file that became shorter fails with TRANSCRIPT_CHANGED.
 */
import { closeSync, openSync, truncateSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RangeReader } from "../../native-free-workers/io/range-reader.js";
import { randomFile, rangesNewestFirst } from "../support/byte-files.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("copy-window");

const file = (name: string, bytes: number, seed: number) => randomFile(dir, name, bytes, seed);

function copyAll(reader: RangeReader, ranges: [number, number][], size: number): Buffer {
  const target = new Uint8Array(size + 16); // copied at an offset, as into a context buffer
  for (const [start, end] of ranges) reader.copyInto(start, end, target, 16 + start);
  return Buffer.from(target.subarray(16));
}

describe("RangeReader.copyInto", () => {
  it("copies the file's bytes: small ranges across window refills, and a range larger than the window", () => {
    const f = file("a.bin", 1_300_000, 1);
    const fd = openSync(f.path, "r");
    try {
      const ranges = rangesNewestFirst(f.data.length, [1, 4_000, 70_000, 300_000, 17, 128 * 1024]);
      expect(ranges.some(([s, e]) => e - s > 256 * 1024)).toBe(true);
      expect(copyAll(new RangeReader(fd, f.path), ranges, f.data.length).equals(f.data)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it("two readers of different files, interleaved: each copies its own file's bytes", () => {
    const a = file("b1.bin", 600_000, 2);
    const b = file("b2.bin", 600_000, 3);
    const fa = openSync(a.path, "r");
    const fb = openSync(b.path, "r");
    try {
      const ra = new RangeReader(fa, a.path);
      const rb = new RangeReader(fb, b.path);
      const ta = new Uint8Array(a.data.length);
      const tb = new Uint8Array(b.data.length);
      // The same offsets in both files, so a window filled by one reader covers the other's ranges.
      for (const [start, end] of rangesNewestFirst(a.data.length, [5_000, 900, 33_000])) {
        ra.copyInto(start, end, ta, start);
        rb.copyInto(start, end, tb, start);
      }
      expect(Buffer.from(ta).equals(a.data)).toBe(true);
      expect(Buffer.from(tb).equals(b.data)).toBe(true);
    } finally {
      closeSync(fa);
      closeSync(fb);
    }
  });

  it("a released reader copies what the file holds now, not what its window held", () => {
    const f = file("c.bin", 300_000, 4);
    const fd = openSync(f.path, "r");
    try {
      const reader = new RangeReader(fd, f.path);
      const first = new Uint8Array(1_000);
      reader.copyInto(200_000, 201_000, first, 0);
      expect(Buffer.from(first).equals(f.data.subarray(200_000, 201_000))).toBe(true);
      reader.release(); // a build ends; the next build of this file (same offsets) must not see old bytes
      const changed = file("c.bin", 300_000, 5);
      const again = new Uint8Array(1_000);
      reader.copyInto(200_000, 201_000, again, 0);
      expect(Buffer.from(again).equals(changed.data.subarray(200_000, 201_000))).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it("fails with TRANSCRIPT_CHANGED when the file became shorter than the range, through the window or straight", () => {
    const f = file("d.bin", 700_000, 6);
    const fd = openSync(f.path, "r");
    try {
      truncateSync(f.path, 100_000);
      const target = new Uint8Array(700_000);
      expect(() => new RangeReader(fd, f.path).copyInto(150_000, 160_000, target, 0)).toThrow(expect.objectContaining({ code: "TRANSCRIPT_CHANGED" }));
      expect(() => new RangeReader(fd, f.path).copyInto(0, 600_000, target, 0)).toThrow(expect.objectContaining({ code: "TRANSCRIPT_CHANGED" }));
    } finally {
      closeSync(fd);
    }
  });
});
