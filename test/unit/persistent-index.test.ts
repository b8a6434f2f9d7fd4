import { createHash } from "node:crypto";
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type CompiledContext } from "../../src/index.js";
import { indexFile } from "../../native-free-workers/session/persistent-index.js";
import { splitTail as split } from "../support/split-tail.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("persist");

async function once(path: string, cacheDir?: string): Promise<CompiledContext> {
  const compiler = createCompiler({ threads: 1, cacheDir });
  try {
    return await compiler.build({ transcript: path });
  } finally {
    await compiler.close();
  }
}


describe("persistent session index (cacheDir)", () => {
  it("a restarted compiler reads only the bytes appended since, and equals a fresh build", async () => {
    const { text } = generateTranscript({ seed: 31, entries: 300, compactions: 2, unicode: "mixed" });
    const [prefix, rest] = split(text, 12);
    const path = join(dir, "restart.jsonl");
    const cacheDir = join(dir, "cache-restart");
    writeFileSync(path, prefix);
    const first = await once(path, cacheDir);
    expect(first.meta.build.index).toBe("none");
    expect(readdirSync(cacheDir)).toHaveLength(1);

    appendFileSync(path, rest);
    const restarted = await once(path, cacheDir);
    expect(restarted.meta.build.index).toBe("disk");
    expect(restarted.meta.build.rebuilt).toBeNull();
    expect(restarted.meta.build.bytesParsed).toBe(Buffer.byteLength(rest));
    const fresh = await once(path);
    expect([...restarted.messages]).toStrictEqual([...fresh.messages]);
    expect(restarted.tokens.perMessage).toEqual(fresh.tokens.perMessage);
    expect(restarted.thinkingLevel).toStrictEqual(fresh.thinkingLevel);
    expect(restarted.model).toStrictEqual(fresh.model);
    expect(restarted.diagnostics).toEqual(fresh.diagnostics);
  });

  it("ignores and reports a corrupt index", async () => {
    const { text } = generateTranscript({ seed: 32, entries: 80 });
    const path = join(dir, "corrupt.jsonl");
    const cacheDir = join(dir, "cache-corrupt");
    writeFileSync(path, text);
    await once(path, cacheDir);
    const file = indexFile(cacheDir, path);
    writeFileSync(file, readFileSync(file, "utf8").slice(0, 100));
    const after = await once(path, cacheDir);
    expect(after.meta.build.index).toBe("disk-corrupt");
    expect(after.meta.build.rebuilt).toBe("cold");
    expect(after.diagnostics.map((d) => d.code)).toContain("INDEX_IGNORED");
    expect([...after.messages]).toStrictEqual([...(await once(path)).messages]);
  });

  it("does not read an index saved for another kind of source (a SQLite store's rows) as a JSONL file's", async () => {
    const { text } = generateTranscript({ seed: 35, entries: 60 });
    const path = join(dir, "kind.jsonl");
    const cacheDir = join(dir, "cache-kind");
    writeFileSync(path, text);
    await once(path, cacheDir);
    const file = indexFile(cacheDir, path);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { source: string };
    expect(saved.source).toBe("pi-jsonl");
    writeFileSync(file, JSON.stringify({ ...saved, source: "sqlite" }));
    const after = await once(path, cacheDir);
    expect(after.meta.build.index).toBe("disk-corrupt");
    expect(after.diagnostics.map((d) => d.code)).toContain("INDEX_IGNORED");
  });

  it("ignores and reports a stale index (the transcript was rewritten)", async () => {
    const { text } = generateTranscript({ seed: 33, entries: 80 });
    const path = join(dir, "stale.jsonl");
    const cacheDir = join(dir, "cache-stale");
    writeFileSync(path, text);
    await once(path, cacheDir);
    writeFileSync(path, text.replace('"role":"user"', '"role":"usr"'));
    const after = await once(path, cacheDir);
    expect(after.meta.build.index).toBe("disk-stale");
    expect(after.diagnostics.map((d) => d.code)).toContain("INDEX_IGNORED");
    expect([...after.messages]).toStrictEqual([...(await once(path)).messages]);
  });

  // Before 2026-12-07 a read's head or tail could end short at a line skipped as too long, and an index
  // saved then holds that narrower window: a weaker check than a read keeps, not taken over.
  it.each(["head", "tail"] as const)("does not take over a saved %s window narrower than the file allows", async (window) => {
    const { text } = generateTranscript({ seed: 36, entries: 120 });
    const [prefix, rest] = split(text, 6);
    const path = join(dir, `narrow-${window}.jsonl`);
    const cacheDir = join(dir, `cache-narrow-${window}`);
    writeFileSync(path, prefix);
    await once(path, cacheDir);
    const file = indexFile(cacheDir, path);
    const saved = JSON.parse(readFileSync(file, "utf8")) as { end: number; identity: Record<string, unknown> };
    const bytes = Buffer.from(prefix);
    expect(saved.end).toBe(bytes.length);
    expect(saved.identity[`${window}Length`]).toBe(Math.min(4096, bytes.length));
    // The same file's bytes, in a window of 100: what an older save could hold.
    const narrow = window === "head" ? bytes.subarray(0, 100) : bytes.subarray(bytes.length - 100);
    const identity = { ...saved.identity, [`${window}Length`]: 100, [`${window}Sha256`]: createHash("sha256").update(narrow).digest("hex") };
    writeFileSync(file, JSON.stringify({ ...saved, identity }));

    appendFileSync(path, rest);
    const after = await once(path, cacheDir);
    expect(after.meta.build.index).toBe("disk-stale");
    expect(after.diagnostics.map((d) => d.code)).toContain("INDEX_IGNORED");
    expect([...after.messages]).toStrictEqual([...(await once(path)).messages]);
    // The index saved by that build is full-width again, and taken over by the next.
    const next = await once(path, cacheDir);
    expect(next.meta.build.index).toBe("disk");
  });

  it("writes only inside cacheDir, never beside the transcript", async () => {
    const { text } = generateTranscript({ seed: 34, entries: 40 });
    const sessions = join(dir, "sessions");
    const path = join(sessions, "s.jsonl");
    (await import("node:fs")).mkdirSync(sessions, { recursive: true });
    writeFileSync(path, text);
    await once(path, join(dir, "cache-only"));
    expect(readdirSync(sessions)).toEqual(["s.jsonl"]);
    expect(readFileSync(path, "utf8")).toBe(text);
  });
});
