/**
 * Finds the byte range of one top-level member's value inside a JSON object line, without decoding it.
 *
 * Why: the context buffer carries each message as the exact bytes the transcript holds, so the main
 * thread can forward them without a parse/serialize round trip. JSON.parse has already validated the
 * line, so this scanner can assume well-formed JSON and only track strings and nesting. Strings are
 * skipped with `indexOf('"')` (native memchr), so long tool results cost almost nothing here.
 */

import { COMMA, OPEN_BRACE, QUOTE } from "./json-bytes.js";
import { skipSpace, skipString, skipValue } from "./json-skip.js";

/**
 * Returns `[start, end)` of the value of top-level key `key` in the JSON object `line`, or null when the
 * key is absent or spelled with escapes (the caller then falls back to serializing the parsed value).
 * With duplicate keys the last one wins, as in JSON.parse.
 */
export function findTopLevelValue(line: Buffer, key: Uint8Array): [number, number] | null {
  let i = skipSpace(line, 0, line.length);
  if (line[i] !== OPEN_BRACE) return null;
  i++;
  let found: [number, number] | null = null;
  for (;;) {
    i = skipSpace(line, i, line.length);
    if (i >= line.length || line[i] !== QUOTE) return found; // `}` or end
    const keyStart = i + 1;
    i = skipString(line, i, line.length);
    const keyEnd = i - 1;
    i = skipSpace(line, i, line.length);
    i = skipSpace(line, i + 1, line.length); // past ':'
    const valueStart = i;
    i = skipValue(line, i, line.length);
    if (keyEnd - keyStart === key.length && line.compare(key, 0, key.length, keyStart, keyEnd) === 0) {
      found = [valueStart, i];
    }
    i = skipSpace(line, i, line.length);
    if (line[i] !== COMMA) return found;
    i++;
  }
}
