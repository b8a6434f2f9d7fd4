/**
 * The memory of one cold build (issue 14's third target), measured in a process of its own:
 * `node --expose-gc dist/bench/cold-heap.js <transcript> <budget>` prints `{"peakMB":…,"retainedMB":…}`.
 *
 * Why a process of its own: `process.memoryUsage().arrayBuffers` counts ArrayBuffer bytes the allocator
 * has not given back yet, and in the benchmark's process — worker threads transferring context buffers
 * to it, the floor measured with its own buffers — that count moved by up to ~5 MB between samples for
 * reasons unrelated to the build (the 10 MB row's "state kept" read 5.5 MB while the session's columns
 * held 0.5 MB). Alone, the same measure is steady and agrees with the session's own byte count.
 *
 * The build runs the worker's own code in this thread (compile.ts), twice unmeasured first (one-time
 * allocations: the tokenizer's tables, its caches filling, module state), then measured: the heap is
 * collected before every 8th step's sample, so what is counted is what the build holds, not garbage the
 * collector has not reached yet. Live memory is the JS heap plus ArrayBuffer backing stores (outside the
 * heap): the index's rows are typed-array columns (pi/record-table.ts), so the heap alone would not see
 * them. The state kept is what releasing the session frees afterwards (`accountedMB`: what the session
 * cache counts for it, the figure its LRU bound uses — a cross-check).
 */
import { normalizeBuildOptions } from "../src/options.js";
import { compileSteps } from "../native-free-workers/compile.js";
import { SessionCache } from "../native-free-workers/session/session-cache.js";

function liveBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function build(path: string, budget: number, sessions: SessionCache, sample?: () => void): Promise<void> {
  const steps = compileSteps(normalizeBuildOptions({ transcript: path, budget }), sessions, 1);
  for (let step = 0; ; step++) {
    const r = await steps.next();
    if (sample && (step % 8 === 0 || r.done)) sample();
    if (r.done) return; // the context buffer goes to the caller: not held here
  }
}

async function main(): Promise<void> {
  const [path, budgetArg] = process.argv.slice(2);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!path || !gc) throw new Error("usage: node --expose-gc dist/bench/cold-heap.js <transcript> <budget>");
  const budget = Number(budgetArg ?? 120_000);
  const collect = (): number => {
    // Twice: the first collection can leave garbage only the second reclaims (weak caches, finalizers).
    gc();
    gc();
    return liveBytes();
  };
  for (let i = 0; i < 2; i++) await build(path, budget, new SessionCache(Number.MAX_SAFE_INTEGER));
  const base = collect();
  let peak = base;
  const sessions = new SessionCache(Number.MAX_SAFE_INTEGER);
  await build(path, budget, sessions, () => {
    peak = Math.max(peak, collect());
  });
  const withState = collect();
  if (sessions.size !== 1) throw new Error(`cold-heap: the cold build of ${path} left no session state`);
  const accounted = sessions.bytes;
  sessions.maxBytes = 0;
  sessions.trim();
  if (sessions.bytes !== 0) throw new Error(`cold-heap: the session state of ${path} was not released`);
  const released = collect();
  process.stdout.write(`${JSON.stringify({ peakMB: (peak - base) / 1e6, retainedMB: Math.max(0, withState - released) / 1e6, accountedMB: accounted / 1e6 })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
