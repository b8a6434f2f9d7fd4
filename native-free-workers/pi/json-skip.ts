/**
 * The one JSON value skipper of the byte-level scanners that lean on an earlier `JSON.parse` of the line
 * (entry-fields.ts, json-value-range.ts, canonical-json.ts): they assume well-formed JSON and only track
 * strings and nesting. (line-keys.ts validates the grammar itself and keeps its own walk.)
 *
 * Every search stays inside `[i, end)`: an unbounded `indexOf` of a byte the rest of the line lacks would
 * scan to its end, for every string of the line. Strings are skipped with `indexOf('"')` (native memchr),
 * so long tool results cost almost nothing; whether the string held a backslash is noted on the way
 * ({@link stringEscaped}), so a caller that treats escaped strings apart need not look again.
 */
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./json-bytes.js";

/** JSON's four whitespace bytes. */
export const JSON_SPACE = new Uint8Array(256);
JSON_SPACE[0x20] = JSON_SPACE[0x09] = JSON_SPACE[0x0a] = JSON_SPACE[0x0d] = 1;

/** The index of the first non-whitespace byte at or after `i` (at most `end`). */
export function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end && JSON_SPACE[b[i]!] === 1) i++;
  return i;
}

/** Whether the string {@link skipString} last skipped holds a backslash (or was not closed before `end`). */
let escaped = false;

/** Whether the string {@link skipString} (or {@link skipValue}, for a string value) last skipped with `note` holds a backslash. */
export function stringEscaped(): boolean {
  return escaped;
}

/**
 * `i` at an opening quote: the index just past the closing quote (`end` when there is none). With `note`,
 * also notes {@link stringEscaped} — a second look at the string's bytes, so only callers that ask for it
 * pay for it (json-value-range.ts, on the compiler's path, does not: ~30 % of its time at 28 MB).
 */
export function skipString(b: Buffer, i: number, end: number, note = false): number {
  if (!note) {
    let from = i + 1;
    for (;;) {
      const q = b.indexOf(QUOTE, from);
      if (q === -1 || q >= end) return end;
      let backslashes = 0;
      for (let k = q - 1; b[k] === BACKSLASH; k--) backslashes++;
      if (backslashes % 2 === 0) return q + 1;
      from = q + 1;
    }
  }
  // Most keys and scalar strings are short: look at their first bytes here before asking the native search.
  const near = Math.min(end, i + 32);
  let j = i + 1;
  for (; j < near; j++) {
    const c = b[j];
    if (c === QUOTE) {
      escaped = false;
      return j + 1;
    }
    if (c === BACKSLASH) break;
  }
  let from = i + 1;
  for (;;) {
    const q = b.indexOf(QUOTE, from);
    if (q === -1 || q >= end) {
      escaped = true; // not reached on a validated line; the caller then treats the range as unsure
      return end;
    }
    let backslashes = 0;
    for (let k = q - 1; b[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) {
      escaped = j < near || b.subarray(i + 1, q).includes(BACKSLASH);
      return q + 1;
    }
    from = q + 1;
  }
}

/**
 * `i` at the first byte of a value: the index just past it, at most `end` (iterative: any nesting depth).
 * `note`: a string value notes {@link stringEscaped} (strings inside objects and arrays never do).
 */
export function skipValue(b: Buffer, i: number, end: number, note = false): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end, note);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < end) {
      const d = b[j]!;
      if (d === QUOTE) {
        j = skipString(b, j, end);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        if (--depth === 0) return j + 1;
      }
      j++;
    }
    return j;
  }
  // number, true, false, null
  let j = i;
  while (j < end) {
    const d = b[j]!;
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || JSON_SPACE[d] === 1) break;
    j++;
  }
  return j;
}
