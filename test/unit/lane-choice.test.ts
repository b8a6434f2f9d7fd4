import { describe, expect, it } from "vitest";
import { leastBusyLane } from "../../src/lane-choice.js";
import { createCompiler } from "../../src/index.js";

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

  it("a compiler without a threads option has at least two lanes", async () => {
    const compiler = createCompiler();
    try {
      expect(compiler.stats().threads).toBeGreaterThanOrEqual(2);
    } finally {
      await compiler.close();
    }
  });
});
