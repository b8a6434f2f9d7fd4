/**
 * The one LRU both kinds of kept reads use (the compiler's session states, session-cache.ts; the OpenClaw
 * session reads, openclaw/session-buffer.ts): values by path, bounded by the sum of a size measure, least
 * recently used evicted first. An evicted value only costs its next read a cold start.
 */

/** A value that remembers when it was last used (set by the cache). */
export interface LruValue {
  lastUsed: number;
}

export class SizeBoundLru<V extends LruValue> {
  private readonly values = new Map<string, V>();
  /** Values evicted so far. */
  evictions = 0;

  /**
   * `sizeOf`: the bytes a value holds; `evictable`: whether a value may go now (e.g. not while a build
   * reads into it).
   */
  constructor(
    public maxBytes: number,
    private readonly sizeOf: (value: V) => number,
    private readonly evictable: (value: V) => boolean = () => true,
  ) {}

  /** The value, marked as just used. */
  get(key: string): V | undefined {
    const value = this.values.get(key);
    if (value) value.lastUsed = performance.now();
    return value;
  }

  /** Adds or replaces `key`, marked as just used. */
  set(key: string, value: V): void {
    value.lastUsed = performance.now();
    this.values.set(key, value);
  }

  /** Removes and returns the value (the caller owns it until it puts it back). */
  take(key: string): V | undefined {
    const value = this.values.get(key);
    this.values.delete(key);
    return value;
  }

  delete(key: string): void {
    this.values.delete(key);
  }

  get size(): number {
    return this.values.size;
  }

  get bytes(): number {
    let total = 0;
    for (const value of this.values.values()) total += this.sizeOf(value);
    return total;
  }

  /** Evicts evictable values, least recently used first, until the total fits `maxBytes`; never `keep`. */
  trim(keep?: string): void {
    let total = this.bytes;
    if (total <= this.maxBytes) return;
    const candidates = [...this.values].filter(([k, v]) => k !== keep && this.evictable(v)).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, value] of candidates) {
      if (total <= this.maxBytes) break;
      total -= this.sizeOf(value);
      this.values.delete(key);
      this.evictions++;
    }
  }
}
