/**
 * A worker thread of the OpenClaw pool that dies with a request in flight (a crash, an out-of-memory kill:
 * here `Worker.terminate()`, which ends the thread as abruptly): the request fails with the coded error its
 * callers turn into a fallback (WORKER_FAILED: session.ts, session-digest.ts, bootstrap.ts …) — never a hang,
 * never an answer — and the next request gets a fresh thread that answers as the first would have. A
 * contract of src/openclaw/pool.ts whatever carries its requests (piscina tasks, or a channel of its own).
 *
 * No production hook: piscina constructs its threads with `new Worker` read from node:worker_threads at each
 * construction, so the test wraps that constructor to learn the threads (only in this test process).
 */
import { createHash } from "node:crypto";
import { closeSync, ftruncateSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type { Worker as NodeWorker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeOpenClawPool, configureOpenClawPool, defaultThreads, openClawPoolBusy, openClawPoolLiveThreads, runInOpenClawPool } from "../../src/openclaw/pool.js";
import { HANG_MS } from "../support/hang-guard.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("pool-thread-death");
const BIG = 64 * 1024 * 1024;
const workerThreads = createRequire(import.meta.url)("node:worker_threads") as { Worker: typeof NodeWorker };
const OriginalWorker = workerThreads.Worker;
/** Every thread started in this process since the wrap, in order. */
const started: NodeWorker[] = [];

beforeAll(() => {
  workerThreads.Worker = class extends OriginalWorker {
    constructor(...args: ConstructorParameters<typeof NodeWorker>) {
      super(...args);
      started.push(this);
    }
  };
});

afterAll(async () => {
  workerThreads.Worker = OriginalWorker;
  await configureOpenClawPool({ threads: defaultThreads(), idleTimeoutMs: 30_000 });
  await closeOpenClawPool();
});

/** How a promise settled, or "hung" when it did not within the hang guard's deadline (not a timing: a failure). */
async function outcome<T>(promise: Promise<T>): Promise<{ answered: T } | { failed: unknown } | "hung"> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"hung">((r) => (timer = setTimeout(() => r("hung"), HANG_MS)));
  try {
    return await Promise.race([promise.then((answered) => ({ answered }), (failed: unknown) => ({ failed })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A 64 MiB file of zeros (sparse: no disk written). Its first digest hashes every byte on the worker, in
 * slices — far longer than the few statements between the request's hand-over and the thread's end below,
 * so the thread cannot have answered before it dies.
 */
function bigFile(): string {
  const path = resolve(join(dir, "big.jsonl"));
  const fd = openSync(path, "w");
  ftruncateSync(fd, BIG);
  closeSync(fd);
  return path;
}

describe("a pool thread that dies mid-request", () => {
  it("fails what it had in flight as WORKER_FAILED; the next request gets a fresh thread", async () => {
    await configureOpenClawPool({ threads: 1, idleTimeoutMs: 30_000 });
    const path = bigFile();
    // The thread started and serving: the digest below is handed to it at once, not queued behind its start.
    await expect(runInOpenClawPool({ op: "ready" })).resolves.toBe("ready");
    expect(openClawPoolLiveThreads()).toBe(1);
    const thread = started.at(-1)!;
    expect(thread, "the wrapped constructor saw the pool's thread").toBeDefined();

    const inFlight = runInOpenClawPool({ op: "fileDigest", path });
    // Requests handed over behind it or still waiting in the pool's queue: each may fail with it or be
    // answered by the next thread, as the pool chooses — but each settles.
    const behind = [runInOpenClawPool({ op: "ready" }), runInOpenClawPool({ op: "fileDigest", path })].map((p) => outcome(p));
    void thread.terminate();

    const dead = await outcome(inFlight);
    expect(dead, "the request in flight was neither answered nor left hanging").toMatchObject({ failed: { code: "WORKER_FAILED" } });
    for (const [i, p] of behind.entries()) {
      const settled = await p;
      expect(settled, `request ${i} behind it settled`).not.toBe("hung");
      if ("failed" in (settled as object)) expect((settled as { failed: unknown }).failed).toMatchObject({ code: "WORKER_FAILED" });
    }
    expect(openClawPoolBusy(), "nothing left in flight").toBe(false);

    // A fresh thread serves what comes next, with the answer a healthy thread gives.
    const before = started.length;
    const digest = await outcome(runInOpenClawPool({ op: "fileDigest", path }));
    const zeros = createHash("sha256");
    for (let i = 0; i < BIG / (1 << 20); i++) zeros.update(new Uint8Array(1 << 20));
    expect(digest).toEqual({ answered: { sha256: zeros.digest("hex"), bytes: BIG } });
    expect(started.length, "a new thread was started (for it, or for a request behind the dead one)").toBeGreaterThanOrEqual(before);
    expect(started.at(-1), "the dead thread is not the one serving").not.toBe(thread);
    expect(openClawPoolLiveThreads()).toBe(1);
    await expect(runInOpenClawPool({ op: "ready" })).resolves.toBe("ready");
  });
});
