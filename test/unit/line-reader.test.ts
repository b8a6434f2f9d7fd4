import { closeSync, mkdtempSync, openSync, readSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LineReader, readLines } from "../../native-free-workers/io/line-reader.js";

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

/**
 * keepTail: the last bytes before the consumed end, kept from the chunks as read (the append check's
 * window, session/append-check.ts), equal to the file's bytes there whatever the chunk size, short
 * reads, oversize lines skipped unread, a torn last line, or a read continuing from an earlier end.
 */
describe("LineReader keepTail", () => {
  const lines = ["a", "", "bb".repeat(40), "ccc", "d".repeat(300), "e", "f".repeat(9)];
  const bytes = Buffer.from(lines.join("\n") + "\n" + "torn");
  const path = join(dir, `tail${n++}`);
  writeFileSync(path, bytes);

  for (const chunkBytes of [1, 3, 7, 64, 4096]) {
    for (const keep of [1, 5, 50, 1000]) {
      for (const from of [0, 2, 3 + 81]) {
        it(`chunk ${chunkBytes}, keep ${keep}, from ${from}`, () => {
          const fd = openSync(path, "r");
          try {
            const before = bytes.subarray(Math.max(0, from - keep), from);
            // Short reads: every other call returns at most 2 bytes.
            let calls = 0;
            const read = (f: number, b: Buffer, o: number, l: number, p: number) => readSync(f, b, o, calls++ % 2 ? l : Math.min(l, 2), p);
            const reader = new LineReader(fd, from, 1, { chunkBytes, maxLineBytes: 100, until: bytes.length, read, keepTail: { bytes: keep, before } }, { onLine() {}, onOversize() {} });
            for (;;) {
              const end = reader.result().end;
              expect(reader.tail).toEqual(bytes.subarray(Math.max(0, end - keep), end));
              if (!reader.step()) break;
            }
            expect(reader.result().end).toBe(bytes.length - 4);
          } finally {
            closeSync(fd);
          }
        });
      }
    }
  }
});

/**
 * keepHead: the file's first bytes up to the consumed end, kept from the chunks as read (the append check's
 * head, session/append-check.ts) — equal to the file's bytes there whatever the chunk size, short reads,
 * lines skipped unread for their length (their bytes are in the head too), a torn last line, or a read
 * continuing from an earlier end with the head that read kept; a head that ended short of `from` stays.
 */
describe("LineReader keepHead", () => {
  const lines = ["a", "", "bb".repeat(40), "ccc", "d".repeat(300), "e", "f".repeat(9)];
  const bytes = Buffer.from(lines.join("\n") + "\n" + "torn");
  const path = join(dir, `head${n++}`);
  writeFileSync(path, bytes);
  const ends = [0, 2, 3, 84, 88, 389, 391];

  for (const chunkBytes of [1, 3, 7, 64, 4096]) {
    for (const keep of [1, 5, 50, 390, 1000]) {
      for (const from of ends) {
        it(`chunk ${chunkBytes}, keep ${keep}, from ${from}`, () => {
          const fd = openSync(path, "r");
          try {
            const before = bytes.subarray(0, Math.min(from, keep));
            let calls = 0;
            const read = (f: number, b: Buffer, o: number, l: number, p: number) => readSync(f, b, o, calls++ % 2 ? l : Math.min(l, 2), p);
            // maxLineBytes 100: the 300-byte line is skipped unread.
            const reader = new LineReader(fd, from, 1, { chunkBytes, maxLineBytes: 100, until: bytes.length, read, keepHead: { bytes: keep, before } }, { onLine() {}, onOversize() {} });
            for (;;) {
              const end = reader.result().end;
              expect(reader.head).toEqual(bytes.subarray(0, Math.min(end, keep)));
              if (!reader.step()) break;
            }
            expect(reader.result().end).toBe(bytes.length - 4);
          } finally {
            closeSync(fd);
          }
        });
      }
    }
  }

  it("a head that ended short of where the read starts is left as it is (not extended with bytes after a gap)", () => {
    const fd = openSync(path, "r");
    try {
      const reader = new LineReader(fd, 84, 1, { chunkBytes: 16, maxLineBytes: 1000, until: bytes.length, keepHead: { bytes: 1000, before: bytes.subarray(0, 2) } }, { onLine() {}, onOversize() {} });
      while (reader.step());
      expect(reader.head).toEqual(bytes.subarray(0, 2));
    } finally {
      closeSync(fd);
    }
  });
});
