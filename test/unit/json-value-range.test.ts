import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findTopLevelValue } from "../../native-free-workers/pi/json-value-range.js";

const KEY = Buffer.from("message");

function valueOf(json: string): unknown {
  const bytes = Buffer.from(json);
  const range = findTopLevelValue(bytes, KEY);
  return range === null ? undefined : JSON.parse(bytes.subarray(range[0], range[1]).toString("utf8"));
}

describe("findTopLevelValue", () => {
  it("finds the message value whatever its position and nesting", () => {
    expect(valueOf('{"type":"message","message":{"role":"user","content":"hi"}}')).toEqual({ role: "user", content: "hi" });
    expect(valueOf('{"message":[1,{"a":"}"}],"id":"x"}')).toEqual([1, { a: "}" }]);
    expect(valueOf('{ "a" : { "message" : 1 } , "message" : "s\\"x\\\\" }')).toBe('s"x\\');
    expect(valueOf('{"message":null}')).toBeNull();
    expect(valueOf('{"message":-1.5e3,"b":2}')).toBe(-1500);
  });

  it("returns null when the key is absent or only nested", () => {
    expect(valueOf('{"a":{"message":1}}')).toBeUndefined();
    expect(valueOf("{}")).toBeUndefined();
  });

  it("takes the last of duplicate keys, as JSON.parse does", () => {
    expect(valueOf('{"message":1,"message":2}')).toBe(2);
  });

  it("agrees with JSON.parse on arbitrary objects", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), (rest, message) => {
        const obj = { ...rest, message };
        const json = JSON.stringify(obj, null, Math.random() < 0.3 ? 1 : 0);
        expect(valueOf(json)).toEqual(JSON.parse(json).message);
      }),
      { numRuns: 500 },
    );
  });
});
