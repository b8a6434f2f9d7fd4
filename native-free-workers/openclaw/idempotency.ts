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
 * The keys OpenClaw's lookup can match on a line, added to `into`: `message.idempotencyKey` of the line
 * as stock reads it (its bytes decoded as UTF-8 and trimmed, `JSON.parse`d; a line that does not parse
 * is skipped, as stock's `catch { continue }` does), trimmed — what `readMessageIdempotencyKey` compares
 * (2026.5.26 … 2026.7.35 alike). A line whose bytes cannot spell the member name (the {@link mayHoldKey}
 * test for "idempotencyKey") is not parsed: it has no such member. So the set is every key the lookup
 * could find in those lines, and a key not in it ({@link keySetMayHold}) is stock's "not found".
 */
export function addLineKeys(line: Uint8Array, into: Set<string>): void {
  if (!mayHoldKey(line, "idempotencyKey")) return;
  let value: unknown;
  try {
    const parsed = JSON.parse(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString("utf8").trim()) as { message?: { idempotencyKey?: unknown } } | null;
    value = parsed?.message?.idempotencyKey;
  } catch {
    return;
  }
  if (typeof value === "string" && value.trim().length > 0) into.add(value.trim());
}

/** The keys of every `\n`-separated line in `bytes` ({@link addLineKeys}); one byte search when none can hold one. */
export function addKeysOfLines(bytes: Uint8Array, into: Set<string>): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!mayHoldKey(buf, "idempotencyKey")) return;
  for (let start = 0; start < buf.length; ) {
    const nl = buf.indexOf(10, start);
    const end = nl === -1 ? buf.length : nl;
    addLineKeys(buf.subarray(start, end), into);
    start = end + 1;
  }
}

/** Whether `key` may be found where the lines' keys are `keys` (the lookup compares the trimmed value with the key as given). */
export function keySetMayHold(keys: ReadonlySet<string>, key: string): boolean {
  return keys.has(key);
}
