/**
 * A handler module's preload deps for its unit tests (src/openclaw/preload-deps.ts): counters starting at
 * `counters`, and every `preloadLog` / `fallback` line collected in `log` (a fallback also counted).
 */
import type { PreloadDeps } from "../../src/openclaw/preload-deps.js";
import type { PreloadCounters } from "../../src/openclaw/preload-runtime.js";

export function recordingDeps(initial: Partial<PreloadCounters>): { deps: PreloadDeps; counters: PreloadCounters; log: string[] } {
  const counters = { fallbacks: 0, ...initial } as PreloadCounters;
  const log: string[] = [];
  const deps = {
    counters,
    preloadLog: (_kind: string, message: string) => log.push(message),
    fallback: (where: string, why: unknown) => {
      counters.fallbacks++;
      log.push(`${where}: ${why instanceof Error ? why.message : String(why)}`);
    },
  } as unknown as PreloadDeps;
  return { deps, counters, log };
}
