/**
 * A context message's bytes are its own (assemble/materialize.ts): the reader's window they were read
 * from is not held by them. A view of the window kept every window the context's messages lie in alive
 * until the buffer was encoded — a cold build's memory then grew with how far apart the context's entries
 * lie in the file (issue 14). Here the "window" is the whole file, wiped after materializing: each
 * message must still be the bytes pi's line holds, and none may share the window's memory.
 */
import { describe, expect, it } from "vitest";
import { MessageKind } from "../../native-free-workers/protocol/buffer-layout.js";
import { DiagnosticLog } from "../../native-free-workers/protocol/diagnostic-log.js";
import { Emits } from "../../native-free-workers/pi/entry-record.js";
import { TranscriptIndex } from "../../native-free-workers/pi/transcript-index.js";
import { materialize } from "../../native-free-workers/assemble/materialize.js";

describe("materialize", () => {
  it("copies a forwarded message out of the reader's window (small and large messages)", () => {
    const messages = [
      { role: "user", content: "hi", timestamp: 1 },
      { role: "assistant", content: [{ type: "text", text: "x".repeat(20_000) }], provider: "p", model: "m", timestamp: 2 },
      { role: "user", content: "é ünïcode", timestamp: 3 },
    ];
    const lines = [
      JSON.stringify({ type: "session", version: 3, id: "s", timestamp: "t", cwd: "/" }),
      ...messages.map((message, i) => JSON.stringify({ type: "message", id: `m${i}`, parentId: i ? `m${i - 1}` : null, timestamp: "t", message })),
    ];
    const file = Buffer.from(`${lines.join("\n")}\n`);
    const index = new TranscriptIndex(new DiagnosticLog(100));
    let offset = 0;
    lines.forEach((line, i) => {
      const bytes = Buffer.from(line);
      index.ingestLine(bytes, offset, i + 1);
      offset += bytes.length + 1;
    });
    const reader = { read: (start: number, end: number) => file.subarray(start, end) };
    const out = [];
    for (let r = 0; r < index.count; r++) {
      if (index.table.emits[r] !== Emits.message) continue;
      out.push(materialize({ record: index.record(r), kind: MessageKind.entry }, reader, (record, message) => index.completeMessage(record, message)));
    }
    expect(out).toHaveLength(messages.length);
    for (const m of out) expect(m.bytes.buffer).not.toBe(file.buffer);
    file.fill(0); // the window is reused or dropped: the messages must not change with it
    expect(out.map((m) => JSON.parse(Buffer.from(m.bytes).toString("utf8")))).toEqual(messages);
  });
});
