import { appendFileSync, readFileSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { compileSteps } from "../../native-free-workers/compile.js";
import { SessionCache } from "../../native-free-workers/session/session-cache.js";
import { normalizeBuildOptions } from "../../src/options.js";
import { createCompiler, decodeContext, type CompiledContext } from "../../src/index.js";
import { APPENDED, headEdit, SKIP_OVER } from "../support/check-windows.js";
import { splitTail as split } from "../support/split-tail.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("incremental");
const compiler = createCompiler({ threads: 1 });
afterAll(() => compiler.close());

/** A cold build in this process, with nothing cached: cheaper than a fresh compiler per comparison. */
async function freshInProcess(path: string, budget: number | null = null): Promise<CompiledContext> {
  const task = normalizeBuildOptions({ transcript: path, budget });
  const steps = compileSteps(task, new SessionCache(Number.MAX_SAFE_INTEGER), 1);
  let step = await steps.next();
  while (!step.done) step = await steps.next();
  return decodeContext(step.value);
}

/** A fresh compiler's answer for the same file: what every warm or rebuilt result must equal. */
async function fresh(path: string, budget: number | null = null, maxLineBytes?: number): Promise<CompiledContext> {
  const other = createCompiler({ threads: 1 });
  try {
    return await other.build({ transcript: path, budget, maxLineBytes });
  } finally {
    await other.close();
  }
}

function same(a: CompiledContext, b: CompiledContext): void {
  expect([...a.messages]).toStrictEqual([...b.messages]);
  expect(a.tokens.perMessage).toEqual(b.tokens.perMessage);
  expect(a.thinkingLevel).toEqual(b.thinkingLevel);
  expect(a.model).toEqual(b.model);
  expect(a.dropped).toBe(b.dropped);
  expect(a.diagnostics).toEqual(b.diagnostics);
}


describe("incremental builds", () => {
  it("a build after an append parses only the appended bytes and equals a fresh build", async () => {
    const { text } = generateTranscript({ seed: 11, entries: 400, compactions: 2, unicode: "mixed" });
    const [prefix, rest] = split(text, 30);
    const path = join(dir, "append.jsonl");
    writeFileSync(path, prefix);
    const first = await compiler.build({ transcript: path });
    expect(first.meta.build.rebuilt).toBe("cold");
    expect(first.meta.build.bytesParsed).toBe(Buffer.byteLength(prefix));

    const restLines = rest.split("\n").slice(0, -1);
    let size = Buffer.byteLength(prefix);
    for (const chunk of [restLines.slice(0, 1), restLines.slice(1, 10), restLines.slice(10)]) {
      const bytes = chunk.join("\n") + "\n";
      appendFileSync(path, bytes);
      const warm = await compiler.build({ transcript: path });
      expect(warm.meta.build.rebuilt).toBeNull();
      expect(warm.meta.build.bytesParsed).toBe(Buffer.byteLength(bytes));
      size += Buffer.byteLength(bytes);
      expect(warm.meta.transcript.bytes).toBe(size);
      same(warm, await fresh(path));
    }
    const unchanged = await compiler.build({ transcript: path });
    expect(unchanged.meta.build.bytesParsed).toBe(0);
    expect(unchanged.meta.build.messagesTokenized).toBe(0);
  });

  it("append by append, every warm build equals a fresh build (branch switches, compactions, duplicate ids)", async () => {
    const base = generateTranscript({ seed: 19, entries: 120, compactions: 3, branchProbability: 0.25, includeAllEntryTypes: true, unicode: "mixed" }).text;
    const variants = [base, damage(base, "duplicate-ids", 3), damage(base, "duplicate-ids", 8), damage(base, "dangling-parent", 4)];
    for (const [i, text] of variants.entries()) {
      const lines = text.split("\n").slice(0, -1);
      const path = join(dir, `append-by-append-${i}.jsonl`);
      writeFileSync(path, lines.slice(0, 3).join("\n") + "\n");
      await compiler.build({ transcript: path, budget: 4_000 });
      // Appends of 1–3 lines: a duplicate id and a child of the old leaf can arrive in one append.
      for (let n = 3, step = 0; n < lines.length; step++) {
        const take = 1 + (step % 3);
        appendFileSync(path, lines.slice(n, n + take).join("\n") + "\n");
        n += take;
        const warm = await compiler.build({ transcript: path, budget: 4_000 });
        expect(warm.meta.build.rebuilt).toBeNull();
        same(warm, await freshInProcess(path, 4_000));
      }
    }
  });

  it("an appended duplicate id re-points an old parentId: the warm build follows pi's map, as a fresh build does", async () => {
    const header = '{"type":"session","version":3,"id":"s","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/"}';
    const msg = (id: string, parentId: string | null, content: string) =>
      JSON.stringify({ type: "message", id, parentId, timestamp: "2026-01-01T00:00:00.000Z", message: { role: "user", content, timestamp: 1 } });
    const path = join(dir, "dup-repoint.jsonl");
    writeFileSync(path, [header, msg("e1", null, "first"), msg("e2", "e1", "second"), msg("e3", "e2", "third")].join("\n") + "\n");
    expect((await compiler.build({ transcript: path })).messages.map((m) => m.content)).toEqual(["first", "second", "third"]);
    // One append: an entry reusing e1's id (pi's byId now maps e1 to it) and a child of the old leaf.
    appendFileSync(path, [msg("e1", null, "replacement"), msg("e4", "e3", "fourth")].join("\n") + "\n");
    const warm = await compiler.build({ transcript: path });
    expect(warm.meta.build.rebuilt).toBeNull();
    expect(warm.messages.map((m) => m.content)).toEqual(["replacement", "second", "third", "fourth"]);
    same(warm, await freshInProcess(path));
  });

  it("reuses cached token counts: a warm build tokenizes only new messages", async () => {
    const { text } = generateTranscript({ seed: 12, entries: 200, unicode: "ascii", branchProbability: 0 });
    const [prefix, rest] = split(text, 2);
    const path = join(dir, "tokens.jsonl");
    writeFileSync(path, prefix);
    const cold = await compiler.build({ transcript: path });
    expect(cold.meta.build.messagesTokenized).toBe(cold.messageCount);
    appendFileSync(path, rest);
    const warm = await compiler.build({ transcript: path });
    expect(warm.meta.build.messagesTokenized).toBeLessThanOrEqual(2);
    expect(warm.meta.build.messagesTokenized).toBeGreaterThan(0);
  });

  it("picks up a torn last line once it is completed", async () => {
    const { text } = generateTranscript({ seed: 13, entries: 50 });
    const [prefix, rest] = split(text, 1);
    const path = join(dir, "torn.jsonl");
    const half = rest.slice(0, Math.floor(rest.length / 2));
    writeFileSync(path, prefix + half);
    const torn = await compiler.build({ transcript: path });
    expect(torn.diagnostics.map((d) => d.code)).toContain("TORN_TAIL");
    appendFileSync(path, rest.slice(half.length));
    const whole = await compiler.build({ transcript: path });
    expect(whole.meta.build.rebuilt).toBeNull();
    expect(whole.diagnostics.map((d) => d.code)).not.toContain("TORN_TAIL");
    same(whole, await fresh(path));
  });

  // A deleted file's inode number may be reused at once by its successor, so recreate-after-delete can
  // only be recognised by its content (here: shorter → truncated).
  const changes: [string, (path: string, text: string) => void, string[]][] = [
    ["truncated", (path, text) => truncateSync(path, Buffer.byteLength(text) - 500), ["truncated"]],
    [
      "rewritten in place (same size)",
      (path, text) => writeFileSync(path, text.replace(/"role":"user"/, '"role":"User"')),
      ["rewritten"],
    ],
    [
      "rewritten in place (longer)",
      (path, text) => writeFileSync(path, text.split("\n").slice(0, -3).join("\n") + '\n{"type":"label","id":"zz","parentId":null,"timestamp":"2026-01-01T00:00:00Z","targetId":"x","label":"l"}\n' + text),
      ["rewritten"],
    ],
    [
      "replaced by rename",
      (path, text) => {
        writeFileSync(`${path}.tmp`, text.replace(/"role":"user"/, '"role":"User"'));
        renameSync(`${path}.tmp`, path);
      },
      ["replaced"],
    ],
    [
      "deleted and recreated",
      (path, text) => {
        rmSync(path);
        writeFileSync(path, text.slice(0, text.lastIndexOf("\n", text.length - 2) + 1));
      },
      ["replaced", "truncated"],
    ],
  ];
  for (const [name, change, reasons] of changes) {
    it(`rebuilds from scratch when the file was ${name}, and says why`, async () => {
      const { text } = generateTranscript({ seed: 14, entries: 120, compactions: 1 });
      const path = join(dir, `${name.replace(/\W+/g, "-")}.jsonl`);
      writeFileSync(path, text);
      await compiler.build({ transcript: path });
      change(path, text);
      const after = await compiler.build({ transcript: path });
      expect(reasons).toContain(after.meta.build.rebuilt);
      expect(after.meta.build.bytesParsed).toBe(after.meta.transcript.bytes);
      same(after, await fresh(path));
    });
  }

  it("rebuilds when a line in the file's first 4 KiB changed in place after a line skipped as too long, then the file grew (the check's head holds the skipped line's bytes too)", async () => {
    const { file, edited } = headEdit(generateTranscript({ seed: 9, entries: 40 }).text);
    const path = join(dir, "head-edit.jsonl");
    writeFileSync(path, file);
    await compiler.build({ transcript: path, maxLineBytes: SKIP_OVER });
    writeFileSync(path, edited);
    appendFileSync(path, APPENDED);
    const after = await compiler.build({ transcript: path, maxLineBytes: SKIP_OVER });
    expect(after.meta.build.rebuilt).toBe("rewritten");
    same(after, await fresh(path, undefined, SKIP_OVER));
  });

  it("rebuilds when the file was rewritten in place in the middle, same size (where the check's windows do not look): its times moved", async () => {
    const { text } = generateTranscript({ seed: 15, entries: 200, compactions: 1 });
    const path = join(dir, "middle-same-size.jsonl");
    writeFileSync(path, text);
    // Times set back, so the rewrite surely moves them (a clock tick may hold two writes).
    utimesSync(path, new Date(2026, 0, 1), new Date(2026, 0, 1));
    await compiler.build({ transcript: path });
    const at = text.indexOf('"role":"user"', Math.floor(text.length / 2));
    expect([at > 4096, at < Buffer.byteLength(text) - 8192]).toEqual([true, true]);
    writeFileSync(path, text.slice(0, at) + '"role":"User"' + text.slice(at + 13));
    const after = await compiler.build({ transcript: path });
    expect(after.meta.build.rebuilt).toBe("rewritten");
    same(after, await fresh(path));
    // Unchanged since: continued, nothing read.
    expect((await compiler.build({ transcript: path })).meta.build.bytesParsed).toBe(0);
  });

  it("fails with TRANSCRIPT_NOT_FOUND when the file was deleted, and recovers when it returns", async () => {
    const { text } = generateTranscript({ seed: 15, entries: 40 });
    const path = join(dir, "deleted.jsonl");
    writeFileSync(path, text);
    await compiler.build({ transcript: path });
    rmSync(path);
    await expect(compiler.build({ transcript: path })).rejects.toMatchObject({ code: "TRANSCRIPT_NOT_FOUND" });
    writeFileSync(path, text);
    const back = await compiler.build({ transcript: path });
    expect(back.meta.build.rebuilt).toBe("cold"); // the state was dropped with the file
    same(back, await fresh(path));
  });

  it("a different tokenizer recounts but keeps the index", async () => {
    const { text } = generateTranscript({ seed: 16, entries: 60 });
    const path = join(dir, "tokenizer.jsonl");
    writeFileSync(path, text);
    await compiler.build({ transcript: path });
    const other = await compiler.build({ transcript: path, tokenizer: "cl100k_base" });
    expect(other.meta.build.rebuilt).toBe("tokenizer");
    expect(other.meta.build.bytesParsed).toBe(0);
    expect(other.meta.build.messagesTokenized).toBe(other.messageCount);
  });

  it("never writes to the transcript", async () => {
    const { text } = generateTranscript({ seed: 17, entries: 80 });
    const path = join(dir, "readonly.jsonl");
    writeFileSync(path, text);
    const before = statSync(path);
    await compiler.build({ transcript: path });
    await compiler.build({ transcript: path, budget: 100 });
    const after = statSync(path);
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.size).toBe(before.size);
  });
});
