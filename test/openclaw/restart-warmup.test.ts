/**
 * The restart warm-up's rules (src/openclaw/restart-warmup.ts) without a release: the switch, which
 * transcripts it picks (the persistent index's, by the index file's name; most recently saved first;
 * bounded by count and the entry cache's bytes; gone or empty files left out), and that a transcript
 * whose open already started, or that ctxc already holds, gets no worker read of the warm-up's own; what the
 * build for 2026.5.28–6.8's copying open keeps — built in steps, a real open between two steps winning
 * (nothing the steps decoded kept) and a change of the file between steps left to the open's read; the
 * 2026.6.9+ build in steps (the snapshot open's frozen entries) keeping what the open's one-block build
 * keeps, and nothing when stopped or read anew between steps. On a
 * first start (src/openclaw/first-start-warmup.ts): the transcripts the index holds nothing for, modified in
 * the last `CTXC_OPENCLAW_WARMUP_DAYS` days, and the free core their whole-file reads wait for. A transcript
 * OpenClaw's repair pass will rewrite before its first open is read but not built.
 * Its results against the release's own functions: test/matrix/restart-warmup.test.ts.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sessionIndexFile } from "../../native-free-workers/openclaw/session-index.js";
import { counted, DEFAULT_WARM_UP_COUNT, findWarmUpCandidates, restartedMainThread, restartWarmUp, runRestartWarmUp, selectWarmUp, slicedPauses, stopWarmUp, WARM_UP_SLICE_MAX_MS, WARM_UP_SLICE_MS, warmUpCountFromEnv, warmUpIndexedFirst, warmUpStats, warmUpSummary, watchedGate } from "../../src/openclaw/restart-warmup.js";
import { keptEntriesFor } from "../../src/openclaw/kept-entries.js";
import { openClawPoolTicket } from "../../src/openclaw/pool.js";
import { prepareSession, preparedFor, serveSnapshotOpens, settledRead } from "../../src/openclaw/prepared-reads.js";
import { getCachedEntries, setCachedEntries } from "../../src/openclaw/entry-cache.js";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { entryLoaderHandlers } from "../../src/openclaw/entry-loaders.js";
import type { PreloadDeps } from "../../src/openclaw/preload-deps.js";
import type { OpenClawSession } from "../../src/openclaw/session.js";
import { tempDir } from "../support/tmp.js";
import { coreFreeBeforeColdReads, cpuSample, DEFAULT_WARM_UP_DAYS, FREE_CORE_AT_LEAST, FREE_MAX_WAIT_MS, FREE_WINDOW_MS, FREE_WINDOWS, freeCores, gateWaitFromEnv, recentSince, warmUpDaysFromEnv, type CpuSample } from "../../src/openclaw/first-start-warmup.js";
import { REWRITTEN, rewrittenByEveryRelease } from "../../native-free-workers/openclaw/repair-check.js";

afterEach(() => restartedMainThread());

describe("CTXC_OPENCLAW_WARMUP", () => {
  it("unset, blank or not a whole number: the default; 0 or off: off; N: at most N (capped)", () => {
    for (const v of [undefined, "", "  ", "x", "1.5", "-2"]) expect(warmUpCountFromEnv(v), String(v)).toBe(DEFAULT_WARM_UP_COUNT);
    expect(warmUpCountFromEnv("0")).toBe(0);
    expect(warmUpCountFromEnv("off")).toBe(0);
    expect(warmUpCountFromEnv(" 3 ")).toBe(3);
    expect(warmUpCountFromEnv("100000")).toBe(256);
  });
});

describe("selectWarmUp", () => {
  const c = (path: string, savedMs: number, size: number) => ({ path, savedMs, size });
  it("most recently saved first, ties by path; at most `count`", () => {
    const list = [c("/b", 1, 10), c("/a", 3, 10), c("/c", 3, 10), c("/d", 2, 10)];
    expect(selectWarmUp(list, { count: 16, bytes: 1e9 }).map((x) => x.path)).toEqual(["/a", "/c", "/d", "/b"]);
    expect(selectWarmUp(list, { count: 2, bytes: 1e9 }).map((x) => x.path)).toEqual(["/a", "/c"]);
    expect(selectWarmUp(list, { count: 0, bytes: 1e9 })).toEqual([]);
  });
  it("no more bytes together than the entry cache's bound: a file that does not fit is passed over, a smaller later one still taken; empty files never", () => {
    const list = [c("/new", 5, 60), c("/big", 4, 50), c("/small", 3, 40), c("/empty", 2, 0)];
    expect(selectWarmUp(list, { count: 16, bytes: 100 }).map((x) => x.path)).toEqual(["/new", "/small"]);
    expect(selectWarmUp(list, { count: 16, bytes: 0 })).toEqual([]);
  });
});

describe("findWarmUpCandidates", () => {
  it("OpenClaw's transcripts (<state>/agents/<id>/sessions/*.jsonl) that have an index file, with the index file's save time and the transcript's size", async () => {
    const state = tempDir("warmup-state");
    const index = join(state, "ctxc", "index");
    mkdirSync(index, { recursive: true });
    const file = (agent: string, name: string, text: string) => {
      const dir = join(state, "agents", agent, "sessions");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), text);
      return resolve(dir, name);
    };
    const indexed = (path: string, at: number) => {
      writeFileSync(sessionIndexFile(index, path), "{}");
      utimesSync(sessionIndexFile(index, path), at, at);
    };
    const a = file("main", "s1.jsonl", "aaaa\n");
    const b = file("ops", "s2.jsonl", "bb\n");
    file("ops", "s3.jsonl", "never indexed\n");
    const gone = file("ops", "s4.jsonl", "x\n");
    indexed(a, 1000);
    indexed(b, 2000);
    indexed(join(state, "agents", "ops", "sessions", "deleted.jsonl"), 3000); // an index file whose transcript is gone
    indexed(gone, 1500);
    const other = file("ops", "s5.jsonl.bak", "not a transcript\n");
    indexed(other, 4000);
    writeFileSync(join(state, "agents", "not-a-dir"), "");
    rmSync(gone);
    const found = (await findWarmUpCandidates(state, index)).sort((x, y) => x.savedMs - y.savedMs);
    expect(found.map((x) => [x.path, x.savedMs, x.size])).toEqual([
      [a, 1_000_000, 5],
      [b, 2_000_000, 3],
    ]);
    expect(await findWarmUpCandidates(join(state, "nowhere"), index)).toEqual([]);
  });
});

describe("runRestartWarmUp skips what is taken", () => {
  it("a transcript whose open started, or whose entries ctxc holds, gets no worker read of the warm-up's own", async () => {
    const dir = tempDir("warmup-skip");
    const opened = resolve(dir, "opened.jsonl");
    const held = resolve(dir, "held.jsonl");
    for (const p of [opened, held]) writeFileSync(p, '{"type":"session","version":3,"id":"s","timestamp":"t","cwd":"/"}\n');
    // A turn's open of `opened` asked for its read (none prepared: OpenClaw's own open) before the warm-up came to it.
    expect(preparedFor(opened)).toBeUndefined();
    setCachedEntries(held, { identity: { dev: 1, ino: 1, size: 1, mtimeMs: 1, ctimeMs: 1 }, entries: [{}], serializedExactly: false });
    const ticket = openClawPoolTicket();
    await runRestartWarmUp([{ path: opened, savedMs: 2, size: 60 }, { path: held, savedMs: 1, size: 60 }], {});
    expect(openClawPoolTicket() - ticket).toBe(0);
    expect([warmUpStats.candidates, warmUpStats.skipped, warmUpStats.warmedUp]).toEqual([2, 2, 0]);
  });
});

describe("the build for 2026.5.28–6.8's copying open (`copying`)", () => {
  it("keeps every line's entry decoded and deep-frozen, continued by the next read (it asks only for what was appended since)", async () => {
    const dir = tempDir("warmup-copying");
    const path = resolve(dir, "s.jsonl");
    const text = generateTranscript({ seed: 3, entries: 120, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "heavy", erroredEmptyContent: false }).text;
    writeFileSync(path, text);
    // Reads that carry member FIELDS (as in a process serving the snapshot open): the copying build still decodes them all.
    serveSnapshotOpens();
    await runRestartWarmUp([{ path, savedMs: 1, size: text.length }], { copying: true });
    expect([warmUpStats.warmedUp, warmUpStats.failed]).toEqual([1, 0]);
    const kept = getCachedEntries(path)!;
    const lines = text.trimEnd().split("\n");
    expect(kept.entries).toEqual(lines.map((l) => JSON.parse(l)));
    // Decoded now, not on use: every member is a plain frozen value already (no accessor left to run).
    const frozenAllDown = (v: unknown): boolean => typeof v !== "object" || v === null || (Object.isFrozen(v) && Object.values(v).every(frozenAllDown));
    expect(kept.entries.every(frozenAllDown)).toBe(true);
    expect(kept.entries.every((e) => Object.values(Object.getOwnPropertyDescriptors(e)).every((d) => "value" in d))).toBe(true);
    // The read was released; the next one continues the kept entries' generation (the first open's read).
    expect(settledRead(path)).toBeUndefined();
    appendFileSync(path, lines.at(-1)!.replace(/"id":"[^"]*"/, '"id":"appended"') + "\n");
    await prepareSession(path);
    const next = settledRead(path);
    expect(next instanceof Error || next === undefined ? next : [next.firstRecord, next.recordCount]).toEqual([lines.length, 1]);
  });
});

describe("warmUpIndexedFirst", () => {
  it("warms the index's transcripts before it waits for a free core, and the whole-file reads only after it", async () => {
    const dir = tempDir("warmup-order");
    const text = generateTranscript({ seed: 5, entries: 40, branchProbability: 0.1, compactions: 0, includeAllEntryTypes: true, erroredEmptyContent: false }).text;
    const [cold, indexed] = ["cold.jsonl", "indexed.jsonl"].map((n) => resolve(dir, n));
    for (const p of [cold, indexed]) writeFileSync(p, text);
    const atGate: [boolean, boolean][] = [];
    // The unindexed one is the more recent (first in the list), as a first start's fresh file beside a restart's.
    const list = [{ path: cold, savedMs: 2, size: text.length, unindexed: true }, { path: indexed, savedMs: 1, size: text.length }];
    await warmUpIndexedFirst(list, { copying: true }, async (waiting) => {
      expect(waiting.map((c) => c.path)).toEqual([cold]);
      atGate.push([getCachedEntries(indexed) !== undefined, getCachedEntries(cold) !== undefined]);
    });
    expect(atGate, "the indexed one built before the gate, the cold one not yet").toEqual([[true, false]]);
    expect([getCachedEntries(cold) !== undefined, warmUpStats.warmedUp, warmUpStats.candidates]).toEqual([true, 2, 2]);
  });

  it("no unindexed candidate: no wait at all", async () => {
    const dir = tempDir("warmup-order-none");
    const path = resolve(dir, "s.jsonl");
    writeFileSync(path, '{"type":"session","version":3,"id":"s","timestamp":"t","cwd":"/"}\n');
    let waited = 0;
    await warmUpIndexedFirst([{ path, savedMs: 1, size: 60 }], { copying: true }, async () => void waited++);
    expect(waited).toBe(0);
  });
});

describe("CTXC_OPENCLAW_WARMUP_DAYS", () => {
  it("unset, blank or not a number ≥ 0: the default; 0 or off: no transcript the index holds nothing for; fractions kept; capped at a year", () => {
    for (const v of [undefined, "", " ", "x", "-1", "Infinity"]) expect(warmUpDaysFromEnv(v), String(v)).toBe(DEFAULT_WARM_UP_DAYS);
    expect([warmUpDaysFromEnv("0"), warmUpDaysFromEnv("off"), warmUpDaysFromEnv(" 0.5 "), warmUpDaysFromEnv("7"), warmUpDaysFromEnv("9999")]).toEqual([0, 0, 0.5, 7, 365]);
    expect(recentSince(0, 1e10)).toBeUndefined();
    expect(recentSince(2, 1e10)).toBe(1e10 - 2 * 86_400_000);
  });
});

describe("findWarmUpCandidates on a first start", () => {
  const day = 86_400_000;
  function layout() {
    const state = tempDir("warmup-first");
    const index = join(state, "ctxc", "index");
    mkdirSync(index, { recursive: true });
    const file = (agent: string, name: string, modifiedMs: number, text = "line\n") => {
      const dir = join(state, "agents", agent, "sessions");
      mkdirSync(dir, { recursive: true });
      const path = resolve(dir, name);
      writeFileSync(path, text);
      utimesSync(path, modifiedMs / 1000, modifiedMs / 1000);
      return path;
    };
    return { state, index, file };
  }

  it("with recentSinceMs: also the transcripts without an index file modified since then, their modification time as savedMs and marked unindexed; older ones never", async () => {
    const { state, index, file } = layout();
    const now = Date.now();
    const fresh = file("main", "fresh.jsonl", now - day / 2, "abc\n");
    const edge = file("ops", "edge.jsonl", now - 2 * day + 60_000);
    file("ops", "old.jsonl", now - 3 * day);
    const indexed = file("ops", "indexed.jsonl", now - 10 * day, "xy\n");
    writeFileSync(sessionIndexFile(index, indexed), "{}");
    utimesSync(sessionIndexFile(index, indexed), 5, 5);
    file("ops", "fresh.jsonl.deleted.2026-12-01", now);
    // Not transcripts though they end in .jsonl (OpenClaw's isPrimarySessionTranscriptFileName): the run's
    // trajectory log beside each transcript, and compaction checkpoints.
    file("main", "fresh.trajectory.jsonl", now);
    file("main", "fresh.checkpoint.0b4f2c1e-2d3a-4b5c-8d9e-0123456789ab.jsonl", now);
    const found = (await findWarmUpCandidates(state, index, recentSince(2, now))).sort((x, y) => (x.path < y.path ? -1 : 1));
    expect(found.map((c) => [c.path, Math.round(c.savedMs), c.size, c.unindexed === true])).toEqual(
      [
        [edge, Math.round(now - 2 * day + 60_000), 5, true],
        [fresh, Math.round(now - day / 2), 4, true],
        [indexed, 5000, 3, false],
      ].sort((x, y) => ((x[0] as string) < (y[0] as string) ? -1 : 1)),
    );
    // Without recentSinceMs (CTXC_OPENCLAW_WARMUP_DAYS=0): the index's transcripts only, as before.
    expect((await findWarmUpCandidates(state, index)).map((c) => c.path)).toEqual([indexed]);
  });

  it("the index off (indexDir null): only the recently modified transcripts; and selectWarmUp orders them with the indexed ones by time, within count and bytes", async () => {
    const { state, index, file } = layout();
    const now = Date.now();
    const a = file("main", "a.jsonl", now - 1000, "aaaa\n");
    const b = file("main", "b.jsonl", now - 3000, "bb\n");
    const c = file("main", "c.jsonl", now - 5 * day);
    writeFileSync(sessionIndexFile(index, c), "{}");
    utimesSync(sessionIndexFile(index, c), (now - 2000) / 1000, (now - 2000) / 1000);
    expect((await findWarmUpCandidates(state, null, recentSince(2, now))).map((x) => x.path).sort()).toEqual([a, b].sort());
    const all = await findWarmUpCandidates(state, index, recentSince(2, now));
    expect(selectWarmUp(all, { count: 16, bytes: 1e9 }).map((x) => x.path)).toEqual([a, c, b]);
    expect(selectWarmUp(all, { count: 2, bytes: 1e9 }).map((x) => x.path)).toEqual([a, c]);
  });
});

describe("coreFreeBeforeColdReads (the gate's inputs injected: host idle and process CPU, ms)", () => {
  const cand = (unindexed: boolean) => ({ path: "/p", savedMs: 1, size: 1, unindexed });
  /** A host whose counters move by `windows[i]` per window: [host idle ms, this process's CPU ms] over FREE_WINDOW_MS, on `cores` cores. */
  function host(windows: readonly (readonly [number, number])[], cores = 2) {
    let [at, idle, own, i] = [1000, 0, 0, 0];
    const seen: number[] = [];
    const inputs = {
      sample: (): CpuSample => ({ atMs: at, idleMs: idle, processMs: own, cores }),
      wait: async (ms: number) => {
        const [di, dp] = windows[Math.min(i++, windows.length - 1)]!;
        [at, idle, own] = [at + ms, idle + di, own + dp];
      },
      windows: (free: number) => void seen.push(free),
    };
    return { inputs, seen };
  }
  const W = FREE_WINDOW_MS;

  it("no whole-file read among the candidates (all in the index): no window", async () => {
    const { inputs, seen } = host([[W, W]]);
    await coreFreeBeforeColdReads([cand(false), { path: "/q", savedMs: 1, size: 1 }], inputs);
    expect(seen).toEqual([]);
  });

  it("OpenClaw's start-up on 2 cores (its main thread at ~1 core, ~1.2 for the process, the other core mostly idle): opens after FREE_WINDOWS windows", async () => {
    const { inputs, seen } = host([[0.8 * W, 1.2 * W]]);
    await coreFreeBeforeColdReads([cand(true)], inputs);
    expect(seen.map((x) => +x.toFixed(2))).toEqual(Array(FREE_WINDOWS).fill(0.8));
  });

  it("a 2-core host loaded by other work (0.3 of a core idle): held back every window until the bound, then starts", async () => {
    const { inputs, seen } = host([[0.3 * W, 0.2 * W]]);
    await coreFreeBeforeColdReads([cand(true)], inputs);
    expect(seen.length).toBe(FREE_MAX_WAIT_MS / W);
    expect(seen.every((x) => x < FREE_CORE_AT_LEAST)).toBe(true);
  });

  it("the host idle but this process using all the cores it may run on (a CPU set of 1): held back", async () => {
    const { inputs, seen } = host([[1.5 * W, W]], 1);
    await coreFreeBeforeColdReads([cand(true)], inputs);
    expect(seen.length).toBe(FREE_MAX_WAIT_MS / W);
    expect(Math.max(...seen)).toBe(0);
  });

  it("CTXC_OPENCLAW_WARMUP_WAIT_MS bounds the wait: a loaded host is waited for that long, and 0 starts the reads at once", async () => {
    const loaded = host([[0.3 * W, 0.2 * W]]);
    await coreFreeBeforeColdReads([cand(true)], { ...loaded.inputs, maxWaitMs: gateWaitFromEnv("1000") });
    expect(loaded.seen.length).toBe(1000 / W);
    for (const value of ["0", "off"]) {
      const { inputs, seen } = host([[0.3 * W, 0.2 * W]]);
      await coreFreeBeforeColdReads([cand(true)], { ...inputs, maxWaitMs: gateWaitFromEnv(value) });
      expect(seen, value).toEqual([]);
    }
    // Unset, blank, not a whole number ≥ 0: the default — no wait where the process may use 2 cores or more
    // (the real gateway's first turns, first-start-warmup.ts `defaultGateWaitMs`), the whole bound on one.
    for (const value of [undefined, "", " ", "-5", "1.5", "soon"]) {
      expect(gateWaitFromEnv(value, 2), String(value)).toBe(0);
      expect(gateWaitFromEnv(value, 8), String(value)).toBe(0);
      expect(gateWaitFromEnv(value, 1), String(value)).toBe(FREE_MAX_WAIT_MS);
    }
    expect(gateWaitFromEnv("999999", 2)).toBe(FREE_MAX_WAIT_MS);
    expect(gateWaitFromEnv("5000", 1)).toBe(5000);
  });

  it("free windows must follow each other: a loaded one between starts the count again", async () => {
    const { inputs, seen } = host([[W, W], [0.1 * W, W], [W, W], [0.75 * W, W], [0, 0]]);
    await coreFreeBeforeColdReads([cand(true)], inputs);
    expect(seen.map((x) => +x.toFixed(2))).toEqual([1, 0.1, 1, 0.75]);
  });

  it("watchedGate: the line at exit says the warm-up was still waiting, after how many windows and how free the last one was", async () => {
    const { inputs } = host([[0.3 * W, 0.2 * W]]);
    let windows = 0;
    // The fourth window never ends (the process exits meanwhile).
    const waiting = watchedGate([cand(true)], { ...inputs, wait: (ms) => (++windows > 3 ? new Promise<void>(() => {}) : inputs.wait(ms)) });
    await new Promise((done) => setTimeout(done, 0));
    expect(warmUpSummary(20100, { atExit: true })).toMatch(/^unfinished at exit \(waiting for a free core: 3 window\(s\), the last 0\.30 free\): warmedUp=0 of 0 transcript\(s\), skipped=0 failed=0, .* over 20100 ms$/);
    expect(warmUpSummary(5)).toMatch(/^warmedUp=0 /);
    void waiting;
    // A gate that opened: at exit, no "waiting" any more.
    restartedMainThread();
    await watchedGate([cand(true)], host([[W, W]]).inputs);
    expect(warmUpSummary(1, { atExit: true })).toMatch(/^unfinished at exit: warmedUp=0 /);
  });

  it("freeCores: the smaller of the host's idle cores and the process's cores less its use; no time elapsed: 0", () => {
    const at = (atMs: number, idleMs: number, processMs: number, cores = 4): CpuSample => ({ atMs, idleMs, processMs, cores });
    expect(freeCores(at(0, 0, 0), at(100, 250, 50))).toBe(2.5);
    expect(freeCores(at(0, 0, 0), at(100, 250, 350))).toBe(0.5);
    expect(freeCores(at(5, 0, 0), at(5, 10, 0))).toBe(0);
    // No per-CPU times on this platform (os.cpus() empty): the process bound alone.
    expect(freeCores(at(0, Infinity, 0, 2), at(100, Infinity, 150, 2))).toBe(0.5);
    // The host's counters as read here: a sample's fields are sane.
    const now = cpuSample();
    expect(now.cores).toBeGreaterThanOrEqual(1);
    expect(now.idleMs).toBeGreaterThanOrEqual(0);
    expect(now.processMs).toBeGreaterThan(0);
  });
});

describe("runRestartWarmUp: a transcript OpenClaw's repair pass will rewrite first", () => {
  const HEADER = '{"type":"session","version":3,"id":"s","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/"}';
  const ERRORED = '{"type":"message","id":"e1","parentId":null,"timestamp":"2026-01-01T00:00:01.000Z","message":{"role":"assistant","content":[],"stopReason":"error","api":"x","provider":"y","model":"m","usage":{},"timestamp":1}}';
  const body = generateTranscript({ seed: 9, entries: 60, branchProbability: 0.1, compactions: 0, erroredEmptyContent: false }).text;

  it("is read (the worker's verdict comes from that read) but not built: counted as skipped and as a repair, its reason in the warmup line, its read released", async () => {
    const dir = tempDir("warmup-repair");
    const needs = resolve(dir, "needs.jsonl");
    const clean = resolve(dir, "clean.jsonl");
    writeFileSync(needs, `${HEADER}\n${ERRORED}\n`);
    writeFileSync(clean, body);
    await runRestartWarmUp([{ path: needs, savedMs: 2, size: 1 }, { path: clean, savedMs: 1, size: 1 }], { copying: true });
    expect([warmUpStats.candidates, warmUpStats.warmedUp, warmUpStats.skipped, warmUpStats.repairs, warmUpStats.failed]).toEqual([2, 1, 1, 1, 0]);
    expect(getCachedEntries(needs)).toBeUndefined();
    expect(settledRead(needs)).toBeUndefined();
    expect(getCachedEntries(clean)).toBeDefined();
    const line = warmUpSummary(12);
    expect(line).toContain(`skipped=1 (1 rewritten first by OpenClaw's repair: ${REWRITTEN.erroredEmptyAssistant}) failed=0`);
    expect(line.split("\n")).toHaveLength(1);
  });

  it("what not every release rewrites is still warmed: a codex call without its result (2026.5.12–5.22's rule), no session header (OpenClaw decides)", async () => {
    const dir = tempDir("warmup-repair-not");
    const codex = resolve(dir, "codex.jsonl");
    const headless = resolve(dir, "headless.jsonl");
    const call = '{"type":"message","id":"c1","parentId":null,"timestamp":"2026-01-01T00:00:01.000Z","message":{"role":"assistant","content":[{"type":"toolCall","id":"call_1","name":"exec","arguments":{}}],"stopReason":"toolUse","api":"openai-codex-responses","provider":"openai-codex","model":"m","usage":{},"timestamp":1}}';
    writeFileSync(codex, `${HEADER}\n${call}\n`);
    writeFileSync(headless, `${ERRORED}\n`);
    await runRestartWarmUp([{ path: codex, savedMs: 2, size: 1 }, { path: headless, savedMs: 1, size: 1 }], { copying: true });
    expect(warmUpStats.repairs).toBe(0);
    expect(getCachedEntries(codex)).toBeDefined();
    expect(warmUpSummary(1)).not.toContain("repair");
    // The worker's verdicts were those (a later read continues the same check).
    const verdicts = [];
    for (const p of [codex, headless]) {
      await prepareSession(p);
      verdicts.push((settledRead(p) as OpenClawSession).meta.repair);
    }
    expect(verdicts).toEqual(["a codex tool call without its tool result", "no valid session header (OpenClaw decides)"]);
  });

  it("rewrittenByEveryRelease: each common rewrite reason; not the per-release ones, OpenClaw's own decisions or what ctxc cannot judge", () => {
    for (const why of Object.values(REWRITTEN)) expect(rewrittenByEveryRelease(why), why).toBe(true);
    for (const why of [null, "empty file (OpenClaw decides)", "no valid session header (OpenClaw decides)", "a codex tool call without its tool result", "a line too long to check"]) expect(rewrittenByEveryRelease(why), String(why)).toBe(false);
  });
});

describe("the copying build in steps (2026.5.28–6.8: no block decodes the whole file)", () => {
  const STEP_BYTES = 2048;
  /** A transcript read by ctxc's worker, as the warm-up finds it after its read. */
  const readOne = async (name: string, seed: number) => {
    const path = resolve(tempDir(`warmup-steps-${name}`), "s.jsonl");
    const text = generateTranscript({ seed, entries: 160, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "heavy" }).text;
    writeFileSync(path, text);
    await prepareSession(path);
    const read = settledRead(path);
    if (read === undefined || read instanceof Error || read.status !== "loaded") throw new Error(`no read: ${String(read)}`);
    return { path, text, read };
  };
  /** Stock's parse of the file now (OpenClaw 2026.5.28–6.8 has no normaliser). */
  const parsed = (path: string) => readFileSync(path, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  /** The served `loadEntriesFromFile` (entry-loaders.ts), OpenClaw's read as its original: a real open's load. */
  const realLoad = () => {
    const counters = { sessionsServed: 0, sessionsContinued: 0 };
    const fallbacks: unknown[] = [];
    const deps = { counters, fallback: (where: string, why: unknown) => fallbacks.push([where, String(why)]) } as unknown as PreloadDeps;
    let originals = 0;
    const load = entryLoaderHandlers(deps).loadEntriesFromFile!;
    return {
      counters,
      fallbacks,
      originals: () => originals,
      open: (path: string) => load((p: string) => (originals++, parsed(p)), [path], {}) as unknown[],
    };
  };
  /** How many steps the build of `read` takes (a first build, counting the pauses between them). */
  const stepsOf = async (path: string, read: OpenClawSession) => {
    let pauses = 0;
    await restartWarmUp(path, read, { copying: true }, { stepBytes: STEP_BYTES, between: async () => void pauses++ });
    restartedMainThread();
    return pauses;
  };

  it("in steps of about `stepBytes`, it keeps what the one-block build keeps, and counts its longest block", async () => {
    const { path, text, read } = await readOne("whole", 11);
    let pauses = 0;
    await restartWarmUp(path, read, { copying: true }, { stepBytes: STEP_BYTES, between: async () => void pauses++ });
    // One pause after every step: more steps than one, fewer than one per record.
    const lines = text.trimEnd().split("\n");
    expect(pauses).toBeGreaterThanOrEqual(Math.floor(Buffer.byteLength(text) / (STEP_BYTES + 64 * 1024)));
    expect(pauses).toBeGreaterThan(4);
    expect(pauses).toBeLessThan(lines.length);
    expect([warmUpStats.warmedUp, warmUpStats.skipped, warmUpStats.failed]).toEqual([1, 0, 0]);
    expect(warmUpStats.longestMs).toBeGreaterThan(0);
    expect(warmUpStats.longestMs).toBeLessThanOrEqual(warmUpStats.wallMs);
    // On a CPU: the blocks' wall less the main thread's waits for a core in them (none or some, never more).
    expect(warmUpStats.ms).toBeGreaterThan(0);
    expect(warmUpStats.ms).toBeLessThanOrEqual(warmUpStats.wallMs);
    const kept = getCachedEntries(path)!;
    expect(kept.entries).toEqual(lines.map((l) => JSON.parse(l)));
    expect(kept.generation).toBe(read.meta.generation);
    expect(settledRead(path)).toBeUndefined();
    // The first open then only copies what the steps built: served, continuing them (both of its loads).
    const first = realLoad();
    await prepareSession(path);
    expect(first.open(path)).toEqual(parsed(path));
    expect([first.counters.sessionsServed, first.counters.sessionsContinued, first.originals(), first.fallbacks]).toEqual([1, 1, 0, []]);
    expect(getCachedEntries(path)!.entries).toBe(kept.entries);
  });

  it("a real open between two steps wins: the warm-up drops what it decoded (nothing of it kept), the open serves from the read it took", async () => {
    const probe = await readOne("probe", 12);
    const total = await stepsOf(probe.path, probe.read);
    expect(total).toBeGreaterThan(4);
    // After the first step, midway, and after the last one (all decoded, not yet handed over).
    for (const at of [1, Math.floor(total / 2), total]) {
      const { path, read } = await readOne(`open-${at}`, 12);
      const opening = realLoad();
      let pauses = 0;
      let opened: unknown[] = [];
      let keptByOpen: unknown;
      await restartWarmUp(path, read, { copying: true }, {
        stepBytes: STEP_BYTES,
        between: async () => {
          if (++pauses !== at) return;
          opened = opening.open(path);
          keptByOpen = getCachedEntries(path);
        },
      });
      expect(pauses, `open after step ${at}: no step after it`).toBe(at);
      expect([warmUpStats.warmedUp, warmUpStats.skipped, warmUpStats.failed], `open after step ${at}`).toEqual([0, 1, 0]);
      expect(opened, `open after step ${at}: stock's entries`).toEqual(parsed(path));
      expect([opening.counters.sessionsServed, opening.counters.sessionsContinued, opening.originals(), opening.fallbacks], `open after step ${at}: served from the read`).toEqual([1, 0, 0, []]);
      // The cache holds the open's own decode, untouched by the warm-up; the read is still the open's (released after it).
      expect(keptByOpen, `open after step ${at}`).toBeDefined();
      expect(getCachedEntries(path), `open after step ${at}: the open's entries`).toBe(keptByOpen);
      expect(settledRead(path), `open after step ${at}: the read left to the open`).toBe(read);
      restartedMainThread();
    }
  });

  it("a new read of the file between steps (the warm-up's read no longer the settled one): nothing kept", async () => {
    const { path, read } = await readOne("reread", 13);
    let pauses = 0;
    let reading: Promise<void> | undefined;
    await restartWarmUp(path, read, { copying: true }, { stepBytes: STEP_BYTES, between: async () => void (++pauses === 2 && (reading = prepareSession(path))) });
    await reading;
    expect(pauses).toBe(2);
    expect([warmUpStats.warmedUp, warmUpStats.skipped]).toEqual([0, 1]);
    expect(getCachedEntries(path)).toBeUndefined();
    expect(settledRead(path)).not.toBe(read);
  });

  it("the file changed between steps: the build completes from its read, and the open's read decides — appended: continued (only the appended line read); rewritten: read whole and decoded anew", async () => {
    for (const change of ["appended", "rewritten"] as const) {
      const { path, text, read } = await readOne(change, 14);
      let pauses = 0;
      await restartWarmUp(path, read, { copying: true }, {
        stepBytes: STEP_BYTES,
        between: async () => {
          if (++pauses !== 2) return;
          if (change === "appended") appendFileSync(path, text.trimEnd().split("\n").at(-1)!.replace(/"id":"[^"]*"/, '"id":"appended"') + "\n");
          else writeFileSync(path, generateTranscript({ seed: 15, entries: 150, compactions: 1, unicode: "heavy" }).text);
        },
      });
      expect(pauses, change).toBeGreaterThan(2);
      expect([warmUpStats.warmedUp, warmUpStats.skipped], change).toEqual([1, 0]);
      // What was kept stands for the file the read saw: its identity, its generation.
      expect(getCachedEntries(path)!.identity.size, change).toBe(read.meta.bytes);
      await prepareSession(path);
      const next = settledRead(path) as OpenClawSession;
      const lines = text.trimEnd().split("\n").length;
      expect([next.firstRecord, next.recordCount], `${change}: the open's read`).toEqual(change === "appended" ? [lines, 1] : [0, parsed(path).length]);
      const opening = realLoad();
      expect(opening.open(path), change).toEqual(parsed(path));
      expect([opening.counters.sessionsServed, opening.counters.sessionsContinued, opening.originals(), opening.fallbacks], change).toEqual([1, change === "appended" ? 1 : 0, 0, []]);
      restartedMainThread();
    }
  });
});

describe("the 2026.6.9+ build in steps (the snapshot open's frozen entries that decode on use)", () => {
  /** A transcript read whole by ctxc's worker with member FIELDS (a process serving the snapshot open). */
  const readWhole = async (name: string, seed: number) => {
    serveSnapshotOpens();
    const path = resolve(tempDir(`warmup-frozen-${name}`), "s.jsonl");
    // Every 7th line not canonical (a space after its first key): built eagerly, not decoded on use.
    const text = generateTranscript({ seed, entries: 160, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "heavy" })
      .text.split("\n")
      .map((l, i) => (i % 7 === 3 ? l.replace('":', '": ') : l))
      .join("\n");
    writeFileSync(path, text);
    await prepareSession(path);
    const read = settledRead(path);
    if (read === undefined || read instanceof Error || read.status !== "loaded" || read.firstRecord !== 0) throw new Error(`no whole read: ${String(read)}`);
    return { path, text, read };
  };
  /** Per own property of an entry: its key and whether it is a data property (false: an accessor that decodes on use). */
  const shape = (e: unknown) => Object.entries(Object.getOwnPropertyDescriptors(e)).map(([k, d]) => [k, "value" in d]);

  it("in steps of about `stepBytes`, it keeps what the open's one-block build keeps: the same entries, the same members decoded on use, the same exactness", async () => {
    const { path, text, read } = await readWhole("steps", 21);
    let pauses = 0;
    await restartWarmUp(path, read, {}, { stepBytes: 2048, between: async () => void pauses++ });
    const lines = text.trimEnd().split("\n");
    expect(pauses).toBeGreaterThan(4);
    expect(pauses).toBeLessThan(lines.length);
    expect([warmUpStats.warmedUp, warmUpStats.skipped, warmUpStats.failed]).toEqual([1, 0, 0]);
    const stepped = getCachedEntries(path)!;
    expect(stepped.generation).toBe(read.meta.generation);
    expect(settledRead(path)).toBeUndefined();
    // The open's own build of the same bytes (a copy of the file, its own read), in one block.
    const copy = await readWhole("one-block", 21);
    const oneBlock = keptEntriesFor(copy.path, copy.read, undefined, { lazy: true });
    if (typeof oneBlock === "string") throw new Error(oneBlock);
    expect(stepped.entries.map(shape)).toEqual(oneBlock.entries.map(shape));
    expect(stepped.entries.some((e) => shape(e).some(([, data]) => !data)), "some member decodes on use").toBe(true);
    expect(stepped.entries.some((e, i) => i % 7 === 3 && shape(e).some(([, data]) => !data)), "none of a line not canonical").toBe(false);
    expect(stepped.entries.every((e) => Object.isFrozen(e))).toBe(true);
    expect(stepped.entries).toEqual(lines.map((l) => JSON.parse(l)));
    expect(stepped.entries).toEqual(oneBlock.entries);
    expect(stepped.serializedExactly).toBe(oneBlock.serializedExactly);
  });

  it("the warm-up stopped, or a new read of the file, between two steps: nothing of the steps kept", async () => {
    for (const what of ["stopped", "read anew"] as const) {
      const { path, read } = await readWhole(what.replace(" ", "-"), 22);
      let pauses = 0;
      let reading: Promise<void> | undefined;
      await restartWarmUp(path, read, {}, {
        stepBytes: 2048,
        between: async () => {
          if (++pauses !== 2) return;
          if (what === "stopped") stopWarmUp();
          else reading = prepareSession(path);
        },
      });
      await reading;
      expect(pauses, what).toBe(2);
      expect([warmUpStats.warmedUp, warmUpStats.skipped, warmUpStats.failed], what).toEqual([0, 1, 0]);
      expect(getCachedEntries(path), what).toBeUndefined();
      restartedMainThread();
    }
  });
});

describe("counted (a warm-up block: its wall, and its time on a CPU — the wall less the waits for a core; clocks injected)", () => {
  /** A block that takes `wallMs` of which the main thread waited `waitedMs` for a core; what it returns. */
  const block = (clock: { now: number; waited: number }, wallMs: number, waitedMs: number) =>
    counted(
      () => {
        clock.now += wallMs;
        clock.waited += waitedMs;
        return wallMs;
      },
      { now: () => clock.now, waited: () => clock.waited },
    );

  it("sums the wall and the time on a CPU apart; the longest block is the wall (what a message waits)", () => {
    const clock = { now: 5000, waited: 200 };
    expect(block(clock, 10, 4)).toBe(10);
    expect(block(clock, 30, 0)).toBe(30);
    expect(block(clock, 2, 2)).toBe(2);
    expect(warmUpStats).toMatchObject({ wallMs: 42, ms: 36, longestMs: 30 });
    // The summary line says both.
    expect(warmUpSummary(100)).toContain("main thread 36.0 ms on a CPU (42.0 wall, longest block 30.0)");
  });

  it("no wait seen (not Linux: the waits read 0): the wall; a wait read larger than the wall counts 0, not less", () => {
    const clock = { now: 0, waited: 0 };
    block(clock, 7, 0);
    block(clock, 3, 5);
    expect(warmUpStats).toMatchObject({ wallMs: 10, ms: 7, longestMs: 7 });
  });

  it("a block that throws is counted too, and the error passes", () => {
    const clock = { now: 0, waited: 0 };
    const clocks = { now: () => clock.now, waited: () => clock.waited };
    expect(() =>
      counted(() => {
        clock.now += 6;
        clock.waited += 1;
        throw new Error("step");
      }, clocks),
    ).toThrow("step");
    expect(warmUpStats).toMatchObject({ wallMs: 6, ms: 5, longestMs: 6 });
  });
});

describe("slicedPauses (the build's steps back to back within a slice of main thread; a clock injected)", () => {
  /** Steps of `stepMs` each through `between`, the pause taking `pauseMs` (the one before the first slice `firstPauseMs`): after which steps it paused, and the longest block. */
  async function run(steps: number, stepMs: number, pauseMs: number, firstPauseMs = 0): Promise<{ pausedAfter: number[]; longest: number }> {
    let clock = 1000;
    Object.assign(warmUpStats, { longestMs: 0 });
    let paused = false;
    const between = slicedPauses(
      () => clock,
      async () => {
        paused = true;
        clock += pauseMs;
      },
      firstPauseMs,
    );
    const pausedAfter: number[] = [];
    for (let step = 1; step <= steps; step++) {
      clock += stepMs;
      paused = false;
      await between();
      if (paused) pausedAfter.push(step);
    }
    return { pausedAfter, longest: warmUpStats.longestMs };
  }

  it("a loop that answers at once (0 ms pauses): a pause after each WARM_UP_SLICE_MS of steps, none before; that slice is the longest block", async () => {
    const { pausedAfter, longest } = await run(10, 1, 0);
    expect(pausedAfter).toEqual([WARM_UP_SLICE_MS, 2 * WARM_UP_SLICE_MS]);
    expect(longest).toBe(WARM_UP_SLICE_MS);
  });

  it("a busy loop (its pauses long): the slice grows to an eighth of the last pause, capped at WARM_UP_SLICE_MAX_MS", async () => {
    // 64 ms pauses: slices of 8 ms after the first (4 ms).
    expect((await run(20, 1, 64)).pausedAfter).toEqual([4, 12, 20]);
    // 400 ms pauses (OpenClaw starting): capped.
    const capped = await run(2 + 3 * WARM_UP_SLICE_MAX_MS, 1, 400);
    expect(capped.pausedAfter).toEqual([4, 4 + WARM_UP_SLICE_MAX_MS, 4 + 2 * WARM_UP_SLICE_MAX_MS]);
    expect(capped.longest).toBe(WARM_UP_SLICE_MAX_MS);
  });

  it("the first slice is sized by the pause before it (the loop busy before the build: a full slice at once)", async () => {
    expect((await run(2 + 2 * WARM_UP_SLICE_MAX_MS, 1, 400, 400)).pausedAfter).toEqual([WARM_UP_SLICE_MAX_MS, 2 * WARM_UP_SLICE_MAX_MS]);
    expect((await run(10, 1, 0, 0)).pausedAfter).toEqual([WARM_UP_SLICE_MS, 2 * WARM_UP_SLICE_MS]);
  });

  it("one step longer than the slice: a pause after it alone, recorded as the longest block", async () => {
    const { pausedAfter, longest } = await run(3, 3 * WARM_UP_SLICE_MS, 0);
    expect(pausedAfter).toEqual([1, 2, 3]);
    expect(longest).toBe(3 * WARM_UP_SLICE_MS);
  });
});
