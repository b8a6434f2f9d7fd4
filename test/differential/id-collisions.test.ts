/**
 * Whole builds with the id hash cut to two bits (CTXC_ID_HASH_BITS, set before the compiler's modules
 * load): nearly every id shares its hash with a quarter of the file, so every parent link, duplicate
 * check and compaction's firstKeptEntryId goes through the read-back that settles a collision
 * (pi/record-table.ts). The result must still be pi's own, cold and warm: branched and compacted files,
 * a branch and a compaction that point far back, duplicate ids, a file that grows between builds and one
 * rewritten between builds.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { piContext } from "../reference/pi-reference.js";
import { splitTail } from "../support/split-tail.js";
import { tempDir } from "../support/tmp.js";
import { assistant, chain, msg, user, type Json } from "../support/transcript-builder.js";

process.env.CTXC_ID_HASH_BITS = "2";
const { compileSteps } = await import("../../native-free-workers/compile.js");
const { SessionCache } = await import("../../native-free-workers/session/session-cache.js");
const { idHash } = await import("../../native-free-workers/pi/record-table.js");
const { normalizeBuildOptions } = await import("../../src/options.js");
const { decodeContext } = await import("../../src/index.js");

const dir = tempDir("id-collisions");

/** A build in this process (so it runs with the two-bit hash); `sessions` carries state between builds. */
async function build(path: string, sessions = new SessionCache(Number.MAX_SAFE_INTEGER), budget: number | null = null) {
  const steps = compileSteps(normalizeBuildOptions({ transcript: path, budget }), sessions, 1);
  let step = await steps.next();
  while (!step.done) step = await steps.next();
  return decodeContext(step.value);
}

function expectPi(ctx: Awaited<ReturnType<typeof build>>, text: string): void {
  const pi = piContext(text);
  expect([...ctx.messages]).toStrictEqual(pi.messages);
  expect(ctx.thinkingLevel).toStrictEqual(pi.thinkingLevel);
  expect(ctx.model).toStrictEqual(pi.model);
}

const lines = (entries: Json[]) => entries.map((e) => JSON.stringify(e)).join("\n") + "\n";

describe("builds with colliding id hashes equal pi's", () => {
  it("the seam is in force", () => {
    expect(["e1", "e2", "sess-0001", "x"].every((id) => idHash(id) < 4)).toBe(true);
  });

  it.each([
    { seed: 21, entries: 320, branchProbability: 0.35, compactions: 3, includeAllEntryTypes: true },
    { seed: 22, entries: 200, branchProbability: 0.15, compactions: 5, endWithCompaction: true },
    { seed: 23, entries: 260, branchProbability: 0.04, compactions: 0, unicode: "heavy" as const },
  ])("generated, cold and after appends (seed $seed)", async (opts) => {
    const { text } = generateTranscript(opts);
    const path = join(dir, `gen-${opts.seed}.jsonl`);
    writeFileSync(path, text);
    expectPi(await build(path), text);

    const [prefix, rest] = splitTail(text, 40);
    writeFileSync(path, prefix);
    const sessions = new SessionCache(Number.MAX_SAFE_INTEGER);
    expectPi(await build(path, sessions), prefix);
    let grown = prefix;
    for (const chunk of rest.split(/(?<=\n)/).reduce<string[][]>((acc, l, i) => (i % 9 === 0 ? acc.push([l]) : acc[acc.length - 1]!.push(l), acc), [])) {
      appendFileSync(path, chunk.join(""));
      grown += chunk.join("");
      const warm = await build(path, sessions);
      expect(warm.meta.build.rebuilt).toBeNull();
      expectPi(warm, grown);
    }
  });

  it("duplicate ids: the later entry wins and is reported", async () => {
    const { text } = generateTranscript({ seed: 24, entries: 240, branchProbability: 0.2, compactions: 2 });
    const damaged = damage(text, "duplicate-ids", 24);
    const path = join(dir, "dup.jsonl");
    writeFileSync(path, damaged);
    const ctx = await build(path);
    expectPi(ctx, damaged);
    expect(ctx.diagnostics.some((d) => d.code === "DUPLICATE_ID")).toBe(true);
  });

  it("a branch and a compaction that point far back, then a rewrite between builds", async () => {
    const entries: Json[] = [];
    for (let i = 1; i <= 240; i++) entries.push(msg(i % 2 ? user(`question ${i}`) : assistant([{ type: "text", text: `answer ${i}` }])));
    const base = chain(entries);
    // A branch from e7 (far beyond the ids kept as strings), then a compaction keeping from e3.
    const tail: Json[] = [
      { type: "message", id: "b1", parentId: "e7", timestamp: "2026-01-05T09:00:00.000Z", message: user("branch from far back") },
      { type: "compaction", id: "c1", parentId: "b1", timestamp: "2026-01-05T09:00:01.000Z", summary: "sum", firstKeptEntryId: "e3", tokensBefore: 100 },
      { type: "message", id: "b2", parentId: "c1", timestamp: "2026-01-05T09:00:02.000Z", message: user("after the compaction") },
    ];
    const path = join(dir, "far.jsonl");
    const sessions = new SessionCache(Number.MAX_SAFE_INTEGER);
    writeFileSync(path, lines(base));
    expectPi(await build(path, sessions), lines(base));
    appendFileSync(path, lines(tail));
    const text = lines([...base, ...tail]);
    const warm = await build(path, sessions);
    expect(warm.meta.build.rebuilt).toBeNull();
    expectPi(warm, text);
    expect(warm.messageCount).toBe(1 + 6 + 1); // the summary; e3…e7 and b1 (kept from e3 on the branch); b2
    // Rewritten in place (same size order, other ids): the state is dropped and the result is the new file's.
    const rewritten = text.replaceAll('"e', '"f');
    writeFileSync(path, rewritten);
    const again = await build(path, sessions);
    expect(again.meta.build.rebuilt).not.toBeNull();
    expectPi(again, rewritten);
  });
});
