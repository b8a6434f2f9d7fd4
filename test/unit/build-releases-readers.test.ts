/**
 * A build drops its readers' windows when it ends (RecordReader.release, compile.ts): the build's closures
 * can outlive it — V8 keeps a closure's scope alive while it optimizes the closure in the background — and
 * a heap snapshot showed such a scope holding the 256 KiB read-back window (and the context's messages)
 * after the build, which cold-heap.ts had counted as session state (issue 14). Cold, warm and failed
 * builds alike; a released reader still reads (a new window).
 */
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { compileSteps } from "../../native-free-workers/compile.js";
import { RangeReader } from "../../native-free-workers/io/range-reader.js";
import { SessionCache } from "../../native-free-workers/session/session-cache.js";
import { normalizeBuildOptions } from "../../src/options.js";
import { assistant, chain, jsonl, msg, user, writeTemp } from "../support/transcript-builder.js";

const dir = mkdtempSync(join(tmpdir(), "ctxc-release-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(path: string, sessions: SessionCache): Promise<RangeReader[]> {
  const readers: RangeReader[] = [];
  const original = RangeReader.prototype.read;
  vi.spyOn(RangeReader.prototype, "read").mockImplementation(function (this: RangeReader, start: number, end: number) {
    if (!readers.includes(this)) readers.push(this);
    return original.call(this, start, end);
  });
  const steps = compileSteps(normalizeBuildOptions({ transcript: path, budget: null }), sessions, 1);
  try {
    while (!(await steps.next()).done);
  } finally {
    vi.restoreAllMocks();
  }
  return readers;
}

// The window and the memory it is read into (reused from window to window): both let go.
const windowOf = (r: RangeReader) => (r as unknown as { window: Buffer; own: Buffer }).window.length + (r as unknown as { own: Buffer }).own.length;

describe("a build releases its readers when it ends", () => {
  const turns = Array.from({ length: 40 }, (_, i) => [msg(user(`question ${i} ${"é".repeat(i * 50)}`)), msg(assistant([{ type: "text", text: `answer ${i}` }]))]).flat();
  const lines = chain(turns);

  it("cold and warm builds: every reader that read holds no window afterwards, and reads again", async () => {
    const path = writeTemp(dir, jsonl(lines));
    const sessions = new SessionCache(1 << 30);
    const cold = await run(path, sessions);
    expect(cold.length).toBeGreaterThan(0);
    for (const r of cold) expect(windowOf(r)).toBe(0);
    appendFileSync(path, jsonl(chain([msg(user("one more"))], null).map((e) => ({ ...e, id: "n1", parentId: lines[lines.length - 1]!.id }))));
    const warm = await run(path, sessions);
    expect(warm.length).toBeGreaterThan(0); // the warm build reads the appended message through its reader
    for (const r of warm) expect(windowOf(r)).toBe(0);
  });

  it("a released reader reads again, the same bytes", () => {
    const path = writeTemp(dir, jsonl(lines));
    const fd = openSync(path, "r");
    try {
      const reader = new RangeReader(fd, path);
      const first = Buffer.from(reader.read(100, 300));
      expect(windowOf(reader)).toBeGreaterThan(0);
      reader.release();
      expect(windowOf(reader)).toBe(0);
      expect(reader.read(100, 300).equals(first)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it("a failed build releases them too", async () => {
    const path = writeTemp(dir, jsonl(lines));
    const sessions = new SessionCache(1 << 30);
    await run(path, sessions);
    appendFileSync(path, jsonl(chain([msg(user("one more"))], null).map((e) => ({ ...e, id: "n2", parentId: lines[lines.length - 1]!.id }))));
    const readers: RangeReader[] = [];
    const original = RangeReader.prototype.read;
    vi.spyOn(RangeReader.prototype, "read").mockImplementation(function (this: RangeReader, start: number, end: number) {
      if (!readers.includes(this)) readers.push(this);
      const bytes = original.call(this, start, end);
      if (readers.length > 0 && end - start > 0 && bytes.length > 0 && start > 0) throw new Error("injected read failure");
      return bytes;
    });
    const steps = compileSteps(normalizeBuildOptions({ transcript: path, budget: null }), sessions, 1);
    await expect((async () => { while (!(await steps.next()).done); })()).rejects.toThrow(/injected read failure/);
    expect(readers.length).toBeGreaterThan(0);
    for (const r of readers) expect(windowOf(r)).toBe(0);
  });
});
