/**
 * Event-loop delay, measured two ways: our own interval timer (how late each tick fires: the delay any
 * timer, poll or socket callback of the gateway suffers at that moment, kept with its timestamp for the
 * over-time chart) and Node's monitorEventLoopDelay histogram as a cross-check. Also samples RSS.
 * Pausable, so set-up work between measured rounds (starting a fresh compiler) is not counted.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { round, summarize, type Summary } from "../lib/stats.js";

export interface LoopDelayStats {
  /** Our interval timer: lateness of each tick (ms). */
  timer: Summary;
  /** monitorEventLoopDelay (10 ms resolution), ms. */
  histogram: { p50: number; p99: number; max: number; count: number };
  /** Ticks delayed >= 1 s (OpenClaw's liveness sampler warns at this level). */
  stallsOver1s: number;
}

export class LoopMonitor {
  private timer: NodeJS.Timeout | null = null;
  private expected = 0;
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  /** [time since start (ms), delay (ms)] while running. */
  readonly samples: [number, number][] = [];
  private readonly origin = performance.now();
  peakRss = 0;
  private tick = 0;

  constructor(private readonly intervalMs = 5) {}

  resume(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.expected = performance.now() + this.intervalMs;
    this.timer = setInterval(() => {
      const t = performance.now();
      this.samples.push([round(t - this.origin, 1), round(Math.max(0, t - this.expected), 2)]);
      this.expected = t + this.intervalMs;
      if (++this.tick % 4 === 0) this.sampleRss();
    }, this.intervalMs);
  }

  pause(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.histogram.disable();
  }

  sampleRss(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }

  stats(): LoopDelayStats {
    const delays = this.samples.map((s) => s[1]);
    const h = this.histogram;
    const ms = (ns: number) => round(ns / 1e6, 2);
    return {
      timer: summarize(delays),
      histogram: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), count: h.count },
      stallsOver1s: delays.filter((d) => d >= 1000).length,
    };
  }
}
