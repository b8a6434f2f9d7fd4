/**
 * The `readSessionFileDigest` handler (src/openclaw/session-digest.ts) against stock's body — the function
 * as every release 2026.6.6–7.35 ships it, copied here (test/matrix/session-digest.test.ts runs each
 * release's own): the same answer for files and for what a stream fails on, from ctxc's worker pool; what
 * it cannot answer (a FIFO, a worker that failed, a path that is not a plain string) runs stock's function
 * with one `fallback` line.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, createReadStream, mkdirSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { Errors } from "../../native-free-workers/protocol/errors.js";
import { closeOpenClawPool } from "../../src/openclaw/pool.js";
import { sessionDigestHandlers } from "../../src/openclaw/session-digest.js";
import { recordingDeps } from "../support/preload-deps.js";
import { tempDir } from "../support/tmp.js";

/** Set by a test: the pool's next requests fail as a crashed worker's do. */
let workerCrashes = false;
vi.mock("../../src/openclaw/pool.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/openclaw/pool.js")>();
  return {
    ...real,
    runInOpenClawPool: (...args: Parameters<typeof real.runInOpenClawPool>) =>
      workerCrashes ? Promise.reject(Errors.workerFailed(new Error("worker exited with code 1"))) : real.runInOpenClawPool(...args),
  };
});

/** Stock's `readSessionFileDigest` (dist/selection-*.js, 2026.6.6–2026.7.35), verbatim. */
async function stockDigest(sessionFile: string): Promise<string | undefined> {
  const hash = createHash("sha256");
  return await new Promise((resolve) => {
    const stream = createReadStream(sessionFile);
    stream.on("data", (chunk) => {
      hash.update(chunk);
    });
    stream.on("error", () => {
      resolve(void 0);
    });
    stream.on("end", () => {
      resolve(hash.digest("hex"));
    });
  });
}

const dir = tempDir("session-digest");
afterAll(() => closeOpenClawPool());

function setup() {
  const { deps, counters, log } = recordingDeps({ digestsServed: 0 });
  const calls: unknown[] = [];
  const original = (file: unknown) => {
    calls.push(file);
    return stockDigest(file as string);
  };
  const digest = (file: unknown) => sessionDigestHandlers(deps).readSessionFileDigest!(original, [file], {}) as Promise<string | undefined>;
  return { counters, log, calls, digest };
}

describe("readSessionFileDigest handler", () => {
  it("the same answer as stock's for files of many sizes, missing paths and directories, from the worker (stock never runs)", async () => {
    const { counters, log, calls, digest } = setup();
    const data = randomBytes(3 * 65536 + 5);
    const cases: string[] = [];
    for (const size of [0, 1, 65535, 65536, 65537, 2 * 65536, data.length]) {
      const p = join(dir, `s${size}.jsonl`);
      writeFileSync(p, data.subarray(0, size));
      cases.push(p);
    }
    const sub = join(dir, "dir");
    mkdirSync(sub);
    cases.push(join(dir, "missing.jsonl"), sub, join(cases[1]!, "under-a-file"));
    for (const p of cases) expect(await digest(p), p).toBe(await stockDigest(p));
    expect(await digest(cases[0]!)).toBe(createHash("sha256").digest("hex"));
    expect(counters.digestsServed).toBe(cases.length + 1);
    expect([counters.fallbacks, calls.length, log]).toEqual([0, 0, []]);
  });

  it("a relative path, against the process's cwd as the stream opens it", async () => {
    const { calls, digest } = setup();
    const p = join(dir, "rel.jsonl");
    writeFileSync(p, "relative ✓\n");
    const rel = relative(process.cwd(), p);
    expect(rel.startsWith("/")).toBe(false);
    expect(await digest(rel)).toBe(await stockDigest(p));
    expect(calls).toEqual([]);
  });

  it("a file growing between calls: each answer is the file as it is then (nothing kept by stat)", async () => {
    const { digest } = setup();
    const p = join(dir, "grow.jsonl");
    writeFileSync(p, "a\n");
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 4; i++) {
      const ours = await digest(p);
      expect(ours).toBe(await stockDigest(p));
      seen.add(ours);
      appendFileSync(p, `line ${i} é\n`);
    }
    // Same size, rewritten in place at once (stat may not tell): still the new bytes' digest.
    await writeFile(p, "b\n");
    const before = await digest(p);
    await writeFile(p, "c\n");
    expect(await digest(p)).toBe(await stockDigest(p));
    expect(before).not.toBe(await digest(p));
    expect(seen.size).toBe(4);
  });

  it("a FIFO: stock's function runs (it waits for a writer and hashes what comes), one fallback line", async () => {
    const { counters, log, calls, digest } = setup();
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const pending = digest(fifo);
    // Stock's stream opens the FIFO once the handler hands over; a writer then sends bytes and closes.
    await vi.waitFor(() => expect(calls).toEqual([fifo]), { timeout: 60_000 });
    await writeFile(fifo, "through a pipe\n");
    expect(await pending).toBe(createHash("sha256").update("through a pipe\n").digest("hex"));
    expect([counters.digestsServed, counters.fallbacks]).toEqual([0, 1]);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^readSessionFileDigest: .*not a regular file \(it is a FIFO\)/);
  });

  it("a worker that fails: stock's function answers, one fallback line per call", async () => {
    const { counters, log, calls, digest } = setup();
    const p = join(dir, "crash.jsonl");
    writeFileSync(p, randomBytes(100_000));
    workerCrashes = true;
    try {
      expect(await digest(p)).toBe(await stockDigest(p));
      expect(await digest(join(dir, "missing-too"))).toBeUndefined();
    } finally {
      workerCrashes = false;
    }
    expect(calls).toEqual([p, join(dir, "missing-too")]);
    expect([counters.digestsServed, counters.fallbacks]).toEqual([0, 2]);
    expect(log.every((l) => /^readSessionFileDigest: worker failed: worker exited with code 1$/.test(l))).toBe(true);
    // The pool serves again once it can.
    expect(await digest(p)).toBe(await stockDigest(p));
    expect(counters.digestsServed).toBe(1);
  });

  it("what is not a plain path string (a NUL byte: stock's promise rejects; a Buffer) is stock's, with one line", async () => {
    const { counters, log, calls, digest } = setup();
    const nul = join(dir, "a\0b");
    await expect(digest(nul)).rejects.toThrow();
    await expect(stockDigest(nul)).rejects.toThrow();
    const p = join(dir, "buf.jsonl");
    writeFileSync(p, "buffer path\n");
    expect(await digest(Buffer.from(p))).toBe(await stockDigest(p));
    expect(calls).toHaveLength(2);
    expect(counters.digestsServed).toBe(0);
    expect(log).toEqual(["readSessionFileDigest runs stock: not a plain path string", "readSessionFileDigest runs stock: not a plain path string"]);
  });
});
