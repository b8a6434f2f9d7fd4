/**
 * Differential proof of the core compiler: for well-formed transcripts, ctxc's messages, thinking level
 * and model must deep-equal what pi itself computes (`parseSessionEntries` + `buildSessionContext`,
 * and `SessionManager.open(path).buildSessionContext()`, the path OpenClaw takes).
 *
 * The transcripts come from the seeded generator and vary size, branching, compactions (0–5, some
 * ending the file, some keeping an id that is not on the path), unicode (ascii / mixed / heavy with
 * lone surrogates, U+2028, escaped newlines), every entry type, v2 headers and multi-MB tool results.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript, type GenerateOptions, type TranscriptStats } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type CompiledContext } from "../../src/index.js";
import { findActivePathCycle, piContext, piSession } from "../reference/pi-reference.js";
import { tempDir } from "../support/tmp.js";

const run = promisify(execFile);
const dir = tempDir("differential");
const compiler = createCompiler({ threads: 2 });
afterAll(() => compiler.close());

type Case = { name: string } & GenerateOptions;

const UNICODE = ["ascii", "mixed", "heavy"] as const;

/** 72 varied well-formed transcripts. */
function cases(): Case[] {
  const out: Case[] = [];
  for (let i = 0; i < 60; i++) {
    const seed = 1000 + i * 7919;
    const opts: Case = {
      name: "",
      seed,
      entries: [5, 20, 60, 120, 200, 320][i % 6]!,
      branchProbability: [0, 0.04, 0.15, 0.35][i % 4]!,
      compactions: i % 6, // 0..5
      unicode: UNICODE[i % 3]!,
      includeAllEntryTypes: i % 5 === 0 || i % 6 >= 2,
      toolResultBytes: i % 4 === 3 ? { min: 10, max: 40_000 } : undefined,
      endWithCompaction: i % 9 === 4 ? true : undefined,
    };
    if (opts.includeAllEntryTypes && opts.entries! < 60) opts.entries = 80;
    opts.name = `seed ${seed}: ${opts.entries} entries, branch p ${opts.branchProbability}, ${opts.compactions} compactions, ${opts.unicode}${opts.includeAllEntryTypes ? ", all types" : ""}`;
    out.push(opts);
  }
  // v2 headers (OpenClaw's own header writer)
  for (let i = 0; i < 8; i++) {
    out.push({
      name: `v2 header seed ${i}`,
      seed: 50_000 + i,
      entries: 70 + i * 20,
      headerVersion: 2,
      compactions: i % 4,
      branchProbability: 0.1,
      unicode: UNICODE[i % 3]!,
      includeAllEntryTypes: true,
    });
  }
  // Multi-MB tool results (each file 4–15 MB).
  for (let i = 0; i < 3; i++) {
    out.push({
      name: `multi-MB tool results seed ${i}`,
      seed: 90_000 + i,
      entries: 24,
      compactions: i,
      unicode: UNICODE[i]!,
      branchProbability: 0.1,
      toolResultBytes: { min: 1_200_000, max: 3_000_000 },
    });
  }
  // Empty-ish sessions: header only, one entry.
  out.push({ name: "header only", seed: 7, entries: 0 });
  out.push({ name: "one entry", seed: 8, entries: 1 });
  return out;
}

function write(name: string, text: string): string {
  const path = join(dir, `${name.replace(/[^a-z0-9]+/gi, "_")}.jsonl`);
  writeFileSync(path, text);
  return path;
}

/** ctxc's messages must strictly deep-equal pi's (undefined keys, NaN timestamps and all). */
function expectSameAsPi(ctx: CompiledContext, pi: { messages: unknown[]; thinkingLevel: unknown; model: unknown }): void {
  expect(ctx.messageCount).toBe(pi.messages.length);
  expect([...ctx.messages]).toStrictEqual(pi.messages);
  expect(ctx.thinkingLevel).toStrictEqual(pi.thinkingLevel);
  expect(ctx.model).toStrictEqual(pi.model);
  expect(ctx.dropped).toBe(0);
  expect(ctx.tokens.perMessage).toHaveLength(pi.messages.length);
}

const all = cases();
/** Compared with parseSessionEntries + buildSessionContext (v2 files go through SessionManager, below). */
const direct = all.filter((c) => c.headerVersion !== 2);
/** Compared with SessionManager.open: every v2 file, and a sample of the others. */
const viaSessionManager = all.filter(
  (c, i) => c.headerVersion === 2 || (i % 10 === 0 && (c.entries ?? 0) > 0 && !(c.toolResultBytes && c.toolResultBytes.max > 1e6)),
);

describe("ctxc equals pi's parseSessionEntries + buildSessionContext", () => {
  it.each(direct)("$name", async (c) => {
    const { text, stats } = generateTranscript(c);
    const path = write(c.name, text);
    const ctx = await compiler.build({ transcript: path });
    const pi = piContext(text);
    expectSameAsPi(ctx, pi);
    // A well-formed file has nothing to report.
    expect(ctx.diagnostics.filter((d) => d.code !== "FIRST_KEPT_NOT_FOUND")).toEqual([]);
    expect(ctx.meta.transcript.lines).toBe(stats.lines);
    expect(ctx.meta.transcript.bytes).toBe(Buffer.byteLength(text));
  });

  it("the corpus really exercises branches, compactions, all entry types and big lines", () => {
    // Generated again here (the generator is deterministic), so this test stands alone under -t or reordering.
    const seen: TranscriptStats[] = direct.map((c) => generateTranscript(c).stats);
    const totals = { branches: 0, branchSummaries: 0, compactions: 0, foreign: 0, endsWithCompaction: 0, maxLine: 0, types: new Set<string>(), roles: new Set<string>() };
    for (const stats of seen) {
      totals.branches += stats.branches;
      totals.branchSummaries += stats.branchSummaries;
      totals.compactions += stats.compactions;
      totals.foreign += stats.compactionsKeepingForeignId;
      totals.endsWithCompaction += stats.endsWithCompaction ? 1 : 0;
      totals.maxLine = Math.max(totals.maxLine, stats.maxLineBytes);
      for (const t of Object.keys(stats.byType)) totals.types.add(t);
      for (const r of Object.keys(stats.byRole)) totals.roles.add(r);
    }
    expect(totals.branches).toBeGreaterThan(30);
    expect(totals.branchSummaries).toBeGreaterThan(10);
    expect(totals.compactions).toBeGreaterThan(60);
    expect(totals.foreign).toBeGreaterThan(0);
    expect(totals.endsWithCompaction).toBeGreaterThan(3);
    expect(totals.maxLine).toBeGreaterThanOrEqual(1e6);
    expect([...totals.types].sort()).toEqual(
      ["branch_summary", "compaction", "custom", "custom_message", "label", "message", "model_change", "session_info", "thinking_level_change"],
    );
    expect([...totals.roles].sort()).toEqual(["assistant", "bashExecution", "custom", "toolResult", "user"]);
  });
});

describe("ctxc equals pi's SessionManager.open(path).buildSessionContext() (OpenClaw's path, migrates v2)", () => {
  it.each(viaSessionManager)("$name", async (c) => {
    const { text } = generateTranscript(c);
    const path = write(`sm ${c.name}`, text);
    const ctx = await compiler.build({ transcript: path });
    // SessionManager may rewrite the file it opens (v2 → v3 migration): open a private copy.
    const sm = piSession(path, { copy: true });
    expect(findActivePathCycle(sm.getEntries())).toBeNull();
    expectSameAsPi(ctx, sm.buildSessionContext());
    if (c.headerVersion === 2) {
      // Without migration pi's plain loader agrees too whenever no hookMessage role is present.
      expect(text.includes('"role":"hookMessage"')).toBe(false);
      expectSameAsPi(ctx, piContext(text));
    }
  });

  it("a v2 hookMessage is migrated to custom exactly like SessionManager does", async () => {
    const { text } = generateTranscript({ seed: 31337, entries: 40, headerVersion: 2, unicode: "mixed" });
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.includes('"role":"user"'));
    const entry = JSON.parse(lines[at]!) as { message: Record<string, unknown> };
    entry.message = { role: "hookMessage", customType: "hook", content: "from a hook ✓ 🎉", display: true, timestamp: 1 };
    lines[at] = JSON.stringify(entry);
    const migrated = lines.join("\n");
    const path = write("v2-hook", migrated);
    const ctx = await compiler.build({ transcript: path });
    const sm = piSession(path, { copy: true });
    expectSameAsPi(ctx, sm.buildSessionContext());
    expect(ctx.messages.some((m) => m.customType === "hook" && m.role === "custom")).toBe(true);
  });
});

describe("the CLI's --format json carries pi's messages (JSON round trip)", () => {
  const picks = [all[5]!, all[17]!, all.find((c) => c.unicode === "heavy" && c.includeAllEntryTypes)!];
  it.each(picks)("$name", async (c) => {
    const { text } = generateTranscript(c);
    const path = write(`cli ${c.name}`, text);
    const { stdout } = await run(process.execPath, ["dist/src/cli/main.js", "build", path, "--format", "json"], {
      maxBuffer: 256 * 1024 * 1024,
    });
    const out = JSON.parse(stdout) as { messages: unknown[]; thinkingLevel: unknown; model: unknown };
    const pi = piContext(text);
    expect(out.messages).toStrictEqual(JSON.parse(JSON.stringify(pi.messages)));
    expect(out.thinkingLevel).toStrictEqual(pi.thinkingLevel);
    expect(out.model).toStrictEqual(JSON.parse(JSON.stringify(pi.model)));
  });
});

describe("coverage of the comparison", () => {
  it("every generated transcript is in one of the compared sets", () => {
    // A property of the case lists, not a count of tests that ran: holds under -t and in any order.
    const covered = new Set([...direct, ...viaSessionManager]);
    expect(all.filter((c) => !covered.has(c)).map((c) => c.name)).toEqual([]);
    expect(viaSessionManager.filter((c) => c.headerVersion === 2)).toHaveLength(8);
  });
});
