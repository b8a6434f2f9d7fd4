/** Runs a tinybench Bench and keeps only what the report needs. */
import { Bench } from "tinybench";
import { round } from "./stats.js";

/** One task's result: latency in ms; `mbPerSec` when the task processed a known number of bytes. */
export interface MicroResult {
  name: string;
  samples: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  opsPerSec: number;
  /** Bytes handled per call (for MB/s). */
  bytes?: number;
  mbPerSec?: number;
  /** Anything else worth keeping (counts, notes). */
  extra?: Record<string, unknown>;
}

export interface BenchTask {
  name: string;
  fn: () => unknown | Promise<unknown>;
  bytes?: number;
  extra?: Record<string, unknown>;
}

export async function runTasks(tasks: BenchTask[], opts: { timeMs: number; iterations?: number }): Promise<MicroResult[]> {
  const bench = new Bench({ time: opts.timeMs, iterations: opts.iterations ?? 3, warmupTime: Math.min(100, opts.timeMs / 4), warmupIterations: 1 });
  for (const t of tasks) bench.add(t.name, t.fn);
  await bench.run();
  return bench.tasks.map((task, i) => {
    const def = tasks[i]!;
    const r = task.result as unknown as { state: string; latency?: { mean: number; p50: number; p99: number; samplesCount: number }; error?: unknown };
    if (r.state !== "completed" || !r.latency) {
      throw new Error(`benchmark task "${def.name}" did not complete: ${String(r.error ?? r.state)}`);
    }
    const lat = r.latency;
    const out: MicroResult = {
      name: def.name,
      samples: lat.samplesCount,
      meanMs: round(lat.mean, 4),
      p50Ms: round(lat.p50, 4),
      p99Ms: round(lat.p99, 4),
      opsPerSec: round(1000 / lat.mean, 1),
    };
    if (def.bytes !== undefined) {
      out.bytes = def.bytes;
      out.mbPerSec = round(def.bytes / 1e6 / (lat.p50 / 1000), 1);
    }
    if (def.extra) out.extra = def.extra;
    return out;
  });
}
