/**
 * Smoke test of the benchmark machinery (no timing assertions: speed is reported by `npm run bench`,
 * never asserted in unit tests). Runs the gateway scenario for a few seconds on a 1 MB transcript with
 * two agents, every mode, and checks that each part produced the numbers the report needs, and that
 * the report renders from them.
 */
import { describe, expect, it } from "vitest";
import { runSuite } from "../../bench/suite.js";
import { renderCharts, renderMarkdown } from "../../bench/report/markdown.js";
import { MODES } from "../../bench/gateway/scenario.js";
import { HANG_MS } from "../support/hang-guard.js";

const summaryShape = { count: expect.any(Number), p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number), mean: expect.any(Number) };

describe("benchmark scenario (smoke)", () => {
  it("runs baseline, ctxc cold and ctxc warm on a 1 MB transcript and reports every measure", async () => {
    const results = await runSuite({
      suite: "quick",
      micro: false,
      log: () => {},
      scenarios: [
        {
          name: "smoke 1 MB × 2 agents",
          transcriptMB: 1,
          agents: 2,
          threads: 1,
          budget: 120_000,
          rounds: { baseline: 1, ctxcCold: 1, ctxcWarm: 2 },
          keepSeries: true,
          measureMainThread: { baseline: 1, cold: 1, warm: 2 },
        },
      ],
    });
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
    expect(results.scenarios).toHaveLength(1);
    const s = results.scenarios[0]!;
    expect(s.config.transcriptBytes).toBeGreaterThan(900_000);
    for (const mode of MODES) {
      const p = s.phases[mode]!;
      expect(p.errors).toEqual([]);
      // Every released update was handled and its dispatch reached the model endpoint.
      expect(p.builds).toBe(p.rounds * 2);
      expect(p.updateToDispatch.count).toBe(p.builds);
      expect(p.updateToDispatch).toMatchObject(summaryShape);
      // Every mode's priming round (not measured) is reported apart: one update per agent.
      expect(p.primingUpdateToDispatch).toMatchObject({ ...summaryShape, count: 2 });
      expect(p.loopDelay.timer.count).toBeGreaterThan(0);
      expect(p.loopDelay.histogram).toMatchObject({ p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) });
      expect(p.pollTurnaround.count).toBeGreaterThan(0);
      expect(p.peakRssMB).toBeGreaterThan(0);
      expect(p.series!.length).toBeGreaterThan(0);
      expect(s.mainThread[mode]!.wallMs.count).toBeGreaterThan(0);
    }
    // The modes really are what they claim: the baseline reparses, cold builds are first builds, warm ones follow an append.
    expect(s.phases.baseline!.buildKinds).toEqual({ full: 2 });
    expect(s.phases.ctxcCold!.buildKinds).toEqual({ cold: 2 });
    expect(s.phases.ctxcWarm!.buildKinds).toEqual({ warm: 4 });
    expect(s.mainThread.ctxcWarm!.tokensCounted).toBeLessThan(s.mainThread.ctxcCold!.tokensCounted);

    const charts = renderCharts(results);
    expect(charts.loopDelay).toContain("<svg");
    const md = renderMarkdown(results, charts);
    expect(md).toContain("smoke 1 MB × 2 agents");
    expect(md).toContain(results.machine.cpuModel);
  }, HANG_MS);
});
