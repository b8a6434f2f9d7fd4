/**
 * The vitest config of scripts/matrix.sh: every run of the matrix that takes the same Node as one vitest
 * run, a project per run (CTXC_MATRIX_RUNS: [{name, include, env}]). One vitest run per release left a core
 * idle at each run's end while its longest file finished (24-31 s a release on the 2-core CI host, 2.7 min
 * over the seven Node 24 runs); one pool over every release's files keeps both busy until the last one.
 * Each project's env (CTXC_OPENCLAW_ROOT, CTXC_OPENCLAW_DIST) is set by test/support/matrix-env.ts in the
 * test's own process before its file is imported, as the env of its own vitest run used to be.
 */
import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

export interface MatrixRun {
  name: string;
  include: string[];
  env: Record<string, string>;
}

declare module "vitest" {
  export interface ProvidedContext {
    matrixEnv: Record<string, string>;
  }
}

const runs = JSON.parse(process.env.CTXC_MATRIX_RUNS ?? "[]") as MatrixRun[];
if (runs.length === 0) throw new Error("test/support/matrix-config.ts: CTXC_MATRIX_RUNS names no run (scripts/matrix.sh sets it)");
const setup = new URL("./matrix-env.ts", import.meta.url).pathname;
// The project's config, not extended from the root's: extending would add the root's include
// (test/**/*.test.ts, the main suite) to each project's.
const { testTimeout, hookTimeout, pool, maxWorkers } = base.test!;

export default defineConfig({
  test: {
    maxWorkers,
    projects: runs.map((r) => ({ test: { name: r.name, include: r.include, setupFiles: [setup], provide: { matrixEnv: r.env }, testTimeout, hookTimeout, pool } })),
  },
});
