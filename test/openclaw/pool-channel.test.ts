/**
 * The pool's own channel to each thread (src/openclaw/pool.ts: requests go over a MessagePort handed to the
 * worker once, not as piscina tasks): the idle exit is the pool's own — a thread with nothing in flight for
 * `idleTimeoutMs` ends, and the next request starts a new one that answers the same; a request that cannot
 * cross to the worker fails as a coded error at once and the thread goes on serving.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeOpenClawPool, configureOpenClawPool, defaultThreads, openClawPoolBusy, openClawPoolLiveThreads, runInOpenClawPool } from "../../src/openclaw/pool.js";
import type { OpenClawWorkerRequest } from "../../native-free-workers/openclaw-worker.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("pool-channel");

afterAll(async () => {
  await configureOpenClawPool({ threads: defaultThreads(), idleTimeoutMs: 30_000 });
  await closeOpenClawPool();
});

/** Waits until `done()` holds, checking every 10 ms for at most `ms` (generous: only a deadline, not a timing). */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; !done(); ) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe("the pool's channel", () => {
  it("a thread idle for idleTimeoutMs ends; the next request starts a new one with the same answer", async () => {
    await configureOpenClawPool({ threads: 1, idleTimeoutMs: 20 });
    const path = resolve(join(dir, "t.jsonl"));
    writeFileSync(path, "x".repeat(5000));
    const first = await runInOpenClawPool({ op: "fileDigest", path });
    expect(openClawPoolBusy()).toBe(false);
    expect(await until(() => openClawPoolLiveThreads() === 0, 60_000), "the idle thread ended").toBe(true);
    const again = await runInOpenClawPool({ op: "fileDigest", path });
    expect(again).toEqual(first);
    expect(openClawPoolLiveThreads(), "a new thread served it").toBe(1);
  });

  it("a request that cannot be cloned fails as WORKER_FAILED and the thread goes on serving", async () => {
    await configureOpenClawPool({ threads: 1, idleTimeoutMs: 30_000 });
    const uncloneable = { op: "bootstrap", options: { workspaceDir: dir, bad: () => 1 } } as unknown as OpenClawWorkerRequest;
    await expect(runInOpenClawPool(uncloneable)).rejects.toMatchObject({ code: "WORKER_FAILED" });
    expect(openClawPoolBusy(), "nothing left in flight").toBe(false);
    await expect(runInOpenClawPool({ op: "ready" })).resolves.toBe("ready");
  });
});
