/**
 * A `Map` whose entries can be handed to another holder in O(1) (issue #11 item 3: the served
 * `setLoadedSessionFile` gives each load the index it continued — up to twice a turn — without copying maps
 * that grow with the file; release/loaded-index.ts).
 *
 * Layout. Entries live in a shared append-only {@link Store} (slot i: keys[i] → vals[i]; `idx`: key → slot).
 * A map sees the store's first `n` slots (its prefix) plus its own overlay: values it changed for prefix keys,
 * prefix keys it deleted, and keys it added past the prefix (in a real `Map`, in insertion order). Only the
 * store's owner, while it sees the whole store and has added nothing past it, appends to the store; every
 * other change goes to the changer's overlay. So {@link fork} (a second map seeing the same entries, a copy of
 * the overlay) never shows either map the other's later changes, and a store slot, once written, is never
 * rewritten. An overlay past a quarter of the map's size (and 64) is flattened into a store of its own
 * (amortised O(1) per change).
 *
 * Every `Map` operation OpenClaw's SessionManager uses behaves as a real `Map`'s (the differential test
 * test/release-layered-map.test.ts): get/has/set/delete/clear/size, iteration order (a re-set key keeps its
 * place, a deleted then re-set key goes last), forEach/entries/keys/values/spread, `instanceof Map`. What
 * differs from a real `Map`: the built-in `Map.prototype` methods called on it directly (and structuredClone)
 * see an empty map (its entries are not in the internal slots), and its iterators are generators.
 */

/** The shared append-only entries (see the file comment). */
class Store<K, V> {
  readonly keys: K[] = [];
  readonly vals: V[] = [];
  readonly idx = new Map<K, number>();
  constructor(public owner: LayeredMap<K, V> | null) {}
}

const FLATTEN_MIN = 64;

export class LayeredMap<K, V> extends Map<K, V> {
  #s: Store<K, V> = new Store<K, V>(this);
  #n = 0;
  #changed: Map<K, V> | null = null;
  #deleted: Set<K> | null = null;
  #added: Map<K, V> | null = null;

  /** A map of `from`'s entries in its order (O(size)). */
  static of<K, V>(from: Iterable<readonly [K, V]>): LayeredMap<K, V> {
    const m = new LayeredMap<K, V>();
    if (from instanceof Map && !(from instanceof LayeredMap)) {
      // A real Map's keys are distinct (and -0 already +0): straight into the store (a record of a 28 MB index).
      const s = m.#s;
      from.forEach((v: V, k: K) => {
        s.idx.set(k, s.keys.length);
        s.keys.push(k);
        s.vals.push(v);
      });
      m.#n = s.keys.length;
    } else for (const [k, v] of from) m.set(k, v);
    return m;
  }

  /** A new map with this one's entries in this one's order, changed independently from now on (O(overlay)). */
  fork(): LayeredMap<K, V> {
    const m = new LayeredMap<K, V>();
    m.adopt(this);
    return m;
  }

  /** Makes this map hold `from`'s entries in `from`'s order, as `clear()` then setting each would (O(`from`'s overlay)). */
  adopt(from: LayeredMap<K, V>): void {
    if (from === this) return;
    this.#s = from.#s;
    this.#n = from.#n;
    this.#changed = from.#changed && from.#changed.size ? new Map(from.#changed) : null;
    this.#deleted = from.#deleted && from.#deleted.size ? new Set(from.#deleted) : null;
    this.#added = from.#added && from.#added.size ? new Map(from.#added) : null;
  }

  /** The slot of prefix key `k`, or -1. */
  #slot(k: K): number {
    const i = this.#s.idx.get(k);
    return i !== undefined && i < this.#n ? i : -1;
  }

  override has(k: K): boolean {
    if (this.#added?.has(k)) return true;
    if (this.#deleted?.has(k)) return false;
    return this.#slot(k) >= 0;
  }

  override get(k: K): V | undefined {
    if (this.#added) {
      const v = this.#added.get(k);
      if (v !== undefined || this.#added.has(k)) return v;
    }
    if (this.#deleted?.has(k)) return undefined;
    const i = this.#slot(k);
    if (i < 0) return undefined;
    return this.#changed?.has(k) ? this.#changed.get(k) : this.#s.vals[i];
  }

  override set(key: K, v: V): this {
    const k = (key === 0 ? 0 : key) as K; // a Map keeps -0 as +0
    const s = this.#s;
    const i = this.#added?.has(k) ? -1 : s.idx.get(k); // one lookup: a record's first fold is all new keys
    if (i === -1) this.#added!.set(k, v);
    else if (i !== undefined && i < this.#n && !this.#deleted?.has(k)) (this.#changed ??= new Map()).set(k, v);
    else if (i === undefined && s.owner === this && this.#n === s.keys.length && !this.#added?.size) {
      // The owner at the store's end: a new key is the store's next slot.
      s.idx.set(k, s.keys.length);
      s.keys.push(k);
      s.vals.push(v);
      this.#n++;
      return this;
    } else (this.#added ??= new Map()).set(k, v);
    this.#flattenIfLarge();
    return this;
  }

  override delete(k: K): boolean {
    if (this.#added?.delete(k)) return true; // a deleted-then-re-set prefix key stays deleted in the prefix
    if (this.#deleted?.has(k) || this.#slot(k) < 0) return false;
    (this.#deleted ??= new Set()).add(k);
    this.#changed?.delete(k);
    this.#flattenIfLarge();
    return true;
  }

  override clear(): void {
    this.#s = new Store<K, V>(this);
    this.#n = 0;
    this.#changed = this.#deleted = this.#added = null;
  }

  override get size(): number {
    return this.#n - (this.#deleted?.size ?? 0) + (this.#added?.size ?? 0);
  }

  override *entries(): MapIterator<[K, V]> {
    const s = this.#s;
    // Read live, as a Map iterator sees changes made while it runs (a clear() ends it).
    for (let i = 0; i < this.#n && this.#s === s; i++) {
      const k = s.keys[i]!;
      if (this.#deleted?.has(k)) continue;
      yield [k, this.#changed?.has(k) ? this.#changed.get(k)! : s.vals[i]!];
    }
    if (this.#s !== s) return;
    const added = this.#added;
    if (added) for (const e of added) yield e;
  }

  override *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  override *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  override forEach(cb: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }

  /** Flattens a large overlay into a store this map owns (O(size), at most once per size/4 changes). */
  #flattenIfLarge(): void {
    const over = (this.#changed?.size ?? 0) + (this.#deleted?.size ?? 0) + (this.#added?.size ?? 0);
    if (over < FLATTEN_MIN || over * 4 < this.#n) return;
    const s = new Store<K, V>(this);
    for (const [k, v] of this.entries()) {
      s.idx.set(k, s.keys.length);
      s.keys.push(k);
      s.vals.push(v);
    }
    this.#s = s;
    this.#n = s.keys.length;
    this.#changed = this.#deleted = this.#added = null;
  }
}
