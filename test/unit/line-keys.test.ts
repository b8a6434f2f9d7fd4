import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BLANK_LINE, scanLineKeys, type LineKeys } from "../../native-free-workers/pi/line-keys.js";

/** What JSON.parse says about a line, in the scanner's terms (null: the full parse must handle it). */
function oracle(bytes: Buffer): Omit<LineKeys, "messageStart" | "messageEnd"> & { message: unknown } | typeof BLANK_LINE | null {
  const text = bytes.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text.trim() === "" ? BLANK_LINE : null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const entry = value as Record<string, unknown>;
  const message = entry.message;
  const isObject = typeof message === "object" && message !== null && !Array.isArray(message);
  return {
    type: typeof entry.type === "string" ? entry.type : "",
    id: entry.id,
    parentId: entry.parentId,
    messageIsObject: isObject,
    role: isObject ? (message as Record<string, unknown>).role : undefined,
    message,
  };
}

/** Checks the scanner against JSON.parse on one line: what it vouches for must be exactly right. */
function agree(bytes: Buffer): void {
  const got = scanLineKeys(bytes);
  const want = oracle(bytes);
  if (got === null) {
    // Not vouched for: fine only when JSON.parse does not give an object either (a raw tab or CR between
    // tokens is JSON whitespace, and the scanner takes it as such).
    expect(want === null || want === BLANK_LINE, `scanner refused a line JSON.parse reads: ${bytes.toString()}`).toBe(true);
    return;
  }
  if (got === BLANK_LINE) {
    expect(want).toBe(BLANK_LINE);
    return;
  }
  expect(want, `scanner accepted a line JSON.parse rejects: ${bytes.toString()}`).not.toBeNull();
  expect(want).not.toBe(BLANK_LINE);
  const w = want as Exclude<typeof want, null | typeof BLANK_LINE>;
  expect(got.type).toBe(w.type);
  expect(got.id).toStrictEqual(w.id);
  expect(got.parentId).toStrictEqual(w.parentId);
  expect(got.messageIsObject).toBe(w.messageIsObject);
  expect(got.role).toStrictEqual(w.role);
  if (w.message === undefined) {
    expect(got.messageStart).toBe(-1);
  } else {
    expect(JSON.parse(bytes.subarray(got.messageStart, got.messageEnd).toString("utf8"))).toStrictEqual(w.message);
  }
}

const scan = (s: string) => scanLineKeys(Buffer.from(s));

describe("scanLineKeys", () => {
  it("reads pi's keys from a pi entry line", () => {
    const line = '{"type":"message","id":"a1","parentId":"a0","timestamp":"t","message":{"role":"assistant","content":[{"type":"text","text":"hi"}]}}';
    const keys = scan(line) as LineKeys;
    expect(keys).toMatchObject({ type: "message", id: "a1", parentId: "a0", messageIsObject: true, role: "assistant" });
    expect(line.slice(keys.messageStart, keys.messageEnd)).toBe('{"role":"assistant","content":[{"type":"text","text":"hi"}]}');
  });

  it("does not depend on key order, takes the last duplicate and decodes escapes", () => {
    expect(scan('{"message":{"content":"x","role":"user"},"parentId":null,"id":7,"type":"message"}')).toMatchObject({
      type: "message",
      id: 7,
      parentId: null,
      role: "user",
    });
    expect(scan('{"id":"a","id":"b","type":"la\\u0062el"}')).toMatchObject({ id: "b", type: "label" });
    expect(scan('{"\\u0074ype":"label"}')).toBeNull(); // an escaped tracked key: the full parse reads it
    expect(scan('{"\\u0074ipe":"label"}')).toMatchObject({ type: "" });
    expect(scan('{"message":{"role":"user"},"message":{"content":1}}')).toMatchObject({ role: undefined, messageIsObject: true });
    expect(scan('{"message":[{"role":"user"}]}')).toMatchObject({ role: undefined, messageIsObject: false });
    expect(scan('{"type":3}')).toMatchObject({ type: "" });
    expect(scan('{"a":{"type":"x","id":1}}')).toMatchObject({ type: "", id: undefined });
  });

  it("gives a parentId spelled like the previous line's id that id's string, and never shares an object id", () => {
    const previous = scan('{"type":"message","id":"9f2c","parentId":null}') as LineKeys;
    expect(scan('{"type":"message","id":"77aa","parentId":"9f2c"}')).toMatchObject({ id: "77aa", parentId: previous.id });
    // The same length, other bytes; an escaped spelling of the last id: decoded, each its own value.
    expect(scan('{"type":"message","id":"x","parentId":"77ab"}')).toMatchObject({ parentId: "77ab" });
    expect(scan('{"type":"message","id":"y","parentId":"\\u0078"}')).toMatchObject({ parentId: "x" });
    // JSON.parse gives each line its own object, and pi's map keys ids by identity: never the previous one's.
    const objectId = (scan('{"type":"message","id":{"k":1},"parentId":null}') as LineKeys).id;
    const next = scan('{"type":"message","id":"z","parentId":{"k":1}}') as LineKeys;
    expect(next.parentId).toStrictEqual({ k: 1 });
    expect(next.parentId).not.toBe(objectId);
  });

  it("tells blank lines from lines it cannot vouch for", () => {
    expect(scan("")).toBe(BLANK_LINE);
    expect(scan(" \t\r")).toBe(BLANK_LINE);
    expect(scan("\u00a0")).toBeNull(); // pi's trim() drops it: the full parse decides
    expect(scan("\ufeff{}")).toBeNull(); // a BOM
    expect(scan("[1]")).toBeNull();
    expect(scan("null")).toBeNull();
  });

  it("refuses every malformed line JSON.parse refuses", () => {
    for (const bad of [
      "{",
      "{}}",
      '{"a":1,}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":-}',
      '{"a":1e}',
      '{"a":tru}',
      '{"a":truex}',
      '{"a":"\\x"}',
      '{"a":"\\u12g4"}',
      '{"a":"tab\there"}',
      '{"a" 1}',
      '{a:1}',
      '{"a":[1,]}',
      '{"a":[1 2]}',
      '{"a":1} x',
      '{"a":1}\u00a0',
      '{"a":"unterminated}',
      '{"a":"cr\rhere"}',
      '{"a":"nul\u0000"}', // a raw NUL byte inside a string
      '{"a":"ends with a backslash\\',
      '{"a":"\\\\\\"}', // an escaped backslash, then an escaped quote: the string never closes
    ]) {
      expect(scan(bad), bad).toBeNull();
      agree(Buffer.from(bad));
    }
  });

  it("accepts what JSON.parse accepts at the edges", () => {
    for (const ok of ['{}', ' { } ', '\t{"a":\t1 ,\r"b" : [ 2\t] }\r', '{"a":"\\\\"}', '{"a":"x\\\\\\"y"}', '{"a":[]}', '{"a":{}}', '{"a":-0.5E+10}', '{"a":"\\u00e9\\/\\"\\\\"}', '{"a":[[[[[[[[[]]]]]]]]]}']) {
      expect(scan(ok), ok).not.toBeNull();
      agree(Buffer.from(ok));
    }
    const deep = '{"a":' + "[".repeat(5000) + "]".repeat(5000) + "}";
    expect(scan(deep)).not.toBeNull();
  });

  // Objects shaped like pi entries, with the tracked keys anywhere (or missing, or duplicated).
  const entryLike = fc
    .record(
      {
        type: fc.oneof(fc.constantFrom("message", "compaction", "model_change", "ty\"pe"), fc.jsonValue()),
        id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.jsonValue()),
        parentId: fc.oneof(fc.string(), fc.constant(null), fc.jsonValue()),
        message: fc.oneof(
          fc.record({ role: fc.oneof(fc.constantFrom("user", "assistant", "toolResult"), fc.jsonValue()), content: fc.jsonValue() }, { requiredKeys: [] }),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    )
    .chain((entry) => fc.tuple(fc.constant(entry), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }), fc.boolean(), fc.nat()));

  function render([entry, rest, spaced, turn]: [Record<string, unknown>, Record<string, unknown>, boolean, number]): string {
    const members = Object.entries({ ...rest, ...entry });
    const r = turn % Math.max(1, members.length); // rotate: the tracked keys land anywhere
    const obj = Object.fromEntries([...members.slice(r), ...members.slice(0, r)]); // JSON.stringify keeps this order
    return JSON.stringify(obj, null, spaced ? 1 : 0).replace(/\n/g, spaced ? " " : "");
  }

  it("agrees with JSON.parse on generated entry lines", () => {
    fc.assert(fc.property(entryLike, (e) => agree(Buffer.from(render(e)))), { numRuns: 1500 });
  });

  it("agrees with JSON.parse on damaged lines (cut, byte inserted, deleted or replaced)", () => {
    const damage = fc.tuple(entryLike, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("cut", "insert", "delete", "replace"));
    fc.assert(
      fc.property(damage, ([e, at, byte, how]) => {
        const line = Buffer.from(render(e));
        const k = at % Math.max(1, line.length);
        let bad: Buffer;
        if (how === "cut") bad = line.subarray(0, k);
        else if (how === "insert") bad = Buffer.concat([line.subarray(0, k), Buffer.from([byte]), line.subarray(k)]);
        else if (how === "delete") bad = Buffer.concat([line.subarray(0, k), line.subarray(k + 1)]);
        else bad = Buffer.concat([line.subarray(0, k), Buffer.from([byte]), line.subarray(k + 1)]);
        agree(bad.filter((c) => c !== 0x0a) as Buffer);
      }),
      { numRuns: 4000 },
    );
  });

  it("agrees with JSON.parse on arbitrary bytes and JSON text", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => agree(Buffer.from(b.filter((c) => c !== 0x0a)))), { numRuns: 2000 });
    fc.assert(fc.property(fc.json(), (j) => agree(Buffer.from(j))), { numRuns: 1000 });
  });
});
