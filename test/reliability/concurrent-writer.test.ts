/**
 * A gateway appends to the transcript while ctxc reads it (issue 6). Another process appends entries,
 * each written in two pieces with a pause between them (so half lines are on disk most of the time),
 * while builds run back to back: warm builds on one compiler, and cold builds with 1 ms slices on fresh
 * compilers (so reading is paused while the file grows). Every build must see a consistent prefix
 * that ends at a complete line (and equal pi on exactly that prefix); later builds pick up the rest,
 * and once the writer is done a build sees the whole file.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type CompiledContext } from "../../src/index.js";
import { expectMatchesReference, referenceFor, Tally } from "../support/reliability.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("concurrent-writer");
const tally = new Tally("concurrent-writer");
afterAll(() => tally.write());

/** The writer process: appends each line in two pieces, sleeping 0–5 ms before and between them. */
const WRITER = `
const fs = require("node:fs");
const [linesFile, path] = process.argv.slice(1);
const lines = JSON.parse(fs.readFileSync(linesFile, "utf8"));
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let r = 12345;
const rand = () => ((r = (r * 1103515245 + 12345) >>> 0) / 2 ** 32);
for (const line of lines) {
  const buf = Buffer.from(line + "\\n");
  const cut = 1 + Math.floor(rand() * (buf.length - 1));
  fs.appendFileSync(path, buf.subarray(0, cut));
  sleep(Math.floor(rand() * 6));
  fs.appendFileSync(path, buf.subarray(cut));
  sleep(Math.floor(rand() * 3));
}
`;

/** Checks one build of the growing file against pi on the prefix it says it consumed. */
function checkPrefix(ctx: CompiledContext, path: string, group: string): number {
  const t = tally.add(group, 1);
  const file = readFileSync(path); // the file only grows: its first `bytes` bytes are what the build read
  const end = ctx.meta.transcript.bytes;
  expect(end).toBeLessThanOrEqual(file.length);
  expect(end).toBeGreaterThan(0);
  expect(file[end - 1]).toBe(10); // a complete line
  expectMatchesReference(ctx, referenceFor(file.subarray(0, end)), { prefixOfGrowingFile: true });
  t.survived();
  return end;
}

describe("a concurrent writer appends entries and half lines while builds run", () => {
  it("every build sees a consistent prefix ending at a complete line; later builds pick up the rest", async () => {
    const { text } = generateTranscript({ seed: 606, entries: 700, compactions: 2, branchProbability: 0.1, unicode: "mixed", toolResultBytes: { min: 20, max: 800 } });
    const lines = text.split("\n").slice(0, -1);
    const path = join(dir, "growing.jsonl");
    writeFileSync(path, lines.slice(0, 30).join("\n") + "\n");
    const linesFile = join(dir, "rest.json");
    writeFileSync(linesFile, JSON.stringify(lines.slice(30)));

    const warm = createCompiler({ threads: 1, tokenizer: "estimate" });
    const writer = spawn(process.execPath, ["-e", WRITER, linesFile, path], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    writer.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let running = true;
    const exited = new Promise<number | null>((resolve) => writer.on("exit", (code) => {
      running = false;
      resolve(code);
    }));

    let last = 0;
    let builds = 0;
    let sawTorn = 0;
    try {
      while (running) {
        const ctx = await warm.build({ transcript: path });
        const end = checkPrefix(ctx, path, "warm build while appending");
        expect(end).toBeGreaterThanOrEqual(last); // never goes back
        last = end;
        if (ctx.diagnostics.some((d) => d.code === "TORN_TAIL")) sawTorn++;
        if (builds++ % 4 === 0) {
          // A cold build whose reading is paused every millisecond while the file grows.
          const cold = createCompiler({ threads: 1, tokenizer: "estimate", sliceMs: 1 });
          try {
            checkPrefix(await cold.build({ transcript: path }), path, "cold sliced build while appending");
          } finally {
            await cold.close();
          }
        }
      }
      expect(await exited).toBe(0);
      expect(stderr).toBe("");
      // The writer is done: the next build picks up everything.
      const final = await warm.build({ transcript: path });
      const t = tally.add("final build after the writer", 0);
      expect(final.meta.transcript.bytes).toBe(Buffer.byteLength(text));
      expect(final.meta.build.rebuilt).toBeNull(); // it continued from the earlier builds
      expect(final.diagnostics.filter((d) => d.code === "TORN_TAIL")).toEqual([]);
      expectMatchesReference(final, referenceFor(readFileSync(path)));
      t.survived();
    } finally {
      writer.kill();
      await warm.close();
    }
    expect(builds).toBeGreaterThan(5);
    tally.groups["warm build while appending"]!.notes["builds that saw a half-written line"] = sawTorn;
  });
});
