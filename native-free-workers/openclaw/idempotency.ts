/**
 * Whether a transcript can hold a message with a given idempotency key — answered from the raw line
 * bytes of ctxc's worker read, without parsing a line.
 *
 * OpenClaw's `findTranscriptMessageByIdempotencyKey(path, key)` (run under the session write lock before
 * a user turn or delivery mirror is appended) streams the whole file backwards and `JSON.parse`s every
 * line until one's `message.idempotencyKey`, trimmed, equals `key` — so for a new message (the usual
 * case) it parses the entire transcript on the main thread. A line can only match if its bytes spell
 * `key` inside a JSON string: literally, or with a `\uXXXX` escape for one of its characters (or a
 * short escape, for a key holding `"`, `\`, `/` or a control character). When the bytes contain none of
 * these, no line matches, and "not found" is exactly stock's answer. Anything else: OpenClaw's scan.
 *
 * A key with U+FFFD is always "maybe": stock decodes the file as UTF-8, so any invalid byte sequence in it
 * reads as U+FFFD — bytes that spell neither the character's UTF-8 nor an escape of it (a key "k\uFFFD"
 * matched a line with `k` and a stray 0xFF byte, where the byte search said "no": test/matrix/hostile.test.ts).
 */
import { QUOTE } from "../pi/json-bytes.js";
import { LineScan, SCANNED } from "../pi/line-scan.js";

/** False only when no JSON string in `bytes` can decode to something containing `key`. */
export function mayHoldKey(bytes: Uint8Array, key: string): boolean {
  if (key.length === 0) return true;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The key's UTF-8 as a Buffer, never the string: Node 24's string search aborts the process on a lone
  // surrogate (node_buffer.cc IndexOfString: "Assertion failed: (needle_length) >= (needle_value.length())"),
  // and the key is a client's. (Its lone surrogates encode as U+FFFD here; the escape search below finds them.)
  if (buf.includes(Buffer.from(key, "utf8"))) return true;
  const units = new Set<number>();
  for (let i = 0; i < key.length; i++) {
    const u = key.charCodeAt(i);
    // Short escapes (\" \\ \/ \b \f \n \r \t) would need their own search: not worth it, be conservative.
    if (u < 0x20 || u === 0x22 || u === 0x5c || u === 0x2f) return true;
    // What invalid UTF-8 decodes to (see the file comment).
    if (u === 0xfffd) return true;
    units.add(u);
  }
  // Every `\u` in the bytes (a `\\u` is an escaped backslash, counting it anyway only errs towards "maybe").
  for (let at = buf.indexOf("\\u"); at !== -1 && at + 6 <= buf.length; at = buf.indexOf("\\u", at + 2)) {
    const unit = Number.parseInt(buf.toString("latin1", at + 2, at + 6), 16);
    if (units.has(unit)) return true;
  }
  return false;
}

/**
 * The key OpenClaw's lookup can match on one line: `message.idempotencyKey` of the line as stock reads it
 * (its bytes decoded as UTF-8 and trimmed, `JSON.parse`d; a line that does not parse, or whose `message`
 * cannot be read, is skipped, as stock's `catch { continue }` does), trimmed and not empty — what
 * `readMessageIdempotencyKey` compares (2026.5.26 … 2026.7.35 alike). Undefined when it has none.
 */
function lineKey(line: Uint8Array): string | undefined {
  let value: unknown;
  try {
    const parsed = JSON.parse(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString("utf8").trim()) as { message?: unknown };
    const message = parsed.message;
    // Stock's `readMessageIdempotencyKey`: an object, not an array (JSON.parse makes no array with the member).
    if (!message || typeof message !== "object" || Array.isArray(message)) return undefined;
    value = (message as { idempotencyKey?: unknown }).idempotencyKey;
  } catch {
    return undefined;
  }
  return typeof value === "string" && value.trim().length > 0 ? value.trim() : undefined;
}

/** The WASM line scanner (pi/line-scan.ts) tracking `message` and its `idempotencyKey`; made on first use (~1.3 MB of memory per thread). */
let messageKeyScan: LineScan | undefined;

/**
 * {@link lineKey} of a worker's record without building the line's values: the line-scan kernel validates
 * the whole line as one JSON object (what JSON.parse accepts; JSON whitespace around it, which stock's trim
 * drops too) and gives the value range of `idempotencyKey` in the object that is the last `message` member's
 * value (the last duplicate, as JSON.parse keeps) — only that string is decoded. Any line it does not vouch
 * for (a key at those levels spelled with a backslash, not an object, too long, no WASM SIMD) is parsed
 * whole. At 28 MB with every message keyed: ~10–26 ms for the 7,581 keyed lines against ~43–53 ms of
 * JSON.parse (same answers).
 */
function scannedLineKey(line: Buffer): string | undefined {
  const scan = (messageKeyScan ??= new LineScan([Buffer.from("message")], 0, Buffer.from("idempotencyKey")));
  if (scan.scan(line) !== SCANNED) return lineKey(line);
  const start = scan.ranges[2]!;
  if (start < 0 || line[start] !== QUOTE) return undefined;
  const value = (JSON.parse(line.toString("utf8", start, scan.ranges[3]!)) as string).trim();
  return value.length > 0 ? value : undefined;
}

/** The member name as its bytes must appear when no character of it is escaped, quotes included. */
const QUOTED_NAME = Buffer.from('"idempotencyKey"');
/**
 * Searched for instead of the whole name: Buffer.indexOf runs a memchr for a short needle's first byte,
 * and "K" is rare in JSON where '"' is everywhere (28 MB: ~2 ms against ~8 ms for the whole name).
 */
const NAME_TAIL = Buffer.from('Key"');
const TAIL_AT = QUOTED_NAME.length - NAME_TAIL.length;
const ESCAPE = Buffer.from("\\u00");
/** The name's characters: an escape of any other character cannot be part of the name. */
const NAME_UNITS = new Set([..."idempotencyKey"].map((c) => c.charCodeAt(0)));

/** The value of hex digit byte `b` (either case), or -1. */
function hexDigit(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The first `"idempotencyKey"` at or after `from` (-1: none). */
function nextQuotedName(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(NAME_TAIL, from + TAIL_AT); at !== -1; at = buf.indexOf(NAME_TAIL, at + 1)) {
    if (at >= TAIL_AT && buf.compare(QUOTED_NAME, 0, TAIL_AT, at - TAIL_AT, at) === 0) return at - TAIL_AT;
  }
  return -1;
}

/** The first `\u00XX` escape of one of the name's characters at or after `from` (-1: none). */
function nextNameEscape(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(ESCAPE, from); at !== -1; at = buf.indexOf(ESCAPE, at + 1)) {
    const hi = hexDigit(buf[at + 4]);
    const lo = hexDigit(buf[at + 5]);
    if (hi >= 0 && lo >= 0 && NAME_UNITS.has(hi * 16 + lo)) return at;
  }
  return -1;
}

/**
 * Calls `visit(at)` at each place in `buf`, ascending, where the member name `idempotencyKey` may be
 * spelled; `visit` returns where to go on searching (past the line it read). A JSON member name decodes to
 * "idempotencyKey" only if its bytes are `"idempotencyKey"` or hold a `\u00XX` escape of one of its
 * characters: short escapes decode to other characters, `\uXXXX` above 00FF to non-ASCII ones, and UTF-8
 * decoding (stock's, invalid bytes read as U+FFFD) makes an ASCII character only of its own byte. Inside a
 * string value the name's closing quote is escaped (`\"`), so text that merely mentions the member
 * (`\"idempotencyKey\"`) is no hit; a `\\u00..` (an escaped backslash) is one, which only costs a parse.
 * Two byte searches of the whole buffer (Buffer.indexOf), not a test per line.
 */
function forEachNameSpot(buf: Buffer, visit: (at: number) => number): void {
  let quoted = nextQuotedName(buf, 0);
  let escaped = nextNameEscape(buf, 0);
  while (quoted !== -1 || escaped !== -1) {
    const at = quoted === -1 ? escaped : escaped === -1 ? quoted : Math.min(quoted, escaped);
    const from = Math.max(at + 1, visit(at));
    if (quoted !== -1 && quoted < from) quoted = nextQuotedName(buf, from);
    if (escaped !== -1 && escaped < from) escaped = nextNameEscape(buf, from);
  }
}

/**
 * The keys of every `\n`-separated line in `bytes` ({@link lineKey}), added to `into`: the lines where the
 * member name may be spelled are parsed, no other — a line without the name has no such member. So the
 * set is every key the lookup could find in those lines, and a key not in it ({@link keySetMayHold}) is
 * stock's "not found".
 */
export function addKeysOfLines(bytes: Uint8Array, into: Set<string>): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  forEachNameSpot(buf, (at) => {
    const end = buf.indexOf(10, at);
    const line = buf.subarray(buf.lastIndexOf(10, at) + 1, end === -1 ? buf.length : end);
    const key = lineKey(line);
    if (key !== undefined) into.add(key);
    return end === -1 ? buf.length : end + 1;
  });
}

/**
 * The keys of the lines `records` of `bytes` ({@link lineKey}; each record a line's bytes, back to back in
 * `bytes`, ascending — the worker's staging buffer), added to `into`, as {@link addKeysOfLines} does (each
 * line read by {@link scannedLineKey}). A
 * spot cannot span two records: a line's bytes are a JSON object, "{" … "}" with only whitespace around,
 * and neither searched pattern holds a brace or whitespace.
 */
export function addKeysOfRecords(bytes: Uint8Array, records: readonly { offset: number; length: number }[], into: Set<string>): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  forEachNameSpot(buf, (at) => {
    while (i < records.length && records[i]!.offset + records[i]!.length <= at) i++;
    const r = records[i];
    if (r === undefined || r.offset > at) return at + 1;
    const key = scannedLineKey(buf.subarray(r.offset, r.offset + r.length));
    if (key !== undefined) into.add(key);
    return r.offset + r.length;
  });
}

/**
 * The worker's answer to a lookup of `key` in a read's lines (`records` of `bytes`, as
 * {@link addKeysOfRecords} takes them): with `wantKeys`, every line's key, and whether `key` is one of them
 * — exact, so the byte test of the whole read for `key` (~20–28 ms at 28 MB) is not run as well; else that
 * byte test alone ({@link mayHoldKey}).
 */
export function lookupInRecords(bytes: Uint8Array, records: readonly { offset: number; length: number }[], key: string, wantKeys: boolean): { mayHold: boolean; keys?: Set<string> } {
  if (!wantKeys) return { mayHold: mayHoldKey(bytes, key) };
  const keys = new Set<string>();
  addKeysOfRecords(bytes, records, keys);
  return { mayHold: keySetMayHold(keys, key), keys };
}

/** Whether `key` may be found where the lines' keys are `keys` (the lookup compares the trimmed value with the key as given). */
export function keySetMayHold(keys: ReadonlySet<string>, key: string): boolean {
  return keys.has(key);
}
