/**
 * What a worker keeps of a transcript's bytes as it grows (native-free-workers/grown.ts `fileBytesCapacity`):
 * its kept session read (session-buffer.ts) holds the entry bytes and a sixteenth of headroom, not half the
 * file again after the first appended turn; its digest memo (file-digest.ts) not twice the file after a
 * chunk's growth — and reads and digests that grow them still answer what fresh ones do.
 */
import { createHash } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { fileBytesCapacity } from "../../native-free-workers/grown.js";
import { DigestMemo, digestFileSliced } from "../../native-free-workers/openclaw/file-digest.js";
import { SessionReadCache, encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { decodeSession } from "../../src/openclaw/index.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-staging");

/** A line OpenClaw would append: a user message continuing from `parentId`. */
function line(id: string, parentId: string, text: string): string {
  return `${JSON.stringify({ type: "message", id, parentId, timestamp: "2026-12-06T20:00:00.000Z", message: { role: "user", content: [{ type: "text", text }] } })}\n`;
}

describe("the staging buffer a kept read grows", () => {
  it("keeps at most a sixteenth (or 64 KiB) beyond its bytes over many appended turns, and reads agree with fresh ones", () => {
    const path = join(dir, "grow.jsonl");
    const { text, leafId } = generateTranscript({ seed: 7, entries: 1500, compactions: 1 });
    writeFileSync(path, text);
    const cache = new SessionReadCache();
    encodeSessionBuffer(path, {}, cache);
    let parent = leafId;
    for (let turn = 0; turn < 40; turn++) {
      const id = `t${turn}`;
      appendFileSync(path, line(id, parent, `turn ${turn} `.repeat(1 + (turn % 7) * 50)));
      parent = id;
      const cached = decodeSession(encodeSessionBuffer(path, {}, cache));
      const fresh = decodeSession(encodeSessionBuffer(path, {}));
      expect(cached.getEntries()).toEqual(fresh.getEntries());
      expect(cached.meta.readFrom).toBeGreaterThan(0); // continued, not re-read
      const state = cache.take(path)!;
      expect(state.staging.length).toBeGreaterThanOrEqual(state.used);
      expect(state.staging.length).toBeLessThanOrEqual(state.used + Math.max(64 * 1024, Math.ceil(state.used / 16)) + 64 * 1024);
      cache.put(path, state);
    }
  });

  it("copies amortised O(1) per appended byte", () => {
    // 64 MB appended 2 KB at a time from 28 MB: bytes copied by the growths stay within 17× what was appended.
    let capacity = 28e6;
    let used = 28e6;
    let copied = 0;
    for (let appended = 0; appended < 64e6; appended += 2048) {
      if (used + 2048 > capacity) {
        copied += used;
        capacity = fileBytesCapacity(used + 2048, 64 * 1024);
      }
      used += 2048;
    }
    expect(copied).toBeLessThan(17 * 64e6 + 28e6);
    expect(capacity - used).toBeLessThanOrEqual(Math.ceil(capacity / 16) + 64 * 1024);
  });

  it("the digest memo keeps at most a sixteenth (or a chunk) beyond the file, and its digests are the file's sha-256", async () => {
    const path = join(dir, "digest.jsonl");
    writeFileSync(path, generateTranscript({ seed: 9, entries: 1200 }).text);
    const memo = new DigestMemo();
    for (let turn = 0; turn < 12; turn++) {
      // Each turn appends ~0.3 MB: the file outgrows the first keep's chunk of headroom within a few turns.
      appendFileSync(path, line(`d${turn}`, "x", "appended ".repeat(35_000)));
      const reply = await digestFileSliced(path, { memo });
      const bytes = readFileSync(path);
      expect(reply).toEqual({ sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length });
      const kept = memo.lru.take(path)!;
      expect(kept.length).toBe(bytes.length);
      expect(kept.bytes.length).toBeLessThanOrEqual(bytes.length + Math.max(1024 * 1024, Math.ceil(bytes.length / 16)) + 0.35e6);
      memo.lru.set(path, kept);
    }
  });
});
