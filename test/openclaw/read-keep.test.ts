/**
 * `CTXC_OPENCLAW_READ_KEEP_MB` / the pool's `readKeepBytes`: what each worker keeps of its session reads.
 * Its validation, and that a pool keeping nothing answers every read as a fresh read of the file does —
 * each one starting over instead of continuing — while the default continues from the appended bytes.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { CACHE_DEFAULTS } from "../../native-free-workers/protocol/defaults.js";
import { closeOpenClawPool, configureOpenClawPool, decodeSession, openSessionAsync } from "../../src/openclaw/index.js";
import { tempDir } from "../support/tmp.js";

afterAll(async () => {
  await configureOpenClawPool({ readKeepBytes: CACHE_DEFAULTS.sessionReadCacheBytes });
  await closeOpenClawPool();
});

describe("the read keep setting", () => {
  it("refuses a pool option that is not a whole number of bytes, with a coded error", async () => {
    for (const bad of [-1, 1.5, Number.NaN]) await expect(configureOpenClawPool({ readKeepBytes: bad })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  for (const keep of [0, CACHE_DEFAULTS.sessionReadCacheBytes]) {
    it(`keeping ${keep} bytes, every read is what a fresh read gives, continued only when something is kept`, async () => {
      await configureOpenClawPool({ readKeepBytes: keep, indexDir: null });
      const path = join(tempDir("read-keep"), "session.jsonl");
      const { text, leafId } = generateTranscript({ seed: 11, entries: 400, compactions: 1 });
      writeFileSync(path, text);
      await openSessionAsync(path);
      let parent = leafId;
      for (let turn = 0; turn < 3; turn++) {
        appendFileSync(path, `${JSON.stringify({ type: "message", id: `k${turn}`, parentId: parent, timestamp: "2026-12-06T20:00:00.000Z", message: { role: "user", content: "next" } })}\n`);
        parent = `k${turn}`;
        const got = await openSessionAsync(path);
        expect(got.getEntries()).toEqual(decodeSession(encodeSessionBuffer(path, {})).getEntries());
        if (keep === 0) expect(got.meta.readFrom).toBe(0);
        else expect(got.meta.readFrom).toBeGreaterThan(0);
      }
    });
  }
});
