/**
 * The background re-read after OpenClaw's whole-file writes (src/openclaw/idle-reread.ts, issue #11): it
 * must never compete with a turn's reads, and must still make the worker's state — and the persistent
 * index saved from it — follow the file, so a restart continues from the index.
 * - the scheduler alone, driven by explicit pool events and a manual clock: no re-read while requests are
 *   in flight, one once the pool stayed idle for the window, coalesced per file, one at a time, dropped by
 *   a session read asked for after the write, dropped (not run) when the pool closes;
 * - end to end through the preload's handler, the real pool and worker (the runtime's scheduler on a
 *   manual clock): the re-read waits while another read is pending and runs once idle, the next read then
 *   continues its state; a read of the session before the window ends makes it unneeded and the restarted
 *   pool continues from the index; a pool stopped with a re-read pending restarts from the stale index,
 *   which is rejected, and the read equals a fresh one (only warmth lost).
 * Behaviour only, never timing.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import type { OpenClawWorkerRequest } from "../../native-free-workers/openclaw-worker.js";
import { IdleRereads, realTimers, type IdleTimers } from "../../src/openclaw/idle-reread.js";
import { closeOpenClawPool, configureOpenClawPool, openClawPoolBusy } from "../../src/openclaw/pool.js";
import { decodeSession, readSessionMetaAsync } from "../../src/openclaw/session.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";

const dir = tempDir("idle-reread");
process.env.CTXC_OPENCLAW_LOG = join(dir, "preload.log");
const runtime = await import("../../src/openclaw/preload-runtime.js");
afterAll(() => closeOpenClawPool());
const file = tempFileWriter(dir, "t");

/** A manual clock: timers run only when the test says so. */
class ManualClock implements IdleTimers {
  private next = 0;
  readonly armed = new Map<number, { fn: () => void; ms: number }>();
  set(fn: () => void, ms: number): number {
    this.armed.set(++this.next, { fn, ms });
    return this.next;
  }
  clear(h: unknown): void {
    this.armed.delete(h as number);
  }
  /** Lets every armed timer's time pass (each runs once). */
  pass(): void {
    const due = [...this.armed.values()];
    this.armed.clear();
    for (const t of due) t.fn();
  }
}

describe("the scheduler, driven by pool events", () => {
  /** A pool whose state the test sets; the re-reads it is asked for are recorded and count as requests in flight. */
  function setup() {
    const clock = new ManualClock();
    const pool = { inFlight: 0, tickets: 0 };
    const started: string[] = [];
    const finish: (() => void)[] = [];
    const s = new IdleRereads(
      { busy: () => pool.inFlight > 0, ticket: () => pool.tickets },
      (path) => {
        started.push(path);
        const ticket = ++pool.tickets;
        if (pool.inFlight++ === 0) s.busy();
        return new Promise<void>((done) =>
          finish.push(() => {
            s.answered({ op: "sessionMeta", path }, ticket, {});
            if (--pool.inFlight === 0) s.idle();
            done();
          }),
        );
      },
      clock,
    );
    /** A request of a turn: asked for (busy), then settled (answered, idle). */
    const request = (req: OpenClawWorkerRequest, reply: unknown = {}) => {
      const ticket = ++pool.tickets;
      if (pool.inFlight++ === 0) s.busy();
      return () => {
        s.answered(req, ticket, reply);
        if (--pool.inFlight === 0) s.idle();
      };
    };
    return { s, clock, started, finish, request, pool };
  }

  it("does not run while a request is in flight; runs once the pool stayed idle for the window", () => {
    const { s, clock, started, request } = setup();
    const done = request({ op: "session", path: "/other" });
    s.afterWrite("/a");
    expect(clock.armed.size).toBe(0); // busy: no window yet
    clock.pass();
    expect(started).toEqual([]);
    done();
    expect([...clock.armed.values()].map((t) => t.ms)).toEqual([s.idleMs]);
    // A request inside the window: the window starts over when it settles.
    const again = request({ op: "fileDigest", path: "/other" });
    expect(clock.armed.size).toBe(0);
    clock.pass();
    expect(started).toEqual([]);
    again();
    clock.pass();
    expect(started).toEqual(["/a"]);
    expect(s.waiting()).toEqual([]);
  });

  it("coalesces the writes of one file and runs the files one at a time, each after its own idle window", () => {
    const { s, clock, started, finish } = setup();
    s.afterWrite("/a");
    s.afterWrite("/b");
    s.afterWrite("/a"); // a later write of /a: one re-read, now after /b's
    expect(s.waiting()).toEqual(["/b", "/a"]);
    clock.pass();
    expect(started).toEqual(["/b"]);
    expect(clock.armed.size).toBe(0); // the re-read is a request in flight
    clock.pass();
    expect(started).toEqual(["/b"]);
    finish.shift()!();
    clock.pass();
    expect(started).toEqual(["/b", "/a"]);
    finish.shift()!();
    clock.pass();
    expect(started).toEqual(["/b", "/a"]);
  });

  it("is dropped by a session read of the file asked for after the write — not by one asked before, a digest, or a repair check that stopped", () => {
    const { s, clock, started, request } = setup();
    const before = request({ op: "sessionMeta", path: "/a" });
    s.afterWrite("/a");
    before(); // asked for before the write: it may have read the old bytes
    expect(s.waiting()).toEqual(["/a"]);
    request({ op: "fileDigest", path: "/a" })();
    const stopped = { meta: { bytes: 10, file: { size: 99 } } };
    request({ op: "repairCheck", path: "/a", check: { images: false } }, stopped)();
    expect(s.waiting()).toEqual(["/a"]);
    request({ op: "repairCheck", path: "/a", check: { images: false } }, { meta: { bytes: 99, file: { size: 99 } } })();
    expect(s.waiting()).toEqual([]);
    s.afterWrite("/a");
    request({ op: "mayHoldKey", path: "/a", key: "k" })();
    expect(s.waiting()).toEqual([]);
    clock.pass();
    expect(started).toEqual([]);
  });

  it("drops what is pending when the pool closes (nothing runs for a stopped gateway's old workers)", () => {
    const { s, clock, started } = setup();
    s.afterWrite("/a");
    s.closed();
    clock.pass();
    expect(started).toEqual([]);
    expect(s.waiting()).toEqual([]);
  });
});

describe("after OpenClaw wrote a transcript whole (2026.6.9+ rememberWrittenSessionEntries), through the real pool", () => {
  const clock = new ManualClock();
  runtime.idleRereads.useTimers(clock);
  afterAll(() => runtime.idleRereads.useTimers(realTimers));
  beforeEach(() => clock.armed.clear());

  const text = generateTranscript({ seed: 31, targetBytes: 600_000, compactions: 2, branchProbability: 0.1 }).text;
  /** The file with a new header line, as 2026.7.35's header rewrite writes it: not an append. */
  const rewritten = (t: string) => {
    const nl = t.indexOf("\n");
    return `${JSON.stringify({ ...(JSON.parse(t.slice(0, nl)) as object), cwd: "/moved" })}${t.slice(nl)}`;
  };
  /** OpenClaw's write and its follower; no write of ctxc's recorded: OpenClaw's own function runs and its answer is returned. */
  const writeWhole = (path: string, content: string) => {
    writeFileSync(path, content);
    const remembered = { snapshot: undefined, verifiedWrite: false, stableRead: false };
    expect(runtime.handlers.rememberWrittenSessionEntries!(() => remembered, [path, content], {})).toBe(remembered);
  };
  const comparable = (m: object) => ({ ...m, readFrom: 0, index: "none", generation: null });
  // A buffer's meta also counts its session-type records (`sessionRecords`); a meta-only read has no buffer.
  const fresh = (path: string) => {
    const { sessionRecords, ...meta } = decodeSession(encodeSessionBuffer(path)).meta;
    expect(sessionRecords).toBe(1);
    return comparable(meta);
  };

  it("waits while another read is pending, runs once the pool is idle; the session's next read continues its state", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const path = file(text);
    const other = file(text);
    expect((await readSessionMetaAsync(path)).index).toBe("none");
    const content = rewritten(text);
    const pending = readSessionMetaAsync(other); // another session's read, in flight
    writeWhole(path, content);
    expect(runtime.idleRereads.waiting()).toEqual([path]);
    expect(openClawPoolBusy()).toBe(true);
    expect(clock.armed.size).toBe(0); // no window while the other read runs
    await pending;
    expect(openClawPoolBusy()).toBe(false);
    expect(clock.armed.size).toBe(1);
    clock.pass(); // the window passed with the pool idle: the re-read is asked for now
    expect(runtime.idleRereads.waiting()).toEqual([]);
    expect(openClawPoolBusy()).toBe(true);
    // This read is queued behind the re-read on the file's thread: it continues that state, parsing nothing.
    const next = await readSessionMetaAsync(path);
    expect(next.index).toBe("memory");
    expect(next.readFrom).toBe(Buffer.byteLength(content));
    expect(comparable(next)).toEqual(fresh(path));
  });

  it("is not needed when the session is read before the window ends: that read saved the index, and a restart continues from it", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: join(dir, "index-read") });
    const path = file(text);
    await readSessionMetaAsync(path);
    const content = rewritten(text);
    writeWhole(path, content);
    const read = await readSessionMetaAsync(path); // the session's next turn, before any idle window
    // The old state did not pass the append check (the header changed): moved onto the new bytes by a compare
    // (native-free-workers/openclaw/header-rebase.ts), and saved.
    expect(read.index).toBe("rebased");
    expect(runtime.idleRereads.waiting()).toEqual([]);
    clock.pass();
    expect(openClawPoolBusy()).toBe(false); // nothing was asked for
    await closeOpenClawPool(); // the restart
    const restarted = await readSessionMetaAsync(path);
    expect(restarted.index).toBe("disk");
    expect(restarted.readFrom).toBe(Buffer.byteLength(content));
    expect(comparable(restarted)).toEqual(fresh(path));
  });

  it("makes a restart continue from the index when it ran; a gateway stopped with it pending loses only warmth", async () => {
    const index = join(dir, "index-stop");
    await configureOpenClawPool({ threads: 1, indexDir: index });
    const [ran, stopped] = [file(text), file(text)];
    for (const p of [ran, stopped]) await readSessionMetaAsync(p);
    writeWhole(ran, rewritten(text));
    clock.pass();
    await readSessionMetaAsync(file(text)); // waits behind the re-read on the one thread
    writeWhole(stopped, rewritten(text));
    expect(runtime.idleRereads.waiting()).toEqual([stopped]);
    await closeOpenClawPool(); // stopped before the pool was idle for the window
    expect(runtime.idleRereads.waiting()).toEqual([]);
    clock.pass();
    const warm = await readSessionMetaAsync(ran);
    expect(warm.index).toBe("disk");
    expect(comparable(warm)).toEqual(fresh(ran));
    // The saved state is of the bytes before the write: rejected, and the file read whole, as without an index.
    const cold = await readSessionMetaAsync(stopped);
    expect(cold.index).toBe("disk-stale");
    expect(cold.readFrom).toBe(0);
    expect(comparable(cold)).toEqual(fresh(stopped));
    // That read saved the file as it is: the next restart continues from it.
    await closeOpenClawPool();
    expect((await readSessionMetaAsync(stopped)).index).toBe("disk");
  });
});
