/**
 * The memory of one cold build (issue 14's third target), measured in a process of its own:
 * `node --expose-gc --single-threaded-gc dist/bench/cold-heap.js <transcript> <budget> [runs]` prints
 * `{"peakMB":…,"retainedMB":…,"transientMB":…,"freedMB":…,"accountedMB":…,"runs":[…]}`, medians of `runs` (default 3).
 *
 * Why a process of its own: `process.memoryUsage().arrayBuffers` counts ArrayBuffer bytes the allocator
 * has not given back yet, and in the benchmark's process — worker threads transferring context buffers
 * to it, the floor measured with its own buffers — that count moved by up to ~5 MB between samples for
 * reasons unrelated to the build (the 10 MB row's "state kept" read 5.5 MB while the session's columns
 * held 0.5 MB). Alone, the same measure is steady and agrees with the session's own byte count.
 *
 * The build runs the worker's own code in this thread (compile.ts), twice unmeasured first (one-time
 * allocations: the tokenizer's tables, its caches filling, module state), then measured `runs` times, each
 * from a new session. Live memory is the JS heap plus ArrayBuffer backing stores (outside the heap): the
 * index's rows are typed-array columns (pi/record-table.ts), so the heap alone would not see them. The
 * heap is collected before every sample, so what is counted is what the build holds, not garbage the
 * collector has not reached yet.
 *
 * Where it samples: a collection costs tens of ms (the tokenizer's tables are most of the heap), so not
 * at each of the ~300–1,800 steps. What a cold build holds only grows until it encodes: the index's
 * columns while reading, then the read-back window and the context's messages while fitting the budget
 * newest first. So its peak is at the last step, and that is always sampled: a cold build of the same
 * file takes the same steps (counted on the unmeasured builds; a measured build that takes another
 * number fails the measure), plus every 16th step, so a peak elsewhere would still show. The last step
 * encodes the context buffer while the messages are still held: that moment is the last sample plus the
 * buffer's size (counted so, not sampled after the step: whether the finished build's frame is freed by
 * then depends on timing, which moved the 10 MB figure by its 0.6 MB buffer from run to run). Sampling
 * only every 8th step, as before 2026-12-03, missed the last step unless the count fell right: the same
 * build read 2.0–3.9 MB from run to run.
 *
 * `--single-threaded-gc` (cold.ts passes it): ArrayBuffer backing stores are otherwise freed by a
 * background sweeper, possibly after the collection returns, so a count read just after could still
 * hold some.
 *
 * The state kept is what the process holds once the build is done beyond what it held before (both
 * collected); the transient memory is the peak minus that, two samples of the same run against the same
 * base. Cross-checks: what releasing the session frees (`freedMB`) and what the session cache counts for
 * it (`accountedMB`, the figure its LRU bound uses). The freed figure is not the state: memory held
 * before the build (from the unmeasured ones) was sometimes freed by then too, and the 10 MB "state"
 * read 0.65, 1.9 or 4.3 MB from process to process that way, more than the peak.
 *
 * Why the 10 MB state had read 1.7 MB where the session counts 0.5 (2026-12-03; from run to run 0.4–1.9
 * MB, freed with the session each time): a heap snapshot of a high run showed the build's fitMessages
 * scope — its read-back window (256 KiB), the materialized messages with their bytes (the 10 MB context
 * is the largest, 0.6 MB) — retained only by V8's strong roots (an IdentityMap: a concurrent TurboFan job
 * optimizing one of the build's closures holds their scope until the job is installed) and by those
 * closures. Not the session's, but the build's, held past its end by chance. Since 2026-12-04 the build
 * releases its readers' windows and its materialized list when it ends and no message holds its bytes
 * after counting, so that scope holds little: the 10 MB state reads the session's columns (0.48 MB of
 * ArrayBuffers on every run) plus 0.1–0.4 MB of heap.
 */
import { normalizeBuildOptions } from "../src/options.js";
import { compileSteps } from "../native-free-workers/compile.js";
import { SessionCache } from "../native-free-workers/session/session-cache.js";
import { requiredGc, usageExit } from "./lib/run-setup.js";

/** Besides the last step, one sample every this many steps. */
const EVERY = 16;

interface Run {
  peakMB: number;
  retainedMB: number;
  transientMB: number;
  freedMB: number;
  accountedMB: number;
}

function liveBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** One build; `sample(step)` is called after each step but the last (given the context buffer). Returns the number of steps. */
async function build(path: string, budget: number, sessions: SessionCache, sample?: (step: number) => void, done?: (context: ArrayBuffer) => void): Promise<number> {
  const steps = compileSteps(normalizeBuildOptions({ transcript: path, budget }), sessions, 1);
  for (let step = 0; ; step++) {
    const r = await steps.next();
    if (r.done) {
      done?.(r.value);
      return step;
    }
    sample?.(step);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

const USAGE = "node --expose-gc --single-threaded-gc dist/bench/cold-heap.js <transcript> <budget> [runs]";

async function main(): Promise<void> {
  const [path, budgetArg, runsArg] = process.argv.slice(2);
  if (!path) usageExit(`usage: ${USAGE}`);
  const gc = requiredGc(USAGE);
  const budget = Number(budgetArg ?? 120_000);
  const runs = Number(runsArg ?? 3);
  const collect = (): number => {
    // Twice: the first collection can leave garbage only the second reclaims (weak caches, finalizers).
    gc();
    gc();
    return liveBytes();
  };
  let steps = 0;
  for (let i = 0; i < 2; i++) steps = await build(path, budget, new SessionCache(Number.MAX_SAFE_INTEGER));
  const out: Run[] = [];
  for (let run = 0; run < runs; run++) {
    const base = collect();
    let peak = base;
    let last = base;
    const sessions = new SessionCache(Number.MAX_SAFE_INTEGER);
    const took = await build(
      path,
      budget,
      sessions,
      (step) => {
        if (step % EVERY === 0 || step === steps - 1) peak = Math.max(peak, (last = collect()));
      },
      (context) => (peak = Math.max(peak, last + context.byteLength)),
    );
    if (took !== steps) throw new Error(`cold-heap: the cold build of ${path} took ${took} steps, the unmeasured one ${steps}: its last step was not sampled`);
    // From a new turn of the loop: a stack slot of the finished build's frames can still hold the context
    // buffer it returned (a heap snapshot showed it among the stack roots), which then counted as state.
    await new Promise((next) => setImmediate(next));
    const withState = collect();
    if (sessions.size !== 1) throw new Error(`cold-heap: the cold build of ${path} left no session state`);
    const accounted = sessions.bytes;
    sessions.maxBytes = 0;
    sessions.trim();
    if (sessions.bytes !== 0) throw new Error(`cold-heap: the session state of ${path} was not released`);
    const released = collect();
    out.push({
      peakMB: (peak - base) / 1e6,
      retainedMB: (withState - base) / 1e6,
      transientMB: (peak - withState) / 1e6,
      freedMB: (withState - released) / 1e6,
      accountedMB: accounted / 1e6,
    });
  }
  const of = (k: keyof Run) => median(out.map((r) => r[k]));
  process.stdout.write(`${JSON.stringify({ peakMB: of("peakMB"), retainedMB: of("retainedMB"), transientMB: of("transientMB"), freedMB: of("freedMB"), accountedMB: of("accountedMB"), runs: out })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
