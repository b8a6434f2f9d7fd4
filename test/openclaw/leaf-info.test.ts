/**
 * The preload answers OpenClaw 2026.5.12's internal `readTranscriptLeafInfo` (run before every
 * transcript append, under the session write lock) from ctxc's worker read. This compares ctxc's answer
 * with the real function — taken from OpenClaw's own chunk, rewritten exactly as the preload rewrites
 * it, plus exports for the test — on generated, damaged and hand-made transcripts, and checks the
 * rewritten function serves ctxc's answer and falls back to OpenClaw's scan when ctxc cannot tell.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { readSessionMeta } from "../../native-free-workers/openclaw/session-buffer.js";
import { closeOpenClawPool, readSessionMetaAsync } from "../../src/openclaw/index.js";
import { OPENCLAW_REFERENCE_DIR } from "../reference/openclaw-reference.js";
import { importIntercepted, removeIntercepted } from "../support/openclaw-release.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";

type LeafInfo = { leafId?: string; hasParentLinkedEntries: boolean; nonSessionEntryCount: number };
type Scan = (p: string) => Promise<LeafInfo>;
let openclawScan: Scan;
let rewrittenScan: Scan;
const dir = tempDir("leaf-info");

beforeAll(async () => {
  const got = await importIntercepted(OPENCLAW_REFERENCE_DIR, "readTranscriptLeafInfo");
  if (typeof got === "string") throw new Error(`OpenClaw 2026.5.12's leaf scan is not served: ${got} (run test/reference/install-reference.sh)`);
  openclawScan = got.openclaw;
  rewrittenScan = got.ctxc;
});
afterAll(async () => {
  removeIntercepted();
  await closeOpenClawPool();
});

const file = tempFileWriter(dir, "t");

/** ctxc's worker answer must be OpenClaw's, and served (not a fallback). */
async function expectSame(path: string): Promise<LeafInfo> {
  const reference = await openclawScan(path);
  const meta = await readSessionMetaAsync(path);
  expect(meta.leafInfo).toEqual(reference);
  expect(await rewrittenScan(path)).toEqual(reference);
  return reference;
}

const H = '{"type":"session","version":3,"id":"s-1","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';
const e = (o: Record<string, unknown>) => JSON.stringify({ timestamp: "2026-01-01T00:00:00.000Z", ...o });

describe("OpenClaw's transcript leaf scan, answered by ctxc", () => {
  it("generated transcripts (branches, compactions, every entry type, unicode)", async () => {
    const cases = [
      { seed: 1, entries: 150, compactions: 2, branchProbability: 0.2 },
      { seed: 2, entries: 60, includeAllEntryTypes: true, unicode: "heavy" as const },
      { seed: 3, entries: 90, headerVersion: 2 as const },
      { seed: 4, entries: 40, unicode: "mixed" as const },
    ];
    for (const c of cases) {
      const r = await expectSame(file(generateTranscript(c).text));
      expect(r.nonSessionEntryCount).toBeGreaterThan(0);
    }
  });

  it("damaged transcripts", async () => {
    for (const [i, kind] of (["junk-tail", "bit-flip", "truncate", "duplicate-line", "reorder-lines"] as const).entries()) {
      await expectSame(file(damage(generateTranscript({ seed: 20 + i, entries: 80 }).text, kind, i)));
    }
  });

  it("lines OpenClaw's rules treat specially", async () => {
    const lines = [
      H,
      e({ type: "message", id: "a", parentId: null, message: { role: "user", content: "hi" } }),
      "42", // counts as a non-session entry, no leaf
      '"text"',
      "[1,2]",
      "null", // counts for nothing (null.type throws)
      "true",
      "   ",
      "",
      "{not json",
      e({ type: "label", id: "b" }), // no parentId key: counts, no leaf
      e({ type: "custom", id: "", parentId: "a" }), // empty id: counts, no leaf
      e({ type: "custom", id: 7, parentId: "a" }), // non-string id: counts, no leaf
      e({ type: "session", id: "s-2", parentId: "a" }), // a session line: nothing
      e({ type: "message", id: "c", parentId: "a", message: { role: "assistant", content: [] } }) + "\r", // CRLF
      e({ type: "custom", id: "d", parentId: null }),
    ];
    const r = await expectSame(file(lines.join("\n") + "\n"));
    expect(r).toEqual({ leafId: "d", hasParentLinkedEntries: true, nonSessionEntryCount: 10 });
    // The same without the final newline (a torn or unterminated last line counts too), then invalid.
    await expectSame(file(lines.join("\n")));
    await expectSame(file(lines.join("\n") + "\n" + '{"type":"message","id":"z","parentId":"d"'));
    // Only a header / empty / blank.
    await expectSame(file(H + "\n"));
    await expectSame(file(""));
    await expectSame(file("\n\n  \n"));
    // A byte-order mark: OpenClaw's JSON.parse rejects that line.
    await expectSame(file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(e({ type: "custom", id: "x", parentId: null }) + "\n" + e({ type: "custom", id: "y" }) + "\n")])));
  });

  it("follows appends (the worker continues its read) and a missing file falls back to OpenClaw's scan", async () => {
    const p = file(generateTranscript({ seed: 30, entries: 50 }).text);
    await expectSame(p);
    for (let i = 0; i < 5; i++) {
      appendFileSync(p, e({ type: "message", id: `ap${i}`, parentId: i ? `ap${i - 1}` : null, message: { role: "user", content: `m${i}` } }) + "\n");
      expect((await expectSame(p)).leafId).toBe(`ap${i}`);
    }
    const missing = join(dir, "missing.jsonl");
    await expect(rewrittenScan(missing)).rejects.toThrow(/ENOENT/);
    await expect(openclawScan(missing)).rejects.toThrow(/ENOENT/);
  });

  it("a line ctxc skips unread makes its answer unknown (OpenClaw's scan runs instead)", () => {
    const p = file([H, e({ type: "custom", id: "a", parentId: null, data: "x".repeat(5000) }), e({ type: "custom", id: "b", parentId: "a" })].join("\n") + "\n");
    expect(readSessionMeta(p, { maxLineBytes: 1000 }).leafInfo).toBeNull();
    expect(readSessionMeta(p).leafInfo).toEqual({ leafId: "b", hasParentLinkedEntries: true, nonSessionEntryCount: 2 });
  });
});
