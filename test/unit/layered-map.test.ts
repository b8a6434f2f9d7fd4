/**
 * Model-based differential test of LayeredMap (src/openclaw/release/layered-map.ts): random operation
 * sequences on families of maps that fork from and adopt each other (as the served `setLoadedSessionFile`
 * hands a file's index to each load), each paired with a real `Map` given the same operations. After every
 * operation each pair must agree: what the operation returned, size, get/has of every key ever used, and the
 * entries in iteration order through every iteration surface (spread, entries/keys/values, forEach). Long
 * sequences on a small key space make re-set, delete-then-re-set, owner appends after forks, and overlay
 * flattening all frequent.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../../bench/fixtures/transcript-generator.js";
import { LayeredMap } from "../../src/openclaw/release/layered-map.js";

type K = unknown;
type V = unknown;

/** Every view a caller has of the map's entries; all must equal the real Map's. */
function views(m: Map<K, V>): unknown {
  const each: [K, V, boolean][] = [];
  m.forEach(function (this: unknown, v, k, self) {
    each.push([k, v, self === m && this === views]);
  }, views);
  return { spread: [...m], entries: [...m.entries()], keys: [...m.keys()], values: [...m.values()], each, size: m.size };
}

function run(seed: number, steps: number, keySpace: number): void {
  const rng = new Prng(seed);
  const pick = (n: number) => rng.u32() % n;
  const objKeys = Array.from({ length: 4 }, (_, i) => ({ i }));
  const keyOf = (): K => {
    const r = pick(10);
    if (r === 0) return objKeys[pick(objKeys.length)];
    if (r === 1) return pick(3) === 0 ? NaN : pick(2) === 0 ? -0 : `k${pick(8)}`;
    return pick(keySpace);
  };
  const used: K[] = [0, "k1", NaN, objKeys[0], "never"];
  const pairs: { lm: LayeredMap<K, V>; real: Map<K, V> }[] = [{ lm: new LayeredMap(), real: new Map() }];
  // A long-lived owner that mostly appends (the record following the file) and the pairs forked from it.
  for (let step = 0; step < steps; step++) {
    const at = pick(pairs.length);
    const p = pairs[at]!;
    const r = pick(100);
    let got: unknown, want: unknown;
    if (r < 45) {
      // Appends of fresh keys dominate (entries appended to the file), re-sets of known ones the rest.
      const k = pick(3) === 0 ? keyOf() : `fresh${step}`;
      const v = pick(5) === 0 ? undefined : step;
      used.push(k);
      got = p.lm.set(k, v) === p.lm;
      want = p.real.set(k, v) === p.real;
    } else if (r < 65) {
      const k = keyOf();
      got = p.lm.delete(k);
      want = p.real.delete(k);
    } else if (r < 66) {
      p.lm.clear();
      p.real.clear();
    } else if (r < 76 && pairs.length < 12) {
      pairs.push({ lm: p.lm.fork(), real: new Map(p.real) });
    } else if (r < 84) {
      const from = pairs[pick(pairs.length)]!;
      p.lm.adopt(from.lm);
      p.real = new Map(from.real);
    } else if (r < 86 && pairs.length > 1) {
      pairs.splice(at, 1);
    } else if (r < 88) {
      // A new map of a real Map's entries (as a record is made from the manager's maps) or of another LayeredMap's.
      const from = pairs[pick(pairs.length)]!;
      p.lm = LayeredMap.of(pick(2) ? from.real : from.lm);
      p.real = new Map(from.real);
    } else {
      const k = used[pick(used.length)];
      got = [p.lm.get(k), p.lm.has(k)];
      want = [p.real.get(k), p.real.has(k)];
    }
    expect(got, `step ${step}`).toEqual(want);
    for (const q of step % 4 === 0 ? pairs : [p]) {
      expect(views(q.lm), `step ${step}`).toEqual(views(q.real));
      // The last 20 keys used, in one expect (one per key was most of this file's CPU: vitest's per-call setup).
      const recent = used.slice(-20);
      expect(recent.map((k) => [k, q.lm.get(k), q.lm.has(k)]), `step ${step}: get/has`).toEqual(recent.map((k) => [k, q.real.get(k), q.real.has(k)]));
    }
  }
}

describe("LayeredMap behaves as a real Map", () => {
  for (const [seed, steps, keys] of [[1, 1500, 40], [2, 1500, 400], [3, 3000, 20], [4, 2000, 2000]] as const) {
    it(`random operations, seed ${seed} (${steps} steps, ${keys} keys)`, () => run(seed, steps, keys));
  }

  it("is a Map, and a map copied from it holds its entries in its order", () => {
    const m = LayeredMap.of<string, number>([["a", 1], ["b", 2], ["c", 3]]);
    const f = m.fork();
    f.set("a", 9).delete("b");
    f.set("b", 4);
    m.set("d", 5); // the owner appends past the fork: the fork does not see it
    expect(f).toBeInstanceOf(Map);
    expect(Object.prototype.toString.call(f)).toBe("[object Map]");
    expect([...new Map(f)]).toEqual([["a", 9], ["c", 3], ["b", 4]]);
    expect([...m]).toEqual([["a", 1], ["b", 2], ["c", 3], ["d", 5]]);
    expect(Array.from(f.keys())).toEqual(["a", "c", "b"]);
  });

  it("iteration sees changes made while it runs, as a Map iterator does", () => {
    for (const seed of [5, 6, 7, 8]) {
      const rng = new Prng(seed);
      const start = Array.from({ length: 30 }, (_, i) => [i, i] as [number, number]);
      const lm = LayeredMap.of(start).fork();
      const real = new Map(start);
      const plan = Array.from({ length: 30 }, () => [rng.u32() % 4, rng.u32() % 40] as const);
      const walk = (m: Map<number, number>) => {
        const seen: number[] = [];
        let i = 0;
        for (const [k] of m) {
          seen.push(k);
          const [op, key] = plan[i++ % plan.length]!;
          if (op === 0) m.delete(key);
          else if (op === 1) m.set(key, -key);
          if (seen.length > 200) break;
        }
        return [seen, [...m]];
      };
      expect(walk(lm)).toEqual(walk(real));
    }
  });
});
