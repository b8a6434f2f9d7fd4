/**
 * Differential test of the re-load index (src/openclaw/release/loaded-index.ts) for ONE OpenClaw release
 * (`CTXC_OPENCLAW_ROOT`): the release's REAL SessionManager, from its own chunk (stock) and from the chunk
 * as the preload serves it, driven in lockstep (same ids and clock) through gateway-like turns — open,
 * OpenClaw's entry cache evicted, appends (the first re-loads the file: `persistRecord` →
 * `setLoadedSessionFile`), random edits (branches, labels, compactions, tool calls, removals), the turn's
 * rewrite — on generated transcripts (branched, compacted, every entry type, damaged lines, leaf-control
 * records). After every step the manager's whole state must equal stock's: its own properties in the same
 * order, `fileEntries`/`opaqueFileEntries`, every map and set in insertion order, which file entry each
 * `byId` value is, the scalars, what its read methods return, and the file bytes. The served side must have
 * continued indexes (not just run stock), and a file changed behind OpenClaw's back must take stock's path.
 */
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Prng, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { fillEntryCache, loadSessionManagerPair, ownedContext, type Manager, type SessionManagerPair, type Side, type Snapshot } from "../../bench/lib/openclaw-session-manager.js";
import { closeOpenClawPool } from "../../src/openclaw/index.js";
import { RUNTIME_URL, releaseRoot, releaseVersion } from "../support/openclaw-release.js";
import { tempDir } from "../support/tmp.js";
import { deterministic, installDeterminism, removeDeterminism } from "../support/lockstep.js";

const root = releaseRoot();
const version = root ? releaseVersion(root) : "";
const dir = tempDir("matrix-loaded-index");
process.env.CTXC_OPENCLAW_LOG = process.env.DEBUG_LOG ?? join(dir, "preload.log");

type Entry = Record<string, unknown>;
let pair: SessionManagerPair;
let why = "";

beforeAll(async () => {
  if (!root) return;
  const got = await loadSessionManagerPair(root, version, RUNTIME_URL);
  if (typeof got === "string") why = got;
  else pair = got;
});

afterAll(async () => {
  pair?.dispose();
  vi.useRealTimers();
  await closeOpenClawPool();
});


/** Everything `setLoadedSessionFile` and `buildIndex` leave on a manager, comparable across the two files. */
function stateOf(sm: Manager): unknown {
  const files = sm.fileEntries as unknown[];
  const at = (v: unknown) => files.indexOf(v);
  return {
    keys: Object.keys(sm),
    sessionId: sm.sessionId,
    flushed: sm.flushed,
    recoveredCorruptHeader: sm.recoveredCorruptHeader,
    fileEntries: files,
    frozen: files.map((e) => Object.isFrozen(e)),
    opaqueFileEntries: sm.opaqueFileEntries,
    byId: [...sm.byId.keys()],
    byIdAt: [...sm.byId.values()].map(at),
    opaqueParentsById: [...sm.opaqueParentsById],
    logicalParentsById: [...sm.logicalParentsById],
    invalidLeafControlIds: [...sm.invalidLeafControlIds],
    labelsById: [...sm.labelsById],
    labelTimestampsById: [...sm.labelTimestampsById],
    leafId: sm.leafId,
    appendParentId: sm.appendParentId,
    promptReleasedSideBranchParentId: sm.promptReleasedSideBranchParentId,
    hasPrompt: Object.hasOwn(sm, "promptReleasedSideBranchParentId"),
    snapshotSize: sm.sessionFileSnapshot?.size,
    // What OpenClaw reads through the manager.
    entries: sm.getEntries(),
    leaf: sm.getLeafId(),
    branch: sm.getBranch(),
    context: sm.buildSessionContext(),
    header: sm.getHeader?.(),
  };
}

interface Run {
  a: string; // served
  b: string; // stock
  sa: Manager;
  sb: Manager;
  step: number;
  published: [Snapshot[], Snapshot[]];
}

/** `op` on the stock then the served side, same ids and clock, in an owned write context; then everything compared. */
async function both(r: Run, name: string, op: (side: Side, path: string, sm: Manager) => unknown): Promise<[unknown, unknown]> {
  const step = ++r.step;
  const run = async (s: Side, path: string, sm: Manager, published: Snapshot[]) => {
    deterministic(step);
    return pair.withOwnedWrites(ownedContext(path, published), async () => {
      try {
        return { value: op(s, path, sm) };
      } catch (err) {
        return { error: `${(err as Error).name}: ${(err as Error).message}` };
      }
    });
  };
  const rb = (await run(pair.stock, r.b, r.sb, r.published[1])) as { value?: unknown; error?: string };
  const ra = (await run(pair.served, r.a, r.sa, r.published[0])) as { value?: unknown; error?: string };
  const at = `${name} (step ${step})`;
  expect(ra.error, at).toEqual(rb.error);
  const opened = name.startsWith("open");
  if (!opened) expect(ra.value, at).toEqual(rb.value);
  const [ma, mb] = opened ? [ra.value as Manager, rb.value as Manager] : [r.sa, r.sb];
  if (opened) [r.sa, r.sb] = [ma, mb];
  expect(readFileSync(r.a).equals(readFileSync(r.b)), `${at}: file bytes`).toBe(true);
  expect(stateOf(ma), `${at}: manager state`).toEqual(stateOf(mb));
  const [ca, cb] = [pair.served.cache.get(resolve(r.a)), pair.stock.cache.get(resolve(r.b))];
  expect(ca?.entries, `${at}: OpenClaw's cache`).toEqual(cb?.entries);
  expect(r.published[0].map((s) => s.size), `${at}: published`).toEqual(r.published[1].map((s) => s.size));
  return [ra.value, rb.value];
}

let n = 0;
async function openRun(text: string): Promise<Run> {
  const a = join(dir, `l${++n}a.jsonl`);
  const b = join(dir, `l${n}b.jsonl`);
  writeFileSync(a, text);
  copyFileSync(a, b);
  const r: Run = { a, b, sa: undefined, sb: undefined, step: 0, published: [[], []] };
  await both(r, "open", (s, path) => s.SM.open(path));
  return r;
}

const evict = (r: Run) => {
  pair.served.cache.delete(resolve(r.a));
  pair.stock.cache.delete(resolve(r.b));
};

const usage = { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, totalTokens: 2, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };

/** One of OpenClaw's SessionManager edits (chosen before, the same for both sides). */
function randomOp(rand: () => number, sm: Manager): [string, (s: Side, p: string, m: Manager) => unknown] {
  const ids = (sm.getEntries() as Entry[]).map((e) => e.id as string);
  const pick = () => ids[Math.floor(rand() * ids.length)];
  const r = rand();
  const k = Math.floor(rand() * 1e6);
  if (r < 0.3) return ["appendMessage(user)", (_s, _p, m) => m.appendMessage({ role: "user", content: `q ${k}`, timestamp: 1767600000000 + k })];
  if (r < 0.5) return ["appendMessage(assistant)", (_s, _p, m) => m.appendMessage({ role: "assistant", content: [{ type: "text", text: `a ${k}` }], api: "a", provider: "p", model: "m", usage, stopReason: "stop", timestamp: 1767600000000 + k })];
  if (r < 0.56)
    return [
      "toolCall+result",
      (_s, _p, m) => {
        m.appendMessage({ role: "assistant", content: [{ type: "toolCall", id: `c${k}`, name: "read", arguments: { path: `/f${k}` } }], api: "a", provider: "p", model: "m", usage, stopReason: "toolUse", timestamp: 1767600000000 + k });
        return m.appendMessage({ role: "toolResult", toolCallId: `c${k}`, toolName: "read", content: [{ type: "text", text: `r ${k}` }], details: { k }, isError: false, timestamp: 1767600000000 + k });
      },
    ];
  if (r < 0.62) return ["appendThinkingLevelChange", (_s, _p, m) => m.appendThinkingLevelChange(k % 2 ? "high" : "off")];
  if (r < 0.68) {
    const target = pick();
    return ["appendLabelChange", (_s, _p, m) => m.appendLabelChange(target, k % 3 ? `label ${k}` : undefined)];
  }
  if (r < 0.72) {
    const first = pick();
    return ["appendCompaction", (_s, _p, m) => m.appendCompaction(`summary ${k}`, first, 1000 + k)];
  }
  if (r < 0.8) {
    const from = pick();
    return ["branch", (_s, _p, m) => m.branch(from)];
  }
  if (r < 0.84) return ["removeTrailingEntries", (_s, _p, m) => m.removeTrailingEntries((e: Entry) => e.type === "label" || e.type === "thinking_level_change")];
  if (r < 0.9) return ["rewriteFile", (_s, _p, m) => m.rewriteFile()];
  return ["appendModelChange", (_s, _p, m) => m.appendModelChange("p", `m${k % 3}`)];
}

const generated = (seed: number, extra: object = {}) =>
  generateTranscript({ seed, entries: 120, branchProbability: 0.15, compactions: 1, includeAllEntryTypes: true, unicode: seed % 2 ? "heavy" : "mixed", ...extra }).text;

/** A transcript with what a partition makes opaque: a leaf-control record, an unknown record, a line that does not parse. */
function withOpaque(seed: number): string {
  const lines = generated(seed).trimEnd().split("\n");
  const ids = lines.slice(1).map((l) => (JSON.parse(l) as Entry).id as string);
  const mid = Math.floor(lines.length / 2);
  lines.splice(mid, 0, JSON.stringify({ type: "leaf", id: "leafctl01", parentId: ids[mid - 2], timestamp: "2026-01-05T08:00:00.000Z", targetId: ids[mid - 3] }));
  lines.splice(mid + 3, 0, JSON.stringify({ type: "ctxc_unknown", id: "opaque01", parentId: ids[mid], data: 1 }), "{not json");
  return `${lines.join("\n")}\n`;
}

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: setLoadedSessionFile continued vs the release's own`, () => {
  it("gateway turns after a restart with OpenClaw's cache evicted: the re-load and the next open continue the index, state equal to stock's after every step", { timeout: 600_000 }, async (ctx) => {
    if (why) return ctx.skip(why);
    installDeterminism();
    try {
      const c = pair.runtime.counters;
      for (const [seed, text] of [
        [1, generated(1)],
        [2, generated(2, { endWithCompaction: true })],
        [3, withOpaque(3)],
        [4, generated(4)],
      ] as const) {
        const r = await openRun(text);
        fillEntryCache(pair, r.a);
        const gen = new Prng(seed);
        const rand = () => gen.next();
        const before = c.indexesContinued;
        let keptReloads = 0;
        for (let turn = 0; turn < 6; turn++) {
          evict(r);
          const kept = c.sessionsKept;
          const continued = c.indexesContinued;
          await both(r, "appendMessage(user) after eviction", (_s, _p, m) => m.appendMessage({ role: "user", content: `turn ${turn}`, timestamp: 1767600000000 + turn }));
          if (c.sessionsKept > kept) {
            keptReloads++;
            expect(c.indexesContinued, `seed ${seed} turn ${turn}: the re-load continued the index`).toBeGreaterThan(continued);
          }
          for (let i = 0; i < 4; i++) {
            const [name, op] = randomOp(rand, r.sb);
            await both(r, name, op);
          }
          await both(r, "rewriteFile", (_s, _p, m) => m.rewriteFile());
          fillEntryCache(pair, r.a);
          await both(r, "open", (s, path) => s.SM.open(path));
        }
        expect(c.indexesContinued, `seed ${seed}: indexes continued`).toBeGreaterThan(before);
        expect(keptReloads, `seed ${seed}: re-loads after an eviction answered from ctxc's kept entries`).toBeGreaterThan(0);
      }
    } finally {
      removeDeterminism();
    }
  });

  it("appended entries of every kind the fold steps over — side appends, logical parents, a missing parentId, labels set and cleared, an id already indexed — continue to stock's state", { timeout: 120_000 }, async (ctx) => {
    if (why) return ctx.skip(why);
    installDeterminism();
    try {
      const c = pair.runtime.counters;
      const r = await openRun(withOpaque(21));
      const leaf = r.sb.getLeafId() as string;
      const existing = (r.sb.getEntries() as Entry[])[3]!.id as string;
      const ts = "2026-01-05T09:00:00.000Z";
      const message = (text: string) => ({ role: "user", content: text, timestamp: 1 });
      const added = (): Entry[] => [
        { type: "message", id: "side0001", parentId: leaf, timestamp: ts, appendMode: "side", message: message("side") },
        { type: "message", id: "after001", parentId: "side0001", timestamp: ts, message: message("after a side append") },
        { type: "label", id: "label001", parentId: "after001", timestamp: ts, targetId: leaf, label: "kept" },
        { type: "message", id: "side0002", parentId: "label001", timestamp: ts, appendMode: "side", message: message("side again") },
        { type: "message", id: "logic001", parentId: "side0002", timestamp: ts, message: message("logical parent") },
        { type: "message", id: "nopar001", timestamp: ts, message: message("no parentId") },
        { type: "label", id: "label002", parentId: "nopar001", timestamp: ts, targetId: leaf },
        { type: "custom", id: existing, parentId: "label002", timestamp: ts, customType: "dup", data: { k: 1 } },
      ].map((e) => Object.freeze(e));
      // Each side loads its own cache's entries (the objects its open indexed) with the same records appended.
      const loadedOf = (side: Side, path: string, sm: Manager) => {
        const cached = side.cache.get(resolve(path))!.entries;
        return { entries: [structuredClone(cached[0]), ...cached.slice(1), ...added()], snapshot: sm.sessionFileSnapshot };
      };
      const continued = c.indexesContinued;
      await both(r, "setLoadedSessionFile(appended)", (side, path, m) => m.setLoadedSessionFile(path, loadedOf(side, path, m)));
      expect(c.indexesContinued, "the served load continued the index").toBe(continued + 1);
      expect(r.sb.logicalParentsById.size, "the appended entries gave logical parents").toBeGreaterThan(0);
    } finally {
      removeDeterminism();
    }
  });

  it("a file changed behind OpenClaw's back, a legacy header, entries the manager did not load: stock's body runs, the same state", { timeout: 300_000 }, async (ctx) => {
    if (why) return ctx.skip(why);
    installDeterminism();
    try {
      const c = pair.runtime.counters;
      const r = await openRun(generated(11));
      fillEntryCache(pair, r.a);
      await both(r, "appendMessage(user)", (_s, _p, m) => m.appendMessage({ role: "user", content: "first", timestamp: 1767600000000 }));
      // Another writer appends a line to both files: the next load parses it (new objects): not a continuation.
      const line = `${JSON.stringify({ type: "message", id: "extern01", parentId: r.sb.getLeafId(), timestamp: "2026-01-05T09:00:00.000Z", message: { role: "user", content: "from outside", timestamp: 1 } })}\n`;
      appendFileSync(r.a, line);
      appendFileSync(r.b, line);
      evict(r);
      const continued = c.indexesContinued;
      await both(r, "open after an outside append", (s, path) => s.SM.open(path));
      await both(r, "appendMessage(assistant)", (_s, _p, m) => m.appendMessage({ role: "assistant", content: [{ type: "text", text: "ok" }], api: "a", provider: "p", model: "m", usage, stopReason: "stop", timestamp: 1767600000001 }));
      // Rewritten in the middle behind OpenClaw: stock's re-parse.
      for (const p of [r.a, r.b]) writeFileSync(p, readFileSync(p, "utf8").replace(/"content":"from outside"/, '"content":"changed!"'));
      evict(r);
      await both(r, "open after an outside rewrite", (s, path) => s.SM.open(path));
      expect(r.sa.getEntries().some((e: Entry) => JSON.stringify(e).includes("changed!")), "the served manager sees the rewrite").toBe(true);
      // A manager loading entries it built no index for (another array): stock.
      const foreign = r.sb.fileEntries.map((e: unknown) => structuredClone(e));
      await both(r, "setLoadedSessionFile(foreign entries)", (_s, path, m) => m.setLoadedSessionFile(path, { entries: foreign.map((e: unknown) => structuredClone(e)), snapshot: m.sessionFileSnapshot }));
      // A legacy (v2) header: migration and a rewrite, stock's body.
      await openRun(generated(12, { headerVersion: 2 }));
      expect(c.indexesContinued, "none of these continued").toBe(continued);
    } finally {
      removeDeterminism();
    }
  });
});

describe.skipIf(!!root)("OpenClaw re-load index", () => {
  it.skip("runs per release under scripts/matrix.sh (CTXC_OPENCLAW_ROOT)", () => {});
});
