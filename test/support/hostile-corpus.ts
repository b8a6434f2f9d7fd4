/**
 * Hostile transcript bytes and the comparison "as a caller can see it", shared by the differential tests
 * that run them against a release's own reads: test/matrix/hostile.test.ts (every served read) and
 * test/matrix/warmup-copying-hostile.test.ts (2026.5.28–6.8's open after the restart warm-up).
 */
import { expect } from "vitest";

export type Plain = Record<string, unknown>;
export const line = (o: Plain) => JSON.stringify(o);
export const HEADER = line({ type: "session", version: 3, id: "s-1", timestamp: "2026-01-05T08:00:00.000Z", cwd: "/w" });
export const T = "2026-01-05T08:00:01.000Z";
export const user = (id: string, parentId: string | null, content: unknown, extra: Plain = {}) =>
  line({ type: "message", id, parentId, timestamp: T, message: { role: "user", content, timestamp: 1, ...extra } });
export const assistant = (id: string, parentId: string, text: string) =>
  line({ type: "message", id, parentId, timestamp: T, message: { role: "assistant", content: [{ type: "text", text }], api: "openai-responses", provider: "openai", model: "m", stopReason: "stop", usage: { input: 1, output: 1 }, timestamp: 2 } });
/** Raw JSON text of a user message whose content string is `raw` (already JSON-escaped as wanted, without quotes). */
export const rawUser = (id: string, parentId: string, raw: string) =>
  `{"type":"message","id":"${id}","parentId":"${parentId}","timestamp":"${T}","message":{"role":"user","content":"${raw}","timestamp":1}}`;
export const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

/** Files with bytes the generator's damage kinds do not produce. */
export function hostileCorpus(): { name: string; text: string | Buffer }[] {
  const out: { name: string; text: string | Buffer }[] = [];
  const add = (name: string, text: string | Buffer) => out.push({ name, text });
  const body = [user("u1", null, "hello"), assistant("a1", "u1", "hi ✓"), user("u2", "a1", [{ type: "text", text: "again" }]), assistant("a2", "u2", "done")];
  add("CRLF line ends", [HEADER, ...body].join("\r\n") + "\r\n");
  add("CRLF, last line without newline", [HEADER, ...body].join("\r\n"));
  add("UTF-8 byte-order mark before the header", "\uFEFF" + [HEADER, ...body].join("\n") + "\n");
  add("no-break space before the header", "\u00A0" + [HEADER, ...body].join("\n") + "\n");
  add("line separator U+2028 after an entry, ideographic space line", [HEADER, body[0]! + "\u2028", "\u3000", ...body.slice(1)].join("\n") + "\n");
  add("JSON whitespace around lines", [" \t" + HEADER + "  ", "\t" + body[0], body[1] + " \r", ...body.slice(2)].join("\n") + "\n");
  add(
    "invalid UTF-8 inside strings",
    bytes(HEADER, "\n", body[0]!, "\n", rawUser("x1", "a1", "").slice(0, -17), [0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xe2, 0x82], `","timestamp":1}}\n`, assistant("a3", "x1", "ok"), "\n"),
  );
  add("invalid UTF-8 as a line of its own", bytes(HEADER, "\n", body[0]!, "\n", [0xff, 0xc3], "\n", ...body.slice(1).map((l) => l + "\n")));
  add("raw NUL inside a string, and a NUL line", bytes(HEADER, "\n", body[0]!, "\n", rawUser("n1", "u1", "a"), "\n", [0], "\n", `{"type":"custom","id":"n2","parentId":"u1","customType":"x","data":"a`, [0], `b"}`, "\n", body[1]!, "\n"));
  add("escaped NUL and control characters", [HEADER, rawUser("e1", "s-1", "\\u0000\\u0001\\u001f\\b\\f\\t\\r\\n"), assistant("e2", "e1", "x")].join("\n") + "\n");
  add(
    "escaped lone surrogates and pairs",
    [HEADER, rawUser("l1", "s-1", "\\ud800"), rawUser("l2", "l1", "x\\udfffy"), rawUser("l3", "l2", "\\ud83d\\ude00 and \\uD83D\\uDE00"), rawUser("l4", "l3", "\\ude00\\ud83d"), rawUser("l5", "l4", "end \\ud83d")].join("\n") + "\n",
  );
  add("escaped solidus and non-ASCII escapes", [HEADER, rawUser("s1", "s-1", "a\\/b \\u00e9 \\u20AC"), `{"type":"custom","id":"s2","parentId":"s1","customType":"\\u0078","data":{"\\u006b":1}}`].join("\n") + "\n");
  add(
    "prototype-ish keys",
    [
      HEADER,
      `{"type":"custom","id":"p1","parentId":null,"customType":"x","__proto__":{"polluted":true},"data":{"__proto__":[1,2],"constructor":"c"}}`,
      `{"type":"message","id":"p2","parentId":"p1","timestamp":"${T}","message":{"role":"user","content":[{"type":"text","text":"t","__proto__":{"x":1}}],"constructor":{"prototype":1},"timestamp":1}}`,
      `{"type":"custom","id":"p3","parentId":"p2","customType":"x","constructor":"not a function","toString":5,"valueOf":null,"hasOwnProperty":[],"toJSON":"no"}`,
      `{"__proto__":null,"type":"custom","id":"p4","parentId":"p3","customType":"y"}`,
      assistant("p5", "p4", "after"),
    ].join("\n") + "\n",
  );
  add(
    "code-like and odd keys",
    [
      HEADER,
      line({ type: "custom", id: "c1", parentId: null, customType: "x", "}; process.exit(7); ({": 1, "\u2028 raw": "\u2028", "\\": 2, 'a"b': 3, "": 4, data: { "`${1}`": { x: 1 }, "</script>": [] } }),
      line({ type: "custom", id: "c2", parentId: "c1", customType: "x", valueOf: { a: 1 }, toString: { b: 2 }, __defineGetter__: { c: 3 } }),
      assistant("c3", "c2", "x"),
    ].join("\n") + "\n",
  );
  add(
    "duplicate keys",
    [HEADER, `{"type":"custom","id":"d1","id":"d2","parentId":null,"customType":"x"}`, `{"type":"message","id":"d3","parentId":"d2","timestamp":"${T}","message":{"role":"assistant","role":"user","content":"q","content":[{"type":"text","text":"twice"}],"timestamp":1}}`, assistant("d4", "d3", "x")].join("\n") + "\n",
  );
  add("integer-like keys", [HEADER, `{"type":"custom","id":"i1","parentId":null,"customType":"x","2":"b","1":"a","data":{"10":1,"9":2,"x":3,"-1":4,"01":5}}`, assistant("i2", "i1", "x")].join("\n") + "\n");
  add(
    "numbers JSON.parse rounds",
    [HEADER, `{"type":"custom","id":"m1","parentId":null,"customType":"x","data":{"a":1e400,"b":-0,"c":1.0,"d":1E2,"e":12345678901234567890123,"f":0.1e-400,"g":-1e-7,"h":5e-324,"i":0.30000000000000004}}`, assistant("m2", "m1", "x")].join("\n") + "\n",
  );
  add(
    "ids and parentIds of every JSON type",
    [HEADER, `{"type":"custom","id":5,"parentId":null,"customType":"x"}`, `{"type":"custom","id":null,"parentId":5,"customType":"x"}`, `{"type":"custom","id":"o","parentId":{"a":1},"customType":"x"}`, `{"type":"custom","id":"z","parentId":"","customType":"x"}`, `{"type":"custom","id":["a"],"parentId":0,"customType":"x"}`, `{"type":"custom","parentId":"o","customType":"no id"}`, assistant("last", "o", "x")].join("\n") + "\n",
  );
  // Deep, but within what JSON.stringify (recursive) writes back.
  const deep = "[".repeat(3000) + "]".repeat(3000);
  add("deeply nested value", [HEADER, `{"type":"custom","id":"n","parentId":null,"customType":"x","data":${deep}}`, assistant("n2", "n", "x")].join("\n") + "\n");
  // Past what recursive copies and freezes handle (JSON.parse does not recurse): the same answer or the same error.
  add("6000-deep value under a __proto__ key", [HEADER, `{"type":"custom","id":"n","parentId":null,"customType":"x","data":{"__proto__":1,"deep":${"[".repeat(6000) + "]".repeat(6000)}}}`, assistant("n2", "n", "x")].join("\n") + "\n");
  add("9000-deep arrays", [HEADER, `{"type":"custom","id":"n","parentId":null,"customType":"x","data":${"[".repeat(9000) + "]".repeat(9000)}}`, assistant("n2", "n", "x")].join("\n") + "\n");
  add("30000-deep objects", [HEADER, `{"type":"custom","id":"n","parentId":null,"customType":"x","data":${'{"a":'.repeat(30000) + "1" + "}".repeat(30000)}}`, assistant("n2", "n", "x")].join("\n") + "\n");
  add("one line larger than every chunk (3 MB)", [HEADER, user("big", null, "x".repeat(3 * 1024 * 1024) + "é"), assistant("big2", "big", "x")].join("\n") + "\n");
  add("blank lines only", "\n\n\n");
  add("whitespace lines only", "  \n\t\n \r\n");
  add("header only, no newline", HEADER);
  add("header only, CRLF", HEADER + "\r\n");
  add("second session header mid-file", [HEADER, body[0]!, line({ type: "session", version: 3, id: "s-2", timestamp: T, cwd: "/v" }), ...body.slice(1)].join("\n") + "\n");
  add("header with version 3 as a string", [line({ type: "session", version: "3", id: "s-1", timestamp: T, cwd: "/w" }), ...body].join("\n") + "\n");
  add("header with a non-string id", [line({ type: "session", version: 3, id: 7, timestamp: T, cwd: "/w" }), ...body].join("\n") + "\n");
  return out;
}

/**
 * The files ctxc's open must serve (every line one the worker reads as `JSON.parse` does); the rest
 * (malformed lines by pi's rule, no usable header) it must leave to OpenClaw.
 */
export const SERVED = new Set([
  "CRLF line ends", "CRLF, last line without newline", "UTF-8 byte-order mark before the header", "JSON whitespace around lines",
  "invalid UTF-8 inside strings", "escaped NUL and control characters", "escaped lone surrogates and pairs", "escaped solidus and non-ASCII escapes",
  "prototype-ish keys", "code-like and odd keys", "duplicate keys", "integer-like keys", "numbers JSON.parse rounds", "ids and parentIds of every JSON type", "deeply nested value",
  "one line larger than every chunk (3 MB)", "header only, no newline", "header only, CRLF", "header with version 3 as a string",
]);

/** `f()`'s value, or the error it threw by name and message (async too). */
export async function attempt(f: () => unknown): Promise<{ value?: unknown; error?: string }> {
  try {
    return { value: await f() };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}`.replace(/t\d+[ab]\.jsonl|[ab]\.jsonl/g, "(file)") };
  }
}

/** The JSON text of `v`, or the error writing it throws by name (a BigInt; recursive, a deep value may overflow). */
function json(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch (err) {
    return `throws ${(err as Error).name}`;
  }
}
const PLAIN = new Set<unknown>([Object.prototype, Array.prototype, null]);

/**
 * Where two JSON-like values differ as a caller can see (prototype, own keys in order, `Object.is` on
 * scalars, array-ness), or null; iterative, so a deeply nested value cannot overflow the comparison.
 * At least as strict as their JSON texts, so callers need not write those too (a second pass over both
 * whole values at every comparison): each key's enumerability is compared (JSON writes only enumerable
 * ones), and an object of any other prototype than a plain object's, an array's or none (a Date, a boxed
 * scalar, a class with `toJSON`), or one with a `toJSON`, is also compared by its JSON text.
 * A pair of objects met again under another path (a manager's entries are the same objects in its file
 * entries, `getEntries()`, `getBranch()` and the context) is walked once: it is equal or still queued.
 * `objects`: a further comparison of each pair of objects, made once their members have been read.
 */
export function difference(ours: unknown, theirs: unknown, objects?: (ours: object, theirs: object) => string | null): string | null {
  // Each pair's path is kept as its parent's and its key, spelled out only for the difference returned:
  // a manager's state is ~10^5 members, compared at every step of a matrix case (the path strings were
  // most of the walk's time and garbage).
  const stack: Pair[] = [{ a: ours, b: theirs, parent: null, key: "$" }];
  const seen = new Map<object, object[]>();
  while (stack.length > 0) {
    const pair = stack.pop()!;
    const { a, b } = pair;
    if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
      if (!Object.is(a, b)) return `${pathOf(pair)}: ${String(a)} vs ${String(b)}`;
      continue;
    }
    const met = seen.get(a);
    if (met?.includes(b)) continue;
    if (met) met.push(b);
    else seen.set(a, [b]);
    const proto = Object.getPrototypeOf(a);
    if (Array.isArray(a) !== Array.isArray(b) || proto !== Object.getPrototypeOf(b)) return `${pathOf(pair)}: another kind of object`;
    const [ka, kb] = [Reflect.ownKeys(a), Reflect.ownKeys(b)];
    if (!sameKeys(ka, kb)) return `${pathOf(pair)}: keys ${ka.map(String).join()} vs ${kb.map(String).join()}`;
    for (const k of ka) {
      const [ea, eb] = [isEnumerable.call(a, k), isEnumerable.call(b, k)];
      if (ea !== eb) return `${pathOf(pair)}.${String(k)}: enumerable ${ea} vs ${eb}`;
      // A read that throws (a copy-on-read field that cannot copy) where stock's plain property does not is a difference too.
      const [ra, rb] = [readMember(a, k), readMember(b, k)];
      if (ra instanceof ReadError || rb instanceof ReadError) {
        const said = (r: unknown) => (r instanceof ReadError ? r.message : "ok");
        if (said(ra) !== said(rb)) return `${pathOf(pair)}.${String(k)}: read ${said(ra)} vs ${said(rb)}`;
        continue;
      }
      stack.push({ a: ra, b: rb, parent: pair, key: k });
    }
    if ((!PLAIN.has(proto) || "toJSON" in a) && json(a) !== json(b)) return `${pathOf(pair)}: JSON ${json(a)} vs ${json(b)}`;
    const other = objects?.(a, b);
    if (other) return `${pathOf(pair)}: ${other}`;
  }
  return null;
}

interface Pair {
  a: unknown;
  b: unknown;
  parent: Pair | null;
  key: string | symbol;
}
/** `$.fileEntries.3.message`: the keys from the root down to `pair`. */
function pathOf(pair: Pair): string {
  const keys: string[] = [];
  for (let p: Pair | null = pair; p; p = p.parent) keys.push(String(p.key));
  return keys.reverse().join(".");
}
const isEnumerable = Object.prototype.propertyIsEnumerable;
function sameKeys(ka: (string | symbol)[], kb: (string | symbol)[]): boolean {
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return false;
  return true;
}
/** What a read of `o[k]` threw, by name and message (compared as text: two reads that threw alike are equal). */
class ReadError {
  constructor(readonly message: string) {}
}
function readMember(o: object, k: string | symbol): unknown {
  try {
    return (o as Record<string | symbol, unknown>)[k];
  } catch (err) {
    return new ReadError(`${(err as Error).name}: ${(err as Error).message}`);
  }
}

/** Equal as a caller can see: {@link difference} (or `differ`, built on it), which also answers for their JSON texts. */
export function expectSame(name: string, ours: unknown, theirs: unknown, differ: (ours: unknown, theirs: unknown) => string | null = difference): void {
  expect(differ(ours, theirs), name).toBeNull();
}
