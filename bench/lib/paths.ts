/**
 * Where the benchmark's files live, whether it runs built (dist/bench/...) or from TypeScript sources
 * (the smoke test under vitest): everything is resolved from the package root.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "bench"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("bench: package root not found");
    dir = up;
  }
}

export const ROOT = findRoot();
/** Generated transcripts (git-ignored: .tmp/ is in .gitignore). */
export const DATA_DIR = join(ROOT, ".tmp", "bench-data");
export const RESULTS_DIR = join(ROOT, "bench", "results");
export const RESULTS_MD = join(ROOT, "bench", "RESULTS.md");
/** The fake Telegram + model services run from the built JavaScript in a child process. */
export const SERVICES_FILE = join(ROOT, "dist", "bench", "gateway", "services.js");
