/**
 * Pool start-up: creating a compiler (worker threads start, worker module and tokenizer load on the
 * first build) until its first build of a tiny transcript returns, then closing it. A gateway pays this
 * once per process.
 */
import { createCompiler } from "../../src/index.js";
import { runTasks, type MicroResult } from "../lib/tinybench-util.js";

export async function benchPool(tinyTranscript: string, threads: number[], timeMs: number): Promise<MicroResult[]> {
  return runTasks(
    threads.map((n) => ({
      name: `createCompiler({threads: ${n}}) + first tiny build + close`,
      extra: { threads: n },
      fn: async () => {
        const compiler = createCompiler({ threads: n });
        await compiler.build({ transcript: tinyTranscript, budget: 120_000 });
        await compiler.close();
      },
    })),
    { timeMs, iterations: 2 },
  );
}
