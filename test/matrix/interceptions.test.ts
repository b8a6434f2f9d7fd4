/**
 * Differential tests of every interception the preload serves for ONE OpenClaw release — the one at
 * `CTXC_OPENCLAW_ROOT` (the matrix runner sets it, with the Node that release requires) — against that
 * release's own functions: the chunk is located and rewritten exactly as the preload serves it
 * (test/support/openclaw-release.ts), and ctxc's delegate and OpenClaw's original body run on copies of
 * the same generated transcripts (branched, compacted, every entry type, heavy unicode, v2 headers,
 * every kind of damage, torn tails, files growing between calls). Without the variable (the normal
 * Node-20 suite) everything here is skipped. `CTXC_WIDE_SEEDS=<first>:<count>` adds, per seed, a generated
 * transcript of varied options and every kind of damage of it to the corpus (100:20 passed on 2026.7.35 and
 * 2026.5.12 on 2026-12-07; a kind of damage the generator cannot make of a small transcript is left out).
 */
import { appendFileSync, copyFileSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DAMAGE_KINDS, damage } from "../../bench/fixtures/transcript-generator.js";
import { generatedTranscript, wideCorpus } from "../support/generated.js";
import { importIntercepted, importInterceptedAll, releaseTestSetup, type Intercepted } from "../support/openclaw-release.js";
import { wreckEntries } from "../support/wreck-entries.js";
import { deepFreeze } from "../../src/openclaw/entry-cache.js";
import { rememberFrozenEntries, type RememberHelpers } from "../../src/openclaw/release/remember-frozen.js";

const { root, version, dir, pair } = releaseTestSetup("matrix-interceptions", { afterAll });
/** Numbers the fresh copies OpenClaw parses for comparison. */
let n = 0;

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const HEADER = line({ type: "session", version: 3, id: "s-1", timestamp: "2026-01-05T08:00:00.000Z", cwd: "/w" });

/** Transcripts ctxc must answer exactly (clean), and ones where it must step aside (the original runs). */
function corpus(): { name: string; text: string | Buffer; clean: boolean }[] {
  const out: { name: string; text: string | Buffer; clean: boolean }[] = [];
  for (const seed of [1, 2, 3]) {
    out.push({ name: `generated ${seed}`, clean: true, text: generatedTranscript({ seed, entries: 160, branchProbability: 0.15, compactions: 2, includeAllEntryTypes: true, unicode: seed === 3 ? "heavy" : "mixed" }).text });
  }
  // Nothing for OpenClaw's repair pass to change (the ones above have errored assistant turns it rewrites).
  out.push({ name: "generated, nothing to repair", clean: true, text: generatedTranscript({ seed: 1, entries: 160, branchProbability: 0.15, compactions: 2 }).text });
  out.push({ name: "v2 header (migrated by OpenClaw)", clean: false, text: generatedTranscript({ seed: 4, entries: 60, headerVersion: 2 }).text });
  out.push({ name: "header only", clean: true, text: HEADER + "\n" });
  out.push({ name: "no final newline", clean: true, text: HEADER + "\n" + line({ type: "custom", id: "a", parentId: null, customType: "x" }) });
  out.push({ name: "blank lines", clean: true, text: `\n${HEADER}\n\n  \n${line({ type: "custom", id: "a", parentId: null, customType: "x" })}\n\n` });
  out.push({ name: "empty", clean: false, text: "" });
  // Shapes 2026.7.1+ normalises on load (string content of assistant / tool results, object tool-result content).
  out.push({
    name: "legacy content shapes",
    clean: true,
    text: [
      HEADER,
      line({ type: "message", id: "u", parentId: null, timestamp: "t", message: { role: "user", content: "q" } }),
      line({ type: "message", id: "a", parentId: "u", timestamp: "t", message: { role: "assistant", content: "plain answer" } }),
      line({ type: "message", id: "r", parentId: "a", timestamp: "t", message: { role: "toolResult", toolCallId: "c", content: "out" } }),
      line({ type: "message", id: "o", parentId: "r", timestamp: "t", message: { role: "toolResult", toolCallId: "d", content: { type: "text", text: "obj" } } }),
    ].join("\n") + "\n",
  });
  const base = generatedTranscript({ seed: 5, entries: 80, branchProbability: 0.1, compactions: 1 }).text;
  DAMAGE_KINDS.forEach((kind, i) => out.push({ name: `damaged: ${kind}`, clean: false, text: damage(base, kind, 50 + i) }));
  for (const c of wideCorpus()) out.push({ name: c.name, clean: c.damage === undefined, text: c.text });
  return out;
}

type Entries = Record<string, unknown>[];

/**
 * OpenClaw's parse of a fresh copy of `path` (a new path: its own cache cannot answer), checked to be what
 * ctxc's open returned (`ours`: entries, which are frozen, snapshot size) and what stock's open of `b` (the
 * same history) returns; returns OpenClaw's.
 */
function expectFreshParse(openclaw: (p: string) => unknown, name: string, ours: { entries: Entries; snapshot?: { size: bigint } }, path: string, b: string): { entries: Entries } {
  const fresh = join(dir, `fresh${++n}.jsonl`);
  copyFileSync(path, fresh);
  const theirs = openclaw(fresh) as { entries: Entries; snapshot?: { size: bigint } };
  expect(ours.entries, name).toEqual(theirs.entries);
  expect(ours.entries.map((e) => Object.isFrozen(e)), name).toEqual(theirs.entries.map((e) => Object.isFrozen(e)));
  expect(ours.snapshot?.size, name).toBe(theirs.snapshot?.size);
  expect((openclaw(b) as { entries: Entries }).entries, name).toEqual(theirs.entries);
  return theirs;
}

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: ctxc's interceptions vs the release's own functions`, () => {
  it("loadEntriesFromFile: the same entries as OpenClaw's parse, fresh objects each call; damaged files left to OpenClaw", async (ctx) => {
    const x = await importIntercepted(root!, "loadEntriesFromFile");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    for (const c of corpus()) {
      const [a, b] = pair(c.text);
      await rt.prepareSession(a);
      const served = rt.counters.sessionsServed;
      const ours = x.ctxc(a) as Entries;
      expect(ours, c.name).toEqual(x.openclaw(b));
      // Served exactly when the file is one ctxc reads as OpenClaw does (a damaged one may still be, e.g. a
      // duplicate line: then the equality above is the proof).
      if (c.clean) expect(rt.counters.sessionsServed, c.name).toBe(served + 1);
      if (rt.counters.sessionsServed > served && ours.length > 1) {
        // Nothing OpenClaw mutates leaks into the next call.
        (ours[1] as Record<string, unknown>).mutated = true;
        expect((x.ctxc(a) as Entries)[1]!.mutated, c.name).toBeUndefined();
      }
    }
  });

  it("loadEntriesFromFile as the file grows: fresh copies of ctxc's kept entries equal OpenClaw's parse (own keys, prototype, deep equality), only the appended lines decoded, nothing a call changed (written, deleted, frozen, sealed) reaches the next", async (ctx) => {
    const x = await importIntercepted(root!, "loadEntriesFromFile");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    const text = generatedTranscript({ seed: 9, entries: 200, branchProbability: 0.15, compactions: 2, includeAllEntryTypes: true, unicode: "heavy" }).text;
    const [a, b] = pair(text);
    let parent = (JSON.parse(text.trim().split("\n").at(-1)!) as { id: string }).id;
    for (let turn = 0; turn < 5; turn++) {
      await rt.prepareSession(a);
      const continued = rt.counters.sessionsContinued;
      const served = rt.counters.sessionsServed;
      const ours = x.ctxc(a) as Entries;
      expect(rt.counters.sessionsServed, `turn ${turn}`).toBe(served + 1);
      expect(rt.counters.sessionsContinued, `turn ${turn}`).toBe(continued + (turn > 0 ? 1 : 0));
      const theirs = x.openclaw(b) as Entries;
      expect(ours, `turn ${turn}`).toStrictEqual(theirs);
      expect(ours.map((e) => JSON.stringify(e)), `turn ${turn}`).toEqual(theirs.map((e) => JSON.stringify(e)));
      // The lazy fields' state is out of sight: prototype, own keys and deep equality are the parse's.
      ours.forEach((e, i) => {
        expect(Object.getPrototypeOf(e), `turn ${turn}`).toBe(Object.prototype);
        expect(Reflect.ownKeys(e), `turn ${turn}`).toEqual(Reflect.ownKeys(theirs[i]!));
        expect(isDeepStrictEqual(e, theirs[i]), `turn ${turn}`).toBe(true);
      });
      // What OpenClaw (or a plugin) may do to the entries it owns — fields rewritten deep, assigned before
      // any read, deleted; entries frozen, sealed: none of it may reach the next call.
      wreckEntries(ours);
      const more = JSON.stringify({ type: "message", id: `grow${turn}`, parentId: parent, timestamp: "2026-01-05T09:00:00.000Z", message: { role: "user", content: [{ type: "text", text: `turn ${turn} ✓` }], timestamp: 1 } }) + "\n";
      parent = `grow${turn}`;
      appendFileSync(a, more);
      appendFileSync(b, more);
    }
  });

  it("loadEntriesFromFileWithSnapshot: same entries, snapshot and entry cache as OpenClaw's, also as the file grows", async (ctx) => {
    const x = await importIntercepted(root!, "loadEntriesFromFileWithSnapshot");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    const cache = x.helpers.sessionEntriesCache as Map<string, { entries: Entries; endsWithNewline: boolean; snapshot: { size: bigint } }>;
    type Loaded = { entries: Entries; snapshot?: { size: bigint } };
    const same = (name: string, a: string, b: string, ours: Loaded, theirs: Loaded) => {
      expect(ours.entries, name).toEqual(theirs.entries);
      expect(ours.entries.map((e) => Object.isFrozen(e)), name).toEqual(theirs.entries.map((e) => Object.isFrozen(e)));
      expect(ours.snapshot?.size, name).toBe(theirs.snapshot?.size);
      const [ca, cb] = [cache.get(resolve(a)), cache.get(resolve(b))];
      expect(ca === undefined, name).toBe(cb === undefined);
      if (ca && cb) {
        expect(ca.entries, name).toEqual(cb.entries);
        expect(ca.endsWithNewline, name).toBe(cb.endsWithNewline);
        expect(ca.snapshot.size, name).toBe(cb.snapshot.size);
      }
    };
    for (const c of corpus()) {
      const [a, b] = pair(c.text);
      await rt.prepareSession(a);
      const served = rt.counters.sessionsServed;
      same(c.name, a, b, x.ctxc(a) as Loaded, x.openclaw(b) as Loaded);
      if (c.clean) expect(rt.counters.sessionsServed, c.name).toBe(served + 1);
      // Unchanged file: OpenClaw's own cache answers (ctxc steps aside), on both sides the same.
      const cached = rt.counters.sessionsCached;
      same(`${c.name} again`, a, b, x.ctxc(a) as Loaded, x.openclaw(b) as Loaded);
      if (c.clean) expect(rt.counters.sessionsCached, c.name).toBe(cached + 1);
    }
    // Growing between calls: each turn appends; the worker continues its read, OpenClaw re-parses.
    const [a, b] = pair(generatedTranscript({ seed: 9, entries: 120, branchProbability: 0.1, compactions: 1 }).text);
    let parent = (JSON.parse(readFileSync(a, "utf8").trim().split("\n").at(-1)!) as { id: string }).id;
    for (let i = 0; i < 4; i++) {
      const more = [0, 1].map((k) => {
        const id = `grow-${i}-${k}`;
        const l = line({ type: "message", id, parentId: parent, timestamp: "2026-01-05T09:00:00.000Z", message: { role: k ? "assistant" : "user", content: k ? [{ type: "text", text: `r${i}` }] : `q${i}` } });
        parent = id;
        return l + "\n";
      });
      appendFileSync(a, more.join(""));
      appendFileSync(b, more.join(""));
      await rt.prepareSession(a);
      const served = rt.counters.sessionsServed;
      const [ours, theirs] = [x.ctxc(a) as Loaded, x.openclaw(b) as Loaded];
      same(`grown ${i}`, a, b, ours, theirs);
      expect(rt.counters.sessionsServed).toBe(served + 1);
      // The caller owns the array it is handed (stock: a copy of its cache's; ctxc hands out no array it keeps):
      // editing it reaches neither OpenClaw's cache nor ctxc's kept entries, which the next turn's open continues.
      for (const got of [ours, theirs]) {
        got.entries.splice(1, 2);
        got.entries.push(got.entries[0]!);
        got.entries.reverse();
      }
      same(`grown ${i}, the caller's array edited`, a, b, ours, theirs);
    }
    // A torn tail appended after the worker read: the snapshot no longer matches, OpenClaw reads.
    appendFileSync(a, '{"type":"message","id":"torn"');
    appendFileSync(b, '{"type":"message","id":"torn"');
    same("torn after the read", a, b, x.ctxc(a) as Loaded, x.openclaw(b) as Loaded);
  });

  it("loadEntriesFromFileWithSnapshot: a file changing between opens — appended, torn then completed, rewritten in the middle, replaced, truncated — served as a fresh parse, only the appended lines decoded", async (ctx) => {
    const x = await importIntercepted(root!, "loadEntriesFromFileWithSnapshot");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    const entryCache = rt.entryCache;
    type Loaded = { entries: Entries; snapshot?: { size: bigint } };
    const { text } = generatedTranscript({ seed: 12, entries: 140, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "mixed" });
    const [a, b] = pair(text);
    let parent = (JSON.parse(text.trim().split("\n").at(-1)!) as { id: string }).id;
    let k = 0;
    const turn = () => {
      const id = `g${++k}`;
      const l = line({ type: "message", id, parentId: parent, timestamp: "2026-01-05T09:00:00.000Z", message: { role: k % 2 ? "user" : "assistant", content: k % 2 ? `q${k} ü` : [{ type: "text", text: `a${k} 😀` }] } });
      parent = id;
      return l + "\n";
    };
    /** Both files get the same change (`a` through ctxc, `b` stock). */
    const both = (change: (path: string) => void) => [a, b].forEach(change);
    /** One open, as the run path does it: prewarm (ctxc's worker read), then the synchronous load. */
    const open = async (name: string, expectContinued: boolean) => {
      await rt.prepareSession(a);
      const [served, continued] = [rt.counters.sessionsServed, rt.counters.sessionsContinued];
      const ours = x.ctxc(a) as Loaded;
      const theirs = expectFreshParse(x.openclaw, name, ours, a, b);
      expect(rt.counters.sessionsServed, name).toBe(served + 1);
      expect(rt.counters.sessionsContinued - continued, name).toBe(expectContinued ? 1 : 0);
      // The entry cache holds exactly these entries, and says whether they serialise to the file's bytes.
      const kept = entryCache.getCachedEntries(resolve(a))!;
      expect(kept.entries, name).toEqual(theirs.entries);
      const bytes = readFileSync(a, "utf8");
      expect(kept.serializedExactly, name).toBe(bytes === kept.entries.map((e) => JSON.stringify(e) + "\n").join(""));
      // What OpenClaw may change in what it got (its header copy, the array) stays out of the next open.
      ours.entries[0]!.cwd = "/changed";
      ours.entries.push({ type: "custom", id: "leak" });
      return ours;
    };
    await open("first open", false);
    for (let i = 0; i < 3; i++) {
      const more = turn() + turn();
      both((p) => appendFileSync(p, more));
      await open(`appended ${i}`, true);
    }
    // Torn tail (a valid JSON line without its newline: OpenClaw parses it), then completed.
    const torn = turn().trimEnd();
    both((p) => appendFileSync(p, torn));
    await open("torn tail", true);
    const rest = "\n" + turn();
    both((p) => appendFileSync(p, rest));
    await open("torn tail completed (the torn read was not kept: whole read)", false);
    const next = turn();
    both((p) => appendFileSync(p, next));
    await open("appended after the completed tail", true);
    // Rewritten in the middle, same size (a later mtime, as a rewrite on a later clock tick has).
    const mid = (p: string) => {
      const now = readFileSync(p, "utf8");
      const at = now.indexOf('"id":"', now.length >> 1) + 6;
      writeFileSync(p, now.slice(0, at) + (now[at] === "Z" ? "Y" : "Z") + now.slice(at + 1));
      const later = new Date(Date.now() + 5_000);
      utimesSync(p, later, later);
    };
    both(mid);
    await open("rewritten in the middle, same size", false);
    const after = turn();
    both((p) => appendFileSync(p, after));
    await open("appended after the rewrite", true);
    // Replaced by rename (OpenClaw's repair and compaction write this way), with a line more.
    const replaced = readFileSync(a, "utf8") + turn();
    both((p) => {
      writeFileSync(p + ".new", replaced);
      renameSync(p + ".new", p);
    });
    // The same lines plus one, under another inode: the worker compares the kept lines and keeps its state
    // (header-rebase.ts: a first line that is the same bytes), so only the new line is decoded.
    await open("replaced by rename", true);
    // Truncated to the first half of its lines, then appended to.
    const lines = readFileSync(a, "utf8").split("\n");
    const half = lines.slice(0, lines.length >> 1).join("\n") + "\n";
    both((p) => writeFileSync(p, half));
    await open("truncated", false);
    const end = turn();
    both((p) => appendFileSync(p, end));
    const last = await open("appended after the truncation", true);
    expect(last.entries.at(-2)!.id).toBe(parent);
  });

  it("loadEntriesFromFileWithSnapshot, the first open of a file ctxc holds nothing of (after a restart): frozen entries that decode on use, OpenClaw's frozen parse to every look but property descriptors, shared by the next opens", async (ctx) => {
    const x = await importIntercepted(root!, "loadEntriesFromFileWithSnapshot");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    rt.serveSnapshotOpens();
    type Loaded = { entries: Entries; snapshot?: { size: bigint } };
    const hasAccessor = (e: unknown) => typeof e === "object" && e !== null && Object.values(Object.getOwnPropertyDescriptors(e)).some((d) => d.get !== undefined);
    /** Frozen at every level, same prototype and own keys, as OpenClaw's cached parse. */
    const sameShape = (ours: unknown, theirs: unknown, where: string): void => {
      if (typeof theirs !== "object" || theirs === null) return void expect(ours, where).toBe(theirs);
      expect(typeof ours, where).toBe("object");
      expect([Object.isFrozen(ours), Object.getPrototypeOf(ours), Reflect.ownKeys(ours as object)], where).toEqual([Object.isFrozen(theirs), Object.getPrototypeOf(theirs), Reflect.ownKeys(theirs)]);
      for (const key of Reflect.ownKeys(theirs)) sameShape((ours as Record<PropertyKey, unknown>)[key], (theirs as Record<PropertyKey, unknown>)[key], `${where}.${String(key)}`);
    };
    let lazyFiles = 0;
    for (const c of corpus().filter((f) => f.clean)) {
      const [a, b] = pair(c.text);
      await rt.prepareSession(a);
      const ours = x.ctxc(a) as Loaded;
      const theirs = expectFreshParse(x.openclaw, c.name, ours, a, b);
      if (ours.entries.some(hasAccessor)) lazyFiles++;
      expect(theirs.entries.some(hasAccessor), c.name).toBe(false);
      const kept = rt.entryCache.getCachedEntries(resolve(a))!;
      ours.entries.forEach((e, i) => {
        const t = theirs.entries[i]!;
        const where = `${c.name} entry ${i}`;
        // Read in an order that leaves some members undecoded for the later looks: JSON first on odd entries.
        if (i % 2) expect(JSON.stringify(e), where).toBe(JSON.stringify(t));
        expect(isDeepStrictEqual(structuredClone(e), structuredClone(t)), where).toBe(true);
        expect(isDeepStrictEqual({ ...e }, { ...t }), where).toBe(true);
        sameShape(e, t, where);
        expect(JSON.stringify(e), where).toBe(JSON.stringify(t));
        for (const key of Object.keys(e)) expect(e[key], `${where}.${key}: the same object on every read`).toBe(e[key]);
        if (i === 0) return; // the header: both hand out an unfrozen structuredClone
        // A write fails as on OpenClaw's frozen entry (this module is strict code).
        expect(() => (e.type = "changed"), where).toThrow(TypeError);
        expect(() => (e.message = { role: "user" }), where).toThrow(TypeError);
        expect(() => delete e.id, where).toThrow(TypeError);
        expect(e, where).toBe(kept.entries[i]);
      });
      // Whether the kept entries are exactly the file serialised (the append rewrite's precondition), told without serialising the lazy ones.
      const bytes = readFileSync(a, "utf8");
      expect(kept.serializedExactly, c.name).toBe(bytes === theirs.entries.map((e) => JSON.stringify(e) + "\n").join(""));
    }
    expect(lazyFiles).toBeGreaterThan(3);
    // The next opens of a grown file continue from the lazy entries: the same objects, OpenClaw's parse.
    const { text } = generatedTranscript({ seed: 21, entries: 150, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "heavy" });
    const [a, b] = pair(text);
    await rt.prepareSession(a);
    const first = x.ctxc(a) as Loaded;
    expect(first.entries.some(hasAccessor)).toBe(true);
    expectFreshParse(x.openclaw, "first open", first, a, b);
    let parent = (JSON.parse(text.trim().split("\n").at(-1)!) as { id: string }).id;
    for (let turn = 0; turn < 3; turn++) {
      const more = line({ type: "message", id: `r${turn}`, parentId: parent, timestamp: "2026-01-05T09:00:00.000Z", message: { role: "assistant", content: [{ type: "text", text: `turn ${turn} ✓` }] } }) + "\n";
      parent = `r${turn}`;
      [a, b].forEach((p) => appendFileSync(p, more));
      await rt.prepareSession(a);
      const continued = rt.counters.sessionsContinued;
      const ours = x.ctxc(a) as Loaded;
      expect(rt.counters.sessionsContinued, `turn ${turn}`).toBe(continued + 1);
      const theirs = expectFreshParse(x.openclaw, `turn ${turn}`, ours, a, b);
      expect(ours.entries.slice(1, first.entries.length).every((e, i) => e === first.entries[i + 1]), `turn ${turn}`).toBe(true);
      expect(ours.entries.map((e) => JSON.stringify(e)), `turn ${turn}`).toEqual(theirs.entries.map((e) => JSON.stringify(e)));
    }
  });

  it("rememberSessionEntries for deep-frozen entries (release/remember-frozen.ts): OpenClaw's entry cache — entries, order, trim — and the returned copy, as the release's own function leaves them", async (ctx) => {
    const x = await importIntercepted(root!, "loadEntriesFromFileWithSnapshot");
    if (typeof x === "string") return ctx.skip(x);
    const h = x.helpers as unknown as RememberHelpers<{ size: bigint }> & { sessionEntriesCache: Map<string, { snapshot: { size: bigint }; entries: unknown[]; endsWithNewline: boolean }> };
    const cache = h.sessionEntriesCache;
    const saved = new Map(cache);
    const entriesOf = (n: number, header: Record<string, unknown>) =>
      [header, ...Array.from({ length: n }, (_, i) => ({ type: "custom", id: `c${i}`, parentId: i ? `c${i - 1}` : null, customType: "x", data: { i, list: [i] } }))].map((e) => deepFreeze(e) as unknown);
    const headers = [{ type: "session", version: 3, id: "s", timestamp: "t", cwd: "/w" }, { type: "session", version: 2, id: "s" }, { type: "custom", id: "not-a-header" }];
    const view = () => [...cache].map(([k, v]) => ({ k, size: v.snapshot.size, ends: v.endsWithNewline, entries: v.entries, frozen: v.entries.map((e) => Object.isFrozen(e)) }));
    try {
      for (let step = 0; step < 40; step++) {
        const path = `/ctxc-virtual/f${(step * 7) % 13}.jsonl`;
        const size = [1_000n, 5_000_000n, 12_000_000n, 40_000_000n][step % 4]!;
        const snapshot = { dev: 1n, ino: BigInt(step), size, mtimeNs: 1n, ctimeNs: 1n };
        const entries = entriesOf(step % 6, headers[step % 9 === 4 ? 1 : step % 11 === 5 ? 2 : 0]!);
        const before = new Map(cache);
        const theirs = h.rememberSessionEntries(path, snapshot, entries.slice(), step % 3 !== 0);
        const after = view();
        cache.clear();
        for (const [k, v] of before) cache.set(k, v);
        const ours = rememberFrozenEntries(h, path, snapshot, entries.slice(), () => step % 3 !== 0);
        expect(view(), `step ${step}`).toEqual(after);
        expect(ours, `step ${step}`).toEqual(theirs);
        expect(ours.map((e, i) => [e === entries[i], Object.isFrozen(e)]), `step ${step}`).toEqual(theirs.map((e, i) => [e === entries[i], Object.isFrozen(e)]));
      }
    } finally {
      cache.clear();
      for (const [k, v] of saved) cache.set(k, v);
    }
  });

  it("loadEntriesFromFileWithSnapshot without a worker read (OpenClaw's cache dropped the file): the kept entries answer while the file is unchanged, OpenClaw's parse once it changed", async (ctx) => {
    const x = await importIntercepted(root!, "loadEntriesFromFileWithSnapshot");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    const cache = x.helpers.sessionEntriesCache as Map<string, { entries: Entries; endsWithNewline: boolean; snapshot: { size: bigint } }>;
    type Loaded = { entries: Entries; snapshot?: { size: bigint } };
    const { text } = generatedTranscript({ seed: 14, entries: 150, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "mixed" });
    const [a, b] = pair(text);
    const tick = () => new Promise((r) => setImmediate(r));
    /** An open with no prepared read (the last one was released), as `persistRecord`'s re-open; OpenClaw's cache of both files evicted. */
    const open = async (name: string, expectKept: boolean) => {
      await tick();
      cache.delete(resolve(a));
      cache.delete(resolve(b));
      const [kept, served, fallbacks] = [rt.counters.sessionsKept, rt.counters.sessionsServed, rt.counters.fallbacks];
      const ours = x.ctxc(a) as Loaded;
      expectFreshParse(x.openclaw, name, ours, a, b);
      // OpenClaw's cache left as its own parse of the same file leaves it.
      const [ca, cb] = [cache.get(resolve(a)), cache.get(resolve(b))];
      expect(ca?.entries, name).toEqual(cb?.entries);
      expect(ca?.endsWithNewline, name).toBe(cb?.endsWithNewline);
      expect(ca?.snapshot.size, name).toBe(cb?.snapshot.size);
      expect([rt.counters.sessionsKept - kept, rt.counters.sessionsServed - served, rt.counters.fallbacks - fallbacks], name).toEqual([expectKept ? 1 : 0, 0, 0]);
      const held = rt.entryCache.getCachedEntries(resolve(a));
      // Kept: the very objects of ctxc's cache (what makes the rewrite's prefix check pointer comparisons).
      if (expectKept) expect(ours.entries.slice(1).every((e, i) => e === held!.entries[i + 1]), name).toBe(true);
      ours.entries[0]!.cwd = "/changed";
      ours.entries.push({ type: "custom", id: "leak" });
      return held;
    };
    await rt.prepareSession(a);
    x.ctxc(a);
    expect(rt.entryCache.getCachedEntries(resolve(a))).toBeDefined();
    await open("unchanged since the served open", true);
    await open("again (nothing leaked from the last one)", true);
    const more = line({ type: "custom", id: "k1", parentId: null, customType: "x" }) + "\n";
    [a, b].forEach((p) => appendFileSync(p, more));
    // Appended behind ctxc's back (no follower ran): the identity differs, OpenClaw parses.
    expect(await open("appended, not followed", false)).toBeDefined();
    // The next served open refills ctxc's cache: from then on kept again.
    await rt.prepareSession(a);
    cache.delete(resolve(a));
    const served = rt.counters.sessionsServed;
    x.ctxc(a);
    expect(rt.counters.sessionsServed).toBe(served + 1);
    await open("after the next served open", true);
    // Rewritten in place to the same size, a later mtime: not the kept file.
    [a, b].forEach((p) => {
      const now = readFileSync(p, "utf8");
      const at = now.indexOf('"id":"', now.length >> 1) + 6;
      writeFileSync(p, now.slice(0, at) + (now[at] === "Z" ? "Y" : "Z") + now.slice(at + 1));
      const later = new Date(Date.now() + 5_000);
      utimesSync(p, later, later);
    });
    await open("rewritten in the middle, same size", false);
    // A header OpenClaw does not cache (v2): never from the kept entries.
    const [c] = pair(generatedTranscript({ seed: 15, entries: 40, headerVersion: 2 }).text);
    await rt.prepareSession(c);
    x.ctxc(c);
    await tick();
    const keptBefore = rt.counters.sessionsKept;
    cache.delete(resolve(c));
    x.ctxc(c);
    expect(rt.counters.sessionsKept).toBe(keptBefore);
  });

  it("loadEntriesFromFileWithSnapshot: a file over OpenClaw's cache bound (32 MiB) — not cached by either, the same frozen entries", async (ctx) => {
    const x = await importIntercepted(root!, "loadEntriesFromFileWithSnapshot");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    const cache = x.helpers.sessionEntriesCache as Map<string, unknown>;
    const bound = Number(x.helpers.MAX_CACHED_SESSION_BYTES as bigint);
    type Loaded = { entries: Entries; snapshot?: { size: bigint } };
    const [a, b] = pair(generatedTranscript({ seed: 13, targetBytes: bound + 512 * 1024, compactions: 40, unicode: "mixed" }).text);
    let parent = (JSON.parse(readFileSync(a, "utf8").trimEnd().split("\n").at(-1)!) as { id: string }).id;
    for (let turn = 0; turn < 3; turn++) {
      if (turn > 0) {
        const l = line({ type: "message", id: `big${turn}`, parentId: parent, timestamp: "2026-01-06T00:00:00.000Z", message: { role: "user", content: `q${turn}` } }) + "\n";
        parent = `big${turn}`;
        appendFileSync(a, l);
        appendFileSync(b, l);
      }
      await rt.prepareSession(a);
      const [served, continued] = [rt.counters.sessionsServed, rt.counters.sessionsContinued];
      const ours = x.ctxc(a) as Loaded;
      const theirs = x.openclaw(b) as Loaded;
      expect(rt.counters.sessionsServed).toBe(served + 1);
      expect(rt.counters.sessionsContinued).toBe(continued + (turn > 0 ? 1 : 0));
      expect(ours.snapshot!.size).toBeGreaterThan(BigInt(bound));
      expect(ours.entries.length).toBe(theirs.entries.length);
      expect(ours.entries).toEqual(theirs.entries);
      expect(ours.entries.every((e, i) => Object.isFrozen(e) === Object.isFrozen(theirs.entries[i]))).toBe(true);
      expect([cache.has(resolve(a)), cache.has(resolve(b))]).toEqual([false, false]);
      // Stock hands out a mutable clone of the header there too.
      ours.entries[0]!.cwd = "/changed";
    }
  });

  // OpenClaw's pass fsyncs each repaired file (replaceFileAtomic): slow on a busy disk, hence the timeout.
  it("repairSessionFileIfNeeded: the same result and file bytes as OpenClaw's pass, skipped only when it would change nothing", { timeout: 600_000 }, async (ctx) => {
    const x = await importIntercepted(root!, "repairSessionFileIfNeeded");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    // Each copy has its own inode and times: whether a snapshot is returned is compared (its value in reads.test.ts).
    const strip = (r: Record<string, unknown>) => ({ ...r, backupPath: r.backupPath === undefined ? undefined : "(backup)", validatedSnapshot: r.validatedSnapshot === undefined ? undefined : "(snapshot)" });
    for (const c of corpus()) {
      const [a, b] = pair(c.text);
      const skipped = rt.counters.repairsSkipped;
      const ours = (await x.ctxc({ sessionFile: a })) as Record<string, unknown>;
      const theirs = (await x.openclaw({ sessionFile: b })) as Record<string, unknown>;
      expect(strip(ours), c.name).toEqual(strip(theirs));
      // Buffer.equals, not toEqual (which walks a Buffer key by key: seconds per MB).
      expect(readFileSync(a).equals(readFileSync(b)), `${c.name}: file bytes`).toBe(true);
      if (c.name === "generated, nothing to repair") expect(rt.counters.repairsSkipped, c.name).toBe(skipped + 1);
    }
  });

  it("readTranscriptLeafInfo: the same leaf, link flag and entry count as OpenClaw's scan, also as the file grows", async (ctx) => {
    const x = await importIntercepted(root!, "readTranscriptLeafInfo");
    if (typeof x === "string") return ctx.skip(x);
    for (const c of corpus()) {
      const [a] = pair(c.text);
      expect(await x.ctxc(a), c.name).toEqual(await x.openclaw(a));
    }
    const [a] = pair(generatedTranscript({ seed: 11, entries: 60 }).text);
    for (let i = 0; i < 3; i++) {
      appendFileSync(a, line({ type: "custom", id: `g${i}`, parentId: i ? `g${i - 1}` : null, customType: "x" }) + "\n");
      const served = x.runtime.counters.leafInfoServed;
      expect(await x.ctxc(a)).toEqual(await x.openclaw(a));
      expect(x.runtime.counters.leafInfoServed).toBe(served + 1);
    }
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: idempotency-key lookup vs the release's own`, () => {
  it("findTranscriptMessageByIdempotencyKey: the same answer for absent, present, escaped and padded keys, as the file grows", async (ctx) => {
    const x = await importIntercepted(root!, "findTranscriptMessageByIdempotencyKey");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    for (const c of corpus()) {
      const [a] = pair(c.text);
      const served = rt.counters.idempotencyServed;
      expect(await x.ctxc(a, "no-such-key"), c.name).toEqual(await x.openclaw(a, "no-such-key"));
      if (c.clean) expect(rt.counters.idempotencyServed, c.name).toBe(served + 1);
    }
    const [a] = pair(generatedTranscript({ seed: 13, entries: 120, unicode: "heavy" }).text);
    const msg = (id: string, rawKey: string) =>
      `{"type":"message","id":"${id}","parentId":null,"timestamp":"t","message":{"role":"user","content":"hi","idempotencyKey":${rawKey}}}\n`;
    appendFileSync(a, msg("m1", '"key-1"') + msg("m2", '"key\\u002d2"') + msg("m3", '"  key-3  "') + msg("m4", "42"));
    for (const key of ["key-1", "key-2", "key-3", "key-4", "42", "key"]) {
      const served = rt.counters.idempotencyServed;
      const theirs = await x.openclaw(a, key);
      expect(await x.ctxc(a, key), key).toEqual(theirs);
      // Served ("not found" from the bytes) only where the bytes cannot hold the key.
      if (theirs !== undefined) expect(rt.counters.idempotencyServed, key).toBe(served);
    }
    expect((await x.ctxc(a, "key-2")) as { messageId: string }).toMatchObject({ messageId: "m2" });
    // Growing: a key appended after an earlier lookup is found. (Not "key-5": the file's \u002d could spell its "-".)
    const before = rt.counters.idempotencyServed;
    expect(await x.ctxc(a, "fresh5")).toBeUndefined();
    expect(rt.counters.idempotencyServed).toBe(before + 1);
    appendFileSync(a, msg("m5", '"fresh5"'));
    expect(await x.ctxc(a, "fresh5")).toEqual(await x.openclaw(a, "fresh5"));
    expect((await x.ctxc(a, "fresh5")) as { messageId: string }).toMatchObject({ messageId: "m5" });
  });

  it("findTranscriptMessageByIdempotencyKey on the main thread (kept keys + appended bytes): early, appended, off-branch and absent keys; damaged lines, torn tail, rewritten, grown, replaced, truncated, missing", async (ctx) => {
    const x = await importIntercepted(root!, "findTranscriptMessageByIdempotencyKey");
    if (typeof x === "string") return ctx.skip(x);
    const c = x.runtime.counters;
    const gen = generatedTranscript({ seed: 21, entries: 200, branchProbability: 0.2, compactions: 1, unicode: "mixed" });
    const msg = (id: string, parentId: string | null, key: string) =>
      JSON.stringify({ type: "message", id, parentId, timestamp: "t", message: { role: "user", content: "hi", idempotencyKey: key } }) + "\n";
    const nl = gen.text.indexOf("\n") + 1;
    // A key on the first entry, and one on an entry off the leaf's branch (stock scans every line).
    // And one in the middle, beyond the append check's head and tail bytes.
    const mid = gen.text.indexOf("\n", gen.text.length >> 1) + 1;
    const text =
      gen.text.slice(0, nl) + msg("e1", null, "early-1") + gen.text.slice(nl, mid) + msg("mid", "e1", "mid-1") + gen.text.slice(mid) + msg("off1", "e1", "off-branch-1") + msg("p0", gen.leafId ?? null, "leaf-0");
    const [a] = pair(text);
    const keys = ["early-1", "off-branch-1", "leaf-0", " early-1 ", "absent", "appended-1", "damaged-1", "bom-1", "torn-1", "nonl-1", "EARLY-1", "other-1", "mid-1", "MID-1"];
    /** Every key's answer is stock's; returns how many of the lookups ctxc answered on the main thread. */
    const same = async (label: string): Promise<number> => {
      const main = c.idempotencyMain;
      for (const key of keys) expect(await x.ctxc(a, key), `${label}: ${key}`).toEqual(await x.openclaw(a, key));
      return c.idempotencyMain - main;
    };
    await same("first lookups (the worker's read starts the kept keys)");
    // Nothing changed: every "not found" comes from the kept keys, none from the worker.
    const worker = c.idempotencyWorker;
    expect(await same("unchanged")).toBe(keys.length - 4);
    expect(c.idempotencyWorker).toBe(worker);
    appendFileSync(a, msg("p1", "p0", "appended-1"));
    expect(await same("grown by a keyed line")).toBe(keys.length - 5);
    // Rewritten in place with the header changed (2026.7.35 rewrites its cwd): the head check fails, the worker reads again.
    const w1 = c.idempotencyWorker;
    writeFileSync(a, readFileSync(a, "utf8").replace('"cwd":"', '"cwd":"/moved'));
    expect(await x.ctxc(a, "absent")).toBeUndefined();
    expect(c.idempotencyWorker).toBe(w1 + 1);
    expect(await same("header rewritten")).toBe(keys.length - 5);
    // From here on the file has lines the worker reports (it then steps aside: OpenClaw's scan), while the
    // main thread, continuing over the appended bytes, reads them as stock does.
    // Lines stock skips (no JSON, not an object) and one it reads (a BOM, trimmed away before the parse).
    appendFileSync(a, '{"type":"message","id":"d1","message":{"idempotencyKey":"damaged-1"\nnull\n[1]\n"s"\n42\n\n  \n\uFEFF' + msg("b1", "p1", "bom-1"));
    expect(await same("damaged lines")).toBe(keys.length - 6);
    // A torn tail: not found while torn, found once whole; a whole last line with no "\n" is read too.
    const torn = msg("t1", "b1", "torn-1");
    appendFileSync(a, torn.slice(0, -9));
    expect(await same("torn tail")).toBe(keys.length - 6);
    appendFileSync(a, torn.slice(-9) + msg("n1", "t1", "nonl-1").slice(0, -1));
    expect(await same("tail completed, last line unended")).toBe(keys.length - 8);
    appendFileSync(a, "\n");
    expect(await same("last line ended")).toBe(keys.length - 8);
    // 2026.7.35's whole-file rewrite of the same bytes plus new ones, in place.
    writeFileSync(a, readFileSync(a, "utf8") + msg("r1", "n1", "other-1"));
    await same("rewritten in place, same bytes plus one line");
    // Same size, one key changed in the middle (a rewrite the head and tail bytes do not see): stock finds the new key, not the old.
    writeFileSync(a, readFileSync(a, "utf8").replace('"idempotencyKey":"mid-1"', '"idempotencyKey":"MID-1"'));
    await same("same size, key rewritten in the middle");
    // And at the start (in the head bytes).
    writeFileSync(a, readFileSync(a, "utf8").replace('"idempotencyKey":"early-1"', '"idempotencyKey":"EARLY-1"'));
    await same("same size, key rewritten");
    // Replaced by another file of the same size (rename over it).
    const other = `${a}.other`;
    writeFileSync(other, readFileSync(a, "utf8").replace('"idempotencyKey":"EARLY-1"', '"idempotencyKey":"early-1"'));
    renameSync(other, a);
    await same("replaced by a same-size file");
    // Truncated to a line boundary, then grown again past the old size.
    const now = readFileSync(a, "utf8");
    writeFileSync(a, now.slice(0, now.indexOf(msg("p1", "p0", "appended-1"))));
    await same("truncated");
    appendFileSync(a, msg("g1", "p0", "other-1") + "x".repeat(9000) + "\n" + msg("g2", "g1", "appended-1"));
    await same("grown past the old size");
    rmSync(a);
    await same("missing");
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: bootstrap files through the delegate vs the release's own`, () => {
  const NAMES = ["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md", "BOOTSTRAP.md", "MEMORY.md"];
  it("resolveBootstrapFilesForRun + buildBootstrapContextForFiles: same files, context and warnings, with OpenClaw's hook step", async (ctx) => {
    const both = await importInterceptedAll(root!, "resolveBootstrapFilesForRun", "buildBootstrapContextForFiles");
    if (typeof both === "string") return ctx.skip(both);
    const [files, context] = both as [Intercepted, Intercepted];
    const ws = join(dir, "ws");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(ws, { recursive: true });
    for (const name of NAMES) writeFileSync(join(ws, name), `# ${name}\n\n${"body ".repeat(name.length * 300)}\n`);
    const served = files.runtime.counters.bootstrapServed;
    let runs = 0;
    for (const runKind of [undefined, "default", "heartbeat", "cron"])
      for (const contextMode of [undefined, "full", "lightweight"])
        for (const sessionKey of [undefined, "agent:main:main", "agent:main:cron:nightly", "agent:main:subagent:abc"])
          for (const config of [undefined, { agents: { defaults: { bootstrapMaxChars: 900, bootstrapTotalMaxChars: 3000, heartbeat: { every: "0" } } } }]) {
            const warnings: [string[], string[]] = [[], []];
            const params = (k: 0 | 1) => ({ workspaceDir: ws, runKind, contextMode, sessionKey, config, warn: (m: string) => warnings[k].push(m) });
            const ours = await files.ctxc(params(0));
            const theirs = await files.openclaw(params(1));
            expect(ours).toEqual(theirs);
            expect(context.ctxc(ours, params(0))).toEqual(context.openclaw(theirs, params(1)));
            expect(warnings[0]).toEqual(warnings[1]);
            runs++;
          }
    expect(files.runtime.counters.bootstrapServed).toBe(served + runs);
  });
});

describe.skipIf(!!root)("OpenClaw release matrix", () => {
  it.skip("CTXC_OPENCLAW_ROOT is unset: these run per release under the matrix runner (scripts/install-releases.sh)", () => {});
});

