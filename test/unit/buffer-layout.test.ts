/**
 * docs/buffer-format.md must describe the layout native-free-workers/protocol/buffer-layout.ts defines: every table row is
 * parsed from the page and checked against the constants, and a real buffer is read with the
 * documented offsets. Also: decodeContext on a saved buffer, and INVALID_BUFFER on anything else.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  HEADER_BYTES,
  Header,
  HeaderFlag,
  INDEX_RECORD_BYTES,
  IndexRecord,
  LAYOUT_VERSION,
  MAGIC,
  MessageFlag,
  MessageKind,
  RoleCode,
  SECTION_COUNT,
  SYNTHETIC_KEYS,
  Section,
} from "../../native-free-workers/protocol/buffer-layout.js";
import { CtxcError, createCompiler, decodeContext, type CompiledContext } from "../../src/index.js";
import { tempDir } from "../support/tmp.js";
import { assistant, chain, jsonl, msg, toolCall, toolResult, user, writeTemp } from "../support/transcript-builder.js";

const doc = readFileSync(new URL("../../docs/buffer-format.md", import.meta.url), "utf8");
const dir = tempDir("buffer-layout");
const compiler = createCompiler({ threads: 1 });
afterAll(() => compiler.close());

/** Rows of the markdown table whose header line is `headerLine`. */
function table(headerLine: string): string[][] {
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => l.trim() === headerLine);
  expect(start, `table "${headerLine}" in docs/buffer-format.md`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith("|"); i++) {
    rows.push(lines[i]!.split("|").slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const SIZE: Record<string, number> = { u8: 1, u16: 2, u32: 4, f64: 8 };

/** "0 other, 1 user, …" → {other: 0, user: 1, …} */
function codeList(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s+(.+?)\s*$/.exec(part);
    expect(m, part).not.toBeNull();
    out[m![2]!] = Number(m![1]);
  }
  return out;
}

/** "bit 0: …; bit 1: …" → ["…", "…"] by bit. */
function bits(text: string): string[] {
  return text.split(";").map((p, i) => {
    const m = /^\s*bit (\d+): (.+)$/.exec(p);
    expect(m && Number(m[1]), p).toBe(i);
    return m![2]!;
  });
}

describe("docs/buffer-format.md agrees with native-free-workers/protocol/buffer-layout.ts", () => {
  it("title, magic, version and header size", () => {
    expect(doc).toMatch(new RegExp(`^# The ctxc context buffer, layout version ${LAYOUT_VERSION}$`, "m"));
    expect(doc).toContain(`## Header (${HEADER_BYTES} bytes)`);
    expect(doc).toContain(`\`0x${MAGIC.toString(16)}\``);
    expect(Buffer.from(new Uint32Array([MAGIC]).buffer).toString("latin1")).toBe("CTXC");
  });

  it("header table: every field at its offset with its size, contiguous, then the section table", () => {
    const rows = table("| offset | type | field | meaning |");
    const fields = rows.filter((r) => r[2] !== "section table");
    expect(fields.map((r) => r[2])).toEqual(Object.keys(Header).filter((k) => k !== "sectionTable"));
    let expected = 0;
    for (const [offset, type, field] of fields) {
      expect(Number(offset), field).toBe(Header[field as keyof typeof Header]);
      expect(Number(offset), `${field} follows the previous field`).toBe(expected);
      expected = Number(offset) + SIZE[type!]!;
    }
    const sectionRow = rows.find((r) => r[2] === "section table")!;
    expect(Number(sectionRow[0])).toBe(Header.sectionTable);
    expect(Header.sectionTable).toBe(expected);
    expect(sectionRow[1]).toBe(`${SECTION_COUNT} × (u32, u32)`);
    expect(HEADER_BYTES).toBe(Header.sectionTable + SECTION_COUNT * 8);
    expect(rows.find((r) => r[2] === "version")![3]).toContain(`\`${LAYOUT_VERSION}\``);
    expect(rows.find((r) => r[2] === "headerBytes")![3]).toContain(`\`${HEADER_BYTES}\``);
    const flags = bits(rows.find((r) => r[2] === "flags")![3]!);
    expect(flags).toHaveLength(Object.keys(HeaderFlag).length);
    expect(flags[Math.log2(HeaderFlag.budgetApplied)]).toMatch(/budget/);
    expect(flags[Math.log2(HeaderFlag.exactTokens)]).toMatch(/exact/);
  });

  it("section table: names, numbers and order", () => {
    const rows = table("| # | name | content |");
    expect(rows.map((r) => [r[1], Number(r[0])])).toEqual(Object.entries(Section));
    expect(rows).toHaveLength(SECTION_COUNT);
    expect(rows.find((r) => r[1] === "MESSAGE_INDEX")![2]).toContain(`records of ${INDEX_RECORD_BYTES} bytes`);
  });

  it("message index record: offsets, sizes, kind codes, role codes, flags", () => {
    expect(doc).toContain(`### Message index record (${INDEX_RECORD_BYTES} bytes)`);
    const all = table("| offset | type | field | meaning |");
    // the second table with that header line is the index record: find it after the section table
    const lines = doc.split("\n");
    const at = lines.findIndex((l) => l.startsWith("### Message index record"));
    const rows = lines
      .slice(at)
      .filter((l) => /^\| \d+ \|/.test(l))
      .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
    expect(all.length).toBeGreaterThan(0);
    expect(rows.map((r) => r[2])).toEqual(Object.keys(IndexRecord));
    let expected = 0;
    for (const [offset, type, field] of rows) {
      expect(Number(offset), field).toBe(IndexRecord[field as keyof typeof IndexRecord]);
      expect(Number(offset)).toBe(expected);
      expected += SIZE[type!]!;
    }
    expect(expected).toBe(INDEX_RECORD_BYTES);

    const roles = codeList(rows.find((r) => r[2] === "role")![3]!);
    expect(roles).toEqual({ ...RoleCode });
    const kinds = codeList(rows.find((r) => r[2] === "kind")![3]!);
    expect(kinds).toEqual({
      "`message` entry": MessageKind.entry,
      "compaction summary": MessageKind.compactionSummary,
      "branch summary": MessageKind.branchSummary,
      "custom message": MessageKind.customMessage,
    });
    const flags = bits(rows.find((r) => r[2] === "flags")![3]!);
    expect(flags).toHaveLength(Object.keys(MessageFlag).length);
    expect(flags[Math.log2(MessageFlag.nanTimestamp)]).toMatch(/NaN/);
    expect(flags[Math.log2(MessageFlag.hasToolCalls)]).toMatch(/toolCall/);
  });

  it("the synthesized message shapes list pi's keys", () => {
    const shape = (n: number) => new RegExp(`- ${n} \`\\{(.+?)\\}\``).exec(doc)![1]!.split(",").map((k) => k.trim().replace(/:.*/, ""));
    expect(shape(MessageKind.compactionSummary)).toEqual(SYNTHETIC_KEYS[MessageKind.compactionSummary]);
    expect(shape(MessageKind.branchSummary)).toEqual(SYNTHETIC_KEYS[MessageKind.branchSummary]);
    expect(shape(MessageKind.customMessage)).toEqual(SYNTHETIC_KEYS[MessageKind.customMessage]);
  });

  it("the META example has the keys a real build writes", async () => {
    const ctx = await build();
    const example = JSON.parse(/### META\s+```json\n([\s\S]+?)```/.exec(doc)![1]!.replace(/"…"/g, '""')) as Record<string, unknown>;
    expect(Object.keys(example).sort()).toEqual(Object.keys(ctx.meta).sort());
    expect(Object.keys(example.transcript as object).sort()).toEqual(Object.keys(ctx.meta.transcript).sort());
    expect(Object.keys(example.timings as object).sort()).toEqual(Object.keys(ctx.meta.timings).sort());
  });
});

async function build(): Promise<CompiledContext> {
  const lines = chain([
    msg(user("hi ✓")),
    msg(assistant([toolCall("c1", "read", { path: "a" })], { stopReason: "toolUse" })),
    msg(toolResult("c1", "contents")),
    { type: "compaction", summary: "S", firstKeptEntryId: "e2", tokensBefore: 5 },
    { type: "custom_message", customType: "n", content: "note", display: true },
  ]);
  return compiler.build({ transcript: writeTemp(dir, jsonl([...lines, "{broken"])), budget: 100_000 });
}

describe("a real buffer read with the documented offsets", () => {
  it("header, contiguous sections in order, index records", async () => {
    const ctx = await build();
    const b = ctx.buffer;
    const v = new DataView(b);
    expect(v.getUint32(0, true)).toBe(MAGIC);
    expect(v.getUint16(4, true)).toBe(LAYOUT_VERSION);
    expect(v.getUint16(6, true)).toBe(HeaderFlag.budgetApplied | HeaderFlag.exactTokens);
    expect(v.getUint32(8, true)).toBe(HEADER_BYTES);
    expect(v.getUint32(12, true)).toBe(b.byteLength);
    expect(v.getUint32(16, true)).toBe(ctx.messageCount);
    expect(v.getUint32(20, true)).toBe(0);
    expect(v.getUint32(24, true)).toBe(ctx.diagnostics.length);
    expect(ctx.diagnostics.map((d) => d.code)).toEqual(["MALFORMED_LINE"]);
    expect(v.getUint32(32, true)).toBe(ctx.tokens.messages);
    expect(Math.abs(v.getFloat64(40, true) - Date.now())).toBeLessThan(60_000);
    let cursor = HEADER_BYTES;
    for (let s = 0; s < SECTION_COUNT; s++) {
      expect(v.getUint32(48 + s * 8, true), `section ${s} offset`).toBe(cursor);
      cursor += v.getUint32(52 + s * 8, true);
    }
    expect(cursor).toBe(b.byteLength);
    const indexAt = v.getUint32(48 + 2 * 8, true);
    const dataAt = v.getUint32(48 + 4 * 8, true);
    const roles = [] as number[];
    let expectedOffset = 0;
    for (let i = 0; i < ctx.messageCount; i++) {
      const r = indexAt + i * 20;
      roles.push(v.getUint8(r + 1));
      expect(v.getUint32(r + 8, true)).toBe(expectedOffset);
      const len = v.getUint32(r + 12, true);
      expectedOffset += len;
      const json = JSON.parse(Buffer.from(b, dataAt + v.getUint32(r + 8, true), len).toString("utf8")) as { role: string };
      expect(json.role).toBe(ctx.message(i).role);
      expect(v.getUint32(r + 16, true)).toBe(ctx.info(i).sourceLine);
    }
    expect(roles).toEqual([RoleCode.compactionSummary, RoleCode.assistant, RoleCode.toolResult, RoleCode.custom]);
    expect(v.getUint8(indexAt + 20 + 2) & MessageFlag.hasToolCalls).toBe(MessageFlag.hasToolCalls);
    expect(Buffer.from(b, v.getUint32(48, true), v.getUint32(52, true)).toString("utf8")).toBe(JSON.stringify(ctx.meta));
  });
});

describe("decodeContext", () => {
  it("rebuilds the same context from a saved buffer", async () => {
    const ctx = await build();
    const path = join(dir, "saved.ctxc");
    writeFileSync(path, new Uint8Array(ctx.buffer));
    const bytes = readFileSync(path);
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const again = decodeContext(copy);
    expect([...again.messages]).toStrictEqual([...ctx.messages]);
    expect(again.tokens).toEqual(ctx.tokens);
    expect(again.diagnostics).toEqual(ctx.diagnostics);
    expect(again.meta).toEqual(ctx.meta);
    expect(again.systemPrompt).toBe(ctx.systemPrompt);
    expect(again.dropped).toBe(ctx.dropped);
    expect(Number.isNaN(again.message(0).timestamp)).toBe(false);
  });

  const invalid = (buffer: unknown, why: RegExp) => {
    let error: unknown;
    try {
      decodeContext(buffer as ArrayBuffer);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CtxcError);
    expect((error as CtxcError).code).toBe("INVALID_BUFFER");
    expect((error as CtxcError).message).toMatch(why);
  };

  it("INVALID_BUFFER on garbage, truncated, wrong version, short, mismatched or non-ArrayBuffer input", async () => {
    const ctx = await build();
    const good = ctx.buffer;
    const garbage = new Uint8Array(good.byteLength);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
    invalid(garbage.buffer, /bad magic/);
    invalid(good.slice(0, good.byteLength - 1), /length mismatch/);
    invalid(good.slice(0, 10), /only 10 bytes/);
    invalid(new ArrayBuffer(0), /only 0 bytes/);
    const wrongVersion = good.slice(0);
    new DataView(wrongVersion).setUint16(Header.version, LAYOUT_VERSION + 1, true);
    invalid(wrongVersion, new RegExp(`layout version ${LAYOUT_VERSION + 1}`));
    const badIndex = good.slice(0);
    new DataView(badIndex).setUint32(Header.messageCount, ctx.messageCount + 1, true);
    invalid(badIndex, /message index size/);
    invalid(new Uint8Array(good), /expected an ArrayBuffer/);
    invalid("CTXC", /expected an ArrayBuffer/);
  });
});
