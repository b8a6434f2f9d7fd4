import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Hang guards, not speed claims (test/support/hang-guard.ts): worker pools and generated multi-MB
    // transcripts on a shared 2-core machine under a CPU hog took close to a minute for one test.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    // Vitest 4's default is availableParallelism() - 1: ONE file at a time on the 2-core CI machine, while
    // a file often waits on its worker threads or child processes and leaves a core idle. Two files at
    // once cut the wall time (matrix 2026.7.35 on a host shared at load 4-5: 159 -> 137 s, and 93 -> 83 s
    // after the slow tests' cuts). Test files share no state (own temp dirs, test/support/tmp.ts; no fixed
    // ports or paths) but a release's dist/, where chunk copies come and go: scanners of it skip them
    // (bench/lib/rewritten-copy.ts).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
