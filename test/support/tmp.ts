import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A temp directory for this test file, removed after it. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ctxc-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes each text to a new numbered file in `dir` (`<prefix><n>.jsonl`) and returns its path. */
export function fileWriter(dir: string, prefix = "f"): (text: string | Buffer) => string {
  let n = 0;
  return (text) => {
    const p = join(dir, `${prefix}${++n}.jsonl`);
    writeFileSync(p, text);
    return p;
  };
}
