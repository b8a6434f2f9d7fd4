/**
 * Adversarial review of the restart warm-up's build in steps on 2026.6.9+ (issue #11; src/openclaw/
 * restart-warmup.ts: buffer-entries.ts `frozenEntriesInSteps`, the hand-over to kept-entries.ts
 * `keptEntriesFor`, release/loaded-index.ts `warmLoadedIndex` folding in steps). Against the release's REAL
 * SessionManager from its own chunk (stock: `loadEntriesFromFileWithSnapshot`, `setLoadedSessionFile`'s
 * index) on a copy of the same bytes (`CTXC_OPENCLAW_ROOT`; skipped where the open is not the snapshot open),
 * the first turn after the warm-up and the next one must equal stock's as a caller can see them (manager
 * state, entries' key order and prototypes, the index's maps, OpenClaw's cache, the file bytes), whatever
 * the steps met: hostile bytes (test/support/hostile-corpus.ts), non-canonical lines, >64 keys and
 * `__proto__` right at a 512 KiB step boundary, a line ending exactly on it, CRLF, duplicate ids, labels,
 * side appends and an unfoldable entry on the fold's 512-entry boundary, every record a step and every
 * entry a fold step; the file appended to (whole, torn), emptied, truncated, rewritten or replaced at the
 * same size with the mtime put back, a racing open, a new read or the stop between two steps of either
 * phase (the file changes also between the warm-up's read and its build, and between the warm-up and the
 * open); and the entry cache's bound reached mid-warm-up by a real turn on another transcript (the
 * defect this review found: the hand-over evicted that turn's entries).
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatedTranscript } from "../support/generated.js";
import { loadSessionManagerPair, type Manager, type SessionManagerPair, type Side, type Snapshot } from "../../bench/lib/openclaw-session-manager.js";
import { RUNTIME_URL, releaseRoot, releaseVersion } from "../support/openclaw-release.js";
import { tempDir } from "../support/tmp.js";
import { installDeterminism, lockstepOp, removeDeterminism } from "../support/lockstep.js";
import { HEADER, SERVED, T, expectSame, hostileCorpus, line, user } from "../support/hostile-corpus.js";
import { stateOf } from "../support/manager-state.js";

const root = releaseRoot();
const version = root ? releaseVersion(root) : "";
const dir = tempDir("matrix-warmup-snapshot-hostile");
process.env.CTXC_OPENCLAW_LOG = process.env.DEBUG_LOG ?? join(dir, "preload.log");
const indexDir = join(dir, "index");

let pair: SessionManagerPair;
let why = "";
beforeAll(async () => {
  if (!root) return;
  const got = await loadSessionManagerPair(root, version, RUNTIME_URL);
  if (typeof got === "string") return void (why = got);
  pair = got;
  const h = pair.runtime.warmUpHelpers();
  // 2026.5.28–6.8 (copying) and 5.12–5.27 (pi): test/matrix/warmup-copying-hostile.test.ts, restart-warmup.test.ts.
  if (!h || h.copying || h.pi) return void (why = "not 2026.6.9+'s snapshot open");
  mkdirSync(indexDir, { mode: 0o700 });
  await pair.runtime.configureOpenClawPool({ indexDir });
  pair.runtime.serveSnapshotOpens();
});
afterAll(async () => {
  await pair?.runtime.configureOpenClawPool({ indexDir: null });
  pair?.dispose();
});

type Rt = SessionManagerPair["runtime"];
interface Run {
  a: string; // served
  b: string; // stock
  sa?: Manager;
  sb?: Manager;
  opened?: boolean;
  step: number;
  published: [Snapshot[], Snapshot[]];
}

let n = 0;
function newRun(text: string | Buffer): Run {
  const [a, b] = [resolve(dir, `h${++n}a.jsonl`), resolve(dir, `h${n}b.jsonl`)];
  writeFileSync(a, text);
  copyFileSync(a, b);
  return { a, b, step: 0, published: [[], []] };
}

/** `op` on the stock then the served side (same ids and clock, an owned write context); then everything compared at every level. */
async function both(r: Run, name: string, op: (side: Side, path: string, sm: Manager) => unknown): Promise<void> {
  const step = ++r.step;
  const rb = await lockstepOp(pair, step, [pair.stock, r.b, r.sb, r.published[1]], op);
  const ra = await lockstepOp(pair, step, [pair.served, r.a, r.sa, r.published[0]], op);
  expect(ra.error, name).toEqual(rb.error);
  if (name.startsWith("open")) [r.sa, r.sb] = [ra.value as Manager, rb.value as Manager];
  // A new session (no usable header: blank lines, an emptied file) has an id of OpenClaw's own random making on each side: only it is masked.
  const newSession = r.sa !== undefined && r.sb !== undefined && r.sa.sessionId !== r.sb.sessionId;
  const bytesOf = (p: string, sm: Manager) => {
    const text = readFileSync(p, "latin1");
    return newSession ? text.split(sm.sessionId as string).join("(new)") : text;
  };
  const exists = [r.a, r.b].map((p) => statSync(p, { throwIfNoEntry: false }) !== undefined);
  expect(exists[0], `${name}: file exists`).toBe(exists[1]);
  if (exists[0]) expect(bytesOf(r.a, r.sa) === bytesOf(r.b, r.sb), `${name}: file bytes`).toBe(true);
  if (r.sa === undefined || r.sb === undefined) return;
  expectSame(`${name}: manager state`, stateOf(r.sa, newSession), stateOf(r.sb, newSession));
  const cached = (side: Side, p: string) => side.cache.get(p)?.entries.map((e, i) => (i === 0 && newSession ? { ...e, id: "(new)" } : e));
  expectSame(`${name}: OpenClaw's cache`, cached(pair.served, r.a), cached(pair.stock, r.b));
}

/** The first turn's prewarm and open, against stock (once: a racing open may have made it already). */
async function firstOpen(rt: Rt, r: Run, at: string): Promise<void> {
  if (r.opened) return;
  r.opened = true;
  await rt.wrapPrewarm(async () => {})(r.a);
  await both(r, `open: ${at}`, (s, path) => s.SM.open(path));
}

/** The first turn (see {@link firstOpen}), two appends, a rewrite, and the next turn's open with OpenClaw's cache emptied: each against stock. */
async function firstTurnAndNext(rt: Rt, r: Run, at: string): Promise<void> {
  await firstOpen(rt, r, at);
  if (!r.sa) return; // the open threw on both sides (compared)
  await both(r, `appendMessage(user): ${at}`, (_s, _p, m) => m.appendMessage({ role: "user", content: `after ${at}`, timestamp: 1767600000001 }));
  await both(r, `appendMessage(assistant): ${at}`, (_s, _p, m) => m.appendMessage({ role: "assistant", content: [{ type: "text", text: "ok" }], api: "a", provider: "p", model: "m", usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, totalTokens: 2, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } }, stopReason: "stop", timestamp: 1767600000002 }));
  // OpenClaw serialises every entry again: the lines the read remembered (the canonical ones) answer for ctxc.
  await both(r, `rewriteFile: ${at}`, (_s, _p, m) => m.rewriteFile());
  pair.served.cache.delete(r.a);
  pair.stock.cache.delete(r.b);
  await rt.wrapPrewarm(async () => {})(r.a);
  await both(r, `open (the next turn): ${at}`, (s, path) => s.SM.open(path));
}

/** Before the restart ctxc's worker read each of `paths` (saving its index); then the restart: a new pool on the same index, nothing kept, OpenClaw's caches empty. */
async function readThenRestart(rt: Rt, runs: Run[]): Promise<void> {
  for (const r of runs) await rt.prepareSession(r.a);
  await rt.closeOpenClawPool();
  rt.restartedMainThread();
  for (const r of runs) {
    pair.served.cache.delete(r.a);
    pair.stock.cache.delete(r.b);
  }
}

const candidate = (path: string) => ({ path, savedMs: 0, size: statSync(path).size });
const counts = (rt: Rt) => [rt.counters.sessionsServed, rt.counters.indexesContinued, rt.counters.indexesFolded];
const delta = (rt: Rt, before: number[]) => counts(rt).map((v, i) => v - before[i]!);

const STEP = 512 * 1024; // restart-warmup.ts WARM_UP_FROZEN_STEP_BYTES
const FOLD = 512; // WARM_UP_FOLD_ENTRIES
type Plain = Record<string, unknown>;
const custom = (id: string, parentId: string | null, extra: Plain = {}) => line({ type: "custom", id, parentId, timestamp: T, customType: "x", ...extra });
/** The same JSON value, not as JSON.stringify writes it (a space after each top-level comma): the worker's canonical flag is off. */
const spaced = (l: string) => l.replace(/,"/g, ', "');
const wide = (k: number) => Object.fromEntries(Array.from({ length: k }, (_, i) => [i % 3 ? `k${i}` : `${k - i}`, i % 7 ? i : { n: [i, { m: -0 }] }]));
/** A user message line of exactly `bytes` bytes (ASCII padding). */
const sized = (id: string, parentId: string, bytes: number) => {
  const l = user(id, parentId, "");
  return user(id, parentId, "x".repeat(bytes - l.length));
};

/**
 * Lines whose line bytes add up to exactly `STEP` at the end of line `k` (`eol`: the bytes a line's end
 * adds to what the step counts, tried both ways), then odd lines right on the boundary: a non-canonical
 * one, one with more than 64 keys and `__proto__` keys, and a spaced one after it.
 */
function boundaryLines(eol: number, end: "\n" | "\r\n"): string {
  const lines = [HEADER];
  let total = HEADER.length + eol;
  const push = (l: string) => {
    lines.push(l);
    total += l.length + eol;
  };
  const last = () => (lines.length === 1 ? "s-1" : `b${lines.length - 2}`);
  const id = () => `b${lines.length - 1}`;
  while (STEP - total > 20_000) push(lines.length % 5 === 0 ? spaced(sized(id(), last(), 4000)) : sized(id(), last(), 4000));
  // The line that ends exactly on the step's bytes (its own end counted as `eol`): non-canonical.
  const probe = sized(id(), last(), 1000);
  push(spaced(sized(id(), last(), STEP - total - eol - (spaced(probe).length - probe.length))));
  if (total !== STEP) throw new Error(`boundary at ${total}`);
  push(`{"type":"custom","id":"${id()}","parentId":"${last()}","__proto__":{"polluted":1},"customType":"x","data":${JSON.stringify(wide(80))}}`);
  push(spaced(custom(id(), last(), { data: wide(70), __proto__x: 1 })));
  for (let j = 0; j < 40; j++) push(j % 2 ? sized(id(), last(), 30_000) : spaced(sized(id(), last(), 30_000)));
  return lines.join(end) + end;
}

/** ~1,100 entries: labels, a duplicate id, an entry without a parent and side appends on and around the fold's boundaries (entries 512/513 and 1024/1025). */
function foldBoundaryLines(odd: (i: number, parent: string) => string | undefined): string {
  const lines = [HEADER];
  for (let i = 1; i <= 1100; i++) {
    const parent = i === 1 ? "s-1" : `f${i - 1}`;
    lines.push(odd(i, parent) ?? (i % 2 ? user(`f${i}`, parent, `m${i}`) : line({ type: "message", id: `f${i}`, parentId: parent, timestamp: T, message: { role: "assistant", content: [{ type: "text", text: `r${i}` }], api: "a", provider: "p", model: "m", stopReason: "stop", usage: { input: 1, output: 1 }, timestamp: 2 } })));
  }
  return lines.join("\n") + "\n";
}
const onBoundary = (i: number) => i === FOLD || i === FOLD + 1 || i === 2 * FOLD || i === 2 * FOLD + 1;

/** Files the steps meet at their edges (beyond the hostile corpus). */
function snapshotCorpus(): { name: string; text: string; foldable: boolean }[] {
  return [
    { name: "a line ends exactly on a 512 KiB step (newline not counted), odd lines after it", text: boundaryLines(0, "\n"), foldable: true },
    { name: "a line ends exactly on a 512 KiB step (newline counted), odd lines after it", text: boundaryLines(1, "\n"), foldable: true },
    { name: "CRLF, a line ends exactly on a 512 KiB step (CR counted)", text: boundaryLines(1, "\r\n"), foldable: true },
    { name: "CRLF, a line ends exactly on a 512 KiB step (CRLF counted)", text: boundaryLines(2, "\r\n"), foldable: true },
    {
      name: "labels, a duplicate id, a parentless entry and side appends on the fold's 512-entry boundaries",
      foldable: true,
      text: foldBoundaryLines((i, parent) => {
        if (i === FOLD) return line({ type: "label", id: `f${i}`, parentId: parent, timestamp: T, targetId: "f3", label: "first" });
        if (i === FOLD + 1) return spaced(line({ type: "label", id: `f${i}`, parentId: parent, timestamp: T, targetId: "f3", label: "" }));
        if (i === FOLD + 2) return line({ type: "label", id: "f3", parentId: parent, timestamp: T, targetId: "f5", label: "dup id" });
        if (i === 2 * FOLD) return custom(`f${i}`, parent, { appendMode: "side", data: wide(66) });
        if (i === 2 * FOLD + 1) return user(`f${i}`, `f${i - 2}`, "after the side append");
        if (i === 2 * FOLD + 2) return line({ type: "custom", id: `f${i}`, timestamp: T, customType: "no parent" });
        return undefined;
      }),
    },
    { name: "a leaf control entry right after the fold's first boundary (not foldable)", foldable: false, text: foldBoundaryLines((i, parent) => (i === FOLD + 1 ? line({ type: "leaf", id: `f${i}`, parentId: parent, timestamp: T, targetId: "f4" }) : undefined)) },
    { name: "non-canonical lines on every fold boundary, CRLF", foldable: true, text: foldBoundaryLines((i, parent) => (onBoundary(i) ? spaced(user(`f${i}`, parent, `odd ${i}`)) + "\r" : undefined)) },
  ];
}

/** The transcript the change tests warm: 1,300 entries (three fold steps of 512, ~140 build steps of 16 KiB). */
const changing = () => generatedTranscript({ seed: 61, entries: 1300, branchProbability: 0.15, compactions: 1, includeAllEntryTypes: true, unicode: "heavy", erroredEmptyContent: false }).text;

/** What may happen to a transcript while ctxc is not looking (on both copies alike). */
const flip = (s: string) => {
  const at = s.indexOf('"id":"', s.length >> 1) + 6;
  return s.slice(0, at) + (s[at] === "Z" ? "Y" : "Z") + s.slice(at + 1);
};
const lastId = (s: string) => (JSON.parse(s.trimEnd().split("\n").at(-1)!) as { id: string }).id;
const appended = (id: string, p: string) => user(id, lastId(readFileSync(p, "utf8")), "while warming");
const sameSize = (p: string, write: (p: string, s: string) => void) => {
  const st = statSync(p);
  write(p, flip(readFileSync(p, "utf8")));
  utimesSync(p, st.atime, st.mtime);
};
const fileChanges: Record<string, (p: string) => void> = {
  "appended whole lines": (p) => appendFileSync(p, `${appended("w1", p)}\n${custom("w2", "w1", { data: wide(65) })}\n`),
  "appended a line without its newline": (p) => appendFileSync(p, appended("w1", p)),
  "appended half a line": (p) => appendFileSync(p, appended("w1", p).slice(0, 40)),
  emptied: (p) => writeFileSync(p, ""),
  "truncated to its header": (p) => writeFileSync(p, `${readFileSync(p, "utf8").split("\n")[0]}\n`),
  "rewritten in place at the same size, mtime put back": (p) => sameSize(p, writeFileSync),
  "replaced by a file of the same size and mtime": (p) => sameSize(p, (q, s) => {
    writeFileSync(`${q}.new`, s);
    const st = statSync(q);
    utimesSync(`${q}.new`, st.atime, st.mtime);
    renameSync(`${q}.new`, q);
  }),
};

const skip = () => why;

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the 2026.6.9+ restart warm-up in steps vs the release's own first turn`, () => {
  it("hostile bytes and lines on the steps' edges, built in the default steps and one record / one entry per step: the first and next turns equal stock's; a complete fold is continued", { timeout: 600_000 }, async (ctx) => {
    if (skip()) return ctx.skip(skip());
    const rt = pair.runtime;
    const corpus = [...hostileCorpus().map((c) => ({ ...c, foldable: false })), ...snapshotCorpus()];
    installDeterminism();
    try {
      for (const steps of [{}, { stepBytes: 1, foldEntries: 1 }]) {
        const warmed: string[] = [];
        for (const c of corpus) {
          const at = `${c.name} (${steps.stepBytes ? "a record / an entry per step" : "default steps"})`;
          const r = newRun(c.text);
          await readThenRestart(rt, [r]);
          const pauses = { build: 0, fold: 0 };
          await rt.runRestartWarmUp([candidate(r.a)], rt.warmUpHelpers()!, { ...steps, between: async (p) => void pauses[p]++ });
          if (rt.warmUpStats.warmedUp === 1) warmed.push(c.name);
          const before = counts(rt);
          await firstOpen(rt, r, at);
          const first = delta(rt, before);
          await firstTurnAndNext(rt, r, at);
          if (!c.foldable) continue;
          // Not vacuous: built in many steps, folded in many, and the first open continued the warm-up's record.
          const entries = String(c.text).split("\n").length - 1;
          expect(rt.warmUpStats.warmedUp, `${at}: warmed`).toBe(1);
          expect(pauses.build, `${at}: build steps`).toBeGreaterThanOrEqual(steps.stepBytes ? entries : 1);
          if (rt.warmUpHelpers()!.loadedIndex) {
            expect(pauses.fold, `${at}: fold steps`).toBeGreaterThanOrEqual(steps.foldEntries ? entries - 1 : Math.ceil((entries - 1) / FOLD));
            expect(first, `${at}: first open served, its index continued`).toEqual([1, 1, 0]);
          }
        }
        // Every file ctxc serves whole with a version-3 header was warmed (the unfoldable one too: only its fold stops).
        const expected = [...SERVED].filter((s) => s !== "header with version 3 as a string");
        expect(warmed.filter((w) => SERVED.has(w)).sort(), "hostile files warmed").toEqual(expected.sort());
        expect(warmed.filter((w) => !SERVED.has(w) && !hostileCorpus().some((h) => h.name === w)).sort(), "edge files warmed").toEqual(snapshotCorpus().map((c) => c.name).sort());
      }
    } finally {
      removeDeterminism();
    }
  });

  it("between two steps of the build or of the fold: appended (whole, torn), emptied, truncated, rewritten or replaced at the same size with the mtime put back, a racing open, a new read, the stop — the first and next turns equal stock's, and what the steps built is dropped where it must be", { timeout: 600_000 }, async (ctx) => {
    if (skip()) return ctx.skip(skip());
    const rt = pair.runtime;
    const text = changing();
    const drops = ["a racing open", "a new read", "the stop"] as const;
    installDeterminism();
    try {
      for (const phase of ["build", "fold"] as const) {
        for (const change of [...Object.keys(fileChanges), ...drops]) {
          const at = `${change} between two ${phase} steps`;
          const r = newRun(text);
          utimesSync(r.a, 1767600000, 1767600000);
          await readThenRestart(rt, [r]);
          const pauses = { build: 0, fold: 0 };
          await rt.runRestartWarmUp([candidate(r.a)], rt.warmUpHelpers()!, {
            stepBytes: 16 * 1024,
            between: async (p) => {
              if (++pauses[p] !== 2 || p !== phase) return;
              if (change === "a racing open") {
                await firstOpen(rt, r, `${at} (racing)`);
                // The turn over: its read let go a macrotask after the open (releaseAfterOpen); only the open having started tells.
                await new Promise((done) => setImmediate(done));
              } else if (change === "a new read") void rt.prepareSession(r.a);
              else if (change === "the stop") rt.stopWarmUp();
              else {
                fileChanges[change]!(r.a);
                fileChanges[change]!(r.b);
              }
            },
          });
          if (phase === "fold" && !rt.warmUpHelpers()!.loadedIndex) continue;
          const dropped = (drops as readonly string[]).includes(change);
          if (dropped) expect(pauses[phase], `${at}: no step after it`).toBe(2);
          else expect(pauses[phase], `${at}: steps after it`).toBeGreaterThan(2);
          const s = rt.warmUpStats;
          expect([s.warmedUp, s.skipped, s.failed], `${at}: warm-up`).toEqual(dropped && phase === "build" ? [0, 1, 0] : [1, 0, 0]);
          if (dropped && phase === "build" && change !== "a racing open") expect(rt.entryCache.holdsCachedEntries(r.a), `${at}: nothing of the steps kept`).toBe(false);
          await rt.readSettled(r.a);
          const before = counts(rt);
          await firstOpen(rt, r, at);
          // The first open's index: continued from the warm-up's record only when the fold completed and the
          // file was only appended to by whole lines; a torn tail is the open's to decide (compared with stock above).
          const first = delta(rt, before);
          await firstTurnAndNext(rt, r, at);
          if (change === "a racing open" || change.startsWith("appended a") || change.startsWith("appended h")) continue;
          expect(first[1], `${at}: the first turn's index continued the warm-up's record`).toBe(!dropped && change === "appended whole lines" ? 1 : 0);
        }
      }
    } finally {
      removeDeterminism();
    }
  });

  it("between the warm-up's read and its build, or between the warm-up and the first open: the same changes — every turn equals stock's, the index continued only for whole appended lines", { timeout: 600_000 }, async (ctx) => {
    if (skip()) return ctx.skip(skip());
    const rt = pair.runtime;
    const text = changing();
    installDeterminism();
    try {
      for (const when of ["between the read and the build", "between the warm-up and the open"] as const) {
        for (const [change, apply] of Object.entries(fileChanges)) {
          const at = `${change} ${when}`;
          const r = newRun(text);
          utimesSync(r.a, 1767600000, 1767600000);
          await readThenRestart(rt, [r]);
          const warming = rt.runRestartWarmUp([candidate(r.a)], rt.warmUpHelpers()!);
          // The change lands as the warm-up's read settles; its build (a macrotask later) builds that read.
          if (when === "between the read and the build") await rt.readSettled(r.a);
          else await warming;
          apply(r.a);
          apply(r.b);
          await warming;
          expect(rt.warmUpStats.warmedUp, `${at}: built from its read`).toBe(1);
          const before = counts(rt);
          await firstOpen(rt, r, at);
          const first = delta(rt, before);
          await firstTurnAndNext(rt, r, at);
          if (change.startsWith("appended a") || change.startsWith("appended h")) continue;
          // An emptied file is OpenClaw's new session (nothing to serve).
          expect(first.slice(0, 2), `${at}: served, the index ${change === "appended whole lines" ? "continued" : "not continued"}`).toEqual([change === "emptied" ? 0 : 1, change === "appended whole lines" && rt.warmUpHelpers()!.loadedIndex ? 1 : 0]);
        }
      }
    } finally {
      removeDeterminism();
    }
  });

  it("the entry cache's bound reached mid-warm-up by a real turn on another transcript: between build steps the warm-up evicts nothing (the real turn's entries stay; the warmed transcript is passed over), between fold steps the fold is dropped when its entries were evicted; every turn equals stock's", async (ctx) => {
    if (skip()) return ctx.skip(skip());
    const rt = pair.runtime;
    // 1,300 entries: three fold steps, so one comes after the second pause.
    const gen = (seed: number) => generatedTranscript({ seed, entries: 1300, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "mixed", erroredEmptyContent: false }).text;
    const limit = rt.entryCache.entryCacheLimit();
    installDeterminism();
    try {
      for (const phase of ["build", "fold"] as const) {
        if (phase === "fold" && !rt.warmUpHelpers()!.loadedIndex) continue;
        const [w, real] = [newRun(gen(71)), newRun(gen(72))];
        await readThenRestart(rt, [w, real]);
        // Room for either transcript, not for both.
        rt.entryCache.setEntryCacheLimit(statSync(w.a).size + statSync(real.a).size - 1);
        let pauses = 0;
        await rt.runRestartWarmUp([candidate(w.a)], rt.warmUpHelpers()!, {
          stepBytes: 16 * 1024,
          between: async (p) => {
            if (p !== phase || ++pauses !== 2) return;
            await firstOpen(rt, real, `a real first turn between ${phase} steps`);
          },
        });
        const at = `the bound reached between ${phase} steps`;
        expect(rt.entryCache.holdsCachedEntries(real.a), `${at}: the real turn's entries kept`).toBe(true);
        if (phase === "build") {
          expect([rt.warmUpStats.warmedUp, rt.warmUpStats.skipped], `${at}: no room left at the hand-over: passed over`).toEqual([0, 1]);
          expect(rt.entryCache.holdsCachedEntries(w.a), `${at}: nothing of the steps kept`).toBe(false);
        } else {
          expect(rt.warmUpStats.warmedUp, `${at}: warmed before the real turn`).toBe(1);
          expect(rt.entryCache.holdsCachedEntries(w.a), `${at}: its entries evicted by the real turn (least recently used)`).toBe(false);
          // The fold dropped at once: a record of entries the cache no longer holds would keep a copy of them alive for nothing.
          expect(pauses, `${at}: no fold step after the eviction`).toBe(2);
        }
        const before = counts(rt);
        await firstOpen(rt, w, at);
        expect(delta(rt, before).slice(0, 2), `${at}: served, no warm-up record continued`).toEqual([1, 0]);
        await firstTurnAndNext(rt, w, at);
        await firstTurnAndNext(rt, real, `${at}, the real transcript's next turns`);
        rt.entryCache.setEntryCacheLimit(limit);
      }
    } finally {
      rt.entryCache.setEntryCacheLimit(limit);
      removeDeterminism();
    }
  });
});
