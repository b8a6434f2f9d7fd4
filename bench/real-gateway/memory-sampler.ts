/**
 * The gateway process's memory over a run, as the operating system sees it (Linux /proc): resident set
 * (RSS) every {@link SAMPLE_MS}, and the peak the kernel kept (VmHWM). Why the harness reads it from
 * outside: OpenClaw's own memory diagnostics warn from 1.5 GiB of RSS (`memory pressure: level=warning
 * reason=rss_threshold …`, 2026.6+), ctxc's worker threads, kept reads and entry cache are in the same
 * process, and an operator compares the two modes by these numbers, not by V8's heap. The process's
 * children (none in these runs) are summed in when there are any. Elsewhere than Linux: no samples.
 */
import { readdirSync, readFileSync } from "node:fs";

export const SAMPLE_MS = 500;

/** One gateway run's memory (MiB). */
export interface MemorySummary {
  samples: number;
  /** RSS when every bot was polling (the end of start-up). */
  afterStartupMiB: number;
  /** RSS over the load phase: median and the highest sample. */
  loadP50MiB: number;
  loadMaxMiB: number;
  /** The kernel's peak RSS of the gateway process (VmHWM), read at the last sample. */
  peakMiB: number;
  /** OpenClaw's own `memory pressure:` warnings in the run's log, by level and reason (e.g. `warning:rss_threshold`; log-parse.ts). */
  pressureLines: Record<string, number>;
}

const MIB = 1024 * 1024;

/** VmRSS and VmHWM of `pid` in bytes; undefined when it is gone or there is no /proc. */
function statusOf(pid: number): { rss: number; hwm: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(/^(\w+):\s+(\d+) kB$/m.exec(text.slice(text.indexOf(`${key}:`)))?.[2] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** The pids whose parent is `pid` (one /proc walk). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Field 4 (ppid) follows the command in parentheses, which may itself hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Samples `pid` (and its children) until stopped; `mark*` note the phase boundaries. */
export class MemorySampler {
  private readonly rss: { at: number; bytes: number }[] = [];
  private hwm = NaN;
  private timer: NodeJS.Timeout;
  private startupEnd = NaN;
  private loadStart = NaN;
  private loadEnd = NaN;
  private childScanAt = 0;
  private children: number[] = [];

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  private sample(): void {
    const own = statusOf(this.pid);
    // Gone, or exiting (a zombie's status has no Vm* lines).
    if (!own || !Number.isFinite(own.rss)) return;
    const now = Date.now();
    // Children are looked for every 10 s: a /proc walk is ~1 ms, the gateway spawns none in these runs.
    if (now - this.childScanAt >= 10_000) {
      this.childScanAt = now;
      this.children = childrenOf(this.pid);
    }
    let bytes = own.rss;
    for (const c of this.children) bytes += statusOf(c)?.rss ?? 0;
    this.rss.push({ at: now, bytes });
    if (Number.isFinite(own.hwm)) this.hwm = own.hwm;
  }

  /** Every bot is polling: start-up is over and the load begins. */
  markLoadStart(): void {
    this.sample();
    this.startupEnd = this.rss.at(-1)?.bytes ?? NaN;
    this.loadStart = Date.now();
  }

  /** The load phase is over (before the stop). */
  markLoadEnd(): void {
    this.sample();
    this.loadEnd = Date.now();
  }

  /** Stops sampling; the summary of what was seen, with `pressure` from the run's log. */
  stop(pressure: Record<string, number>): MemorySummary {
    clearInterval(this.timer);
    const load = this.rss.filter((s) => s.at >= this.loadStart && s.at <= this.loadEnd).map((s) => s.bytes).sort((a, b) => a - b);
    const mib = (b: number) => Math.round((b / MIB) * 10) / 10;
    return {
      samples: this.rss.length,
      afterStartupMiB: mib(this.startupEnd),
      loadP50MiB: mib(load.length ? load[Math.floor((load.length - 1) / 2)]! : NaN),
      loadMaxMiB: mib(load.length ? load[load.length - 1]! : NaN),
      peakMiB: mib(this.hwm),
      pressureLines: pressure,
    };
  }
}
