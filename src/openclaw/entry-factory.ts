/**
 * The one factory generator for the fresh transcript entries ctxc hands out (issue #11 item 3): both
 * 2026.5.12's entries built from the worker's bytes (buffer-entries.ts) and 2026.5.28–6.8's copies of the
 * frozen kept entries (lazy-entries.ts) are objects from a factory compiled here per key layout. What
 * differs between the two is only where a member's value comes from — an {@link EntrySource}.
 *
 * Each object is what `JSON.parse` of its line gives, to everything but property descriptors: its own
 * keys in the line's order, scalar members as data properties, object/array members ("lazy") as own
 * enumerable configurable accessors whose first get makes the value (the source's `member`: a fresh one
 * per object, the caller owns it) and replaces the accessor with a writable data property; a set before
 * any get just defines the data property. So `JSON.stringify`, `Object.keys`, spread, `structuredClone`,
 * `in` and deep equality see what they see on stock's object, and a mutation (write, delete, freeze,
 * seal) stays in this object: the source is immutable (the buffer's bytes, a deep-frozen kept entry).
 *
 * Why the objects are built this way (V8's fast mode, checked with `%HasFastProperties` — see
 * test/openclaw/entry-factory.test.ts): an object literal with `get`/`set` in it makes closures per
 * object, and V8 keeps an object whose accessor pair is its own functions in DICTIONARY mode (a hash
 * table per entry: several times slower to build, and slower for pi to read). Here a factory is
 *   `function (s, b, p) { const o = new Object(); o["type"] = …; o["id"] = …; defineProperty(o, "message", D[2]); o["timestamp"] = …; new Stamp(o, s, b, p); return o; }`
 * — `Object` the layout's own constructor (prototype `Object.prototype`: see `#compile`), the members
 * assigned in key order, each lazy one defined with ONE getter/setter pair per key and position, shared by
 * every object of every layout (a placeholder redefined as an accessor would make the object a
 * dictionary); and what the accessors read (the source and two numbers) is stamped into private fields of
 * the generator's stamp class, invisible to every way of looking at the entry (a layout without lazy
 * members is a plain literal, no stamp). Objects of one layout share hidden classes.
 * entry. Objects of one layout share hidden classes.
 */

/** Compiled layouts kept per generator; further layouts are built member by member (a transcript with unbounded key variety). */
export const MAX_FACTORIES = 512;

/** How many lazy members were handed out and how many of them were read (made); for the preload summary and tests. */
export const lazyStats = { deferred: 0, decoded: 0 };

type Plain = Record<string, unknown>;

/** A compiled factory: the entry of the object `(s, b, p)` names in its source; `lazyFields` = its lazy members. */
export type Factory<S> = ((s: S, b: number, p: number) => Plain) & { lazyFields: number };

/**
 * Where a generator's objects take their members' values from. An object is named by `(s, b, p)`: its
 * source (a buffer's reader, a kept entry) and two numbers the source gives meaning to (a line's offset
 * and the object's layout word; unused for a kept entry). Member `i` is the i-th key of the layout.
 */
export interface EntrySource<S> {
  /**
   * The expression (JavaScript source, in the arguments `s`, `b`, `p` and the helper `h`) for scalar member
   * `i`, whose key as a JSON string literal is `key`: inlined into the factory (no call per member).
   */
  scalarCode(i: number, key: string): string;
  /** What the factory code calls `h`. */
  helper?: unknown;
  /** The scalar member `i` (`key`) of `(s, b, p)`, for an object built without a factory (what `scalarCode` computes). */
  scalar(s: S, b: number, p: number, i: number, key: string): unknown;
  /** A fresh value of the lazy member `i` (`key`) of `(s, b, p)`: owned by the caller, never shared with another object. */
  member(s: S, b: number, p: number, i: number, key: string): unknown;
}

/** A set of a lazy member, or the data property a first get leaves: what an assignment on stock's object makes. */
export function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A base constructor that returns its argument: a subclass's private fields can then be added to any object. */
class Stampable {
  constructor(o: object) {
    return o as Stampable;
  }
}

/**
 * What an object's lazy members read from — its source and the two numbers — stamped onto the plain
 * object as private fields (its prototype stays `Object.prototype`, no own key or symbol is added). One
 * class per {@link EntryFactories}, so the source's `member` is the class's, not a field of every object:
 * three fields fit the one out-of-object property array V8 allocates first (three slots); a fourth made it
 * allocate a second, larger one and copy (measured, 53k entries kept: 6.8 → 5.5 MB retained per open,
 * about half the scavenges).
 */
interface StampClass {
  new (o: Plain, s: unknown, b: number, p: number): object;
  /** Whether `o` carries this class's stamp. */
  owns(o: object): boolean;
  /** A fresh value of lazy member `i` (`key`) of `o` (which {@link owns} says is stamped by this class). */
  make(o: object, i: number, key: string): unknown;
}

/** Every stamp class made (one per {@link EntryFactories}: a handful per process). */
const stampClasses: StampClass[] = [];

function stampClass(member: EntrySource<unknown>["member"]): StampClass {
  const Stamp = class extends Stampable {
    #s: unknown;
    #b: number;
    #p: number;
    constructor(o: Plain, s: unknown, b: number, p: number) {
      super(o);
      this.#s = s;
      this.#b = b;
      this.#p = p;
    }

    static owns(o: object): boolean {
      return #s in o;
    }

    static make(o: object, i: number, key: string): unknown {
      const t = o as InstanceType<typeof Stamp>;
      return member(t.#s, t.#b, t.#p, i, key);
    }
  };
  stampClasses.push(Stamp);
  return Stamp;
}

/** The class that stamped `o`, if any. */
function stampOf(o: object): StampClass | undefined {
  for (const c of stampClasses) if (c.owns(o)) return c;
  return undefined;
}

/**
 * First get of the lazy member `i` (`key`): its value, as a writable data property from now on when the
 * holder still allows it (else kept in {@link held}, so each get returns the same object). The receiver
 * is the entry or an object inheriting from it (`Object.create(entry)`); one that is neither (a Proxy of
 * the entry without a get trap, `Reflect.get` with a foreign receiver) cannot be served: a TypeError
 * names the member.
 */
function stampGet(receiver: unknown, key: string, i: number): unknown {
  let h = receiver;
  let c: StampClass | undefined;
  while (typeof h === "object" && h !== null && !(c = stampOf(h))) h = Object.getPrototypeOf(h);
  if (typeof h !== "object" || h === null || !c) throw new TypeError(`ctxc transcript entry: "${key}" read through a receiver that is not the entry`);
  const o = h;
  const kept = held.get(o);
  if (kept !== undefined && Object.hasOwn(kept, key)) return kept[key];
  const value = c.make(o, i, key);
  lazyStats.decoded++;
  if (Object.getOwnPropertyDescriptor(o, key)?.configurable) define(o, key, value);
  else if (kept) kept[key] = value;
  else held.set(o, { __proto__: null, [key]: value } as Plain);
  return value;
}

/**
 * A set of the lazy member `key` while it is still an accessor: a writable data property, as an
 * assignment on stock's object leaves — or, on an entry sealed by its holder (the accessor can no longer
 * be replaced, yet stock's sealed data property is still writable), the value every later get returns.
 * On a frozen entry it throws, as a strict-mode assignment to a frozen stock entry does.
 */
function stampSet(receiver: object, key: string, v: unknown): void {
  if (typeof receiver === "object" && receiver !== null && stampOf(receiver) && !Object.getOwnPropertyDescriptor(receiver, key)?.configurable && !Object.isFrozen(receiver)) {
    const kept = held.get(receiver);
    if (kept) kept[key] = v;
    else held.set(receiver, { __proto__: null, [key]: v } as Plain);
  } else define(receiver, key, v);
}

/** Lazy members of objects that did not let them become data properties (frozen or sealed by their holder): rare, so not a field of every object. */
const held = new WeakMap<object, Plain>();

/** Accessor pairs kept (one per key and position); past it a layout gets its own pairs (its objects may then be slow, still right). */
const MAX_DESCRIPTORS = 4096;
const descriptors = new Map<string, PropertyDescriptor>();

/**
 * The accessor of lazy member `i` (`key`): ONE pair per key and position, shared by every layout and
 * object. V8 keeps objects fast only while the same hidden class gains the same key with the SAME
 * getter/setter pair: layouts sharing a prefix (`{role, content, …}` of a user and an assistant message)
 * start from one hidden class, and a second pair for `content` there would turn every later object of
 * that prefix into a dictionary (measured: every message object slow, with one pair per layout).
 */
function lazyDescriptor(key: string, i: number): PropertyDescriptor {
  const name = `${i}:${key}`;
  let d = descriptors.get(name);
  if (!d) {
    d = accessorPair(key, i);
    if (descriptors.size < MAX_DESCRIPTORS) descriptors.set(name, d);
  }
  return d;
}

function accessorPair(key: string, i: number): PropertyDescriptor {
  return {
    get(this: unknown) {
      return stampGet(this, key, i);
    },
    set(this: object, v: unknown) {
      stampSet(this, key, v);
    },
    enumerable: true,
    configurable: true,
  };
}

/** Whether `o[key] = v` makes an own writable data property on a plain object (no setter or read-only `key` on `Object.prototype`). */
function assignable(key: string): boolean {
  const inherited = Object.getOwnPropertyDescriptor(Object.prototype, key);
  return inherited === undefined || inherited.writable === true;
}

/** The factories of one {@link EntrySource}, compiled on first use per layout (keys and which are lazy). */
export class EntryFactories<S> {
  readonly #source: EntrySource<S>;
  readonly #compiled = new Map<string, Factory<S>>();
  readonly #Stamp: StampClass;

  constructor(source: EntrySource<S>) {
    this.#source = source;
    this.#Stamp = stampClass(source.member as EntrySource<unknown>["member"]);
  }

  /** The factory for objects with `keys` whose members `lazy[i]` are lazy; null past {@link MAX_FACTORIES} (then {@link build}). */
  factory(keys: readonly string[], lazy: readonly boolean[]): Factory<S> | null {
    const name = layoutName(keys, lazy);
    let factory = this.#compiled.get(name);
    if (!factory) {
      if (this.#compiled.size >= MAX_FACTORIES) return null;
      this.#compiled.set(name, (factory = this.#compile(keys, lazy)));
    }
    return factory;
  }

  /** The object `(s, b, p)` built member by member: what its factory would make (slower; for layouts past {@link MAX_FACTORIES}). */
  build(keys: readonly string[], lazy: readonly boolean[], s: S, b: number, p: number): Plain {
    const out: Plain = {};
    let stamp = false;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (lazy[i]) {
        Object.defineProperty(out, key, lazyDescriptor(key, i));
        stamp = true;
      } else define(out, key, this.#source.scalar(s, b, p, i, key));
    }
    if (stamp) new this.#Stamp(out, s, b, p);
    return out;
  }

  /** See the module comment. Keys enter the source only as JSON string literals (a key cannot inject code). */
  #compile(keys: readonly string[], lazy: readonly boolean[]): Factory<S> {
    const source = this.#source;
    const descriptors: (PropertyDescriptor | undefined)[] = [];
    for (let i = 0; i < keys.length; i++) if (lazy[i]) descriptors[i] = lazyDescriptor(keys[i]!, i);
    const lazyFields = descriptors.filter(Boolean).length;
    const literal: string[] = [];
    const after: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const k = JSON.stringify(key);
      if (lazy[i]) {
        after.push(`defineProperty(o, ${k}, D[${i}]);`);
        continue;
      }
      const value = source.scalarCode(i, k);
      // A literal's `"__proto__": v` sets the prototype; a computed key makes the own data property `JSON.parse` does.
      if (after.length === 0 && !lazyFields) literal.push(key === "__proto__" ? `[${k}]: ${value}` : `${k}: ${value}`);
      else if (assignable(key)) after.push(`o[${k}] = ${value};`);
      // A key `Object.prototype` holds as an accessor or read-only: an assignment would not make an own data property.
      else after.push(`define(o, ${k}, ${value});`);
    }
    // An object with lazy members is made by a constructor of its layout (named Object, its prototype
    // Object.prototype: what a literal makes, to every way of looking at it) instead of a literal: V8 gives a
    // constructor's objects spare in-object slots (slack tracking, then trimmed to what the layout uses),
    // so the three stamp fields live in the object instead of a property array of their own (measured,
    // 53k entries kept: 5.5 → 4.7 MB; an object literal has exactly its literal's slots). Only such an
    // object needs the stamp (its getters read it).
    const body = lazyFields
      ? `function Object() {} Object.prototype = P; return function freshEntry(s, b, p) { const o = new Object(); ${after.join(" ")} new Stamp(o, s, b, p); return o; };`
      : `return function freshEntry(s, b, p) { const o = { ${literal.join(", ")} }; ${after.join(" ")} return o; };`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys enter only as JSON string literals
    const make = new Function("h", "define", "defineProperty", "D", "Stamp", "P", body) as (...a: unknown[]) => Factory<S>;
    const factory = make(source.helper, define, Object.defineProperty, descriptors, this.#Stamp, Object.prototype);
    factory.lazyFields = lazyFields;
    return factory;
  }
}

function layoutName(keys: readonly string[], lazy: readonly boolean[]): string {
  let mask = "";
  for (let i = 0; i < keys.length; i++) mask += lazy[i] ? "1" : "0";
  return JSON.stringify(keys) + mask;
}
