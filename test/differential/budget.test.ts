/**
 * Budget fitting end to end: newest messages first, the compaction summary always kept, a toolCall
 * never separated from its toolResults, dropped counts and estimates, BUDGET_TOO_SMALL, budget 0, a
 * budget that fits exactly, and the system prompt counted toward the budget. Message costs are taken
 * from an unbudgeted build (whose counts are checked against pi's estimateTokens and js-tiktoken), so
 * the tests assert the fitting rule, not hard-coded token numbers.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getEncoding } from "js-tiktoken";
import { estimateTokens } from "@earendil-works/pi-coding-agent";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type BuildOptions, type CompiledContext } from "../../src/index.js";
import { piContext } from "../reference/pi-reference.js";
import { tempDir } from "../support/tmp.js";
import { assistant, chain, jsonl, msg, toolCall, toolResult, user, writeTemp, type Json } from "../support/transcript-builder.js";

const dir = tempDir("budget");
const compiler = createCompiler({ threads: 1 });
afterAll(() => compiler.close());

async function compile(lines: Json[], options: Partial<BuildOptions> = {}): Promise<CompiledContext> {
  return compiler.build({ transcript: writeTemp(dir, jsonl(lines)), tokenizer: "estimate", ...options });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const words = (n: number, tag: string) => `${tag} ${"word ".repeat(n)}`.trim();

// u1 a1(toolCall) r1 r1b u2 a2 : a1 with its two results is one unit.
const turnLines = chain([
  msg(user(words(10, "u1"))),
  msg(assistant([{ type: "text", text: words(5, "a1") }, toolCall("c1", "read", { path: "src/a.ts" })], { stopReason: "toolUse" })),
  msg(toolResult("c1", words(30, "r1"))),
  msg(toolResult("c1", words(7, "r1b"))),
  msg(user(words(12, "u2"))),
  msg(assistant([{ type: "text", text: words(9, "a2") }])),
]);

describe("token counts the budget works with", () => {
  it("the estimate tokenizer counts each message exactly like pi's estimateTokens", async () => {
    const { text } = generateTranscript({ seed: 404, entries: 150, includeAllEntryTypes: true, compactions: 1, unicode: "heavy" });
    const path = join(dir, "estimate.jsonl");
    writeFileSync(path, text);
    const ctx = await compiler.build({ transcript: path, tokenizer: "estimate" });
    const pi = piContext(text).messages;
    expect(ctx.tokens.exact).toBe(false);
    expect(ctx.tokens.perMessage).toEqual(pi.map((m) => estimateTokens(m)));
    expect(ctx.tokens.messages).toBe(sum(ctx.tokens.perMessage));
  });

  it("exact tokenizers count a plain text message like the reference encoder", async () => {
    const text = "Hello, wörld! 日本語のテキスト 🎉 <|endoftext|> code: `x => x * 2`\n\ttabs";
    for (const tokenizer of ["o200k_base", "cl100k_base"] as const) {
      const ctx = await compile(chain([msg(user(text))]), { tokenizer });
      expect(ctx.tokens.exact).toBe(true);
      expect(ctx.tokens.perMessage).toEqual([getEncoding(tokenizer).encode(text, [], []).length]);
    }
  });
});

describe("fitting", () => {
  // Measured before the tests (not by the first one), so each test stands alone under -t or reordering.
  let cost: number[];
  let unbudgetedDropped: number;
  beforeAll(async () => {
    const all = await compile(turnLines);
    cost = all.tokens.perMessage;
    unbudgetedDropped = all.dropped;
  });
  it("measures the unbudgeted costs", () => {
    expect(cost).toHaveLength(6);
    expect(cost.every((c) => c > 0)).toBe(true);
    expect(unbudgetedDropped).toBe(0);
  });

  it("a budget that fits exactly keeps everything; one token less drops the oldest message", async () => {
    const exact = await compile(turnLines, { budget: sum(cost) });
    expect(exact.messageCount).toBe(6);
    expect(exact.dropped).toBe(0);
    expect(exact.tokens.total).toBe(sum(cost));
    const less = await compile(turnLines, { budget: sum(cost) - 1 });
    expect(less.dropped).toBe(1);
    expect(less.messages.map((m) => m.role)).toEqual(["assistant", "toolResult", "toolResult", "user", "assistant"]);
    expect(less.tokens.droppedEstimate).toBe(cost[0]);
    expect(less.info(0).sourceLine).toBe(3);
  });

  it("keeps the newest messages and never separates a toolCall from its toolResults", async () => {
    // room for u2 + a2 + the two results, but not the assistant that called them: the whole unit goes.
    const budget = cost[2]! + cost[3]! + cost[4]! + cost[5]!;
    const ctx = await compile(turnLines, { budget });
    expect(ctx.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(ctx.dropped).toBe(4);
    expect(ctx.tokens.droppedEstimate).toBe(cost[0]! + cost[1]! + cost[2]! + cost[3]!);
    expect(ctx.tokens.total).toBeLessThanOrEqual(budget);
    // with room for the assistant too, the unit is kept whole
    const whole = await compile(turnLines, { budget: budget + cost[1]! });
    expect(whole.messages.map((m) => m.role)).toEqual(["assistant", "toolResult", "toolResult", "user", "assistant"]);
    expect([...whole.messages]).toStrictEqual(piContext(jsonl(turnLines)).messages.slice(1));
  });

  it("stops at the first unit that does not fit: the kept history is one contiguous stretch", async () => {
    // a2 fits, u2 does not; u1 alone would fit the remainder but must not be picked.
    const budget = cost[5]! + Math.min(cost[0]!, cost[4]! - 1);
    const ctx = await compile(turnLines, { budget });
    expect(ctx.messages.map((m) => m.role)).toEqual(["assistant"]);
    expect(ctx.dropped).toBe(5);
  });

  it("budget 0: everything is dropped (no system prompt, nothing pinned, so no BUDGET_TOO_SMALL)", async () => {
    const ctx = await compile(turnLines, { budget: 0 });
    expect(ctx.messageCount).toBe(0);
    expect(ctx.dropped).toBe(6);
    expect(ctx.tokens.droppedEstimate).toBe(sum(cost));
    expect(ctx.diagnostics).toEqual([]);
    expect(ctx.meta.budget).toBe(0);
  });

  it("budget none (null) keeps everything and equals pi", async () => {
    const ctx = await compile(turnLines, { budget: null });
    expect(ctx.meta.budget).toBeNull();
    expect([...ctx.messages]).toStrictEqual(piContext(jsonl(turnLines)).messages);
  });
});

describe("the compaction summary and the system prompt", () => {
  const compacted = chain([
    msg(user(words(40, "old"))),
    msg(user(words(10, "kept"))),
    { type: "compaction", summary: words(20, "summary"), firstKeptEntryId: "e2", tokensBefore: 999 },
    msg(user(words(10, "new1"))),
    msg(user(words(10, "new2"))),
  ]);

  it("the compaction summary is always kept, even when older than dropped messages", async () => {
    const all = await compile(compacted);
    const c = all.tokens.perMessage; // summary, kept, new1, new2
    expect(all.messages.map((m) => m.role)).toEqual(["compactionSummary", "user", "user", "user"]);
    const ctx = await compile(compacted, { budget: c[0]! + c[3]! });
    expect(ctx.messages.map((m) => m.role)).toEqual(["compactionSummary", "user"]);
    expect(ctx.message(1).content).toBe(words(10, "new2"));
    expect(ctx.dropped).toBe(2);
    expect(ctx.tokens.droppedEstimate).toBe(c[1]! + c[2]!);

    const tooSmall = await compile(compacted, { budget: c[0]! - 1 });
    expect(tooSmall.messages.map((m) => m.role)).toEqual(["compactionSummary"]);
    expect(tooSmall.dropped).toBe(3);
    expect(tooSmall.diagnostics.map((d) => d.code)).toEqual(["BUDGET_TOO_SMALL"]);
  });

  it("the system prompt counts toward the budget; a prompt larger than the budget drops every message", async () => {
    const ws = join(dir, "ws");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, "AGENTS.md"), `# Agents\n${words(200, "rule")}\n`);
    const bare = await compile(turnLines);
    const withWs = await compile(turnLines, { workspaceDir: ws });
    const system = withWs.tokens.system;
    expect(system).toBeGreaterThan(0);
    expect(withWs.systemPrompt).toContain("rule word");
    expect(withWs.tokens.total).toBe(system + sum(bare.tokens.perMessage));

    const budget = system + cost6(bare, 4);
    const fitted = await compile(turnLines, { workspaceDir: ws, budget });
    expect(fitted.messageCount).toBe(2);
    expect(fitted.tokens.total).toBeLessThanOrEqual(budget);
    // the same budget without the workspace keeps more
    const noWs = await compile(turnLines, { budget });
    expect(noWs.messageCount).toBeGreaterThan(2);

    const tiny = await compile(turnLines, { workspaceDir: ws, budget: system - 1 });
    expect(tiny.messageCount).toBe(0);
    expect(tiny.dropped).toBe(6);
    expect(tiny.diagnostics.map((d) => d.code)).toEqual(["BUDGET_TOO_SMALL"]);
  });
});

/** Sum of the costs of messages [from, 6). */
function cost6(ctx: CompiledContext, from: number): number {
  return sum(ctx.tokens.perMessage.slice(from));
}
