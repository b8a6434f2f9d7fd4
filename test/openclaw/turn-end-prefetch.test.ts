/**
 * When the next turn's reads are asked (src/openclaw/turn-end-prefetch.ts): a moment after a session's lock file
 * was closed with none open again; a lock file opened meanwhile puts it off until its own close; two handles of
 * one lock path (a release racing a new acquire) count as open until both are closed; a lock path that is not a
 * transcript's is ignored; an ask that throws stays inside; while an embedded run owns the file (the lock released
 * for the model call), nothing is asked until the owner is released too. Driven by fake timers: no wall-clock assertion.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { forgetTurnEnds, lockFileClosed, lockFileOpened, onTurnEnd, ownerReleased, ownerTaken, SETTLE_MS } from "../../src/openclaw/turn-end-prefetch.js";

const lock = "/state/agents/main/sessions/s1.jsonl.lock";
const file = "/state/agents/main/sessions/s1.jsonl";

describe("turn-end prefetch: when the next turn's reads are asked", () => {
  let asked: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    asked = [];
    onTurnEnd((f) => asked.push(f));
  });
  afterEach(() => {
    forgetTurnEnds();
    onTurnEnd(undefined);
    vi.useRealTimers();
  });

  it("a moment after the lock file is closed, once per quiet moment", () => {
    lockFileOpened(lock);
    vi.advanceTimersByTime(SETTLE_MS * 4);
    expect(asked).toEqual([]); // held: nothing asked while a writer may write
    lockFileClosed(lock);
    vi.advanceTimersByTime(SETTLE_MS - 1);
    expect(asked).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(asked).toEqual([file]);
    vi.advanceTimersByTime(SETTLE_MS * 4);
    expect(asked).toEqual([file]);
  });

  it("a lock file opened again within the moment puts it off until that one is closed", () => {
    lockFileOpened(lock);
    lockFileClosed(lock);
    vi.advanceTimersByTime(SETTLE_MS / 2);
    lockFileOpened(lock); // OpenClaw takes the lock again (the reply's write)
    vi.advanceTimersByTime(SETTLE_MS * 2);
    expect(asked).toEqual([]);
    lockFileClosed(lock);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(asked).toEqual([file]);
  });

  it("two handles of one lock path: asked only after both are closed", () => {
    lockFileOpened(lock);
    lockFileOpened(lock);
    lockFileClosed(lock);
    vi.advanceTimersByTime(SETTLE_MS * 2);
    expect(asked).toEqual([]);
    lockFileClosed(lock);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(asked).toEqual([file]);
  });

  it("other lock files are ignored; an ask that throws stays inside", () => {
    lockFileOpened("/tmp/x.json.lock");
    lockFileClosed("/tmp/x.json.lock");
    vi.advanceTimersByTime(SETTLE_MS * 2);
    expect(asked).toEqual([]);
    onTurnEnd(() => {
      throw new Error("pool closed");
    });
    lockFileOpened(lock);
    lockFileClosed(lock);
    expect(() => vi.advanceTimersByTime(SETTLE_MS)).not.toThrow();
  });

  it("while a run owns the file, a released lock asks nothing; the owner's release does, once the lock is closed", () => {
    ownerTaken(file);
    lockFileOpened(lock);
    lockFileClosed(lock); // released for the model call
    vi.advanceTimersByTime(SETTLE_MS * 4);
    expect(asked).toEqual([]);
    lockFileOpened(lock); // taken again for the reply
    ownerReleased(file); // a run's cleanup may release the owner before the lock
    vi.advanceTimersByTime(SETTLE_MS * 4);
    expect(asked).toEqual([]);
    lockFileClosed(lock);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(asked).toEqual([file]);
    // And the other order: the lock closed first, then the owner released.
    ownerTaken(file);
    lockFileOpened(lock);
    lockFileClosed(lock);
    vi.advanceTimersByTime(SETTLE_MS * 2);
    ownerReleased(file);
    vi.advanceTimersByTime(SETTLE_MS);
    expect(asked).toEqual([file, file]);
  });
});
