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

/**
 * A function that writes a text to a new file in `dir` — `<prefix>1.jsonl`, `<prefix>2.jsonl`, … (its own
 * count) — and returns the file's path: a transcript per test case, never one another case wrote.
 */
export function tempFileWriter(dir: string, prefix: string): (text: string | Uint8Array) => string {
  let n = 0;
  return (text) => {
    const path = join(dir, `${prefix}${++n}.jsonl`);
    writeFileSync(path, text);
    return path;
  };
}
