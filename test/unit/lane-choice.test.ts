import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { leastBusyLane } from "../../src/lane-choice.js";
import { createCompiler } from "../../src/index.js";
import { defaultThreads } from "../../src/compiler.js";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("lane-choice");
const lane = (name: string, load: number, sessions: number) => ({ name, load, sessions: { size: sessions } });

describe("leastBusyLane (where a session no lane holds goes)", () => {
  it("takes the lane with the fewest builds waiting or running, whatever the sessions it holds", () => {
    expect(leastBusyLane([lane("a", 1, 0), lane("b", 0, 9)]).name).toBe("b");
    expect(leastBusyLane([lane("a", 3, 1), lane("b", 2, 5), lane("c", 2, 7)]).name).toBe("b");
  });

  it("breaks a tie by the sessions held, then by order", () => {
    expect(leastBusyLane([lane("a", 0, 2), lane("b", 0, 1)]).name).toBe("b");
    expect(leastBusyLane([lane("a", 1, 1), lane("b", 1, 1)]).name).toBe("a");
  });

  it("a compiler without a threads option has cores − 1 lanes, but at least 2", async () => {
    expect([1, 2, 3, 4, 5, 8, 64].map((cores) => defaultThreads(cores))).toEqual([2, 2, 2, 3, 4, 7, 63]);
    const compiler = createCompiler();
    try {
      expect(compiler.stats().threads).toBe(defaultThreads(availableParallelism()));
    } finally {
      await compiler.close();
    }
  });

  it("five sessions going cold at once on 3 lanes: three run at once, one per lane; two wait", async () => {
    const files = Array.from({ length: 5 }, (_, i) => {
      const path = join(dir, `agent-${i}.jsonl`);
      writeFileSync(path, generateTranscript({ seed: 40 + i, entries: 30 }).text);
      return path;
    });
    const compiler = createCompiler({ threads: 3 });
    try {
      // build() places its job synchronously (before its first await): the counts below are the
      // placement of all five, before any of them could finish. Two on one lane while another lane is
      // idle would show as running 2.
      const builds = files.map((transcript, i) => compiler.build({ transcript, agentId: `agent-${i}`, budget: 120_000 }));
      expect(compiler.stats()).toMatchObject({ threads: 3, running: 3, queued: 2 });
      const contexts = await Promise.all(builds);
      for (const ctx of contexts) expect(ctx.meta.build.rebuilt).toBe("cold");
      expect(compiler.stats()).toMatchObject({ running: 0, queued: 0, builds: { cold: 5, failed: 0 } });
    } finally {
      await compiler.close();
    }
  });
});
