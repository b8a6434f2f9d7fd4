/**
 * The preload's handlers when ctxc's worker pool goes away under them (issues #6/#11, full audit): calls
 * waiting in ctxc's queue and calls running on a worker when `closeOpenClawPool()` runs (a gateway shutting
 * down, an idle pool being replaced) must each be answered by OpenClaw's own function — with one `fallback`
 * line each, never a rejection, a hang or an empty answer — and the next turn must be served again by a new
 * pool. The requests are all issued, and the pool closed, in one synchronous stretch: the ones past the
 * two a thread is handed (pool.ts AHEAD) are still in ctxc's queue then, the first two on the worker.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SessionManager } from "@earendil-works/pi-coding-agent";
import { afterAll, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { closeOpenClawPool } from "../../src/openclaw/index.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";

const dir = tempDir("oc-pool-close");
const logFile = join(dir, "preload.log");
process.env.CTXC_OPENCLAW_PRELOAD = "off";
process.env.CTXC_OPENCLAW_LOG = logFile;
const runtime = await import("../../src/openclaw/preload-runtime.js");
afterAll(() => closeOpenClawPool());

const file = tempFileWriter(dir, "p");
const state = (sm: SessionManager) => ({ id: sm.getSessionId(), header: sm.getHeader(), entries: sm.getEntries(), leaf: sm.getLeafId(), context: sm.buildSessionContext() });

it("calls waiting in ctxc's queue or running on the worker when the pool closes: each answered by the original with one fallback line; the next turn served again", async () => {
  writeFileSync(logFile, "");
  const files = [0, 1, 2, 3].map((i) => file(generateTranscript({ seed: 40 + i, targetBytes: 300_000, compactions: 1, branchProbability: 0.1 }).text));
  const Wrapped = runtime.wrapSessionManager(SessionManager);
  const prewarm = runtime.wrapPrewarm(async () => {});
  const h = runtime.handlers;
  const stockLeaf = { leafId: "stock", hasParentLinkedEntries: true, nonSessionEntryCount: 0 };
  const before = { ...runtime.counters };

  // One synchronous stretch: every request queued or handed to the worker, then the pool closed.
  const prewarms = files.map((f) => prewarm(f));
  const keys = files.map((f) => h.findTranscriptMessageByIdempotencyKey!(async () => "stock idempotency", [f, "no-such-key"], {}) as Promise<unknown>);
  const leaves = files.map((f) => runtime.transcriptLeafInfo(f, async () => stockLeaf));
  const repairs = files.map((f) => runtime.wrapRepair(async () => ({ repaired: false, droppedLines: 0, stock: true }))({ sessionFile: f }));
  const digests = files.map((f) => h.readSessionFileDigest!(async () => "stock digest", [f], {}) as Promise<unknown>);
  const closed = closeOpenClawPool();

  await Promise.all(prewarms);
  expect(await Promise.all(keys)).toEqual(files.map(() => "stock idempotency"));
  expect(await Promise.all(leaves)).toEqual(files.map(() => stockLeaf));
  expect(await Promise.all(repairs)).toEqual(files.map(() => ({ repaired: false, droppedLines: 0, stock: true })));
  expect(await Promise.all(digests)).toEqual(files.map(() => "stock digest"));
  await closed;
  // The opens after those prewarms: pi's own (the reads failed), the same managers as pi's open.
  for (const f of files) expect(state(Wrapped.open(f))).toEqual(state(SessionManager.open(f)));
  expect(runtime.counters.sessionsServed).toBe(before.sessionsServed);
  expect([runtime.counters.idempotencyServed, runtime.counters.leafInfoServed, runtime.counters.repairsSkipped, runtime.counters.digestsServed]).toEqual([
    before.idempotencyServed,
    before.leafInfoServed,
    before.repairsSkipped,
    before.digestsServed,
  ]);
  // One line per file and call that went stock (the open, the key lookup, the leaf scan, the repair pass,
  // the digest), each naming the closed pool or the terminated worker.
  const lines = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
  expect(lines.length).toBe(files.length * 5);
  expect(lines.every((l) => / fallback: .*worker failed: (ctxc openclaw pool closed|Terminating worker thread)/.test(l))).toBe(true);

  // The next turn: a new pool, every call served again.
  for (const f of files) {
    await prewarm(f);
    Wrapped.open(f);
    expect(await h.findTranscriptMessageByIdempotencyKey!(async () => "stock idempotency", [f, "no-such-key"], {})).toBeUndefined();
    expect(await runtime.transcriptLeafInfo(f, async () => stockLeaf)).not.toEqual(stockLeaf);
  }
  expect(runtime.counters.sessionsServed).toBe(before.sessionsServed + files.length);
  expect(runtime.counters.idempotencyServed).toBe(before.idempotencyServed + files.length);
});
