/**
 * The preload's opt-in call trace (src/openclaw/trace.ts, CTXC_OPENCLAW_TRACE=1): each worker request
 * gives one `call` line with its file key, op, priority and the parts of its time (pool queue, worker
 * port, own work, pauses, hop back), each a finite non-negative number that together fit inside the
 * call as the caller saw it; each handler call one `fn` line, its result, rejection or throw unchanged.
 * Off (the default), nothing is traced. The lines are the ones bench/real-gateway/stage-trace.ts parses.
 * Behaviour only, never timing.
 */
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parseCtxcTrace } from "../../bench/real-gateway/stage-trace.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("call-trace");
const log = join(dir, "preload.log");
const read = () => parseCtxcTrace(existsSync(log) ? readFileSync(log, "utf8").split("\n") : []);

/** Fresh copies of the pool and trace modules, loaded with the trace switch as given. */
async function load(on: boolean) {
  vi.resetModules();
  process.env.CTXC_OPENCLAW_LOG = log;
  if (on) process.env.CTXC_OPENCLAW_TRACE = "1";
  else delete process.env.CTXC_OPENCLAW_TRACE;
  const pool = await import("../../src/openclaw/pool.js");
  const trace = await import("../../src/openclaw/trace.js");
  return { pool, trace };
}
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
  delete process.env.CTXC_OPENCLAW_TRACE;
});

const transcript = '{"type":"session","version":3,"id":"s","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/"}\n{"type":"message","id":"a","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"user","content":"hi"}}\n';

describe("the call trace, on", () => {
  it("writes one call line per worker request: its key, op, priority and parts, which fit inside the call's wall time", async () => {
    const { pool, trace } = await load(true);
    closers.push(pool.closeOpenClawPool);
    expect(trace.TRACING).toBe(true);
    await pool.configureOpenClawPool({ threads: 1, indexDir: null });
    const session = join(dir, "019d-abc.jsonl");
    writeFileSync(session, transcript);
    const big = join(dir, "big.bin");
    writeFileSync(big, randomBytes(9 * 1024 * 1024));
    const walls: Record<string, number> = {};
    const timed = async (name: string, call: () => Promise<unknown>) => {
      const t0 = performance.timeOrigin + performance.now();
      await call();
      walls[name] = performance.timeOrigin + performance.now() - t0;
    };
    await Promise.all([
      timed("fileDigest", () => pool.runInOpenClawPool({ op: "fileDigest", path: big }, pool.Priority.open)),
      timed("sessionMeta", () => pool.runInOpenClawPool({ op: "sessionMeta", path: session })),
    ]);
    trace.flushTrace();
    const { calls } = read();
    expect(calls.map((c) => [c.op, c.file, c.prio]).sort()).toEqual([
      ["fileDigest", "big.bin", "open"],
      ["sessionMeta", "019d-abc", "other"],
    ]);
    for (const c of calls) {
      const parts = [c.pool, c.port, c.work, c.paused, c.hop];
      expect(parts.every((x) => Number.isFinite(x) && x >= 0), JSON.stringify(c)).toBe(true);
      // Each part printed to 0.1 ms: their sum is within the call as awaited around it (+ rounding).
      expect(parts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(walls[c.op]! + 0.5);
    }
    // Only a sliced op pauses: a sessionMeta runs from start to end.
    expect(calls.find((c) => c.op === "sessionMeta")!.paused).toBe(0);
  });

  it("writes one fn line per handler call, keyed by the path argument, its sessionFile or the instance's; results and failures unchanged", async () => {
    const { trace } = await load(true);
    const wrapped = trace.traceHandlers({
      sync: (_o: unknown, args: unknown[]) => `sync ${String(args[0])}`,
      async: async (_o: unknown, args: unknown[]) => (args[0] as { sessionFile: string }).sessionFile,
      method: (_o: unknown, _args: unknown[], _h: unknown, self: unknown) => (self as { n: number }).n,
      throws: () => {
        throw new Error("boom");
      },
      rejects: async () => {
        throw new Error("later");
      },
    } as Record<string, (...a: never[]) => unknown>);
    const call = (name: string, ...a: unknown[]) => (wrapped[name] as (...x: unknown[]) => unknown)(...a);
    expect(call("sync", null, ["/x/S1.jsonl"], {})).toBe("sync /x/S1.jsonl");
    expect(await call("async", null, [{ sessionFile: "/x/S2.jsonl" }], {})).toBe("/x/S2.jsonl");
    expect(call("method", null, [], {}, { n: 7, sessionFile: "/x/S3.jsonl" })).toBe(7);
    expect(() => call("throws", null, [42], {})).toThrow("boom");
    await expect(call("rejects", null, [], {})).rejects.toThrow("later");
    trace.flushTrace();
    const fns = read().fns.map((f) => [f.name, f.file]);
    for (const want of [["sync", "S1"], ["async", "S2"], ["method", "S3"], ["throws", "-"], ["rejects", "-"]]) expect(fns).toContainEqual(want);
  });

  it("times OpenClaw's own body when the handler runs it (stock=), its result and this unchanged; 0 when it does not", async () => {
    const { trace } = await load(true);
    const wrapped = trace.traceHandlers({
      falls: (original: (...x: unknown[]) => unknown, args: unknown[]) => original(...args),
      fallsAsync: async (original: (...x: unknown[]) => Promise<unknown>, args: unknown[]) => await original(...args),
      serves: () => "ctxc",
    } as Record<string, (...a: never[]) => unknown>);
    const call = (name: string, ...a: unknown[]) => (wrapped[name] as (...x: unknown[]) => unknown)(...a);
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    expect(call("falls", (p: string) => (busy(5), `stock ${p}`), ["/x/F1.jsonl"], {})).toBe("stock /x/F1.jsonl");
    expect(await call("fallsAsync", async (p: string) => (busy(5), `stock ${p}`), ["/x/F2.jsonl"], {})).toBe("stock /x/F2.jsonl");
    expect(call("serves", () => "never", ["/x/F3.jsonl"], {})).toBe("ctxc");
    trace.flushTrace();
    const fns = read().fns;
    const of = (file: string) => fns.find((f) => f.file === file)!;
    // At least the 5 ms spent in the body; never more than the handler's own time.
    for (const f of [of("F1"), of("F2")]) {
      expect(f.stock).toBeGreaterThanOrEqual(5);
      expect(f.stock).toBeLessThanOrEqual(f.ms + 0.1);
    }
    expect(of("F3").stock).toBe(0);
  });
});

describe("the call trace, off (the default)", () => {
  it("sends no trace buffer and writes no trace line", async () => {
    const { pool, trace } = await load(false);
    closers.push(pool.closeOpenClawPool);
    expect(trace.TRACING).toBe(false);
    const before = read();
    await pool.configureOpenClawPool({ threads: 1, indexDir: null });
    const session = join(dir, "019d-off.jsonl");
    writeFileSync(session, transcript);
    await pool.runInOpenClawPool({ op: "sessionMeta", path: session });
    trace.flushTrace();
    const after = read();
    expect(after.calls.length).toBe(before.calls.length);
    expect(after.calls.some((c) => c.file === "019d-off")).toBe(false);
  });
});
