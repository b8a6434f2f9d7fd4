/**
 * `CTXC_OPENCLAW_DIGEST_KEEP_MB` / the pool's `digestKeepBytes`: what each worker keeps for the
 * session-fence digests. The setting's parsing, its validation, and that a pool keeping nothing still
 * answers every digest exactly as node's sha-256 of the file (the memo-less path), through changes a kept
 * state would have to notice: an append, a same-size rewrite in place, a truncation.
 */
import { createHash } from "node:crypto";
import { readFileSync, truncateSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeOpenClawPool, configureOpenClawPool } from "../../src/openclaw/index.js";
import { Priority, runInOpenClawPool } from "../../src/openclaw/pool.js";
import { bytesFromMibSetting } from "../../src/openclaw/env-mib.js";
import { DIGEST_KEEP_TOTAL_BYTES, type FileDigestReply } from "../../native-free-workers/protocol/file-digest.js";
import { tempDir } from "../support/tmp.js";

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const digest = async (path: string) => ((await runInOpenClawPool({ op: "fileDigest", path }, Priority.open)) as FileDigestReply & { sha256?: string }).sha256;

afterAll(async () => {
  await configureOpenClawPool({ digestKeepBytes: DIGEST_KEEP_TOTAL_BYTES });
  await closeOpenClawPool();
});

describe("the digest keep setting", () => {
  it("reads MiB from the environment: 0 is off, fractions allowed, anything else the default", () => {
    expect(bytesFromMibSetting("0", 7)).toBe(0);
    expect(bytesFromMibSetting("1.5", 7)).toBe(1.5 * 1024 * 1024);
    expect(bytesFromMibSetting(" 64 ", 7)).toBe(64 * 1024 * 1024);
    for (const bad of [undefined, "", "  ", "-1", "lots", "NaN", "Infinity"]) expect(bytesFromMibSetting(bad, 7)).toBe(7);
  });

  it("refuses a pool option that is not a whole number of bytes, with a coded error", async () => {
    for (const bad of [-1, 1.5, Number.NaN]) await expect(configureOpenClawPool({ digestKeepBytes: bad })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  for (const keep of [0, 3 * 1024 * 1024]) {
    it(`keeping ${keep} bytes, every digest equals node's sha-256 of the file as it is then`, async () => {
      await configureOpenClawPool({ digestKeepBytes: keep });
      const path = join(tempDir("digest-keep"), "session.jsonl");
      const line = (i: number) => `${JSON.stringify({ type: "message", id: `m${i}`, text: "x".repeat(200 + (i % 50)) })}\n`;
      writeFileSync(path, Array.from({ length: 4000 }, (_, i) => line(i)).join(""));
      expect(await digest(path)).toBe(sha(path));
      appendFileSync(path, line(4000));
      expect(await digest(path)).toBe(sha(path));
      const bytes = readFileSync(path);
      bytes[123_456] = bytes[123_456] === 0x78 ? 0x79 : 0x78; // same size, one byte in the middle
      writeFileSync(path, bytes);
      expect(await digest(path)).toBe(sha(path));
      truncateSync(path, 500_000);
      expect(await digest(path)).toBe(sha(path));
    });
  }
});
