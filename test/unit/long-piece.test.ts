/**
 * Long BPE pieces (long-piece.ts): the heap merge and the split it relies on, against tiktoken's own
 * encode_ordinary(...).length. tiktoken is quadratic in a piece's length, so reference inputs stay
 * ≤ ~16 K units; the path taken (heap or backend) is asserted through the segments the backend sees,
 * never through time.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { get_encoding, type Tiktoken } from "tiktoken";
import { rng } from "../support/seeded-random.js";
import { createTokenCounter, HYBRID_ROUTE_RE } from "../../native-free-workers/tokenize/token-counter.js";
import {
  bytePairCount,
  countWithLongPieces,
  LONG_PIECE_PROOF,
  LONG_PIECE_UNITS,
  longPieceProven,
  mayHoldLongPiece,
  ranks,
  splitRegex,
  TIKTOKEN_PATTERNS,
} from "../../native-free-workers/tokenize/long-piece.js";

const ENCODINGS = ["o200k_base", "cl100k_base"] as const;
const BACKENDS = ["tiktoken", "gpt-tokenizer", "auto"] as const;
const T = LONG_PIECE_UNITS;

const pick = <X>(r: () => number, xs: readonly X[]): X => xs[Math.floor(r() * xs.length)]!;

/** Alphabets of one piece kind each: letters of several scripts and cases, marks, whitespace, "other". */
const RUNS: readonly (readonly string[])[] = [
  ["x"],
  ["A", "C", "G", "T"],
  ["a", "b", "c", "d", "e", "q", "z"],
  ["a", "B", "c", "D"], // mixed case: o200k cuts at lower→upper
  ["é", "ß", "ſ", "Ω", "ж", "Ж"],
  ["东", "京", "の", "ア", "한"],
  ["a\u0301", "e\u0300", "\u0915\u094D"], // marks (o200k letters, cl100k "other")
  ["\u{1D400}", "\u{1D41A}", "\u{20000}"], // astral letters
  [" "],
  [" ", "\t"],
  ["\n"],
  ["\r\n"],
  [" ", "\n", "\u00a0", "\u3000", "\u2028"],
  ["="],
  ["-", "=", "*", "#"],
  ["+", "/"], // base64 symbol runs
  ["/", "\n"], // o200k's [\r\n/]* tail
  ["😀", "👍🏽", "🇯🇵"], // 4-byte UTF-8
  ["\uD800", "\uDC00", "x"], // lone surrogates
  ["a", "a", "b"],
  ["ab", "ba", "aab"], // many equal pairs: the tie-break matters
];
/** What may stand next to a run: contractions, digits, whitespace, divergent characters, other runs. */
const EDGES = [
  "", " ", "  ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r", " \n", "\n    ", "'s", "'S", "'ll", "'ſ", "'re ", "'t", "1", "123", "4567",
  "x", "X", "Ab", "=", " =", "==\n", "/", "\u0085", "\u0085\u0085", "\uFEFF", " \uFEFF", "\u088F", "\u{10940}", "\u0301",
  "😀", "\uD800", "東", ". ", ", and ", "<|endoftext|>",
];

function run(r: () => number, units: number): string {
  const alphabet = pick(r, RUNS);
  let s = "";
  while (s.length < units) s += pick(r, alphabet);
  return s;
}

/** A text with 1-3 long runs of one kind each, lengths around the threshold and above it, amid edges and words. */
function genLong(r: () => number, maxUnits: number): string {
  let s = "";
  const runs = 1 + Math.floor(r() * 3);
  for (let i = 0; i < runs; i++) {
    s += pick(r, EDGES) + pick(r, EDGES);
    if (r() < 0.3) s += pick(r, ["word ", "Some prose, then ", "x = 1;\n", "  indented\n"]);
    const around = r() < 0.5;
    const units = around ? T - 6 + Math.floor(r() * 12) : T + Math.floor(r() * (maxUnits - T));
    s += run(r, units);
    s += pick(r, EDGES) + pick(r, EDGES);
  }
  return s;
}

function withReference<R>(name: (typeof ENCODINGS)[number], f: (enc: Tiktoken) => R): R {
  const enc = get_encoding(name);
  try {
    return f(enc);
  } finally {
    enc.free();
  }
}

describe("long pieces: environment and tables", () => {
  it("the installed tiktoken's patterns are the ones the split copies", () => {
    for (const name of ENCODINGS) {
      const pat = (createRequire(import.meta.url)("tiktoken/encoders/" + name + ".json") as { pat_str: string }).pat_str;
      expect(pat).toBe(TIKTOKEN_PATTERNS[name]);
    }
    if (LONG_PIECE_PROOF.unicode.includes(process.versions.unicode ?? "")) expect(longPieceProven()).toBe(true);
    else expect(longPieceProven()).toBe(false);
  });

  it("the ranks are tiktoken's: a rank's bytes as tiktoken decodes them", () => {
    for (const name of ENCODINGS) {
      withReference(name, (enc) => {
        const map = ranks(name)!;
        expect(map).not.toBeNull();
        const byRank: string[] = [];
        for (const [bytes, rank] of map) byRank[rank] = bytes;
        expect(byRank.length).toBe(map.size); // no holes, no duplicates
        // Every rank below 1,000 and above size - 1,000, every 11th between (a WASM call per rank is slow).
        for (let rank = 0; rank < byRank.length; rank += rank < 1000 || rank >= byRank.length - 1000 ? 1 : 11) {
          expect(byRank[rank], `rank ${rank}`).toBe(Buffer.from(enc.decode_single_token_bytes(rank)).toString("latin1"));
        }
      });
    }
  });
});

describe("long pieces: the split is tiktoken's (Rust classes, not JS's)", () => {
  // Cases where the JS engine's own classes would cut elsewhere; what Rust's regex does by definition:
  // (?i) folds s with ſ (U+017F); \s holds U+0085 and not U+FEFF; Unicode 17 additions are unassigned.
  const cases: [(typeof ENCODINGS)[number], string, string[]][] = [
    ["o200k_base", "abcd'ſ x", ["abcd'ſ", " x"]],
    ["o200k_base", "abcd'S", ["abcd'S"]],
    ["cl100k_base", "'ſ'LL", ["'ſ", "'LL"]],
    ["o200k_base", "a\u0085\u0085b", ["a", "\u0085", "\u0085b"]],
    ["cl100k_base", "a\uFEFF\uFEFFb", ["a", "\uFEFF\uFEFF", "b"]],
    ["o200k_base", "ab\u088Fcd", ["ab", "\u088Fcd"]], // "other" for Rust, so the letters' prefix; JS alone: one letter piece
    ["cl100k_base", "ab \u{10940}\u{10941}", ["ab", " \u{10940}\u{10941}"]],
  ];
  it("cuts where Rust's regex cuts", () => {
    for (const [name, text, pieces] of cases) expect([...text.matchAll(splitRegex(name))].map((m) => m[0]), JSON.stringify(text)).toEqual(pieces);
  });
});

describe("long pieces: the heap merge is tiktoken's byte_pair_merge", () => {
  for (const name of ENCODINGS) {
    it(`${name}: single pieces of every kind, around the threshold and above`, () => {
      const map = ranks(name)!;
      const re = splitRegex(name);
      withReference(name, (enc) => {
        const r = rng(name === "o200k_base" ? 5 : 6);
        let checked = 0;
        for (let i = 0; i < 400; i++) {
          const s = run(r, i < 300 ? 1 + Math.floor(r() * 40) : T - 4 + Math.floor(r() * 600));
          // Only texts that are exactly one piece: then the count is the merge alone.
          re.lastIndex = 0;
          const m = re.exec(s);
          if (!m || m[0].length !== s.length) continue;
          checked++;
          expect(bytePairCount(map, Buffer.from(s, "utf8").toString("latin1")), JSON.stringify(s.slice(0, 40))).toBe(enc.encode_ordinary(s).length);
        }
        expect(checked).toBeGreaterThan(250);
      });
    });
  }
});

describe("long pieces: counts equal tiktoken's on generated texts, every backend", () => {
  for (const name of ENCODINGS) {
    it(`${name}: long runs of every kind next to contractions, digits, whitespace, divergent characters`, () => {
      const counters = BACKENDS.map((b) => createTokenCounter(name, b));
      withReference(name, (enc) => {
        const r = rng(name === "o200k_base" ? 101 : 202);
        let longPath = 0;
        for (let i = 0; i < 220; i++) {
          const s = genLong(r, i % 20 === 0 ? 16_000 : 2_500);
          const want = enc.encode_ordinary(s).length;
          if (mayHoldLongPiece(name, s)) longPath++;
          for (const c of counters) {
            // gpt-tokenizer alone is exact only on text without routed characters (docs/tokenizers.md).
            if (c === counters[1] && HYBRID_ROUTE_RE.test(s)) continue;
            expect(c.count(s), `${name} ${JSON.stringify(s.slice(0, 60))}… (${s.length})`).toBe(want);
          }
        }
        expect(longPath).toBeGreaterThan(150);
      });
    });
  }
});

describe("long pieces: which path", () => {
  /** Pieces of exactly `units` UTF-16 units built with the smallest core the candidate test must still catch. */
  // Each at the least the candidate test must catch: a 2-unit prefix, then a core of odd units.
  const exactly = (name: string, units: number): Record<string, string> => ({
    // astral prefix + letters (+ contraction: o200k's letter pieces take it, cl100k's do not)
    letters: name === "o200k_base" ? "😀a" + "\u{1D41A}".repeat((units - 6) / 2) + "'ll" : "😀aa" + "\u{1D41A}".repeat((units - 4) / 2),
    // space + other + [\r\n] tail, 511 units: the other run 256, the tail 255, and the other way round
    other: " ==" + "😀".repeat((units - 4) / 2 / 2) + "\n".repeat(units / 2 - 1),
    tail: " =" + "😀".repeat((units - 4) / 2 / 2) + "\n".repeat(units / 2),
    // o200k's tail takes "/" too
    slashes: "=" + "/\n".repeat((units - 2) / 2) + "/",
    whitespace: " \t".repeat(units / 2 - 1) + " \n",
  });
  for (const name of ENCODINGS) {
    it(`${name}: a piece of ${T} units is merged by the heap, one of ${T - 1} by the backend`, () => {
      withReference(name, (enc) => {
        for (const [kind, piece] of Object.entries(exactly(name, T))) {
          if (name === "cl100k_base" && kind === "slashes") continue; // cl100k's tail is [\r\n]* only
          const text = `ab${piece}12`; // digits: a piece of their own in both encodings
          const re = splitRegex(name);
          const pieces = [...text.matchAll(re)].map((m) => m[0]);
          expect(pieces, kind).toContain(piece);
          expect(piece.length).toBe(T);
          expect(mayHoldLongPiece(name, text), kind).toBe(true);
          const seen: string[] = [];
          const n = countWithLongPieces(name, text, (seg) => (seen.push(seg), enc.encode_ordinary(seg).length));
          expect(n, kind).toBe(enc.encode_ordinary(text).length);
          expect(seen.some((seg) => seg.includes(piece)), kind).toBe(false);
        }
        const short = `ab ${"x".repeat(T - 2)} Cd`; // " xxx…" is T - 1 units
        const seen: string[] = [];
        countWithLongPieces(name, short, (seg) => (seen.push(seg), enc.encode_ordinary(seg).length));
        expect(seen).toEqual([short]);
      });
    });

    it(`${name}: whitespace before a long piece is merged piece by piece, the rest goes to the backend`, () => {
      withReference(name, (enc) => {
        const long = "q".repeat(T + 10);
        for (const before of ["a\t\t", "a\n\n", "a \n  ", "x=\n\t", "\r\n\r\n", "a\u0085\u0085", "a\uFEFF "]) {
          const text = `start ${before}${long} end`;
          const seen: string[] = [];
          const n = countWithLongPieces(name, text, (seg) => (seen.push(seg), enc.encode_ordinary(seg).length));
          expect(n, JSON.stringify(before)).toBe(enc.encode_ordinary(text).length);
          for (const seg of seen) expect(/\s$/u.test(seg) || seg.endsWith("\u0085"), JSON.stringify(seg)).toBe(false);
        }
      });
    });
  }

  it("no long piece escapes the candidate test (generated texts)", () => {
    const r = rng(7);
    for (const name of ENCODINGS) {
      const re = splitRegex(name);
      for (let i = 0; i < 300; i++) {
        const s = genLong(r, 1_500);
        const longest = Math.max(...[...s.matchAll(re)].map((m) => m[0].length));
        if (longest >= T) expect(mayHoldLongPiece(name, s), JSON.stringify(s.slice(0, 60))).toBe(true);
      }
    }
  });

  it("a normal text never takes the long path", () => {
    const prose = "The quick brown fox jumps over the lazy dog. ".repeat(200) + "\n```ts\nconst x = 1;\n```\n" + "=".repeat(80);
    for (const name of ENCODINGS) expect(mayHoldLongPiece(name, prose)).toBe(false);
  });
});
