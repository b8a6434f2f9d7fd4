/**
 * pi's rule for one transcript line, shared by every reader of a transcript (the compiler's index and the
 * OpenClaw session read): pi reads `content.trim().split("\n")`, skips blank lines, `JSON.parse`s the rest
 * and skips what does not parse. pi keeps any JSON value; every reader here keeps only objects (pi would
 * crash on `null`), so the caller reports the others.
 *
 * Byte-level on purpose: lines come from the raw `\n` split of io/line-reader.ts, and the byte offset of
 * the line (after a BOM) is what diagnostics and read-back ranges refer to.
 */

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** One line as pi sees it. `bytes` and `offset` skip a leading BOM on line 1 (pi's `trim()` drops it). */
export type ParsedLine =
  | { kind: "blank"; bom: boolean; bytes: Buffer; offset: number }
  | { kind: "malformed"; bom: boolean; bytes: Buffer; offset: number; error: string }
  /** Valid JSON that is not an object (`null`, a number, a string, an array). */
  | { kind: "non-object"; bom: boolean; bytes: Buffer; offset: number; value: unknown; what: string }
  | { kind: "entry"; bom: boolean; bytes: Buffer; offset: number; value: Record<string, unknown> };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What a non-object JSON value is, for diagnostics ("null", "an array", "a number", …). */
function describeValue(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/** Parses line `lineNo` (1-based) that starts at byte `offset`; `bytes` without its `\n`, valid during the call. */
export function parseLine(bytes: Buffer, lineNo: number, offset: number): ParsedLine {
  let bom = false;
  if (lineNo === 1 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2]) {
    bytes = bytes.subarray(3);
    offset += 3;
    bom = true;
  }
  const text = bytes.toString("utf8");
  if (text.trim() === "") return { kind: "blank", bom, bytes, offset };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: "malformed", bom, bytes, offset, error: jsonErrorWithoutContent((err as Error).message) };
  }
  if (!isObject(value)) return { kind: "non-object", bom, bytes, offset, value, what: describeValue(value) };
  return { kind: "entry", bom, bytes, offset, value };
}

/**
 * V8's JSON.parse message without the bytes it quotes: "Unexpected token 'h', "hello worl"... is not
 * valid JSON" carries up to a line's first characters — conversation text — into diagnostics, which
 * callers log and the persistent index keeps. Diagnostics locate (line, offset, position), never quote;
 * only V8 messages of a known content-free shape pass as they are.
 */
export function jsonErrorWithoutContent(message: string): string {
  if (message === "Unexpected end of JSON input") return message;
  if (/^[^"]* in JSON at position \d+( \(line \d+ column \d+\))?$/.test(message) && !message.startsWith("Unexpected token")) return message;
  const at = /in JSON at position (\d+)/.exec(message);
  return at ? `Unexpected token in JSON at position ${at[1]}` : "Unexpected token";
}
