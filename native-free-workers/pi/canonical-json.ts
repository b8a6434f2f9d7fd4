/**
 * Whether a JSON text is canonical — `JSON.stringify(JSON.parse(text)) === text`, on its UTF-8 bytes —
 * decided byte by byte, without building the value (issue #11 item 3: the session buffer's
 * `RecordFlag.canonical`, so the main thread need not serialise every entry to learn that a transcript
 * is exactly its entries serialised).
 *
 * The text must be JSON that `JSON.parse` accepted (the worker parsed the line when it read it,
 * pi/parse-line.ts); for anything else the answer means nothing (it is never a crash or a hang). The rules,
 * each what `JSON.stringify` writes (ECMA-262 SerializeJSONProperty / QuoteJSONString):
 * - no whitespace outside strings;
 * - strings: valid UTF-8 (invalid bytes decode to U+FFFD, which encodes differently), every character raw
 *   except `"` and `\` (escaped as such), the control characters (`\b \t \n \f \r`, the others `\u00xx`
 *   in lowercase hex) and lone surrogates (`\udxxx`, lowercase) — so `\/`, `\u00e9`, `\u0041`, an escaped
 *   surrogate pair or uppercase hex are not canonical;
 * - numbers in Number::toString form (`String(Number(text)) === text`: not `1.0`, `1e5`, `1E5`, `-0`,
 *   `0.10`, `1e400`);
 * - no duplicate key in an object (the parse keeps one member), and no key that starts with a digit — an
 *   integer-like key ("0", "12") is an array index, which the parse moves first; keys that merely start
 *   with a digit are refused too (unsure is "not canonical": the reader then compares itself).
 * Objects with more than {@link MAX_KEYS} members are not judged (not canonical), bounding the key check,
 * nor are values nested deeper than {@link MAX_DEPTH}: a reader may then take a canonical line's values to be
 * shallow (the main thread's entries that decode on use, src/openclaw/buffer-entries.ts, leave a deep one to
 * an eager parse, whose recursive freeze fails where OpenClaw's own does — at the open, not at a later read).
 */
import { isUtf8 } from "node:buffer";
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./json-bytes.js";
import { skipString, stringEscaped } from "./json-skip.js";

/** Members per object the duplicate check compares (linear search); a larger object is "not canonical". */
export const MAX_KEYS = 256;

/** Containers open at once in a line judged canonical; a deeper line is "not canonical" (see the module comment). */
export const MAX_DEPTH = 64;

/** Bytes a JSON number may hold. */
const NUMBER = new Uint8Array(256);
for (const c of "0123456789-+.eE") NUMBER[c.charCodeAt(0)] = 1;
/** Lowercase hex digit values + 1 (0: not a lowercase hex digit). */
const LOWER_HEX = new Uint8Array(256);
for (let d = 0; d < 16; d++) LOWER_HEX["0123456789abcdef".charCodeAt(d)] = d + 1;
/** The escapes JSON.stringify writes after a backslash (besides `u`): `"`, `\`, b, f, n, r, t. */
const SHORT_ESCAPE = new Uint8Array(256);
for (const c of '"\\bfnrt') SHORT_ESCAPE[c.charCodeAt(0)] = 1;

/** Key ranges of the open objects (start, end pairs), reused across calls: no allocation per key. */
let keyRanges = new Int32Array(256);

/** Whether the JSON text `b` (parsed by `JSON.parse` before) is canonical (see the module comment). */
export function isCanonicalJson(b: Buffer): boolean {
  const n = b.length;
  if (n === 0 || !isUtf8(b)) return false;
  // Per open container, where its keys start in keyRanges (an object) or -1 (an array); `base` is the
  // innermost one's, `used` the pairs in use. Keys are compared as bytes: canonical spellings are one
  // per string, so equal keys are equal bytes.
  const open: number[] = [];
  let base = -1;
  let used = 0;
  let expectKey = false;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c === QUOTE) {
      const start = i;
      i = skipString(b, i, n, true);
      if (stringEscaped() && !canonicalEscapes(b, start + 1, i - 1)) return false;
      if (expectKey) {
        const first = b[start + 1]!;
        if (first >= 0x30 && first <= 0x39) return false;
        if (base < 0 || used - base >= MAX_KEYS || seenKey(b, base, used, start + 1, i - 1)) return false;
        if (2 * used + 2 > keyRanges.length) {
          const grown = new Int32Array(keyRanges.length * 2);
          grown.set(keyRanges);
          keyRanges = grown;
        }
        keyRanges[2 * used] = start + 1;
        keyRanges[2 * used + 1] = i - 1;
        used++;
        expectKey = false;
      }
      continue;
    }
    if ((c === OPEN_BRACE || c === OPEN_BRACKET) && open.length >= MAX_DEPTH) return false;
    if (c === OPEN_BRACE) {
      open.push(base);
      base = used;
      expectKey = true;
      i++;
    } else if (c === OPEN_BRACKET) {
      open.push(base);
      base = -1;
      i++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (base >= 0) used = base;
      base = open.pop() ?? -1;
      i++;
    } else if (c === COMMA) {
      expectKey = base >= 0;
      i++;
    } else if (c === COLON) {
      i++;
    } else if (c === 0x74 || c === 0x6e) {
      i += 4; // true, null
    } else if (c === 0x66) {
      i += 5; // false
    } else if (NUMBER[c] === 1) {
      const start = i;
      while (i < n && NUMBER[b[i]!] === 1) i++;
      if (!canonicalNumber(b, start, i)) return false;
    } else {
      return false; // whitespace, or not JSON
    }
  }
  return true;
}

/** Whether the key `b[from, to)` equals one of the keys `base … used − 1` (byte ranges in keyRanges). */
function seenKey(b: Buffer, base: number, used: number, from: number, to: number): boolean {
  const len = to - from;
  for (let k = base; k < used; k++) {
    const a = keyRanges[2 * k]!;
    if (keyRanges[2 * k + 1]! - a !== len) continue;
    let j = 0;
    while (j < len && b[a + j] === b[from + j]) j++;
    if (j === len) return true;
  }
  return false;
}

/**
 * Whether the number text `b[start, end)` is what `JSON.stringify` writes for its value. Plain integers
 * of up to 15 digits (exact doubles) are canonical without asking; anything else (fractions, exponents,
 * longer integers) is compared with `String(Number(text))` — the same double `JSON.parse` makes.
 */
function canonicalNumber(b: Buffer, start: number, end: number): boolean {
  let i = start;
  if (b[i] === 0x2d) i++;
  const digits = end - i;
  if (digits > 0 && digits <= 15) {
    let plain = true;
    for (let k = i; k < end; k++) {
      const d = b[k]!;
      if (d < 0x30 || d > 0x39) {
        plain = false;
        break;
      }
    }
    // A leading zero only as "0" itself; "-0" serialises as "0".
    if (plain) return b[i] !== 0x30 || (digits === 1 && i === start);
  }
  const text = (b as Buffer & { latin1Slice(a: number, z: number): string }).latin1Slice(start, end);
  return String(Number(text)) === text;
}

/** The value of the 4 lowercase hex digits at `at` (before `end`), or -1 when they are not that. */
function lowerHex4(b: Buffer, at: number, end: number): number {
  if (at + 4 > end) return -1;
  const h0 = LOWER_HEX[b[at]!]!, h1 = LOWER_HEX[b[at + 1]!]!, h2 = LOWER_HEX[b[at + 2]!]!, h3 = LOWER_HEX[b[at + 3]!]!;
  if (h0 === 0 || h1 === 0 || h2 === 0 || h3 === 0) return -1;
  return ((h0 - 1) << 12) | ((h1 - 1) << 8) | ((h2 - 1) << 4) | (h3 - 1);
}

/** Whether `\u` + 4 hex digits (either case, as `JSON.parse` reads them) at `at` spell a low surrogate. */
function lowSurrogateEscapeAt(b: Buffer, at: number, end: number): boolean {
  if (at + 6 > end || b[at] !== BACKSLASH || b[at + 1] !== 0x75) return false;
  const h = Number.parseInt((b as Buffer & { latin1Slice(a: number, z: number): string }).latin1Slice(at + 2, at + 6), 16);
  return h >= 0xdc00 && h <= 0xdfff;
}

/**
 * Whether every escape in the string body `b[from, to)` is one `JSON.stringify` writes. Raw characters
 * need no check (valid UTF-8 was checked for the whole text; raw control bytes are not JSON). A low
 * surrogate escape is lone unless a high surrogate escape precedes it — refused there already — since a
 * raw high surrogate cannot be valid UTF-8.
 */
function canonicalEscapes(b: Buffer, from: number, to: number): boolean {
  // The last search may run past `to`, to the next backslash of the text (in the next escaped string):
  // each byte is searched at most twice per text.
  let k = b.indexOf(BACKSLASH, from);
  while (k !== -1 && k < to) {
    const e = b[k + 1]!;
    if (e === 0x75) {
      const v = lowerHex4(b, k + 2, to);
      if (v < 0) return false;
      if (v < 0x20) {
        if (v === 0x08 || v === 0x09 || v === 0x0a || v === 0x0c || v === 0x0d) return false; // \b \t \n \f \r
      } else if (v >= 0xd800 && v <= 0xdbff) {
        if (lowSurrogateEscapeAt(b, k + 6, to)) return false; // a pair: serialised raw
      } else if (v < 0xdc00 || v > 0xdfff) {
        return false; // a character serialised raw
      }
      k += 6;
    } else if (SHORT_ESCAPE[e] === 1) {
      k += 2;
    } else {
      return false; // `\/`
    }
    k = b.indexOf(BACKSLASH, k);
  }
  return true;
}
