/**
 * Transcript lines where a byte search for the idempotency-key member name could go wrong, and the key set
 * a parse of every line finds (OpenClaw's rule: `message.idempotencyKey`, a string, trimmed, not empty) —
 * shared by the unit test of the key collectors (test/unit/idempotency-bytes.test.ts) and the release
 * differential of the served lookup on them (test/matrix/idempotency-spots.test.ts).
 */
/** Every key OpenClaw's lookup can find in `bytes` (a parse of every line, trimmed, as stock reads it). */
export function parsedKeys(bytes: Buffer | string): Set<string> {
  const keys = new Set<string>();
  for (const line of (typeof bytes === "string" ? bytes : bytes.toString("utf8")).split("\n")) {
    try {
      const message = (JSON.parse(line.trim()) as { message?: unknown }).message;
      if (!message || typeof message !== "object" || Array.isArray(message)) continue;
      const v = (message as { idempotencyKey?: unknown }).idempotencyKey;
      if (typeof v === "string" && v.trim().length > 0) keys.add(v.trim());
    } catch {
      continue;
    }
  }
  return keys;
}

export const sorted = (keys: Iterable<string>) => [...keys].sort();

/**
 * Entry lines (each a JSON object, so the worker keeps them as records) where a byte search for the member
 * name could go wrong: the name in a string value, escaped (or an escaped backslash that only looks like an
 * escape), elsewhere than `message`, nested, twice, with values stock does not take, after multi-byte text
 * or bytes that are not UTF-8 (read as U+FFFD).
 */
export const TRICKY: (string | Buffer)[] = [
  '{"type":"message","id":"t1","parentId":null,"message":{"role":"user","content":"say \\"idempotencyKey\\": \\"in-text\\""}}',
  '{"type":"message","id":"t2","message":{"role":"user","content":"idempotencyKey","idempotencyKey":"after-a-value-named-so"}}',
  '{"type":"message","id":"t3","message":{"role":"user","content":"idempotencyKey"}}',
  '{"type":"message","message":{"content":"text ending in idempotencyKey"}}',
  '{"type":"message","message":{"idempotency\\u004bey":"esc-lower"}}',
  '{"type":"message","message":{"idempotency\\u004Bey":"esc-upper"}}',
  `{"type":"message","message":{"${[..."idempotencyKey"].map((c) => `\\u00${c.charCodeAt(0).toString(16)}`).join("")}":"esc-all"}}`,
  '{"type":"message","message":{"\\u0069dempotencyKey":"esc-first"}}',
  '{"type":"message","message":{"idempotency\\\\u004bey":"escaped-backslash"}}',
  '{"m\\u0065ssage":{"idempotencyKey":"esc-message"}}',
  '{"type":"custom","idempotencyKey":"top-level"}',
  '{"type":"custom","data":{"message":{"idempotencyKey":"deeper"}}}',
  '{"type":"custom","message":{"idempotencyKey":"custom-entry"}}',
  '{"type":"message","message":{"role":"user","content":[{"type":"text","idempotencyKey":"in-content"}]}}',
  '{"type":"message","message":{"idempotencyKey":"dup-first","idempotencyKey":"dup-last"}}',
  '{"message":{"idempotencyKey":"message-first"},"message":{"role":"user"}}',
  '{"message":{"role":"user"},"message":{"idempotencyKey":"message-last"}}',
  '{"message":{"idempotencyKey":42}}',
  '{"message":{"idempotencyKey":null}}',
  '{"message":{"idempotencyKey":{"idempotencyKey":"object-value"}}}',
  '{"message":{"idempotencyKey":["array-value"]}}',
  '{"message":{"idempotencyKey":"   "}}',
  '{"message":{"idempotencyKey":"  padded\\t "}}',
  '{"message":["idempotencyKey"]}',
  '{"message":[{"idempotencyKey":"in-array"}]}',
  '{"message":{"role":"user","content":{"idempotencyKey":"one-deeper"}},"type":"message"}',
  '{"message":{"a\\"b":1,"idempotencyKey":"after-escaped-member"}}',
  '{"message":{"idempotencyKey":"esc\\u0061ped-value \\ud83d\\ude00"}}',
  '{"message":"idempotencyKey"}',
  '{ "message" : { "idempotencyKey" : "spaced" } }',
  '{"type":"message","message":{"content":"ключ 键 🔑 e\u0301","idempotencyKey":"after-multibyte"}}',
  '{"message":{"é😀":1,"idempotencyKey":"right-after-multibyte"}}',
  Buffer.concat([Buffer.from('{"message":{"content":"x'), Buffer.from([0xe2, 0x82]), Buffer.from('","idempotencyKey":"after-bad-utf8"}}')]),
  Buffer.concat([Buffer.from('{"message":{"content":"x'), Buffer.from([0xff]), Buffer.from('","idempotency\\u004bey":"escaped-after-bad-utf8"}}')]),
];
/** Lines stock skips or trims (not JSON objects, cut, a BOM, CRLF): the main thread reads them as appended bytes. */
export const DAMAGED: string[] = [
  '{"message":{"idempotencyKey":"torn-value',
  '{"message":{"idempotenc',
  '\uFEFF{"message":{"idempotencyKey":"after-bom"}}',
  '{"message":{"idempotencyKey":"crlf"}}\r',
  "null",
  '["idempotencyKey"]',
  '"idempotencyKey"',
];
export const asBuffer = (p: string | Buffer) => (typeof p === "string" ? Buffer.from(p) : p);
