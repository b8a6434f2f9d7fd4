/**
 * The worker pool started before a gateway's first turn (src/openclaw/pool.ts `startOpenClawPool`, armed by
 * the preload at activation and run when OpenClaw's session code loads: preload-runtime.ts `chunkEvaluated`):
 * every thread is up and its worker loaded, without a request a turn would count (no ticket, the pool never
 * busy for the idle re-read's observer); a read after it is served by that thread; nothing starts unless the
 * preload armed it, and only once.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { closeOpenClawPool, configureOpenClawPool, openClawPoolBusy, openClawPoolLiveThreads, openClawPoolTicket, startOpenClawPool, defaultThreads } from "../../src/openclaw/pool.js";
import { armPoolStart, chunkEvaluated, openClawPoolTicket as runtimeTicket } from "../../src/openclaw/preload-runtime.js";
import { readSessionMetaAsync } from "../../src/openclaw/session.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("pool-start");
const macrotask = () => new Promise<void>((done) => setImmediate(done));

afterAll(async () => {
  await configureOpenClawPool({ threads: defaultThreads() });
  await closeOpenClawPool();
});

describe("startOpenClawPool", () => {
  it("starts every thread with its worker loaded, asks nothing a turn counts, and the next read runs on it", { timeout: 60_000 }, async () => {
    await configureOpenClawPool({ threads: 2 });
    expect(openClawPoolLiveThreads()).toBe(0);
    const ticket = openClawPoolTicket();
    const starting = startOpenClawPool();
    expect(openClawPoolBusy(), "no turn's request in flight").toBe(false);
    await starting;
    expect(openClawPoolLiveThreads()).toBe(2);
    expect(openClawPoolTicket() - ticket, "no ticket").toBe(0);
    const path = resolve(join(dir, "t.jsonl"));
    writeFileSync(path, generateTranscript({ seed: 5, entries: 30 }).text);
    const meta = await readSessionMetaAsync(path);
    expect(meta.file?.size).toBeGreaterThan(0);
    expect(openClawPoolLiveThreads(), "the read used a started thread").toBe(2);
    expect(openClawPoolTicket() - ticket).toBe(1);
    // A second start (a chunk evaluated again) starts nothing more.
    await startOpenClawPool();
    expect(openClawPoolLiveThreads()).toBe(2);
  });

  it("a worker's start failing (pool closed under it) does not reject", async () => {
    await configureOpenClawPool({ threads: 1 });
    const starting = startOpenClawPool();
    await closeOpenClawPool();
    await expect(starting).resolves.toEqual([]);
  });
});

describe("the preload's start when OpenClaw's session code loads", () => {
  it("not armed: a chunk evaluated starts no thread; armed: the first one does, in a macrotask, with no ticket", { timeout: 60_000 }, async () => {
    await configureOpenClawPool({ threads: 1 });
    chunkEvaluated(["readSessionFileDigest"], {});
    await macrotask();
    expect(openClawPoolLiveThreads(), "not armed").toBe(0);
    armPoolStart();
    const ticket = runtimeTicket();
    chunkEvaluated(["readSessionFileDigest"], {});
    expect(openClawPoolLiveThreads(), "not in the chunk's own evaluation").toBe(0);
    await macrotask();
    expect(openClawPoolLiveThreads(), "started").toBe(1);
    expect(runtimeTicket() - ticket).toBe(0);
  });
});
