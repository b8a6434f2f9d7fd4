/**
 * Short reads (issue 6): `read()` may return fewer bytes than asked (network and FUSE filesystems,
 * signals), and only a return of 0 means end of file. A short read must never change the result.
 *
 * Units: LineReader and RangeReader with an injected read function that returns a random 1..n bytes
 * per call, against the plain `fs.readSync` result. End to end: a whole build (compileSteps, in this
 * process) with `fs.readSync` itself patched to return short reads, against a normal build.
 */
import fs, { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { compileSteps } from "../../native-free-workers/compile.js";
import { RangeReader } from "../../native-free-workers/io/range-reader.js";
import { SessionCache } from "../../native-free-workers/session/session-cache.js";
import { readLines, type ReadFn } from "../../native-free-workers/io/line-reader.js";
import { decodeContext } from "../../src/index.js";
import { normalizeBuildOptions } from "../../src/options.js";
import { Tally } from "../support/reliability.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("short-reads");
const tally = new Tally("short-reads");
afterAll(() => tally.write());

const realReadSync = fs.readSync;

/** A read that returns at most `1 + rng % max` bytes per call, and counts how many calls came up short. */
function shortReader(seed: number, max: number): { read: ReadFn; short: () => number } {
  let r = seed >>> 0 || 1;
  let short = 0;
  const read: ReadFn = (fd, buffer, offset, length, position) => {
    r = (r * 1103515245 + 12345) >>> 0;
    const want = Math.min(length, 1 + (r % max));
    const n = realReadSync(fd, buffer, offset, want, position);
    if (n < length && n > 0) short++;
    return n;
  };
  return { read, short: () => short };
}

function collect(path: string, read: ReadFn | undefined, chunkBytes: number, maxLineBytes: number) {
  const fd = openSync(path, "r");
  try {
    const out: unknown[] = [];
    const size = fs.fstatSync(fd).size;
    const result = readLines(fd, 0, 1, { chunkBytes, maxLineBytes, until: size, read }, {
      onLine: (bytes, offset, lineNo) => out.push(["line", bytes.toString("latin1"), offset, lineNo]),
      onOversize: (offset, lineNo, length) => out.push(["oversize", offset, lineNo, length]),
    });
    return { out, result: { ...result, bytesRead: 0 } };
  } finally {
    closeSync(fd);
  }
}

let n = 0;
describe("short reads do not change the result", () => {
  it("LineReader: random content, chunk sizes and short reads", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(10), fc.nat(255)), { maxLength: 3000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.integer({ min: 1, max: 64 }),
        (bytes, chunkBytes, maxLineBytes, seed, max) => {
          const t = tally.add("LineReader unit");
          const path = join(dir, `lr${n++}`);
          writeFileSync(path, Buffer.from(bytes));
          const expected = collect(path, undefined, chunkBytes, maxLineBytes);
          const { read, short } = shortReader(seed, max);
          expect(collect(path, read, chunkBytes, maxLineBytes)).toEqual(expected);
          tally.groups["LineReader unit"]!.faults += short() - 1;
          t.survived();
        },
      ),
      { numRuns: 400 },
    );
  });

  it("RangeReader: random ranges read back equal the file's bytes", () => {
    const text = Buffer.from(generateTranscript({ seed: 5, entries: 300, unicode: "heavy" }).text);
    const path = join(dir, "ranges.jsonl");
    writeFileSync(path, text);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(text.length), fc.nat(200_000)), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 1 << 30 }), (ranges, seed) => {
        const t = tally.add("RangeReader unit");
        const fd = openSync(path, "r");
        try {
          const { read, short } = shortReader(seed, 5000);
          const reader = new RangeReader(fd, path, read);
          // Falling file order, as builds ask for them, then a few arbitrary ones.
          const sorted = ranges.map(([s, l]) => [s, Math.min(text.length, s + l)] as const).sort((a, b) => b[0] - a[0]);
          for (const [start, end] of [...sorted, ...ranges.map(([s, l]) => [s, Math.min(text.length, s + l)] as const)]) {
            expect(Buffer.compare(reader.read(start, end), text.subarray(start, end))).toBe(0);
          }
          tally.groups["RangeReader unit"]!.faults += short() - 1;
        } finally {
          closeSync(fd);
        }
        t.survived();
      }),
      { numRuns: 200 },
    );
  });

  it("a whole build with fs.readSync returning short reads equals a normal build", async () => {
    const build = async (path: string): Promise<ArrayBuffer> => {
      const task = normalizeBuildOptions({ transcript: path, tokenizer: "o200k_base", budget: null });
      const steps = compileSteps(task, new SessionCache(1 << 30), 1);
      for (;;) {
        const step = await steps.next();
        if (step.done) return step.value;
      }
    };
    for (const seed of [1, 2, 3, 4]) {
      const t = tally.add("whole build (fs.readSync patched)", 0);
      const { text } = generateTranscript({ seed: 900 + seed, entries: 250, compactions: seed % 3, unicode: "heavy", includeAllEntryTypes: true, toolResultBytes: { min: 100, max: 30_000 } });
      const path = join(dir, `e2e${seed}.jsonl`);
      // A torn tail too: the reader must not take a short read for the end of the file.
      writeFileSync(path, text + '{"type":"message","id":"torn');
      const normal = decodeContext(await build(path));
      const { read, short } = shortReader(seed, 777);
      (fs as { readSync: unknown }).readSync = read;
      syncBuiltinESMExports();
      let patched;
      try {
        patched = decodeContext(await build(path));
      } finally {
        (fs as { readSync: unknown }).readSync = realReadSync;
        syncBuiltinESMExports();
      }
      expect(short()).toBeGreaterThan(100); // the patch really reached the reads
      tally.groups["whole build (fs.readSync patched)"]!.faults += short();
      expect([...patched.messages]).toStrictEqual([...normal.messages]);
      expect(patched.tokens.perMessage).toEqual(normal.tokens.perMessage);
      expect(patched.diagnostics).toEqual(normal.diagnostics);
      expect(patched.diagnostics.map((d) => d.code)).toContain("TORN_TAIL");
      expect(patched.meta.transcript).toEqual(normal.meta.transcript);
      expect(readFileSync(path, "utf8")).toContain(text);
      t.survived();
    }
  });
});
