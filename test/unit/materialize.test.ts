/**
 * A context message's bytes are its own (assemble/materialize.ts): the reader's window they were read
 * from is not held by them. A view of the window kept every window the context's messages lie in alive
 * until the buffer was encoded — a cold build's memory then grew with how far apart the context's entries
 * lie in the file (issue 14). Here the "window" is the whole file, wiped after materializing: each
 * message must still be the bytes pi's line holds, and none may share the window's memory.
 */
import { describe, expect, it } from "vitest";
import { materialize } from "../../native-free-workers/assemble/materialize.js";
import { indexLines } from "../support/indexed-lines.js";

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
    const { index, items } = indexLines(lines);
    const reader = { read: (start: number, end: number) => file.subarray(start, end), release() {} };
    const out = items.map((item) => materialize(item, reader, (record, message) => index.completeMessage(record, message)));
    expect(out).toHaveLength(messages.length);
    for (const m of out) expect(m.bytes!.buffer).not.toBe(file.buffer);
    file.fill(0); // the window is reused or dropped: the messages must not change with it
    expect(out.map((m) => JSON.parse(Buffer.from(m.bytes!).toString("utf8")))).toEqual(messages);
  });
});
