/**
 * Per-handler self time of the preload's handlers in an in-process bench (bench/openclaw-turns.ts): each
 * call's synchronous time minus what ran inside it in OpenClaw's functions the handler calls (the
 * `original` it is handed, and methods named with {@link SelfTimes.wrapOpenClaw}) and in other handlers
 * (the usual self-time stack: an inner timed call's whole time is taken out of the one around it). A
 * handler that returns a promise is timed up to its return only (its continuation is not attributed: a
 * bench times such calls whole, e.g. the digests' event-loop utilisation). Turns are closed with
 * {@link SelfTimes.endTurn}.
 */
import { median } from "./stats.js";
import { hasThreadCpu, threadCpuMs } from "./thread-cpu.js";

type Fn = (...a: unknown[]) => unknown;

export interface SelfTimeRow {
  name: string;
  /** Self ms in the first turn. */
  first: number;
  /** Median self ms over the later turns. */
  later: number;
  /** Median calls per later turn. */
  calls: number;
}

export class SelfTimes {
  /** Time of timed calls finished inside the one running now (taken out of its self time). */
  private inner = 0;
  private turn = new Map<string, { ms: number; calls: number }>();
  private turns: Map<string, { ms: number; calls: number }>[] = [];

  /** `fn` timed: its self time added to `name` (unless `name` is undefined: OpenClaw's, only excluded). */
  private timed(name: string | undefined, fn: Fn, self: unknown, args: unknown[]): unknown {
    const outer = this.inner;
    this.inner = 0;
    const t0 = performance.now();
    try {
      return fn.apply(self, args);
    } finally {
      const ms = performance.now() - t0;
      if (name !== undefined) {
        const row = this.turn.get(name) ?? { ms: 0, calls: 0 };
        row.ms += ms - this.inner;
        row.calls++;
        this.turn.set(name, row);
      }
      this.inner = outer + ms;
    }
  }

  /** Replaces each handler of `table` by a timed one whose `original` is timed as OpenClaw's; returns the undo. */
  wrapHandlers(table: Record<string, Fn>): () => void {
    const saved = { ...table };
    for (const [name, handler] of Object.entries(saved)) {
      const times = this;
      table[name] = function (this: unknown, ...args: unknown[]) {
        const original = args[0];
        if (typeof original === "function") {
          args[0] = function (this: unknown, ...x: unknown[]) {
            return times.timed(undefined, original as Fn, this, x);
          };
        }
        return times.timed(name, handler, this, args);
      };
    }
    return () => Object.assign(table, saved);
  }

  /**
   * Times `names` of `target` (OpenClaw's methods) as OpenClaw's: excluded from the handlers around them.
   * `each`, when given, hears every call's wall ms and main-thread CPU ms (NaN without a per-thread clock).
   */
  wrapOpenClaw(target: Record<string, Fn>, names: string[], each?: (name: string, wallMs: number, cpuMs: number) => void): () => void {
    const saved = names.map((n) => [n, target[n]!] as const);
    const times = this;
    for (const [name, fn] of saved) {
      target[name] = function (this: unknown, ...args: unknown[]) {
        if (!each) return times.timed(undefined, fn, this, args);
        const c0 = hasThreadCpu ? threadCpuMs() : 0;
        const t0 = performance.now();
        try {
          return times.timed(undefined, fn, this, args);
        } finally {
          each(name, performance.now() - t0, hasThreadCpu ? threadCpuMs() - c0 : Number.NaN);
        }
      };
    }
    return () => {
      for (const [name, fn] of saved) target[name] = fn;
    };
  }

  /** Closes the current turn. */
  endTurn(): void {
    this.turns.push(this.turn);
    this.turn = new Map();
  }

  /** Forgets the calls since the last turn closed (work before the first turn, e.g. a warm-up). */
  discardTurn(): void {
    this.turn = new Map();
  }

  /** Per handler seen: first turn, median of the later ones (0 where a turn did not call it). */
  rows(): SelfTimeRow[] {
    const names = [...new Set(this.turns.flatMap((t) => [...t.keys()]))];
    const later = this.turns.slice(1);
    if (later.length === 0) return [];
    return names
      .map((name) => ({
        name,
        first: this.turns[0]?.get(name)?.ms ?? 0,
        later: median(later.map((t) => t.get(name)?.ms ?? 0)),
        calls: median(later.map((t) => t.get(name)?.calls ?? 0)),
      }))
      .sort((a, b) => b.later - a.later);
  }
}
