/**
 * The benchmark suite: micro benchmarks, the gateway scenario at 10 and 28 MB, and the scaling runs
 * (transcript size, agents, pool threads). `quick` keeps every part but with fewer rounds and sizes so
 * it finishes in under a minute; `full` takes minutes.
 */
import { availableParallelism } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { runScenario, type Mode, type ScenarioConfig, type ScenarioResult } from "./gateway/scenario.js";
import { startServices } from "./gateway/services-client.js";
import { describeMachine, type MachineInfo } from "./lib/machine.js";
import { DATA_DIR, RESULTS_DIR } from "./lib/paths.js";
import { runMicro, type MicroSuite } from "./micro/index.js";
import { runColdBuilds, type ColdMeasure } from "./cold.js";
import { runTokenizerRow, type TokenizerRow } from "./tokenizer-row.js";
import { defaultThreads as compilerDefaultThreads } from "../src/compiler.js";

export type SuiteName = "quick" | "full";

export interface BenchResults {
  suite: SuiteName;
  command: string;
  startedAt: string;
  durationS: number;
  machine: MachineInfo;
  micro: MicroSuite | null;
  /** Cold builds against their floor (byte pass + tokenizing what enters the context), by size. */
  cold?: ColdMeasure[];
  /** Set when the cold measures were re-run apart from the rest of the suite (and why). */
  coldNote?: string;
  /** A cold build without a budget against the raw tokenizer on the same texts, alternated (bench/tokenizer-row.ts). */
  tokenizerRow?: TokenizerRow;
  /** The headline scenario: 5 agents at 10 and 28 MB, budget 120,000, plus the no-budget variant. */
  scenarios: ScenarioResult[];
  scaling: { size: ScenarioResult[]; agents: ScenarioResult[]; threads: ScenarioResult[] };
}

export interface SuiteOptions {
  suite: SuiteName;
  /** Skip the micro benchmarks (the smoke test does). */
  micro?: boolean;
  /** Override the scenario list entirely (the smoke test runs one small configuration). */
  scenarios?: ScenarioConfig[];
  scaling?: boolean;
  log?: (s: string) => void;
}

const R = (baseline: number, ctxcCold: number, ctxcWarm: number): Record<Mode, number> => ({ baseline, ctxcCold, ctxcWarm });

/** The scenarios a suite runs (bench/scenario-alone.ts runs one of them by name). */
export function plan(suite: SuiteName): { scenarios: ScenarioConfig[]; size: ScenarioConfig[]; agents: ScenarioConfig[]; threads: ScenarioConfig[] } {
  const quick = suite === "quick";
  const cores = availableParallelism();
  const defaultThreads = compilerDefaultThreads(); // what a gateway gets without a `threads` option
  // Warm rounds take ~30 ms each: enough of them that the loop-delay timer collects hundreds of samples
  // (with a few dozen, p99 is just the single worst sample).
  const rounds = quick ? R(2, 2, 20) : R(5, 5, 100);
  // Warm builds are ~1–3 ms, so the "build wall, alone" row can afford enough of them for a stable median:
  // with 6, the quick row's median read 1.7–2.8 ms from run to run for the same code (bench/scenario-alone.ts,
  // 2026-12-04), while 30 to 300 builds of warm-cost.ts settle within ~0.1 ms.
  const main = quick ? { baseline: 2, cold: 2, warm: 30 } : { baseline: 5, cold: 5, warm: 60 };
  const scenarios: ScenarioConfig[] = [10, 28].map((mb) => ({
    name: `${mb} MB × 5 agents, budget 120k`,
    transcriptMB: mb,
    agents: 5,
    threads: defaultThreads,
    budget: 120_000,
    // 28 MB quick: two cold rounds, so the cold p99 (the 5-agents-going-cold target) has 10 builds.
    rounds: quick && mb === 28 ? R(2, 2, 2) : rounds,
    keepSeries: mb === 10,
    measureMainThread: main,
  }));
  // No budget: a cold build tokenizes every message of the context (the tokenizer-bound case).
  for (const mb of quick ? [10] : [10, 28]) {
    scenarios.push({
      name: `${mb} MB × 5 agents, no budget`,
      transcriptMB: mb,
      agents: 5,
      threads: defaultThreads,
      budget: null,
      rounds: quick ? R(0, 1, 2) : R(0, 3, 6),
      modes: ["ctxcCold", "ctxcWarm"],
      measureMainThread: quick ? { baseline: 0, cold: 2, warm: 30 } : { baseline: 0, cold: 4, warm: 60 },
    });
  }
  const small = quick ? R(1, 1, 2) : R(2, 2, 5);
  const size = (quick ? [1, 10, 28] : [1, 10, 28, 60, 100]).map((mb) => ({
    name: `size ${mb} MB × 1 agent`,
    transcriptMB: mb,
    agents: 1,
    threads: defaultThreads,
    budget: 120_000,
    rounds: small,
  }));
  const agents = (quick ? [1, 2] : [1, 2, 5, 10, 16]).map((n) => ({
    name: `agents ${n} × 10 MB`,
    transcriptMB: 10,
    agents: n,
    threads: defaultThreads,
    budget: 120_000,
    rounds: small,
  }));
  // 1 lane to one more than the cores (or the default, if more): the extra row shows what a lane more
  // than cores does to the main thread's loop and the cold burst (src/compiler.ts says why the default stops at the cores).
  const threads = Array.from({ length: Math.max(cores + 1, defaultThreads) }, (_, i) => i + 1).map((t) => ({
    name: `threads ${t}, 5 agents × 10 MB`,
    transcriptMB: 10,
    agents: 5,
    threads: t,
    budget: 120_000,
    rounds: small,
    modes: ["ctxcCold", "ctxcWarm"] as Mode[],
  }));
  return { scenarios, size, agents, threads };
}

export async function runSuite(opts: SuiteOptions): Promise<BenchResults> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const started = performance.now();
  const machine = describeMachine();
  const results: BenchResults = {
    suite: opts.suite,
    command: opts.suite === "quick" ? "npm run bench:quick" : "npm run bench",
    startedAt: new Date().toISOString(),
    durationS: 0,
    machine,
    micro: null,
    scenarios: [],
    scaling: { size: [], agents: [], threads: [] },
  };
  if (opts.micro !== false) results.micro = await runMicro({ quick: opts.suite === "quick", log });
  if (!opts.scenarios) {
    results.cold = await runColdBuilds({ quick: opts.suite === "quick", log });
    results.tokenizerRow = await runTokenizerRow({ quick: opts.suite === "quick", log });
  }
  await mkdir(DATA_DIR, { recursive: true });
  const warmup = join(DATA_DIR, "warmup.jsonl");
  // "heavy" Unicode routes some texts to tiktoken, so the warm-up also loads its WASM (the hybrid loads it lazily).
  await writeFile(warmup, generateTranscript({ seed: 3, entries: 60, unicode: "heavy", includeAllEntryTypes: true }).text);
  const p = plan(opts.suite);
  const services = await startServices();
  try {
    for (const config of opts.scenarios ?? p.scenarios) {
      log(`gateway: ${config.name}`);
      results.scenarios.push(await runScenario(services, config, log, warmup));
    }
    if (opts.scaling !== false && !opts.scenarios) {
      for (const [key, list] of [["size", p.size], ["agents", p.agents], ["threads", p.threads]] as const) {
        for (const config of list) {
          log(`scaling: ${config.name}`);
          results.scaling[key].push(await runScenario(services, config, log, warmup));
        }
      }
    }
  } finally {
    await services.stop();
  }
  results.durationS = Math.round((performance.now() - started) / 100) / 10;
  return results;
}

export async function writeResults(results: BenchResults, name: string = results.suite): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  await writeFile(path, `${JSON.stringify(results, null, 1)}\n`);
  return path;
}
