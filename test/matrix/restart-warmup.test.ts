/**
 * Differential test of the restart warm-up (src/openclaw/restart-warmup.ts) for ONE OpenClaw release
 * (`CTXC_OPENCLAW_ROOT`, 2026.6.9+): the release's REAL SessionManager, from its own chunk (stock) and from
 * the chunk as the preload serves it. A transcript is read once by ctxc's worker with a persistent index,
 * then the gateway "restarts" (a new pool on the same index, the main thread's kept state forgotten,
 * OpenClaw's cache empty), the warm-up runs, the file is left alone / appended to / rewritten / truncated /
 * deleted, and the first turn runs on both sides (the prewarm's read, the open, two appends, the rewrite,
 * a second open). After every step the manager's state, OpenClaw's cache and the file bytes must equal
 * stock's; an unchanged or appended-to file must have been served from what the warm-up built (the open's
 * index continued the warm-up's record, not folded), a changed one from a fresh read. The same on
 * 2026.5.28–6.8 (OpenClaw's SessionManager whose open copies the kept entries through `loadEntriesFromFile`;
 * no rewrite there: appends, and the entries the open handed out wrecked before them; its build in steps with
 * a first open, an append or a rewrite between two of them) and on 2026.5.12–5.27
 * (pi's own open).
 *
 * The same on a FIRST start (src/openclaw/first-start-warmup.ts): the transcript never read by ctxc, its
 * index empty; it is the warm-up's candidate as the preload finds it (OpenClaw's state dir layout, modified
 * recently, nothing in the index), the warm-up's whole-file read saves its index file as any read does. And
 * a first start whose transcript the release's repair pass rewrites first: read, not built, the turn stock's.
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatedTranscript } from "../support/generated.js";
import { withOpaqueRecords } from "../../bench/fixtures/transcript-generator.js";
import { loadCopyingSessionManagers, loadSessionManagerPair, type CopyingSessionManagers, type Manager, type SessionManagerPair, type Side, type Snapshot } from "../../bench/lib/openclaw-session-manager.js";
import { RUNTIME_URL, importIntercepted, releasePi, releaseRoot, releaseVersion, removeIntercepted } from "../support/openclaw-release.js";
import { wreckEntries } from "../support/wreck-entries.js";
import { wideSeeds, wideTimeout } from "../support/seeded-random.js";
import { stateOf } from "../support/manager-state.js";
import { expectSame } from "../support/hostile-corpus.js";
import { tempDir } from "../support/tmp.js";
import { deterministic, installDeterminism, lockstepOp, removeDeterminism } from "../support/lockstep.js";
import { DEFAULT_WARM_UP_DAYS, recentSince } from "../../src/openclaw/first-start-warmup.js";
import { sessionIndexFile } from "../../native-free-workers/openclaw/session-index.js";
import { DIGEST_KEEP_TOTAL_BYTES } from "../../native-free-workers/protocol/file-digest.js";

const root = releaseRoot();
const version = root ? releaseVersion(root) : "";
const dir = tempDir("matrix-restart-warmup");
process.env.CTXC_OPENCLAW_LOG = process.env.DEBUG_LOG ?? join(dir, "preload.log");

let pair: SessionManagerPair;
let why = "";
const indexDir = join(dir, "index");

beforeAll(async () => {
  if (!root) return;
  const got = await loadSessionManagerPair(root, version, RUNTIME_URL);
  if (typeof got === "string") why = got;
  else pair = got;
  if (!pair) return;
  if (!pair.runtime.warmUpHelpers()) why = "the served chunk handed no helpers to the warm-up";
  mkdirSync(indexDir, { mode: 0o700 });
  await pair.runtime.configureOpenClawPool({ indexDir });
  pair.runtime.serveSnapshotOpens();
});

afterAll(async () => {
  await pair?.runtime.configureOpenClawPool({ indexDir: null });
  pair?.dispose();
  removeIntercepted(); // the repair pass's copies (repairedFirstTurn)
});

interface Run {
  a: string; // served
  b: string; // stock
  sa?: Manager;
  sb?: Manager;
  step: number;
  published: [Snapshot[], Snapshot[]];
}

/** `op` on the stock then the served side (same ids and clock, an owned write context); then everything compared. */
async function both(r: Run, name: string, op: (side: Side, path: string, sm: Manager) => unknown, newSession = false): Promise<void> {
  const step = ++r.step;
  const rb = await lockstepOp(pair, step, [pair.stock, r.b, r.sb, r.published[1]], op);
  const ra = await lockstepOp(pair, step, [pair.served, r.a, r.sa, r.published[0]], op);
  const at = `${name} (step ${step})`;
  expect(ra.error, at).toEqual(rb.error);
  if (name.startsWith("open")) [r.sa, r.sb] = [ra.value as Manager, rb.value as Manager];
  else expect(ra.value, at).toEqual(rb.value);
  const exists = [r.a, r.b].map((p) => statSync(p, { throwIfNoEntry: false }) !== undefined);
  expect(exists[0], `${at}: file exists`).toBe(exists[1]);
  if (exists[0]) expect(readFileSync(r.a).equals(readFileSync(r.b)), `${at}: file bytes`).toBe(true);
  expectSame(`${at}: manager state`, stateOf(r.sa, newSession), stateOf(r.sb, newSession));
  expectSame(`${at}: OpenClaw's cache`, pair.served.cache.get(resolve(r.a))?.entries, pair.stock.cache.get(resolve(r.b))?.entries);
}

/** After a first open on both sides: two appends and a rewrite, then the next turn's open (OpenClaw's cache emptied), all compared. */
async function restOfTurns(r: Run, text: string): Promise<void> {
  await both(r, "appendMessage(user)", (_s, _p, m) => m.appendMessage({ role: "user", content: text, timestamp: 1767600000001 }));
  await both(r, "appendMessage(assistant)", (_s, _p, m) => m.appendMessage({ role: "assistant", content: [{ type: "text", text: "ok" }], api: "a", provider: "p", model: "m", usage, stopReason: "stop", timestamp: 1767600000002 }));
  await both(r, "rewriteFile", (_s, _p, m) => m.rewriteFile());
  pair.served.cache.delete(resolve(r.a));
  pair.stock.cache.delete(resolve(r.b));
  await pair.runtime.wrapPrewarm(async () => {})(r.a);
  await both(r, "open (the next turn)", (s, path) => s.SM.open(path));
}

/** Longer than prefetched-digest.ts's margin for fine timestamps: a file last changed this long ago is "settled". */
const SETTLE_MS = 250;

const usage = { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, totalTokens: 2, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } };
/** A transcript OpenClaw's repair pass leaves alone (its errored turns already repaired); `repair`: as written, with errored empty turns it rewrites. */
const generated = (seed: number, repair = false) => generatedTranscript({ seed, entries: 400, branchProbability: 0.15, compactions: 1, includeAllEntryTypes: true, unicode: seed % 2 ? "heavy" : "mixed", erroredEmptyContent: repair }).text;

/** The per-change cases' seeds: two fixed ones each, or `CTXC_WIDE_SEEDS=<first>:<count>` (by hand) for all of them. */
const caseSeeds = (fixed: number[]): number[] => wideSeeds() ?? fixed;
/** Their tests' timeout: longer with wide seeds (each seed runs every change, once per start). */
const CASES_TIMEOUT = wideTimeout(600_000, 60_000);

/**
 * A first start whose transcript OpenClaw's repair pass will rewrite at the first turn (every seed of the
 * real-gateway harness on 2026.7.35): the warm-up reads it (its index saved) but builds nothing (`kept`:
 * what it would have kept), counted as a repair; then the release's repair pass — ctxc's served one on
 * `a`, OpenClaw's own on `b` — rewrites both alike, and `firstTurn` (the prewarm and open on both) follows.
 */
async function repairedFirstTurn(rt: Runtime, a: string, b: string, index: string, helpers: Parameters<Runtime["runRestartWarmUp"]>[1], kept: () => boolean, firstTurn: () => Promise<void>): Promise<void> {
  const x = await importIntercepted(root!, "repairSessionFileIfNeeded");
  if (typeof x === "string") throw new Error(x);
  const text = generated(5, true);
  writeFileSync(a, text);
  copyFileSync(a, b);
  await rt.runRestartWarmUp(await candidatesAfterStart(rt, "first start", a, index), helpers);
  expect([rt.warmUpStats.warmedUp, rt.warmUpStats.skipped, rt.warmUpStats.repairs, rt.warmUpStats.failed], "warmed, skipped, repairs, failed").toEqual([0, 1, 1, 0]);
  expect(statSync(sessionIndexFile(index, a), { throwIfNoEntry: false })?.isFile(), "the index saved by the read").toBe(true);
  expect(kept(), "nothing built").toBe(false);
  const [ours, theirs] = [(await x.ctxc({ sessionFile: a })) as { repaired?: boolean }, (await x.openclaw({ sessionFile: b })) as { repaired?: boolean }];
  expect([ours.repaired, theirs.repaired], "the release's pass rewrote both").toEqual([true, true]);
  expect(readFileSync(a).equals(readFileSync(b)), "repaired bytes").toBe(true);
  expect(readFileSync(a, "utf8")).not.toBe(text);
  const served = rt.counters.sessionsServed;
  await firstTurn();
  expect(rt.counters.sessionsServed - served, "the open served from a read of the repaired file").toBe(1);
}

type Start = "restart" | "first start";
type Runtime = SessionManagerPair["runtime"];

/**
 * `a`, a transcript in its own state dir's session folder (OpenClaw's layout), up to the warm-up of a
 * restarted process: read once before (restart) or never (first start: nothing in the index), the pool
 * restarted and the main thread's kept state forgotten; then the warm-up's candidates as the preload finds
 * them, which must be exactly `a`.
 */
async function candidatesAfterStart(rt: Runtime, start: Start, a: string, index: string): Promise<Parameters<Runtime["runRestartWarmUp"]>[0]> {
  if (start === "restart") await rt.prepareSession(a);
  await rt.closeOpenClawPool();
  rt.restartedMainThread();
  const state = resolve(a, "..", "..", "..", "..");
  const list = rt.selectWarmUp(await rt.findWarmUpCandidates(state, index, recentSince(DEFAULT_WARM_UP_DAYS)), { count: 16, bytes: 1e12 });
  expect(list.map((c) => [c.path, c.unindexed === true]), `${start}: the candidate`).toEqual([[a, start === "first start"]]);
  return list;
}

/** A transcript path in a state dir of its own: `<dir>/<name>/agents/main/sessions/<name>.jsonl`. */
function inStateDir(name: string): string {
  const sessions = join(dir, name, "agents", "main", "sessions");
  mkdirSync(sessions, { recursive: true });
  return resolve(sessions, `${name}.jsonl`);
}

/** What happens to the file between the warm-up and the first open (on both copies alike). */
const CHANGES: Record<string, (path: string, text: string) => void> = {
  unchanged: () => {},
  appended: (p, text) => {
    const last = text.trimEnd().split("\n").at(-1)!;
    const parentId = (JSON.parse(last) as { id: string }).id;
    // An id of its own per text (the same for both copies; appended twice, never its own parent).
    const id = `down${text.length}`;
    appendFileSync(p, `${JSON.stringify({ type: "message", id, parentId, timestamp: "2026-01-05T07:00:00.000Z", message: { role: "user", content: "while down", timestamp: 1 } })}\n`);
  },
  // Cut after the last newline (lastIndexOf, not /[^\n]*$/: that regex retries at every offset, quadratic
  // in the length of the lines — 15 of this file's 20 s CPU in one `it` on 2026.7.35).
  rewritten: (p, text) => {
    const cut = generated(99).slice(0, text.length + 500);
    writeFileSync(p, cut.slice(0, cut.lastIndexOf("\n") + 1));
  },
  truncated: (p, text) => writeFileSync(p, text.slice(0, text.indexOf("\n", text.length >> 1) + 1)),
  deleted: (p) => rmSync(p),
};

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the restart warm-up vs the release's own first open`, () => {
  it.for<Start>(["restart", "first start"])("after a %s with the warm-up, the first turn's open, setLoadedSessionFile, appends, rewrite and next open equal stock's — file unchanged, appended to, rewritten, truncated or deleted after the warm-up", { timeout: CASES_TIMEOUT }, async (start, ctx) => {
    if (why) return ctx.skip(why);
    const rt = pair.runtime;
    const c = rt.counters;
    installDeterminism();
    try {
      let n = 0;
      for (const [change, apply] of Object.entries(CHANGES)) {
        for (const seed of caseSeeds([1, 2, 3])) {
          // Every third with leaf controls and an unknown record (folded by the warm-up too, 2026.6.9+).
          const text = seed % 3 === 0 ? withOpaqueRecords(generated(seed)) : generated(seed);
          const tag = `${start === "restart" ? "w" : "f"}${++n}`;
          const r: Run = { a: inStateDir(`${tag}a`), b: join(dir, `${tag}b.jsonl`), step: 0, published: [[], []] };
          writeFileSync(r.a, text);
          copyFileSync(r.a, r.b);
          // Restart: ctxc's worker read the file before (its state saved in the index); first start: never.
          // Then a new pool on the same index; nothing kept on the main thread; OpenClaw's caches empty.
          const list = await candidatesAfterStart(rt, start, r.a, indexDir);
          pair.served.cache.delete(resolve(r.a));
          pair.stock.cache.delete(resolve(r.b));
          await rt.runRestartWarmUp(list, rt.warmUpHelpers()!);
          const at = `${start}, ${change}, seed ${seed}`;
          expect(rt.warmUpStats.warmedUp, `${at}: warmed up`).toBe(1);
          // Under 8 MiB the fence reads the text, no digest: the warm-up asks the worker for none.
          expect(rt.warmUpStats.digests, `${at}: no digest asked of a small transcript`).toBe(0);
          expect(statSync(sessionIndexFile(indexDir, r.a), { throwIfNoEntry: false })?.isFile(), `${at}: the index saved`).toBe(true);
          expect(rt.entryCache.holdsCachedEntries(resolve(r.a)), `${at}: entries kept`).toBe(true);
          apply(r.a, text);
          apply(r.b, text);
          const [continued, folded, served] = [c.indexesContinued, c.indexesFolded, c.sessionsServed];
          // The first turn: the prewarm's read (a no-op for OpenClaw's own 4 KB read), then the open.
          await rt.wrapPrewarm(async () => {})(r.a);
          await both(r, "open", (s, path) => s.SM.open(path), change === "deleted");
          if (change === "deleted") {
            // Nothing to serve: OpenClaw's new session on both sides (its ids its own, so no further byte comparison).
            expect([c.sessionsServed - served, r.sa.getEntries().length], `${at}: not served, a new session`).toEqual([0, 0]);
            continue;
          }
          if (change === "unchanged" || change === "appended") {
            expect([c.sessionsServed - served, c.indexesContinued - continued, c.indexesFolded - folded], `${at}: served, index continued from the warm-up's record`).toEqual([1, 1, 0]);
          } else {
            expect([c.sessionsServed - served, c.indexesContinued - continued, c.indexesFolded - folded], `${at}: served from a fresh read, index folded anew`).toEqual([1, 0, 1]);
          }
          await restOfTurns(r, `after ${change}`);
        }
      }
    } finally {
      removeDeterminism();
    }
  });

  it("after a restart with the warm-up, every turn takes a first start's later-turn paths (issue #11: a daily-restarted gateway's steady state) — each open served and continuing the index (the warm-up's record, then each turn's), none folded, each rewrite an append: counted per turn on the served side alone, then its file, manager, OpenClaw's cache and published sizes equal stock's after the same turns", { timeout: 600_000 }, async (ctx) => {
    if (why) return ctx.skip(why);
    const rt = pair.runtime;
    const c = rt.counters;
    installDeterminism();
    try {
      for (const seed of [3, 4]) {
        const r: Run = { a: inStateDir(`later${seed}a`), b: join(dir, `later${seed}b.jsonl`), step: 0, published: [[], []] };
        writeFileSync(r.a, generated(seed));
        copyFileSync(r.a, r.b);
        const list = await candidatesAfterStart(rt, "restart", r.a, indexDir);
        pair.served.cache.delete(resolve(r.a));
        pair.stock.cache.delete(resolve(r.b));
        await rt.runRestartWarmUp(list, rt.warmUpHelpers()!);
        expect(rt.warmUpStats.warmedUp, `seed ${seed}: warmed up`).toBe(1);
        const TURNS = 5;
        /** One gateway turn on one side (OpenClaw's cache lost between turns, as other agents' opens make it): steps numbered alike on both. */
        const turn = async (side: "a" | "b", t: number): Promise<Manager> => {
          const [s, path, published] = side === "a" ? [pair.served, r.a, r.published[0]] : [pair.stock, r.b, r.published[1]];
          s.cache.delete(resolve(path));
          if (side === "a") await rt.wrapPrewarm(async () => {})(path);
          const step = 10 * t;
          const opened = await lockstepOp(pair, step, [s, path, undefined as unknown as Manager, published], (x, p) => x.SM.open(p));
          expect(opened.error, `seed ${seed} turn ${t} ${side}: open`).toBeUndefined();
          const sm = opened.value as Manager;
          const ops: ((m: Manager) => unknown)[] = [
            (m) => m.appendMessage({ role: "user", content: `turn ${t}`, timestamp: 1767600000000 + t }),
            (m) => m.appendMessage({ role: "assistant", content: [{ type: "text", text: `reply ${t}` }], api: "a", provider: "p", model: "m", usage, stopReason: "stop", timestamp: 1767600000000 + t }),
            (m) => m.rewriteFile(),
          ];
          for (const [i, op] of ops.entries()) {
            const done = await lockstepOp(pair, step + 1 + i, [s, path, sm, published], (_x, _p, m) => op(m));
            expect(done.error, `seed ${seed} turn ${t} ${side}: op ${i}`).toBeUndefined();
          }
          return sm;
        };
        let sa: Manager | undefined;
        for (let t = 0; t < TURNS; t++) {
          const counted = () => [c.sessionsServed, c.indexesContinued, c.indexesFolded, c.rewritesAppended, c.rewritesStock];
          const before = counted();
          sa = await turn("a", t);
          // A turn that lost the state a first start's later turn has (the kept entries, the index record) would
          // fold the index anew (a pass over every entry) or run stock's whole rewrite (serialise, write, re-read).
          expect(counted().map((v, i) => v - before[i]!), `seed ${seed} turn ${t}: [served, continued, folded, appended, stock rewrites]`).toEqual([1, 1, 0, 1, 0]);
        }
        let sb: Manager | undefined;
        for (let t = 0; t < TURNS; t++) sb = await turn("b", t);
        expect(readFileSync(r.a).equals(readFileSync(r.b)), `seed ${seed}: file bytes after ${TURNS} turns`).toBe(true);
        expectSame(`seed ${seed}: manager state`, stateOf(sa!), stateOf(sb!));
        expect(pair.served.cache.get(resolve(r.a))?.entries, `seed ${seed}: OpenClaw's cache`).toEqual(pair.stock.cache.get(resolve(r.b))?.entries);
        expect(r.published[0].map((x) => x.size), `seed ${seed}: published snapshots`).toEqual(r.published[1].map((x) => x.size));
      }
      expect(c.fallbacks, "no fallback").toBe(0);
    } finally {
      removeDeterminism();
    }
  });

  it("the first turn's fence digests after a warm-up that had the worker digest the transcript (9 MiB, in the fence's digest range): the repair check prefetches it (a first turn now asks as a later one does) and every digest equals the release's own — file unchanged, appended to, rewritten in place at the same size with its mtime put back, truncated or deleted after the warm-up; none asked with the worker's memo off", async (ctx) => {
    if (why) return ctx.skip(why);
    const both = [await importIntercepted(root!, "repairSessionFileIfNeeded"), await importIntercepted(root!, "readSessionFileDigest")];
    const bad = both.find((x) => typeof x === "string");
    if (bad) return ctx.skip(bad as string);
    const [repair, digest] = both as Exclude<(typeof both)[number], string>[];
    const rt = pair.runtime;
    const c = rt.counters;
    expect(digest!.runtime.counters, "one preload runtime").toBe(c);
    const text = generatedTranscript({ seed: 11, targetBytes: 9 * 1024 * 1024, branchProbability: 0.05, compactions: 1, unicode: "mixed", erroredEmptyContent: false }).text;
    const changes: Record<string, (p: string) => void> = {
      unchanged: () => {},
      appended: (p) => CHANGES.appended!(p, text),
      "rewritten in place": (p) => {
        const st = statSync(p);
        const b = readFileSync(p);
        // A space past the middle: JSON.stringify writes none outside strings, so the line still parses (the
        // repair pass leaves it) — only the memo's compare of the bytes it hashed can find the change.
        const at = b.indexOf(0x20, b.length >> 1);
        expect(at).toBeGreaterThan(0);
        b[at] = 0x5f;
        writeFileSync(p, b);
        utimesSync(p, st.atime, st.mtime);
      },
      truncated: (p) => CHANGES.truncated!(p, text),
      deleted: (p) => rmSync(p),
    };
    let n = 0;
    for (const [change, apply] of Object.entries(changes)) {
      const a = inStateDir(`dg${++n}`);
      writeFileSync(a, text);
      const list = await candidatesAfterStart(rt, "restart", a, indexDir);
      await rt.runRestartWarmUp(list, rt.warmUpHelpers()!);
      expect([rt.warmUpStats.warmedUp, rt.warmUpStats.digests], `${change}: warmed up, digest asked`).toEqual([1, 1]);
      apply(a);
      await sleep(SETTLE_MS);
      const prefetched = c.digestsPrefetched;
      // The stage's order: the repair check (the digest asked beside it), then the fence's digests around the run's appends.
      expect((await repair!.ctxc({ sessionFile: a, debug: () => {}, warn: () => {} })) as unknown, `${change}: the check`).toEqual(await repair!.openclaw({ sessionFile: a, debug: () => {}, warn: () => {} }));
      expect(await digest!.ctxc(a), `${change}: the first digest`).toBe(await digest!.openclaw(a));
      // Every change came before the check, so its prefetch is the file's digest at the call (the worker's
      // memo from the warm-up's digest compared, not trusted); nothing to prefetch of a deleted file.
      expect(c.digestsPrefetched - prefetched, `${change}: the prefetched digest used`).toBe(change === "deleted" ? 0 : 1);
      if (change === "deleted") continue;
      appendFileSync(a, `${JSON.stringify({ type: "custom", id: `t${n}`, parentId: null, customType: "turn ✓" })}\n`);
      expect(await digest!.ctxc(a), `${change}: a digest after the turn's append`).toBe(await digest!.openclaw(a));
    }
    // The worker's digest memo off (CTXC_OPENCLAW_DIGEST_KEEP_MB=0): nothing it could keep, so no digest asked.
    try {
      await rt.configureOpenClawPool({ digestKeepBytes: 0 });
      const a = inStateDir(`dg${++n}`);
      writeFileSync(a, text);
      await rt.runRestartWarmUp(await candidatesAfterStart(rt, "restart", a, indexDir), rt.warmUpHelpers()!);
      expect([rt.warmUpStats.warmedUp, rt.warmUpStats.digests], "memo off: warmed up, no digest asked").toEqual([1, 0]);
      expect(await digest!.ctxc(a), "memo off: the first digest").toBe(await digest!.openclaw(a));
    } finally {
      await rt.configureOpenClawPool({ digestKeepBytes: DIGEST_KEEP_TOTAL_BYTES }); // the default again
    }
  });

  it("the build in steps (the frozen entries, then the loaded-index fold): a first open, an append, a rewrite or a new read between two steps of either gives stock's first and next turns; only a complete build is kept, only a complete fold continued", { timeout: 600_000 }, async (ctx) => {
    if (why) return ctx.skip(why);
    const rt = pair.runtime;
    const c = rt.counters;
    const prewarm = rt.wrapPrewarm(async () => {});
    installDeterminism();
    try {
      let n = 0;
      for (const phase of ["build", "fold"] as const) {
        for (const change of ["opened", "appended", "rewritten", "reread"] as const) {
          const text = generated(3);
          const tag = `st${++n}`;
          const r: Run = { a: inStateDir(`${tag}a`), b: join(dir, `${tag}b.jsonl`), step: 0, published: [[], []] };
          writeFileSync(r.a, text);
          copyFileSync(r.a, r.b);
          const list = await candidatesAfterStart(rt, "restart", r.a, indexDir);
          pair.served.cache.delete(resolve(r.a));
          pair.stock.cache.delete(resolve(r.b));
          const at = `${change} between two ${phase} steps`;
          const counts = () => [c.sessionsServed, c.indexesContinued, c.indexesFolded];
          let before = counts();
          const pauses = { build: 0, fold: 0 };
          let opened = false;
          // Steps of 8 KiB and 64 entries (the file is ~25 and ~7 of them); the change after the third of `phase`.
          await rt.runRestartWarmUp(list, rt.warmUpHelpers()!, {
            stepBytes: 8192,
            foldEntries: 64,
            between: async (p) => {
              if (++pauses[p] !== 3 || p !== phase) return;
              if (change === "opened") {
                await prewarm(r.a);
                await both(r, "open (between steps)", (s, path) => s.SM.open(path));
                opened = true;
              } else if (change === "reread") await rt.prepareSession(r.a);
              else {
                CHANGES[change]!(r.a, text);
                CHANGES[change]!(r.b, text);
              }
            },
          });
          const s = rt.warmUpStats;
          expect(pauses.build, `${at}: build steps`).toBeGreaterThan(phase === "build" ? 2 : 5);
          // Dropped: at once, no step after the change.
          const dropped = change === "opened" || change === "reread";
          if (dropped) expect(pauses[phase], `${at}: no step after it`).toBe(3);
          else expect(pauses[phase], `${at}: steps after it`).toBeGreaterThan(3);
          // The build dropped (nothing kept) or handed over (kept, whatever the fold did after it).
          expect([s.warmedUp, s.skipped, s.failed], `${at}: warm-up`).toEqual(dropped && phase === "build" ? [0, 1, 0] : [1, 0, 0]);
          if (change === "reread" && phase === "build") expect(rt.entryCache.holdsCachedEntries(resolve(r.a)), `${at}: nothing of the steps kept`).toBe(false);
          if (!opened) {
            await prewarm(r.a);
            await both(r, "open", (s, path) => s.SM.open(path));
          }
          // The first open's index: continued from the warm-up's record only when the fold completed and the
          // file was only appended to; else folded by that open (the record dropped, never kept, or not continued).
          const recorded = !dropped && change === "appended";
          expect(counts().map((v, i) => v - before[i]!), `${at}: first open served, its index ${recorded ? "continued" : "folded"}`).toEqual([1, recorded ? 1 : 0, recorded ? 0 : 1]);
          await both(r, "appendMessage(user)", (_s, _p, m) => m.appendMessage({ role: "user", content: at, timestamp: 1767600000001 }));
          pair.served.cache.delete(resolve(r.a));
          pair.stock.cache.delete(resolve(r.b));
          before = counts();
          await prewarm(r.a);
          await both(r, "open (the next turn)", (s, path) => s.SM.open(path));
          expect(c.sessionsServed - before[0]!, `${at}: next open served`).toBe(1);
        }
      }
    } finally {
      removeDeterminism();
    }
  });

  it("a line with a 30,000-deep value: the release's own open throws (its recursive freeze overflows the stack), so the warm-up counts it failed and keeps nothing, and the first open throws as stock's", async (ctx) => {
    if (why) return ctx.skip(why);
    const rt = pair.runtime;
    const text = generated(5);
    const parentId = (JSON.parse(text.trimEnd().split("\n").at(-1)!) as { id: string }).id;
    const deep = `{"type":"custom","id":"deep","parentId":${JSON.stringify(parentId)},"timestamp":"2026-01-05T07:00:00.000Z","customType":"x","data":${'{"a":'.repeat(30000)}1${"}".repeat(30000)}}\n`;
    const r: Run = { a: inStateDir("deep-a"), b: join(dir, "deep-b.jsonl"), step: 0, published: [[], []] };
    writeFileSync(r.a, text + deep);
    copyFileSync(r.a, r.b);
    const list = await candidatesAfterStart(rt, "restart", r.a, indexDir);
    pair.served.cache.delete(resolve(r.a));
    pair.stock.cache.delete(resolve(r.b));
    await rt.runRestartWarmUp(list, rt.warmUpHelpers()!);
    expect([rt.warmUpStats.warmedUp, rt.warmUpStats.skipped, rt.warmUpStats.failed], "the warm-up").toEqual([0, 0, 1]);
    expect(rt.entryCache.holdsCachedEntries(resolve(r.a)), "nothing kept").toBe(false);
    await rt.wrapPrewarm(async () => {})(r.a);
    const rb = await lockstepOp(pair, 1, [pair.stock, r.b, undefined as unknown as Manager, r.published[1]], (s, path) => s.SM.open(path));
    const ra = await lockstepOp(pair, 1, [pair.served, r.a, undefined as unknown as Manager, r.published[0]], (s, path) => s.SM.open(path));
    expect(rb.error, "stock's open").toMatch(/^RangeError: Maximum call stack size exceeded/);
    expect(ra.error, "the served open").toBe(rb.error);
  });

  it("a transcript whose first open started is not warmed: before its read, or while the warm-up's read runs (the open takes that read; nothing built twice)", async (ctx) => {
    if (why) return ctx.skip(why);
    await openStartedFirst(pair.runtime, (p) => pair.served.SM.open(p), (p) => pair.served.cache.delete(p), 1);
  });

  it("a first start whose transcript the release's repair pass rewrites at the first turn: read, not built; the repaired file's first open, appends, rewrite and next open equal stock's", async (ctx) => {
    if (why) return ctx.skip(why);
    const rt = pair.runtime;
    const r: Run = { a: inStateDir("repair-a"), b: join(dir, "repair-b.jsonl"), step: 0, published: [[], []] };
    pair.served.cache.delete(resolve(r.a));
    pair.stock.cache.delete(resolve(r.b));
    installDeterminism();
    try {
      await repairedFirstTurn(rt, r.a, r.b, indexDir, rt.warmUpHelpers()!, () => rt.entryCache.holdsCachedEntries(resolve(r.a)), async () => {
        await rt.wrapPrewarm(async () => {})(r.a);
        await both(r, "open", (s, path) => s.SM.open(path));
      });
      await restOfTurns(r, "after the repair");
    } finally {
      removeDeterminism();
    }
  });
});

/**
 * A first open that starts before the warm-up comes to its transcript, or while the warm-up's read runs:
 * no worker read of the warm-up's own, nothing built, and the open served from the read it waited for
 * (`loads`: the open's calls of the served loader). `evict` empties OpenClaw's own cache of a path.
 */
async function openStartedFirst(rt: SessionManagerPair["runtime"], open: (path: string) => unknown, evict: (path: string) => void, loads: number): Promise<void> {
  const text = generated(7);
  const [a, b] = [join(dir, `opened-a${++opened}.jsonl`), join(dir, `opened-b${opened}.jsonl`)];
  writeFileSync(a, text);
  writeFileSync(b, text);
  await rt.prepareSession(a);
  await rt.prepareSession(b);
  await rt.closeOpenClawPool();
  rt.restartedMainThread();
  evict(resolve(a));
  // a: its turn's prewarm started before the warm-up came to it.
  const prewarm = rt.wrapPrewarm(async () => {})(a);
  const ticket = rt.openClawPoolTicket();
  await rt.runRestartWarmUp([{ path: resolve(a), savedMs: 0, size: text.length }], rt.warmUpHelpers()!);
  await prewarm;
  expect([rt.warmUpStats.warmedUp, rt.warmUpStats.skipped], "a: skipped").toEqual([0, 1]);
  expect(rt.openClawPoolTicket() - ticket, "a: no worker request of the warm-up's own").toBe(0);
  // b: its prewarm starts while the warm-up's read runs: it waits for that read and uses it.
  const warming = rt.runRestartWarmUp([{ path: resolve(b), savedMs: 0, size: text.length }], rt.warmUpHelpers()!);
  const before = rt.openClawPoolTicket();
  await rt.wrapPrewarm(async () => {})(b);
  await warming;
  expect([rt.warmUpStats.warmedUp, rt.warmUpStats.skipped], "b: skipped").toEqual([0, 2]);
  expect(rt.openClawPoolTicket() - before, "b: the prewarm asked no read of its own").toBe(0);
  expect(rt.entryCache.holdsCachedEntries(resolve(b)), "b: nothing built by the warm-up").toBe(false);
  const served = rt.counters.sessionsServed;
  open(b);
  expect(rt.counters.sessionsServed - served, "b: the open served from the warm-up's read").toBe(loads);
}
let opened = 0;

type PiManager = { getSessionId(): string; getSessionFile(): string | undefined; getHeader(): unknown; getEntries(): unknown[]; getLeafId(): string | null; getBranch(): unknown[]; buildSessionContext(): unknown };
type PiClass = { open(path: string): PiManager };

/** What OpenClaw's run path reads from a pi manager, as data; side b's path written as side a's. */
const piState = (sm: PiManager, [from, to]: [string, string] = ["", ""]) =>
  JSON.parse(JSON.stringify({ id: sm.getSessionId(), file: sm.getSessionFile(), header: sm.getHeader(), entries: sm.getEntries(), leaf: sm.getLeafId(), branch: sm.getBranch(), context: sm.buildSessionContext() }).split(from).join(to)) as unknown;

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the restart warm-up vs pi's own first open (2026.5.12–5.27)`, () => {
  it.for<Start>(["restart", "first start"])("after a %s with the warm-up (the kept buffer, its tables and memo), the first and next opens equal pi's — file unchanged, appended to, rewritten, truncated or deleted after the warm-up", { timeout: CASES_TIMEOUT }, async (start, ctx) => {
    const x = await releasePi<PiClass>(root!, version);
    if (typeof x === "string") return ctx.skip(x);
    const { runtime: rt, Wrapped, pi } = x;
    const piIndex = join(dir, `pi-index-${start === "restart" ? "r" : "f"}`);
    mkdirSync(piIndex, { mode: 0o700 });
    await rt.configureOpenClawPool({ indexDir: piIndex });
    const prewarm = rt.wrapPrewarm(async () => {});
    const c = rt.counters;
    try {
      let n = 0;
      for (const [change, apply] of Object.entries(CHANGES)) {
        for (const seed of caseSeeds([3, 4])) {
          const text = generated(seed);
          const tag = `${start === "restart" ? "p" : "q"}${++n}`;
          const [a, b] = [inStateDir(`${tag}a`), resolve(dir, `${tag}b.jsonl`)];
          writeFileSync(a, text);
          copyFileSync(a, b);
          await rt.runRestartWarmUp(await candidatesAfterStart(rt, start, a, piIndex), { pi: true });
          const at = `${start}, ${change}, seed ${seed}`;
          expect(rt.warmUpStats.warmedUp, `${at}: warmed up`).toBe(1);
          expect(statSync(sessionIndexFile(piIndex, a), { throwIfNoEntry: false })?.isFile(), `${at}: the index saved`).toBe(true);
          expect(rt.keptBuffers.getKeptBuffers(a), `${at}: buffer kept`).toBeDefined();
          apply(a, text);
          apply(b, text);
          const [served, continued] = [c.sessionsServed, c.sessionsContinued];
          await prewarm(a);
          const [ours, theirs] = [Wrapped.open(a), pi.open(b)];
          if (change === "deleted") {
            // pi's new session on both sides (its id its own).
            expect([c.sessionsServed - served, ours.getEntries().length, theirs.getEntries().length], `${at}: not served, new sessions`).toEqual([0, 0, 0]);
            continue;
          }
          expect(piState(ours), `${at}: first open`).toEqual(piState(theirs, [b, a]));
          const fromWarmUp = change === "unchanged" || change === "appended";
          expect([c.sessionsServed - served, c.sessionsContinued - continued], `${at}: served${fromWarmUp ? ", continuing the warm-up's buffer" : " from a whole read"}`).toEqual([1, fromWarmUp ? 1 : 0]);
          CHANGES.appended!(a, readFileSync(a, "utf8"));
          CHANGES.appended!(b, readFileSync(b, "utf8"));
          await prewarm(a);
          expect(piState(Wrapped.open(a)), `${at}: next open`).toEqual(piState(pi.open(b), [b, a]));
          expect(c.sessionsContinued - continued, `${at}: the next open continued`).toBe(fromWarmUp ? 2 : 1);
        }
      }
    } finally {
      await rt.configureOpenClawPool({ indexDir: null });
    }
  });

  it("a first start whose transcript the release's repair pass rewrites at the first turn: read, not built; the repaired file's first and next opens equal pi's", async (ctx) => {
    const x = await releasePi<PiClass>(root!, version);
    if (typeof x === "string") return ctx.skip(x);
    const { runtime: rt, Wrapped, pi } = x;
    const piIndex = join(dir, "pi-index-repair");
    mkdirSync(piIndex, { mode: 0o700 });
    await rt.configureOpenClawPool({ indexDir: piIndex });
    const prewarm = rt.wrapPrewarm(async () => {});
    const [a, b] = [inStateDir("pi-repair-a"), resolve(dir, "pi-repair-b.jsonl")];
    try {
      await repairedFirstTurn(rt, a, b, piIndex, { pi: true }, () => rt.keptBuffers.getKeptBuffers(a) !== undefined, async () => {
        await prewarm(a);
        expect(piState(Wrapped.open(a)), "first open").toEqual(piState(pi.open(b), [b, a]));
      });
      CHANGES.appended!(a, readFileSync(a, "utf8"));
      CHANGES.appended!(b, readFileSync(b, "utf8"));
      await prewarm(a);
      expect(piState(Wrapped.open(a)), "next open").toEqual(piState(pi.open(b), [b, a]));
    } finally {
      await rt.configureOpenClawPool({ indexDir: null });
    }
  });
});

/** What OpenClaw 2026.5.28–6.8 reads from its SessionManager after an open, as data (the path left out: each side has its own). */
function copyingState(sm: Manager, newSession = false): unknown {
  const files = sm.fileEntries as Record<string, unknown>[];
  const header = (e: unknown) => (newSession && e ? { ...(e as object), id: "(new)", timestamp: "(new)" } : e);
  return {
    keys: Object.keys(sm).filter((k) => k !== "sessionFile"),
    sessionId: newSession ? "(new)" : sm.sessionId,
    flushed: sm.flushed,
    fileEntries: files.map((e, i) => (i === 0 ? header(e) : e)),
    frozen: files.map((e) => Object.isFrozen(e)),
    byId: [...sm.byId.keys()],
    byIdAt: [...sm.byId.values()].map((v) => files.indexOf(v as Record<string, unknown>)),
    labelsById: [...sm.labelsById],
    leafId: sm.leafId,
    entries: sm.getEntries(),
    branch: sm.getBranch(),
    context: sm.buildSessionContext(),
    header: header(sm.getHeader()),
  };
}

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the restart warm-up vs the release's own copying open (2026.5.28–6.8, loadEntriesFromFile)`, () => {
  let x: CopyingSessionManagers | string = "not loaded";
  const copyIndex = join(dir, "copying-index");
  beforeAll(async () => {
    if (!root) return;
    x = await loadCopyingSessionManagers(root, version, RUNTIME_URL);
    if (typeof x === "string") return;
    mkdirSync(copyIndex, { mode: 0o700 });
    await x.runtime.configureOpenClawPool({ indexDir: copyIndex });
  });
  afterAll(async () => {
    if (typeof x !== "string") await x.runtime.configureOpenClawPool({ indexDir: null });
    removeIntercepted();
  });

  it("after a pool restart with the warm-up (the kept entries, decoded and frozen), the first open, appends and next open equal stock's, and nothing OpenClaw does to the entries it owns reaches the next open — file unchanged, appended to, rewritten, truncated or deleted after the warm-up", { timeout: CASES_TIMEOUT }, async (ctx) => {
    if (typeof x === "string") return ctx.skip(x);
    const { runtime: rt, served: ours, stock: theirs } = x;
    expect(rt.warmUpHelpers()?.copying, "the chunk said its open copies").toBe(true);
    const prewarm = rt.wrapPrewarm(async () => {});
    const c = rt.counters;
    installDeterminism();
    try {
      let n = 0;
      let step = 0;
      /** `op` on the stock side then the served one with the same ids and clock; values and errors compared. */
      const both = <T>(at: string, op: (side: "a" | "b") => T): [T, T] => {
        const run = (side: "a" | "b"): { value?: T; error?: string } => {
          deterministic(step);
          try {
            return { value: op(side) };
          } catch (err) {
            return { error: `${(err as Error).name}: ${(err as Error).message}` };
          }
        };
        step++;
        const [rb, ra] = [run("b"), run("a")];
        expect(ra.error, at).toEqual(rb.error);
        return [ra.value as T, rb.value as T];
      };
      for (const [change, apply] of Object.entries(CHANGES)) {
        for (const seed of caseSeeds([5, 6])) {
          const text = generated(seed);
          const [a, b] = [resolve(dir, `c${++n}a.jsonl`), resolve(dir, `c${n}b.jsonl`)];
          const path = (side: "a" | "b") => (side === "a" ? a : b);
          writeFileSync(a, text);
          copyFileSync(a, b);
          // Before the restart: ctxc's worker read the file (and saved its state in the index).
          await rt.prepareSession(a);
          // The restart: a new pool on the same index; nothing kept on the main thread (OpenClaw keeps no entries here).
          await rt.closeOpenClawPool();
          rt.restartedMainThread();
          await rt.runRestartWarmUp([{ path: a, savedMs: 0, size: text.length }], rt.warmUpHelpers()!);
          const at = `${change}, seed ${seed}`;
          expect(rt.warmUpStats.warmedUp, `${at}: warmed up`).toBe(1);
          expect(rt.entryCache.holdsCachedEntries(a), `${at}: entries kept`).toBe(true);
          apply(a, text);
          apply(b, text);
          const [served, continued] = [c.sessionsServed, c.sessionsContinued];
          await prewarm(a);
          let [sa, sb] = both(`${at}: open`, (side) => (side === "a" ? ours : theirs).open(path(side)) as Manager);
          expect(copyingState(sa, change === "deleted"), `${at}: first open`).toEqual(copyingState(sb, change === "deleted"));
          if (change === "deleted") {
            expect(c.sessionsServed - served, `${at}: not served, a new session`).toBe(0);
            continue;
          }
          // The open loads twice (`open`, then `setSessionFile`): both served; from the warm-up's entries only
          // when the file is what they stand for or was appended to, else from a whole read decoded anew.
          const fromWarmUp = change === "unchanged" || change === "appended";
          expect([c.sessionsServed - served, c.sessionsContinued - continued], `${at}: served${fromWarmUp ? ", continuing the warm-up's entries" : " from a whole read"}`).toEqual([2, fromWarmUp ? 2 : 0]);
          // What OpenClaw (or a plugin) may do to the entries it owns: none of it may reach the next open.
          wreckEntries(sa.fileEntries as Record<string, unknown>[]);
          wreckEntries(sb.fileEntries as Record<string, unknown>[]);
          const m = { a: sa, b: sb };
          both(`${at}: appendMessage(user)`, (side) => m[side].appendMessage({ role: "user", content: `after ${change}`, timestamp: 1767600000001 }));
          both(`${at}: appendMessage(assistant)`, (side) => m[side].appendMessage({ role: "assistant", content: [{ type: "text", text: "ok" }], api: "a", provider: "p", model: "m", usage, stopReason: "stop", timestamp: 1767600000002 }));
          expect(readFileSync(a).equals(readFileSync(b)), `${at}: file bytes after the appends`).toBe(true);
          await prewarm(a);
          const before = c.sessionsContinued;
          [sa, sb] = both(`${at}: open (the next turn)`, (side) => (side === "a" ? ours : theirs).open(path(side)) as Manager);
          expect(copyingState(sa), `${at}: next open`).toEqual(copyingState(sb));
          expect(c.sessionsContinued - before, `${at}: the next open continued`).toBe(2);
        }
      }
    } finally {
      removeDeterminism();
    }
  });

  it("the build in steps: a first open between two steps equals stock's and is served from the read (the warm-up keeps nothing), and a file appended to or rewritten between steps still gives stock's first and next opens", async (ctx) => {
    if (typeof x === "string") return ctx.skip(x);
    const { runtime: rt, served: ours, stock: theirs } = x;
    const prewarm = rt.wrapPrewarm(async () => {});
    const c = rt.counters;
    installDeterminism();
    try {
      let n = 0;
      let step = 0;
      const open = (a: string, b: string): [Manager, Manager] => {
        deterministic(++step);
        const sb = theirs.open(b) as Manager;
        deterministic(step);
        return [ours.open(a) as Manager, sb];
      };
      for (const between of ["opened", "appended", "rewritten"] as const) {
        const text = generated(8);
        const [a, b] = [resolve(dir, `s${++n}a.jsonl`), resolve(dir, `s${n}b.jsonl`)];
        writeFileSync(a, text);
        copyFileSync(a, b);
        await rt.prepareSession(a);
        await rt.closeOpenClawPool();
        rt.restartedMainThread();
        const at = `${between} between steps`;
        let pauses = 0;
        let first: [Manager, Manager] | undefined;
        const [served, continued] = [c.sessionsServed, c.sessionsContinued];
        // Steps of 8 KiB (the file is ~50 of them); the change comes after the third.
        await rt.runRestartWarmUp([{ path: a, savedMs: 0, size: text.length }], rt.warmUpHelpers()!, {
          stepBytes: 8192,
          between: async () => {
            if (++pauses !== 3) return;
            if (between === "opened") {
              await prewarm(a);
              first = open(a, b);
            } else {
              CHANGES[between]!(a, text);
              CHANGES[between]!(b, text);
            }
          },
        });
        if (between === "opened") {
          expect(pauses, `${at}: no step after the open`).toBe(3);
          expect([rt.warmUpStats.warmedUp, rt.warmUpStats.skipped], `${at}: the warm-up dropped its steps`).toEqual([0, 1]);
          expect(copyingState(first![0]), `${at}: first open`).toEqual(copyingState(first![1]));
          expect([c.sessionsServed - served, c.sessionsContinued - continued], `${at}: served from the read`).toEqual([2, 0]);
        } else {
          expect(pauses, `${at}: more steps than three`).toBeGreaterThan(3);
          expect(rt.warmUpStats.warmedUp, `${at}: warmed up from its read`).toBe(1);
          await prewarm(a);
          first = open(a, b);
          expect(copyingState(first[0]), `${at}: first open`).toEqual(copyingState(first[1]));
          expect(c.sessionsServed - served, `${at}: served`).toBe(2);
        }
        wreckEntries(first![0].fileEntries as Record<string, unknown>[]);
        wreckEntries(first![1].fileEntries as Record<string, unknown>[]);
        deterministic(++step);
        first![1].appendMessage({ role: "user", content: at, timestamp: 1767600000001 });
        deterministic(step);
        first![0].appendMessage({ role: "user", content: at, timestamp: 1767600000001 });
        expect(readFileSync(a).equals(readFileSync(b)), `${at}: file bytes after the append`).toBe(true);
        await prewarm(a);
        const [na, nb] = open(a, b);
        expect(copyingState(na), `${at}: next open`).toEqual(copyingState(nb));
      }
    } finally {
      removeDeterminism();
    }
  });

  it("a transcript whose first open started is not warmed: before its read, or while the warm-up's read runs (the open takes that read; nothing built twice)", async (ctx) => {
    if (typeof x === "string") return ctx.skip(x);
    const SM = x.served;
    // OpenClaw keeps no entries of its own here (nothing to evict); its open loads twice, both from the read.
    await openStartedFirst(x.runtime, (p) => SM.open(p), () => {}, 2);
  });
});
