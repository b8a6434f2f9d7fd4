/**
 * The benchmark's "cold build vs raw tokenizer" row (bench/tokenizer-row.ts) measures the raw figure on
 * exactly the texts the build counted: checked here by the counts (no timing assertions), and that the
 * report's target row is taken from it.
 */
import { describe, expect, it } from "vitest";
import { anotherAgentsTranscript, buildInThisThread, cacheWithAnotherSession, runTokenizerRow } from "../../bench/tokenizer-row.js";
import { transcriptOfSize } from "../../bench/lib/data.js";
import { evaluateTargets } from "../../bench/report/markdown.js";
import { IMAGE_TOKENS } from "../../native-free-workers/tokenize/message-tokens.js";
import type { BenchResults } from "../../bench/suite.js";
import { HANG_MS } from "../support/hang-guard.js";

describe("tokenizer row (bench)", () => {
  it("tokenizes the build's own texts and reports the ratio of the two medians", async () => {
    const row = await runTokenizerRow({ quick: true, log: () => {}, rounds: 2, sizeMB: 1 });
    expect(row.texts).toBeGreaterThan(100);
    expect(row.tokens).toBeGreaterThan(10_000);
    // The build's count is the texts' tokens plus a fixed count per image (never tokenized): nothing else.
    expect((row.buildTokens - row.tokens) % IMAGE_TOKENS).toBe(0);
    expect(row.buildTokens).toBeGreaterThanOrEqual(row.tokens);
    // The row's figure is the one-thread CPU ratio (build and raw tokenizer in one thread, one counter); the lane's wall ratio beside it.
    expect(row.ratio).toBeCloseTo(row.threadBuildCpuMs! / row.threadRawCpuMs!, 1);
    expect(row.wallRatio).toBeCloseTo(row.coldMs / row.rawMs, 1);
    // Measured beside another agent's session, as on a gateway's lane; the build on a thread holding none beside it.
    expect(row.threadBuildAloneCpuMs).toBeGreaterThan(0);
    expect(row.threadRawAloneCpuMs).toBeGreaterThan(0);

    const results = { micro: null, scenarios: [], scaling: { size: [], agents: [], threads: [] }, tokenizerRow: row } as unknown as BenchResults;
    const target = evaluateTargets(results).find((t) => t.target.includes("raw speed"));
    expect(target?.measured).toContain(`${row.texts.toLocaleString("en-US")} texts it counted`);
    expect(target?.measured).toContain("another agent's session");
    expect(target?.met).toBe(row.ratio <= 1.5);
  }, HANG_MS);

  it("builds cold beside another agent's session, which stays", async () => {
    const cache = await cacheWithAnotherSession();
    const other = await anotherAgentsTranscript();
    expect(cache.get(other)).toBeDefined();
    const path = (await transcriptOfSize(1)).path;
    for (let i = 0; i < 2; i++) {
      expect(await buildInThisThread(path, cache)).toBeGreaterThanOrEqual(0);
      expect(cache.size).toBe(2);
    }
    expect(cache.get(other)).toBeDefined();
  }, HANG_MS);
});
