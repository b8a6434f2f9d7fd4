/**
 * Adversarial review of the restart warm-up on 2026.5.28–6.8 (issue #11; src/openclaw/restart-warmup.ts
 * `copying`): after a restart the warm-up builds the kept entries (decoded, deep-frozen) and prepares
 * their copy factories, so the first `loadEntriesFromFile` (OpenClaw's own copy of pi's load, served by
 * ctxc) only copies. Against the release's OWN `loadEntriesFromFile` (`CTXC_OPENCLAW_ROOT`; skipped on
 * other releases) on a copy of the same bytes, each open must give what stock's `JSON.parse` gives, as a
 * caller can see it at every level — values (`Object.is`), key order, prototypes, arrays, and objects that
 * are extensible, unfrozen and hold writable data properties once read — and nothing a caller does to
 * what it got (at every level: entries, messages, content blocks, tool-call arguments, usage, arrays; read
 * first or assigned before any read; frozen, sealed, deleted, re-prototyped) may reach a later open, nor
 * the copies an earlier open handed out and nobody has read yet. On hostile bytes (test/support/
 * hostile-corpus.ts and entries past the factories: > 64 keys, many layouts, odd keys and numbers,
 * duplicate ids, torn tails, header-only and empty files), with the file changed between the worker read
 * and the build or between the build and the open (appended — torn too —, replaced by a file of the same
 * size and mtime, rewritten in place with the mtime put back, truncated, emptied), two transcripts sharing
 * one index file, the entry cache's bound reached in the middle of the warm-up, and the warm-up racing
 * real opens.
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatedTranscript } from "../support/generated.js";
import { sessionIndexFile } from "../../native-free-workers/openclaw/session-index.js";
import { importIntercepted, releaseTestSetup, type Intercepted } from "../support/openclaw-release.js";
import { HEADER, SERVED, T, difference, expectSame as expectSameAs, hostileCorpus, line, type Plain } from "../support/hostile-corpus.js";
import { wreckEntries } from "../support/wreck-entries.js";

const { root, version, dir } = releaseTestSetup("matrix-warmup-copying-hostile", { afterAll });
const indexDir = join(dir, "index");
if (process.env.DEBUG_LOG) process.env.CTXC_OPENCLAW_LOG = process.env.DEBUG_LOG;

let x: Intercepted | string = "not loaded";
beforeAll(async () => {
  if (!root) return;
  x = await importIntercepted(root, "loadEntriesFromFile");
  if (typeof x === "string") return;
  // 2026.6.9+ serves the snapshot open from the same chunk (test/matrix/restart-warmup.test.ts covers it there).
  if (!x.runtime.warmUpHelpers()?.copying) x = "the open is not 2026.5.28–6.8's copying loadEntriesFromFile";
  else {
    mkdirSync(indexDir, { mode: 0o700 });
    await x.runtime.configureOpenClawPool({ indexDir });
  }
});
afterAll(async () => {
  if (typeof x !== "string") await x.runtime.configureOpenClawPool({ indexDir: null });
});

/**
 * What else stock's `JSON.parse` objects show and a copy must too (besides test/support/hostile-corpus.ts
 * `difference`): never stock's own object, extensible / sealed / frozen alike, and each own property, once
 * read, a data property with stock's attributes (a copy-on-read field must have become one).
 */
function shapeDifference(a: object, b: object): string | null {
  if (a === b) return "the same object as stock's";
  const state = (o: object) => [Object.isExtensible(o), Object.isSealed(o), Object.isFrozen(o)].join();
  if (state(a) !== state(b)) return `extensible,sealed,frozen ${state(a)} vs ${state(b)}`;
  const shape = (o: object, k: string | symbol) => {
    const d = Object.getOwnPropertyDescriptor(o, k)!;
    return `${"value" in d ? "data" : "accessor"} ${d.writable} ${d.enumerable} ${d.configurable}`;
  };
  for (const k of Reflect.ownKeys(a)) if (shape(a, k) !== shape(b, k)) return `${String(k)} after a read: ${shape(a, k)} vs ${shape(b, k)}`;
  return null;
}

const expectSame = (at: string, ours: unknown, theirs: unknown) => expectSameAs(at, ours, theirs, (o, t) => difference(o, t, shapeDifference));

/**
 * What a caller may do to every object it got, at every level (iterative): scalars changed, arrays pushed
 * to and emptied, keys added, deleted and redefined as getters, some objects re-prototyped or frozen.
 */
function mutateEverywhere(entries: unknown[]): void {
  const stack: unknown[] = [entries];
  let n = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    n++;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (typeof v[i] === "object" && v[i] !== null) stack.push(v[i]);
        else v[i] = `changed ${i}`;
      }
      if (v !== entries) v.push({ pushed: n });
      if (n % 7 === 0 && v !== entries) v.splice(0);
      continue;
    }
    const o = v as Plain;
    for (const key of Object.keys(o)) {
      const m = o[key];
      if (typeof m === "object" && m !== null) stack.push(m);
      else o[key] = typeof m === "number" ? -m - 1 : `${String(m)} changed`;
    }
    o.added = { by: "mutator", n };
    if (n % 3 === 0) delete o[Object.keys(o)[0]!];
    if (n % 5 === 0) Object.defineProperty(o, "getter", { get: () => n, enumerable: true, configurable: true });
    if (n % 11 === 0) Object.setPrototypeOf(o, { inherited: true });
    if (n % 13 === 0) Object.freeze(o);
  }
}

const rawLine = (o: Plain) => line(o);
const toolCall = (id: string, parentId: string, args: unknown) =>
  rawLine({
    type: "message", id, parentId, timestamp: T,
    message: { role: "assistant", content: [{ type: "thinking", thinking: "t" }, { type: "toolCall", id: `c-${id}`, name: "exec", arguments: args }], api: "a", provider: "p", model: "m", stopReason: "toolUse", usage: { input: 3, output: 4, cacheRead: 0, cacheWrite: 0, totalTokens: 7, cost: { input: 0.1, output: 0.2, cacheRead: 0, cacheWrite: 0, total: 0.3 } }, timestamp: 2 },
  });
const toolResult = (id: string, parentId: string) =>
  rawLine({ type: "message", id, parentId, timestamp: T, message: { role: "toolResult", toolCallId: `c-${parentId}`, toolName: "exec", content: [{ type: "text", text: "out" }], details: { exit: 0, lines: [1, [2, [3]]] }, isError: false, timestamp: 3 } });
const wide = (n: number, nested: unknown) => Object.fromEntries(Array.from({ length: n }, (_, i) => [i % 2 ? `k${i}` : `${n - i}`, i % 9 === 0 ? nested : i]));

/** Files past what the corpus probes in the copy itself: the factories' limits, odd keys and numbers at every level. */
function copyCorpus(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const add = (name: string, lines: string[], end = "\n") => out.push({ name, text: lines.join("\n") + end });
  const base = [HEADER, rawLine({ type: "message", id: "u1", parentId: null, timestamp: T, message: { role: "user", content: "go", timestamp: 1 } })];
  add("tool calls with nested arguments and usage", [...base, toolCall("a1", "u1", { cmd: ["ls", { flags: ["-l", { deep: { deeper: [1, { x: null }] } }] }], env: {} }), toolResult("r1", "a1"), toolCall("a2", "r1", [])]);
  add("entries with more than 64 keys, at the top and nested", [...base, rawLine({ type: "custom", id: "w1", parentId: "u1", customType: "x", ...wide(80, { a: [1, { b: 2 }] }) }), rawLine({ type: "custom", id: "w2", parentId: "w1", customType: "x", data: wide(70, [{ c: wide(65, { d: 1 }) }]) }), rawLine({ type: "custom", id: "w3", parentId: "w2", customType: "x", data: wide(64, { e: [] }) })]);
  add("600 key layouts (past the compiled factories)", [...base, ...Array.from({ length: 600 }, (_, i) => rawLine({ type: "custom", id: `l${i}`, parentId: i ? `l${i - 1}` : "u1", customType: "x", [`only${i}`]: { v: [i, { [`k${i}`]: i }] } }))]);
  add("__proto__ and constructor keys at every level", [
    ...base,
    `{"type":"custom","id":"p1","parentId":"u1","customType":"x","data":{"constructor":{"__proto__":{"constructor":[{"__proto__":null}]}},"prototype":{"__proto__":[]}}}`,
    `{"__proto__":{"__proto__":{"x":1}},"type":"custom","id":"p2","parentId":"p1","constructor":{"prototype":{"constructor":1}}}`,
    `{"type":"message","id":"p3","parentId":"p2","timestamp":"${T}","message":{"role":"assistant","content":[{"type":"toolCall","id":"c","name":"n","arguments":{"__proto__":{"polluted":1},"constructor":"x"}}],"usage":{"__proto__":{"input":9}},"timestamp":1}}`,
  ]);
  add("unusual key orders and integer-like keys at every level", [...base, `{"parentId":"u1","id":"o1","customType":"x","type":"custom","9":1,"10":{"2":[{"1":{"0":"z","a":1}}],"b":{}},"-0":0,"4294967295":1,"4294967294":2}`]);
  add("numbers: -0, 1e21, big integers, at the top and nested", [...base, `{"type":"custom","id":"n1","parentId":"u1","customType":"x","z":-0,"big":12345678901234567890,"e":1e21,"f":-1e-7,"g":9007199254740993,"data":{"z":-0.0,"a":[-0,1e21,1E+21,123456789012345678901234567890,5e-324,1.7976931348623157e308]}}`]);
  add("duplicate ids and a duplicate header", [...base, rawLine({ type: "custom", id: "u1", parentId: "u1", customType: "dup", data: { a: 1 } }), HEADER, rawLine({ type: "message", id: "u1", parentId: null, timestamp: T, message: { role: "user", content: [{ type: "text", text: "again" }], timestamp: 2 } })]);
  add("torn tail: a complete last line without its newline", [...base, toolCall("a1", "u1", { q: 1 })], "");
  add("torn tail: half a line", [...base, toolCall("a1", "u1", { q: 1 }), toolCall("a2", "a1", { q: 2 }).slice(0, 40)], "");
  add("CRLF lines with nested values", [...base, toolCall("a1", "u1", { q: [1, 2] }), toolResult("r1", "a1")].map((l) => l + "\r"));
  add("header only", [HEADER]);
  out.push({ name: "empty file", text: "" });
  return out;
}

/** What the tests share: the loader pair, its runtime, and the two copies of a transcript. */
let n = 0;
const files = (text: string | Buffer): [string, string] => {
  const [a, b] = [resolve(dir, `h${++n}a.jsonl`), resolve(dir, `h${n}b.jsonl`)];
  writeFileSync(a, text);
  copyFileSync(a, b);
  return [a, b];
};

type Rt = Intercepted["runtime"];

/** Before the restart ctxc's worker read each of `paths` (saving its index); then the restart: a new pool on the same index, nothing kept. */
async function readThenRestart(rt: Rt, paths: string[]): Promise<void> {
  for (const p of paths) await rt.prepareSession(p);
  await rt.closeOpenClawPool();
  rt.restartedMainThread();
}

const candidate = (path: string) => ({ path, savedMs: 0, size: statSync(path).size });

/**
 * The first turn's loads and what follows, against stock: three loads from the turn's read (OpenClaw's
 * open loads twice), the first read deeply and compared, then mutated everywhere and reordered; the second
 * mutated unread (wreckEntries); the third read only after that; a next open after the prewarm; and an
 * open after an append. Returns how many of the first turn's loads continued the kept entries
 * (sessionsContinued).
 */
async function firstTurnAndAfter(x: Intercepted, a: string, b: string, at: string): Promise<number> {
  const rt = x.runtime;
  const prewarm = rt.wrapPrewarm(async () => {});
  const open = async (label: string): Promise<unknown[] | undefined> => {
    // A later turn: the earlier open's read has been let go (releaseAfterOpen, a macrotask after the open).
    await new Promise((done) => setImmediate(done));
    await prewarm(a);
    const ours = x.ctxc(a) as unknown[];
    expectSame(`${at}: ${label}`, ours, x.openclaw(b));
    return ours;
  };
  const continued = rt.counters.sessionsContinued;
  await prewarm(a);
  const [first, second, third] = [x.ctxc(a) as unknown[], x.ctxc(a) as unknown[], x.ctxc(a) as unknown[]];
  const firstTurn = rt.counters.sessionsContinued - continued;
  const stock = x.openclaw(b);
  expectSame(`${at}: first open`, first, stock);
  mutateEverywhere(first);
  first.reverse().splice(1, 2, { spliced: true });
  if (Array.isArray(second)) {
    wreckEntries(second.filter((e) => typeof e === "object" && e !== null && !Array.isArray(e)) as Plain[]);
    second.push({ leaked: true });
  }
  // Handed out before the mutations, read only after them: still stock's.
  expectSame(`${at}: the first turn's third copy, read after the others were mutated`, third, stock);
  mutateEverywhere(await open("next open, after the mutations") ?? []);
  appendFileSync(a, `${toolCall("after", "u1", { appended: [1, { x: 2 }] })}\n`);
  appendFileSync(b, `${toolCall("after", "u1", { appended: [1, { x: 2 }] })}\n`);
  await open("open after an append");
  return firstTurn;
}

const skip = () => (typeof x === "string" ? x : "");

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the 2026.5.28–6.8 open after the restart warm-up vs the release's own loadEntriesFromFile`, () => {
  it("hostile bytes and entries past the factories: every open equals stock's at every level, and no mutation reaches a later open or an unread copy", { timeout: 600_000 }, async (ctx) => {
    if (skip()) return ctx.skip(skip());
    const X = x as Intercepted;
    const rt = X.runtime;
    const [warmed, failed]: string[][] = [[], []];
    for (const c of [...hostileCorpus(), ...copyCorpus()]) {
      const [a, b] = files(c.text);
      await readThenRestart(rt, [a]);
      await rt.runRestartWarmUp([candidate(a)], rt.warmUpHelpers()!);
      if (rt.warmUpStats.failed > 0) failed.push(c.name);
      if (rt.warmUpStats.warmedUp === 1) warmed.push(c.name);
      const first = await firstTurnAndAfter(X, a, b, c.name);
      // Served from what the warm-up built (continued, or adopted for a whole read of the same file).
      if (rt.warmUpStats.warmedUp === 1) expect(first, `${c.name}: the first turn's loads that continued the warm-up's entries`).toBeGreaterThan(0);
    }
    // Not vacuous: every file ctxc serves whole with a version-3 header (the only one ctxc keeps entries for) was warmed.
    const expected = [...SERVED].filter((s) => s !== "header with version 3 as a string");
    expect(warmed.filter((w) => SERVED.has(w)).sort()).toEqual(expected.sort());
    // A build that throws (a value too deep for the deep freeze) is counted, and its open falls back to OpenClaw's read as without the warm-up.
    expect(failed.filter((f) => SERVED.has(f) || copyCorpus().some((c) => c.name === f)), "failed builds of files ctxc serves").toEqual([]);
    expect(warmed, "the copy corpus warmed (a torn half line is refused: OpenClaw decides)").toEqual(expect.arrayContaining(copyCorpus().map((c) => c.name).filter((c) => c !== "torn tail: half a line" && c !== "empty file")));
  });

  it("the file changed between the worker read and the build, or between the build and the open: appended (whole lines, a line without its newline, half a line), replaced by one of the same size and mtime, rewritten in place with the mtime put back, truncated to its header, emptied", async (ctx) => {
    if (skip()) return ctx.skip(skip());
    const X = x as Intercepted;
    const rt = X.runtime;
    const text = generatedTranscript({ seed: 31, entries: 160, branchProbability: 0.15, compactions: 1, includeAllEntryTypes: true, unicode: "heavy", erroredEmptyContent: false }).text;
    const mtimeBack = (p: string, st: { atime: Date; mtime: Date }) => utimesSync(p, st.atime, st.mtime);
    const flip = (s: string) => {
      const at = s.indexOf('"id":"', s.length >> 1) + 6;
      return s.slice(0, at) + (s[at] === "Z" ? "Y" : "Z") + s.slice(at + 1);
    };
    const changes: Record<string, (p: string) => void> = {
      appended: (p) => appendFileSync(p, `${toolCall("mid", "u1", { k: [1] })}\n`),
      "replaced by a file of the same size and mtime": (p) => {
        const st = statSync(p);
        writeFileSync(`${p}.new`, flip(readFileSync(p, "utf8")));
        mtimeBack(`${p}.new`, st);
        renameSync(`${p}.new`, p);
      },
      "rewritten in place, same size, mtime put back": (p) => {
        const st = statSync(p);
        writeFileSync(p, flip(readFileSync(p, "utf8")));
        mtimeBack(p, st);
      },
      "appended a complete line without its newline": (p) => appendFileSync(p, toolCall("torn", "u1", { k: 1 })),
      "appended half a line": (p) => appendFileSync(p, toolCall("torn", "u1", { k: 1 }).slice(0, 50)),
      "truncated to its header": (p) => writeFileSync(p, `${readFileSync(p, "utf8").split("\n")[0]}\n`),
      emptied: (p) => writeFileSync(p, ""),
    };
    for (const [name, change] of Object.entries(changes)) {
      // Between the worker read and the build: the change lands as the warm-up's read settles, its build (a macrotask later) builds the read.
      {
        const [a, b] = files(text);
        utimesSync(a, 1767600000, 1767600000);
        await readThenRestart(rt, [a]);
        const warming = rt.runRestartWarmUp([candidate(a)], rt.warmUpHelpers()!);
        await rt.readSettled(a);
        change(a);
        change(b);
        await warming;
        expect(rt.warmUpStats.warmedUp, `${name} between the read and the build: built`).toBe(1);
        const first = await firstTurnAndAfter(X, a, b, `${name} between the read and the build`);
        expect(first > 0, `${name} between the read and the build: the first turn continued the warm-up's entries`).toBe(name.startsWith("appended a") || name === "appended");
      }
      // Between the build and the open.
      {
        const [a, b] = files(text);
        utimesSync(a, 1767600000, 1767600000);
        await readThenRestart(rt, [a]);
        await rt.runRestartWarmUp([candidate(a)], rt.warmUpHelpers()!);
        expect(rt.warmUpStats.warmedUp, name).toBe(1);
        change(a);
        change(b);
        const first = await firstTurnAndAfter(X, a, b, `${name} between the build and the open`);
        // Only an append is continued from the warm-up's entries; a changed file is read and decoded anew.
        expect(first > 0, `${name} between the build and the open: the first turn continued the warm-up's entries`).toBe(name.startsWith("appended a") || name === "appended");
      }
    }
  });

  it("two transcripts sharing one index file, the entry cache's bound reached in the middle of the warm-up, and the warm-up racing real opens", async (ctx) => {
    if (skip()) return ctx.skip(skip());
    const X = x as Intercepted;
    const rt = X.runtime;
    const gen = (seed: number) => generatedTranscript({ seed, entries: 120, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "mixed", erroredEmptyContent: false }).text;
    // One index file standing for two transcripts: the second's is a copy of the first's.
    {
      const [a1, b1] = files(gen(41));
      const [a2, b2] = files(gen(42));
      await readThenRestart(rt, [a1, a2]);
      copyFileSync(sessionIndexFile(indexDir, a1), sessionIndexFile(indexDir, a2));
      await rt.runRestartWarmUp([candidate(a1), candidate(a2)], rt.warmUpHelpers()!);
      await firstTurnAndAfter(X, a2, b2, "an index file copied from another transcript's");
      await firstTurnAndAfter(X, a1, b1, "the transcript whose index file was copied");
    }
    // The entry cache's bound reached in the middle of the warm-up: what no longer fits is passed over, nothing
    // evicted — neither what the warm-up built nor what a real first turn kept meanwhile (before the check, the
    // warm-up's build dropped the real turn's entries: its next turn read and decoded the whole file again).
    {
      const limit = rt.entryCache.entryCacheLimit();
      const texts = [gen(43), gen(44), gen(45), gen(50)];
      const pairs = texts.map((t) => files(t));
      const [first, second, third, real] = pairs.map(([a]) => a) as [string, string, string, string];
      try {
        await readThenRestart(rt, pairs.map(([a]) => a));
        // Room for the real turn's, the first's and the second's entries, one byte short for the third's.
        rt.entryCache.setEntryCacheLimit(texts.reduce((n, t) => n + t.length, 0) - 1);
        // A real first turn on another transcript, started after the warm-up's selection.
        await rt.wrapPrewarm(async () => {})(real);
        X.ctxc(real);
        await new Promise((done) => setImmediate(done));
        await rt.runRestartWarmUp([first, second, third].map(candidate), rt.warmUpHelpers()!);
        const held = [first, second, third, real].map((p) => rt.entryCache.holdsCachedEntries(p));
        expect(held, "held: the first two warmed, the third passed over, the real turn's kept").toEqual([true, true, false, true]);
        expect([rt.warmUpStats.warmedUp, rt.warmUpStats.skipped], "warmed, skipped").toEqual([2, 1]);
        for (const [i, [a, b]] of pairs.entries()) await firstTurnAndAfter(X, a, b, `entry cache bound reached, transcript ${i}`);
      } finally {
        rt.entryCache.setEntryCacheLimit(limit);
      }
    }
    // Real opens on other transcripts (and on one the warm-up is about to take) while the warm-up runs.
    {
      const pairs = [46, 47, 48, 49].map((s) => files(gen(s)));
      await readThenRestart(rt, pairs.map(([a]) => a));
      const warming = rt.runRestartWarmUp(pairs.slice(0, 3).map(([a]) => candidate(a)), rt.warmUpHelpers()!);
      const racing = [pairs[3]!, pairs[1]!].map(([a, b], i) => firstTurnAndAfter(X, a, b, `a real open racing the warm-up (${i})`));
      await Promise.all([warming, ...racing]);
      for (const [i, [a, b]] of [pairs[0]!, pairs[2]!].entries()) await firstTurnAndAfter(X, a, b, `warmed beside the racing opens (${i})`);
    }
  });
});
