/**
 * A split cold build (issue 14: pi/range-scan.ts on one lane, session/range-merge.ts on the owner) must
 * leave EXACTLY what the single pass leaves: the context (messages, token counts, diagnostics and their
 * order, meta), the session state a warm build continues from (the index rows and kept maps the
 * persistent index saves, the parse diagnostics, end, line count, the append check's identity), and
 * the warm build after the file grows. Checked on generated transcripts — branched, compacted, every
 * damage kind — at many cut points (inside the first 4 KB the append check keeps, on a line start,
 * mid-line, one byte before the end), and on hand-made cases at the seam: a duplicate id across the
 * cut, a parent after the cut naming an entry before it and one before naming an entry after it, a
 * torn tail, CRLF, a v2 header (migrated: every line read in full), oversize lines, a batch of another
 * file (dropped: the build reads the rest itself), and a batch moved through a transfer list.
 */
import { closeSync, fstatSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { damage, DAMAGE_KINDS, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import type { RangeSplit } from "../../native-free-workers/compile.js";
import { scanRange } from "../../native-free-workers/pi/range-scan.js";
import { keyBatchTransferList, LineKind } from "../../native-free-workers/protocol/key-batch.js";
import { DiagnosticLog } from "../../native-free-workers/protocol/diagnostic-log.js";
import { TranscriptIndex } from "../../native-free-workers/pi/transcript-index.js";
import { batchFits, replayBatch } from "../../native-free-workers/session/range-merge.js";
import { readAt } from "../../native-free-workers/io/read-at.js";
import { SessionCache } from "../../native-free-workers/session/session-cache.js";
import { chain, jsonl, msg, user } from "../support/transcript-builder.js";
import { build, cutsFor, dir, expectSplitEqual, idSeamTranscript, otherLane, outcome } from "../support/split-compare.js";

describe("split cold build = single pass", () => {
  it("generated transcripts (branched, compacted, all entry types, unicode): context, state, then a warm build", async () => {
    for (const [seed, budget, opts] of [
      [1, null, { entries: 160, branchProbability: 0.25, compactions: 3, unicode: "mixed" as const }],
      [2, 3_000, { entries: 120, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "heavy" as const }],
    ] as const) {
      const full = generateTranscript({ seed, ...opts }).text;
      const lines = full.split("\n");
      const keep = lines.length - 12;
      const text = lines.slice(0, keep).join("\n") + "\n";
      const more = lines.slice(keep).join("\n");
      const splits = await expectSplitEqual(text, cutsFor(text, seed, 5), { budget, chunkBytes: 4096 }, more);
      expect(splits).toBeGreaterThan(5);
    }
  });

  it.each(DAMAGE_KINDS)("damaged (%s) at many cut points", async (kind) => {
    const base = generateTranscript({ seed: 7, entries: 160, branchProbability: 0.2, compactions: 2, includeAllEntryTypes: true }).text;
    for (const seed of [3, 9]) {
      const text = damage(base, kind, seed);
      expect(await expectSplitEqual(text, cutsFor(text, seed, 5), { budget: 4_000, chunkBytes: 8192 })).toBeGreaterThan(3);
    }
  });

  it("a duplicate id across the cut, parents named across it both ways, a line straddling the cut, a torn tail", async () => {
    const entries = [];
    for (let i = 1; i <= 60; i++) entries.push(msg(user(`message ${i} ${"x".repeat(i * 7)}`)));
    const lines: (Record<string, unknown> | string)[] = chain(entries);
    // Before the cut: an entry whose parent is defined only after it (pi's map finds it at walk time).
    lines.splice(20, 0, { type: "message", id: "early-child", parentId: "late-parent", message: user("child first") });
    lines.push({ type: "message", id: "late-parent", parentId: "e5", message: user("parent later") });
    lines.push({ type: "message", id: "e10", parentId: "e9", message: user("duplicate of e10: wins") }); // a later duplicate
    lines.push({ type: "message", id: "after", parentId: "e10", message: user("child of the duplicate") });
    lines.push({ type: "message", id: "leaf", parentId: "early-child", message: user("leaf on the early child") });
    lines.push('{"type":"message","id":"torn","parentId":"leaf","message":{"role":"user","content":"to be contin');
    const text = jsonl(lines).replace(/\n$/, "");
    const splits = await expectSplitEqual(text, cutsFor(text, 5, 10), { budget: null }, 'ued"}}\n');
    expect(splits).toBeGreaterThan(10);
  });

  it("ids settled by the scan: duplicates within and across the cut, parents naming them, self, empty and later parents, unvouched entries with ids", async () => {
    const text = idSeamTranscript();
    const all: number[] = [];
    for (let at = 1; at < text.length; at += 97) all.push(at); // every part of the file, the seam lines included
    const more = jsonl([{ type: "message", id: "w1", parentId: "dup", message: user("warm: child of the last dup") }, { type: "message", id: "esc", parentId: "w1", message: user("warm: esc a third time") }]);
    expect(await expectSplitEqual(text, all, { budget: null, chunkBytes: 1024 }, more)).toBeGreaterThan(all.length * 0.9);
  });

  it("CRLF lines, a BOM, ids that are not strings or carry lone surrogates", async () => {
    const lines = chain([msg(user("a")), msg(user("b")), msg(user("c"))]).map((l) => JSON.stringify(l));
    lines.push('{"type":"message","id":7,"parentId":"e3","message":{"role":"user","content":"numeric id"}}');
    lines.push('{"type":"message","id":"s\\ud800","parentId":7,"message":{"role":"user","content":"lone surrogate"}}');
    lines.push('{"type":"message","id":"t","parentId":"s\\ud800","message":{"role":"assistant","content":[]}}');
    lines.push('{"type":"mystery","id":"m","parentId":"t"}', '{"id":"u","parentId":"m","type":null}', "   ", "[1]");
    const text = "\ufeff" + lines.join("\r\n") + "\r\n";
    expect(await expectSplitEqual(text, cutsFor(text, 8, 10))).toBeGreaterThan(5);
  });

  it("a v2 transcript (migrated on open: the replay reads every line back in full)", async () => {
    const { text } = generateTranscript({ seed: 12, entries: 120, compactions: 1, headerVersion: 2 });
    expect(await expectSplitEqual(text, cutsFor(text, 12, 4))).toBeGreaterThan(3);
  });

  it("oversize lines on both sides of the cut: skipped with LINE_TOO_LONG, or the build fails at the same line", async () => {
    const big = "y".repeat(3000);
    const entries = [];
    for (let i = 1; i <= 40; i++) entries.push(msg(user(i % 7 === 0 ? big : `m${i}`)));
    const text = jsonl(chain(entries));
    expect(await expectSplitEqual(text, cutsFor(text, 4, 6), { maxLineBytes: 2048, chunkBytes: 1024 })).toBeGreaterThan(3);
    const path = join(dir, "oversize-fail.jsonl");
    writeFileSync(path, text);
    const at = text.lastIndexOf(big) - 10;
    const split: RangeSplit = { at, take: otherLane(path, at, { maxLineBytes: 2048 }) };
    const failures = await Promise.all([undefined, split].map((s) =>
      build(path, new SessionCache(Number.MAX_SAFE_INTEGER), { maxLineBytes: 2048, lineTooLong: "fail" }, s).then(
        () => null,
        (err: { code: string; message: string }) => [err.code, err.message],
      )));
    expect(failures[0]).not.toBeNull();
    expect(failures[1]).toStrictEqual(failures[0]);
  });

  it("a batch that is not of this file as opened (another size, another file, none) is dropped: the build reads the rest itself", async () => {
    const { text } = generateTranscript({ seed: 21, entries: 150, compactions: 1 });
    const path = join(dir, "foreign.jsonl");
    const other = join(dir, "foreign-other.jsonl");
    writeFileSync(path, text);
    writeFileSync(other, text + text.split("\n")[3] + "\n");
    const single = new SessionCache(Number.MAX_SAFE_INTEGER);
    const expected = outcome(await build(path, single, {}), single, path);
    const at = Math.floor(text.length / 2);
    let asked = 0;
    const later = otherLane(path, at + 2000, {});
    // Not there yet twice (the build waits at its cut), then a batch cut elsewhere.
    const slow = () => (++asked < 3 ? undefined : later());
    for (const take of [otherLane(other, at, {}), () => null, slow]) {
      const sessions = new SessionCache(Number.MAX_SAFE_INTEGER);
      expect(outcome(await build(path, sessions, {}, { at, take }), sessions, path)).toStrictEqual(expected);
    }
    expect(asked).toBe(3);
  });
});

describe("range scan", () => {
  it("the replay takes the scanned lines from their keys: only the append check's first 4 KB and unvouched lines are read back", () => {
    const { text } = generateTranscript({ seed: 31, entries: 300, compactions: 2 });
    const bytes = Buffer.from(text);
    const path = join(dir, "replay.jsonl");
    writeFileSync(path, damage(text, "bit-flip", 2));
    const fd = openSync(path, "r");
    try {
      const stats = fstatSync(fd);
      const batch = scanRange(fd, 2000, { until: stats.size, chunkBytes: 4096, maxLineBytes: 1 << 20, dev: stats.dev, ino: stats.ino })!;
      const index = new TranscriptIndex(new DiagnosticLog(100));
      index.ingestLine(bytes.subarray(0, bytes.indexOf(10)), 0, 1); // the header, so keys apply
      index.reader = { read: (start, end) => readAt(fd, start, end), release() {} }; // a parentId the range did not find is read back
      let scanned = 0;
      const readBack: number[] = [];
      replayBatch(batch, 2, {
        onScanned: (keys, offset, length, lineNo) => (offset >= 4096 && index.ingestScanned(keys, length, offset, lineNo) && ++scanned > 0),
        onRun: (batch, from, firstLineNo, rowOf, firstRangeRow, kept) => {
          if (batch.offset[from]! < 4096) return -1;
          const stop = index.ingestRun(batch, from, firstLineNo, rowOf, firstRangeRow, kept);
          scanned += Math.max(0, stop - from);
          return stop;
        },
        table: index.table,
        onLine: (bytes, offset, lineNo) => {
          readBack.push(offset);
          index.ingestLine(bytes, offset, lineNo);
        },
        onOversize: () => {},
      }, (offset, length) => readAt(fd, offset, offset + length));
      const full = [...batch.kind].filter((k) => k === LineKind.full).length;
      expect(full).toBeGreaterThan(0); // the bit flips
      expect(scanned + readBack.length).toBe(batch.count);
      expect(readBack.filter((o) => o >= 4096).length).toBe(full);
      expect(scanned).toBeGreaterThan(batch.count * 0.8);
    } finally {
      closeSync(fd);
    }
  });

  it("a batch whose scan met the end of the file before the size the build opened it at (the file shrank under it) is not used", () => {
    const { text } = generateTranscript({ seed: 31, entries: 120 });
    const path = join(dir, "shrank.jsonl");
    writeFileSync(path, text);
    const fd = openSync(path, "r");
    try {
      const stats = fstatSync(fd);
      const scan = (until: number) => scanRange(fd, 3000, { until, chunkBytes: 4096, maxLineBytes: 1 << 20, dev: stats.dev, ino: stats.ino })!;
      const whole = scan(stats.size);
      expect(whole.readTo).toBe(stats.size);
      expect(batchFits(whole, whole.start, stats.size, stats.dev, stats.ino)).toBe(true);
      // The build opened the file at a larger size; the scan now finds it shorter (truncated for a rewrite).
      const opened = stats.size + 4000;
      const short = scan(opened);
      expect(short.readTo).toBeLessThan(opened);
      expect(batchFits(short, short.start, opened, stats.dev, stats.ino)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  it("its batch's buffers are all in the transfer list (moved, not cloned) and its lines end where the file does", () => {
    const { text } = generateTranscript({ seed: 30, entries: 200 });
    const path = join(dir, "transfer.jsonl");
    writeFileSync(path, text);
    const fd = openSync(path, "r");
    try {
      const stats = fstatSync(fd);
      const batch = scanRange(fd, 5000, { until: stats.size, chunkBytes: 4096, maxLineBytes: 1 << 20, dev: stats.dev, ino: stats.ino })!;
      const bytes = Buffer.from(text);
      expect(bytes[batch.start - 1]).toBe(10);
      expect(batch.end).toBe(stats.size);
      expect(batch.torn).toBeNull();
      const moved = structuredClone(batch, { transfer: keyBatchTransferList(batch) });
      expect(batch.kind.byteLength).toBe(0); // detached: moved
      expect(moved.count).toBe(bytes.subarray(batch.start).toString().split("\n").length - 1);
      expect(scanRange(fd, stats.size - 1, { until: stats.size, chunkBytes: 4096, maxLineBytes: 1 << 20, dev: 0, ino: 0 })).toBeNull();
    } finally {
      closeSync(fd);
    }
  });
});
