/**
 * Token counters for the worker threads (pure JS / WASM, no native addons).
 *
 * Backends
 * - `tiktoken` (OpenAI's Rust encoder compiled to WASM) is the REFERENCE: its
 *   `encode_ordinary` count is, by definition, the exact count.
 * - `gpt-tokenizer` (pure JS) is ~1.9x faster on this machine but splits text
 *   with JavaScript's regex engine, whose character classes differ from the
 *   Rust `regex` crate tiktoken uses. Its counts differ from tiktoken exactly
 *   when the text contains one of the characters in {@link HYBRID_ROUTE_RE}
 *   (measured by sweeping every code point 0..0x10FFFF in 37 contexts, see
 *   docs/tokenizers.md):
 *     - U+0085 (NEL): Rust `\s` includes it, JS `\s` does not;
 *     - U+FEFF (BOM/ZWNBSP): JS `\s` includes it, Rust `\s` does not;
 *     - letters / marks / numbers new in Unicode 17.0: Node 20's ICU knows
 *       them (`process.versions.unicode` = "17.0"), tiktoken 1.0.22's
 *       regex-syntax tables (Unicode 16) treat them as unassigned.
 * - `hybrid` ("auto"): gpt-tokenizer, except texts matching
 *   {@link HYBRID_ROUTE_RE} (one precompiled regex test, ~0.5-0.9 GB/s) go to
 *   tiktoken. Proven equal to tiktoken only for the exact environment the
 *   sweep ran in ({@link HYBRID_PROOF}); anywhere else "auto" is plain tiktoken.
 * - `estimate`: OpenClaw / pi's chars/4 rule, `Math.ceil(text.length / 4)`.
 *
 * Every exact backend is quadratic in the length of one BPE piece (a run of letters, whitespace or
 * punctuation). A text that may hold a piece of 512+ units has its long pieces merged by
 * long-piece.ts in O(n log n), and the rest goes to the backend (same counts, proven there).
 *
 * Special-token text such as `<|endoftext|>` is always counted as ordinary
 * text (tiktoken `encode_ordinary`; gpt-tokenizer with an empty
 * `disallowedSpecial` set and no `allowedSpecial`), never thrown on.
 *
 * Encoders are cached per process (module level) and loaded lazily through
 * `createRequire`, so `createTokenCounter` stays synchronous and a worker that
 * never sees a routed character never instantiates tiktoken in hybrid mode.
 */
import { createRequire } from "node:module";
import type { Tiktoken } from "tiktoken";
import { Errors } from "../protocol/errors.js";
import { validateTokenizer, type ExactTokenizerName, type TokenizerName } from "../protocol/tokenizers.js";
import { installedVersion } from "./installed-version.js";
import { countWithLongPieces, mayHoldLongPiece } from "./long-piece.js";
import { UNICODE17_NEW_CLASS, WHITESPACE_DIVERGENT_CLASS } from "./regex-classes.js";

export type { TokenizerName };

export interface TokenCounter {
  readonly name: TokenizerName;
  /** true for real BPE counts (all backends but "estimate"). */
  readonly exact: boolean;
  count(text: string): number;
}

export type TokenizerBackend = "auto" | "tiktoken" | "gpt-tokenizer";
/** What a counter actually runs. */
export type ResolvedBackend = "tiktoken" | "gpt-tokenizer" | "hybrid" | "estimate";

type ExactEncoding = ExactTokenizerName;

/**
 * gpt-tokenizer's module per exact encoding. Keyed by the registry's names (protocol/tokenizers.ts), so a
 * name added there does not compile until it has a backend here.
 */
const GPT_MODULES: Readonly<Record<ExactEncoding, string>> = {
  o200k_base: "gpt-tokenizer/encoding/o200k_base",
  cl100k_base: "gpt-tokenizer/encoding/cl100k_base",
};

/** Minimal surface of a gpt-tokenizer encoding module that we use. */
interface GptEncodingModule {
  countTokens(input: string, encodeOptions?: { disallowedSpecial?: Set<string>; allowedSpecial?: Set<string> }): number;
}

/**
 * Characters on which gpt-tokenizer 3.4.0 (under Node's Unicode 17.0 regex
 * tables) and tiktoken 1.0.22 can produce different tokens, for o200k_base or
 * cl100k_base (union; the cl100k set is a subset: it lacks the combining marks
 * because cl100k's split pattern has no \p{M}). Any text containing one of
 * them is counted with tiktoken by the hybrid counter.
 */
export const HYBRID_ROUTE_RE = new RegExp(`[${WHITESPACE_DIVERGENT_CLASS}${UNICODE17_NEW_CLASS}]`, "u");

/**
 * The environment in which {@link HYBRID_ROUTE_RE} was derived and the
 * differential tests pass. The hybrid is only used when all three match;
 * otherwise "auto" falls back to tiktoken (always exact).
 */
export const HYBRID_PROOF = Object.freeze({
  unicode: "17.0",
  tiktoken: "1.0.22",
  gptTokenizer: "3.4.0",
});

const localRequire = createRequire(import.meta.url);

// ---------------------------------------------------------------------------
// Per-process encoder caches
// ---------------------------------------------------------------------------

const tiktokenCache = new Map<ExactEncoding, Tiktoken>();
const gptCache = new Map<ExactEncoding, GptEncodingModule>();
let hybridAllowed: boolean | undefined;

function tiktokenEncoder(name: ExactEncoding): Tiktoken {
  let enc = tiktokenCache.get(name);
  if (!enc) {
    const mod = localRequire("tiktoken") as typeof import("tiktoken");
    enc = mod.get_encoding(name);
    tiktokenCache.set(name, enc);
  }
  return enc;
}

function gptEncoder(name: ExactEncoding): GptEncodingModule {
  let enc = gptCache.get(name);
  if (!enc) {
    if (!Object.hasOwn(GPT_MODULES, name)) throw Errors.invalidOption("tokenizer", `no exact encoder for ${JSON.stringify(name)}`);
    enc = localRequire(GPT_MODULES[name]) as GptEncodingModule;
    gptCache.set(name, enc);
  }
  return enc;
}

/** True when the running environment is the one the hybrid routing rule was proven in. */
export function hybridIsProven(): boolean {
  if (hybridAllowed === undefined) {
    hybridAllowed =
      process.versions.unicode === HYBRID_PROOF.unicode &&
      installedVersion("tiktoken") === HYBRID_PROOF.tiktoken &&
      installedVersion("gpt-tokenizer") === HYBRID_PROOF.gptTokenizer;
  }
  return hybridAllowed;
}

// ---------------------------------------------------------------------------
// Counting primitives
// ---------------------------------------------------------------------------

/** gpt-tokenizer options: no special tokens allowed, none disallowed => all text is ordinary. */
const ORDINARY: { disallowedSpecial: Set<string> } = Object.freeze({ disallowedSpecial: new Set<string>() });

/** OpenClaw / pi chars/4 estimate for a string (`Math.ceil(chars / 4)`). */
export function estimateTextTokens(text: string): number {
  return text ? Math.ceil(text.length / 4) : 0;
}

function asText(text: unknown): string {
  return typeof text === "string" ? text : text == null ? "" : String(text);
}

function countTiktoken(name: ExactEncoding, text: string): number {
  if (!text) return 0;
  return tiktokenEncoder(name).encode_ordinary(text).length;
}

function countGpt(name: ExactEncoding, text: string): number {
  if (!text) return 0;
  return gptEncoder(name).countTokens(text, ORDINARY);
}

/**
 * Loads now the encoder `name`'s counter runs most (the hybrid's and gpt-tokenizer's: gpt-tokenizer; the
 * reference's: tiktoken), as its first count would: ~130–180 ms on this machine, which a lane otherwise
 * spends inside its first build (src/compiler.ts: each lane preloads the compiler's default tokenizer while
 * it waits for its first request). The hybrid's tiktoken stays lazy — it serves only texts with a routed
 * character, and costs a worker its memory. Returns the backend loaded; null for `estimate`.
 */
export function preloadEncoders(name: TokenizerName): ResolvedBackend | null {
  validateTokenizer(name);
  if (name === "estimate") return null;
  const backend = resolveBackend(name);
  if (backend === "tiktoken") tiktokenEncoder(name);
  else gptEncoder(name);
  return backend;
}

/** The encoders this thread has loaded, as `<module>:<encoding>` (diagnostics and tests). */
export function loadedEncoders(): string[] {
  return [...[...gptCache.keys()].map((n) => `gpt-tokenizer:${n}`), ...[...tiktokenCache.keys()].map((n) => `tiktoken:${n}`)];
}

/** Which implementation `createTokenCounter(name, backend)` will run. */
export function resolveBackend(name: TokenizerName, backend: TokenizerBackend = "auto"): ResolvedBackend {
  if (name === "estimate") return "estimate";
  if (backend === "tiktoken" || backend === "gpt-tokenizer") return backend;
  return hybridIsProven() ? "hybrid" : "tiktoken";
}

const counterCache = new Map<string, TokenCounter>();

/**
 * Create (or reuse) a token counter.
 * - `backend: "auto"` (default): the hybrid where proven (see {@link HYBRID_PROOF}), else tiktoken.
 * - `backend: "tiktoken"`: always the reference.
 * - `backend: "gpt-tokenizer"`: always gpt-tokenizer, even on routed text (for benchmarks;
 *   may differ from tiktoken on texts matching {@link HYBRID_ROUTE_RE}).
 * The backend is ignored for "estimate".
 */
export function createTokenCounter(name: TokenizerName, backend: TokenizerBackend = "auto"): TokenCounter {
  validateTokenizer(name); // an unknown name is INVALID_OPTION, never a silent fallback
  const resolved = resolveBackend(name, backend);
  const key = `${name}:${resolved}`;
  const cached = counterCache.get(key);
  if (cached) return cached;

  let counter: TokenCounter;
  if (name === "estimate") {
    counter = { name, exact: false, count: (text) => estimateTextTokens(asText(text)) };
  } else {
    const backend: (s: string) => number =
      resolved === "tiktoken"
        ? (s) => countTiktoken(name, s)
        : resolved === "gpt-tokenizer"
          ? (s) => countGpt(name, s)
          : (s) => (HYBRID_ROUTE_RE.test(s) ? countTiktoken(name, s) : countGpt(name, s));
    // Both backends are quadratic in one piece's length: a text that may hold a long piece is
    // split once more here and its long pieces merged in O(n log n) (long-piece.ts).
    counter = {
      name,
      exact: true,
      count: (text) => {
        const s = asText(text);
        return mayHoldLongPiece(name, s) ? countWithLongPieces(name, s, backend) : backend(s);
      },
    };
  }
  Object.freeze(counter);
  counterCache.set(key, counter);
  return counter;
}
