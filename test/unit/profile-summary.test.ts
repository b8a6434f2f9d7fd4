/**
 * bench/real-gateway/profile-summary.ts: main-thread samples are charged once, to the first category
 * (in CATEGORIES order) found anywhere on their stack, inside the requested time window.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { summarizeProfile } from "../../bench/real-gateway/profile-summary.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("profile-summary");

/** A profile: (root) → runEmbeddedAttempt → repairSessionFileIfNeeded → loadPluginMetadataSnapshot, plus idle and GC. */
function profile(samples: number[], deltasUs: number[]): string {
  const frame = (functionName: string) => ({ functionName, scriptId: "0", url: "", lineNumber: 0, columnNumber: 0 });
  const p = {
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2, 5, 6] },
      { id: 2, callFrame: frame("runEmbeddedAttempt"), children: [3] },
      { id: 3, callFrame: frame("repairSessionFileIfNeeded"), children: [4] },
      { id: 4, callFrame: frame("loadPluginMetadataSnapshot"), children: [] },
      { id: 5, callFrame: frame("(idle)"), children: [] },
      { id: 6, callFrame: frame("(garbage collector)"), children: [] },
    ],
    startTime: 0,
    endTime: deltasUs.reduce((a, b) => a + b, 0),
    samples,
    timeDeltas: deltasUs,
  };
  const path = join(dir, `p${samples.length}-${deltasUs[0]}.cpuprofile`);
  writeFileSync(path, JSON.stringify(p));
  return path;
}

describe("profile summary", () => {
  it("charges nested work to the first category on the stack, and the rest to other", () => {
    // Each sample lasts until the next one: 10 ms apart.
    const path = profile([2, 3, 4, 5, 6, 5], [0, 10_000, 10_000, 10_000, 10_000, 10_000]);
    const s = summarizeProfile(path);
    const transcript = Object.keys(s.ms).find((k) => k.startsWith("transcript: OpenClaw"))!;
    // Node 4 (plugin scan) runs inside the repair pass: the transcript category comes first in the order.
    expect(s.ms[transcript]).toBe(20);
    expect(s.ms.other).toBe(10);
    expect(s.ms.idle).toBe(10);
    expect(s.ms["garbage collector"]).toBe(10);
    expect(s.windowMs).toBe(50);
    expect(s.busyShare).toBeCloseTo(0.8);
  });

  it("keeps only the samples inside the window", () => {
    const path = profile([2, 3, 5, 5, 4], [0, 100_000, 100_000, 100_000, 100_000]);
    const s = summarizeProfile(path, 150, 350);
    expect(s.windowMs).toBe(200);
    expect(s.ms.idle).toBe(200);
  });
});
