/**
 * test/support/hostile-corpus.ts `difference`, the comparison the differential matrix tests make "as a
 * caller can see": it answers alone (no JSON text of both whole values beside it, a second pass over every
 * state the warm-up matrix files compare), so it must see every difference the JSON texts saw, and walking a pair of
 * objects met twice only once must not hide a difference.
 */
import { describe, expect, it } from "vitest";
import { difference } from "../support/hostile-corpus.js";

describe("difference: at least as strict as the JSON texts", () => {
  it("equal values, objects shared under several paths, and a cycle: no difference (and it ends)", () => {
    const entry = () => ({ type: "message", id: "a", message: { role: "user", content: [{ type: "text", text: "hi" }] } });
    const [a, b] = [entry(), entry()];
    expect(difference({ files: [a], entries: [a], branch: [a, a] }, { files: [b], entries: [b], branch: [b, b] })).toBeNull();
    const [ca, cb] = [{ x: 1 } as Record<string, unknown>, { x: 1 } as Record<string, unknown>];
    [ca.self, cb.self] = [ca, cb];
    expect(difference(ca, cb)).toBeNull();
  });

  it("an object met again beside another object than the first time is compared again", () => {
    const a = { x: 1 };
    // Either order, so that the equal pair is walked first whichever end the walk starts at.
    expect(difference([a, a], [{ x: 2 }, { x: 1 }])).toMatch(/x: 1 vs 2/);
    expect(difference([a, a], [{ x: 1 }, { x: 2 }])).toMatch(/x: 1 vs 2/);
  });

  it("what only JSON writing sees: enumerability, a Date's time, a boxed scalar, a toJSON", () => {
    const hidden = Object.defineProperty({}, "k", { value: 1, enumerable: false });
    expect(difference({ k: 1 }, hidden)).toMatch(/enumerable/);
    expect(difference(new Date(1), new Date(2))).toMatch(/JSON/);
    expect(difference(Object(1), Object(2))).toMatch(/JSON/);
    const secret = new WeakMap<object, number>();
    function toJSON(this: object) {
      return secret.get(this);
    }
    const [ta, tb] = [{ toJSON }, { toJSON }];
    secret.set(ta, 1).set(tb, 2);
    expect(difference(ta, tb)).toMatch(/JSON/);
  });

  it("and what JSON does not see: NaN vs null, -0 vs 0, key order, a symbol key, an array's hole", () => {
    expect(difference([NaN], [null])).not.toBeNull();
    expect(difference({ n: -0 }, { n: 0 })).not.toBeNull();
    expect(difference({ a: 1, b: 2 }, { b: 2, a: 1 })).not.toBeNull();
    expect(difference({ [Symbol.for("s")]: 1 }, {})).not.toBeNull();
    expect(difference([1, , 3], [1, undefined, 3])).not.toBeNull();
  });

  it("says where: the path of keys from the root, and a read that throws on one side only (alike on both: equal)", () => {
    expect(difference({ x: [1, { y: 2 }] }, { x: [1, { y: 3 }] })).toBe("$.x.1.y: 2 vs 3");
    expect(difference({ x: [{ y: [2] }] }, { x: [{ y: {} }] })).toBe("$.x.0.y: another kind of object");
    const throwing = (message: string) => Object.defineProperty({}, "k", { enumerable: true, get: () => { throw new RangeError(message); } });
    expect(difference({ a: { k: 1 } }, { a: throwing("no copy") })).toBe("$.a.k: read ok vs RangeError: no copy");
    expect(difference(throwing("no copy"), throwing("no copy"))).toBeNull();
    expect(difference(throwing("no copy"), throwing("other"))).toMatch(/read RangeError: no copy vs RangeError: other/);
  });
});
