import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTranscriptChunks, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, CtxcError } from "../../src/index.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("scheduling");
let big: string; // ~12 MB: takes many slices to compile
let small: string;

beforeAll(() => {
  big = join(dir, "big.jsonl");
  writeFileSync(big, [...generateTranscriptChunks({ seed: 21, targetBytes: 12_000_000, unicode: "ascii" })].join(""));
  small = join(dir, "small.jsonl");
  writeFileSync(small, generateTranscript({ seed: 22, entries: 40 }).text);
});

function smallCopy(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, generateTranscript({ seed: name.length, entries: 30 }).text);
  return path;
}

describe("scheduling", () => {
  it("concurrent identical builds share one job (single flight)", async () => {
    const compiler = createCompiler({ threads: 1 });
    try {
      const [a, b, c] = await Promise.all([
        compiler.build({ transcript: small }),
        compiler.build({ transcript: small }),
        compiler.build({ transcript: small }),
      ]);
      expect(a.buffer).toBe(b.buffer);
      expect(b.buffer).toBe(c.buffer);
      const stats = compiler.stats();
      expect(stats.builds.shared).toBe(2);
      expect(stats.builds.cold + stats.builds.warm).toBe(1);
    } finally {
      await compiler.close();
    }
  });

  it("one agent's big cold build does not hold another agent's small build for more than a slice", async () => {
    const compiler = createCompiler({ threads: 1, sliceMs: 10 });
    try {
      const order: string[] = [];
      const bigBuild = compiler.build({ transcript: big, agentId: "agent-big" }).then(() => order.push("big"));
      await new Promise((r) => setTimeout(r, 50)); // the big build is under way
      const smallBuild = compiler.build({ transcript: small, agentId: "agent-small" }).then(() => order.push("small"));
      await Promise.all([bigBuild, smallBuild]);
      expect(order).toEqual(["small", "big"]);
    } finally {
      await compiler.close();
    }
  });

  it("an AbortSignal cancels a queued build and a running one; the lane keeps serving", async () => {
    const compiler = createCompiler({ threads: 1, sliceMs: 10 });
    try {
      const running = new AbortController();
      const queued = new AbortController();
      const p1 = compiler.build({ transcript: big, signal: running.signal });
      const p2 = compiler.build({ transcript: small, signal: queued.signal, agentId: "other" });
      queued.abort();
      await expect(p2).rejects.toMatchObject({ code: "ABORTED" });
      await new Promise((r) => setTimeout(r, 30));
      running.abort(new Error("user went away"));
      await expect(p1).rejects.toMatchObject({ code: "ABORTED" });
      const already = new AbortController();
      already.abort();
      await expect(compiler.build({ transcript: small, signal: already.signal })).rejects.toMatchObject({ code: "ABORTED" });
      const after = await compiler.build({ transcript: small });
      expect(after.messageCount).toBeGreaterThan(0);
    } finally {
      await compiler.close();
    }
  });

  it("timeoutMs rejects with TIMEOUT", async () => {
    const compiler = createCompiler({ threads: 1, sliceMs: 10 });
    try {
      await expect(compiler.build({ transcript: big, timeoutMs: 20, tokenizer: "cl100k_base" })).rejects.toMatchObject({ code: "TIMEOUT" });
    } finally {
      await compiler.close();
    }
  });

  it("a full queue rejects with QUEUE_FULL instead of growing without bound", async () => {
    const compiler = createCompiler({ threads: 1, maxQueue: 2 });
    try {
      const builds = [1, 2, 3, 4, 5].map((i) => compiler.build({ transcript: smallCopy(`q${"x".repeat(i)}.jsonl`) }));
      const results = await Promise.allSettled(builds);
      const rejected = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
      expect(rejected.length).toBeGreaterThan(0);
      for (const r of rejected) expect(r.reason).toMatchObject({ code: "QUEUE_FULL" });
      expect(results.filter((r) => r.status === "fulfilled").length).toBeGreaterThanOrEqual(2);
    } finally {
      await compiler.close();
    }
  });

  it("a worker that runs out of memory fails only its build; the pool replaces it", async () => {
    const compiler = createCompiler({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 40 } });
    // 400k messages on one branch, no budget: the context's messages alone need more heap than the worker
    // may use (the index's rows would not: they are typed-array columns, outside the heap).
    const many = join(dir, "many-entries.jsonl");
    const lines = [JSON.stringify({ type: "session", version: 3, id: "s", timestamp: "2026-01-01T00:00:00Z", cwd: "/" })];
    for (let i = 0; i < 400_000; i++) {
      lines.push(`{"type":"message","id":"e${i}","parentId":${i ? `"e${i - 1}"` : "null"},"timestamp":"2026-01-01T00:00:00Z","message":{"role":"user","content":"m${i}","timestamp":1}}`);
    }
    writeFileSync(many, `${lines.join("\n")}\n`);
    try {
      await expect(compiler.build({ transcript: many })).rejects.toMatchObject({ code: "WORKER_FAILED" });
      const after = await compiler.build({ transcript: small });
      expect(after.messageCount).toBeGreaterThan(0);
      expect(compiler.stats().workerFailures).toBe(1);
    } finally {
      await compiler.close();
    }
  });

  it("with a heap limit, a line too large for it is skipped with LINE_TOO_LONG instead of killing the worker", async () => {
    const compiler = createCompiler({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 48 } });
    const huge = join(dir, "huge-line.jsonl");
    const header = JSON.stringify({ type: "session", version: 3, id: "s", timestamp: "2026-01-01T00:00:00Z", cwd: "/" });
    const line = JSON.stringify({ type: "message", id: "a", parentId: null, timestamp: "2026-01-01T00:00:00Z", message: { role: "user", content: "word ".repeat(12_000_000), timestamp: 1 } });
    const next = JSON.stringify({ type: "message", id: "b", parentId: null, timestamp: "2026-01-01T00:00:00Z", message: { role: "user", content: "after", timestamp: 2 } });
    writeFileSync(huge, `${header}\n${line}\n${next}\n`);
    try {
      const ctx = await compiler.build({ transcript: huge });
      expect(ctx.diagnostics).toMatchObject([{ code: "LINE_TOO_LONG", line: 2, offset: header.length + 1 }]);
      expect(ctx.messages).toEqual([{ role: "user", content: "after", timestamp: 2 }]);
      expect(compiler.stats().workerFailures).toBe(0);
    } finally {
      await compiler.close();
    }
  });

  it("session state is bounded: past maxCacheBytes the least recently used session is evicted", async () => {
    const compiler = createCompiler({ threads: 1, maxCacheBytes: 1 });
    try {
      const a = smallCopy("evict-a.jsonl");
      const b = smallCopy("evict-bb.jsonl");
      await compiler.build({ transcript: a });
      await compiler.build({ transcript: b });
      const again = await compiler.build({ transcript: a });
      expect(again.meta.build.rebuilt).toBe("cold");
      expect(again.meta.build.cachedSessions).toBeLessThanOrEqual(1);
    } finally {
      await compiler.close();
    }
  });

  it("state survives across builds on a multi-lane compiler (affinity) and stats add up", async () => {
    const compiler = createCompiler({ threads: 2 });
    try {
      const paths = ["aff-1.jsonl", "aff-22.jsonl", "aff-333.jsonl"].map(smallCopy);
      for (const p of paths) await compiler.build({ transcript: p });
      for (const p of paths) expect((await compiler.build({ transcript: p })).meta.build.rebuilt).toBeNull();
      const stats = compiler.stats();
      expect(stats.builds).toMatchObject({ cold: 3, warm: 3, failed: 0 });
      expect(stats.bytesParsed).toBeGreaterThan(0);
      expect(stats.tokensCounted).toBeGreaterThan(0);
      expect(stats.queued).toBe(0);
      expect(stats.stages.tokenize).toBeGreaterThan(0);
    } finally {
      await compiler.close();
    }
  });

  // Lane placement is observed through compiler.stats() right after build() returns: placing a job on a
  // lane and starting it there happen synchronously in build(), before any worker can answer.
  it("a new session goes to an idle lane, not behind another session's build on a lane holding fewer sessions", async () => {
    const compiler = createCompiler({ threads: 2 });
    try {
      const [a, b, c, d] = ["idle-a.jsonl", "idle-bb.jsonl", "idle-ccc.jsonl", "idle-dddd.jsonl"].map(smallCopy);
      for (const p of [a, b, c]) await compiler.build({ transcript: p }); // lanes now hold 2 and 1 sessions
      const running = compiler.build({ transcript: b, budget: 1_000 }); // b's lane (the one holding 1) is busy
      const fresh = compiler.build({ transcript: d });
      expect(compiler.stats()).toMatchObject({ running: 2, queued: 0 });
      expect((await running).meta.build.rebuilt).toBeNull();
      expect((await fresh).meta.build.rebuilt).toBe("cold");
      for (const p of [a, b, c, d]) expect((await compiler.build({ transcript: p })).meta.build.rebuilt).toBeNull();
      expect(compiler.stats().builds).toMatchObject({ cold: 4, warm: 5, failed: 0 });
    } finally {
      await compiler.close();
    }
  });

  it("sessions going cold at once spread over the lanes; each session's builds stay in order on the lane that keeps its state", async () => {
    const compiler = createCompiler({ threads: 2 });
    try {
      const paths = [1, 2, 3, 4, 5].map((i) => smallCopy(`spread-${"s".repeat(i)}.jsonl`));
      const done: string[] = [];
      // Two builds per session (different budgets: not one shared job), all issued at once.
      const builds = paths.flatMap((p, i) => [null, 50_000].map((budget, k) =>
        compiler.build({ transcript: p, budget, agentId: `agent-${i}` }).then((ctx) => (done.push(`${i}:${k}`), ctx))));
      expect(compiler.stats()).toMatchObject({ running: 2, queued: 8 });
      const results = await Promise.all(builds);
      for (let i = 0; i < paths.length; i++) {
        expect(results[2 * i]!.meta.build.rebuilt).toBe("cold");
        expect(results[2 * i + 1]!.meta.build.rebuilt).toBeNull(); // found its session's state: same worker
        expect(done.indexOf(`${i}:0`)).toBeLessThan(done.indexOf(`${i}:1`));
      }
      // 3 and 2 sessions per worker, none held twice, none lost.
      expect(Math.max(...results.map((r) => r.meta.build.cachedSessions))).toBe(3);
      expect(compiler.stats().builds).toMatchObject({ cold: 5, warm: 5, failed: 0 });
      for (const p of paths) expect((await compiler.build({ transcript: p })).meta.build.rebuilt).toBeNull();
    } finally {
      await compiler.close();
    }
  });

  it("a build issued after forget() joins the lane where that session's earlier build still waits, so they stay in order", async () => {
    const compiler = createCompiler({ threads: 2 });
    try {
      const [x, y, a] = ["order-x.jsonl", "order-yy.jsonl", "order-aaa.jsonl"].map(smallCopy);
      for (const p of [x, y, a]) await compiler.build({ transcript: p }); // x and a on one lane, y on the other
      await compiler.forget(y); // the other lane now holds fewer sessions
      const first = compiler.build({ transcript: a, budget: 60_000 });
      const forgotten = compiler.forget(a);
      const second = compiler.build({ transcript: a, budget: 50_000 });
      expect(compiler.stats()).toMatchObject({ running: 1, queued: 1 });
      const order: string[] = [];
      await Promise.all([first.then(() => order.push("first")), second.then(() => order.push("second")), forgotten]);
      expect(order).toEqual(["first", "second"]);
    } finally {
      await compiler.close();
    }
  });

  it("forget() drops a session's state: the next build is cold, other sessions stay warm", async () => {
    const compiler = createCompiler({ threads: 1 });
    try {
      const a = smallCopy("forget-a.jsonl");
      const b = smallCopy("forget-bb.jsonl");
      await compiler.build({ transcript: a });
      await compiler.build({ transcript: b });
      await compiler.forget(a);
      expect((await compiler.build({ transcript: a })).meta.build.rebuilt).toBe("cold");
      expect((await compiler.build({ transcript: b })).meta.build.rebuilt).toBeNull();
    } finally {
      await compiler.close();
    }
  });

  it("after close(), builds reject with COMPILER_CLOSED", async () => {
    const compiler = createCompiler({ threads: 1 });
    await compiler.close();
    const err = await compiler.build({ transcript: small }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CtxcError);
    expect(err).toMatchObject({ code: "COMPILER_CLOSED" });
  });
});
