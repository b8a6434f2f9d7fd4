/**
 * The real-gateway harness's memory readings (bench/real-gateway/memory-sampler.ts) and OpenClaw's own
 * memory-pressure lines (log-parse.ts): what the operator-facing memory table is made of.
 */
import { describe, expect, it } from "vitest";
import { parseGatewayLog } from "../../bench/real-gateway/log-parse.js";
import { MemorySampler } from "../../bench/real-gateway/memory-sampler.js";

const record = (message: string, level = "WARN") => JSON.stringify({ 0: '{"subsystem":"gateway/diagnostics/memory"}', 1: message, _meta: { logLevelName: level, date: "2026-12-06T20:00:00.000Z" } });

describe("memory readings", () => {
  it("counts OpenClaw's memory-pressure lines by level and reason, and nothing else", () => {
    const log = [
      record("memory pressure: level=warning reason=rss_threshold rss=1.74 GiB heap=393.8 MiB threshold=1.5 GiB"),
      record("memory pressure: level=warning reason=rss_threshold rss=1.80 GiB"),
      record("memory pressure: level=critical reason=rss_growth rssGrowthBytes=900000000", "ERROR"),
      record("lane wait exceeded: lane=main waitedMs=5452"),
    ].join("\n");
    expect(parseGatewayLog(log).memoryPressure).toEqual({ "warning:rss_threshold": 2, "critical:rss_growth": 1 });
    expect(parseGatewayLog(record("lane wait exceeded")).memoryPressure).toEqual({});
  });

  it.runIf(process.platform === "linux")("samples a live process's RSS from /proc: the load's median within its peak, the load's extra memory seen", async () => {
    const sampler = new MemorySampler(process.pid);
    sampler.markLoadStart();
    const held = Buffer.alloc(64 * 1024 * 1024, 1); // touched: resident
    await new Promise((r) => setTimeout(r, 1200));
    sampler.markLoadEnd();
    const m = sampler.stop({ "warning:rss_threshold": 1 });
    expect(held[held.length - 1]).toBe(1);
    expect(m.samples).toBeGreaterThanOrEqual(3);
    expect(m.afterStartupMiB).toBeGreaterThan(0);
    expect(m.loadMaxMiB).toBeGreaterThanOrEqual(m.afterStartupMiB + 60);
    expect(m.loadP50MiB).toBeLessThanOrEqual(m.loadMaxMiB);
    expect(m.peakMiB).toBeGreaterThanOrEqual(m.loadMaxMiB);
    expect(m.pressureLines).toEqual({ "warning:rss_threshold": 1 });
  });

  it("gives no numbers for a process that is not there", () => {
    const m = new MemorySampler(2 ** 22 + 12345).stop({});
    expect(m.samples).toBe(0);
    expect(Number.isNaN(m.loadP50MiB)).toBe(true);
  });
});
