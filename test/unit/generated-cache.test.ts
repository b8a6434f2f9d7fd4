/**
 * test/support/generated.ts: the matrix's fixtures read back from the run's cache are the generator's own
 * result, to the code unit (astral characters, U+2028, escaped lone surrogates), whichever process wrote them.
 */
import { readdirSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { generatedTranscript } from "../support/generated.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("generated-cache");
const before = process.env.CTXC_GENERATED_CACHE;
beforeEach(() => void (process.env.CTXC_GENERATED_CACHE = dir));
afterEach(() => void (before === undefined ? delete process.env.CTXC_GENERATED_CACHE : (process.env.CTXC_GENERATED_CACHE = before)));

describe("generatedTranscript", () => {
  it("a large fixture: generated and kept, then read back equal to a new generation (heavy unicode)", () => {
    const opts = { seed: 7, targetBytes: 600 * 1024, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "heavy" as const };
    const first = generatedTranscript(opts);
    expect(readdirSync(dir).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    const again = generatedTranscript(opts);
    expect(again).not.toBe(first);
    const fresh = generateTranscript(opts);
    expect(again.text === fresh.text).toBe(true);
    // Not only ASCII: astral characters, U+2028, and lone surrogates as the generator writes them (escaped).
    expect(/[\u{10000}-\u{10FFFF}]/u.test(again.text) && again.text.includes("\u2028") && /\\ud[89ab]/.test(again.text)).toBe(true);
    expect(again).toStrictEqual(fresh);
  });

  it("other options, another entry; a small fixture is not kept", () => {
    const n = readdirSync(dir).length;
    const a = generatedTranscript({ seed: 8, targetBytes: 300 * 1024 });
    const b = generatedTranscript({ seed: 9, targetBytes: 300 * 1024 });
    expect(a.text).not.toBe(b.text);
    expect(readdirSync(dir).length).toBe(n + 2);
    generatedTranscript({ seed: 8, entries: 5 });
    expect(readdirSync(dir).length).toBe(n + 2);
  });

  it("without CTXC_GENERATED_CACHE: the generator itself, nothing kept", () => {
    delete process.env.CTXC_GENERATED_CACHE;
    const n = readdirSync(dir).length;
    expect(generatedTranscript({ seed: 10, targetBytes: 300 * 1024 })).toStrictEqual(generateTranscript({ seed: 10, targetBytes: 300 * 1024 }));
    expect(readdirSync(dir).length).toBe(n);
  });
});
