/**
 * Fresh transcript entries built from the session buffer's bytes without `JSON.parse` of each line
 * (issue #11 item 3: the FIRST open of a session in a gateway process on OpenClaw 2026.5.12, and every
 * later one: see kept-buffers.ts). The worker located every member of every line, two levels deep
 * (native-free-workers/pi/entry-fields.ts, the buffer's FIELDS and LAYOUTS sections); here each entry is
 * one object from a compiled factory per key layout:
 * - scalar members (strings, numbers, booleans, null) are data properties, decoded from their bytes
 *   (a string without escapes is its UTF-8 slice; a number is `Number` of its text: the same double as
 *   `JSON.parse`; an escaped string is `JSON.parse` of just that string);
 * - object and array members are own enumerable configurable accessors: the first get decodes the
 *   member's bytes — an object the worker described one level down (`message`: pi's
 *   `buildSessionContext` reads `entry.message.role` of every message on the path) becomes a lazy object
 *   the same way, anything else is `JSON.parse` of its range — and replaces the accessor with a writable
 *   data property; a set before any get just defines the data property (lazy-entries.ts: the same rules).
 *
 * So the objects are what stock's `JSON.parse` of the line gives, in key order (`JSON.stringify` gives the
 * line back for a canonical line, `Object.keys`, spread, `structuredClone`, `in` and deep equality see the
 * same), each open's are its own (mutations never reach another open: the bytes are immutable), and the
 * main thread pays per entry one small object and its scalars. Lines the worker could not describe
 * (escaped or duplicate keys, `__proto__`, too many keys or layouts) are `JSON.parse`d whole.
 */
import type { OpenClawSession } from "./session.js";
import { Errors } from "../../native-free-workers/protocol/errors.js";
import { define, lazyStats, MAX_FACTORIES } from "./lazy-entries.js";
import { FieldKind, NO_FIELDS, SESSION_RECORD_BYTES, SessionHeader, SessionRecord, SessionSection } from "../../native-free-workers/protocol/session-buffer-layout.js";

type Plain = Record<string, unknown>;
type Factory = ((r: Reader, base: number, p: number) => Plain) & { lazyFields: number };

/** How one session buffer's entries are read: its bytes, FIELDS words and layouts (see the layout doc). */
interface Reader {
  /** The buffer's bytes; its native `utf8Slice`/`latin1Slice` (what `toString` calls after checking its arguments: these run per member). */
  bytes: Buffer & { utf8Slice(start: number, end: number): string; latin1Slice(start: number, end: number): string };
  words: Uint32Array;
  layouts: string[][];
  /** Factories by layout id for this buffer (undefined: not looked up yet). */
  factories: (Factory | null | undefined)[];
  /**
   * Scalar values already decoded, by the word index of their kind word (undefined: not yet; no JSON
   * value is undefined). Strings and numbers are immutable, so handing the same one to every open is
   * invisible; it makes a later open of a kept buffer cost a lookup per scalar instead of a decode.
   */
  memo: unknown[];
}

/** The reader of each buffer (kept-buffers.ts keeps a buffer for many opens: its tables are read once). */
const readers = new WeakMap<OpenClawSession, Reader>();

/** Compiled factories by key layout and which of its members are lazy (shared by every buffer). */
const compiled = new Map<string, Factory>();

/** The scalar value of the member whose kind word is `words[q]` (a line starting at `base`). */
function scalar(r: Reader, base: number, q: number): unknown {
  const known = r.memo[q];
  if (known !== undefined) return known;
  const value = decodeScalar(r, base, q);
  // Escaped strings too (strings are immutable); objects and arrays never come here from a factory.
  if (typeof value !== "object" || value === null) r.memo[q] = value;
  return value;
}

function decodeScalar(r: Reader, base: number, q: number): unknown {
  const w = r.words;
  const from = base + w[q + 1]!;
  const to = base + w[q + 2]!;
  switch (w[q]! & 15) {
    case FieldKind.string:
      return r.bytes.utf8Slice(from + 1, to - 1);
    case FieldKind.number:
      return Number(r.bytes.latin1Slice(from, to));
    case FieldKind.true:
      return true;
    case FieldKind.false:
      return false;
    case FieldKind.null:
      return null;
    default:
      return member(r, base, q);
  }
}

/** The value of an object/array (or escaped string) member: a lazy object when described, else its range parsed. */
function member(r: Reader, base: number, q: number): unknown {
  const w = r.words[q]!;
  const child = w >>> 4;
  if ((w & 15) === FieldKind.object && child !== 0) return build(r, base, q + child);
  return JSON.parse(r.bytes.utf8Slice(base + r.words[q + 1]!, base + r.words[q + 2]!));
}

/** First get of a lazy member: its value, as a data property from now on (when the holder still allows it). */
function decode(holder: Plain, key: string, r: Reader, base: number, q: number): unknown {
  const value = member(r, base, q);
  lazyStats.decoded++;
  if (Object.getOwnPropertyDescriptor(holder, key)?.configurable) define(holder, key, value);
  return value;
}

/** The object described at word `p` (its layout word) of a line starting at `base`. */
function build(r: Reader, base: number, p: number): Plain {
  const factory = factoryAt(r, p);
  if (factory) return factory(r, base, p);
  // No factory (past MAX_FACTORIES, a transcript with unbounded key variety): the same object, member by
  // member (slower to build, same behaviour).
  const keys = r.layouts[r.words[p]!]!;
  const out: Plain = {};
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const q = p + 1 + 3 * k;
    if (!isLazyKind(r.words[q]! & 15)) out[key] = scalar(r, base, q);
    else {
      let held: unknown;
      Object.defineProperty(out, key, {
        get: () => (held === undefined ? (held = decode(out, key, r, base, q)) : held),
        set(v: unknown) {
          define(this as object, key, v);
        },
        enumerable: true,
        configurable: true,
      });
    }
  }
  return out;
}

function isLazyKind(kind: number): boolean {
  return kind === FieldKind.object || kind === FieldKind.array;
}

/** The factory for the object at word `p`, by its layout and which members are objects/arrays. */
function factoryAt(r: Reader, p: number): Factory | null {
  const layout = r.words[p]!;
  const known = r.factories[layout];
  if (known !== undefined) return known;
  // A layout's objects all have the same object/array members (the encoder interns layouts by both).
  const keys = r.layouts[layout]!;
  let mask = "";
  for (let k = 0; k < keys.length; k++) mask += isLazyKind(r.words[p + 1 + 3 * k]! & 15) ? "1" : "0";
  const name = JSON.stringify(keys) + mask;
  let factory: Factory | null = compiled.get(name) ?? null;
  if (!factory && compiled.size < MAX_FACTORIES) {
    factory = compile(keys, mask);
    compiled.set(name, factory);
  }
  r.factories[layout] = factory;
  return factory;
}

/**
 * `function (r, b, p) { let d2; const o = { "type": scalar(r, b, p + 1), …, get "message"() { … }, set "message"(v) { … } }; return o; }`
 * Keys enter only as JSON string literals (the worker never describes `__proto__`); each accessor keeps
 * its value in its own variable, so a holder that froze the entry still gets one object.
 */
function compile(keys: string[], mask: string): Factory {
  const lets: string[] = [];
  const props = keys.map((key, i) => {
    const k = JSON.stringify(key);
    const q = `p + ${1 + 3 * i}`;
    if (mask[i] !== "1") return `${k}: scalar(r, b, ${q})`;
    lets.push(`d${i}`);
    return `get ${k}() { return d${i} === undefined ? (d${i} = decode(o, ${k}, r, b, ${q})) : d${i}; }, set ${k}(v) { define(this, ${k}, v); }`;
  });
  const body = `return function bufferEntry(r, b, p) { ${lets.length ? `let ${lets.join(", ")};` : ""} const o = { ${props.join(", ")} }; return o; };`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys enter only as JSON string literals
  const factory = new Function("scalar", "decode", "define", body)(scalar, decode, define) as Factory;
  factory.lazyFields = lets.length;
  return factory;
}

/**
 * Fresh entries for every record of `session`'s buffer (its `firstRecord` on), in file order — the header
 * first for a whole read — as `JSON.parse` of each line gives them (see the module comment).
 */
export function entriesFromBuffer(session: OpenClawSession): unknown[] {
  const view = new DataView(session.buffer);
  const count = view.getUint32(SessionHeader.recordCount, true);
  const recordsAt = view.getUint32(SessionHeader.sectionTable + SessionSection.RECORDS * 8, true);
  const entriesAt = view.getUint32(SessionHeader.sectionTable + SessionSection.ENTRY_BYTES * 8, true);
  let r = readers.get(session);
  if (!r) {
    r = readerOf(session, view, count);
    readers.set(session, r);
  }
  const bytes = r.bytes;
  const out = new Array<unknown>(count);
  let deferred = 0;
  for (let i = 0; i < count; i++) {
    const rec = recordsAt + i * SESSION_RECORD_BYTES;
    const base = entriesAt + view.getUint32(rec + SessionRecord.offset, true);
    const d = r.words[i]!;
    if (d === NO_FIELDS) {
      out[i] = JSON.parse(bytes.utf8Slice(base, base + view.getUint32(rec + SessionRecord.length, true)));
      continue;
    }
    const p = count + d;
    const factory = factoryAt(r, p);
    if (factory) {
      out[i] = factory(r, base, p);
      deferred += factory.lazyFields;
    } else out[i] = build(r, base, p);
  }
  lazyStats.deferred += deferred;
  return out;
}

/** The reader of `session`'s buffer: its FIELDS words (in place) and LAYOUTS, checked. */
function readerOf(session: OpenClawSession, view: DataView, count: number): Reader {
  const section = (s: number) => ({ offset: view.getUint32(SessionHeader.sectionTable + s * 8, true), length: view.getUint32(SessionHeader.sectionTable + s * 8 + 4, true) });
  const fields = section(SessionSection.FIELDS);
  const layouts = section(SessionSection.LAYOUTS);
  if (fields.offset % 4 !== 0 || fields.length % 4 !== 0 || fields.length < count * 4) throw Errors.invalidBuffer("session FIELDS section misaligned or short");
  const bytes = Buffer.from(session.buffer) as Reader["bytes"];
  // The section table was checked by the session's constructor; FIELDS starts on a multiple of 4 (the encoder's gap).
  const words = new Uint32Array(session.buffer, fields.offset, fields.length >>> 2);
  return {
    bytes,
    words,
    layouts: JSON.parse(bytes.toString("utf8", layouts.offset, layouts.offset + layouts.length)) as string[][],
    factories: [],
    memo: new Array<unknown>(words.length),
  };
}
