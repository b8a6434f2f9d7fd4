import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Hang guards, not speed claims (test/support/hang-guard.ts): worker pools and generated multi-MB
    // transcripts on a shared 2-core machine under a CPU hog took close to a minute for one test.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
  },
});
