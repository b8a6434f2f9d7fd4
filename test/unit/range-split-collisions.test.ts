/**
 * Split cold builds (issue 14) with the id hash cut to two bits (CTXC_ID_HASH_BITS, set before the
 * compiler's modules load): the scanning lane ships each id as its hash, so nearly every id of the range
 * shares its hash with a quarter of the rows before the cut — and with rows of the range, which the scan
 * compared as strings. The owner must read back and compare the rows before the cut only, and still
 * give exactly the single pass's context and state (cold and then warm): generated branched and
 * compacted files, a damaged one, and the id seam cases (duplicates, parents across the cut, ids of
 * lines the key scan declines).
 */
import { describe, expect, it } from "vitest";
import { damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";

process.env.CTXC_ID_HASH_BITS = "2";
const { idHash } = await import("../../native-free-workers/pi/record-table.js");
const { cutsFor, expectSplitEqual, idSeamTranscript } = await import("../support/split-compare.js");

describe("split cold build = single pass, ids colliding by hash", () => {
  it("the hash really is two bits here", () => {
    expect(new Set(Array.from({ length: 64 }, (_, i) => idHash(`id-${i}`))).size).toBeLessThanOrEqual(4);
  });

  it("generated transcripts, branched and compacted, then a warm build", async () => {
    const full = generateTranscript({ seed: 61, entries: 180, branchProbability: 0.25, compactions: 3, includeAllEntryTypes: true }).text;
    const lines = full.split("\n");
    const text = lines.slice(0, -10).join("\n") + "\n";
    const more = lines.slice(-10).join("\n");
    expect(await expectSplitEqual(text, cutsFor(text, 61, 5), { budget: 5_000, chunkBytes: 4096 }, more)).toBeGreaterThan(5);
  });

  it("damaged transcripts (duplicate ids and lines, a cycle, a torn tail)", async () => {
    const base = generateTranscript({ seed: 62, entries: 160, branchProbability: 0.2, compactions: 2 }).text;
    for (const kind of ["duplicate-ids", "duplicate-line", "cycle", "torn-tail"] as const) {
      const text = damage(base, kind, 5);
      expect(await expectSplitEqual(text, cutsFor(text, 62, 4), { budget: null, chunkBytes: 8192 })).toBeGreaterThan(3);
    }
  });

  it("the id seam cases at cuts all through the file", async () => {
    const text = idSeamTranscript(3);
    const cuts: number[] = [];
    for (let at = 1; at < text.length; at += 211) cuts.push(at);
    expect(await expectSplitEqual(text, cuts, { budget: null, chunkBytes: 1024 })).toBeGreaterThan(cuts.length * 0.9);
  });
});
