/**
 * The preload's worker pool with more than one thread (src/openclaw/pool.ts): each transcript's requests
 * always reach the same worker, so the read state a worker keeps per transcript serves every later read
 * of it — a read continued from an earlier one (`continueFrom`) parses only what was appended, with
 * transcripts spread over the threads and read in any order. A read that reached another thread would
 * start over (`meta.base` 0), which these assertions catch.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { closeOpenClawPool, configureOpenClawPool, openSessionAsync, type SessionContinuation } from "../../src/openclaw/index.js";
import { defaultThreads, shardOf } from "../../src/openclaw/pool.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("pool-threads");

afterAll(async () => {
  await configureOpenClawPool({ threads: defaultThreads() });
  await closeOpenClawPool();
});

describe("openclaw worker pool threads", () => {
  it("default: 2 threads on a machine with 4+ cores, else 1 (the gateway's main thread keeps a core)", () => {
    expect([defaultThreads(1), defaultThreads(2), defaultThreads(3), defaultThreads(4), defaultThreads(64)]).toEqual([1, 1, 1, 2, 2]);
  });

  it("routes by transcript path: the same path to the same thread, paths over every thread, bootstrap to the first", () => {
    const paths = Array.from({ length: 64 }, (_, i) => `/state/agents/a${i}/sessions/s${i}.jsonl`);
    const shards = paths.map((path) => shardOf({ op: "session", path }, 3));
    expect(paths.map((path) => shardOf({ op: "sessionMeta", path }, 3))).toEqual(shards);
    expect(new Set(shards)).toEqual(new Set([0, 1, 2]));
    expect(paths.every((path) => shardOf({ op: "session", path }, 1) === 0)).toBe(true);
    expect(shardOf({ op: "bootstrap", options: {} as never }, 3)).toBe(0);
  });

  it("with 2 threads, every transcript's reads continue from its worker's state, whatever thread it is on and in whatever order", async () => {
    await configureOpenClawPool({ threads: 2 });
    const paths = Array.from({ length: 6 }, (_, i) => resolve(join(dir, `t${i}.jsonl`)));
    // Both threads used (else this proves nothing about routing).
    expect(new Set(paths.map((path) => shardOf({ op: "session", path }, 2))).size).toBe(2);
    paths.forEach((p, i) => writeFileSync(p, generateTranscript({ seed: 60 + i, entries: 40 }).text));
    const kept = new Map<string, SessionContinuation>();
    for (let round = 0; round < 4; round++) {
      // All at once, in a different order each round: the pools run them concurrently.
      const order = round % 2 ? [...paths].reverse() : paths;
      const reads = await Promise.all(order.map((p) => openSessionAsync(p, { continueFrom: kept.get(p) })));
      for (const [i, s] of reads.entries()) {
        const p = order[i]!;
        const from = kept.get(p);
        expect(s.meta.base, `${p} round ${round}: continued`).toBe(from ? from.records : 0);
        expect(s.recordCount, `${p} round ${round}: only the appended records`).toBe(from ? 1 : 41);
        kept.set(p, { generation: s.meta.generation!, records: s.firstRecord + s.recordCount, bytes: s.meta.bytes });
      }
      for (const p of paths) {
        appendFileSync(p, `${JSON.stringify({ type: "custom", customType: "round", data: { round }, id: `r${round}${p.length}`, parentId: null, timestamp: "2026-01-05T09:00:00.000Z" })}\n`);
      }
    }
  });
});
