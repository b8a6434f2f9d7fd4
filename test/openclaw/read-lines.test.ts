/**
 * The lines of ctxc's kept entries as the read gave them (release/read-lines.ts): `serializedLines` answers
 * as `entries.map(JSON.stringify)` (2026.7.35's `serializeJsonlLine`) for a manager's copy of the kept
 * entries with its header changed — on canonical, non-canonical, non-ASCII and invalid-UTF-8 transcripts —
 * and the write follower's byte check (`fileBytesOfLines` + `fileHoldsBytes`) is true only where stock's
 * `readFileSync(path, "utf8") === content` is, on the file written and on damaged ones. And on generated
 * entries spelled every way JSON allows (number forms, escapes, key orders and duplicates, `__proto__`,
 * whitespace, a torn last line): the lines are stock's — `JSON.stringify(JSON.parse(line))` — not just the
 * kept objects' own stringify, and the byte check agrees with stock's read.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { SessionReadCache, encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { decodeSession } from "../../src/openclaw/index.js";
import { continuationFor, keptEntriesFor } from "../../src/openclaw/kept-entries.js";
import { dropCachedEntries } from "../../src/openclaw/entry-cache.js";
import { fileBytesOfLines, serializedLines, type ExpectedFile } from "../../src/openclaw/release/read-lines.js";
import { fileHoldsBytes } from "../../src/openclaw/release/write-follower.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-read-lines");
let fileNo = 0;

/** A whole read of `bytes` kept as the lazy open keeps it: the cache's entries and the read. */
function kept(bytes: Buffer): { path: string; entries: readonly unknown[] } {
  const path = join(dir, `s${++fileNo}.jsonl`);
  writeFileSync(path, bytes);
  dropCachedEntries(path);
  const session = decodeSession(encodeSessionBuffer(path, {}, new SessionReadCache(), continuationFor(path)));
  const got = keptEntriesFor(path, session, undefined, { lazy: true });
  if (typeof got === "string") throw new Error(got);
  return { path, entries: got.entries };
}

/** The bytes `expected` spells: its head, then each span followed by a newline. */
const bytesOf = (e: ExpectedFile): Buffer => {
  const parts: Uint8Array[] = [e.head];
  for (let i = 0; i < e.spans.length; i += 2) parts.push(e.bytes.subarray(e.spans[i], e.spans[i + 1]), Buffer.from("\n"));
  return Buffer.concat(parts);
};

/** Read sizes for the byte check: boundaries inside records, at newlines, and the default (one read at these sizes). */
const CHUNKS = [1, 2, 3, 7, 64, 4096, undefined];

/** The manager's copy (copyFileEntries: the array copied, the header cloned) with the header's cwd changed. */
const managerCopy = (entries: readonly unknown[]) => [{ ...(entries[0] as object), cwd: "/elsewhere" }, ...entries.slice(1)];

const base = generateTranscript({ seed: 5, targetBytes: 120_000, branchProbability: 0.1, compactions: 1, unicode: "mixed" }).text;
const lines = base.trimEnd().split("\n");
const custom = (id: string, data: string) => `{"type":"custom","customType":"x","id":"${id}","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","data":"${data}"}`;
const variants: [string, Buffer][] = [
  ["generated, mixed Unicode", Buffer.from(base)],
  ["a non-canonical line", Buffer.from([...lines.slice(0, 5), lines[5]!.replace(/^\{"/, '{ "'), ...lines.slice(6)].join("\n") + "\n")],
  ["an escaped character", Buffer.from([...lines.slice(0, 3), custom("e1", "tab\\there \\u00e9"), ...lines.slice(3)].join("\n") + "\n")],
  // Bytes that are not UTF-8 inside a string: the line decodes to U+FFFD, as stock's read decodes it.
  ["invalid UTF-8 in a line", Buffer.concat([Buffer.from(lines.slice(0, 4).join("\n") + "\n" + custom("b1", "x").slice(0, -2)), Buffer.from([0xe6, 0x97]), Buffer.from('"}\n' + lines.slice(4).join("\n") + "\n")])],
];

describe("read lines: a serialisation of kept entries answered from the read", () => {
  for (const [name, bytes] of variants) {
    it(`${name}: the lines are JSON.stringify's; the follower's byte check agrees with stock's read`, () => {
      const { path, entries } = kept(bytes);
      const mine = managerCopy(entries);
      const got = serializedLines(mine, entries, (e) => JSON.stringify(e));
      expect(got.lines).toEqual(mine.map((e) => JSON.stringify(e)));
      // Every kept entry whose line is canonical came from the read; the cloned header never does.
      expect(got.fromRead).toBeGreaterThan(entries.length / 2);
      expect(got.fromRead).toBeLessThan(entries.length);
      const content = `${(got.lines as string[]).join("\n")}\n`;
      writeFileSync(path, content);
      const stock = () => readFileSync(path, "utf8") === content;
      const parts = got.read ? fileBytesOfLines(got.lines, got.read) : null;
      if (parts) expect(fileHoldsBytes(path, parts)).toBe(stock());
      // The file as the read had it, after the header: not the content (the header changed).
      writeFileSync(path, bytes);
      if (parts) expect(fileHoldsBytes(path, parts)).toBe(false);
      expect(stock()).toBe(false);
    });
  }

  it("a generated transcript: the tail after the header is the read's, and the byte check holds the written file", () => {
    const { path, entries } = kept(Buffer.from(base));
    const got = serializedLines(managerCopy(entries), entries, (e) => JSON.stringify(e));
    expect(got.read?.from).toBe(1);
    const parts = fileBytesOfLines(got.lines, got.read!);
    expect(parts).not.toBeNull();
    writeFileSync(path, `${(got.lines as string[]).join("\n")}\n`);
    expect(fileHoldsBytes(path, parts!)).toBe(true);
  });

  it("an entry that is not the kept object at its index is serialised", () => {
    const { entries } = kept(Buffer.from(base));
    const mine = managerCopy(entries);
    mine[3] = { ...(mine[3] as object) };
    mine.splice(5, 1);
    let calls = 0;
    const got = serializedLines(mine, entries, (e) => (calls++, JSON.stringify(e)));
    expect(got.lines).toEqual(mine.map((e) => JSON.stringify(e)));
    expect(calls).toBeGreaterThanOrEqual(mine.length - 4); // from index 5 on, every entry sits one index off
    expect(got.read).toBeUndefined(); // fewer entries than the read's records
  });

  it("property: damaged files — the byte check is never true where stock's read differs, at any read size", () => {
    const { path, entries } = kept(variants[3]![1]);
    const got = serializedLines(managerCopy(entries), entries, (e) => JSON.stringify(e));
    const parts = fileBytesOfLines(got.lines, got.read!)!;
    expect(parts).not.toBeNull();
    const content = `${(got.lines as string[]).join("\n")}\n`;
    const good = bytesOf(parts);
    fc.assert(
      fc.property(fc.constantFrom("none", "flip", "0x80", "invalid-pair", "truncate", "append", "newline"), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...CHUNKS), (how, r, chunk) => {
        const b = Buffer.from(good);
        const at = Math.floor(r * (b.length - 1));
        let out = b;
        if (how === "flip") b[at] = b[at]! ^ 0x01;
        else if (how === "0x80") b[at] = 0x80;
        else if (how === "invalid-pair") out = Buffer.concat([b.subarray(0, at), Buffer.from([0xff]), b.subarray(at)]);
        else if (how === "truncate") out = b.subarray(0, at);
        else if (how === "append") out = Buffer.concat([b, Buffer.from("{}\n")]);
        else if (how === "newline") b[b.indexOf(0x0a, at)] = 0x20; // a record's newline made a space: the same size
        writeFileSync(path, out);
        const stock = readFileSync(path, "utf8") === content;
        const bytes = fileHoldsBytes(path, parts, chunk);
        if (bytes) expect(stock).toBe(true);
        if (how === "none") expect(bytes).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("a record's newline moved or changed (same size, same bytes otherwise): false at every read size; the file as written: true", () => {
    const { path, entries } = kept(Buffer.from(base));
    const got = serializedLines(managerCopy(entries), entries, (e) => JSON.stringify(e));
    const expected = fileBytesOfLines(got.lines, got.read!)!;
    const good = bytesOf(expected);
    const content = `${(got.lines as string[]).join("\n")}\n`;
    expect(good.toString("utf8")).toBe(content);
    const nl = good.indexOf(0x0a, expected.head.length + 10); // the newline after the first record from the read
    const moved = Buffer.from(good);
    [moved[nl - 1], moved[nl]] = [moved[nl]!, moved[nl - 1]!]; // "…}\n{" → "…\n}{"
    const changed = Buffer.from(good);
    changed[nl] = 0x20;
    const last = Buffer.from(good);
    last[last.length - 1] = 0x20; // the last record's newline
    for (const chunk of CHUNKS) {
      writeFileSync(path, good);
      expect(fileHoldsBytes(path, expected, chunk), `chunk ${chunk}`).toBe(true);
      for (const damaged of [moved, changed, last]) {
        writeFileSync(path, damaged);
        expect(readFileSync(path, "utf8") === content).toBe(false);
        expect(fileHoldsBytes(path, expected, chunk), `chunk ${chunk}`).toBe(false);
      }
    }
  });

  it("property: UTF-8 decoding restarts at a newline byte (what the byte check relies on)", () => {
    const line = fc.uint8Array({ maxLength: 12 }).map((a) => Uint8Array.from(a, (x) => (x === 0x0a ? 0x80 : x)));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (ls) => {
        const joined = Buffer.concat(ls.flatMap((l, i) => (i === 0 ? [l] : [Buffer.from([0x0a]), l])));
        expect(joined.toString("utf8")).toBe(ls.map((l) => Buffer.from(l).toString("utf8")).join("\n"));
      }),
      { numRuns: 500 },
    );
  });

  it("property: generated entries spelled every way JSON allows — the lines are stock's JSON.stringify(JSON.parse(line)), the byte check is stock's read", () => {
    const rng = new Prng(31);
    const NUMBERS = ["0", "-0", "1", "1.0", "1.50", "1e2", "1E+2", "1e-7", "0.000001", "1e21", "123456789012345678901", "5e-324", "1.7976931348623157e308", "-12.5e-3", "100"];
    const CHARS = ["a", " ", "é", "😀", "\u2028", "\\u2028", "\\u00e9", "\\u00E9", "\\/", "/", "\\n", "\\u000a", "\\u001f", "\\u001F", "\\b", "\\u0008", '\\"', "\\\\", "\\ud800", "\\uDC00", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\u007f", "\u007f", "\\ufeff"];
    const KEYS = ["a", "b", "1", "0", "01", "-1", "4294967295", "__proto__", "constructor", "toJSON", "", "k\\u0065y"];
    const ws = () => (rng.chance(0.1) ? rng.pick([" ", "\t", "  "]) : "");
    const str = () => `"${Array.from({ length: rng.int(0, 4) }, () => rng.pick(CHARS)).join("")}"`;
    const value = (d: number): string => {
      const r = rng.next();
      if (d > 3 || r < 0.4) return rng.pick([str(), str(), rng.pick(NUMBERS), "true", "null"]);
      if (r < 0.6) return `[${Array.from({ length: rng.int(0, 3) }, () => ws() + value(d + 1) + ws()).join(",")}]`;
      return `{${Array.from({ length: rng.int(0, 3) }, () => `${ws()}"${rng.pick(KEYS)}"${ws()}:${ws()}${value(d + 1)}`).join(",")}}`;
    };
    const header = '{"type":"session","version":3,"id":"h1","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';
    let fromRead = 0;
    for (let round = 0; round < 60; round++) {
      const lines = [header];
      for (let i = 0; i < 40; i++) {
        // Plain (JSON.stringify of the parse: canonical, the read's line is taken) or spelled at random.
        const data = value(0);
        // Sometimes a top-level member named as Object.prototype's (`__proto__`, `constructor`, …) or digit-led.
        const extra = rng.chance(0.2) ? `,"${rng.pick(KEYS)}":${value(1)}` : "";
        const line = `{"type":"custom","customType":"g","id":"g${i}","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","data":${data}${extra}}`;
        lines.push(rng.chance(0.5) ? JSON.stringify(JSON.parse(line)) : line);
      }
      const torn = rng.chance(0.3);
      const { path, entries } = kept(Buffer.from(lines.join("\n") + (torn ? "" : "\n")));
      expect(entries.length, `round ${round}`).toBe(lines.length);
      const mine = managerCopy(entries);
      const got = serializedLines(mine, entries, (e) => JSON.stringify(e));
      const stock = lines.map((l, i) => JSON.stringify(i === 0 ? { ...(JSON.parse(l) as object), cwd: "/elsewhere" } : JSON.parse(l)));
      expect(got.lines, `round ${round}`).toEqual(stock);
      fromRead += got.fromRead;
      const content = `${(got.lines as string[]).join("\n")}\n`;
      writeFileSync(path, content);
      const parts = got.read ? fileBytesOfLines(got.lines, got.read) : null;
      if (parts) for (const chunk of [3, undefined]) expect(fileHoldsBytes(path, parts, chunk), `round ${round}`).toBe(readFileSync(path, "utf8") === content);
    }
    // The shortcut fired: about half the lines are plain (fewer taken: digit-led keys are refused on purpose).
    expect(fromRead).toBeGreaterThan(60 * 10);
  });

  it("a kept entry cannot be changed in place (what 'the kept object at its index' relies on): writes, deletes and defines throw, at every depth, before and after a lazy member is read", () => {
    const { entries } = kept(Buffer.from(base));
    const withMessage = entries.filter((e) => (e as { message?: unknown }).message !== undefined) as ({ message: Record<string, unknown> } & Record<string, unknown>)[];
    expect(withMessage.length).toBeGreaterThan(5);
    for (const [k, e] of withMessage.slice(0, 6).entries()) {
      // Half with the lazy member read first, half written before any read (its accessor still undecoded).
      if (k % 2 === 0) expect(Object.isFrozen(e.message)).toBe(true);
      expect(() => (e.message = { role: "user", content: "x" })).toThrow(TypeError);
      expect(() => (e.id = "other")).toThrow(TypeError);
      expect(() => delete e.timestamp).toThrow(TypeError);
      expect(() => ((e as Record<string, unknown>).added = 1)).toThrow(TypeError);
      expect(() => Object.defineProperty(e, "message", { value: 1 })).toThrow(TypeError);
      expect(() => (e.message!.role = "assistant")).toThrow(TypeError);
      const content = e.message!.content;
      if (Array.isArray(content) && content.length > 0) {
        expect(() => content.push(1)).toThrow(TypeError);
        if (content[0] && typeof content[0] === "object") expect(() => ((content[0] as Record<string, unknown>).text = "changed")).toThrow(TypeError);
      }
    }
    const mine = managerCopy(entries);
    expect(serializedLines(mine, entries, (e) => JSON.stringify(e)).lines).toEqual(mine.map((e) => JSON.stringify(e)));
  });

  it("bytes that are not UTF-8 right before a closing quote or an escape (a decoder that swallowed the quote would see other JSON): the lines are stock's, the byte check is stock's read", () => {
    const header = '{"type":"session","version":3,"id":"h1","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';
    const parts: Buffer[] = [Buffer.from(header)];
    for (const lead of [0xc2, 0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 0x80, 0xc0]) {
      for (const seq of [[lead], [lead, 0x80], [lead, 0x80, 0x80], [0xef, 0xbf, 0xbd], [0xef, 0xbb, 0xbf]]) {
        for (const end of ['"}', '\\""}', '\\\\"}']) parts.push(Buffer.concat([Buffer.from(custom(`u${parts.length}`, "").slice(0, -2)), Buffer.from(seq), Buffer.from(end)]));
      }
    }
    const bytes = Buffer.concat(parts.flatMap((b) => [b, Buffer.from("\n")]));
    const { path, entries } = kept(bytes);
    const got = serializedLines(managerCopy(entries), entries, (e) => JSON.stringify(e));
    const stock = bytes.toString("utf8").trimEnd().split("\n").map((l, i) => JSON.stringify(i === 0 ? { ...(JSON.parse(l) as object), cwd: "/elsewhere" } : JSON.parse(l)));
    expect(got.lines).toEqual(stock);
    expect(got.fromRead).toBeGreaterThan(parts.length / 3);
    const content = `${(got.lines as string[]).join("\n")}\n`;
    writeFileSync(path, content);
    const holds = fileBytesOfLines(got.lines, got.read!)!;
    expect(fileHoldsBytes(path, holds)).toBe(readFileSync(path, "utf8") === content);
    writeFileSync(path, bytes);
    expect(fileHoldsBytes(path, holds)).toBe(false);
  });
});
