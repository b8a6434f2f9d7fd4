/**
 * Budgets at many sizes on branched, compacted and damaged transcripts, each build cold (issue 14: a
 * cold build reads bodies only for what enters the context and what decides pi's result, so a budget
 * changes which lines are ever parsed).
 *
 * The expectation never comes from ctxc's own fitting: it is pi's context on the intact part of the
 * file (support/reliability.ts — pi itself on the bytes minus the damaged lines), cut by the budget rule
 * (test/support/budget-rule.ts: newest first, a toolResult stays with the message before it, the compaction
 * summary pinned), with per-message token counts from the unbudgeted build and the dropped estimate from pi's
 * own `estimateTokens`. Every diagnostic of the unbudgeted build must come back, at the same line and
 * offset, at every budget.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { estimateTokens } from "@earendil-works/pi-coding-agent";
import { afterAll, describe, expect, it } from "vitest";
import { damage, generateTranscript, type DamageKind, type GenerateOptions } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type CompiledContext } from "../../src/index.js";
import { expectedCut } from "../support/budget-rule.js";
import { expectMatchesReference, referenceFor } from "../support/reliability.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("cold-budgets");
const compiler = createCompiler({ threads: 2 });
afterAll(() => compiler.close());

type Message = { role?: unknown };

const diagnosticsOf = (ctx: CompiledContext) =>
  ctx.diagnostics.filter((d) => d.code !== "BUDGET_TOO_SMALL").map((d) => ({ code: d.code, line: d.line, offset: d.offset, message: d.message }));

let n = 0;
async function coldBuild(path: string, budget: number | null): Promise<CompiledContext> {
  await compiler.forget(path);
  return compiler.build({ transcript: path, budget, tokenizer: "o200k_base", maxDiagnostics: 100_000 });
}

/** Checks one transcript at budgets across its whole range. */
async function checkBudgets(bytes: Buffer): Promise<void> {
  const checked = await budgetsChecked(bytes);
  expect(checked, "budgets checked").toBeGreaterThan(8);
}

/** Checks `bytes` at many budgets; returns how many (0 when pi cannot answer: a cycle, covered elsewhere). */
async function budgetsChecked(bytes: Buffer): Promise<number> {
  const path = join(dir, `case-${n++}.jsonl`);
  writeFileSync(path, bytes);
  const ref = referenceFor(bytes);
  const all = await coldBuild(path, null);
  if (expectMatchesReference(all, ref) !== "equal" || ref.pi instanceof Error) return 0;
  const pi = ref.pi.messages as Message[];
  const cost = all.tokens.perMessage;
  const pinned = all.messageCount > 0 && all.info(0).kind === "compactionSummary" ? 1 : 0;
  const total = cost.reduce((a, b) => a + b, 0);
  // every fraction of the total, the edges, and each unit boundary (exactly, and one token short)
  const budgets = new Set<number>([0, 1, total - 1, total, total + 1]);
  for (const f of [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9]) budgets.add(Math.floor(total * f));
  let suffix = 0;
  for (let i = cost.length - 1; i >= Math.max(pinned, cost.length - 12); i--) {
    suffix += cost[i]!;
    budgets.add(suffix + (pinned ? cost[0]! : 0));
    budgets.add(suffix + (pinned ? cost[0]! : 0) - 1);
  }
  for (const budget of [...budgets].filter((b) => b >= 0)) {
    const ctx = await coldBuild(path, budget);
    const { from, overBudget } = expectedCut(pi, cost, budget, pinned);
    const want = [...pi.slice(0, pinned), ...pi.slice(from)];
    const got = [...ctx.messages];
    expect(got.length, `budget ${budget}`).toBe(want.length);
    const bad = got.findIndex((m, i) => !isDeepStrictEqual(m, want[i]));
    if (bad !== -1) expect({ budget, index: bad, message: got[bad] }).toStrictEqual({ budget, index: bad, message: want[bad] });
    expect(ctx.tokens.perMessage).toEqual([...cost.slice(0, pinned), ...cost.slice(from)]);
    expect(ctx.dropped).toBe(from - pinned);
    const droppedEstimate = pi.slice(pinned, from).reduce((a, m) => a + estimateTokens(m as Parameters<typeof estimateTokens>[0]), 0);
    expect(ctx.tokens.droppedEstimate, `budget ${budget}`).toBe(droppedEstimate);
    expect(ctx.thinkingLevel).toStrictEqual(ref.pi.thinkingLevel);
    expect(ctx.model).toStrictEqual(ref.pi.model);
    expect(diagnosticsOf(ctx)).toEqual(diagnosticsOf(all));
    expect(ctx.diagnostics.some((d) => d.code === "BUDGET_TOO_SMALL")).toBe(overBudget);
  }
  return budgets.size;
}

function generated(seed: number, extra: Partial<GenerateOptions> = {}): string {
  return generateTranscript({
    seed,
    entries: 160,
    branchProbability: 0.15,
    toolResultBytes: { min: 10, max: 2_000 },
    imageBytes: { min: 30, max: 300 },
    includeAllEntryTypes: true,
    unicode: (["ascii", "mixed", "heavy"] as const)[seed % 3],
    ...extra,
  }).text;
}

describe("cold builds at many budgets equal pi's context cut by the budget rule", () => {
  it.each([
    ["linear", 11, { branchProbability: 0, compactions: 0 }],
    ["branched", 12, { branchProbability: 0.3, compactions: 0 }],
    ["compacted", 13, { compactions: 3 }],
    ["compacted, ends on a compaction", 14, { compactions: 2, endWithCompaction: true }],
    ["branched and compacted", 15, { branchProbability: 0.3, compactions: 4 }],
  ] as const)("%s (seed %i)", async (_name, seed, extra) => {
    await checkBudgets(Buffer.from(generated(seed, extra as Partial<GenerateOptions>)));
  }, 120_000);

  const kinds: DamageKind[] = ["junk-tail", "bit-flip", "truncate", "duplicate-line", "reorder-lines", "torn-tail", "nul", "non-object-lines", "duplicate-ids", "dangling-parent", "crlf", "bom"];
  it.each(kinds)("damaged: %s", async (kind) => {
    for (const seed of [21, 22]) await checkBudgets(Buffer.from(damage(generated(seed, { compactions: 2 }), kind, seed)));
  }, 180_000);

  it("damage inside message bodies that are never needed is still reported (a control byte, a bad escape)", async () => {
    const lines = generated(31, { compactions: 1 }).split("\n");
    // Two old message lines, far from the context at small budgets: break a string inside each body.
    const targets = lines.map((l, i) => (l.includes('"type":"message"') && l.includes('"text":"') ? i : -1)).filter((i) => i > 0).slice(1, 3);
    expect(targets).toHaveLength(2);
    lines[targets[0]!] = lines[targets[0]!]!.replace('"text":"', '"text":"\t'); // raw tab inside a string
    lines[targets[1]!] = lines[targets[1]!]!.replace('"text":"', '"text":"\\x'); // invalid escape
    const bytes = Buffer.from(lines.join("\n"));
    const malformed = referenceFor(bytes).skipped.filter((s) => s.code === "MALFORMED_LINE").map((s) => s.line);
    expect(malformed).toEqual(targets.map((i) => i + 1));
    await checkBudgets(bytes);
  }, 120_000);
});
