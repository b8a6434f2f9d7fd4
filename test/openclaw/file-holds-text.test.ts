/**
 * The write follower's verification read (release/write-follower.ts `fileHoldsText`) gives stock's answer,
 * `readFileSync(path, "utf8") === expected`, on files that are the text, almost the text, or its bytes
 * damaged — across its chunk boundaries (multi-byte characters straddling them), with invalid UTF-8,
 * U+FFFD, lone surrogates, a shorter or longer file.
 */
import { writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fileHoldsText } from "../../src/openclaw/release/write-follower.js";
import { tempDir } from "../support/tmp.js";

const file = join(tempDir("file-holds-text"), "t.jsonl");
const stock = (expected: string) => readFileSync(file, "utf8") === expected;

const piece = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 64 }) },
  { weight: 3, arbitrary: fc.constantFrom("é", "日本", "😀", "\n", "\u2028") },
  { weight: 1, arbitrary: fc.constantFrom("\ufffd", "\ud800", "\udc00") },
);
/** Texts around the follower's 32 KiB chunk: pieces repeated until the size, plus a tail. */
const text = fc.tuple(fc.array(piece, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 100_000 })).map(([pieces, size]) => {
  let t = "";
  for (let i = 0; t.length < size; i++) t += pieces[i % pieces.length];
  return t + pieces.join("");
});
const damage = fc.constantFrom("none", "flip", "truncate", "append", "invalid", "cut-before-char", "latin1") as fc.Arbitrary<string>;

function write(t: string, how: string, r: number): void {
  let b = Buffer.from(t, "utf8");
  const at = b.length === 0 ? 0 : Math.floor(r * b.length);
  if (how === "flip" && b.length > 0) b[at] = b[at]! ^ 0x01;
  else if (how === "truncate") b = b.subarray(0, Math.max(0, b.length - 1));
  else if (how === "append") b = Buffer.concat([b, Buffer.from("x")]);
  else if (how === "invalid") b = Buffer.concat([b.subarray(0, at), Buffer.from([0xff]), b.subarray(at)]);
  else if (how === "cut-before-char") b = Buffer.concat([b.subarray(0, at), Buffer.from([0xe6, 0x97]), b.subarray(at)]);
  else if (how === "latin1") b = Buffer.from(t, "latin1");
  writeFileSync(file, b);
}

describe("write follower: the verification read answers as stock's readFileSync + compare", () => {
  it("property: random texts and damaged files", () => {
    fc.assert(
      fc.property(text, damage, fc.double({ min: 0, max: 1, noNaN: true }), (t, how, r) => {
        write(t, how, r);
        expect(fileHoldsText(file, t)).toBe(stock(t));
      }),
      { numRuns: 300 },
    );
  });

  it("multi-byte characters on every offset of a chunk boundary, each byte after them damaged", () => {
    for (const ch of ["é", "日", "😀"]) {
      for (let pad = 32768 - 5; pad <= 32768 + 1; pad++) {
        const t = "a".repeat(pad) + ch.repeat(3) + "z";
        write(t, "none", 0);
        expect(fileHoldsText(file, t)).toBe(true);
        const bytes = Buffer.from(t);
        for (let k = pad; k < bytes.length; k++) {
          const bad = Buffer.from(bytes);
          bad[k] = 0x80;
          writeFileSync(file, bad);
          expect([ch, pad, k, fileHoldsText(file, t)]).toEqual([ch, pad, k, stock(t)]);
        }
      }
    }
  });

  it("U+FFFD in the text, a file with invalid bytes where it stands: stock's answer (equal)", () => {
    const t = "x".repeat(40000) + "\ufffd" + "y";
    writeFileSync(file, Buffer.concat([Buffer.from("x".repeat(40000)), Buffer.from([0xff]), Buffer.from("y")]));
    expect(stock(t)).toBe(true);
    expect(fileHoldsText(file, t)).toBe(true);
  });

  it("a lone surrogate in the text: never equal (stock's decode has none)", () => {
    const t = "x".repeat(40000) + "\ud800" + "y";
    writeFileSync(file, t); // written as EF BF BD
    expect(stock(t)).toBe(false);
    expect(fileHoldsText(file, t)).toBe(false);
  });

  it("a missing file throws as stock's read does", () => {
    expect(() => fileHoldsText(`${file}.missing`, "x")).toThrow(/ENOENT/);
  });
});
