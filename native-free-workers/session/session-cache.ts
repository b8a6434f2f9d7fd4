/**
 * The sessions a worker keeps warm, bounded by approximate memory: least recently used first out.
 * An evicted session only costs its next build a cold start.
 */
import type { SessionState } from "./session-state.js";

export class SessionCache {
  private readonly sessions = new Map<string, SessionState>();
  evictions = 0;

  constructor(public maxBytes: number) {}

  get(path: string): SessionState | undefined {
    const state = this.sessions.get(path);
    if (state) state.lastUsed = performance.now();
    return state;
  }

  set(state: SessionState): void {
    state.lastUsed = performance.now();
    this.sessions.set(state.path, state);
  }

  delete(path: string): void {
    this.sessions.delete(path);
  }

  get bytes(): number {
    let total = 0;
    for (const s of this.sessions.values()) total += s.approxBytes;
    return total;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Evicts idle sessions, oldest use first, until the cache fits `maxBytes`. */
  trim(): void {
    let total = this.bytes;
    if (total <= this.maxBytes) return;
    const idle = [...this.sessions.values()].filter((s) => s.owner === null).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const state of idle) {
      if (total <= this.maxBytes) break;
      total -= state.approxBytes;
      this.sessions.delete(state.path);
      this.evictions++;
    }
  }
}
