/**
 * RangeReader.read (io/range-reader.ts) reads windows into one buffer it reuses (issue 14: a cold build
 * without a budget walks the whole file back, and a fresh buffer per window was ~10 MB of new memory per
 * 10 MB transcript). A result is valid until the reader's next read: each one, used before the next read
 * as the build uses it, must be the file's bytes at its offsets — newest first and forward, across window
 * refills, with ranges larger than the window, and with short reads — and a file that became shorter
 * fails with TRANSCRIPT_CHANGED.
 */
import { closeSync, openSync, readSync, truncateSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RangeReader } from "../../native-free-workers/io/range-reader.js";
import type { ReadFn } from "../../native-free-workers/io/line-reader.js";
import { randomFile, rangesNewestFirst } from "../support/byte-files.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("read-window");

const file = (name: string, bytes: number, seed: number) => randomFile(dir, name, bytes, seed);

/** Reads every range, checking each against the file before the next read; returns the reads' results. */
function readAll(reader: RangeReader, ranges: [number, number][], data: Buffer): Buffer[] {
  const results: Buffer[] = [];
  for (const [start, end] of ranges) {
    const bytes = reader.read(start, end);
    expect(bytes.equals(data.subarray(start, end)), `[${start}, ${end})`).toBe(true);
    results.push(bytes);
  }
  return results;
}

describe("RangeReader.read through a reused window", () => {
  it("each result is the file's bytes, newest first and forward, across refills and ranges larger than the window", () => {
    const f = file("a.bin", 1_500_000, 1);
    const fd = openSync(f.path, "r");
    try {
      const lengths = [1, 3_000, 70_000, 300_000, 17, 200 * 1024, 9_000];
      const backward = rangesNewestFirst(f.data.length, lengths);
      expect(backward.some(([s, e]) => e - s > 256 * 1024)).toBe(true);
      const reader = new RangeReader(fd, f.path);
      readAll(reader, backward, f.data);
      readAll(reader, [...backward].reverse(), f.data); // forward, the same reader
    } finally {
      closeSync(fd);
    }
  });

  it("reuses the window's memory from one refill to the next (a new buffer only for a range larger than the window)", () => {
    const f = file("b.bin", 2_000_000, 2);
    const fd = openSync(f.path, "r");
    try {
      const reader = new RangeReader(fd, f.path);
      const results = readAll(reader, rangesNewestFirst(f.data.length, [40_000]), f.data);
      const memories = new Set(results.map((b) => b.buffer));
      expect(memories.size).toBe(1); // ~50 windows read, one buffer
      const large = reader.read(0, 600_000);
      expect(large.equals(f.data.subarray(0, 600_000))).toBe(true);
      expect(memories.has(large.buffer)).toBe(false);
      // A scattered reader (no window) reads exactly the ranges asked for, each into memory of its own:
      // a result outlives the next read.
      const scattered = new RangeReader(fd, f.path, undefined, 0);
      const [a, b] = [scattered.read(10, 20), scattered.read(100, 200)];
      expect([a.equals(f.data.subarray(10, 20)), b.equals(f.data.subarray(100, 200))]).toEqual([true, true]);
    } finally {
      closeSync(fd);
    }
  });

  it("short reads fill the window alike; a file that became shorter fails with TRANSCRIPT_CHANGED", () => {
    const f = file("c.bin", 800_000, 3);
    const fd = openSync(f.path, "r");
    try {
      const short: ReadFn = (d, buffer, offset, length, position) => readSync(d, buffer, offset, Math.min(length, 1_000 + (position % 777)), position);
      readAll(new RangeReader(fd, f.path, short), rangesNewestFirst(f.data.length, [5_000, 120_000, 333]), f.data);
      const reader = new RangeReader(fd, f.path);
      reader.read(700_000, 701_000);
      truncateSync(f.path, 100_000);
      expect(() => reader.read(150_000, 160_000)).toThrow(expect.objectContaining({ code: "TRANSCRIPT_CHANGED" }));
      expect(() => reader.read(0, 600_000)).toThrow(expect.objectContaining({ code: "TRANSCRIPT_CHANGED" }));
    } finally {
      closeSync(fd);
    }
  });
});
