/**
 * `mayHoldKey` (native-free-workers/openclaw/idempotency.ts) lets the preload answer OpenClaw's idempotency-key
 * lookup with "not found" from raw line bytes. It must never say "no" where parsing the lines finds the
 * key: checked against a brute-force parse (OpenClaw's rule: message.idempotencyKey, a string, trimmed,
 * equals the key) over lines that spell keys literally, with \u escapes, padded, as other types, and in
 * generated transcripts with heavy unicode (whose JSON carries many \u escapes). And the key set the main
 * thread keeps of a transcript (`addKeysOfLines`, src/openclaw/kept-keys.ts) says "maybe" exactly where
 * OpenClaw's scan finds the key (the release differential: test/matrix/interceptions.test.ts).
 */
import { describe, expect, it } from "vitest";
import { generateTranscript, Prng } from "../../bench/fixtures/transcript-generator.js";
import { addKeysOfLines, keySetMayHold, mayHoldKey } from "../../native-free-workers/openclaw/idempotency.js";

/** OpenClaw's answer (2026.5.26+), by parsing every line, trimmed as its reader trims it. */
function parsedHas(text: string, key: string): boolean {
  return text.split("\n").some((line) => {
    try {
      const v = (JSON.parse(line.trim()) as { message?: { idempotencyKey?: unknown } }).message?.idempotencyKey;
      return typeof v === "string" && v.trim().length > 0 && v.trim() === key;
    } catch {
      return false;
    }
  });
}

const escapeAll = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
const escapeOne = (s: string, i: number, upper: boolean) => {
  const hex = s.charCodeAt(i).toString(16).padStart(4, "0");
  return s.slice(0, i) + `\\u${upper ? hex.toUpperCase() : hex}` + s.slice(i + 1);
};

describe("mayHoldKey: never 'no' where a parse finds the key", () => {
  it("keys spelled literally, escaped, padded, or not as strings", () => {
    const base = generateTranscript({ seed: 3, entries: 80, unicode: "heavy" }).text;
    const rng = new Prng(7);
    let saidNo = 0;
    for (let round = 0; round < 300; round++) {
      const key = `k-${rng.int(0, 1e6).toString(36)}-é😀`.slice(0, rng.int(3, 12));
      const spellings = [JSON.stringify(key), `"${escapeAll(key)}"`, `"${escapeOne(key, rng.int(0, key.length - 1), rng.next() < 0.5)}"`, JSON.stringify(`  ${key}\t`), "42", "null", JSON.stringify(key + "x"), JSON.stringify("x" + key)];
      const spelled = spellings[rng.int(0, spellings.length - 1)]!;
      const text = base + `{"type":"message","id":"z","parentId":null,"message":{"role":"user","content":"c","idempotencyKey":${spelled}}}\n`;
      const bytes = Buffer.from(text);
      for (const probe of [key, `${key}?`, "absent-key"]) {
        const maybe = mayHoldKey(bytes, probe);
        if (parsedHas(text, probe)) expect(maybe, `${probe} in ${spelled}`).toBe(true);
        if (!maybe) saidNo++;
      }
    }
    // And it does say "no" (the shortcut fires) for keys the file cannot hold.
    expect(saidNo).toBeGreaterThan(300);
  });

  it("a key with a character JSON may short-escape is always a 'maybe'", () => {
    expect(mayHoldKey(Buffer.from('{"a":"b"}\n'), "a/b")).toBe(true);
    expect(mayHoldKey(Buffer.from('{"a":"b"}\n'), 'a"b')).toBe(true);
    expect(mayHoldKey(Buffer.from('{"a":"b"}\n'), "")).toBe(true);
    expect(mayHoldKey(Buffer.from('{"a":"b"}\n'), "zz")).toBe(false);
  });

  it("bytes that are not UTF-8 (a parse reads them as U+FFFD) and keys with lone surrogates", () => {
    // Decoded as stock decodes the file: each invalid sequence is U+FFFD.
    const parsedOfBytes = (bytes: Buffer, key: string) => parsedHas(bytes.toString("utf8"), key);
    const line = (raw: number[] | string) =>
      Buffer.concat([Buffer.from('{"type":"message","id":"z","parentId":null,"message":{"role":"user","content":"c","idempotencyKey":"k'), Buffer.from(raw), Buffer.from('"}}\n')]);
    const files = [line([0xff]), line([0xe2, 0x82]), line([0xed, 0xa0, 0x80]), line([0xc0, 0xaf]), line("\\ud800"), line("\\udfff\\ud800"), line("\uFFFD")];
    const keys = ["k\uFFFD", "k\uFFFD\uFFFD", "k\uFFFD\uFFFD\uFFFD", "k\ud800", "k\udfff\ud800", "\ud800", "k", "kz"];
    let found = 0;
    for (const bytes of files) {
      for (const key of keys) {
        // Never "no" where the parse finds it (and no abort: Node 24 aborted on a lone surrogate in a string search).
        if (parsedOfBytes(bytes, key)) {
          found++;
          expect(mayHoldKey(bytes, key), `${key} in ${bytes.toString("hex")}`).toBe(true);
        }
      }
    }
    expect(found).toBeGreaterThanOrEqual(files.length);
    expect(mayHoldKey(line([0xff]), "kz")).toBe(false);
  });
});

describe("addKeysOfLines: the keys a scan of the lines can find, exactly", () => {
  it("keys spelled literally, escaped (value or member name), padded, on lines stock skips or trims", () => {
    const base = generateTranscript({ seed: 5, entries: 60, unicode: "heavy" }).text;
    const rng = new Prng(11);
    let found = 0;
    for (let round = 0; round < 200; round++) {
      const key = `k-${rng.int(0, 1e6).toString(36)}-é😀`.slice(0, rng.int(3, 12));
      const spellings = [JSON.stringify(key), `"${escapeAll(key)}"`, JSON.stringify(`  ${key}\t`), "42", "null", JSON.stringify(key + "x"), '"   "'];
      const member = rng.next() < 0.3 ? escapeOne("idempotencyKey", rng.int(0, 13), false) : "idempotencyKey";
      const line = `{"type":"message","id":"z","parentId":null,"message":{"role":"user","content":"c","${member}":${spellings[rng.int(0, spellings.length - 1)]}}}`;
      // As is, after a BOM (trimmed away), cut (no JSON), twice (the last member wins), or with no final "\n".
      const shapes = [`${line}\n`, `\uFEFF${line}\r\n`, `${line.slice(0, -3)}\n`, line.replace('"content":"c"', `"content":"c","${member}":"other"`) + "\n", line];
      const bytes = Buffer.from(base + shapes[rng.int(0, shapes.length - 1)]!);
      const keys = new Set<string>();
      addKeysOfLines(bytes, keys);
      for (const probe of [key, ` ${key}`, "other", "absent-key"]) {
        const finds = parsedHas(bytes.toString("utf8"), probe);
        if (finds) found++;
        expect(keySetMayHold(keys, probe), `${probe} in ${bytes.subarray(base.length).toString()}`).toBe(finds);
      }
    }
    expect(found).toBeGreaterThan(50);
  });
});
