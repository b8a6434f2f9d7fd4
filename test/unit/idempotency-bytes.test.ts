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
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript, Prng } from "../../bench/fixtures/transcript-generator.js";
import { addKeysOfLines, keySetMayHold, lookupInRecords, mayHoldKey } from "../../native-free-workers/openclaw/idempotency.js";
import { readMayHoldKey, SessionReadCache } from "../../native-free-workers/openclaw/session-buffer.js";
import { asBuffer, DAMAGED, parsedKeys, sorted, TRICKY } from "../support/idempotency-lines.js";

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
