import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Worker pools and generated multi-MB transcripts: give slow CI machines room.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
