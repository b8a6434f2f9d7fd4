import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { threadWaitMs } from "../../src/openclaw/thread-wait.js";

/** This thread's schedstat fields: ns on a CPU, ns runnable but waiting for one, times scheduled. */
const schedstat = () => readFileSync("/proc/thread-self/schedstat", "latin1").trim().split(" ").map(Number);

describe("threadWaitMs (the calling thread's waits for a core, /proc schedstat)", () => {
  it.runIf(existsSync("/proc/thread-self/schedstat"))("Linux: the run delay (schedstat's second field) of this thread, in ms, read between two raw reads", () => {
    for (let i = 0; i < 50; i++) {
      const before = schedstat();
      const ms = threadWaitMs();
      const after = schedstat();
      expect(before).toHaveLength(3);
      expect(ms).toBeGreaterThanOrEqual(before[1]! / 1e6);
      expect(ms).toBeLessThanOrEqual(after[1]! / 1e6);
    }
  });

  it("a finite count that never goes back (0 where /proc has no schedstat)", () => {
    const a = threadWaitMs();
    let x = 0;
    for (let i = 0; i < 1e6; i++) x += i % 7;
    const b = threadWaitMs();
    expect(x).toBeGreaterThan(0);
    expect(Number.isFinite(a) && a >= 0).toBe(true);
    expect(b).toBeGreaterThanOrEqual(a);
    if (!existsSync("/proc/thread-self/schedstat")) expect([a, b]).toEqual([0, 0]);
  });
});
