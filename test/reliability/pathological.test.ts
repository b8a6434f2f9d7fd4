/**
 * Pathological transcript shapes (issue 6): a 12 MB single line (and a 12.8M-character one that is
 * torn), 100k-entry chains (no recursion overflow), a 100k-entry cycle, duplicate ids, invalid UTF-8,
 * a BOM, CRLF line ends, NUL bytes, non-object JSON lines, and 1 GB files (streamed within a memory
 * bound, measured in a child process). Each result is checked against pi on the intact part (see
 * support/reliability.ts), or, where pi itself hangs (cycles), against ctxc's CYCLE report.
 */
import { execFile } from "node:child_process";
import { closeSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type CompiledContext } from "../../src/index.js";
import { expectMatchesReference, referenceFor, Tally } from "../support/reliability.js";
import { tempDir } from "../support/tmp.js";
import { HANG_MS } from "../support/hang-guard.js";

const run = promisify(execFile);
const dir = tempDir("pathological");
const tally = new Tally("pathological");
const compiler = createCompiler({ threads: 2, tokenizer: "estimate" });
afterAll(async () => {
  tally.write();
  await compiler.close();
});

const HEADER = '{"type":"session","version":3,"id":"s-path","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';

function entry(i: number, parent: string | null, text: string, role = i % 2 ? "assistant" : "user"): string {
  const message =
    role === "user"
      ? { role, content: text, timestamp: 1_767_225_600_000 + i }
      : { role, content: [{ type: "text", text }], api: "x", provider: "p", model: "m", usage: { input: 1, output: 1 }, stopReason: "stop", timestamp: 1_767_225_600_000 + i };
  return JSON.stringify({ type: "message", id: `e${i}`, parentId: parent, timestamp: "2026-01-01T00:00:00.000Z", message });
}

let n = 0;
async function buildBytes(bytes: Buffer, options: { maxLineBytes?: number } = {}): Promise<{ ctx: CompiledContext; path: string }> {
  const path = join(dir, `p${n++}.jsonl`);
  writeFileSync(path, bytes);
  const ctx = await compiler.build({ transcript: path, maxDiagnostics: 100_000, timeoutMs: HANG_MS, ...options });
  return { ctx, path };
}

/** Builds `bytes` and checks it against pi on the intact part. */
async function expectLikePi(group: string, bytes: Buffer, faults = 1): Promise<CompiledContext> {
  const t = tally.add(group, faults);
  const { ctx, path } = await buildBytes(bytes);
  t.survived(expectMatchesReference(ctx, referenceFor(bytes)));
  rmSync(path);
  return ctx;
}

describe("pathological shapes", () => {
  it("a 12 MB single line is read whole and equals pi", async () => {
    const big = "x".repeat(6_000_000) + "日本語🌡".repeat(600_000); // 12 MB of UTF-8
    const lines = [HEADER, entry(0, null, "hi"), entry(1, "e0", big), entry(2, "e1", "after")];
    const ctx = await expectLikePi("12 MB line", Buffer.from(lines.join("\n") + "\n"));
    expect(ctx.messageCount).toBe(3);
    expect(ctx.messageBytes(1).length).toBeGreaterThan(12_000_000);
  });

  it("a 12 MB line above maxLineBytes costs that line only (LINE_TOO_LONG at its place)", async () => {
    const t = tally.add("12 MB line over maxLineBytes");
    const lines = [HEADER, entry(0, null, "hi"), entry(1, "e0", "y".repeat(12_000_000)), entry(2, "e0", "after")];
    const bytes = Buffer.from(lines.join("\n") + "\n");
    const { ctx, path } = await buildBytes(bytes, { maxLineBytes: 1_000_000 });
    const offset = Buffer.byteLength(`${lines[0]}\n${lines[1]}\n`);
    expect(ctx.diagnostics.filter((d) => d.code === "LINE_TOO_LONG").map((d) => [d.line, d.offset])).toEqual([[3, offset]]);
    // The rest equals pi on the file without that line.
    expectMatchesReference(ctx, referenceFor(Buffer.from([lines[0], lines[1], lines[3]].join("\n") + "\n")));
    rmSync(path);
    t.survived();
  });

  it("a torn 12.8M-character last line is reported, not waited for", async () => {
    const lines = [HEADER, entry(0, null, "hi"), entry(1, "e0", "done")];
    const torn = entry(2, "e1", "é".repeat(12_800_000)).slice(0, 12_800_000);
    const ctx = await expectLikePi("torn 12.8M-char line", Buffer.from(lines.join("\n") + "\n" + torn));
    expect(ctx.messageCount).toBe(2);
  });

  it("a 100k-entry chain (no recursion overflow), and a 30k one with a compaction near the root", async () => {
    const lines = [HEADER];
    for (let i = 0; i < 100_000; i++) lines.push(entry(i, i ? `e${i - 1}` : null, `m${i}`));
    const ctx = await expectLikePi("100k-entry chain", Buffer.from(lines.join("\n") + "\n"));
    expect(ctx.messageCount).toBe(100_000);
    lines.length = 30_001; // the compacted variant: 30k entries
    lines.splice(50, 0, JSON.stringify({ type: "compaction", id: "c1", parentId: "e48", timestamp: "2026-01-01T00:00:00.000Z", summary: "s", firstKeptEntryId: "e10", tokensBefore: 5 }));
    lines[51] = entry(49, "c1", "m49");
    const compacted = await expectLikePi("100k-entry chain", Buffer.from(lines.join("\n") + "\n"));
    expect(compacted.messageCount).toBe(30_000 - 10 + 1);
  });

  it("a 100k-entry parentId cycle is reported (pi would loop forever)", async () => {
    const lines = [HEADER];
    for (let i = 0; i < 100_000; i++) lines.push(entry(i, `e${(i + 99_999) % 100_000}`, `m${i}`));
    const t = tally.add("100k-entry cycle");
    const { ctx, path } = await buildBytes(Buffer.from(lines.join("\n") + "\n"));
    expect(ctx.diagnostics.map((d) => d.code)).toContain("CYCLE");
    expect(referenceFor(Buffer.from(lines.slice(0, 50).join("\n") + "\n")).pi).not.toBeInstanceOf(Error); // a prefix is fine for pi
    rmSync(path);
    t.survived("cycle");
  });

  it("duplicate ids, self-parent, id of every JSON type: the same as pi", async () => {
    const lines = [
      HEADER,
      entry(0, null, "a"),
      entry(1, "e0", "b"),
      entry(0, "e1", "a again").replace('"id":"e0"', '"id":"e1"'), // a later duplicate of e1 wins
      JSON.stringify({ type: "message", id: 7, parentId: "e1", timestamp: "x", message: { role: "user", content: "numeric id", timestamp: 1 } }),
      JSON.stringify({ type: "message", id: null, parentId: 7, timestamp: "x", message: { role: "user", content: "null id", timestamp: 2 } }),
      JSON.stringify({ type: "message", id: "e9", parentId: null, timestamp: "x", message: { role: "user", content: "root again", timestamp: 3 } }),
      JSON.stringify({ type: "message", id: "e9", parentId: "e9", timestamp: "x", message: { role: "user", content: "self parent dup", timestamp: 4 } }),
    ];
    for (let cut = 3; cut <= lines.length; cut++) await expectLikePi("duplicate ids", Buffer.from(lines.slice(0, cut).join("\n") + "\n"));
  });

  it("invalid UTF-8 inside strings, outside strings and at line ends", async () => {
    const ok = (i: number, p: string | null) => Buffer.from(entry(i, p, `text ${i}`) + "\n");
    const parts = [Buffer.from(HEADER + "\n"), ok(0, null)];
    // Inside a string: valid JSON, decoded with U+FFFD as pi does.
    const inString = Buffer.from(entry(1, "e0", "BAD_BYTES"));
    const at = inString.indexOf("BAD_BYTES");
    parts.push(Buffer.concat([inString.subarray(0, at), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80, 0xf0, 0x9f]), inString.subarray(at + 9), Buffer.from("\n")]));
    // Outside strings: not JSON.
    parts.push(Buffer.concat([Buffer.from([0xc0, 0xaf]), ok(2, "e1")]));
    // A truncated multi-byte sequence right before the newline.
    parts.push(Buffer.concat([Buffer.from(entry(3, "e1", "end")), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from("\n")]));
    parts.push(ok(4, "e1"));
    const ctx = await expectLikePi("invalid UTF-8", Buffer.concat(parts), 3);
    expect(ctx.diagnostics.filter((d) => d.code === "MALFORMED_LINE").map((d) => d.line)).toEqual([4, 5]);
  });

  it("BOM, CRLF, NUL bytes, non-object JSON lines, blank lines: the same as pi on the intact part", async () => {
    const { text } = generateTranscript({ seed: 4, entries: 120, compactions: 1, unicode: "heavy", includeAllEntryTypes: true });
    const lines = text.split("\n").slice(0, -1);
    await expectLikePi("BOM", Buffer.from("\uFEFF" + text));
    await expectLikePi("CRLF", Buffer.from(lines.join("\r\n") + "\r\n"));
    await expectLikePi("BOM + CRLF", Buffer.from("\uFEFF" + lines.join("\r\n") + "\r\n"));
    const nul = [...lines];
    nul.splice(40, 0, "\0".repeat(4096)); // a zero-filled block after a crash
    nul[60] = "\0\0\0" + nul[60];
    nul[70] = nul[70]!.replace('"text":"', '"text":"\0'); // raw NUL inside a string: not JSON
    await expectLikePi("NUL bytes", Buffer.from(nul.join("\n") + "\n"), 3);
    const nonObject = [...lines];
    for (const [i, v] of [[5, "null"], [9, "0"], [13, '"str"'], [17, "[]"], [21, "true"], [25, "[{\"type\":\"message\"}]"], [29, "   "], [33, ""]] as const) nonObject.splice(i, 0, v);
    const ctx = await expectLikePi("non-object JSON lines and blank lines", Buffer.from(nonObject.join("\n") + "\n"), 8);
    expect(ctx.diagnostics.filter((d) => d.code === "NON_OBJECT_LINE")).toHaveLength(6);
  });
});

/** Runs a build of `path` in a child process and reports its peak RSS (the workers are threads of it). */
async function buildInChild(path: string, maxLineBytes?: number): Promise<{ ok: boolean; code?: string; bytes?: number; lines?: number; diagnostics?: string[]; maxRssMb: number }> {
  const index = fileURLToPath(new URL("../../dist/src/index.js", import.meta.url));
  const script = `
    const { createCompiler } = await import(${JSON.stringify(index)});
    const c = createCompiler({ threads: 1, tokenizer: "estimate" });
    let out;
    try {
      const ctx = await c.build({ transcript: ${JSON.stringify(path)}, budget: 20000, maxLineBytes: ${maxLineBytes ?? "undefined"} });
      out = { ok: true, bytes: ctx.meta.transcript.bytes, lines: ctx.meta.transcript.lines, diagnostics: ctx.diagnostics.map((d) => d.code) };
    } catch (err) {
      out = { ok: false, code: err.code };
    }
    await c.close();
    out.maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(JSON.stringify(out));
  `;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as never;
}

describe("1 GB files (child process, peak RSS measured)", () => {
  const MB = 1024 * 1024;
  it("1 GB of 256 KB lines is streamed within a 300 MB peak RSS", async () => {
    const t = tally.add("1 GB file of lines", 0);
    const path = join(dir, "gigabyte.jsonl");
    const fd = openSync(path, "w");
    try {
      writeSync(fd, HEADER + "\n");
      writeSync(fd, entry(0, null, "root").replace('"id":"e0"', '"id":"e00000"') + "\n");
      // One 256 KB line, re-used with its id and parentId patched in place: 4,096 distinct entries.
      const line = Buffer.from(entry(1, "p00000", "z".repeat(256 * 1024 - 300)).replace('"id":"e1"', '"id":"e00000"') + "\n");
      const idPos = line.indexOf('"id":"e00000"') + 6;
      const parentPos = line.indexOf('"parentId":"p00000"') + 12;
      for (let i = 1; i <= 4096; i++) {
        line.write(`e${String(i).padStart(5, "0")}`, idPos, "latin1");
        line.write(`e${String(i - 1).padStart(5, "0")}`, parentPos, "latin1");
        writeSync(fd, line);
      }
    } finally {
      closeSync(fd);
    }
    try {
      const result = await buildInChild(path);
      expect(result).toMatchObject({ ok: true, lines: 4098, diagnostics: [] });
      expect(result.bytes).toBeGreaterThan(1_000_000_000);
      expect(result.maxRssMb).toBeLessThan(300);
      t.survived(`peak RSS ${result.maxRssMb} MB`);
    } finally {
      rmSync(path, { force: true });
    }
  });

  it("a sparse 1 GB file (one 1 GB line of NULs, torn) is skipped: memory bounded by maxLineBytes", async () => {
    const path = join(dir, "sparse.jsonl");
    writeFileSync(path, HEADER + "\n");
    truncateSync(path, 1024 * MB);
    try {
      // The reader buffers a line until it exceeds maxLineBytes, then drops it and skips to its end, so the
      // bound is maxLineBytes (default 256 MiB) plus the process baseline; a smaller option, a smaller bound.
      for (const maxLineBytes of [undefined, 16 * MB]) {
        const t = tally.add("1 GB sparse file (one line)", 1);
        const result = await buildInChild(path, maxLineBytes);
        expect(result).toMatchObject({ ok: true, lines: 1, bytes: HEADER.length + 1 });
        expect(result.diagnostics).toContain("TORN_TAIL");
        // Far below the file's size either way; measured ~330 MB with the default, ~90–210 MB with 16 MiB.
        expect(result.maxRssMb).toBeLessThan(maxLineBytes === undefined ? 256 + 200 : 300);
        t.survived(`maxLineBytes ${maxLineBytes ?? "default"}: peak RSS ${result.maxRssMb} MB`);
      }
    } finally {
      rmSync(path, { force: true });
    }
  });
});
