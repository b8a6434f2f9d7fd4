/**
 * `node --expose-gc dist/bench/scenario-alone.js [quick|full] [name part] [--row-only]`: one gateway
 * scenario of the suite's plan (bench/suite.ts), run as the suite runs it — fake Telegram and model
 * services, the three modes one after the other, then the "main-thread ms/build" and "build wall,
 * alone" rows — without the micro benchmarks, the cold floors and the scaling runs (~3 min of both
 * cores for the whole quick suite; one scenario takes well under a minute). `--row-only` skips the
 * gateway phases and measures the two rows alone, in a fresh process: comparing the two tells whether
 * the phases before the rows change what the rows read.
 */
import { join } from "node:path";
import { loadavg } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { runScenario, type Mode } from "./gateway/scenario.js";
import { startServices } from "./gateway/services-client.js";
import { DATA_DIR } from "./lib/paths.js";
import { plan, type SuiteName } from "./suite.js";

export async function scenarioAlone(suite: SuiteName, namePart: string, rowOnly: boolean): Promise<void> {
  const config = plan(suite).scenarios.find((s) => s.name.includes(namePart));
  if (!config) throw new Error(`no ${suite} scenario named like "${namePart}"`);
  const run = rowOnly ? { ...config, rounds: { baseline: 0, ctxcCold: 0, ctxcWarm: 0 } as Record<Mode, number> } : config;
  await mkdir(DATA_DIR, { recursive: true });
  const warmup = join(DATA_DIR, "warmup.jsonl"); // as the suite writes it
  await writeFile(warmup, generateTranscript({ seed: 3, entries: 60, unicode: "heavy", includeAllEntryTypes: true }).text);
  const services = await startServices();
  const load0 = loadavg()[0]!;
  try {
    const result = await runScenario(services, run, (s) => process.stderr.write(`${s}\n`), warmup);
    process.stdout.write(`${config.name}${rowOnly ? " (rows only)" : ""}: load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`);
    for (const [mode, m] of Object.entries(result.mainThread)) {
      process.stdout.write(`  ${mode}: main-thread ms/build p50 ${m.eluActiveMs.p50}, build wall alone p50 ${m.wallMs.p50} (max ${m.wallMs.max}, ${m.builds} builds)\n`);
    }
  } finally {
    await services.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2).filter((a) => a !== "--row-only");
  const suite: SuiteName = args[0] === "full" ? "full" : "quick";
  scenarioAlone(suite, args[1] ?? "10 MB × 5 agents, budget", process.argv.includes("--row-only")).catch((err: unknown) => {
    process.stderr.write(`scenario-alone failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
