/**
 * The sessions a worker keeps warm, bounded by approximate memory: least recently used first out
 * (session/lru.ts). A session a build is reading into is never evicted. An evicted session only costs its
 * next build a cold start.
 */
import { SizeBoundLru } from "./lru.js";
import type { SessionState } from "./session-state.js";

export class SessionCache {
  private readonly lru: SizeBoundLru<SessionState>;

  constructor(maxBytes: number) {
    this.lru = new SizeBoundLru<SessionState>(maxBytes, (s) => s.approxBytes, (s) => s.owner === null);
  }

  get maxBytes(): number {
    return this.lru.maxBytes;
  }
  set maxBytes(bytes: number) {
    this.lru.maxBytes = bytes;
  }

  get evictions(): number {
    return this.lru.evictions;
  }

  get(path: string): SessionState | undefined {
    return this.lru.get(path);
  }

  set(state: SessionState): void {
    this.lru.set(state.path, state);
  }

  delete(path: string): void {
    this.lru.delete(path);
  }

  get bytes(): number {
    return this.lru.bytes;
  }

  get size(): number {
    return this.lru.size;
  }

  /** Evicts idle sessions, oldest use first, until the cache fits `maxBytes`. */
  trim(): void {
    this.lru.trim();
  }
}
