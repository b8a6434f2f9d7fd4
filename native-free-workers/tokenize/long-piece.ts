/**
 * Exact token counts for texts holding a very long BPE piece, in O(n log n) instead of O(n²).
 *
 * Why: both exact backends merge a piece's byte pairs by rescanning the whole piece for the
 * lowest-rank pair after every merge (tiktoken's `_byte_pair_merge`, gpt-tokenizer's
 * `bytePairMerge`), so one piece of n bytes costs O(n²): 65,536 × "x" took 6.2 s (tiktoken) and
 * 10.7 s (gpt-tokenizer), a 1 MiB piece tens of minutes — a hung worker lane. A piece is one match
 * of the encoding's split pattern; letter runs (DNA, minified words), whitespace runs and
 * punctuation runs (`=` lines, base64 symbol runs, `/` and newline tails) are unbounded.
 *
 * How: a text that may hold a piece of {@link LONG_PIECE_UNITS} or more (a sampled scan) is
 * split here with tiktoken's own pattern, its classes written so that the JS engine matches what
 * tiktoken's Rust engine matches (regex-classes.ts). Long pieces are merged with a min-heap over
 * adjacent parts keyed (rank, start) — lowest rank first, leftmost on ties, the rank of a pair being
 * the rank of its concatenated bytes: exactly tiktoken's rule. The rest of the text is counted by
 * the caller's backend in segments cut only where a separate count equals the whole (see
 * {@link countWithLongPieces}). Ranks come from tiktoken's own `encoders/<name>.json`, loaded on the
 * first long piece only.
 *
 * Where: the split is proven equal to tiktoken's under {@link LONG_PIECE_PROOF}: ICU Unicode 17.0
 * (its differences from tiktoken's Unicode 16 tables are listed in regex-classes.ts) or 16.0, and
 * tiktoken 1.0.22, whose pattern is checked on load. Elsewhere only all-ASCII texts take this path
 * (ASCII's classes are the same in every Unicode version); other texts stay with the backend.
 * Memory: a piece of n bytes is merged in ~36·n bytes of typed arrays, freed after it.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import type { ExactTokenizerName } from "../protocol/tokenizers.js";
import { installedVersion } from "./installed-version.js";
import { UNICODE17_NEW_CLASS } from "./regex-classes.js";

/** Keyed by the registry's exact names, so a new encoding does not compile without its pattern here. */
export type LongPieceEncoding = ExactTokenizerName;

/** A piece this long (UTF-16 units) or longer is merged here; shorter ones cost the backends at most O(n·512). */
export const LONG_PIECE_UNITS = 512;

/**
 * The environments in which the split below equals tiktoken's. Unicode 17.0: the hybrid's full
 * code-point sweep (docs/tokenizers.md). Unicode 16.0 (Node 22's ICU): the same UCD version as
 * tiktoken's regex-syntax tables, so only U+0085/U+FEFF differ; the batched sweep of
 * test/unit/tokenizer.test.ts passes under Node 22.16.0.
 */
export const LONG_PIECE_PROOF = Object.freeze({ unicode: Object.freeze(["16.0", "17.0"]), tiktoken: "1.0.22" });

// ---------------------------------------------------------------------------
// tiktoken's split patterns, in JS (`v` flag) with tiktoken's character classes
// ---------------------------------------------------------------------------

/** tiktoken 1.0.22's pat_str per encoding; a different installed pattern disables this path. */
export const TIKTOKEN_PATTERNS: Readonly<Record<LongPieceEncoding, string>> = Object.freeze({
  o200k_base:
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  cl100k_base:
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
});

const NEW17 = `[${UNICODE17_NEW_CLASS}]`;
/** Rust's view of a Unicode property: Node's minus the Unicode 17.0 additions (unassigned for tiktoken). */
const rust = (props: string): string => `[[${props}]--${NEW17}]`;
const L = rust("\\p{L}");
const N = rust("\\p{N}");
const M = rust("\\p{M}");
const UPPERISH = rust("\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}");
const LOWERISH = rust("\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}");
/** Rust `\s` (Unicode White_Space): JS `\s` plus U+0085, minus U+FEFF. */
const WS = "[[\\s\\u0085]--[\\uFEFF]]";
const NOT_WS = "[^[\\s\\u0085]--[\\uFEFF]]";
const NOT_CRLF_LETTER_NUMBER = `[^\\r\\n${L}${N}]`;
const OTHER = `[^${WS}${L}${N}]`;
/** `(?i:'s|'t|'re|'ve|'m|'ll|'d)`: Rust's `(?i)` folds s with S and ſ (U+017F), the others with their capital only. */
const CONTRACTION = "'(?:[sS\\u017F]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])";

const SPLIT_SOURCES: Readonly<Record<LongPieceEncoding, string>> = {
  o200k_base:
    `${NOT_CRLF_LETTER_NUMBER}?${UPPERISH}*${LOWERISH}+(?:${CONTRACTION})?|${NOT_CRLF_LETTER_NUMBER}?${UPPERISH}+${LOWERISH}*(?:${CONTRACTION})?` +
    `|${N}{1,3}| ?${OTHER}+[\\r\\n\\/]*|${WS}*[\\r\\n]+|${WS}+(?!${NOT_WS})|${WS}+`,
  cl100k_base:
    `${CONTRACTION}|${NOT_CRLF_LETTER_NUMBER}?${L}+|${N}{1,3}| ?${OTHER}+[\\r\\n]*|${WS}*[\\r\\n]+|${WS}+(?!${NOT_WS})|${WS}+`,
};

/** The split regex (global, fresh `lastIndex` each use) — exported for the tests. */
export function splitRegex(enc: LongPieceEncoding): RegExp {
  return new RegExp(SPLIT_SOURCES[enc], "gv");
}

/**
 * The candidate test: a text MAY hold a piece of ≥ LONG_PIECE_UNITS units only if it holds a run of
 * one class a long piece is mostly made of. A letter piece is ≤ 2 prefix units + letters/marks + ≤ 3
 * contraction units; an "other" piece is ≤ 1 space + a run of other + a run of [\r\n/], one of the
 * two at least half the rest; a whitespace piece is whitespace. The classes are supersets of
 * tiktoken's (JS's plus the characters the engines disagree on), so no long piece is missed. Code
 * units are classed through a per-unit table: a regex with counted repetition (`X{k,}`) ran at
 * ~0.5 MB/s on code here, slower than counting the tokens.
 */
const T = LONG_PIECE_UNITS;
const LETTER = 1;
const OTHER_RUN = 2;
const TAIL = 4;
const SPACE = 8;
const MIN_LETTERS = T - 5;
const MIN_OTHERS = Math.ceil((T - 1) / 2);
const MIN_TAILS = Math.ceil((T - 1) / 2);
const MIN_SPACES = T;
const RUNS: readonly (readonly [number, number])[] = [
  [LETTER, MIN_LETTERS],
  [OTHER_RUN, MIN_OTHERS],
  [TAIL, MIN_TAILS],
  [SPACE, MIN_SPACES],
];
const LETTER_RE = /[\p{L}\p{M}]/u;
const OTHER_RE = new RegExp(`[^\\s\\p{L}\\p{N}]|[\\uFEFF${UNICODE17_NEW_CLASS}]`, "u");
const SPACE_RE = /[\s\u0085]/u;
/** Class bits per BMP code unit, filled on first sight (bit 0x80: known). */
const unitClass = new Uint8Array(0x10000);

function classOf(ch: string): number {
  let bits = 0x80;
  if (LETTER_RE.test(ch)) bits |= LETTER;
  if (OTHER_RE.test(ch)) bits |= OTHER_RUN;
  if (ch === "\r" || ch === "\n" || ch === "/") bits |= TAIL;
  if (SPACE_RE.test(ch)) bits |= SPACE;
  return bits;
}

/** Class bits of the code unit at i (both units of a surrogate pair get the pair's). */
function bitsAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) {
    const bits = unitClass[c]!;
    return bits !== 0 ? bits : (unitClass[c] = classOf(String.fromCharCode(c)));
  }
  const start = c <= 0xdbff ? i : i - 1; // a low surrogate belongs to the high one before it, if any
  const hi = text.charCodeAt(start);
  const lo = text.charCodeAt(start + 1);
  if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) return classOf(text.slice(start, start + 2));
  return OTHER_RUN; // lone surrogate: U+FFFD for tiktoken, "other" for both
}

/**
 * Every run of ≥ MIN_OTHERS units (the shortest run sought) covers a unit at a multiple of
 * MIN_OTHERS: only those units are looked at, and the runs through them measured. A run of L units
 * is measured by ≤ L / MIN_OTHERS + 1 samples, so the test stays linear, at a few units per sample
 * on ordinary text (a word, a space).
 */
function holdsLongRun(text: string): boolean {
  const n = text.length;
  for (let p = MIN_OTHERS - 1; p < n; p += MIN_OTHERS) {
    const bits = bitsAt(text, p);
    for (const [bit, min] of RUNS) {
      if (!(bits & bit)) continue;
      let from = p;
      while (from > 0 && bitsAt(text, from - 1) & bit) from--;
      let to = p + 1;
      while (to < n && to - from < min && bitsAt(text, to) & bit) to++;
      if (to - from >= min) return true;
    }
  }
  return false;
}

const NON_ASCII_RE = /[^\0-\x7F]/;

// ---------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------

const localRequire = createRequire(import.meta.url);
let proven: boolean | undefined;
const ranksCache = new Map<LongPieceEncoding, Map<string, number> | null>();

/** True where the split is proven for every text (else: ASCII texts only). */
export function longPieceProven(): boolean {
  if (proven === undefined) {
    proven = LONG_PIECE_PROOF.unicode.includes(process.versions.unicode ?? "") && installedVersion("tiktoken") === LONG_PIECE_PROOF.tiktoken;
  }
  return proven;
}

/**
 * tiktoken's mergeable ranks, keyed by the token's bytes as a latin1 string. The file's
 * `bpe_ranks` is "! <first rank> <base64 token> <base64 token> …" (consecutive ranks; a "!"
 * restarts the numbering). null when the installed pattern is not the one the split copies.
 */
export function ranks(enc: LongPieceEncoding): Map<string, number> | null {
  let map = ranksCache.get(enc);
  if (map !== undefined) return map;
  map = null;
  try {
    const file = JSON.parse(readFileSync(localRequire.resolve(`tiktoken/encoders/${enc}.json`), "utf8")) as { pat_str?: string; bpe_ranks?: string };
    if (file.pat_str === TIKTOKEN_PATTERNS[enc] && typeof file.bpe_ranks === "string") {
      const words = file.bpe_ranks.split(" ");
      const m = new Map<string, number>();
      let rank = 0;
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        if (w === "!") rank = Number(words[++i]);
        else m.set(Buffer.from(w, "base64").toString("latin1"), rank++);
      }
      map = m;
    }
  } catch {
    map = null;
  }
  ranksCache.set(enc, map);
  return map;
}

/** Whether {@link countWithLongPieces} should be used for this text (cheap; no ranks loaded). */
export function mayHoldLongPiece(enc: LongPieceEncoding, text: string): boolean {
  if (text.length < LONG_PIECE_UNITS || !holdsLongRun(text)) return false;
  if (!longPieceProven() && NON_ASCII_RE.test(text)) return false;
  return ranks(enc) !== null;
}

// ---------------------------------------------------------------------------
// Byte-pair merge with a heap
// ---------------------------------------------------------------------------

const SHIFT = 4294967296; // heap key = rank * 2^32 + start: ranks < 2^18, starts < 2^32, exact in a double

/**
 * Number of tokens tiktoken's `byte_pair_encode` gives a piece (bytes as a latin1 string). Same
 * merges as `_byte_pair_merge`: repeatedly the adjacent pair of parts whose concatenation has the
 * lowest rank, the leftmost among equals; stale heap entries (a part merged away, or its pair
 * grown — ranks are unique per byte string and pairs only grow) are skipped on pop.
 */
export function bytePairCount(rankOf: Map<string, number>, bin: string): number {
  const n = bin.length;
  if (n <= 1) return n;
  if (rankOf.has(bin)) return 1; // tiktoken looks the whole piece up first
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const pairRank = new Int32Array(n).fill(-1); // rank of (part at p, next part); -1: none
  const heap = new Float64Array(3 * n); // n - 1 initial pairs + ≤ 2 per merge
  let size = 0;
  const push = (key: number): void => {
    let i = size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (heap[up]! <= key) break;
      heap[i] = heap[up]!;
      i = up;
    }
    heap[i] = key;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap[--size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && heap[c + 1]! < heap[c]!) c++;
      if (heap[c]! >= last) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    return top;
  };
  const setPair = (p: number, end: number): void => {
    const r = end <= n ? rankOf.get(bin.slice(p, end)) : undefined;
    if (r === undefined) pairRank[p] = -1;
    else {
      pairRank[p] = r;
      push(r * SHIFT + p);
    }
  };
  for (let p = 0; p < n; p++) {
    next[p] = p + 1;
    prev[p] = p - 1;
  }
  for (let p = 0; p + 1 < n; p++) setPair(p, p + 2);
  let parts = n;
  while (size > 0) {
    const key = pop();
    const r = Math.floor(key / SHIFT);
    const p = key - r * SHIFT;
    if (pairRank[p] !== r) continue;
    const q = next[p]!; // merge part q into part p
    const after = next[q]!;
    next[p] = after;
    if (after < n) prev[after] = p;
    pairRank[q] = -1;
    parts--;
    if (after < n) setPair(p, next[after]!);
    else pairRank[p] = -1;
    if (p > 0) setPair(prev[p]!, after);
  }
  return parts;
}

// ---------------------------------------------------------------------------
// Counting a text with long pieces
// ---------------------------------------------------------------------------

/** JS `\s` ∪ Rust `\s` (all BMP): a code unit after which a cut may change the split. */
function isWhitespaceUnit(c: number): boolean {
  return (
    (c >= 9 && c <= 13) || c === 32 || c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function pieceBytes(piece: string): string {
  return Buffer.from(piece, "utf8").toString("latin1"); // lone surrogates become U+FFFD, as tiktoken receives them
}

/**
 * Exact count of `text`: long pieces merged here, everything else by `countSegment` (the backend).
 *
 * A segment ends where a long piece starts. Counting a segment alone equals counting it inside
 * the text when the cut follows a non-whitespace character: the patterns have no look-behind, so
 * the text after a piece boundary splits the same alone, and their only look-ahead, `\s+(?!\S)`,
 * can only be evaluated at the cut after whitespace. When whitespace precedes the cut (indentation
 * before a long word, "\n\n" before a long line), the segment is cut at the last piece boundary
 * preceded by non-whitespace and the pieces after it are merged here one by one.
 */
export function countWithLongPieces(enc: LongPieceEncoding, text: string, countSegment: (segment: string) => number): number {
  const rankOf = ranks(enc);
  if (!rankOf) return countSegment(text);
  const re = splitRegex(enc);
  let total = 0;
  let segStart = 0; // first unit not yet counted
  let safe = 0; // last piece start in the segment where a cut is safe
  const tail: number[] = []; // starts of the pieces from `safe` on
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const a = m.index;
    const b = a + m[0].length;
    if (a === segStart || !isWhitespaceUnit(text.charCodeAt(a - 1))) {
      safe = a;
      tail.length = 0;
    }
    tail.push(a);
    if (b - a < LONG_PIECE_UNITS) continue;
    if (safe > segStart) total += countSegment(text.slice(segStart, safe));
    for (let i = 0; i + 1 < tail.length; i++) total += bytePairCount(rankOf, pieceBytes(text.slice(tail[i], tail[i + 1])));
    total += bytePairCount(rankOf, pieceBytes(m[0]));
    segStart = b;
  }
  if (segStart < text.length) total += countSegment(segStart === 0 ? text : text.slice(segStart));
  return total;
}
