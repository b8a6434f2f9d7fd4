/**
 * A transcript growing between builds, at random budgets: every warm build equals pi's context of the
 * file as it stands, cut by the budget rule (test/support/budget-rule.ts) with pi's own `estimateTokens` as
 * the costs — the expectation never comes from ctxc. Per seed, random generator options (size, branching,
 * compactions, unicode, every entry type, images, tool-result sizes, errored turns), a few malformed and
 * blank lines slipped in (pi skips both), the file written in 1–5 appends at random line cuts, some appends
 * torn (half written, built, then completed), and a third of the seeds on a compiler with a persistent index
 * that is closed and opened again between appends (a restart continues from the saved index). At the end an
 * exact tokenizer's warm build at a random budget equals a cold one of the same file, diagnostics included,
 * and the whole file cold equals pi.
 *
 * `CTXC_WIDE_SEEDS=<first>:<count>` runs other seeds (2,500 of them passed on 2026-12-07, ~25 minutes).
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { estimateTokens } from "@earendil-works/pi-coding-agent";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript, type GenerateOptions } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type CompiledContext, type Compiler } from "../../src/index.js";
import { piContext } from "../reference/pi-reference.js";
import { expectedCut, pinnedCount } from "../support/budget-rule.js";
import { rng, seedRange, wideSeeds } from "../support/seeded-random.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("growing-budgets");
const warm = createCompiler({ threads: 2 });
afterAll(() => warm.close());


type Message = { role?: unknown };
const cost = (m: Message) => estimateTokens(m as Parameters<typeof estimateTokens>[0]);

/** Lines pi's parser skips: not JSON (one with a raw control byte), JSON cut short, blank. */
const SKIPPED = ['{"type":"message","id":"x', "not json", "", "   ", '{"a":1,}', '{"type":"message"\u0001}', "[1,2", '"unterminated'];

/** The build of `text` (what the file holds) at `budget` equals pi's context of it cut by the budget rule. */
function expectPiCut(ctx: CompiledContext, text: string, budget: number | null, what: string): void {
  const pi = piContext(text);
  const messages = pi.messages as Message[];
  const costs = messages.map(cost);
  const pinned = pinnedCount(messages);
  const { from } = budget === null ? { from: pinned } : expectedCut(messages, costs, budget, pinned);
  const kept = [...messages.slice(0, pinned), ...messages.slice(from)];
  expect([...ctx.messages], what).toStrictEqual(kept);
  expect(ctx.dropped, what).toBe(from - pinned);
  expect(ctx.tokens.perMessage, what).toEqual(kept.map(cost));
  expect(ctx.thinkingLevel, what).toStrictEqual(pi.thinkingLevel);
  expect(ctx.model, what).toStrictEqual(pi.model);
}

function optionsFor(seed: number, random: () => number): GenerateOptions {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const opts: GenerateOptions = {
    seed,
    entries: pick([1, 3, 10, 40, 90, 200, 400]),
    branchProbability: pick([0, 0.02, 0.1, 0.3, 0.6]),
    compactions: pick([0, 0, 1, 2, 4, 8]),
    unicode: pick(["ascii", "mixed", "heavy"] as const),
    includeAllEntryTypes: random() < 0.4,
    imageProbability: pick([0, 0.03, 0.2]),
    toolResultBytes: pick([undefined, { min: 5, max: 200 }, { min: 1000, max: 60_000 }]),
    endWithCompaction: random() < 0.2 ? true : undefined,
    erroredEmptyContent: random() < 0.5,
  };
  if (opts.includeAllEntryTypes && opts.entries! < 60) opts.entries = 80;
  return opts;
}

describe("warm builds of a growing transcript at random budgets equal pi's context cut by the budget rule", () => {
  it.each(wideSeeds() ?? seedRange(1, 30))("seed %i", async (seed) => {
    const random = rng(seed * 2654435761);
    const { text } = generateTranscript(optionsFor(seed, random));
    const lines = text.split("\n").slice(0, -1).map((l) => `${l}\n`);
    if (random() < 0.35) {
      const n = 1 + Math.floor(random() * 4);
      for (let k = 0; k < n && lines.length > 1; k++) lines.splice(1 + Math.floor(random() * (lines.length - 1)), 0, `${SKIPPED[Math.floor(random() * SKIPPED.length)]}\n`);
    }
    const whole = lines.join("");
    const total = (piContext(whole).messages as Message[]).reduce((a, m) => a + cost(m), 0) + 10;
    const budget = (share: number): number | null => (random() < share ? null : Math.floor(random() * total * 1.1));

    const cuts = new Set<number>([lines.length]);
    for (let k = Math.floor(random() * 5); k > 0; k--) cuts.add(1 + Math.floor(random() * lines.length));
    const path = join(dir, `seed-${seed}.jsonl`);
    writeFileSync(path, "");
    const cacheDir = join(dir, `index-${seed}`);
    const restarts = random() < 0.3;
    let compiler: Compiler = restarts ? createCompiler({ threads: 1, cacheDir }) : warm;
    let at = 0;
    try {
      for (const cut of [...cuts].sort((a, b) => a - b)) {
        const appended = lines.slice(at, cut).join("");
        if (appended.length > 10 && random() < 0.3) {
          // A torn append: the build takes the file's complete lines only.
          const half = appended.length >> 1;
          appendFileSync(path, appended.slice(0, half));
          const written = lines.slice(0, at).join("") + appended.slice(0, half);
          const complete = written.slice(0, written.lastIndexOf("\n") + 1);
          if (complete) {
            const b = budget(0.5);
            expectPiCut(await compiler.build({ transcript: path, tokenizer: "estimate", budget: b }), complete, b, `torn at line ${at} + ${half} bytes, budget ${b}`);
          }
          appendFileSync(path, appended.slice(half));
        } else appendFileSync(path, appended);
        at = cut;
        const b = budget(0.4);
        const ctx = await compiler.build({ transcript: path, tokenizer: "estimate", budget: b });
        expectPiCut(ctx, lines.slice(0, at).join(""), b, `${at} of ${lines.length} lines, budget ${b}${restarts ? ", persistent index" : ""}`);
        if (restarts && random() < 0.6) {
          await compiler.close();
          compiler = createCompiler({ threads: 1, cacheDir });
        }
      }
    } finally {
      if (restarts) await compiler.close();
    }

    // An exact tokenizer: a warm build (after one at another budget) equals a cold one, diagnostics included.
    const exactBudget = Math.floor(random() * total * 1.5) + 1;
    await warm.build({ transcript: path, budget: exactBudget >> 1 });
    const warmExact = await warm.build({ transcript: path, budget: exactBudget });
    const cold = createCompiler({ threads: 1 });
    try {
      const coldExact = await cold.build({ transcript: path, budget: exactBudget });
      expect([...warmExact.messages]).toStrictEqual([...coldExact.messages]);
      expect(warmExact.tokens.perMessage).toEqual(coldExact.tokens.perMessage);
      expect(warmExact.dropped).toBe(coldExact.dropped);
      expect(warmExact.diagnostics.map((d) => [d.code, d.line, d.offset])).toEqual(coldExact.diagnostics.map((d) => [d.code, d.line, d.offset]));
      expect([...(await cold.build({ transcript: path })).messages]).toStrictEqual(piContext(whole).messages);
    } finally {
      await cold.close();
    }
  });
});
