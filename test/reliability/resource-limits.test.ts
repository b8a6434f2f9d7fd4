/**
 * Resource limits (issue 6): a per-worker heap limit (`resourceLimits`) and a maximum line size
 * (`maxLineBytes`). Hitting the heap limit fails that build with WORKER_FAILED and the pool replaces
 * the worker and keeps serving; with a heap limit, lines too large to parse within it are skipped
 * (LINE_TOO_LONG) instead of killing the worker. A line above `maxLineBytes` costs that line only,
 * reported at its place, and does not stick to the session: a later build with a larger limit reads it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCompiler, CtxcError } from "../../src/index.js";
import { expectMatchesReference, referenceFor, Tally } from "../support/reliability.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("resource-limits");
const tally = new Tally("resource-limits");
afterAll(() => tally.write());

const HEADER = '{"type":"session","version":3,"id":"s-lim","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';
function entry(i: number, parent: string | null, text: string): string {
  return JSON.stringify({ type: "message", id: `e${i}`, parentId: parent, timestamp: "2026-01-01T00:00:00.000Z", message: { role: "user", content: text, timestamp: i } });
}

const SMALL = join(dir, "small.jsonl");
writeFileSync(SMALL, [HEADER, entry(0, null, "a"), entry(1, "e0", "b")].join("\n") + "\n");

describe("per-worker heap limit", () => {
  it("a build that needs more heap fails with WORKER_FAILED; the pool keeps serving", async () => {
    const compiler = createCompiler({ threads: 1, tokenizer: "estimate", resourceLimits: { maxOldGenerationSizeMb: 32 } });
    try {
      // 400k entries on one chain: the index alone is far beyond 32 MB of heap.
      const big = join(dir, "many-entries.jsonl");
      const lines = [HEADER];
      for (let i = 0; i < 400_000; i++) lines.push(entry(i, i ? `e${i - 1}` : null, `message number ${i} with some words in it`));
      writeFileSync(big, lines.join("\n") + "\n");
      for (let round = 0; round < 2; round++) {
        const t = tally.add("heap limit exceeded");
        const err = await compiler.build({ transcript: big }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CtxcError);
        expect((err as CtxcError).code).toBe("WORKER_FAILED");
        // The replaced worker serves the next build.
        const ok = await compiler.build({ transcript: SMALL });
        expect(ok.messageCount).toBe(2);
        t.survived("WORKER_FAILED, next build served");
      }
      expect(compiler.stats().workerFailures).toBe(2);
    } finally {
      await compiler.close();
    }
  });

  it("with a heap limit, a line too large to parse within it is skipped (LINE_TOO_LONG), not fatal", async () => {
    const t = tally.add("line too large for the heap limit");
    const compiler = createCompiler({ threads: 1, tokenizer: "estimate", resourceLimits: { maxOldGenerationSizeMb: 32 } });
    try {
      const lines = [HEADER, entry(0, null, "a"), entry(1, "e0", "x".repeat(12_000_000)), entry(2, "e0", "c")];
      const path = join(dir, "huge-line-heap.jsonl");
      writeFileSync(path, lines.join("\n") + "\n");
      const ctx = await compiler.build({ transcript: path });
      expect(ctx.diagnostics.filter((d) => d.code === "LINE_TOO_LONG").map((d) => [d.line, d.offset])).toEqual([[3, Buffer.byteLength(`${lines[0]}\n${lines[1]}\n`)]]);
      expectMatchesReference(ctx, referenceFor(Buffer.from([lines[0], lines[1], lines[3]].join("\n") + "\n")));
      expect(compiler.stats().workerFailures).toBe(0);
      t.survived();
    } finally {
      await compiler.close();
    }
  });
});

describe("maxLineBytes", () => {
  it("a line above the limit costs that line only, at its place; a later build with a larger limit reads it", async () => {
    const compiler = createCompiler({ threads: 1, tokenizer: "estimate" });
    try {
      const lines = [HEADER, entry(0, null, "a"), entry(1, "e0", "y".repeat(5000)), entry(2, "e1", "c"), entry(3, "e2", "z".repeat(3000)), entry(4, "e3", "d")];
      const bytes = Buffer.from(lines.join("\n") + "\n");
      const path = join(dir, "max-line.jsonl");
      writeFileSync(path, bytes);
      const offsetOf = (i: number) => Buffer.byteLength(lines.slice(0, i).join("\n") + "\n");

      const t1 = tally.add("maxLineBytes exceeded", 2);
      const limited = await compiler.build({ transcript: path, maxLineBytes: 2000 });
      expect(limited.diagnostics.filter((d) => d.code === "LINE_TOO_LONG").map((d) => [d.line, d.offset])).toEqual([[3, offsetOf(2)], [5, offsetOf(4)]]);
      expectMatchesReference(limited, referenceFor(Buffer.from([0, 1, 3, 5].map((i) => lines[i]).join("\n") + "\n")));
      t1.survived();

      // Same compiler, same file, no limit: the skipped lines are not remembered as skipped.
      const t2 = tally.add("larger limit after a smaller one", 0);
      const full = await compiler.build({ transcript: path });
      expect(full.meta.build.rebuilt).toBe("options");
      expect(full.diagnostics.filter((d) => d.code === "LINE_TOO_LONG")).toEqual([]);
      expectMatchesReference(full, referenceFor(bytes));
      // And back to the small limit: skipped again.
      const again = await compiler.build({ transcript: path, maxLineBytes: 2000 });
      expect(again.diagnostics.filter((d) => d.code === "LINE_TOO_LONG")).toHaveLength(2);
      t2.survived();
    } finally {
      await compiler.close();
    }
  });

  it('with lineTooLong: "fail", a line above the limit fails that build with LINE_TOO_LONG; the pool keeps serving', async () => {
    const compiler = createCompiler({ threads: 1, tokenizer: "estimate" });
    try {
      const lines = [HEADER, entry(0, null, "a"), entry(1, "e0", "y".repeat(5000)), entry(2, "e1", "c")];
      const path = join(dir, "max-line-fail.jsonl");
      writeFileSync(path, lines.join("\n") + "\n");
      const t = tally.add("maxLineBytes exceeded, fail mode", 1);
      const err = await compiler.build({ transcript: path, maxLineBytes: 2000, lineTooLong: "fail" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CtxcError);
      expect((err as CtxcError).code).toBe("LINE_TOO_LONG");
      expect((err as CtxcError).message).toContain(`line 3 (byte ${Buffer.byteLength(lines.slice(0, 2).join("\n") + "\n")})`);
      // The pool keeps serving, and the same file in skip mode costs that one line.
      expect((await compiler.build({ transcript: SMALL })).messageCount).toBe(2);
      const skipped = await compiler.build({ transcript: path, maxLineBytes: 2000 });
      // e2's parent was the skipped line, so the branch starts at e2.
      expect(skipped.diagnostics.map((d) => [d.code, d.line])).toEqual([["LINE_TOO_LONG", 3], ["DANGLING_PARENT", 4]]);
      t.survived();
    } finally {
      await compiler.close();
    }
  });

  it("an invalid limit is an INVALID_OPTION error, and the pool keeps serving", async () => {
    const compiler = createCompiler({ threads: 1 });
    try {
      for (const bad of [0, -1, 1.5, Number.NaN, "10" as unknown as number]) {
        const t = tally.add("invalid maxLineBytes");
        const err = await compiler.build({ transcript: SMALL, maxLineBytes: bad }).catch((e: unknown) => e);
        expect((err as CtxcError).code).toBe("INVALID_OPTION");
        expect((await compiler.build({ transcript: SMALL })).messageCount).toBe(2);
        t.survived();
      }
    } finally {
      await compiler.close();
    }
  });
});
