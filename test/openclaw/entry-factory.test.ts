/**
 * entry-factory.ts, the one factory generator of both served opens (2026.5.12: buffer-entries.ts;
 * 2026.5.28–6.8: lazy-entries.ts):
 * - every entry either open hands out, and every nested object it makes, is a FAST-mode object (V8's
 *   `%HasFastProperties`, reachable once `--allow-natives-syntax` is set) before and after its lazy
 *   members are read — the check itself tells a dictionary-mode object (an object literal with its own
 *   `get`/`set`, what lazy-entries.ts compiled before) apart;
 * - a layout built member by member (past MAX_FACTORIES) is the object its factory makes;
 * - keys a literal or an assignment would not make own data properties (`__proto__`) stay own data;
 * - lazy members of layouts sharing a prefix share one accessor pair (else V8 makes them dictionaries).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { entriesFromBuffer } from "../../src/openclaw/buffer-entries.js";
import { deepFreeze } from "../../src/openclaw/entry-cache.js";
import { EntryFactories } from "../../src/openclaw/entry-factory.js";
import { freshEntries } from "../../src/openclaw/lazy-entries.js";
import { decodeSession } from "../../src/openclaw/session.js";
import { tempDir } from "../support/tmp.js";

type Plain = Record<string, unknown>;
setFlagsFromString("--allow-natives-syntax");
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- V8's intrinsic, compiled after the flag is set
const hasFastProperties = new Function("o", "return %HasFastProperties(o)") as (o: object) => boolean;
const dir = tempDir("entry-factory");

/** The objects of `value` that are not fast, by path, reading (so making) every lazy member on the way when `read`. */
function slowObjects(value: unknown, path: string, read: boolean, out: string[] = []): string[] {
  if (typeof value !== "object" || value === null) return out;
  if (!Array.isArray(value) && !hasFastProperties(value)) out.push(path);
  if (read) for (const key of Object.keys(value)) slowObjects((value as Plain)[key], `${path}.${key}`, read, out);
  return out;
}

const transcript = () => generateTranscript({ seed: 41, entries: 120, branchProbability: 0.15, compactions: 2, includeAllEntryTypes: true, unicode: "mixed" }).text;

describe("entry-factory: fast-mode entries for both served opens", () => {
  it("the check tells a dictionary-mode object apart (an object literal with its own get/set)", () => {
    let d: unknown;
    const old = { type: "message", get message() { return d; }, set message(v) { d = v; } };
    expect(hasFastProperties(old)).toBe(false);
    expect(hasFastProperties({ type: "message", message: {} })).toBe(true);
  });

  it("2026.5.28–6.8 (lazy-entries.ts): fresh copies of the kept entries are fast, unread and read down to every level", () => {
    const lines = transcript().trim().split("\n");
    const kept = lines.map((l) => deepFreeze(JSON.parse(l) as Plain));
    const entries = freshEntries(kept) as Plain[];
    expect(entries.some((e) => typeof Object.getOwnPropertyDescriptor(e, "message")?.get === "function")).toBe(true);
    expect(entries.flatMap((e, i) => slowObjects(e, `#${i}`, false))).toEqual([]);
    expect(entries.flatMap((e, i) => slowObjects(e, `#${i}`, true))).toEqual([]);
    expect(entries.map((e) => JSON.stringify(e))).toEqual(lines);
  });

  it("2026.5.12 (buffer-entries.ts): entries from the worker's bytes are fast, unread and read down to every level", () => {
    const file = join(dir, "t.jsonl");
    writeFileSync(file, transcript());
    const lines = transcript().trim().split("\n");
    const entries = entriesFromBuffer(decodeSession(encodeSessionBuffer(file))) as Plain[];
    expect(entries.flatMap((e, i) => slowObjects(e, `#${i}`, false))).toEqual([]);
    expect(entries.flatMap((e, i) => slowObjects(e, `#${i}`, true))).toEqual([]);
    expect(entries.map((e) => JSON.stringify(e))).toEqual(lines);
  });
});

describe("entry-factory: the generator on its own (a kept-object source)", () => {
  let made = 0;
  const factories = new EntryFactories<Plain>({
    scalarCode: (_i, key) => `s[${key}]`,
    scalar: (s, _b, _p, _i, key) => s[key],
    member: (s, _b, _p, _i, key) => {
      made++;
      return structuredClone(s[key]);
    },
  });
  const lines = [
    '{"type":"m","id":"a","message":{"role":"user"},"n":1,"data":[1,{"x":2}],"t":true}',
    '{"__proto__":1,"m":{"k":1},"x":2}',
    '{"m":{},"__proto__":"after a lazy one","toString":3,"__defineGetter__":null}',
    '{"a":1,"b":"only scalars"}',
    '{"constructor":"own","m":{"k":1},"hasOwnProperty":2}',
  ];

  it("a factory's object and the member-by-member one are JSON.parse's, lazy members made once, on first get", () => {
    for (const line of lines) {
      const source = deepFreeze(JSON.parse(line) as Plain);
      const keys = Object.keys(source);
      const lazy = keys.map((k) => typeof source[k] === "object" && source[k] !== null);
      const built = [factories.factory(keys, lazy)!(source, 0, 0), factories.build(keys, lazy, source, 0, 0)];
      for (const o of built) {
        expect(Object.getPrototypeOf(o), line).toBe(Object.prototype);
        expect(Reflect.ownKeys(o), line).toEqual(Reflect.ownKeys(JSON.parse(line) as Plain));
        const before = made;
        expect(JSON.stringify(o), line).toBe(line);
        expect(made - before, line).toBe(lazy.filter(Boolean).length);
        expect(o, line).toStrictEqual(JSON.parse(line));
        expect(made - before, line).toBe(lazy.filter(Boolean).length);
        // Made by a layout's constructor when it has lazy members: nothing of it shows (constructor, inspect, clone).
        expect(o.constructor, line).toBe(line.includes('"constructor"') ? "own" : Object);
        expect(inspect(o), line).toBe(inspect(JSON.parse(line)));
        expect(structuredClone(o), line).toStrictEqual(JSON.parse(line));
        // (A computed `__proto__` key in the literal costs fast mode: rare in a transcript; what is asserted for it is correctness.)
        if (!line.includes("__proto__")) expect(hasFastProperties(o), line).toBe(true);
      }
    }
    expect(({} as Plain).x).toBeUndefined();
  });
});
