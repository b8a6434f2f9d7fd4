/**
 * Fresh transcript entries built from the session buffer's bytes without `JSON.parse` of each line
 * (issue #11 item 3: the FIRST open of a session in a gateway process on OpenClaw 2026.5.12, and every
 * later one: see kept-buffers.ts). The worker located every member of every line, two levels deep
 * (native-free-workers/pi/entry-fields.ts, the buffer's FIELDS and LAYOUTS sections); here each entry is
 * one fast-mode object from entry-factory.ts's compiled factory for its key layout (shared with
 * lazy-entries.ts, 2026.5.28–6.8; this file says only where a member's value comes from: its byte range):
 * - scalar members (strings, numbers, booleans, null) are data properties, decoded from their bytes
 *   (a string without escapes is its UTF-8 slice; a number is `Number` of its text: the same double as
 *   `JSON.parse`; an escaped string is `JSON.parse` of just that string);
 * - object and array members are own enumerable configurable accessors: the first get decodes the
 *   member's bytes — an object the worker described one level down (`message`: pi's
 *   `buildSessionContext` reads `entry.message.role` of every message on the path) becomes a lazy object
 *   the same way, anything else is `JSON.parse` of its range — and replaces the accessor with a writable
 *   data property; a set before any get just defines the data property (entry-factory.ts: the same rules for both opens).
 *
 * So the objects are what stock's `JSON.parse` of the line gives, in key order (`JSON.stringify` gives the
 * line back for a canonical line, `Object.keys`, spread, `structuredClone`, `in` and deep equality see the
 * same), each open's are its own (mutations never reach another open: the bytes are immutable), and the
 * main thread pays per entry one small object and its scalars. Lines the worker could not describe
 * (escaped or duplicate keys, `__proto__`, too many keys or layouts) are `JSON.parse`d whole.
 *
 * What a kept buffer's opens share (its {@link Reader}, built by the first): the words and layouts, the
 * decoded scalars (strings and numbers: immutable), each record's line offset, index role and id string
 * (pi-index.ts), the factories and their accessor pairs. Nothing an open hands out is part of it, so no
 * caller can change what the next open builds (test/openclaw/session-open-shared-state.test.ts).
 *
 * The per-open cost that remains is O(entries) and inherent to pi's API (docs/openclaw.md §5, "the later
 * open's slope": pi's `buildSessionContext()` filters every entry of `fileEntries` each turn): a fresh
 * object per entry (the caller owns and may mutate it), one accessor define per object/array member (a
 * runtime call in V8: ~0.13 µs), the private-field stamp, pi's `byId` Map holding this open's objects
 * (≈ 0.1 µs per entry, in its own pass: {@link index}), and the scavenges that copy this open's objects
 * (≈ 123 B retained per entry).
 */
import type { OpenClawSession } from "./session.js";
import { Errors } from "../../native-free-workers/protocol/errors.js";
import { EntryFactories, lazyStats, type Factory } from "./entry-factory.js";
import { indexEntry, type PiIndex } from "./pi-index.js";
import { deepFreeze } from "./entry-cache.js";
import { normalizerChanges } from "./release/entry-normalizer.js";
import { FieldKind, NO_FIELDS, RecordFlag, SESSION_RECORD_BYTES, SessionHeader, SessionRecord, SessionSection } from "../../native-free-workers/protocol/session-buffer-layout.js";

type Plain = Record<string, unknown>;

/** How one session buffer's entries are read: its bytes, FIELDS words and layouts (see the layout doc). */
interface Reader {
  /** The buffer's bytes; its native `utf8Slice`/`latin1Slice` (what `toString` calls after checking its arguments: these run per member). */
  bytes: Buffer & { utf8Slice(start: number, end: number): string; latin1Slice(start: number, end: number): string };
  words: Uint32Array;
  layouts: string[][];
  /** Factories by layout id for this buffer (undefined: not looked up yet). */
  factories: (Factory<Reader> | null | undefined)[];
  /** The same for {@link frozenEntriesFromBuffer}'s objects. */
  frozenFactories: (Factory<Reader> | null | undefined)[];
  /**
   * Scalar values already decoded, by the word index of their kind word over 3 ({@link memoOf}; undefined:
   * not yet; no JSON value is undefined). Strings and numbers are immutable, so handing the same one to every open is
   * invisible; it makes a later open of a kept buffer cost a lookup per scalar instead of a decode.
   */
  memo: unknown[] | undefined;
  /** The last {@link RECENT} plain strings decoded ({@link plainString}): their byte offsets, byte lengths (−1: empty slot) and values. */
  recentAt: Int32Array;
  recentLength: Int32Array;
  recent: string[];
  recentNext: number;
  view: DataView;
  /** Where the RECORDS section starts. */
  recordsAt: number;
  /** Records in this buffer. */
  count: number;
  /** Per record: the buffer offset of its line. */
  bases: Uint32Array;
  /** Per layout id, where the normaliser's test looks ({@link normalizerFacts}; undefined: not yet). */
  facts: (Int32Array | undefined)[];
  /** Per record: how pi's index takes it (see rolesOf; undefined until an open indexes this buffer). */
  roles: Uint8Array | undefined;
  /** Per plain record (IndexRole.plain): its id string. */
  ids: unknown[];
}

/** The reader of each buffer (kept-buffers.ts keeps a buffer for many opens: its tables are read once). */
const readers = new WeakMap<OpenClawSession, Reader>();

/** The scalar value of the member whose kind word is `words[q]` (a line starting at `base`). */
function scalar(r: Reader, base: number, q: number): unknown {
  const memo = (r.memo ??= memoOf(r));
  const slot = (q / 3) | 0;
  const known = memo[slot];
  if (known !== undefined) return known;
  const value = decodeScalar(r, base, q);
  // Escaped strings too (strings are immutable); objects and arrays never come here from a factory.
  if (typeof value !== "object" || value === null) memo[slot] = value;
  return value;
}

/** Bytes between an object's scalar members (keys, punctuation, small object/array members) that one line slice may span. */
const SPAN_GAP_BYTES = 48;

/** The shortest substring V8 makes a slice of its parent string (SlicedString::kMinLength) rather than a copy. */
const SLICED_MIN = 13;

/**
 * The scalar members of the object at word `p` (a line at `base`) decoded into the memo at once, as the
 * buffer's first open meets the object (later opens of a kept buffer look them up): one `utf8Slice` over
 * the bytes from the first scalar to the last, each member its `substring`, instead of one native decode
 * (or {@link plainString}'s byte comparisons) per member — a first open decodes ≈ 5 scalars per entry
 * (`type`, `id`, `parentId`, `timestamp`, …: 75k at 28 MB), and the per-member decode was most of what a
 * first open costs beyond a later one (profile in the commit). Exact only where every byte of the slice
 * is one UTF-16 unit (its string as long as its bytes: ASCII, or lone invalid bytes, each one U+FFFD
 * wherever the slice starts or ends — a multi-byte or truncated sequence makes the string shorter); any
 * other object, or one whose scalars are far apart (an object/array member between them bigger than
 * {@link SPAN_GAP_BYTES} per member), is left to {@link scalar}'s per-member decode.
 */
function memoScalars(r: Reader, base: number, p: number): void {
  const w = r.words;
  const n = r.layouts[w[p]!]!.length;
  let lo = -1;
  let hi = 0;
  let inside = 0;
  for (let k = 0, q = p + 1; k < n; k++, q += 3) {
    if (isLazyKind(w[q]! & 15)) continue;
    if (lo < 0) lo = w[q + 1]!;
    hi = w[q + 2]!;
    inside += hi - w[q + 1]!;
  }
  if (lo < 0 || hi - lo - inside > SPAN_GAP_BYTES * n) return;
  const text = r.bytes.utf8Slice(base + lo, base + hi);
  if (text.length !== hi - lo) return;
  const memo = (r.memo ??= memoOf(r));
  for (let k = 0, q = p + 1; k < n; k++, q += 3) {
    const kind = w[q]! & 15;
    const slot = (q / 3) | 0;
    const from = w[q + 1]! - lo;
    const to = w[q + 2]! - lo;
    switch (kind) {
      case FieldKind.string:
        // From 13 UTF-16 units on, V8's substring is a slice that keeps the whole text alive: a copy instead.
        memo[slot] = to - from - 2 < SLICED_MIN ? text.substring(from + 1, to - 1) : r.bytes.utf8Slice(base + lo + from + 1, base + lo + to - 1);
        break;
      case FieldKind.escapedString:
        memo[slot] = JSON.parse(text.substring(from, to));
        break;
      case FieldKind.number:
        memo[slot] = Number(text.substring(from, to));
        break;
      case FieldKind.true:
        memo[slot] = true;
        break;
      case FieldKind.false:
        memo[slot] = false;
        break;
      case FieldKind.null:
        memo[slot] = null;
        break;
    }
  }
}

/**
 * A buffer's empty memo: one slot per member's three words (`q / 3`: kind words of two members are at
 * least three words apart, so no two share a slot) — a third of the words, whose allocation (4.5 MB of
 * holes at 28 MB, once per buffer) was a quarter of the first open's scalar decode (profile in the commit).
 */
function memoOf(r: Reader): unknown[] {
  return new Array<unknown>(Math.ceil(r.words.length / 3));
}

/** Plain strings remembered per buffer for {@link plainString} (a power of two), and the longest compared. */
const RECENT = 8;
const RECENT_MAX_BYTES = 64;

/**
 * The string whose UTF-8 bytes are `bytes[from, to)` (no escapes: the bytes are the value). A transcript
 * repeats short strings from line to line — every entry's `type`, each `parentId` the `id` of the line
 * before — so the last {@link RECENT} decoded are kept with their byte ranges, and a range with the same
 * bytes gets the same (immutable, so indistinguishable) string: a byte comparison in place of a decode,
 * which on a first open (every scalar decoded once) was about half its main-thread time (profile,
 * 2026-12-04). Equal bytes decode to equal strings, invalid UTF-8 included. The fresh entries' first
 * open now decodes most top-level scalars a line at a time ({@link memoScalars}); this serves the rest
 * (nested members as they are read, objects that slice does not fit) and the frozen entries.
 */
function plainString(r: Reader, from: number, to: number): string {
  const n = to - from;
  const bytes = r.bytes;
  if (n > RECENT_MAX_BYTES) return bytes.utf8Slice(from, to);
  const at = r.recentAt;
  const length = r.recentLength;
  for (let k = 0; k < RECENT; k++) {
    if (length[k] !== n) continue;
    const a = at[k]!;
    // From the last byte back: near-equal strings of one length share their start (timestamps: the first
    // ~17 bytes of each line's), so a mismatch shows within a byte or two from the end.
    let j = n;
    while (j > 0 && bytes[a + j - 1] === bytes[from + j - 1]) j--;
    if (j === 0) return r.recent[k]!;
  }
  const value = bytes.utf8Slice(from, to);
  const slot = r.recentNext;
  r.recentNext = (slot + 1) & (RECENT - 1);
  at[slot] = from;
  length[slot] = n;
  r.recent[slot] = value;
  return value;
}

function decodeScalar(r: Reader, base: number, q: number): unknown {
  const w = r.words;
  const from = base + w[q + 1]!;
  const to = base + w[q + 2]!;
  switch (w[q]! & 15) {
    case FieldKind.string:
      return plainString(r, from + 1, to - 1);
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

/**
 * Where a buffer's objects take their members from (entry-factory.ts builds them): `(r, base, p)` names the
 * object whose layout word is `words[p]` on the line at `base`; scalars are decoded from their bytes, an
 * object/array member is `makeMember` of the member's kind word.
 */
function bufferSource(makeScalar: (r: Reader, base: number, q: number) => unknown, makeMember: (r: Reader, base: number, q: number) => unknown): EntryFactories<Reader> {
  return new EntryFactories<Reader>({
    scalarCode: (i) => `h(s, b, p + ${1 + 3 * i})`,
    helper: makeScalar,
    scalar: (r, base, p, i) => makeScalar(r, base, p + 1 + 3 * i),
    member: (r, base, p, i) => makeMember(r, base, p + 1 + 3 * i),
  });
}

const factories = bufferSource(scalar, member);

/** The object described at word `p` (its layout word) of a line starting at `base`. */
function build(r: Reader, base: number, p: number): Plain {
  const factory = factoryAt(r, p);
  if (factory) return factory(r, base, p);
  // No factory (past MAX_FACTORIES, a transcript with unbounded key variety): the same object, member by
  // member (slower to build, same behaviour).
  const keys = r.layouts[r.words[p]!]!;
  return factories.build(keys, lazyMembers(r, p, keys.length), r, base, p);
}

function isLazyKind(kind: number): boolean {
  return kind === FieldKind.object || kind === FieldKind.array;
}

/** Which members of the object at word `p` are objects/arrays (lazy). */
function lazyMembers(r: Reader, p: number, n: number): boolean[] {
  const lazy = new Array<boolean>(n);
  for (let k = 0; k < n; k++) lazy[k] = isLazyKind(r.words[p + 1 + 3 * k]! & 15);
  return lazy;
}

/** The factory for the object at word `p`, by its layout and which members are objects/arrays (cached per buffer layout). */
function factoryAt(r: Reader, p: number): Factory<Reader> | null {
  const layout = r.words[p]!;
  const known = r.factories[layout];
  if (known !== undefined) return known;
  // A layout's objects all have the same object/array members (the encoder interns layouts by both).
  const keys = r.layouts[layout]!;
  return (r.factories[layout] = factories.factory(keys, lazyMembers(r, p, keys.length)));
}

/** How pi's index takes a record (pi-index.ts): decided once per kept buffer from its FIELDS words. */
const enum IndexRole {
  /** Not decided yet. */
  unknown = 0,
  /** `type` the unescaped string "session": pi skips it. */
  header = 1,
  /** `type` and `id` unescaped strings, `type` not "label": `byId.set(id, entry)`, `leafId = id`. */
  plain = 2,
  /** Anything else (labels, escaped or non-string `type`/`id`, lines without a descriptor): pi's loop body. */
  other = 3,
}

/**
 * Fresh entries for every record of `parts` (a file's kept buffers then the new one, each from its
 * `firstRecord` on), in file order — the header first for a whole read — as `JSON.parse` of each line
 * gives them (see the module comment). With `index`, pi's `_buildIndex` is computed over them in the
 * same pass (pi-index.ts; the caller checked that the pi is the one it stands for).
 */
export function entriesFromBuffers(parts: readonly OpenClawSession[], index?: PiIndex): unknown[] {
  const rs: Reader[] = [];
  let total = 0;
  for (const part of parts) {
    let r = readers.get(part);
    if (!r) {
      r = readerOf(part);
      readers.set(part, r);
    }
    rs.push(r);
    total += r.count;
  }
  const out = new Array<unknown>(total);
  let at = 0;
  let deferred = 0;
  for (const r of rs) {
    deferred += fill(r, out, at, index);
    at += r.count;
  }
  lazyStats.deferred += deferred;
  return out;
}

/** {@link entriesFromBuffers} of one buffer. */
export function entriesFromBuffer(session: OpenClawSession, index?: PiIndex): unknown[] {
  return entriesFromBuffers([session], index);
}

/** Builds `r`'s entries into `out` from `at` (and indexes them); returns how many lazy members they hold. */
function fill(r: Reader, out: unknown[], at: number, ix: PiIndex | undefined): number {
  const { count, bases, words } = r;
  // The buffer's first open: each entry's scalars decoded in one slice per line before its factory reads
  // them, and (for pi's index) its role decided in the same loop — which V8 optimises early in a fresh
  // process, where a loop of their own ran unoptimised for most of the records ({@link rolesOf}).
  const first = r.memo === undefined;
  const roles = first && ix && !r.roles ? new Uint8Array(count) : undefined;
  const typeAt = roles ? typeTable(r) : undefined;
  let deferred = 0;
  for (let i = 0; i < count; i++) {
    const base = bases[i]!;
    const d = words[i]!;
    let e: unknown;
    if (d === NO_FIELDS) {
      e = JSON.parse(r.bytes.utf8Slice(base, base + r.view.getUint32(r.recordsAt + i * SESSION_RECORD_BYTES + SessionRecord.length, true)));
      if (roles) roles[i] = IndexRole.other;
    } else {
      const p = count + d;
      if (first) memoScalars(r, base, p);
      if (roles) roles[i] = roleOf(r, i, p, typeAt!);
      const factory = factoryAt(r, p);
      if (factory) {
        e = factory(r, base, p);
        deferred += factory.lazyFields;
      } else e = build(r, base, p);
    }
    out[at + i] = e;
  }
  if (roles) r.roles = roles;
  if (ix) index(r, out, at, ix);
  return deferred;
}

/**
 * pi's `_buildIndex` over `r`'s entries just built into `out` from `at`, in file order (the caller indexes
 * the buffers one after another, so duplicate ids and labels resolve as pi's loop does). A pass of its
 * own, not inside {@link fill}'s loop: interleaved with building the objects, each `byId.set` cost about
 * three times what it costs here (at 100 MB, 53k entries: ≈ 15 ms of the open against ≈ 5 ms — the
 * hash table's growth and the new objects competing for the cache; bench in the commit).
 */
function index(r: Reader, out: unknown[], at: number, ix: PiIndex): void {
  const roles = rolesOf(r);
  const { ids, count } = r;
  const byId = ix.byId;
  let leaf: unknown;
  let plain = false;
  for (let i = 0; i < count; i++) {
    const role = roles[i];
    if (role === IndexRole.plain) {
      leaf = ids[i];
      plain = true;
      byId.set(leaf, out[at + i]);
    } else if (role === IndexRole.other) {
      // pi's loop body may set the leaf itself: the plain ones' leaf goes in first.
      if (plain) ix.leafId = leaf;
      plain = false;
      indexEntry(ix, out[at + i] as Parameters<typeof indexEntry>[1]);
    }
  }
  if (plain) ix.leafId = leaf;
}

/**
 * Each record's {@link IndexRole} (and, for the plain ones, its id string in `r.ids`), decided once per
 * buffer: strings are immutable, so every open shares them (the entry's own `id` is the same string).
 */
function rolesOf(r: Reader): Uint8Array {
  if (r.roles) return r.roles;
  const roles = new Uint8Array(r.count);
  const { count, words } = r;
  const typeAt = typeTable(r);
  for (let i = 0; i < count; i++) {
    const d = words[i]!;
    roles[i] = d === NO_FIELDS ? IndexRole.other : roleOf(r, i, count + d, typeAt);
  }
  return (r.roles = roles);
}

/**
 * Per layout of `r`, where its `type` and `id` are (−1: absent; −2: not looked up yet). Typed, not a Map
 * of pairs: on a gateway's first open the roles are decided before V8 has optimised the loop, and a
 * destructured pair per record (the iterator protocol in the interpreter) was most of that cold cost.
 */
function typeTable(r: Reader): Int32Array {
  return new Int32Array(r.layouts.length * 2).fill(-2);
}

/** The {@link IndexRole} of record `i`, described at word `p` (and its id string into `r.ids` when plain). */
function roleOf(r: Reader, i: number, p: number, typeAt: Int32Array): IndexRole {
  const words = r.words;
  const layout = words[p]!;
  if (typeAt[2 * layout] === -2) {
    typeAt[2 * layout] = r.layouts[layout]!.indexOf("type");
    typeAt[2 * layout + 1] = r.layouts[layout]!.indexOf("id");
  }
  const t = typeAt[2 * layout]!;
  const k = typeAt[2 * layout + 1]!;
  const type = t >= 0 && (words[p + 1 + 3 * t]! & 15) === FieldKind.string ? scalar(r, r.bases[i]!, p + 1 + 3 * t) : undefined;
  if (type === "session") return IndexRole.header;
  if (type !== undefined && type !== "label" && k >= 0 && (words[p + 1 + 3 * k]! & 15) === FieldKind.string) {
    r.ids[i] = scalar(r, r.bases[i]!, p + 1 + 3 * k);
    return IndexRole.plain;
  }
  return IndexRole.other;
}

/** The reader of `session`'s buffer: its FIELDS words (in place) and LAYOUTS, checked, and where each line starts. */
function readerOf(session: OpenClawSession): Reader {
  const view = new DataView(session.buffer);
  const count = view.getUint32(SessionHeader.recordCount, true);
  const section = (s: number) => ({ offset: view.getUint32(SessionHeader.sectionTable + s * 8, true), length: view.getUint32(SessionHeader.sectionTable + s * 8 + 4, true) });
  const fields = section(SessionSection.FIELDS);
  const layouts = section(SessionSection.LAYOUTS);
  if (fields.offset % 4 !== 0 || fields.length % 4 !== 0 || fields.length < count * 4) throw Errors.invalidBuffer("session FIELDS section misaligned or short");
  const bytes = Buffer.from(session.buffer) as Reader["bytes"];
  // The section table was checked by the session's constructor; FIELDS starts on a multiple of 4 (the encoder's gap).
  const words = new Uint32Array(session.buffer, fields.offset, fields.length >>> 2);
  const recordsAt = section(SessionSection.RECORDS).offset;
  const entriesAt = section(SessionSection.ENTRY_BYTES).offset;
  const bases = new Uint32Array(count);
  if (recordsAt % 4 === 0 && SESSION_RECORD_BYTES % 4 === 0 && SessionRecord.offset % 4 === 0) {
    // The records' u32 fields read as words in place, as the FIELDS words are (no DataView call per record:
    // this runs over every record of a first open).
    const records = new Uint32Array(session.buffer, recordsAt, (count * SESSION_RECORD_BYTES) >>> 2);
    const stride = SESSION_RECORD_BYTES >>> 2;
    for (let i = 0, w = SessionRecord.offset >>> 2; i < count; i++, w += stride) bases[i] = entriesAt + records[w]!;
  } else for (let i = 0; i < count; i++) bases[i] = entriesAt + view.getUint32(recordsAt + i * SESSION_RECORD_BYTES + SessionRecord.offset, true);
  return {
    bytes,
    view,
    recordsAt,
    count,
    bases,
    words,
    layouts: JSON.parse(bytes.toString("utf8", layouts.offset, layouts.offset + layouts.length)) as string[][],
    factories: [],
    frozenFactories: [],
    memo: undefined,
    recentAt: new Int32Array(RECENT),
    recentLength: new Int32Array(RECENT).fill(-1),
    recent: new Array<string>(RECENT),
    recentNext: 0,
    facts: [],
    roles: undefined,
    ids: [],
  };
}

// -----------------------------------------------------------------------------------------------
// Deep-frozen entries that decode on use: OpenClaw 2026.6.9+'s open of a file ctxc holds nothing of
// yet — the first open after a gateway restart (issue #11 item 4).
// -----------------------------------------------------------------------------------------------

/**
 * The object/array members of frozen entries: the same byte ranges, but each value is frozen as it is made
 * (a described object one level down is itself a frozen object whose members decode on use; anything else
 * is `JSON.parse` of its range, deep-frozen). A frozen entry's accessor cannot become a data property, so
 * entry-factory.ts keeps the value it made for the entry (`held`) and every get returns that same object.
 * Scalars are decoded without the per-word memo: each frozen entry is built once per buffer (the memo
 * serves the fresh entries of a kept buffer's later opens), and the normaliser's test compares bytes.
 */
const frozenFactories = bufferSource(decodeScalar, frozenMember);

function frozenMember(r: Reader, base: number, q: number): unknown {
  const w = r.words[q]!;
  const child = w >>> 4;
  if ((w & 15) === FieldKind.object && child !== 0) return buildFrozen(r, base, q + child);
  return deepFreeze(JSON.parse(r.bytes.utf8Slice(base + r.words[q + 1]!, base + r.words[q + 2]!)) as unknown);
}

/** The frozen object described at word `p` of the line at `base` (see {@link frozenFactories}). */
function buildFrozen(r: Reader, base: number, p: number): Plain {
  const layout = r.words[p]!;
  let factory = r.frozenFactories[layout];
  const keys = r.layouts[layout]!;
  if (factory === undefined) factory = r.frozenFactories[layout] = frozenFactories.factory(keys, lazyMembers(r, p, keys.length));
  return Object.freeze(factory ? factory(r, base, p) : frozenFactories.build(keys, lazyMembers(r, p, keys.length), r, base, p));
}

/** Positions in a layout's keys of `type`, `message`, `role` and `content` (−1: absent): {@link normalizerFacts}. */
const enum Fact {
  type = 0,
  message = 1,
  role = 2,
  content = 3,
}

/**
 * Where the normaliser's test looks in layout `layout` (see {@link Fact}), computed once per layout of a
 * buffer: the test runs for every record of a first open (~15,000 at 28 MB), and four `indexOf` calls per
 * record over its layout's keys were a tenth of that open's main-thread time (profile, 2026-12-03).
 */
function normalizerFacts(r: Reader, layout: number): Int32Array {
  let f = r.facts[layout];
  if (f === undefined) {
    const keys = r.layouts[layout]!;
    f = r.facts[layout] = Int32Array.of(keys.indexOf("type"), keys.indexOf("message"), keys.indexOf("role"), keys.indexOf("content"));
  }
  return f;
}

/** `type` and `role` values the normaliser's test looks for, as the bytes of a string without escapes. */
const MESSAGE = Buffer.from("message");
const ASSISTANT = Buffer.from("assistant");
const TOOL_RESULT = Buffer.from("toolResult");

/**
 * Whether member `i` of the object at word `p` (−1: absent) is the string whose UTF-8 bytes are `value`:
 * its bytes compared in place for a string without escapes (no decode: a first open tests every record),
 * an escaped one decoded.
 */
function memberIs(r: Reader, base: number, p: number, i: number, value: Buffer): boolean {
  if (i < 0) return false;
  const q = p + 1 + 3 * i;
  const kind = r.words[q]! & 15;
  if (kind === FieldKind.escapedString) return decodeScalar(r, base, q) === value.toString("utf8");
  if (kind !== FieldKind.string) return false;
  const from = base + r.words[q + 1]! + 1;
  const n = value.length;
  if (base + r.words[q + 2]! - 1 - from !== n) return false;
  const bytes = r.bytes;
  for (let j = 0; j < n; j++) if (bytes[from + j] !== value[j]) return false;
  return true;
}

/**
 * Whether the release's normaliser (release/entry-normalizer.ts) may change the entry described at word `p`,
 * told from the words and bytes alone (reading the lazy `message.content` would decode it): a `message`
 * entry whose message is an object the worker did not describe (unsure: yes), or an assistant/tool-result
 * message whose content is a string, or a tool-result message whose content is an object. The words (the
 * message's and its content's kinds) are looked at before `type` and `role`, which are compared as bytes:
 * nothing is decoded or compared for the common message (array content).
 */
function normalizerMayChange(r: Reader, base: number, p: number): boolean {
  const f = normalizerFacts(r, r.words[p]!);
  const m = f[Fact.message]!;
  // No `message` member, or one that is not an object: the normaliser leaves the entry alone whatever its type.
  if (m < 0) return false;
  const w = r.words[p + 1 + 3 * m]!;
  if ((w & 15) !== FieldKind.object) return false;
  // The words first, the bytes (`type`, `role`) only where the words leave it open: a message with array
  // content (nearly every one) is decided without comparing a byte.
  if (w >>> 4 === 0) return memberIs(r, base, p, f[Fact.type]!, MESSAGE);
  const mp = p + 1 + 3 * m + (w >>> 4);
  const mf = normalizerFacts(r, r.words[mp]!);
  const c = mf[Fact.content]!;
  const kind = c < 0 ? -1 : r.words[mp + 1 + 3 * c]! & 15;
  const isString = kind === FieldKind.string || kind === FieldKind.escapedString;
  if (!isString && kind !== FieldKind.object) return false;
  if (!memberIs(r, base, p, f[Fact.type]!, MESSAGE)) return false;
  const role = mf[Fact.role]!;
  if (memberIs(r, base, mp, role, TOOL_RESULT)) return true;
  return isString && memberIs(r, base, mp, role, ASSISTANT);
}

/** Whether `session`'s buffer carries member FIELDS (a read asked with `fields`): some record is described. */
export function hasFields(session: OpenClawSession): boolean {
  const view = new DataView(session.buffer);
  const count = view.getUint32(SessionHeader.recordCount, true);
  const fieldsAt = view.getUint32(SessionHeader.sectionTable + SessionSection.FIELDS * 8, true);
  const fieldsLength = view.getUint32(SessionHeader.sectionTable + SessionSection.FIELDS * 8 + 4, true);
  if (fieldsLength < count * 4 || fieldsAt % 4 !== 0) return false;
  const words = new Uint32Array(session.buffer, fieldsAt, Math.min(count, 64));
  return words.some((w) => w !== NO_FIELDS);
}

/**
 * Every record of `session` (a whole read, header first) as OpenClaw 2026.6.9+'s entry cache holds its
 * parse: each line's `JSON.parse`, through `normalize` if given, deep-frozen — but built from the worker's
 * FIELDS instead of parsed: each entry a frozen object whose scalar members are data properties and whose
 * object/array members are (non-configurable) accessors that decode the member's bytes on first get, frozen,
 * and return that same value from then on. Entries the worker did not describe, and entries the normaliser
 * may change, are parsed, normalised and deep-frozen at once. What differs from stock's frozen entries is
 * only what property descriptors show (an accessor where stock has a read-only data property), for good:
 * docs/openclaw.md §5, "The first open after a restart".
 *
 * `known` (with `exactness`): per entry, 1 when its line is known to be its `JSON.stringify` (the worker's
 * canonical flag, and the normaliser leaves it), as file-entries.ts `decodeRecords` gives it.
 */
export function frozenEntriesFromBuffer(session: OpenClawSession, normalize?: (entry: unknown) => unknown, exactness = false): { entries: unknown[]; known?: Uint8Array } {
  let r = readers.get(checkedWhole(session));
  if (!r) readers.set(session, (r = readerOf(session)));
  const out = new Array<unknown>(r.count);
  const known = exactness ? new Uint8Array(r.count) : undefined;
  lazyStats.deferred += fillFrozen(r, normalize, out, known, 0, r.count);
  return known ? { entries: out, known } : { entries: out };
}

/** What {@link frozenEntriesInSteps} returns: {@link frozenEntriesFromBuffer}'s answer (with `known`), and the lazy members it deferred (`lazyStats`: counted by whoever keeps the entries). */
export interface FrozenInSteps {
  entries: unknown[];
  known: Uint8Array;
  lazy: true;
  deferred: number;
}

/**
 * {@link frozenEntriesFromBuffer}`(session, normalize, true)` built in steps of about `stepBytes` line bytes
 * (at least one record; a longer line is a step of its own), yielding after each: a caller
 * that must not hold the main thread for the whole build (restart-warmup.ts: ~30 ms at 28 MB, one block)
 * runs one step, lets other work run, and runs the next. Each step is the same loop over a range of the
 * records, so the entries are the same, in order. The steps' reader is their own (registered for no other
 * call): abandoning the generator midway leaves nothing behind.
 */
export function* frozenEntriesInSteps(session: OpenClawSession, normalize: ((entry: unknown) => unknown) | undefined, stepBytes: number): Generator<void, FrozenInSteps, void> {
  const r = readerOf(checkedWhole(session));
  const { count } = r;
  const out = new Array<unknown>(count);
  const known = new Uint8Array(count);
  const lengthAt = r.recordsAt + SessionRecord.length;
  const lineBytes = (i: number) => r.view.getUint32(lengthAt + i * SESSION_RECORD_BYTES, true);
  let deferred = 0;
  for (let from = 0; from < count; ) {
    let to = from + 1;
    for (let bytes = lineBytes(from); to < count && bytes < stepBytes; to++) bytes += lineBytes(to);
    deferred += fillFrozen(r, normalize, out, known, from, to);
    from = to;
    yield;
  }
  return { entries: out, known, lazy: true, deferred };
}

function checkedWhole(session: OpenClawSession): OpenClawSession {
  if (session.firstRecord > 0) throw new Error("a continued read holds only the appended records");
  return session;
}

/** Records `from` … `to`−1 of `r` built into `out` (and `known`) as {@link frozenEntriesFromBuffer} builds them; returns the lazy members deferred. */
function fillFrozen(r: Reader, normalize: ((entry: unknown) => unknown) | undefined, out: unknown[], known: Uint8Array | undefined, from: number, to: number): number {
  const { count, bases, words, bytes, frozenFactories: made } = r;
  // Each record's flags (a little-endian u16) read from the bytes: no DataView call per record.
  let flagsAt = r.recordsAt + from * SESSION_RECORD_BYTES + SessionRecord.flags;
  let deferred = 0;
  for (let i = from; i < to; i++, flagsAt += SESSION_RECORD_BYTES) {
    const base = bases[i]!;
    const d = words[i]!;
    const canonical = ((bytes[flagsAt]! | (bytes[flagsAt + 1]! << 8)) & RecordFlag.canonical) !== 0;
    const p = count + d;
    // Eager: a line not described, one the normaliser may change, and one not known canonical — which
    // includes every line nesting deeper than 64 (canonical-json.ts MAX_DEPTH): its recursive freeze may
    // overflow the stack, and that must happen at the open (ctxc then steps aside, and OpenClaw's own
    // recursive freeze fails the same way), never at a caller's later read of a lazy member.
    if (d === NO_FIELDS || !canonical || (normalize && normalizerMayChange(r, base, p))) {
      let e = JSON.parse(r.bytes.utf8Slice(base, base + r.view.getUint32(r.recordsAt + i * SESSION_RECORD_BYTES + SessionRecord.length, true))) as unknown;
      if (known && canonical && !(normalize && normalizerChanges(e))) known[i] = 1;
      if (normalize) e = normalize(e);
      out[i] = deepFreeze(e);
      continue;
    }
    if (known && canonical) known[i] = 1;
    const factory = made[words[p]!];
    if (factory) {
      out[i] = Object.freeze(factory(r, base, p));
      deferred += factory.lazyFields;
    } else {
      // The layout's first entry: buildFrozen makes its factory (or builds without one, null).
      out[i] = buildFrozen(r, base, p);
      deferred += made[words[p]!]?.lazyFields ?? 0;
    }
  }
  return deferred;
}
