import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { rng } from "../support/seeded-random.js";
import { get_encoding } from "tiktoken";
import { estimateTokens as piEstimateTokens, convertToLlm } from "@earendil-works/pi-coding-agent";
import {
  createTokenCounter,
  estimateTextTokens,
  HYBRID_PROOF,
  HYBRID_ROUTE_RE,
  hybridIsProven,
  resolveBackend,
  type TokenCounter,
} from "../../native-free-workers/tokenize/token-counter.js";
import {
  BRANCH_SUMMARY_PREFIX,
  BRANCH_SUMMARY_SUFFIX,
  COMPACTION_SUMMARY_PREFIX,
  COMPACTION_SUMMARY_SUFFIX,
  countMessageTokens,
  estimateMessageTokens,
  IMAGE_TOKENS,
} from "../../native-free-workers/tokenize/message-tokens.js";

const ENCODINGS = ["o200k_base", "cl100k_base"] as const;

// ---------------------------------------------------------------------------
// Seeded text generator: unicode edge cases, whitespace neighbours, specials.
// ---------------------------------------------------------------------------

const WORDS = [
  "the", "The", "THE", "don't", "I'm", "we'll", "they're", "it's", "You'VE", "IT'S", "hello", "world",
  "function", "const x = 1;", "=>", "{", "}", "();", "0x1F", "12345", "3.14159", "1,000,000",
  "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>",
  "naïve", "café", "Straße", "ΑΒΓ", "привет", "مرحبا", "שלום", "नमस्ते", "こんにちは", "東京都", "한국어", "ไทย",
  "👨‍👩‍👧‍👦", "👍🏽", "🇯🇵", "❤️", "🏳️‍🌈", "e\u0301", "a\u0300\u0301\u0302", "\u200d", "\u200b", "\u00ad", "\u2060",
  "ſ", "'ſ", "x'ſ", "\u212a", "Å", "ǅ", "ﬁ", "Ⅻ", "²", "٣", "१२", "\u{1D7D8}",
  "\uD800", "\uDC00", "\uDBFF\uDFFF", "\u{1D400}", "\u{20000}", "\u{E0041}", "\uE000", "\uFFFD", "\uFFFF", "\uFFFE",
  "\uFE0F", "\u{E0100}", "\u0000", "\u001b[31m", "\\n", "\"quoted\"", "'single'", "```ts", "</summary>",
];
const SPACES = [
  " ", "  ", "   ", "\n", "\n\n", "\r\n", "\r", "\t", "\u00a0", "\u3000", "\u2028", "\u2029", "\u000b", "\u000c",
  "\u1680", "\u2000", "\u200a", "\u202f", "\u205f", "    ", "\n    ", " \n", "\t\t", "\n \n", "  \n\n  ",
];
// Characters where the two engines are known to disagree (only used when allowDivergent).
const DIVERGENT = ["\uFEFF", "\u0085", "\u088F", "\u1AD0", "\uA7CE", "\u{10940}", "\u{11B61}", "\u{1E6E3}", "\u{323B0}", "\u{2B73A}"];

function randomCodePoint(r: () => number): string {
  const x = r();
  const cp = x < 0.45 ? Math.floor(r() * 0x80) : x < 0.8 ? Math.floor(r() * 0x10000) : Math.floor(r() * 0x110000);
  return String.fromCodePoint(cp);
}

function genText(r: () => number, allowDivergent: boolean): string {
  const len = [0, 1, 2, 3, 7, 30, 120, 600, 2500][Math.floor(r() * 9)]!;
  let s = "";
  while (s.length < len) {
    const x = r();
    if (x < 0.32) s += WORDS[Math.floor(r() * WORDS.length)]!;
    else if (x < 0.55) s += SPACES[Math.floor(r() * SPACES.length)]!;
    else if (x < 0.85) s += randomCodePoint(r);
    else if (x < 0.95) s += WORDS[Math.floor(r() * WORDS.length)]!.toUpperCase();
    else if (allowDivergent) s += DIVERGENT[Math.floor(r() * DIVERGENT.length)]!;
    else s += "x";
  }
  return s;
}

/** One string exercising code point c next to letters, marks, digits, spaces, newlines, apostrophes. */
function contexts(c: string): string {
  return `${c}a${c}A ${c}\n${c}1'${c}${c}'s  ${c}\u0301 `;
}

function ref(name: (typeof ENCODINGS)[number]): TokenCounter {
  return createTokenCounter(name, "tiktoken");
}

// ---------------------------------------------------------------------------

describe("createTokenCounter", () => {
  it("returns cached counters with name/exact", () => {
    for (const name of ENCODINGS) {
      const c = createTokenCounter(name);
      expect(c.name).toBe(name);
      expect(c.exact).toBe(true);
      expect(createTokenCounter(name)).toBe(c);
      expect(createTokenCounter(name, "tiktoken").exact).toBe(true);
    }
    const e = createTokenCounter("estimate");
    expect(e.name).toBe("estimate");
    expect(e.exact).toBe(false);
    expect(() => createTokenCounter("p50k_base" as never)).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });

  it("auto picks the hybrid exactly when the proof environment matches", () => {
    for (const name of ENCODINGS) {
      expect(resolveBackend(name)).toBe(hybridIsProven() ? "hybrid" : "tiktoken");
      expect(resolveBackend(name, "tiktoken")).toBe("tiktoken");
      expect(resolveBackend(name, "gpt-tokenizer")).toBe("gpt-tokenizer");
    }
    expect(resolveBackend("estimate", "tiktoken")).toBe("estimate");
    // On the reference machine (Node 20, ICU Unicode 17.0, tiktoken 1.0.22, gpt-tokenizer 3.4.0) it is proven;
    // with another ICU Unicode version "auto" must fall back to tiktoken.
    if (process.versions.unicode === HYBRID_PROOF.unicode) expect(hybridIsProven()).toBe(true);
    else expect(hybridIsProven()).toBe(false);
  });

  it("the tiktoken backend is tiktoken's encode_ordinary", () => {
    for (const name of ENCODINGS) {
      const enc = get_encoding(name);
      const c = ref(name);
      for (const s of ["", "hello world", "<|endoftext|>", "\uFEFF\u0085 x", "東京 👨‍👩‍👧‍👦"]) {
        expect(c.count(s)).toBe(enc.encode_ordinary(s).length);
      }
      enc.free();
    }
  });
});

describe("special-token text is ordinary text", () => {
  const specials = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>", "<|im_start|>", "<|im_end|>"];
  for (const name of ENCODINGS) {
    it(name, () => {
      const enc = get_encoding(name);
      expect(enc.encode("<|endoftext|>", "all").length).toBe(1); // as a special it would be 1 token
      for (const backend of ["auto", "tiktoken", "gpt-tokenizer"] as const) {
        const c = createTokenCounter(name, backend);
        for (const s of specials) {
          const text = `before ${s} after${s}`;
          expect(() => c.count(text)).not.toThrow();
          expect(c.count(text)).toBe(enc.encode_ordinary(text).length);
        }
        expect(c.count("<|endoftext|>")).toBeGreaterThan(1);
      }
      enc.free();
    });
  }
});

describe("differential: auto counter vs tiktoken reference", () => {
  for (const name of ENCODINGS) {
    it(`${name}: seeded generated text (unicode edge cases, divergent chars included)`, () => {
      const auto = createTokenCounter(name);
      const reference = ref(name);
      const r = rng(name === "o200k_base" ? 11 : 22);
      for (let i = 0; i < 700; i++) {
        const s = genText(r, true);
        expect(auto.count(s), JSON.stringify(s)).toBe(reference.count(s));
      }
    });

    it(`${name}: fast-check strings (binary + grapheme units)`, () => {
      const auto = createTokenCounter(name);
      const reference = ref(name);
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: "binary", maxLength: 300 }),
            fc.string({ unit: "grapheme", maxLength: 200 }),
            fc.string({ unit: fc.constantFrom(...SPACES, ...DIVERGENT, ...WORDS), maxLength: 80 }),
          ),
          (s) => auto.count(s) === reference.count(s),
        ),
        { numRuns: 600, seed: 42 },
      );
    });

    it(`${name}: long strings, empty, lone surrogates`, () => {
      const auto = createTokenCounter(name);
      const reference = ref(name);
      const long = [
        "",
        "a".repeat(4000),
        " ".repeat(5000) + "x",
        "\n".repeat(3000),
        "ab".repeat(1500),
        "1234567890".repeat(2000),
        "东京".repeat(2000),
        "\uD800".repeat(100) + "a" + "\uDC00".repeat(100),
        "😀".repeat(1500),
        "\uFEFF".repeat(500) + " x \uFEFF",
        "\u0085".repeat(500) + "\n\u0085 ",
        Buffer.from("x".repeat(6000)).toString("base64"),
      ];
      for (const s of long) expect(auto.count(s)).toBe(reference.count(s));
    });
  }
});

describe("routing rule: gpt-tokenizer equals tiktoken on all text the rule sends to it", () => {
  for (const name of ENCODINGS) {
    it(`${name}: every BMP code point + astral assigned ranges (batched contexts)`, () => {
      const gpt = createTokenCounter(name, "gpt-tokenizer");
      const reference = ref(name);
      const unassigned = /\p{Cn}/u;
      const check = (from: number, to: number, step: number, batch: number) => {
        let buf = "";
        let first = from;
        let n = 0;
        for (let cp = from; cp < to; cp += step) {
          const c = String.fromCodePoint(cp);
          // Unicode-unassigned code points (in Node's Unicode 17.0) are unassigned in
          // tiktoken's tables too, so both treat them as "other": sample them sparsely.
          if (HYBRID_ROUTE_RE.test(c) || (unassigned.test(c) && cp % 61 !== 0)) continue;
          buf += contexts(c) + " ";
          if (++n === batch) {
            expect(gpt.count(buf), `code points ${first.toString(16)}..${cp.toString(16)}`).toBe(reference.count(buf));
            buf = "";
            n = 0;
            first = cp + step;
          }
        }
        if (buf) expect(gpt.count(buf), `code points ${first.toString(16)}..${to.toString(16)}`).toBe(reference.count(buf));
      };
      // Every BMP code point (incl. lone surrogates, U+FFFE/FFFF), except that the large
      // uniform blocks (CJK ideographs, Hangul syllables, surrogates, private use) are sampled.
      check(0x0000, 0x3400, 1, 1024);
      check(0x3400, 0xa000, 7, 1024);
      check(0xa000, 0xac00, 1, 1024);
      check(0xac00, 0xe000, 7, 1024);
      check(0xe000, 0xf900, 31, 1024);
      check(0xf900, 0x10000, 1, 1024);
      // SMP (historic scripts, math alphanumerics, emoji): every 5th code point, plus the
      // blocks holding the Unicode 17 additions' neighbours in full. (gpt-tokenizer is slow on
      // astral text, ~0.1-0.8 MB/s, so the full every-code-point sweep lives outside the suite.)
      check(0x10000, 0x20000, 5, 1024);
      check(0x10900, 0x10a00, 1, 1024);
      check(0x10e80, 0x10f00, 1, 1024);
      check(0x11b00, 0x11e00, 1, 1024);
      check(0x16e40, 0x17000, 1, 1024);
      check(0x18700, 0x18e00, 1, 1024);
      check(0x1e600, 0x1e800, 1, 1024);
      check(0x20000, 0x40000, 97, 1024); // CJK extensions B..J (uniform Lo): sampled
      check(0x40000, 0x110000, 1021, 1024); // planes 4..16: sampled
      check(0xe0000, 0xe0200, 1, 1024); // tags + variation selectors supplement
    });

    it(`${name}: gpt-tokenizer differs on the routed characters, the auto counter does not`, () => {
      const gpt = createTokenCounter(name, "gpt-tokenizer");
      const auto = createTokenCounter(name);
      const reference = ref(name);
      // U+FEFF: JS \s includes it, Rust's does not. U+0085: the reverse.
      const feff = "    \uFEFF";
      const nel = " \t\u0085";
      expect(gpt.count(feff)).not.toBe(reference.count(feff));
      expect(gpt.count(nel)).not.toBe(reference.count(nel));
      // A Unicode 17.0 letter: \p{L} for Node 20's ICU, unassigned for tiktoken's regex tables.
      const newLetter = "\u{10940}'s \u{10940}\u{10941}\u{10942}";
      if (process.versions.unicode === "17.0") expect(gpt.count(newLetter)).not.toBe(reference.count(newLetter));
      for (const s of [feff, nel, newLetter, `a\uFEFFb`, `x\u0085y`]) {
        expect(HYBRID_ROUTE_RE.test(s)).toBe(true);
        expect(auto.count(s)).toBe(reference.count(s));
      }
    });

    it(`${name}: gpt-tokenizer equals tiktoken on seeded text without routed characters`, () => {
      const gpt = createTokenCounter(name, "gpt-tokenizer");
      const reference = ref(name);
      const r = rng(name === "o200k_base" ? 33 : 44);
      for (let i = 0; i < 600; i++) {
        const s = genText(r, false);
        if (HYBRID_ROUTE_RE.test(s)) continue; // a random code point may hit a routed range
        expect(gpt.count(s), JSON.stringify(s)).toBe(reference.count(s));
      }
    });
  }

  it("whitespace/letter combinations up to length 4 agree exactly (cl100k/o200k split-pattern rewrite)", () => {
    const alpha = [" ", "\n", "\r", "\t", "a", "A", "\u00a0", ".", "1", "'", "s", "\u3000"];
    for (const name of ENCODINGS) {
      const gpt = createTokenCounter(name, "gpt-tokenizer");
      const reference = ref(name);
      const all: string[] = [];
      const rec = (s: string) => {
        if (s) all.push(s);
        if (s.length < 4) for (const c of alpha) rec(s + c);
      };
      rec("");
      for (const s of all) expect(gpt.count(s), JSON.stringify(s)).toBe(reference.count(s));
    }
  });
});

describe("estimate", () => {
  it("is Math.ceil(UTF-16 length / 4)", () => {
    const e = createTokenCounter("estimate");
    expect(e.count("")).toBe(0);
    expect(e.count("a")).toBe(1);
    expect(e.count("abcd")).toBe(1);
    expect(e.count("abcde")).toBe(2);
    expect(e.count("x".repeat(4000))).toBe(1000);
    expect(e.count("😀")).toBe(1); // 2 UTF-16 units
    expect(e.count("東京都庁")).toBe(1); // pi counts UTF-16 units, no CJK weighting
    expect(e.count("<|endoftext|>")).toBe(4);
    expect(estimateTextTokens("abcdefghi")).toBe(3);
    expect(e.count(undefined as unknown as string)).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

const IMG = { type: "image", data: "iVBORw0KGgo".repeat(1000), mimeType: "image/png" };

const wellFormed: Record<string, unknown>[] = [
  { role: "user", content: "hello there, how are you?", timestamp: 1 },
  { role: "user", content: [{ type: "text", text: "look at this" }, IMG, { type: "text", text: "" }], timestamp: 1 },
  {
    role: "assistant",
    content: [
      { type: "thinking", thinking: "The user wants a file read.", thinkingSignature: "sig" },
      { type: "text", text: "Reading it now." },
      { type: "toolCall", id: "call_1", name: "read", arguments: { path: "/etc/hosts", limit: 20 } },
    ],
    api: "openai-responses", provider: "openai", model: "gpt-5",
    usage: { input: 1, output: 2, cacheRead: 0, cacheWrite: 0, totalTokens: 3, cost: {} },
    stopReason: "toolUse", timestamp: 2,
  },
  { role: "toolResult", toolCallId: "call_1", toolName: "read", content: [{ type: "text", text: "127.0.0.1 localhost\n" }, IMG], details: { big: "x".repeat(999) }, isError: false, timestamp: 3 },
  { role: "custom", customType: "note", content: "a custom string message", display: true, timestamp: 4 },
  { role: "custom", customType: "note", content: [{ type: "text", text: "custom block" }, IMG], display: false, timestamp: 4 },
  { role: "bashExecution", command: "ls -la", output: "total 0\nfile.txt", exitCode: 0, cancelled: false, truncated: false, timestamp: 5 },
  { role: "bashExecution", command: "false", output: "", exitCode: 1, cancelled: false, truncated: true, fullOutputPath: "/tmp/out.txt", timestamp: 5 },
  { role: "bashExecution", command: "sleep 100", output: "partial", exitCode: undefined, cancelled: true, truncated: false, timestamp: 5 },
  { role: "bashExecution", command: "secret", output: "hidden output", exitCode: 0, cancelled: false, truncated: false, excludeFromContext: true, timestamp: 5 },
  { role: "branchSummary", summary: "We tried approach A; it failed.", fromId: "abc", timestamp: 6 },
  { role: "compactionSummary", summary: "## Goal\nShip ctxc.", tokensBefore: 12345, timestamp: 7 },
];

describe("estimateMessageTokens matches pi's estimateTokens (what OpenClaw calls)", () => {
  it("on every role and block kind", () => {
    for (const m of wellFormed) {
      expect(estimateMessageTokens(m), JSON.stringify(m).slice(0, 80)).toBe(piEstimateTokens(m as never));
      expect(countMessageTokens(m, createTokenCounter("estimate"))).toBe(piEstimateTokens(m as never));
    }
  });

  it("has pi's quirks: user images free, custom/toolResult images 4800 chars, bash = command+output", () => {
    expect(estimateMessageTokens({ role: "user", content: [IMG] })).toBe(0);
    expect(estimateMessageTokens({ role: "toolResult", content: [IMG] })).toBe(1200);
    expect(estimateMessageTokens({ role: "custom", content: [IMG, IMG] })).toBe(2400);
    expect(estimateMessageTokens({ role: "bashExecution", command: "abcd", output: "efgh", excludeFromContext: true })).toBe(2);
    expect(estimateMessageTokens({ role: "compactionSummary", summary: "x".repeat(9) })).toBe(3);
    expect(estimateMessageTokens({ role: "assistant", content: [{ type: "toolCall", name: "ab", arguments: { a: 1 } }] })).toBe(Math.ceil((2 + 7) / 4));
  });
});

describe("countMessageTokens (exact)", () => {
  for (const name of ENCODINGS) {
    it(`${name}: counts exactly the documented text per role`, () => {
      const c = createTokenCounter(name);
      const t = (s: string) => ref(name).count(s);
      const [u1, u2, a, tr, c1, c2] = wellFormed;
      expect(countMessageTokens(u1, c)).toBe(t("hello there, how are you?"));
      expect(countMessageTokens(u2, c)).toBe(t("look at this") + IMAGE_TOKENS);
      expect(countMessageTokens(a, c)).toBe(
        t("The user wants a file read.") + t("Reading it now.") + t("read") + t(JSON.stringify({ path: "/etc/hosts", limit: 20 })),
      );
      expect(countMessageTokens(tr, c)).toBe(t("127.0.0.1 localhost\n") + IMAGE_TOKENS);
      expect(countMessageTokens(c1, c)).toBe(t("a custom string message"));
      expect(countMessageTokens(c2, c)).toBe(t("custom block") + IMAGE_TOKENS);
    });

    it(`${name}: bashExecution / summaries count the text pi's convertToLlm sends`, () => {
      const c = createTokenCounter(name);
      for (const m of wellFormed.slice(6)) {
        const sent = convertToLlm([m as never]);
        let expected = 0;
        for (const msg of sent as { content: { type: string; text?: string }[] }[]) {
          for (const block of msg.content) if (block.type === "text") expected += ref(name).count(block.text ?? "");
        }
        expect(countMessageTokens(m, c), String(m.role)).toBe(expected);
      }
      expect(countMessageTokens(wellFormed[9], c)).toBe(0); // excludeFromContext
      expect(countMessageTokens({ role: "branchSummary", summary: "S" }, c)).toBe(
        ref(name).count(BRANCH_SUMMARY_PREFIX + "S" + BRANCH_SUMMARY_SUFFIX),
      );
      expect(countMessageTokens({ role: "compactionSummary", summary: "S" }, c)).toBe(
        ref(name).count(COMPACTION_SUMMARY_PREFIX + "S" + COMPACTION_SUMMARY_SUFFIX),
      );
      expect(countMessageTokens({ role: "bashExecution", command: "echo", output: "" }, c)).toBe(
        ref(name).count("Ran `echo`\n(no output)"),
      );
    });
  }

  it("never throws on malformed messages and counts what is countable", () => {
    const c = createTokenCounter("o200k_base");
    const t = (s: string) => c.count(s);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [unknown, number][] = [
      [null, 0],
      [undefined, 0],
      ["just a string", 0],
      [42, 0],
      [[], 0],
      [{}, 0],
      [{ role: "nonsense", content: "hi" }, 0],
      [{ role: "user" }, 0],
      [{ role: "user", content: null }, 0],
      [{ role: "user", content: 17 }, 0],
      [{ role: "user", content: { type: "text", text: "not an array" } }, 0],
      [{ role: "user", content: [null, undefined, 3, "str", { type: "text", text: "ok" }] }, t("ok")],
      [{ role: "user", content: [{ type: "text", text: 123 }, { type: "text" }, { type: "text", text: "ok" }] }, t("ok")],
      [{ role: "assistant", content: "plain string" }, t("plain string")],
      [{ role: "assistant", content: [{ type: "thinking" }, { type: "thinking", thinking: "hm" }] }, t("hm")],
      [{ role: "assistant", content: [{ type: "toolCall", name: "go" }] }, t("go")],
      [{ role: "assistant", content: [{ type: "toolCall", arguments: { a: 1 } }] }, t('{"a":1}')],
      [{ role: "assistant", content: [{ type: "toolCall", name: "cyc", arguments: cyclic }] }, t("cyc")],
      [{ role: "assistant", content: [{ type: "toolCall", name: "big", arguments: { n: 10n } }] }, t("big")],
      [{ role: "toolResult", content: [{ type: "image" }, { type: "unknown", text: "x" }] }, IMAGE_TOKENS],
      [{ role: "custom", content: undefined }, 0],
      [{ role: "bashExecution" }, t("Ran `undefined`\n(no output)")],
      [{ role: "bashExecution", command: null, output: 5, exitCode: 2 }, t("Ran `null`\n```\n5\n```\n\nCommand exited with code 2")],
      [{ role: "branchSummary" }, t(BRANCH_SUMMARY_PREFIX + BRANCH_SUMMARY_SUFFIX)],
      [{ role: "compactionSummary", summary: { nested: true } }, t(COMPACTION_SUMMARY_PREFIX + COMPACTION_SUMMARY_SUFFIX)],
      [Object.create(null), 0],
    ];
    for (const [m, expected] of cases) {
      expect(() => countMessageTokens(m, c)).not.toThrow();
      expect(countMessageTokens(m, c)).toBe(expected);
      expect(() => estimateMessageTokens(m)).not.toThrow();
      const est = estimateMessageTokens(m);
      expect(Number.isInteger(est) && est >= 0).toBe(true);
    }
    // estimate on malformed shapes: countable parts only
    expect(estimateMessageTokens({ role: "assistant", content: [null, { type: "text", text: "abcd" }, { type: "toolCall", name: "x" }] })).toBe(Math.ceil(5 / 4));
    expect(estimateMessageTokens({ role: "assistant" })).toBe(0);
    expect(estimateMessageTokens({ role: "bashExecution", command: "abc" })).toBe(1);
    expect(estimateMessageTokens({ role: "toolResult", content: [{ type: "image" }, null, 7] })).toBe(1200);
  });
});
