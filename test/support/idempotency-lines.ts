import type { Prng } from "../../bench/fixtures/transcript-generator.js";

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

/**
 * A generator of one-line JSON objects (valid JSON, every one a possible entry line) for differentials of the
 * key collectors: most hold one or two top-level `message` members, most of those one or two `idempotencyKey`
 * members, among other members at any depth (the same names nested, `__proto__`, near-miss names), letters
 * of either name now and then `\u`-escaped, JSON whitespace (CR included) between tokens, and values of every
 * kind (strings padded, empty, escaped, non-ASCII, U+2028, a lone surrogate's escape).
 */
export function generatedKeyLines(rng: Prng): () => string {
  const ws = () => rng.pick(["", "", "", " ", "\t", "\r", "  \r\t"]);
  // A name already holding an escape is left as it is (escaping its backslash or digits would make it no JSON).
  const esc = (name: string) => (name.includes("\\") ? name : [...name].map((ch) => (rng.chance(0.02) ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}` : ch)).join(""));
  const names = ["message", "idempotencyKey", "role", "content", "x", "__proto__", "Message", "idempotencykey", "idempotencyKey ", "message\\u0000"];
  const str = () => JSON.stringify(rng.pick(["k", " k ", "", "é😀", "\u2028", "a\\b", "\"q\"", "\ud800", "key"])).replace(/k/g, () => (rng.chance(0.2) ? "\\u006b" : "k"));
  const value = (d: number): string => {
    const r = rng.next();
    if (d > 4 || r < 0.35) return rng.pick([str(), str(), "1", "-0", "1e2", "true", "false", "null", "[]", "{}"]);
    if (r < 0.5) return `[${ws()}${Array.from({ length: rng.int(0, 3) }, () => value(d + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
    return obj(d + 1);
  };
  const obj = (d: number): string => `{${ws()}${Array.from({ length: rng.int(0, 4) }, () => `"${esc(rng.pick(names))}"${ws()}:${ws()}${value(d)}`).join(`${ws()},${ws()}`)}${ws()}}`;
  const members = (d: number, forced: [string, () => string][]) => {
    const list = Array.from({ length: rng.int(0, 3) }, () => `"${esc(rng.pick(names))}"${ws()}:${ws()}${value(d)}`);
    for (const [name, v] of forced) list.splice(rng.int(0, list.length), 0, `"${esc(name)}"${ws()}:${ws()}${v()}`);
    return `{${ws()}${list.join(`${ws()},${ws()}`)}${ws()}}`;
  };
  const keyValue = () => (rng.chance(0.8) ? str() : value(3));
  const message = () => (rng.chance(0.8) ? members(2, Array.from({ length: rng.int(1, 2) }, () => ["idempotencyKey", keyValue] as [string, () => string])) : value(2));
  const top = () => members(1, Array.from({ length: rng.int(1, 2) }, () => ["message", message] as [string, () => string]));
  return () => (rng.chance(0.7) ? top() : obj(0));
}
