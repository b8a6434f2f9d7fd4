/**
 * The entry cache's `serializedExactly` is checked when a writer first asks, not on the open that fills
 * the cache (entry-cache.ts withLazyExactness; issue #11: the check made ctxc's first open slower than
 * stock's parse). Asserted here: the open serialises nothing, the deferred answer is the contract's
 * (the file's bytes are exactly the entries serialised, a line each) on canonical, non-canonical and
 * non-ASCII transcripts, the entries are every line's JSON.parse (the one-string decode of an ASCII
 * read and the per-line decode of any other), and a continued read's answer keeps the prefix's.
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { SessionReadCache, encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { decodeSession } from "../../src/openclaw/index.js";
import { continuationFor, keptEntriesFor } from "../../src/openclaw/kept-entries.js";
import { dropCachedEntries, getCachedEntries } from "../../src/openclaw/entry-cache.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-kept-exact");
let fileNo = 0;
afterEach(() => vi.restoreAllMocks());

/** The contract's definition, from the file itself. */
const exactly = (path: string, entries: readonly unknown[]) => readFileSync(path, "utf8") === entries.map((e) => `${JSON.stringify(e)}\n`).join("");
const parsedLines = (path: string) => readFileSync(path, "utf8").trim().split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);

function fill(text: string, cache: SessionReadCache) {
  const path = join(dir, `s${++fileNo}.jsonl`);
  writeFileSync(path, text);
  dropCachedEntries(path);
  return { path, read: () => decodeSession(encodeSessionBuffer(path, {}, cache, continuationFor(path))) };
}

describe("kept entries: exactness checked when asked", () => {
  const base = generateTranscript({ seed: 11, targetBytes: 200_000, branchProbability: 0.1, compactions: 1 }).text;
  const lines = base.trimEnd().split("\n");
  const variants: [string, string, boolean][] = [
    ["canonical ASCII", base, true],
    // Same values, another spelling: JSON.stringify gives the line without the space.
    ["a non-canonical line", [...lines.slice(0, 5), lines[5]!.replace(/^\{"/, '{ "'), ...lines.slice(6)].join("\n") + "\n", false],
    // Non-ASCII text takes the per-line decode; still canonical.
    ["non-ASCII, canonical", [...lines.slice(0, 3), JSON.stringify({ type: "custom", customType: "x", id: "ü1", parentId: null, timestamp: "2026-01-01T00:00:00.000Z", data: "日本 😀" }), ...lines.slice(3)].join("\n") + "\n", true],
    ["no final newline", base.trimEnd(), false],
  ];

  for (const [name, text, exact] of variants) {
    it(`${name}: the open serialises nothing; the answer, asked later, is the contract's`, () => {
      const cache = new SessionReadCache();
      const { path, read } = fill(text, cache);
      const session = read(); // the read's own encoding serialises its meta
      const stringify = vi.spyOn(JSON, "stringify");
      const kept = keptEntriesFor(path, session);
      expect(typeof kept).toBe("object");
      if (typeof kept === "string") return;
      expect(stringify).not.toHaveBeenCalled();
      expect(kept.entries).toEqual(parsedLines(path));
      expect(kept.entries.every((e) => Object.isFrozen(e))).toBe(true);
      const cached = getCachedEntries(path)!;
      expect(cached.entries).toBe(kept.entries);
      stringify.mockRestore();
      expect(cached.serializedExactly).toBe(exact);
      expect(cached.serializedExactly).toBe(exactly(path, cached.entries));
      expect(kept.serializedExactly).toBe(exact);
    });
  }

  it("a continued read: exact only while the prefix is and the appended lines are", () => {
    const cache = new SessionReadCache();
    const { path, read } = fill(base, cache);
    expect(typeof keptEntriesFor(path, read())).toBe("object");
    const entry = (id: string, pad = "") => `{${pad}"type":"custom","customType":"x","id":"${id}","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z"}\n`;
    appendFileSync(path, entry("a1"));
    const first = keptEntriesFor(path, read());
    if (typeof first === "string") throw new Error(first);
    expect(first.reused).toBe(lines.length);
    expect(getCachedEntries(path)!.serializedExactly).toBe(true);
    appendFileSync(path, entry("a2", " "));
    const second = keptEntriesFor(path, read());
    if (typeof second === "string") throw new Error(second);
    expect(second.reused).toBe(lines.length + 1);
    expect(second.entries).toEqual(parsedLines(path));
    expect(getCachedEntries(path)!.serializedExactly).toBe(false);
    expect(exactly(path, second.entries)).toBe(false);
  });

  // OpenClaw 2026.7.35's normalizeLoadedFileEntry, as its chunk spells it (the matrix tests run the real one).
  const normalize = (entry: unknown): unknown => {
    const rec = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (!rec(entry) || entry.type !== "message" || !rec(entry.message)) return entry;
    const m = entry.message;
    if ((m.role === "assistant" || m.role === "toolResult") && typeof m.content === "string") m.content = [{ type: "text", text: m.content }];
    else if (m.role === "toolResult" && rec(m.content)) m.content = [m.content];
    return entry;
  };
  const message = (id: string, message: unknown) => JSON.stringify({ type: "message", id, parentId: null, timestamp: "2026-01-01T00:00:00.000Z", message });

  it("lines the worker flags canonical are not serialised again; the others are, and decide the answer", () => {
    const cases: [string, string, number, boolean][] = [
      // [name, text, entries serialised when asked, exact]
      ["canonical throughout", base, 0, true],
      ["canonical, with the normaliser (no message it changes)", base, 0, true],
      ["one spelled with a space", [...lines.slice(0, 5), lines[5]!.replace(/^\{"/, '{ "'), ...lines.slice(6)].join("\n") + "\n", 1, false],
      ["one escaped slash, same value serialised", [...lines.slice(0, 2), JSON.stringify({ type: "custom", id: "z1", parentId: null, data: "a/b" }).replace("a/b", "a\\/b"), ...lines.slice(2)].join("\n") + "\n", 1, false],
      ["a canonical message the normaliser changes", [...lines, message("n1", { role: "assistant", content: "hi" })].join("\n") + "\n", 1, false],
      ["a canonical message the normaliser keeps", [...lines, message("n2", { role: "user", content: "hi" })].join("\n") + "\n", 0, true],
    ];
    for (const [name, text, serialised, exact] of cases) {
      const cache = new SessionReadCache();
      const { path, read } = fill(text, cache);
      const kept = keptEntriesFor(path, read(), name.includes("normaliser") ? normalize : undefined);
      if (typeof kept === "string") throw new Error(`${name}: ${kept}`);
      const stringify = vi.spyOn(JSON, "stringify");
      const answer = getCachedEntries(path)!.serializedExactly;
      expect([name, stringify.mock.calls.length]).toEqual([name, serialised]);
      stringify.mockRestore();
      expect([name, answer]).toEqual([name, exact]);
      expect([name, answer]).toEqual([name, exactly(path, kept.entries)]);
    }
  });
});
