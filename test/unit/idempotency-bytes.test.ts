/**
 * `mayHoldKey` (native-free-workers/openclaw/idempotency.ts) lets the preload answer OpenClaw's idempotency-key
 * lookup with "not found" from raw line bytes. It must never say "no" where parsing the lines finds the
 * key: checked against a brute-force parse (OpenClaw's rule: message.idempotencyKey, a string, trimmed,
 * equals the key) over lines that spell keys literally, with \u escapes, padded, as other types, and in
 * generated transcripts with heavy unicode (whose JSON carries many \u escapes). And the key set the main
 * thread keeps of a transcript (`addKeysOfLines`, src/openclaw/kept-keys.ts) says "maybe" exactly where
 * OpenClaw's scan finds the key (the release differential: test/matrix/interceptions.test.ts). Both key
 * collectors (`addKeysOfLines` on the main thread, the worker's `lookupInRecords`) parse only the lines a
 * byte search for the member name lands in: held here to a parse of every line on the lines such a search
 * could get wrong (test/matrix/idempotency-spots.test.ts holds the served lookup to the release's on them).
 * And the worker's reader of one line (the WASM line scanner, JSON.parse where it does not vouch) answers
 * as JSON.parse of the line on lines of any shape, also ones JSON.parse rejects (fixed, byte-edited, generated).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript, Prng } from "../../bench/fixtures/transcript-generator.js";
import { addKeysOfLines, keySetMayHold, lookupInRecords, mayHoldKey } from "../../native-free-workers/openclaw/idempotency.js";
import { readMayHoldKey, SessionReadCache } from "../../native-free-workers/openclaw/session-buffer.js";
import { MAX_SCAN_LINE } from "../../native-free-workers/pi/line-scan.js";
import { asBuffer, DAMAGED, generatedKeyLines, parsedKeys, sorted, TRICKY } from "../support/idempotency-lines.js";

/** OpenClaw's answer (2026.5.26+), by parsing every line, trimmed as its reader trims it. */
const parsedHas = (text: string, key: string) => parsedKeys(text).has(key);

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

describe("the member-name search: the keys of the lines it lands in are every key a parse finds", () => {
  const dir = mkdtempSync(join(tmpdir(), "ctxc-idempotency-spots-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = generateTranscript({ seed: 21, entries: 40, unicode: "heavy" }).text;

  it("on the main thread (addKeysOfLines): tricky and damaged lines anywhere, the last one unended or not", () => {
    const rng = new Prng(23);
    for (let round = 0; round < 150; round++) {
      const lines: Buffer[] = base.split("\n").filter(Boolean).map((l) => Buffer.from(l));
      for (const extra of [...TRICKY, ...DAMAGED].filter(() => rng.chance(0.4))) lines.splice(rng.int(1, lines.length), 0, asBuffer(extra));
      const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")]));
      // As a whole, or cut anywhere (the unended last line is read as a line too, as stock reads it).
      const cut = rng.chance(0.5) ? bytes : bytes.subarray(0, rng.int(1, bytes.length));
      const keys = new Set<string>();
      addKeysOfLines(cut, keys);
      expect(sorted(keys), `round ${round}`).toEqual(sorted(parsedKeys(cut)));
    }
    // The cases are not empty: the parse finds keys on some of them and none on others.
    const all = Buffer.concat([...TRICKY, ...DAMAGED].flatMap((l) => [asBuffer(l), Buffer.from("\n")]));
    expect(parsedKeys(all).size).toBeGreaterThan(10);
    expect(parsedKeys(all).has("in-text") || parsedKeys(all).has("escaped-backslash") || parsedKeys(all).has("top-level")).toBe(false);
  });

  it("in the worker (readMayHoldKey with keys): every read chunk size, so the name falls across chunk boundaries", () => {
    const rng = new Prng(29);
    const header = base.slice(0, base.indexOf("\n") + 1);
    for (let round = 0; round < 8; round++) {
      // Keys on some of the generated messages (the worker reads them with the WASM line scanner), first or last in them.
      const keyed = (l: string) => {
        const entry = JSON.parse(l) as { message?: Record<string, unknown> };
        if (!entry.message || !rng.chance(0.5)) return l;
        const key = `${rng.chance(0.5) ? " " : ""}k-${rng.int(0, 1e9).toString(36)}-ключ😀`;
        entry.message = rng.chance(0.5) ? { idempotencyKey: key, ...entry.message } : { ...entry.message, idempotencyKey: key };
        return JSON.stringify(entry);
      };
      const lines: Buffer[] = base.slice(header.length).split("\n").filter(Boolean).map((l) => Buffer.from(keyed(l)));
      for (const extra of TRICKY.filter(() => rng.chance(0.6))) lines.splice(rng.int(0, lines.length), 0, asBuffer(extra));
      const body = Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")]));
      // With its last line unended (the worker reads it as stock does) or not.
      const bytes = Buffer.concat([Buffer.from(header), rng.chance(0.5) ? body : body.subarray(0, -1)]);
      const path = join(dir, `worker-${round}.jsonl`);
      writeFileSync(path, bytes);
      const want = parsedKeys(bytes);
      const probe = rng.pick([...want, "absent-key"]);
      for (const chunkBytes of [1, 3, 16, 4096, 65536]) {
        const reply = readMayHoldKey(path, { chunkBytes }, new SessionReadCache(), probe, true);
        if (typeof reply === "string") throw new Error(`round ${round}, chunk ${chunkBytes}: ${reply}`);
        expect(sorted(reply.keys ?? []), `round ${round}, chunk ${chunkBytes}`).toEqual(sorted(want));
        expect(reply.mayHold, `round ${round}, chunk ${chunkBytes}: ${probe}`).toBe(want.has(probe));
      }
    }
  });

  it("lookupInRecords: the key found in the keys is exact; without keys asked, the byte test (never 'no' where a parse finds it)", () => {
    const lines = TRICKY.map(asBuffer);
    const bytes = Buffer.concat(lines);
    let offset = 0;
    const records = lines.map((l) => ({ offset: (offset += l.length) - l.length, length: l.length }));
    const want = parsedKeys(Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")])));
    for (const key of [...want, "in-text", "escaped-backslash", "top-level", "deeper", "in-content", "dup-first", "message-first", "  padded\t ", "absent"]) {
      const withKeys = lookupInRecords(bytes, records, key, true);
      expect(sorted(withKeys.keys!), key).toEqual(sorted(want));
      expect(withKeys.mayHold, key).toBe(want.has(key));
      const byteTest = lookupInRecords(bytes, records, key, false);
      expect(byteTest.keys).toBeUndefined();
      if (want.has(key)) expect(byteTest.mayHold, key).toBe(true);
    }
  });
});

const keysOf = (line: Buffer) => sorted(lookupInRecords(line, [{ offset: 0, length: line.length }], "zz", true).keys!);
const FIXED = [
  '{"message":{"idempotencyKey":"a",}}', '{"message":{"idempotencyKey":"a"},}', '{"message":{"idempotencyKey":"a"}}x', '{"message":{"idempotencyKey":"a"}} {}',
  '{"message":{"x":01,"idempotencyKey":"a"}}', '{"message":{"x":1.,"idempotencyKey":"a"}}', '{"message":{"x":.5,"idempotencyKey":"a"}}', '{"message":{"x":-,"idempotencyKey":"a"}}',
  '{"message":{"x":+1,"idempotencyKey":"a"}}', '{"message":{"x":1e,"idempotencyKey":"a"}}', '{"message":{"x":0x1,"idempotencyKey":"a"}}', '{"message":{"x":NaN,"idempotencyKey":"a"}}',
  '{"message":{"x":"\t","idempotencyKey":"a"}}', '{"message":{"x":"\u0001","idempotencyKey":"a"}}', '{"message":{"idempotencyKey":"a\u001f"}}', '{"message":{"idempotencyKey":"a\\x"}}',
  '{"message":{"idempotencyKey":"a\\u12"}}', '{"message":{"idempotencyKey":"a\\u12g4"}}', '{"message":{"idempotencyKey":"a\\ud800"}}', '{"message":{"idempotencyKey":"\\udc00a"}}',
  '{"message":{"idempotencyKey":"a"}\r}', '\r{"message":{"idempotencyKey":"a"}}', '{"message":{"idempotencyKey":"a"}}\r', '{"message":{"idempotencyKey"\r:"a"}}',
  '{"message":{"idempotencyKey":"a"}}\u000b', '{"message":{"idempotencyKey" :"a"}}', '{"message" : {"idempotencyKey":\t"a"}}',
  '{"message":{"idempotencyKey":"a"},"message":"x"}', '{"message":{"idempotencyKey":"a"},"message":null}', '{"message":{"idempotencyKey":"a"},"message":[]}', '{"message":{"idempotencyKey":"a"},"message":{}}',
  '{"message":{"idempotencyKey":"a","idempotencyKey":1}}', '{"message":{"idempotencyKey":"a","idempotency\\u004bey":"b"}}', '{"message":{"idempotency\\u004bey":"b","idempotencyKey":"a"}}',
  '{"message":{"idempotencyKey":"a"},"m\\u0065ssage":{}}', '{"m\\u0065ssage":{"idempotencyKey":"a"},"message":{"idempotencyKey":"b"}}', '{"message":{"idempotencyKey":"a"},"messag\\u0065":5}',
  '{"message":{"idempotencyKey":"a"},"\\u006dessage":{"idempotencyKey":"c"}}', '{"message":{"__proto__":{"idempotencyKey":"a"}}}', '{"__proto__":{"message":{"idempotencyKey":"a"}}}', '{"message":{"idempotencyKey":"a","__proto__":null}}',
  '{"message":{"idempotencyKey":true}}', '{"message":{"idempotencyKey":false}}', '{"message":{"idempotencyKey":-0}}', '{"message":{"idempotencyKey":tru}}', '{"message":{"idempotencyKey":"a"}',
  '{"message":{"idempotencyKey":"a"}}}', '{"message":{"idempotencyKey":"a"]}', '{"message":{"idempotencyKey":"a" "b"}}', '{"message":{"idempotencyKey":"a"} "x":1}', '{"message":{"idempotencyKey""a"}}',
  '{"message":{"idempotencyKey":"\\ud83d\\ude00"}}', '{"message":{"idempotencyKey":"\\uD83D\\uDE00 "}}', '{"message":{"idempotencyKey":"\\ud83da"}}', '{"message":{"idempotencyKey":"\\u0000"}}',
  '{"message":{"idempotencyKey":"\\u00a0"}}', '{"message":{"idempotencyKey":"\\u2028x\\u2029"}}', '{"message":{"idempotencyKey":"\\ufeffk"}}', '{"message":{"idempotencyKey":"\u00a0k\u3000"}}',
  '{"message":{"a":[' + "[".repeat(100) + "]".repeat(100) + '],"idempotencyKey":"deep"}}', '{"message":{"a":' + "[".repeat(5000) + "]".repeat(5000) + ',"idempotencyKey":"deeper"}}',
  '{"message":{"a":' + "[".repeat(5000) + "]".repeat(4999) + ',"idempotencyKey":"unbalanced"}}', '{"message":{"a":"' + "x".repeat(200_000) + '","idempotencyKey":"long"}}',
  '{"message":{"idempotencyKey":"a"},"x":{"message":{"idempotencyKey":"b"}}}', '{"x":{"message":{"idempotencyKey":"b"}},"message":{"idempotencyKey":"a"}}', '{"message":{"x":{"idempotencyKey":"b"},"idempotencyKey":"a"}}',
  '{"message":{"x":{"idempotencyKey":"b"}}}', '{"message":{"x":["idempotencyKey","b"]}}', '{"message":{"idempotencyKey":"a\\"b"}}', '{"message":{"idempotencyKey":"a\\\\"}}', '{"message":{"idempotencyKey":"\\/"}}',
  '{"message":{"\\"idempotencyKey":"q"}}', '{"message":{"idempotencyKey\\"":"q"}}', '{"message":{"idempotencyKey\\u0000":"q"}}', '{"message":{"idempotencyKey ":"q"}}', '{"message":{"IdempotencyKey":"q"}}',
  '{"message":{"idempotencyKey":"a"}}\u00a0', '\ufeff{"message":{"idempotencyKey":"a"}}', '{"message":{"idempotencyKey":"a"}}\u2028', '  {"message":{"idempotencyKey":"a"}}  ', '{"message":{"idempotencyKey":"a"}}\f',
  '{"message":{"idempotencyKey":1e400}}', '{"message":{"idempotencyKey":"a"},"x":1e400}', '{"message":{"idempotencyKey":"a"},"x":-1e-400}', '{"message":{"idempotencyKey":"a"},"x":00}', '{"message":{"idempotencyKey":"a"},"x":-01}',
  '{"message":{"idempotencyKey":"a"},"x":1E+2}', '{"message":{"idempotencyKey":"a"},"x":1e+}', '{"message":{"idempotencyKey":"a"},"x":[1,]}', '{"message":{"idempotencyKey":"a"},"x":[,1]}', '{"message":{"idempotencyKey":"a"},"x":{,}}',
  '{"message":{"idempotencyKey":"a"},"x":"\\u00zz"}', '{"message":{"idempotencyKey":"a"},"x":"\\\'"}', '{"message":{"idempotencyKey":"a"},"x":\'s\'}', '{message:{"idempotencyKey":"a"}}', '{"message":{idempotencyKey:"a"}}',
];
const BAD = [Buffer.from([0xff]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0x00])];
describe("the worker's line reader (addKeysOfRecords: the WASM line scanner, else JSON.parse) vs JSON.parse of the line, on lines of any shape — including ones JSON.parse rejects", () => {
  it("fixed lines: trailing commas, leading zeros, control characters, bad escapes, lone surrogates, lone \\r, duplicate and escaped members, deep and long lines", () => {
    const bad: string[] = [];
    for (const l of FIXED) {
      const b = Buffer.from(l);
      const want = sorted(parsedKeys(b));
      const got = keysOf(b);
      if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${l.slice(0, 120)}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
    }
    expect(bad).toEqual([]);
  });
  it("keyed lines with 1-3 random byte edits (30,000)", () => {
    const rng = new Prng(99);
    const base = ['{"type":"message","id":"a1","message":{"role":"user","content":[{"type":"text","text":"hi é"}],"idempotencyKey":"k-1"}}', '{"message":{"idempotencyKey":" k2 ","n":[1,2.5,-3e2,true,null,{"x":"y"}]}}', '{"message":{"a":{"b":[{"idempotencyKey":"no"}]},"idempotencyKey":"\\u006b3"}}'];
    const alphabet = ['"', "\\", "{", "}", "[", "]", ",", ":", " ", "\t", "\r", "\n", "0", "1", "-", "+", ".", "e", "u", "x", "a", "/", "\u0001", "\u2028", "é", "😀", "\\u", "\\ud800", "\\udc00", "null", "true"];
    const bad: string[] = [];
    for (let round = 0; round < 30000; round++) {
      let s: Buffer = Buffer.from(rng.pick(base));
      const n = rng.int(1, 3);
      for (let k = 0; k < n; k++) {
        const at = rng.int(0, s.length);
        const op = rng.int(0, 3);
        const ins = op === 3 ? rng.pick(BAD) : Buffer.from(rng.pick(alphabet));
        if (op === 0) s = Buffer.concat([s.subarray(0, at), s.subarray(Math.min(s.length, at + 1))]);
        else if (op === 1) s = Buffer.concat([s.subarray(0, at), ins, s.subarray(Math.min(s.length, at + 1))]);
        else s = Buffer.concat([s.subarray(0, at), ins, s.subarray(at)]);
      }
      if (s.includes(10)) continue; // one line
      const want = sorted(parsedKeys(s));
      const got = keysOf(s);
      if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${JSON.stringify(s.toString("latin1"))}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
    }
    expect(bad.slice(0, 20)).toEqual([]);
  });
  it("generated objects (40,000): message/idempotencyKey at any depth, duplicated, escaped letters, whitespace, non-string values", () => {
    const rng = new Prng(7);
    const nextLine = generatedKeyLines(rng);
    const bad: string[] = [];
    let found = 0;
    for (let round = 0; round < 40000; round++) {
      const line = Buffer.from(nextLine());
      const want = sorted(parsedKeys(line));
      const got = keysOf(line);
      if (want.length > 0) found++;
      if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${line}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
    }
    expect(found, "lines a parse finds a key on").toBeGreaterThan(5000);
    expect(bad.slice(0, 10)).toEqual([]);
  });
  it("bytes that are not UTF-8 right before a closing quote, an escape or a member (a reader that took the quote into a character would see other JSON)", () => {
    const bad: string[] = [];
    const shells: [string, string][] = [
      ['{"message":{"idempotencyKey":"a', '"}}'],
      ['{"message":{"x":"', '","idempotencyKey":"b"}}'],
      ['{"message":{"x":"', '\\"","idempotencyKey":"c"}}'],
      ['{"message":{"x":"', '\\\\","idempotencyKey":"d"}}'],
      ['{"message":{"idempotencyKey":"e', '","idempotencyKey":"f"}}'],
      ['{"x":"', '","message":{"idempotencyKey":"g"}}'],
      ['{"message":{"x":"', '"},"message":{"idempotencyKey":"i"}}'],
      ['{"message":{"idempotencyKey":"j', '\\u0041"}}'],
    ];
    for (const [pre, post] of shells) {
      for (const lead of [0xc2, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x80, 0xbf, 0xc0, 0xc1]) {
        for (const seq of [[lead], [lead, 0x80], [lead, 0x80, 0x80]]) {
          const line = Buffer.concat([Buffer.from(pre), Buffer.from(seq), Buffer.from(post)]);
          const want = sorted(parsedKeys(line));
          const got = keysOf(line);
          if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${line.toString("hex")}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
  it("lines around the scanner's length limit (MAX_SCAN_LINE, walked in JS past it) and nesting past its stack, whole or broken", () => {
    const bad: string[] = [];
    const agree = (label: string, line: Buffer) => {
      const [got, want] = [keysOf(line), sorted(parsedKeys(line))];
      if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${label}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
    };
    const shells = [
      (pad: string) => `{"message":{"x":"${pad}","idempotencyKey":"k1"}}`,
      (pad: string) => `{"message":{"idempotencyKey":"k2","x":"${pad}"}}`,
      (pad: string) => `{"message":{"idempotencyKey":"k3"},"x":"${pad}","message":{"x":1}}`,
      (pad: string) => `{"message":{"x":"${pad}","idempotencyKey":"k4",}}`,
    ];
    for (const [s, shell] of shells.entries()) {
      for (const n of [MAX_SCAN_LINE - 40, MAX_SCAN_LINE - 1, MAX_SCAN_LINE, MAX_SCAN_LINE + 1, MAX_SCAN_LINE + 50]) agree(`shell ${s}, ${n} bytes`, Buffer.from(shell("x".repeat(n - shell("").length))));
    }
    for (const d of [255, 256, 257, 1000, 100_000]) {
      agree(`${d} deep`, Buffer.from(`{"message":{"x":${"[".repeat(d)}${"]".repeat(d)},"idempotencyKey":"deep${d}"}}`));
      agree(`${d} deep, one bracket short`, Buffer.from(`{"message":{"x":${"[".repeat(d)}${"]".repeat(d - 1)},"idempotencyKey":"deep${d}"}}`));
    }
    expect(bad).toEqual([]);
  });
});
