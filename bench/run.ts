/**
 * `npm run bench` (--full) / `npm run bench:quick` (--quick) / `ctxc bench`: runs the suite, writes
 * bench/results/<suite>.json and regenerates bench/RESULTS.md with its charts. `--render` only
 * regenerates RESULTS.md from the saved results. The real-gateway section (bench/real-gateway, run
 * separately: it needs its own setup) is appended from bench/results/real-gateway.md when present.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { RESULTS_DIR, RESULTS_MD, ROOT } from "./lib/paths.js";
import { evaluateTargets, renderCharts, renderMarkdown } from "./report/markdown.js";
import { runSuite, writeResults, type BenchResults, type SuiteName } from "./suite.js";

export async function main(argv: string[]): Promise<void> {
  const suite: SuiteName = argv.includes("--full") ? "full" : "quick";
  const renderOnly = argv.includes("--render");
  const json = join(RESULTS_DIR, `${suite}.json`);
  const results: BenchResults = renderOnly ? JSON.parse(await readFile(json, "utf8")) : await runSuite({ suite });
  if (!renderOnly) await writeResults(results);
  const charts = renderCharts(results);
  const dir = join(ROOT, "bench", "charts");
  await mkdir(dir, { recursive: true });
  if (charts.loopDelay) await writeFile(join(dir, "loop-delay.svg"), charts.loopDelay);
  if (charts.latencyVsSize) await writeFile(join(dir, "latency-vs-size.svg"), charts.latencyVsSize);
  const realGateway = join(RESULTS_DIR, "real-gateway.md");
  const tail = existsSync(realGateway) ? `\n${await readFile(realGateway, "utf8")}` : "";
  await writeFile(RESULTS_MD, renderMarkdown(results, charts) + tail);
  process.stdout.write(`\n${suite} suite done in ${results.durationS} s → ${json}, ${RESULTS_MD}\n\nTargets:\n`);
  for (const t of evaluateTargets(results)) process.stdout.write(`  [${t.met ? "met" : "NOT met"}] ${t.target}: ${t.measured}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
