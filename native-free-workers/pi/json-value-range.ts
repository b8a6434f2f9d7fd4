/**
 * Finds the byte range of one top-level member's value inside a JSON object line, without decoding it.
 *
 * Why: the context buffer carries each message as the exact bytes the transcript holds, so the main
 * thread can forward them without a parse/serialize round trip. JSON.parse has already validated the
 * line, so this scanner can assume well-formed JSON and only track strings and nesting. Strings are
 * skipped with `indexOf('"')` (native memchr), so long tool results cost almost nothing here.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length && isSpace(b[i]!)) i++;
  return i;
}

/** `i` is at an opening quote; returns the index just past the closing quote. */
function skipString(b: Buffer, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = b.indexOf(QUOTE, from);
    if (q === -1) return b.length;
    let backslashes = 0;
    for (let k = q - 1; b[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** `i` is at the first byte of a value; returns the index just past it. */
function skipValue(b: Buffer, i: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < b.length) {
      const d = b[j]!;
      if (d === QUOTE) {
        j = skipString(b, j);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return j;
  }
  // number, true, false, null
  let j = i;
  while (j < b.length) {
    const d = b[j]!;
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    j++;
  }
  return j;
}

/**
 * Returns `[start, end)` of the value of top-level key `key` in the JSON object `line`, or null when the
 * key is absent or spelled with escapes (the caller then falls back to serializing the parsed value).
 * With duplicate keys the last one wins, as in JSON.parse.
 */
export function findTopLevelValue(line: Buffer, key: Uint8Array): [number, number] | null {
  let i = skipSpace(line, 0);
  if (line[i] !== OPEN_BRACE) return null;
  i++;
  let found: [number, number] | null = null;
  for (;;) {
    i = skipSpace(line, i);
    if (i >= line.length || line[i] !== QUOTE) return found; // `}` or end
    const keyStart = i + 1;
    i = skipString(line, i);
    const keyEnd = i - 1;
    i = skipSpace(line, i);
    i = skipSpace(line, i + 1); // past ':'
    const valueStart = i;
    i = skipValue(line, i);
    if (keyEnd - keyStart === key.length && line.compare(key, 0, key.length, keyStart, keyEnd) === 0) {
      found = [valueStart, i];
    }
    i = skipSpace(line, i);
    if (line[i] !== COMMA) return found;
    i++;
  }
}
