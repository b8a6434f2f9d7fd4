/**
 * Where the compiled worker lives. Workers always run the built JavaScript (dist/), also when the
 * main thread runs from TypeScript sources (vitest): a `.ts` file cannot be a worker entry there.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const builtSrc = `${sep}dist${sep}src`;
const packageRoot = here.endsWith(builtSrc) ? resolve(here, "..", "..") : resolve(here, "..");

export const WORKER_FILE = join(packageRoot, "dist", "native-free-workers", "compile-worker.js");

export function assertWorkerBuilt(): void {
  if (!existsSync(WORKER_FILE)) {
    throw new Error(`ctxc worker not built: ${WORKER_FILE} is missing (run \`npm run build\`)`);
  }
}
