/**
 * Every diagnostic code, with its exact 1-based line and byte offset. Where pi handles the input, the
 * messages still equal pi's; where pi crashes (a `null` line, a message entry without a message) or
 * loops forever (a parentId cycle), ctxc terminates with a diagnostic instead.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type BuildOptions, type CompiledContext, type Diagnostic } from "../../src/index.js";
import { PiCycleError, piContext } from "../reference/pi-reference.js";
import { tempDir } from "../support/tmp.js";
import { assistant, chain, header, jsonl, lineOffset, msg, user, writeTemp, type Json } from "../support/transcript-builder.js";
import { buildSessionContext, parseSessionEntries } from "@earendil-works/pi-coding-agent";

const dir = tempDir("diagnostics");
const compiler = createCompiler({ threads: 1 });
afterAll(() => compiler.close());

async function compile(text: string | Buffer, options: Partial<BuildOptions> = {}): Promise<CompiledContext> {
  return compiler.build({ transcript: writeTemp(dir, text), ...options });
}

/** [code, line, offset] of each diagnostic. */
const where = (ctx: CompiledContext) => ctx.diagnostics.map((d: Diagnostic) => [d.code, d.line, d.offset]);

function expectPiMessages(ctx: CompiledContext, text: string): void {
  expect([...ctx.messages]).toStrictEqual(piContext(text).messages);
}

const base = chain([msg(user("one ✓")), msg(assistant([{ type: "text", text: "two 🎉" }])), msg(user("three"))]);

describe("line-level diagnostics", () => {
  it("MALFORMED_LINE: skipped like pi skips it, at its line and byte offset", async () => {
    const text = jsonl([base[0]!, base[1]!, '{"type":"message", broken', base[2]!, base[3]!]);
    const ctx = await compile(text);
    expect(where(ctx)).toEqual([["MALFORMED_LINE", 3, lineOffset(text, 3)]]);
    expect(ctx.diagnostics[0]!.message).toMatch(/not valid JSON/);
    expectPiMessages(ctx, text);
  });

  it("NON_OBJECT_LINE: numbers, strings and arrays are skipped; a `null` line crashes pi but not ctxc", async () => {
    const text = jsonl([base[0]!, base[1]!, "42", '"orphan"', "[]", "null", base[2]!, base[3]!]);
    const ctx = await compile(text);
    expect(where(ctx)).toEqual([3, 4, 5, 6].map((l) => ["NON_OBJECT_LINE", l, lineOffset(text, l)]));
    expect(() => buildSessionContext(parseSessionEntries(text) as Parameters<typeof buildSessionContext>[0])).toThrow(TypeError);
    expectPiMessages(ctx, jsonl(base));
  });

  it("TORN_TAIL: a last line without newline is left out until complete", async () => {
    const full = jsonl(base);
    const text = full + JSON.stringify({ type: "message", id: "e4", parentId: "e3", message: user("in progress") }).slice(0, 30);
    const ctx = await compile(text);
    expect(where(ctx)).toEqual([["TORN_TAIL", 5, Buffer.byteLength(full)]]);
    expect(ctx.meta.transcript.bytes).toBe(Buffer.byteLength(full));
    expectPiMessages(ctx, full);
  });

  it("BOM: ignored like pi's trim() ignores it; later offsets count its 3 bytes", async () => {
    const text = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(jsonl([...base.slice(0, 2), "{bad", ...base.slice(2)]))]);
    const ctx = await compile(text);
    expect(where(ctx)).toEqual([
      ["BOM", 1, 0],
      ["MALFORMED_LINE", 3, lineOffset(text, 3)],
    ]);
    expect(lineOffset(text, 3)).toBe(3 + lineOffset(jsonl([...base.slice(0, 2), "{bad"]), 3));
    expectPiMessages(ctx, text.toString("utf8"));
  });

  it("LINE_TOO_LONG: skipped without being read, the rest still parses", async () => {
    const big = msg(user("x".repeat(5000)));
    const lines = chain([msg(user("a")), big, msg(user("b"), { parentId: "e1" })]);
    const text = jsonl(lines);
    const ctx = await compile(text, { maxLineBytes: 1000 });
    const len = Buffer.byteLength(JSON.stringify(lines[2]));
    expect(where(ctx)).toEqual([["LINE_TOO_LONG", 3, lineOffset(text, 3)]]);
    expect(ctx.diagnostics[0]!.message).toContain(`${len} bytes`);
    expect([...ctx.messages]).toStrictEqual([user("a"), user("b")]);
  });
});

describe("header diagnostics", () => {
  it("MISSING_HEADER: the first entry is not a session header; the context is still pi's", async () => {
    const text = jsonl(base.slice(1));
    const ctx = await compile(text);
    expect(where(ctx)).toEqual([["MISSING_HEADER", 1, 0]]);
    expectPiMessages(ctx, text);
  });

  it("BAD_HEADER: no string id, or a version newer than 3", async () => {
    const noId = jsonl([header({ id: 17 }), ...base.slice(1)]);
    const ctx = await compile(noId);
    expect(where(ctx)).toEqual([["BAD_HEADER", 1, 0]]);
    expect(ctx.meta.transcript.sessionId).toBeUndefined();
    expectPiMessages(ctx, noId);
    const v4 = jsonl([header({ version: 4 }), ...base.slice(1)]);
    const newer = await compile(v4);
    expect(where(newer)).toEqual([["BAD_HEADER", 1, 0]]);
    expect(newer.diagnostics[0]!.message).toMatch(/version 4/);
    expectPiMessages(newer, v4);
  });
});

describe("entry diagnostics", () => {
  it("UNKNOWN_ENTRY_TYPE: also for an entry without a type", async () => {
    const lines: Json[] = chain([msg(user("a")), { type: "hologram" }, { note: "no type" }, msg(user("b"))]);
    delete lines[3]!.type;
    const text = jsonl(lines);
    const ctx = await compile(text);
    expect(where(ctx)).toEqual([
      ["UNKNOWN_ENTRY_TYPE", 3, lineOffset(text, 3)],
      ["UNKNOWN_ENTRY_TYPE", 4, lineOffset(text, 4)],
    ]);
    expect(ctx.diagnostics[1]!.message).toMatch(/without a type/);
    expectPiMessages(ctx, text);
  });

  it("INVALID_ENTRY: a message entry without a message object (pi crashes on a missing or null one)", async () => {
    for (const bad of [{}, { message: null }, { message: "just a string" }, { message: [1, 2] }]) {
      const lines = chain([msg(user("a")), { type: "message", ...bad }, msg(user("b"))]);
      const text = jsonl(lines);
      const ctx = await compile(text);
      expect(where(ctx)).toEqual([["INVALID_ENTRY", 3, lineOffset(text, 3)]]);
      expect([...ctx.messages]).toStrictEqual([user("a"), user("b")]);
      if (!("message" in bad) || bad.message === null) expect(() => piContext(text)).toThrow(TypeError);
    }
  });

  it("DANGLING_PARENT: the branch starts at the entry whose parent is unknown, as in pi", async () => {
    const lines = chain([msg(user("a")), msg(user("b"), { parentId: "ghost" }), msg(user("c"))]);
    const text = jsonl(lines);
    const ctx = await compile(text);
    expect(where(ctx)).toEqual([["DANGLING_PARENT", 3, lineOffset(text, 3)]]);
    expect([...ctx.messages]).toStrictEqual([user("b"), user("c")]);
    expectPiMessages(ctx, text);
  });

  it("DUPLICATE_ID: the later entry wins, as in pi", async () => {
    const lines = chain([msg(user("a")), msg(user("b")), msg(user("c")), msg(user("b2"), { id: "e2", parentId: "e1" }), msg(user("d"), { parentId: "e3" })]);
    const text = jsonl(lines);
    const ctx = await compile(text);
    expect(where(ctx)).toEqual([["DUPLICATE_ID", 5, lineOffset(text, 5)]]);
    expect(ctx.diagnostics[0]!.message).toMatch(/line 3/);
    // d → e3 → e2 (now "b2") → e1
    expect([...ctx.messages]).toStrictEqual([user("a"), user("b2"), user("c"), user("d")]);
    expectPiMessages(ctx, text);
  });

  it("CYCLE: pi would loop forever; ctxc cuts the branch where the loop closes", async () => {
    const lines = chain([msg(user("a"), { parentId: "e3" }), msg(user("b")), msg(user("c"))]);
    const text = jsonl(lines);
    expect(() => piContext(text)).toThrow(PiCycleError);
    const ctx = await compile(text);
    // walk: e3 → e2 → e1 → e3 again: reported at e3's line (4)
    expect(where(ctx)).toEqual([["CYCLE", 4, lineOffset(text, 4)]]);
    expect([...ctx.messages]).toStrictEqual([user("a"), user("b"), user("c")]);
    const self = jsonl(chain([msg(user("a")), msg(user("loop"), { parentId: "e2" })]));
    expect(() => piContext(self)).toThrow(PiCycleError);
    const selfCtx = await compile(self);
    expect(where(selfCtx)).toEqual([["CYCLE", 3, lineOffset(self, 3)]]);
    expect([...selfCtx.messages]).toStrictEqual([user("loop")]);
  });

  it("CYCLE and DUPLICATE_ID from damaged generated transcripts always terminate with a diagnostic", async () => {
    let cycles = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const { text } = generateTranscript({ seed, entries: 80, branchProbability: 0.1, unicode: "mixed" });
      for (const kind of ["cycle", "duplicate-ids"] as const) {
        const broken = damage(text, kind, seed);
        const ctx = await compile(broken);
        let piResult: ReturnType<typeof piContext> | null = null;
        try {
          piResult = piContext(broken);
        } catch (err) {
          expect(err).toBeInstanceOf(PiCycleError);
        }
        if (piResult === null) {
          cycles++;
          expect(ctx.meta.diagnosticCounts.CYCLE).toBe(1);
        } else {
          expect(ctx.meta.diagnosticCounts.CYCLE).toBeUndefined();
          expect([...ctx.messages]).toStrictEqual(piResult.messages);
        }
        if (kind === "duplicate-ids") expect(ctx.meta.diagnosticCounts.DUPLICATE_ID).toBe(1);
      }
    }
    expect(cycles).toBeGreaterThanOrEqual(12);
  });

  it("FIRST_KEPT_NOT_FOUND: at the compaction's line and offset", async () => {
    const lines = chain([msg(user("a")), { type: "compaction", summary: "S", firstKeptEntryId: "gone", tokensBefore: 5 }, msg(user("b"))]);
    const text = jsonl(lines);
    const ctx = await compile(text);
    expect(where(ctx)).toEqual([["FIRST_KEPT_NOT_FOUND", 3, lineOffset(text, 3)]]);
    expectPiMessages(ctx, text);
  });
});

describe("build-level diagnostics", () => {
  it("BOOTSTRAP_UNREADABLE: a bootstrap name that is a directory (line 0, offset 0)", async () => {
    const ws = join(dir, "ws-unreadable");
    mkdirSync(join(ws, "AGENTS.md"), { recursive: true });
    writeFileSync(join(ws, "SOUL.md"), "be kind");
    const ctx = await compile(jsonl(base), { workspaceDir: ws });
    expect(where(ctx)).toEqual([["BOOTSTRAP_UNREADABLE", 0, 0]]);
    expect(ctx.diagnostics[0]!.message).toContain(join(ws, "AGENTS.md"));
    expect(ctx.meta.bootstrapFiles.find((f) => f.name === "AGENTS.md")!.missing).toBe(true);
    expect(ctx.systemPrompt).toContain("be kind");
  });

  it("BUDGET_TOO_SMALL: line 0, offset 0", async () => {
    const big = await compile(jsonl(chain([{ type: "compaction", summary: "s".repeat(400), firstKeptEntryId: "x", tokensBefore: 1 }, msg(user("hello"))])), {
      budget: 10,
      tokenizer: "estimate",
    });
    expect(where(big)).toEqual([
      ["FIRST_KEPT_NOT_FOUND", 2, Buffer.byteLength(JSON.stringify(header())) + 1],
      ["BUDGET_TOO_SMALL", 0, 0],
    ]);
  });

  it("DIAGNOSTICS_TRUNCATED: past maxDiagnostics the rest are counted, not listed", async () => {
    const text = jsonl([base[0]!, "{x", "{y", "{z", "7", base[1]!]);
    const ctx = await compile(text, { maxDiagnostics: 2 });
    expect(where(ctx)).toEqual([
      ["MALFORMED_LINE", 2, lineOffset(text, 2)],
      ["MALFORMED_LINE", 3, lineOffset(text, 3)],
      ["DIAGNOSTICS_TRUNCATED", 0, 0],
    ]);
    expect(ctx.diagnostics[2]!.message).toMatch(/^2 more/);
    expect(ctx.meta.diagnosticCounts).toEqual({ MALFORMED_LINE: 3, NON_OBJECT_LINE: 1 });
  });
});
