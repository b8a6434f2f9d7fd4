import { closeSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLines } from "../../native-free-workers/io/line-reader.js";

const dir = mkdtempSync(join(tmpdir(), "ctxc-lines-"));
let n = 0;

function run(content: Buffer | string, opts: { chunkBytes?: number; maxLineBytes?: number; until?: number } = {}) {
  const path = join(dir, `f${n++}`);
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  writeFileSync(path, bytes);
  const fd = openSync(path, "r");
  const lines: { text: string; offset: number; lineNo: number }[] = [];
  const oversize: { offset: number; lineNo: number; length: number }[] = [];
  try {
    const result = readLines(
      fd,
      0,
      1,
      { chunkBytes: opts.chunkBytes ?? 7, maxLineBytes: opts.maxLineBytes ?? 1 << 20, until: opts.until ?? bytes.length },
      {
        onLine: (b, offset, lineNo) => lines.push({ text: b.toString("utf8"), offset, lineNo }),
        onOversize: (offset, lineNo, length) => oversize.push({ offset, lineNo, length }),
      },
    );
    return { lines, oversize, result };
  } finally {
    closeSync(fd);
  }
}

describe("readLines", () => {
  it("splits on \\n at every chunk size, with exact offsets and line numbers", () => {
    const content = 'a\n{"x":"日本語🌡"}\n\nlonger line here\n';
    for (const chunkBytes of [1, 2, 3, 5, 7, 64, 65536]) {
      const { lines, result } = run(content, { chunkBytes });
      expect(lines.map((l) => l.text)).toEqual(["a", '{"x":"日本語🌡"}', "", "longer line here"]);
      expect(lines.map((l) => l.lineNo)).toEqual([1, 2, 3, 4]);
      for (const l of lines) expect(Buffer.from(content).subarray(l.offset, l.offset + Buffer.byteLength(l.text)).toString()).toBe(l.text);
      expect(result.end).toBe(Buffer.byteLength(content));
      expect(result.torn).toBeNull();
    }
  });

  it("reports a last line without newline as torn and does not deliver it", () => {
    const { lines, result } = run("one\ntwo\nthr", { chunkBytes: 3 });
    expect(lines.map((l) => l.text)).toEqual(["one", "two"]);
    expect(result.end).toBe(8);
    expect(result.torn).toEqual({ offset: 8, length: 3, lineNo: 3 });
  });

  it("skips lines above maxLineBytes without buffering them and keeps going", () => {
    const big = "x".repeat(100);
    const { lines, oversize } = run(`a\n${big}\nb\n`, { chunkBytes: 8, maxLineBytes: 50 });
    expect(lines.map((l) => l.text)).toEqual(["a", "b"]);
    expect(oversize).toEqual([{ offset: 2, lineNo: 2, length: 100 }]);
  });

  it("keeps CR bytes and NUL bytes inside lines (the parser decides what they mean)", () => {
    const { lines } = run(Buffer.from("a\r\nb\u0000c\n"));
    expect(lines.map((l) => l.text)).toEqual(["a\r", "b\u0000c"]);
  });

  it("stops at `until` on a line boundary, finishing only the line that straddles it", () => {
    const content = "aaaa\nbbbb\ncccc\ndddd\n";
    const { lines, result } = run(content, { chunkBytes: 4, until: 7 });
    expect(lines.map((l) => l.text)).toEqual(["aaaa", "bbbb"]);
    expect(result.end).toBe(10);
    expect(result.torn).toBeNull();
  });

  it("handles an empty file", () => {
    const { lines, result } = run("");
    expect(lines).toEqual([]);
    expect(result).toEqual({ end: 0, nextLineNo: 1, bytesRead: 0, torn: null });
  });
});
