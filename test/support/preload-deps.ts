/**
 * A handler module's preload deps for its unit tests (src/openclaw/preload-deps.ts): counters starting at
 * `counters`, and every `stepAside` / `fallback` line collected in `log` (each also counted).
 */
import type { PreloadDeps } from "../../src/openclaw/preload-deps.js";
import type { PreloadCounters } from "../../src/openclaw/preload-runtime.js";

export function recordingDeps(initial: Partial<PreloadCounters>): { deps: PreloadDeps; counters: PreloadCounters; log: string[] } {
  const counters = { stockRuns: 0, fallbacks: 0, ...initial } as PreloadCounters;
  const log: string[] = [];
  const deps = {
    counters,
    stepAside: (message: string) => {
      counters.stockRuns++;
      log.push(message);
    },
    fallback: (where: string, why: unknown) => {
      counters.fallbacks++;
      log.push(`${where}: ${why instanceof Error ? why.message : String(why)}`);
    },
  } as unknown as PreloadDeps;
  return { deps, counters, log };
}
