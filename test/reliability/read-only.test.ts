/**
 * ctxc never changes a transcript (issue 6). pi's own SessionManager.open rewrites a file whose header
 * is torn or old (see test/reference/pi-reference.ts); ctxc must not, whatever the file looks like.
 * Each file is built cold, warm, after an append, with a budget, through the CLI, and with a different
 * tokenizer; its bytes, size and mtime must be exactly what they were (atime may move: reading is
 * allowed to touch it). The transcript is also made read-only (mode 0444) to show that ctxc opens it
 * for reading only.
 */
import { execFile } from "node:child_process";
import { appendFileSync, chmodSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler } from "../../src/index.js";
import { Tally } from "../support/reliability.js";
import { tempDir } from "../support/tmp.js";

const run = promisify(execFile);
const dir = tempDir("read-only");
const tally = new Tally("read-only");
const compiler = createCompiler({ threads: 1 });
afterAll(async () => {
  tally.write();
  await compiler.close();
});
const CLI = fileURLToPath(new URL("../../dist/src/cli/main.js", import.meta.url));

function snapshot(path: string): { bytes: Buffer; size: number; mtimeNs: bigint; mode: number } {
  const st = statSync(path, { bigint: true });
  return { bytes: readFileSync(path), size: Number(st.size), mtimeNs: st.mtimeNs, mode: Number(st.mode) };
}

/** The file is as `before` says: the bytes by Buffer.equals (vitest's toEqual walks a Buffer key by key: most of this file's CPU), the rest by toEqual. */
function expectUnchanged(path: string, before: ReturnType<typeof snapshot>): void {
  const now = snapshot(path);
  expect(now.bytes.equals(before.bytes), `${path}: bytes`).toBe(true);
  expect({ ...now, bytes: undefined }).toEqual({ ...before, bytes: undefined });
}

const { text } = generateTranscript({ seed: 77, entries: 150, compactions: 1, unicode: "mixed", includeAllEntryTypes: true });
const FILES: Record<string, string> = {
  "well-formed": text,
  // What SessionManager.open would rewrite: a torn header, a missing header, a v2 header.
  "torn header": damage(text, "bad-header", 1),
  "missing header": damage(text, "missing-header", 2),
  "v2 header": generateTranscript({ seed: 78, entries: 80, headerVersion: 2, includeAllEntryTypes: true }).text,
  "torn tail": damage(text, "torn-tail", 3),
  "junk tail": damage(text, "junk-tail", 4),
  cycle: damage(text, "cycle", 5),
  "BOM + NUL": "\uFEFF" + damage(text, "nul", 6),
};

describe("ctxc never changes a transcript (bytes, size, mtime)", () => {
  for (const [name, content] of Object.entries(FILES)) {
    it(name, async () => {
      const t = tally.add(name, 0);
      const path = join(dir, `${name.replace(/\W+/g, "-")}.jsonl`);
      writeFileSync(path, content);
      utimesSync(path, new Date("2026-01-02T03:04:05.678Z"), new Date("2026-01-02T03:04:05.678Z")); // a distinct, old mtime
      chmodSync(path, 0o444);
      let before = snapshot(path);
      await compiler.build({ transcript: path }); // cold
      await compiler.build({ transcript: path, budget: 2000 }); // warm, with a budget
      await compiler.build({ transcript: path, tokenizer: "cl100k_base" }); // another tokenizer
      const cli = await run(process.execPath, [CLI, "build", path, "--format", "json"], { maxBuffer: 64 << 20 });
      expect(JSON.parse(cli.stdout)).toBeTypeOf("object");
      expectUnchanged(path, before);

      // After an append (by someone else), a warm build reads it and still writes nothing.
      chmodSync(path, 0o644);
      appendFileSync(path, '{"type":"label","id":"ro-1","parentId":null,"timestamp":"2026-01-02T03:04:06.000Z","targetId":"x","label":"y"}\n');
      chmodSync(path, 0o444);
      before = snapshot(path);
      await compiler.build({ transcript: path });
      expectUnchanged(path, before);
      t.survived();
    });
  }
});
