/**
 * The worker's canonical-line flag (native-free-workers/pi/canonical-json.ts, the session buffer's
 * `RecordFlag.canonical`) against its definition, `JSON.stringify(JSON.parse(text)) === text` on the
 * line's bytes: random JSON values written canonically (JSON.stringify) and non-canonically (spaces,
 * every escape spelling, number forms, key orders, duplicate and integer-like keys, unicode, lone
 * surrogates, invalid UTF-8). The flag must never say canonical for a line that is not; it must say
 * canonical for JSON.stringify output (without digit-led keys, which it refuses on purpose).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { MAX_DEPTH, isCanonicalJson } from "../../native-free-workers/pi/canonical-json.js";
import { RecordFlag, SESSION_RECORD_BYTES, SessionHeader, SessionRecord, SessionSection } from "../../native-free-workers/protocol/session-buffer-layout.js";
import { tempDir } from "../support/tmp.js";

/** The definition, on bytes: the line decodes, parses and serialises back to exactly these bytes. */
function canonical(bytes: Buffer): boolean {
  const text = bytes.toString("utf8");
  return Buffer.from(JSON.stringify(JSON.parse(text)), "utf8").equals(bytes);
}

type Node =
  | { k: "obj"; members: [string, Node][] }
  | { k: "arr"; items: Node[] }
  | { k: "str"; s: string }
  | { k: "num"; n: number }
  | { k: "lit"; v: "true" | "false" | "null" };

const char = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcXYZ 019_-:{}[],") },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom('"', "\\", "/", "\u007f", "\u2028", "\u2029", "é", "日", "😀", "\ufffd", "\ufeff") },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const str = fc.array(char, { maxLength: 8 }).map((cs) => cs.join(""));
const key = fc.oneof({ weight: 4, arbitrary: str }, { weight: 2, arbitrary: fc.constantFrom("0", "12", "01", "-1", "1a", "__proto__", "", "a", "b", "type") });
const num = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 0.1, 1e21, 1e-7, 123456789012345, 1234567890123456, 2 ** 53 + 2, 5e-324, 1.7976931348623157e308),
);
const { node } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    str.map((s): Node => ({ k: "str", s })),
    num.map((n): Node => ({ k: "num", n })),
    fc.constantFrom("true", "false", "null").map((v): Node => ({ k: "lit", v: v as "true" })),
    fc.array(tie("node"), { maxLength: 4 }).map((items): Node => ({ k: "arr", items })),
    fc.array(fc.tuple(key, tie("node")), { maxLength: 5 }).map((members): Node => ({ k: "obj", members })),
  ),
}));

/** A small deterministic generator, so one fast-check seed picks every spelling choice. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const hex4 = (c: number, upper: boolean) => (upper ? c.toString(16).toUpperCase() : c.toString(16)).padStart(4, "0");

/** `node` as JSON text, each choice random when `r` is given (else as JSON.stringify would, members in order). */
function write(node: Node, r?: () => number): string {
  const ws = () => (r && r() < 0.05 ? [" ", "\t", "\n", "\r"][Math.floor(r() * 4)]! : "");
  const q = (s: string) => {
    if (!r) return JSON.stringify(s);
    let out = '"';
    for (const ch of s) {
      const c = ch.codePointAt(0)!;
      const p = r();
      if (ch.length === 2 && p < 0.3) out += `\\u${hex4(ch.charCodeAt(0), r() < 0.5)}\\u${hex4(ch.charCodeAt(1), r() < 0.5)}`;
      else if (p < 0.1) out += `\\u${hex4(c > 0xffff ? 0 : c, r() < 0.3)}`.replace("\\u0000", c > 0xffff ? ch : "\\u0000");
      else if (ch === "/" && p < 0.5) out += "\\/";
      else out += JSON.stringify(ch).slice(1, -1);
    }
    return out + '"';
  };
  const n = (x: number) => {
    const forms = [String(x)];
    if (r) {
      forms.push(x.toExponential(), x.toExponential().replace("e+", "e"), x.toExponential().toUpperCase(), Object.is(x, -0) ? "-0" : String(x));
      if (Math.abs(x) < 1e21) forms.push(x.toFixed(Math.floor(r() * 3)), Number.isInteger(x) ? `${x}.0` : `${x}0`);
      if (r() < 0.05) forms.push("1e400", "-0", "0.10", "1E5", "1e5", "1.0");
    }
    const f = forms[r ? Math.floor(r() * forms.length) : 0]!;
    return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(f) ? f : String(x);
  };
  switch (node.k) {
    case "str":
      return ws() + q(node.s) + ws();
    case "num":
      return ws() + n(node.n) + ws();
    case "lit":
      return ws() + node.v + ws();
    case "arr":
      return `${ws()}[${node.items.map((i) => write(i, r)).join(",")}${node.items.length ? "" : ws()}]${ws()}`;
    case "obj": {
      const members = r && r() < 0.2 ? [...node.members].reverse() : node.members;
      return `${ws()}{${members.map(([k, v]) => `${ws()}${q(k)}${ws()}:${write(v, r)}`).join(",")}${members.length ? "" : ws()}}${ws()}`;
    }
  }
}

/** The value of `node` as JSON.parse would make it from the in-order text. */
const valueOf = (node: Node): unknown => JSON.parse(write(node));
const digitLedKey = (v: unknown): boolean =>
  typeof v === "object" && v !== null && (Array.isArray(v) ? v.some(digitLedKey) : Object.entries(v).some(([k, x]) => /^[0-9]/.test(k) || digitLedKey(x)));

describe("canonical JSON: the worker's flag against JSON.stringify(JSON.parse(line))", () => {
  it("property: never canonical when the round trip differs; canonical for JSON.stringify output", () => {
    fc.assert(
      fc.property(node, fc.integer(), (tree, seed) => {
        const r = rng(seed);
        for (let k = 0; k < 4; k++) {
          const bytes = Buffer.from(write(tree, r), "utf8");
          if (isCanonicalJson(bytes)) expect(canonical(bytes)).toBe(true);
        }
        const value = valueOf(tree);
        const stringified = Buffer.from(JSON.stringify(value), "utf8");
        expect(canonical(stringified)).toBe(true);
        if (!digitLedKey(value)) expect(isCanonicalJson(stringified)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  const cases: [string, string | Buffer][] = [
    ["space after a colon", '{"a": 1}'],
    ["leading space", ' {"a":1}'],
    ["trailing CR", '{"a":1}\r'],
    ["escaped slash", '{"a":"x\\/y"}'],
    ["escaped é", '{"a":"\\u00e9"}'],
    ["escaped A", '{"a":"\\u0041"}'],
    ["uppercase control escape", '{"a":"\\u001F"}'],
    ["\\u000a for \\n", '{"a":"\\u000a"}'],
    ["escaped surrogate pair", '{"a":"\\ud83d\\ude00"}'],
    ["escaped surrogate pair, uppercase low", '{"a":"\\ud83d\\uDE00"}'],
    ["1.0", '{"a":1.0}'],
    ["1e5", '{"a":1e5}'],
    ["1E5", '{"a":1E5}'],
    ["-0", '{"a":-0}'],
    ["0.10", '{"a":0.10}'],
    ["huge exponent", '{"a":1e400}'],
    ["16-digit integer past 2^53", '{"a":9007199254740993}'],
    ["duplicate key", '{"a":1,"a":1}'],
    ["duplicate key, nested", '{"o":{"b":1,"c":[{"d":1,"d":2}]}}'],
    ["integer key", '{"b":1,"0":2}'],
    ["integer key in order", '{"0":1,"12":2}'],
    ["invalid UTF-8", Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
    ["CESU-8 surrogate", Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
  ];
  for (const [name, line] of cases) {
    it(`not canonical: ${name}`, () => {
      const bytes = typeof line === "string" ? Buffer.from(line) : line;
      expect(isCanonicalJson(bytes)).toBe(false);
    });
  }

  const good = [
    '{"a":"x\\"y\\\\z\\b\\f\\n\\r\\t\\u0000\\u001f\\u007f"}'.replace("\\u007f", "\u007f"),
    '{"lone high":"\\ud800x","lone low":"\\udc00","high then high":"\\udbff\\ud800","low then high":"\\udfff\\udbff"}',
    '{"n":[0,-1,1.5,1e+21,1e-7,-5e-324,123456789012345,1.7976931348623157e+308]}',
    '{"u":"é日😀\u2028\ufffd","e":{},"a":[],"t":true,"f":false,"z":null,"__proto__":1,"":2,"-1":3}',
  ];
  for (const line of good) {
    it(`canonical: ${line.slice(0, 40)}`, () => {
      const bytes = Buffer.from(line, "utf8");
      expect(canonical(bytes)).toBe(true);
      expect(isCanonicalJson(bytes)).toBe(true);
    });
  }

  it("a line nesting deeper than MAX_DEPTH containers is not judged (readers take canonical lines to be shallow)", () => {
    const arrays = (depth: number) => Buffer.from("[".repeat(depth) + "]".repeat(depth));
    const objects = (depth: number) => Buffer.from('{"a":'.repeat(depth) + "1" + "}".repeat(depth));
    for (const nest of [arrays, objects]) {
      expect([canonical(nest(MAX_DEPTH)), isCanonicalJson(nest(MAX_DEPTH))], nest.name).toEqual([true, true]);
      expect([canonical(nest(MAX_DEPTH + 1)), isCanonicalJson(nest(MAX_DEPTH + 1))], nest.name).toEqual([true, false]);
    }
  });

  it("the session buffer carries the flag per record", () => {
    const file = join(tempDir("canonical-json"), "s.jsonl");
    const lines = [
      '{"type":"session","version":3,"id":"h","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}',
      '{"type":"custom","id":"a","parentId":null,"data":"x"}',
      '{"type":"custom", "id":"b","parentId":"a"}',
      '{"type":"custom","id":"c","parentId":"b","data":"\\u00e9"}',
    ];
    writeFileSync(file, lines.join("\n") + "\n");
    const view = new DataView(encodeSessionBuffer(file));
    const recordsAt = view.getUint32(SessionHeader.sectionTable + SessionSection.RECORDS * 8, true);
    const flags = lines.map((_, i) => view.getUint16(recordsAt + i * SESSION_RECORD_BYTES + SessionRecord.flags, true) & RecordFlag.canonical);
    expect(flags).toEqual([RecordFlag.canonical, RecordFlag.canonical, 0, 0]);
    expect(lines.map((l) => canonical(Buffer.from(l)))).toEqual([true, true, false, false]);
  });

  it("a read without the canonical scan (pi's own open never checks exactness) flags no line", () => {
    const file = join(tempDir("canonical-json"), "s.jsonl");
    const lines = ['{"type":"session","version":3,"id":"h","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}', '{"type":"custom","id":"a","parentId":null}'];
    writeFileSync(file, lines.join("\n") + "\n");
    const view = new DataView(encodeSessionBuffer(file, {}, undefined, undefined, false, { fields: true, canonical: false }));
    const recordsAt = view.getUint32(SessionHeader.sectionTable + SessionSection.RECORDS * 8, true);
    expect(lines.map((_, i) => view.getUint16(recordsAt + i * SESSION_RECORD_BYTES + SessionRecord.flags, true))).toEqual([0, 0]);
  });
});
