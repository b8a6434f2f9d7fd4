/**
 * Fresh transcript entries that decode on use (issue #11 item 3, OpenClaw 2026.5.28–6.8; 2026.5.12 builds its
 * entries from the worker's bytes instead, with the same rules: buffer-entries.ts):
 * each turn's open gets NEW plain objects — the caller owns and may mutate them, as it owns stock's
 * `JSON.parse` results — built from the entries kept between turns (entry-cache.ts: deep-frozen, shared),
 * at the cost of one small object per entry instead of a parse of every line.
 *
 * A fresh entry has the kept entry's own properties in the same order. Scalar values are plain data
 * properties (strings are immutable: sharing them is invisible). Object- and array-valued fields
 * (`message`, `data`, `details`, …) are own enumerable configurable accessors: the first get makes a
 * fresh copy of the kept value — lazy in the same way, one level at a time (an array's elements likewise)
 * — and replaces the accessor with a writable data property holding it; a set before any get just defines
 * the data property. So `JSON.stringify`, `Object.keys`, spread, `structuredClone`, `in` and deep equality
 * see what they see on stock's object, a change lives only in this open's object, and the next open copies
 * again from the frozen kept value.
 *
 * Why one level at a time: pi's `buildSessionContext` reads `entry.message.role` of EVERY message on the
 * active path (root to leaf, before the latest compaction too) to find the model, then hands on only the
 * messages from the compaction's kept tail on. Copying a whole message on that read would copy nearly
 * the whole transcript each turn; copying its top level copies a few scalars, and the content, usage,
 * tool arguments of a message are copied only when something reads them (the model request, for the
 * context's messages). Entries off the active path are never copied.
 *
 * Differences only introspection shows, until the field is first read: `Object.getOwnPropertyDescriptor`
 * reports an accessor, and an entry frozen or sealed by its holder keeps the accessor (it still returns one
 * copy, the same each time; a sealed entry still takes assignments, a frozen one throws a TypeError as a
 * strict-mode assignment to a frozen stock entry does).
 *
 * Speed: the objects come from entry-factory.ts's factories (one per key layout, shared with
 * buffer-entries.ts): fast-mode objects whose lazy fields share one accessor pair per layout, the kept
 * entry stamped into a private field. (Before, this file compiled object literals with `get`/`set`
 * in them, believed faster than `Object.defineProperty`; it was the other way round — every entry a
 * dictionary-mode object — see docs/openclaw.md §5.) Layouts with more than {@link MAX_FACTORY_KEYS}
 * keys or a `__proto__` key, and those past entry-factory.ts's MAX_FACTORIES, get an eager deep copy.
 */
import { EntryFactories, lazyStats, type Factory } from "./entry-factory.js";

export { lazyStats } from "./entry-factory.js";

/** Keys per layout compiled into a factory; a larger entry is copied eagerly. */
export const MAX_FACTORY_KEYS = 64;

type Plain = Record<string, unknown>;

/** A deep, mutable copy of a JSON value (`JSON.parse` result): plain objects and arrays, same key order. */
export function cloneJson<T>(value: T): T {
  return copyJson(value, false);
}

/**
 * A fresh copy of the kept JSON value that is itself lazy: a plain object comes from its layout's factory
 * (its object fields copied on their first get, level by level; an all-scalar one in one literal), an array is copied
 * with each element so, a scalar is itself. So reading `entry.message.role` (pi's `buildSessionContext`
 * does, for every message on the path, to find the model) copies the message's scalars, not its content.
 */
export function lazyCopy<T>(value: T): T {
  return copyJson(value, true);
}

/**
 * {@link cloneJson} (`lazy` false) or {@link lazyCopy}: arrays, and objects without a factory, copied member
 * by member with an explicit stack instead of recursion. Why: `JSON.parse` does not recurse, so stock hands
 * out a value nested thousands deep that its caller reads without trouble; a recursive copy would throw a
 * RangeError at that caller's property read (a lazy field) where stock's plain property cannot — seen with
 * a 6,000-deep array under a `__proto__` key (test/matrix/hostile.test.ts). Most values meet no nesting the
 * factories do not take, so the stack is only made when one does.
 */
function copyJson<T>(value: T, lazy: boolean): T {
  if (typeof value !== "object" || value === null) return value;
  // Sources with the fresh container each is copied into, waiting for their members.
  let pending: [object, unknown[] | Plain][] | undefined;
  const shell = (v: object): unknown => {
    if (lazy && !Array.isArray(v)) {
      const factory = factoryFor(v as Plain);
      if (factory) return factory(v as Plain, 0, 0);
    }
    const out: unknown[] | Plain = Array.isArray(v) ? new Array<unknown>(v.length) : {};
    (pending ??= []).push([v, out]);
    return out;
  };
  const root = shell(value);
  while (pending !== undefined && pending.length > 0) {
    const [from, to] = pending.pop()!;
    if (Array.isArray(from)) {
      const n = from.length;
      for (let i = 0; i < n; i++) {
        const v: unknown = from[i];
        (to as unknown[])[i] = typeof v === "object" && v !== null ? shell(v) : v;
      }
      continue;
    }
    // Own keys only (a for-in would also copy what someone made enumerable on Object.prototype).
    for (const key of Object.keys(from)) {
      const v = (from as Plain)[key];
      const copy = typeof v === "object" && v !== null ? shell(v) : v;
      // `JSON.parse` makes "__proto__" an own data property; an assignment would set the prototype instead.
      if (key === "__proto__") Object.defineProperty(to, key, { value: copy, writable: true, enumerable: true, configurable: true });
      else (to as Plain)[key] = copy;
    }
  }
  return root as T;
}

/** A kept entry's fields: scalars read as they are (immutable), object fields copied lazily on first get. */
const factories = new EntryFactories<Plain>({
  scalarCode: (_i, key) => `s[${key}]`,
  scalar: (kept, _b, _p, _i, key) => kept[key],
  member: (kept, _b, _p, _i, key) => lazyCopy(kept[key]),
});

/** The factory of each kept object (frozen ones only: their layout never changes). */
const factoryOf = new WeakMap<object, Factory<Plain> | null>();

function isLazy(value: unknown): boolean {
  return typeof value === "object" && value !== null;
}

/** The compiled factory for `kept`'s layout, or null when it gets an eager copy. */
function factoryFor(kept: Plain): Factory<Plain> | null {
  const known = factoryOf.get(kept);
  if (known !== undefined) return known;
  const keys = Object.keys(kept);
  // `__proto__` (kept as an own key by JSON.parse): the eager copy, a data property as stock's from the start.
  const factory = keys.length <= MAX_FACTORY_KEYS && !keys.includes("__proto__") ? factories.factory(keys, keys.map((k) => isLazy(kept[k]))) : null;
  if (Object.isFrozen(kept)) factoryOf.set(kept, factory);
  return factory;
}

/**
 * A fresh entry standing for the frozen kept entry `kept` (see the module comment). Non-objects (never
 * kept by the cache, whose values are JSON-object lines) come back as they are.
 */
export function freshEntry(kept: unknown): unknown {
  return lazyCopy(kept);
}

/** Fresh entries for `kept` (in order), and how many lazy fields they hold. */
export function freshEntries(kept: readonly unknown[]): unknown[] {
  const n = kept.length;
  const out = new Array<unknown>(n);
  let deferred = 0;
  for (let i = 0; i < n; i++) {
    const e = kept[i];
    const factory = typeof e === "object" && e !== null && !Array.isArray(e) ? factoryFor(e as Plain) : null;
    if (factory) {
      out[i] = factory(e as Plain, 0, 0);
      deferred += factory.lazyFields;
    } else out[i] = cloneJson(e);
  }
  lazyStats.deferred += deferred;
  return out;
}

/**
 * What {@link freshEntries} looks up per kept entry before it copies — the compiled factory of the
 * entry's layout, remembered per frozen entry — done ahead of the first call (the restart warm-up on
 * 2026.5.28–6.8: restart-warmup.ts), so that call only copies. Makes no entry; returns how many it looked up.
 */
export function prepareFreshEntries(kept: readonly unknown[]): number {
  let n = 0;
  for (const e of kept) {
    if (typeof e === "object" && e !== null && !Array.isArray(e) && Object.isFrozen(e)) {
      factoryFor(e as Plain);
      n++;
    }
  }
  return n;
}
