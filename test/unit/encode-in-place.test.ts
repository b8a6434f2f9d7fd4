/**
 * A kept message forwarded as it is in the transcript is not read by the build before encoding
 * (assemble/materialize.ts `inTranscript`): encodeContext copies its bytes from the transcript straight
 * into the context buffer (issue 14: the per-message Buffer and second copy were most of a warm build).
 * The buffer must hold the same bytes, index and lengths as when every message was materialized first,
 * read through the build's own windowed reader over a real file; a read back that comes out short must
 * fail the build rather than leave a gap the index does not describe.
 */
import { openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Header, INDEX_RECORD_BYTES, IndexRecord, MessageFlag, MessageKind, Section } from "../../native-free-workers/protocol/buffer-layout.js";
import { RecordFlag } from "../../native-free-workers/pi/entry-record.js";
import { RangeReader } from "../../native-free-workers/io/range-reader.js";
import { inTranscript, materialize, releaseBytes, type MaterializedMessage } from "../../native-free-workers/assemble/materialize.js";
import { encodeContext } from "../../native-free-workers/assemble/encode-context.js";
import type { RecordReader } from "../../native-free-workers/sources/source.js";
import { decodeContext } from "../../src/decode-context.js";
import { tempDir } from "../support/tmp.js";
import { indexLines } from "../support/indexed-lines.js";

const dir = tempDir("encode-in-place");

/** A transcript of `n` messages (sizes from a few bytes to ~40 KB, Unicode, tool calls), indexed. */
function transcript(n: number) {
  const lines = [JSON.stringify({ type: "session", version: 3, id: "s", timestamp: "t", cwd: "/" })];
  for (let i = 0; i < n; i++) {
    const message =
      i % 3 === 2
        ? { role: "assistant", content: [{ type: "toolCall", id: `c${i}`, name: "bash", arguments: { cmd: "ls é" } }], provider: "p", model: "m", timestamp: i }
        : { role: i % 3 ? "assistant" : "user", content: `${"ünï ".repeat((i * 997) % 10_000)}${i}`, timestamp: i };
    lines.push(JSON.stringify({ type: "message", id: `m${i}`, parentId: i ? `m${i - 1}` : null, timestamp: "t", message }));
  }
  const text = `${lines.join("\n")}\n`;
  const path = join(dir, `t${n}.jsonl`);
  writeFileSync(path, text);
  const { index, items } = indexLines(lines);
  return { path, index, items, messages: lines.slice(1).map((l) => (JSON.parse(l) as { message: unknown }).message) };
}

/** A reader over the whole file as it is now (no windows). */
function wholeFile(path: string): RecordReader {
  return { read: (start, end) => readFileSync(path).subarray(start, end), release() {} };
}

function encode(messages: MaterializedMessage[], reader: RecordReader | undefined) {
  return encodeContext({ flags: 0, meta: {} as never, systemPrompt: "sys", systemTokens: 1, messages, reader, diagnostics: [], droppedCount: 0, droppedTokensEstimate: 0 });
}

describe("encodeContext with messages still in the transcript", () => {
  it("copies them from the transcript into the buffer: the same buffer as materializing every message first", () => {
    const t = transcript(400);
    const fd = openSync(t.path, "r");
    try {
      const complete = (record: (typeof t.items)[number]["record"], message: Record<string, unknown>) => t.index.completeMessage(record, message);
      const eager = t.items.map((item, i) => ({ ...materialize(item, new RangeReader(fd, t.path), complete), tokens: i }));
      // Every message is complete now; a warm build's kept messages: some counted this build (bytes
      // released after counting), the rest never read.
      const lazy = t.items.map((item, i) => {
        const m = i % 7 === 0 ? materialize(item, new RangeReader(fd, t.path)) : inTranscript(item);
        expect(m).not.toBeNull();
        if (i % 14 === 0) releaseBytes(m!);
        return { ...m!, tokens: i };
      });
      expect(lazy.filter((m) => m.bytes === null).length).toBeGreaterThan(300);
      const a = new Uint8Array(encode(eager, undefined));
      const b = new Uint8Array(encode(lazy, new RangeReader(fd, t.path)));
      a.fill(0, 40, 48); // Header.finishedAt: a time stamp
      b.fill(0, 40, 48);
      expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
      const ctx = decodeContext(b.buffer);
      expect(Array.from({ length: ctx.messageCount }, (_, i) => ctx.message(i))).toEqual(t.messages);
      const view = new DataView(b.buffer);
      const indexStart = view.getUint32(Header.sectionTable + Section.MESSAGE_INDEX * 8, true);
      const flagsOf = (i: number) => view.getUint16(indexStart + i * INDEX_RECORD_BYTES + IndexRecord.flags, true);
      expect([flagsOf(0), flagsOf(1), flagsOf(2)]).toEqual([0, 0, MessageFlag.hasToolCalls]);
    } finally {
      closeSync(fd);
    }
  });

  it("fails, without a gap in the buffer, when a message reads back shorter than indexed", () => {
    const t = transcript(5);
    const reader = wholeFile(t.path);
    for (const item of t.items) materialize(item, reader, (record, message) => t.index.completeMessage(record, message));
    const lazy = t.items.map((item) => inTranscript(item)!);
    const short = { read: (start: number, end: number) => Buffer.alloc(Math.max(0, end - start - 1), 0x20), release() {} };
    expect(() => encode(lazy, short)).toThrow(/bytes read back/);
  });

  it("leaves in the transcript only what is forwarded as it is and complete", () => {
    const t = transcript(3);
    const [first, second] = t.items;
    const reader = wholeFile(t.path);
    expect(inTranscript(first!)).toBeNull(); // indexed from its keys: completed from its body when first read
    materialize(first!, reader, (record, message) => t.index.completeMessage(record, message));
    expect(inTranscript(first!)).not.toBeNull();
    expect(inTranscript({ ...first!, kind: MessageKind.compactionSummary })).toBeNull(); // pi's shape, made by materialize
    t.index.table.flags[second!.record.at] |= RecordFlag.keysOnly; // what the message decides is not known yet
    expect(inTranscript(second!)).toBeNull();
    t.index.table.flags[second!.record.at] = RecordFlag.reserialize; // an escaped key: not forwarded byte for byte
    expect(inTranscript(second!)).toBeNull();
  });
});
