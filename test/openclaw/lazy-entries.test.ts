/**
 * lazy-entries.ts on its own: a fresh entry made from a frozen kept entry is, to everything but property
 * descriptors, the object `JSON.parse` of its line gives — same keys in the same order, same values, same
 * serialisation — however it is read (spread, keys, `in`, structuredClone, JSON.stringify, deep equality),
 * on generated transcripts and on hostile keys; it copies a field only when read; and nothing done to it
 * reaches the kept entry or the next copy.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { deepFreeze } from "../../src/openclaw/entry-cache.js";
import { cloneJson, freshEntries, freshEntry, lazyStats, MAX_FACTORY_KEYS } from "../../src/openclaw/lazy-entries.js";
import { frozenEntriesFromBuffer } from "../../src/openclaw/buffer-entries.js";
import { decodeSession } from "../../src/openclaw/session.js";
import { SessionReadCache, encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { tempDir } from "../support/tmp.js";

type Obj = Record<string, unknown>;
const kept = (line: string) => deepFreeze(JSON.parse(line) as Obj);
const isAccessor = (o: object, key: string) => typeof Object.getOwnPropertyDescriptor(o, key)?.get === "function";

/** Every way a caller may look at an entry, checked against the parse of its line. */
function expectLikeParse(line: string, label = line.slice(0, 60)): void {
  const parsed = JSON.parse(line) as Obj;
  // Each view on a fresh copy: one view may not hide what another would see first.
  const fresh = () => freshEntry(kept(line)) as Obj;
  // (The line's own bytes where it is canonical JSON, as every line pi writes is: checked on generated transcripts.)
  expect(JSON.stringify(fresh()), label).toBe(JSON.stringify(parsed));
  expect(Object.keys(fresh()), label).toEqual(Object.keys(parsed));
  expect({ ...fresh() }, label).toStrictEqual({ ...parsed });
  expect(structuredClone(fresh()), label).toStrictEqual(parsed);
  expect(fresh(), label).toStrictEqual(parsed);
  const f = fresh();
  for (const k of Object.keys(parsed)) expect(k in f, label).toBe(true);
  expect(Object.getPrototypeOf(f), label).toBe(Object.prototype);
  expect(Object.isFrozen(f) || Object.isSealed(f) || !Object.isExtensible(f), label).toBe(false);
}

describe("lazy-entries: fresh entries from frozen kept entries", () => {
  it("equal the parse of every line of generated transcripts (branched, compacted, every entry type, heavy unicode)", () => {
    for (const [seed, unicode] of [[31, "mixed"], [32, "heavy"], [33, "ascii"]] as const) {
      const lines = generateTranscript({ seed, entries: 150, branchProbability: 0.2, compactions: 2, includeAllEntryTypes: true, unicode }).text.trim().split("\n");
      for (const line of lines) expectLikeParse(line, `seed ${seed}`);
      for (const line of lines) expect(JSON.stringify(freshEntry(kept(line)))).toBe(line);
      // Deeply: every nested object and array a new, mutable one, equal to the parse.
      const entries = freshEntries(lines.map(kept));
      expect(JSON.parse(JSON.stringify(entries))).toEqual(lines.map((l) => JSON.parse(l)));
      expect(entries).toStrictEqual(lines.map((l) => JSON.parse(l)));
    }
  });

  it("keys a literal must not hold as they are, numeric keys, -0, nesting: as JSON.parse gives them", () => {
    const lines = [
      '{"type":"x","a\\"};globalThis.pwned=1;({\\"":{"b":1},"\\\\":[{}],"\\u2028":{"c":[]},"":{"d":null}}',
      '{"10":{"n":1},"2":"s","type":"n","0":[0]}',
      '{"type":"z","v":-0,"o":{"w":-0,"arr":[-0,1e300,5e-324]}}',
      '{"type":"p","__proto__":{"polluted":true},"m":{"__proto__":{"x":1},"y":[{"__proto__":[]}]}}',
      '{"type":"e","m":{},"a":[],"n":null,"t":true}',
      '{"type":"deep","m":{"a":{"b":{"c":{"d":[[[{"e":"ü🚀"}]]]}}}}}',
      "{" + Array.from({ length: MAX_FACTORY_KEYS + 5 }, (_, i) => `"k${i}":${i % 2 ? "{}" : i}`).join(",") + "}",
    ];
    for (const line of lines) expectLikeParse(line);
    expect((globalThis as Obj).pwned).toBeUndefined();
    expect(({} as Obj).polluted).toBeUndefined();
    const z = freshEntry(kept(lines[2]!)) as { v: number; o: { w: number; arr: number[] } };
    expect(Object.is(z.v, -0) && Object.is(z.o.w, -0) && Object.is(z.o.arr[0], -0)).toBe(true);
    const p = freshEntry(kept(lines[3]!)) as Obj;
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(p, "__proto__")?.value).toEqual({ polluted: true });
  });

  it("copies a field on its first get only, then holds it as a plain data property", () => {
    const line = '{"type":"message","id":"a","message":{"role":"user","content":[{"type":"text","text":"hi"}]},"details":{"d":1}}';
    const k = kept(line);
    const e = freshEntry(k) as Obj;
    expect(isAccessor(e, "message") && isAccessor(e, "details")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(e, "message")).toMatchObject({ enumerable: true, configurable: true });
    const before = lazyStats.decoded;
    const m = e.message as Obj;
    expect(lazyStats.decoded).toBe(before + 1);
    expect(Object.getOwnPropertyDescriptor(e, "message")).toEqual({ value: m, writable: true, enumerable: true, configurable: true });
    expect(e.message).toBe(m);
    // One level at a time: the message's role is a plain field, its content waits.
    expect(isAccessor(m, "content")).toBe(true);
    expect(m.role).toBe("user");
    expect(isAccessor(e, "details")).toBe(true);
    expect(m).not.toBe(k.message);
    expect(Object.isFrozen(m)).toBe(false);
  });

  it("nothing done to a fresh entry reaches the kept entry or the next copy", () => {
    const line = '{"type":"message","id":"a","parentId":null,"message":{"role":"user","content":[{"type":"text","text":"hi"}],"meta":{"x":[1,2]}},"data":{"k":1},"more":[1,{"z":2}]}';
    const k = kept(line);
    const e = freshEntry(k) as Obj;
    // A set before any get: a plain data property, nothing copied.
    const before = lazyStats.decoded;
    e.data = "set";
    expect(lazyStats.decoded).toBe(before);
    expect(Object.getOwnPropertyDescriptor(e, "data")).toEqual({ value: "set", writable: true, enumerable: true, configurable: true });
    delete e.more;
    expect("more" in e).toBe(false);
    const m = e.message as { role: string; content: Obj[]; meta: { x: number[] }; added?: boolean };
    m.content.push({ type: "text", text: "pushed" });
    m.content[0]!.text = "changed";
    m.meta.x.push(3);
    m.added = true;
    e.id = "changed";
    e.extra = 1;
    expect(Object.keys(e)).toEqual(["type", "id", "parentId", "message", "data", "extra"]);
    expect(JSON.stringify(k)).toBe(line);
    expect(JSON.stringify(freshEntry(k))).toBe(line);
    expect(freshEntry(k)).toStrictEqual(JSON.parse(line));
  });

  it("an entry its holder froze before reading a field still answers, with one copy", () => {
    const e = freshEntry(kept('{"type":"m","message":{"role":"user","content":[{"type":"text","text":"x"}]}}')) as Obj;
    Object.freeze(e);
    const m = e.message;
    expect(m).toEqual({ role: "user", content: [{ type: "text", text: "x" }] });
    expect(e.message).toBe(m);
    expect(JSON.stringify(e)).toBe('{"type":"m","message":{"role":"user","content":[{"type":"text","text":"x"}]}}');
  });

  it("cloneJson: a deep mutable copy, same key order, own __proto__ keys kept as data", () => {
    const v = deepFreeze(JSON.parse('{"b":1,"a":[{"__proto__":{"q":1}},2],"1":{"c":null}}') as Obj);
    const c = cloneJson(v);
    expect(c).toStrictEqual(JSON.parse('{"b":1,"a":[{"__proto__":{"q":1}},2],"1":{"c":null}}'));
    expect(Object.keys(c)).toEqual(["1", "b", "a"]);
    expect(Object.isFrozen(c) || Object.isFrozen(c.a)).toBe(false);
    expect(Object.getPrototypeOf((c.a as Obj[])[0])).toBe(Object.prototype);
  });
});

describe("lazy-entries: the lazy-member count of a first open's frozen entries (summary lazyFields)", () => {
  const dir = tempDir("lazy-count");
  let n = 0;
  /** lazyStats.deferred added by one frozenEntriesFromBuffer of a file with `count` entries of one layout after its header. */
  function deferredFor(count: number): number {
    const path = join(dir, `t${++n}.jsonl`);
    const header = '{"type":"session","version":3,"id":"s1","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ type: "message", id: `m${i}`, parentId: i === 0 ? null : `m${i - 1}`, timestamp: "2026-01-01T00:00:01.000Z", message: { role: "user", content: [{ type: "text", text: `t${i}` }] } }));
    writeFileSync(path, [header, ...lines].join("\n") + "\n");
    const before = lazyStats.deferred;
    frozenEntriesFromBuffer(decodeSession(encodeSessionBuffer(path, {}, new SessionReadCache())));
    return lazyStats.deferred - before;
  }

  it("counts every entry of a layout alike, the first one (whose build makes the layout's factory) included", () => {
    const one = deferredFor(1);
    expect(one).toBeGreaterThan(0);
    expect(deferredFor(3)).toBe(3 * one);
  });
});
