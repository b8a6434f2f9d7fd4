/**
 * Random corruption of generated transcripts (issue 6). Whatever the damage, ctxc must not crash or
 * hang, its context must equal pi's on the intact part (pi applied to the bytes with the damaged lines
 * removed, see support/reliability.ts), and every skipped line must be reported with its line number
 * and byte offset. Damages: junk from a random offset to the end, single-bit flips anywhere (they can
 * also create or remove a `\n`), truncation at every byte of the last lines, duplicated and reordered
 * lines, and the generator's named damage kinds.
 *
 * Every case is a new file (a new path), so no warm state from an earlier case is involved.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DAMAGE_KINDS, damage, generateTranscript, type GenerateOptions } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler } from "../../src/index.js";
import { expectMatchesReference, referenceFor, Tally } from "../support/reliability.js";
import { tempDir } from "../support/tmp.js";
import { HANG_MS } from "../support/hang-guard.js";

const dir = tempDir("fuzz");
const compiler = createCompiler({ threads: 2 });
const tally = new Tally("fuzz-corruption");
afterAll(async () => {
  tally.write();
  await compiler.close();
});

/** Small transcripts with every entry type, branches and compactions: fast to build, rich in structure. */
function base(seed: number): Buffer {
  const opts: GenerateOptions = {
    seed,
    entries: 40 + (seed % 50),
    compactions: seed % 3,
    branchProbability: 0.15,
    unicode: (["ascii", "mixed", "heavy"] as const)[seed % 3],
    toolResultBytes: { min: 10, max: 600 },
    imageBytes: { min: 30, max: 300 },
    includeAllEntryTypes: seed % 2 === 0,
  };
  if (opts.includeAllEntryTypes) opts.entries = Math.max(opts.entries!, 70);
  return Buffer.from(generateTranscript(opts).text);
}

let n = 0;
/** Builds `bytes` from a new file and checks it against the reference; returns how it ended. */
async function check(group: string, bytes: Buffer, faults = 1): Promise<void> {
  const t = tally.add(group, faults);
  const path = join(dir, `case-${n++}.jsonl`);
  writeFileSync(path, bytes);
  try {
    // timeoutMs turns a hang into a failure (TIMEOUT) instead of a stuck test.
    const ctx = await compiler.build({ transcript: path, maxDiagnostics: 100_000, tokenizer: "estimate", timeoutMs: HANG_MS });
    t.survived(expectMatchesReference(ctx, referenceFor(bytes)));
  } finally {
    rmSync(path, { force: true });
  }
}

const seeds = fc.integer({ min: 1, max: 1_000_000 });

describe("random corruption: ctxc = pi on the intact part, every skipped line reported", () => {
  it("junk written from a random offset to the end", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, fc.double({ min: 0, max: 1, noNaN: true }), fc.uint8Array({ minLength: 1, maxLength: 3000 }), async (seed, at, junk) => {
        const text = base(seed);
        const offset = Math.floor(at * text.length);
        await check("junk to end", Buffer.concat([text.subarray(0, offset), junk]));
      }),
      { numRuns: 150 },
    );
  });

  it("junk made of JSON-ish bytes (braces, quotes, newlines, NULs) from a random offset", async () => {
    const alphabet = Buffer.from('{}[]":,\\\n\r\t 0123456789nulltruefalse\u0000\u00ff');
    await fc.assert(
      fc.asyncProperty(seeds, fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.nat(alphabet.length - 1), { minLength: 1, maxLength: 800 }), async (seed, at, picks) => {
        const text = base(seed);
        const offset = Math.floor(at * text.length);
        await check("json-ish junk to end", Buffer.concat([text.subarray(0, offset), Buffer.from(picks.map((i) => alphabet[i]!))]));
      }),
      { numRuns: 100 },
    );
  });

  it("single-bit flips anywhere in the file (1 to 3 per case)", async () => {
    await fc.assert(
      fc.asyncProperty(seeds, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.nat(7)), { minLength: 1, maxLength: 3 }), async (seed, flips) => {
        const bytes = Buffer.from(base(seed));
        for (const [at, bit] of flips) bytes[Math.floor(at * bytes.length)]! ^= 1 << bit;
        await check("bit flips", bytes, flips.length);
      }),
      { numRuns: 200 },
    );
  });

  it("truncation at every byte of the last lines", async () => {
    let cuts = 0;
    // A seed whose last three lines are short (1 KB together), so that every byte is ~1,000 builds.
    for (const [seed, lastLines] of [[38, 3]] as const) {
      const text = Buffer.from(generateTranscript({ seed, entries: 30, toolResultBytes: { min: 10, max: 120 }, unicode: "heavy" }).text);
      let from = text.length - 1;
      for (let k = 0; k < lastLines; k++) from = text.lastIndexOf(10, from - 1);
      for (let cut = from + 1; cut <= text.length; cut++) {
        await check("truncate at every byte of the last lines", text.subarray(0, cut));
        cuts++;
      }
    }
    expect(cuts).toBeGreaterThan(300);
  });

  it("lines duplicated or reordered", async () => {
    await fc.assert(
      fc.asyncProperty(
        seeds,
        fc.array(fc.tuple(fc.constantFrom("dup" as const, "swap" as const), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true })), { minLength: 1, maxLength: 4 }),
        async (seed, edits) => {
          const lines = base(seed).toString("utf8").split("\n").slice(0, -1);
          for (const [op, a, b] of edits) {
            const i = Math.floor(a * lines.length);
            const j = Math.floor(b * lines.length);
            if (op === "dup") lines.splice(j, 0, lines[i]!);
            else [lines[i], lines[j]] = [lines[j]!, lines[i]!];
          }
          await check("lines duplicated/reordered", Buffer.from(lines.join("\n") + "\n"), edits.length);
        },
      ),
      { numRuns: 120 },
    );
  });

  it("the generator's named damage kinds (cycles, duplicate ids, CRLF, BOM, NULs, torn header, …)", async () => {
    for (const kind of DAMAGE_KINDS) {
      for (let s = 0; s < 8; s++) {
        const seed = 500 + s * 31;
        await check(`damage: ${kind}`, Buffer.from(damage(base(seed).toString("utf8"), kind, seed)));
      }
    }
  });
});
