/**
 * A context message's bytes are its own (assemble/materialize.ts): the reader's window they were read
 * from is not held by them. A view of the window kept every window the context's messages lie in alive
 * until the buffer was encoded — a cold build's memory then grew with how far apart the context's entries
 * lie in the file (issue 14). Here the "window" is the whole file, wiped after materializing: each
 * message must still be the bytes pi's line holds, and none may share the window's memory. A message to
 * count (materializeParsed) is parsed in the window instead and keeps no bytes: its value must be the one
 * materialize's bytes parse to, whatever the window holds afterwards.
 */
import { describe, expect, it } from "vitest";
import { materialize, materializeParsed, parsedMessage } from "../../native-free-workers/assemble/materialize.js";
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

describe("materializeParsed", () => {
  const messages = [
    { role: "user", content: "hi", timestamp: 1 },
    { role: "assistant", content: [{ type: "toolCall", id: "c", name: "read", arguments: { path: "/a" } }, { type: "text", text: "y".repeat(20_000) }], provider: "p", model: "m", timestamp: 2 },
    { role: "user", content: "é ünïcode \\ \" \n", timestamp: 3 },
  ];
  const escaped = { role: "user", content: "spelled with an escape", timestamp: 4 };
  const lines = [
    JSON.stringify({ type: "session", version: 3, id: "s", timestamp: "t", cwd: "/" }),
    ...messages.map((message, i) => JSON.stringify({ type: "message", id: `m${i}`, parentId: i ? `m${i - 1}` : null, timestamp: "t", message })),
    // `"\u006dessage"` is `message` to JSON.parse: not forwarded byte for byte, pi's value re-serialized.
    `{"type":"message","id":"m3","parentId":"m2","timestamp":"t","\\u006dessage":${JSON.stringify(escaped)}}`,
  ];
  const file = () => Buffer.from(`${lines.join("\n")}\n`);

  it("gives materialize's parsed value and completes the record alike, but keeps no bytes of a forwarded message", () => {
    const eagerFile = file();
    const eager = indexLines(lines);
    const expected = eager.items.map((item) => materialize(item, { read: (s, e) => eagerFile.subarray(s, e), release() {} }, (r, m) => eager.index.completeMessage(r, m)));
    const window = file();
    const parsed = indexLines(lines);
    const out = parsed.items.map((item) => materializeParsed(item, { read: (s, e) => window.subarray(s, e), release() {} }, (r, m) => parsed.index.completeMessage(r, m)));
    window.fill(0); // the reader's window is reused or dropped: the parsed values must not change with it
    expect(out.map((m) => m.parsed)).toEqual([...messages, escaped]);
    expect(out.map((m) => parsedMessage(m))).toEqual(expected.map((m) => parsedMessage(m)));
    expect(out.map((m) => [m.kind, m.role, m.flags, m.sourceLine, m.sourceStart, m.sourceEnd])).toEqual(expected.map((m) => [m.kind, m.role, m.flags, m.sourceLine, m.sourceStart, m.sourceEnd]));
    expect(out.slice(0, 3).every((m) => m.bytes === null && m.sourceStart >= 0)).toBe(true);
    // The re-serialized one is made here, as materialize makes it.
    expect(Buffer.from(out[3]!.bytes!).equals(Buffer.from(expected[3]!.bytes!))).toBe(true);
    const rows = parsed.items.map((item) => item.record.at);
    expect(rows.map((r) => [parsed.index.table.flags[r], parsed.index.table.estimateOf(r), parsed.index.table.valueStartOf(r), parsed.index.table.valueEndOf(r)])).toEqual(
      rows.map((r) => [eager.index.table.flags[r], eager.index.table.estimateOf(r), eager.index.table.valueStartOf(r), eager.index.table.valueEndOf(r)]),
    );
  });
});
