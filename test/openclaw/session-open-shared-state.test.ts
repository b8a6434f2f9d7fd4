/**
 * What 2026.5.12's served open shares between opens and what it builds per open (buffer-entries.ts,
 * pi-index.ts), against pi 0.74's own `SessionManager.open` and `_buildIndex` — and the same mutation and
 * invisibility checks for 2026.5.28–6.8's copies of the frozen kept entries (lazy-entries.ts; both from
 * entry-factory.ts):
 * - the per-buffer state every open reads (decoded scalars, index roles, id strings, factories and their
 *   shared accessors) is never changed by what a caller does to its entries: every field of every entry
 *   of open N rewritten, deleted, read and deep-mutated, entries frozen, pi's maps cleared — open N+1
 *   still equals pi's own open of the same file;
 * - the lazy members' state lives in private fields: no own key, symbol or prototype differs from
 *   `JSON.parse`'s object; a frozen or sealed entry still returns one object per member;
 * - the index built in the entries' pass equals pi's `_buildIndex` on every shape of line (labels set and
 *   cleared, escaped and non-string types and ids, missing members, duplicate ids, a mid-file header),
 *   and a pi whose `_buildIndex` is not 0.74's gets its own run.
 */
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { SessionManager } from "@earendil-works/pi-coding-agent";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { entriesFromBuffer } from "../../src/openclaw/buffer-entries.js";
import { deepFreeze } from "../../src/openclaw/entry-cache.js";
import { freshEntries } from "../../src/openclaw/lazy-entries.js";
import { closeOpenClawPool } from "../../src/openclaw/index.js";
import { emptyIndex, servesPiIndex } from "../../src/openclaw/pi-index.js";
import { decodeSession } from "../../src/openclaw/session.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";
import { wreckEntries } from "../support/wreck-entries.js";

const dir = tempDir("oc-shared-state");
process.env.CTXC_OPENCLAW_PRELOAD = "off";
process.env.CTXC_OPENCLAW_LOG = join(dir, "preload.log");
const runtime = await import("../../src/openclaw/preload-runtime.js");
afterAll(() => closeOpenClawPool());

const Wrapped = runtime.wrapSessionManager(SessionManager);
const prewarm = runtime.wrapPrewarm(async () => {});
type SM = SessionManager;
type Plain = Record<string, unknown>;

const fileOf = tempFileWriter(dir, "s");
let n = 0; // the stock copies' names
const linesOf = (path: string) => readFileSync(path, "utf8").split("\n").filter((l) => l !== "");

/** What pi's index holds, as plain data: ids (JSON, for object ids), the entry each maps to, labels, leaf. */
function indexState(sm: SM) {
  const s = sm as unknown as { byId: Map<unknown, unknown>; labelsById: Map<unknown, unknown>; labelTimestampsById: Map<unknown, unknown>; leafId: unknown };
  return {
    byId: [...s.byId].map(([k, v]) => [JSON.stringify(k) ?? "undefined", JSON.stringify(v)]),
    labels: [...s.labelsById].map(([k, v]) => [JSON.stringify(k) ?? "undefined", v]),
    labelTimes: [...s.labelTimestampsById].map(([k, v]) => [JSON.stringify(k) ?? "undefined", v]),
    leaf: JSON.stringify(s.leafId) ?? "undefined",
  };
}

/** Everything a caller reads from the manager, as plain data. */
function state(sm: SM) {
  return {
    header: sm.getHeader(),
    entries: sm.getEntries(),
    branch: sm.getBranch(),
    context: sm.buildSessionContext(),
    tree: sm.getTree(),
    name: sm.getSessionName(),
    index: indexState(sm),
  };
}

/** Does to open N's entries and pi's maps everything a caller could (test/support/wreck-entries.ts). */
function wreck(sm: SM): void {
  wreckEntries([sm.getHeader(), ...sm.getEntries()] as unknown as Plain[]);
  const s = sm as unknown as { byId: Map<unknown, unknown>; labelsById: Map<unknown, unknown>; labelTimestampsById: Map<unknown, unknown> };
  s.byId.clear();
  s.labelsById.set("x", "y");
  s.labelTimestampsById.clear();
}

/** The lazy members' state is out of sight: own keys, symbols, prototype and deep equality are `JSON.parse`'s of `lineList`. */
function expectInvisible(ours: readonly object[], lineList: string[]): void {
  const theirs = lineList.map((l) => JSON.parse(l) as Plain);
  expect(ours.some((e) => typeof Object.getOwnPropertyDescriptor(e, "message")?.get === "function")).toBe(true);
  ours.forEach((e, i) => {
    expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
    expect(Reflect.ownKeys(e)).toEqual(Reflect.ownKeys(theirs[i]!));
    expect(Object.getOwnPropertySymbols(e)).toEqual([]);
    expect(isDeepStrictEqual(e, theirs[i])).toBe(true);
  });
}

/**
 * A frozen or sealed entry returns one object per lazy member, a sealed one takes assignments; an
 * inheriting receiver reads the entry's; a trap-less Proxy is refused by name (`entries`: one open's, of `lineList`).
 */
function expectHolders(entries: Plain[], lineList: string[]): void {
  const lines = new Map(lineList.map((l) => [(JSON.parse(l) as { id: string }).id, JSON.parse(l) as Plain]));
  const messages = entries.filter((e) => e.type === "message");
  expect(messages.length).toBeGreaterThan(4);
  const [frozen, sealed, inherited, proxied] = messages;
  Object.freeze(frozen);
  Object.seal(sealed);
  for (const e of [frozen!, sealed!]) {
    const m = e.message;
    expect(m).toEqual(lines.get(e.id as string)!.message);
    expect(e.message).toBe(m);
    expect(typeof Object.getOwnPropertyDescriptor(e, "message")?.get).toBe("function");
  }
  // As on stock's objects: a frozen entry's member cannot be assigned (strict mode throws), a sealed one's can.
  expect(() => {
    "use strict";
    frozen!.message = 1;
  }).toThrow(TypeError);
  sealed!.message = { replaced: true };
  expect(sealed!.message).toEqual({ replaced: true });
  expect(JSON.parse(JSON.stringify(sealed))).toEqual({ ...lines.get(sealed!.id as string)!, message: { replaced: true } });
  // Sealed before any read: the assignment still wins over the bytes.
  const sealedFirst = messages[4]!;
  Object.seal(sealedFirst);
  sealedFirst.message = "set before read";
  expect(sealedFirst.message).toBe("set before read");
  const child = Object.create(inherited!) as Plain;
  expect(child.message).toEqual(lines.get(inherited!.id as string)!.message);
  expect(inherited!.message).toBe(child.message);
  expect(() => new Proxy(proxied!, {}).message).toThrow(/"message" read through a receiver that is not the entry/);
  // The entry itself is unaffected by the refused read.
  expect(proxied!.message).toEqual(lines.get(proxied!.id as string)!.message);
}

describe("2026.5.12 served open: shared per-buffer state vs what each open builds", () => {
  it("whatever open N's caller does to its entries and maps, open N+1 equals pi's own open of the same file", async () => {
    const t = generateTranscript({ seed: 31, entries: 160, branchProbability: 0.15, compactions: 3, includeAllEntryTypes: true, unicode: "mixed" });
    const a = fileOf(t.text);
    const b = join(dir, `s${++n}-stock.jsonl`);
    copyFileSync(a, b);
    let parent = (JSON.parse(linesOf(a).at(-1)!) as { id: string }).id;
    for (let turn = 0; turn < 6; turn++) {
      if (turn > 0) {
        const id = `turn${turn}`;
        const line = JSON.stringify({ type: "message", id, parentId: parent, timestamp: "2026-02-01T00:00:00.000Z", message: { role: "user", content: [{ type: "text", text: `ünï ${turn}` }], timestamp: turn } });
        appendFileSync(a, line + "\n");
        appendFileSync(b, line + "\n");
        parent = id;
      }
      const continued = runtime.counters.sessionsContinued;
      const fallbacks = runtime.counters.fallbacks;
      await prewarm(a);
      const ours = Wrapped.open(a);
      expect(runtime.counters.fallbacks, `turn ${turn}`).toBe(fallbacks);
      // From the second turn on the open builds from the kept buffers (the state under test) plus the new one.
      expect(runtime.counters.sessionsContinued, `turn ${turn}`).toBe(continued + (turn > 0 ? 1 : 0));
      expect([ours.getHeader(), ...ours.getEntries()].map((e) => JSON.stringify(e)), `turn ${turn}`).toEqual(linesOf(a));
      expect(state(ours), `turn ${turn}`).toEqual(state(SessionManager.open(b)));
      wreck(ours);
    }
  });

  it("keeps the lazy members' state out of sight: own keys, symbols, prototype and deep equality are JSON.parse's", async () => {
    const t = generateTranscript({ seed: 32, entries: 60, compactions: 1, includeAllEntryTypes: true });
    const a = fileOf(t.text);
    await prewarm(a);
    const sm = Wrapped.open(a);
    expectInvisible([sm.getHeader()!, ...sm.getEntries()], linesOf(a));
  });

  it("a frozen or sealed entry returns one object per lazy member, a sealed one takes assignments; an inheriting receiver reads the entry's; a trap-less Proxy is refused by name", async () => {
    const t = generateTranscript({ seed: 33, entries: 40, compactions: 0 });
    const a = fileOf(t.text);
    await prewarm(a);
    expectHolders(Wrapped.open(a).getEntries() as unknown as Plain[], linesOf(a));
  });
});

describe("2026.5.28–6.8 served open (lazy-entries.ts: fresh copies of the frozen kept entries): the same guarantees", () => {
  // What loadEntriesFromFile hands out per call (preload-runtime.ts: freshEntries of kept-entries.ts's
  // frozen entries); the release's own function against it: test/matrix/interceptions.test.ts.
  const lineList = generateTranscript({ seed: 35, entries: 160, branchProbability: 0.15, compactions: 3, includeAllEntryTypes: true, unicode: "mixed" }).text.trim().split("\n");
  const kept = lineList.map((l) => deepFreeze(JSON.parse(l) as Plain));

  it("whatever call N's caller does to its entries, call N+1 equals JSON.parse of the lines, and the kept entries are untouched", () => {
    for (let call = 0; call < 4; call++) {
      const ours = freshEntries(kept) as Plain[];
      expect(ours, `call ${call}`).toStrictEqual(lineList.map((l) => JSON.parse(l) as unknown));
      expect(ours.map((e) => JSON.stringify(e)), `call ${call}`).toEqual(lineList);
      // Every entry a new object, and every object-valued field read a new one too.
      ours.forEach((e, i) => {
        expect(e).not.toBe(kept[i]);
        for (const key of Object.keys(e)) if (typeof e[key] === "object" && e[key] !== null) expect(e[key]).not.toBe(kept[i]![key]);
      });
      wreckEntries(freshEntries(kept) as Plain[]);
      wreckEntries(ours);
    }
    expect(kept.map((e) => JSON.stringify(e))).toEqual(lineList);
  });

  it("keeps the lazy members' state out of sight: own keys, symbols, prototype and deep equality are JSON.parse's", () => {
    expectInvisible(freshEntries(kept) as object[], lineList);
  });

  it("a frozen or sealed entry returns one object per lazy member, a sealed one takes assignments; an inheriting receiver reads the entry's; a trap-less Proxy is refused by name", () => {
    expectHolders(freshEntries(kept) as Plain[], lineList);
  });
});

describe("pi's index built in the entries' pass (pi-index.ts) vs pi 0.74's _buildIndex", () => {
  const HEADER = '{"type":"session","version":3,"id":"h","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';
  const LINES = [
    '{"type":"message","id":"a1","parentId":null,"timestamp":"t1","message":{"role":"user","content":"hi"}}',
    '{"type":"message","id":"a2","parentId":"a1","timestamp":"t2","message":{"role":"assistant","content":[]}}',
    '{"type":"label","id":"l1","parentId":"a2","timestamp":"t3","targetId":"a1","label":"first"}',
    '{"type":"label","id":"l2","parentId":"l1","timestamp":"t4","targetId":"a2","label":"second"}',
    '{"type":"label","id":"l3","parentId":"l2","timestamp":"t5","targetId":"a1","label":""}',
    '{"type":"lab\\u0065l","id":"l4","parentId":"l3","timestamp":"t6","targetId":"a2","label":"escaped type"}',
    '{"type":"label","id":"l5","parentId":"l4","timestamp":"t7","targetId":{"o":1},"label":{"not":"a string"}}',
    '{"type":"message","id":"\\u00e9scaped","parentId":"l5","timestamp":"t8","message":{"role":"user","content":"x"}}',
    '{"type":"custom","id":17,"parentId":"a2","timestamp":"t9","customType":"n","data":{}}',
    '{"type":"custom","id":null,"parentId":"a2","timestamp":"t10","customType":"n","data":[]}',
    '{"type":"custom","id":{"obj":true},"parentId":"a2","timestamp":"t11","customType":"n"}',
    '{"type":"custom","parentId":"a2","timestamp":"t12","customType":"no id"}',
    '{"id":"notype","parentId":"a2","timestamp":"t13"}',
    '{"type":{"odd":1},"id":"objtype","parentId":"a2"}',
    '{"type":"message","id":"a1","parentId":"a2","timestamp":"t14","message":{"role":"user","content":"duplicate id"}}',
    '{"type":"session","version":3,"id":"h2","timestamp":"t15","cwd":"/mid-file"}',
    '{"type":"message","id":"last","parentId":"a1","timestamp":"t16","message":{"role":"user","content":"leaf"},"type":"label"}',
  ];

  it("gives pi's byId (the same entry objects), labels, label timestamps and leaf on every shape of line", () => {
    for (let cut = 1; cut <= LINES.length; cut++) {
      const file = join(dir, `ix${++n}.jsonl`);
      writeFileSync(file, [HEADER, ...LINES.slice(0, cut)].join("\n") + "\n");
      const ix = emptyIndex();
      const ours = entriesFromBuffer(decodeSession(encodeSessionBuffer(file)), ix);
      const pi = SessionManager.inMemory("/w");
      // pi's private members, set and run as its own open does.
      const piOwn = pi as unknown as { fileEntries: unknown[]; _buildIndex(): void; byId: Map<unknown, unknown> };
      piOwn.fileEntries = ours.map((e) => JSON.parse(JSON.stringify(e)) as unknown);
      piOwn._buildIndex();
      const served = SessionManager.inMemory("/w") as unknown as Plain & SM;
      Object.assign(served, { fileEntries: ours, ...ix });
      expect(indexState(served), `${cut} lines`).toEqual(indexState(pi));
      // The values are this open's entries, at the positions pi's map holds.
      const at = (m: Map<unknown, unknown>, list: unknown[]) => [...m.values()].map((v) => list.indexOf(v));
      expect(at(ix.byId, ours), `${cut} lines`).toEqual(at(piOwn.byId, piOwn.fileEntries));
    }
  });

  it("over the kept buffers plus each turn's appended one (indexed buffer by buffer), equals pi's own open as the file grows by every shape of line", async () => {
    // The mid-file header is left out: with it ctxc steps aside (pi's open runs), so it tests nothing here.
    const grown = LINES.filter((l) => !l.includes('"cwd":"/mid-file"'));
    const a = fileOf(HEADER + "\n");
    for (const [i, line] of grown.entries()) {
      appendFileSync(a, line + "\n");
      const served = runtime.counters.sessionsServed;
      const continued = runtime.counters.sessionsContinued;
      await prewarm(a);
      const ours = Wrapped.open(a);
      expect(runtime.counters.sessionsServed, `line ${i}`).toBe(served + 1);
      // Every open after the first builds from more than one buffer: the per-buffer pass is what runs.
      if (i > 0) expect(runtime.counters.sessionsContinued, `line ${i}`).toBe(continued + 1);
      const b = join(dir, `ix${++n}-stock.jsonl`);
      copyFileSync(a, b);
      const stock = SessionManager.open(b);
      expect(indexState(ours), `line ${i}`).toEqual(indexState(stock));
      // byId's values are this open's own entries, at the file positions pi's map holds.
      const own = ours as unknown as { fileEntries: unknown[]; byId: Map<unknown, unknown> };
      const theirs = stock as unknown as { fileEntries: unknown[]; byId: Map<unknown, unknown> };
      const at = (sm: typeof own) => [...sm.byId.values()].map((v) => sm.fileEntries.indexOf(v));
      expect(at(own), `line ${i}`).toEqual(at(theirs));
    }
  });

  it("recognises pi 0.74's _buildIndex only: another pi's open is indexed by its own method", async () => {
    expect(servesPiIndex(SessionManager.prototype)).toBe(true);
    let ran = 0;
    // Another pi's subclass, as JavaScript writes it: pi's .d.ts marks the constructor and _buildIndex
    // private, so the class is extended through a constructor type with pi's statics (open) kept.
    const PiBase = SessionManager as unknown as Omit<typeof SessionManager, "prototype"> & (new () => { _buildIndex(): void });
    class OtherPi extends PiBase {
      override _buildIndex(): void {
        ran++;
        super._buildIndex();
      }
    }
    expect(servesPiIndex(OtherPi.prototype)).toBe(false);
    const a = fileOf(generateTranscript({ seed: 34, entries: 30, compactions: 0 }).text);
    await prewarm(a);
    const served = runtime.wrapSessionManager(OtherPi).open(a);
    expect(ran).toBe(1);
    expect(state(served)).toEqual(state(SessionManager.open(a)));
  });
});
