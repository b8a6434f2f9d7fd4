/**
 * The compiler's `splitColdBuilds` (src/split-cold.ts, issue 14) end to end on real lanes: three agents
 * going cold at once on two lanes — the third waits behind the first, so the other lane scans its second
 * part (native-free-workers/split-handoff.ts) — give exactly what a compiler without splits gives, and a
 * warm build after an append too. Whether the other lane's scan or the owner got there first is the
 * machine's timing; both paths must give the single pass's result, so the test asserts equality either way.
 */
import { appendFileSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type CompiledContext } from "../../src/index.js";
import { SPLIT_MIN_BYTES } from "../../src/split-cold.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("split-cold");
const split = createCompiler({ threads: 2, splitColdBuilds: true });
const plain = createCompiler({ threads: 2 });
afterAll(() => Promise.all([split.close(), plain.close()]));

function result(ctx: CompiledContext) {
  // What a lane holds besides this session (cacheBytes, cachedSessions) depends on where the builds went.
  const { timings: _t, transcript, build: { cacheBytes: _c, cachedSessions: _s, ...build }, ...meta } = ctx.meta;
  return { messages: [...ctx.messages], tokens: ctx.tokens.perMessage, diagnostics: ctx.diagnostics, meta, build, bytes: transcript.bytes, entries: transcript.entries };
}

describe("splitColdBuilds", () => {
  it("three cold builds at once on two lanes: the one that waits is split, and every result (then a warm one) is the unsplit compiler's", async () => {
    const full = generateTranscript({ seed: 41, targetBytes: SPLIT_MIN_BYTES + 400_000, compactions: 3, branchProbability: 0.1 }).text;
    const lines = full.split("\n");
    const text = lines.slice(0, -6).join("\n") + "\n";
    const more = lines.slice(-6).join("\n");
    const source = join(dir, "source.jsonl");
    writeFileSync(source, text);
    const paths = ["a", "b", "c"].map((name) => join(dir, `${name}.jsonl`));
    for (const p of paths) copyFileSync(source, p);
    const expected = result(await plain.build({ transcript: source, budget: 120_000 }));
    const got = await Promise.all(paths.map((transcript, i) => split.build({ transcript, budget: 120_000, agentId: `agent-${i}` })));
    for (const ctx of got) expect(result(ctx)).toStrictEqual(expected);
    // The third went to the first lane behind the first build: it reached its cut, and either replayed the
    // other lane's scan or took the scan back; the first two (nothing before them) were not split.
    expect(got.map((ctx) => ctx.meta.timings.splitWait !== undefined)).toStrictEqual([false, false, true]);

    appendFileSync(source, more);
    for (const p of paths) appendFileSync(p, more);
    const warmExpected = result(await plain.build({ transcript: source, budget: 120_000 }));
    for (const transcript of paths) {
      const warm = await split.build({ transcript, budget: 120_000 });
      expect(warm.meta.build.rebuilt).toBeNull();
      expect(result(warm)).toStrictEqual(warmExpected);
    }
  });
});
