/**
 * buffer-entries.ts `plainString`: a string member whose bytes equal one of the last few decoded is handed
 * the same string instead of a new decode (a first open decodes every scalar once; `type` and `parentId`
 * repeat from line to line). Both builders that use it — the fresh entries of 2026.5.12's open
 * (`entriesFromBuffer`) and the frozen entries of 2026.6.9+'s first open (`frozenEntriesFromBuffer`, with
 * the normaliser's byte-compared test) — against each line's `JSON.parse` (and the release's normaliser) on
 * lines made to trip it: strings of one length differing in one byte (first, middle, last), equal prefixes,
 * empty strings, multi-byte UTF-8 of the same byte length, raw invalid UTF-8 bytes, strings at and past the
 * compared length (64 bytes), more distinct strings than are remembered (the ring wraps), escaped strings
 * equal to plain ones, and escaped `type` / `role` values the normaliser's test must still see.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { SessionReadCache, encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { entriesFromBuffer, frozenEntriesFromBuffer } from "../../src/openclaw/buffer-entries.js";
import { decodeSession } from "../../src/openclaw/session.js";
import { tempDir } from "../support/tmp.js";
import { normalizeLoadedEntry } from "../../bench/lib/loaded-entry-normalizer.js";

const dir = tempDir("repeated-strings");
let n = 0;

/** 2026.7.1+'s `normalizeLoadedFileEntry` (a copy: bench/lib/loaded-entry-normalizer.ts). */
const normalize = normalizeLoadedEntry;

/** The file's lines as stock reads them: the bytes decoded as UTF-8 (invalid bytes replaced), split, parsed. */
function check(name: string, bytes: Buffer): number {
  const path = join(dir, `t${++n}.jsonl`);
  writeFileSync(path, bytes);
  const lines = bytes
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const fresh = entriesFromBuffer(decodeSession(encodeSessionBuffer(path, {}, new SessionReadCache())));
  const { entries: frozen } = frozenEntriesFromBuffer(decodeSession(encodeSessionBuffer(path, {}, new SessionReadCache())), normalize);
  expect(fresh.length, name).toBe(lines.length);
  expect(frozen.length, name).toBe(lines.length);
  let normalised = 0;
  lines.forEach((line, i) => {
    const parsed = JSON.parse(line) as unknown;
    const expected = normalize(JSON.parse(line));
    if (!isDeepStrictEqual(parsed, expected)) normalised++;
    expect(isDeepStrictEqual(structuredClone(fresh[i]), parsed), `${name} fresh line ${i}`).toBe(true);
    expect(JSON.stringify(fresh[i]), `${name} fresh line ${i}`).toBe(JSON.stringify(parsed));
    expect(isDeepStrictEqual(structuredClone(frozen[i]), expected), `${name} frozen line ${i}`).toBe(true);
    expect(JSON.stringify(frozen[i]), `${name} frozen line ${i}`).toBe(JSON.stringify(expected));
  });
  return normalised;
}

const HEADER = JSON.stringify({ type: "session", version: 3, id: "s-1", timestamp: "2026-01-05T08:00:00.000Z", cwd: "/w" });

describe("repeated strings decoded once (plainString) vs JSON.parse of every line", () => {
  it("near-equal, empty, multi-byte, long and wrapping strings in every member position", () => {
    const values = [
      "abcdefgh", "abcdefgi", "bbcdefgh", "abcdxfgh", "abcdefgh", "", "", "a", "b", "é", "ab", "é", "ü", "€", "x€", "€x",
      "x".repeat(63), "x".repeat(64), "x".repeat(64), "x".repeat(63) + "y", "x".repeat(65), "x".repeat(65), "x".repeat(64) + "y",
      "message", "messagf", "custom", "message", "🙂🙂", "🙂🙃", "🙂🙂",
    ];
    // More distinct strings than are remembered, then the first ones again (the ring has wrapped).
    for (let k = 0; k < 20; k++) values.push(`v${k}`);
    for (let k = 0; k < 20; k++) values.push(`v${k}`);
    const out = [HEADER];
    let parent: string | null = null;
    values.forEach((v, i) => {
      const id = values[(i * 7) % values.length]! + `#${i}`;
      out.push(JSON.stringify({ type: "message", id, parentId: parent, timestamp: v, message: { role: i % 2 ? "user" : "assistant", content: [{ type: "text", text: v }], note: v } }));
      out.push(JSON.stringify({ type: v, id: `${id}/c`, parentId: id, timestamp: v, customType: v, data: v }));
      parent = id;
    });
    check("values", Buffer.from(out.join("\n") + "\n"));
  });

  it("escaped strings equal to plain ones, and escaped type / role values the normaliser must still see", () => {
    const out = [HEADER];
    out.push('{"type":"message","id":"a","parentId":null,"timestamp":"t","message":{"role":"toolResult","content":{"type":"text","text":"obj"}}}');
    out.push('{"type":"m\\u0065ssage","id":"b","parentId":"a","timestamp":"\\u0074","message":{"role":"tool\\u0052esult","content":{"type":"text","text":"obj"}}}');
    out.push('{"type":"message","id":"c","parentId":"b","timestamp":"t","message":{"role":"tool\\u0052esult","content":"escaped role, string content"}}');
    out.push('{"type":"message","id":"d","parentId":"c","timestamp":"t","message":{"role":"\\u0061ssistant","content":"escaped role"}}');
    out.push('{"type":"message","id":"e","parentId":"d","timestamp":"t","message":{"role":"assistant","content":[{"type":"text","text":"array"}]}}');
    out.push('{"type":"message","id":"f","parentId":"e","timestamp":"t","message":{"role":"assistan","content":"one byte short"}}');
    out.push('{"type":"message","id":"g","parentId":"f","timestamp":"t","message":{"role":"assistantt","content":"one byte long"}}');
    out.push('{"type":"message","id":"h","parentId":"g","timestamp":"t","message":{"role":"toolResulT","content":{"a":1}}}');
    out.push('{"type":"messagE","id":"i","parentId":"h","timestamp":"t","message":{"role":"assistant","content":"type differs"}}');
    out.push('{"type":"message","id":"\\u0069","parentId":"i","timestamp":"t","message":{"role":"user","content":"escaped id equal to the last"}}');
    // Four normalised: a, b (escaped type and role), c and d (escaped roles); none of e–i.
    expect(check("escapes", Buffer.from(out.join("\n") + "\n"))).toBe(4);
  });

  it("raw invalid UTF-8 bytes in strings of equal length", () => {
    const text = (s: string) => Buffer.from(s);
    const parts = [text(HEADER + "\n")];
    let parent = "null";
    for (let i = 0; i < 12; i++) {
      const bad = Buffer.from([0x61, i % 3 === 0 ? 0xff : i % 3 === 1 ? 0xfe : 0x62, 0x63]); // "a?c": replaced or plain
      parts.push(text(`{"type":"message","id":"i${i}","parentId":${parent},"timestamp":"`), bad, text(`","message":{"role":"user","content":"`), bad, text(`"}}\n`));
      parent = `"i${i}"`;
    }
    check("invalid utf-8", Buffer.concat(parts));
  });
});
