/**
 * The worker's member ranges (native-free-workers/pi/entry-fields.ts, the session buffer's FIELDS and
 * LAYOUTS sections) and the main thread's entries built from them (src/openclaw/buffer-entries.ts) against
 * `JSON.parse` of each line: random JSON objects (property test) and the cases a literal gets wrong
 * (escaped, duplicate and `__proto__` keys, 1e400, -0, deep nesting, invalid UTF-8, whitespace).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { describeEntry, LayoutTable } from "../../native-free-workers/pi/entry-fields.js";
import { FieldKind, MAX_LAYOUTS, NO_FIELDS, SessionHeader, SessionSection } from "../../native-free-workers/protocol/session-buffer-layout.js";
import { entriesFromBuffer } from "../../src/openclaw/buffer-entries.js";
import { lazyStats } from "../../src/openclaw/lazy-entries.js";
import { decodeSession } from "../../src/openclaw/session.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("entry-fields");
let n = 0;
const HEADER = '{"type":"session","version":3,"id":"h","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';

/** The entries ctxc builds for a file of `lines` (after a header), and what JSON.parse gives for each line. */
function both(lines: (string | Buffer)[]): { ours: unknown[]; theirs: unknown[]; texts: string[] } {
  const file = join(dir, `f${++n}.jsonl`);
  const raw = [Buffer.from(HEADER), ...lines.map((l) => (typeof l === "string" ? Buffer.from(l) : l))];
  writeFileSync(file, Buffer.concat(raw.flatMap((b) => [b, Buffer.from("\n")])));
  const session = decodeSession(encodeSessionBuffer(file));
  expect(session.meta.diagnostics).toEqual([]);
  const texts = raw.map((b) => b.toString("utf8"));
  return { ours: entriesFromBuffer(session), theirs: texts.map((t) => JSON.parse(t) as unknown), texts };
}

/** Deep equality (-0 ≠ 0), same own keys in order at every level, same serialisation and clone. */
function expectSame(ours: unknown[], theirs: unknown[]): void {
  expect(ours).toStrictEqual(theirs);
  for (let i = 0; i < ours.length; i++) {
    expect(JSON.stringify(ours[i])).toBe(JSON.stringify(theirs[i]));
    expect(keysDeep(ours[i])).toEqual(keysDeep(theirs[i]));
    expect(structuredClone(ours[i])).toStrictEqual(theirs[i]);
    expect({ ...(ours[i] as object) }).toStrictEqual({ ...(theirs[i] as object) });
  }
}
function keysDeep(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return Object.is(v, -0) ? "-0" : v;
  if (Array.isArray(v)) return v.map(keysDeep);
  return Object.keys(v).map((k) => [k, keysDeep((v as Record<string, unknown>)[k])]);
}

describe("entry fields: member ranges two levels deep", () => {
  it("describes a message entry's members and its message's members, with kinds", () => {
    const line = Buffer.from('{"type":"message","id":"a","parentId":null,"n":-0,"ok":true,"message":{"role":"user","content":[{"type":"text","text":"x\\"y"}],"t":1e400},"s":"a\\u00e9"}');
    const layouts = new LayoutTable();
    const d = describeEntry(line, layouts, MAX_LAYOUTS)!;
    expect(layouts.list[d[0]!]).toEqual(["type", "id", "parentId", "n", "ok", "message", "s"]);
    const kinds = [0, 1, 2, 3, 4, 5, 6].map((k) => d[1 + 3 * k]! & 15);
    expect(kinds).toEqual([FieldKind.string, FieldKind.string, FieldKind.null, FieldKind.number, FieldKind.true, FieldKind.object, FieldKind.escapedString]);
    const child = d[1 + 3 * 5]! >>> 4;
    expect(child).toBeGreaterThan(0);
    const c = 1 + 3 * 5 + child;
    expect(layouts.list[d[c]!]).toEqual(["role", "content", "t"]);
    expect(line.toString("utf8", d[c + 4 + 1]!, d[c + 4 + 2]!)).toBe('[{"type":"text","text":"x\\"y"}]');
  });

  it("leaves to JSON.parse what a literal cannot reproduce: escaped, duplicate or __proto__ keys", () => {
    const layouts = new LayoutTable();
    for (const bad of ['{"a":1,"a":2}', '{"\\u0061":1}', '{"__proto__":{"x":1}}']) expect(describeEntry(Buffer.from(bad), layouts, MAX_LAYOUTS), bad).toBeNull();
    // One level down: the member stays a range (kind word without a child), the entry is described.
    const d = describeEntry(Buffer.from('{"m":{"a":1,"a":2},"k":{"__proto__":1}}'), layouts, MAX_LAYOUTS)!;
    expect([d[1]!, d[4]!]).toEqual([FieldKind.object, FieldKind.object]);
    expect(describeEntry(Buffer.from('{"a":1}'), new LayoutTable(), 0)).toBeNull();
  });

  it("entries built from the buffer equal JSON.parse of the edge-case lines", () => {
    const deep = "[".repeat(400) + "]".repeat(400);
    const lines: (string | Buffer)[] = [
      '{"type":"custom","n":1e400,"m":-1e400,"z":-0,"f":0.1,"big":12345678901234567890,"e":1E-7}',
      '{"type":"x","s":"tab\\tnl\\nq\\"bs\\\\u\\u2028\\ud83d\\ude00 lone \\ud800","k":"ü😀"}',
      '{"a":1,"a":{"b":2},"c":3}',
      '{"__proto__":{"polluted":1},"x":[]}',
      '{"message":{"__proto__":1,"role":"user"},"data":{"r":{"r":{"r":1}}}}',
      '{"message":{"role":"assistant","role":"user"}}',
      `{"deep":${deep},"message":{"deep":${deep}}}`,
      '{ "type" : "message" , "message" : { "role" : "user" , "content" : [ 1 , "}" ] } , "e" : { } , "a" : [ ] }',
      '{"\\u0074ype":"escaped key","id":"e"}',
      '{}',
      '{"message":{}}',
      Buffer.concat([Buffer.from('{"bad":"'), Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from('","message":{"role":"'), Buffer.from([0xf0, 0x9f]), Buffer.from('"}}')]),
    ];
    const { ours, theirs } = both(lines);
    expectSame(ours, theirs);
    expect(Object.getPrototypeOf(ours[4])).toBe(Object.prototype);
    expect(Object.hasOwn(ours[4] as object, "__proto__")).toBe(true);
  });

  it("agrees with JSON.parse on random JSON objects (property test)", () => {
    const key = fc.oneof(fc.string(), fc.constantFrom("type", "id", "message", "role", "__proto__", "a"), fc.string({ unit: "binary" }));
    const obj = (depth: number): fc.Arbitrary<unknown> => fc.dictionary(key, depth > 0 ? fc.oneof(fc.jsonValue(), obj(depth - 1)) : fc.jsonValue(), { maxKeys: 8 });
    // Whitespace between tokens: JSON.stringify's indentation with its newlines made spaces (strings never hold a raw newline).
    const spaced = (o: unknown, seed: number) => (seed % 3 === 0 ? JSON.stringify(o, null, 1 + (seed % 4)).replace(/\n/g, " ") : JSON.stringify(o));
    fc.assert(
      fc.property(fc.array(fc.tuple(obj(2), fc.nat()), { minLength: 1, maxLength: 20 }), fc.boolean(), (objs, dupes) => {
        const lines = objs.map(([o, seed]) => {
          const text = spaced(o, seed);
          // Duplicate keys: JSON.parse keeps the first position with the last value.
          if (!dupes || seed % 5 !== 1) return text;
          const inner = text.trim().slice(1, -1).trim();
          return `{"a":0,${inner}${inner ? "," : ""}"a":[1]}`;
        });
        const { ours, theirs } = both(lines);
        expectSame(ours, theirs);
      }),
      { numRuns: 80 },
    );
  });

  it("fresh objects per call: mutations never reach the next build, lazy members replace themselves, sets before gets stick", () => {
    const { theirs, texts } = both(['{"type":"message","id":"m","message":{"role":"user","content":[{"type":"text","text":"hi"}]},"data":{"k":1}}']);
    const file = join(dir, `f${n}.jsonl`);
    const e = entriesFromBuffer(decodeSession(encodeSessionBuffer(file)))[1] as Record<string, Record<string, unknown>>;
    expect(Object.getOwnPropertyDescriptor(e, "message")!.get).toBeTypeOf("function");
    const decoded = lazyStats.decoded;
    const m = e.message!;
    expect(lazyStats.decoded).toBe(decoded + 1);
    expect(Object.getOwnPropertyDescriptor(e, "message")).toMatchObject({ value: m, writable: true, enumerable: true, configurable: true });
    expect(e.message).toBe(m);
    (m.content as unknown[]).push("x");
    m.role = "changed";
    e.data = { replaced: true } as never;
    delete (e as Record<string, unknown>).id;
    expect(e.data).toEqual({ replaced: true });
    const again = entriesFromBuffer(decodeSession(encodeSessionBuffer(file)));
    expectSame(again, theirs);
    // The same buffer built twice (a kept buffer, its decoded scalars reused): new objects, equal to the parse.
    const session = decodeSession(encodeSessionBuffer(file));
    const one = entriesFromBuffer(session) as Record<string, Record<string, unknown>>[];
    one[1]!.message!.role = "changed";
    (one[1]!.message!.content as unknown[]).length = 0;
    one[1]!.type = "changed" as never;
    const two = entriesFromBuffer(session);
    expect(two[1]).not.toBe(one[1]);
    expectSame(two, theirs);
    expect(JSON.stringify(again[1])).toBe(texts[1]);
    // A frozen holder keeps its accessor and returns one object.
    const frozen = Object.freeze(again[1] as Record<string, unknown>);
    expect(frozen.message).toBe(frozen.message);
  });

  it("the FIELDS section starts on a multiple of 4 and names every record (NO_FIELDS for a line left to JSON.parse)", () => {
    const file = join(dir, `g${++n}.jsonl`);
    writeFileSync(file, `${HEADER}\n{"a":1,"a":2}\n{"b":"é"}\n`);
    const buffer = encodeSessionBuffer(file);
    const view = new DataView(buffer);
    const at = view.getUint32(SessionHeader.sectionTable + SessionSection.FIELDS * 8, true);
    expect(at % 4).toBe(0);
    const words = new Uint32Array(buffer, at, 3);
    expect(words[1]).toBe(NO_FIELDS);
    expect(words[0]).not.toBe(NO_FIELDS);
    expect(words[2]).not.toBe(NO_FIELDS);
  });
});
