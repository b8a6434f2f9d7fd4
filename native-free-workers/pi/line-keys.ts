/**
 * Reads the keys a cold build needs from one transcript line — the entry's `type`, `id`, `parentId`,
 * where its `message` value lies and that message's `role` — in one pass over the bytes, without
 * building the JS values of the line's bodies.
 *
 * Why: a cold build used to `JSON.parse` every line of the file, although only the entries that reach
 * the context (and the few whose values change pi's result) need their bodies. Parsing is most of the
 * cold cost; this pass is what every line still pays.
 *
 * Why a full validation and not only a prefix: a malformed line must still be reported (with its line
 * and byte offset) even if its body is never used, and a line this scanner accepts must be one
 * `JSON.parse` accepts, or the diagnostics of a lazy build would differ from a parsing one. So the scan
 * checks the whole JSON grammar (strings: no raw control bytes, valid escapes; numbers; literals;
 * nesting). It answers `null` whenever it cannot vouch for the line — not JSON, not an object, or
 * anything it does not handle — and the caller then parses the line in full, which gives the exact
 * diagnostic. Key order does not matter: the keys are taken wherever they are (pi writes them first),
 * and with duplicate keys the last one wins, as in `JSON.parse`.
 *
 * A line that spells one of those top-level keys with escapes is left to the full parse too.
 *
 * The validation runs in WASM (line-scan.ts: the same grammar, strings 16 bytes at a time), which lists
 * where the members lie; the walk in JS below is kept for lines too long for it and engines without
 * WASM SIMD, and both are held to JSON.parse by the same property tests.
 *
 * Values of `type`, `id`, `parentId` and `role` are decoded exactly as `JSON.parse` would give them
 * (a plain string is decoded directly; anything else — escapes, numbers, objects — goes through
 * `JSON.parse` of just that value).
 */

import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./json-bytes.js";
import { RoleCode } from "../protocol/buffer-layout.js";
import { PI_ENTRY_TYPES } from "./entry-types.js";
import { LineScan, NOT_AN_OBJECT, SCANNED } from "./line-scan.js";

/** JSON's whitespace (JSON.parse accepts only these four; `trim()` accepts more, see {@link scanLineKeys}). */
const SPACE = new Uint8Array(256);
SPACE[0x20] = SPACE[0x09] = SPACE[0x0a] = SPACE[0x0d] = 1;
/** Bytes allowed after a backslash (besides `u`). */
const ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPE[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;
const DIGIT = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) DIGIT[c] = 1;

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** Which top-level member a key names (the ones a cold build needs). */
const Slot = { other: 0, type: 1, id: 2, parentId: 3, message: 4, escaped: 5 } as const;
const TOP_KEYS: [Uint8Array, number][] = [
  [Buffer.from("type"), Slot.type],
  [Buffer.from("id"), Slot.id],
  [Buffer.from("parentId"), Slot.parentId],
  [Buffer.from("message"), Slot.message],
];
const ROLE_KEY = Buffer.from("role");

/** What {@link scanLineKeys} found in a well-formed object line. Ranges are byte offsets into the line. */
export interface LineKeys {
  /** The entry's `type` when it is a string, else "" (as the index records it). */
  type: string;
  /** `id` as JSON.parse gives it (undefined when absent). */
  id: unknown;
  /** `parentId` as JSON.parse gives it (undefined when absent). */
  parentId: unknown;
  /** `[start, end)` of the `message` value, or -1/-1 when there is none. */
  messageStart: number;
  messageEnd: number;
  /** True when `message` is a JSON object. */
  messageIsObject: boolean;
  /** `message.role` as JSON.parse gives it (undefined when absent or when `message` is not an object). */
  role: unknown;
}

/** The keys of an object line without any of the tracked members (the scans fill in what they find). */
function noKeys(): LineKeys {
  return { type: "", id: undefined, parentId: undefined, messageStart: -1, messageEnd: -1, messageIsObject: false, role: undefined };
}

/** The answer for a line that is empty or only JSON whitespace (pi skips it). */
export const BLANK_LINE = "blank" as const;

// The container stack of the scan: 1 = object, 2 = array. Shared (a worker scans one line at a time).
let stack = new Uint8Array(64);
// The WASM validating pass (line-scan.ts), shared the same way: it finds the tracked top-level members
// (TOP_KEYS, in that order) and `role` in the object that is the `message` member's value.
const lineScan = new LineScan(
  TOP_KEYS.map(([key]) => key),
  TOP_KEYS.findIndex(([, slot]) => slot === Slot.message),
  ROLE_KEY,
);

/**
 * A buffer of `size` bytes for a line reader's chunks in the WASM kernel's memory (null where there is
 * none), so the lines read into it are scanned in place (see LineScan.readBuffer).
 */
export function scanReadBuffer(size: number): Buffer | null {
  return lineScan.readBuffer(size);
}

/** The value of `bytes[start, end)`, exactly as JSON.parse gives it. */
function decodeValue(b: Buffer, start: number, end: number): unknown {
  if (b[start] === QUOTE) {
    let plain = true;
    for (let k = start + 1; k < end - 1; k++) if (b[k] === BACKSLASH) { plain = false; break; }
    // toString with a range decodes in place: no Buffer view object per value (three or four a line).
    if (plain) return b.toString("utf8", start + 1, end - 1);
  }
  return JSON.parse(b.toString("utf8", start, end));
}

function sameBytes(b: Buffer, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (b[start + k] !== key[k]) return false;
  return true;
}

/** The slot a key names: `[start, end)` are the key's bytes between its quotes. */
function topSlot(b: Buffer, start: number, end: number, escaped: boolean): number {
  if (escaped) {
    // "\u0074ype" is "type" to JSON.parse: decode the (small) key and compare the text. Such a line is
    // left to the full parse (the index re-serializes a message whose key it cannot find by bytes).
    const text = decodeValue(b, start - 1, end + 1) as string;
    for (const [key] of TOP_KEYS) if (Buffer.from(text).equals(key)) return Slot.escaped;
    return Slot.other;
  }
  // Keys differ in length: one comparison at most.
  for (const [key, slot] of TOP_KEYS) if (end - start === key.length) return sameBytes(b, start, end, key) ? slot : Slot.other;
  return Slot.other;
}

function isRoleKey(b: Buffer, start: number, end: number, escaped: boolean): boolean {
  if (escaped) return decodeValue(b, start - 1, end + 1) === "role";
  return sameBytes(b, start, end, ROLE_KEY);
}

/**
 * Scans one line (without its `\n`). Returns the keys when the line is one well-formed JSON object,
 * {@link BLANK_LINE} when it holds only JSON whitespace, and null otherwise: malformed, not an object,
 * or characters the scan does not vouch for (e.g. a leading BOM or Unicode spaces, which pi's `trim()`
 * drops). The caller parses a null line in full to find out which, and reports it from there.
 */
export function scanLineKeys(b: Buffer): LineKeys | typeof BLANK_LINE | null {
  const n = b.length;
  let i = 0;
  while (i < n && SPACE[b[i]!]) i++;
  if (i === n) return BLANK_LINE;
  if (b[i] !== OPEN_BRACE) return null;
  const verdict = lineScan.scan(b);
  if (verdict === SCANNED) return keysFromRanges(b);
  if (verdict === NOT_AN_OBJECT) return null;

  // The same walk in JS (a line too long for the kernel, no WASM SIMD, or a tracked level's key spelled
  // with escapes, which only this walk decodes): every byte, one at a time.
  const keys = noKeys();
  let depth = 0;
  // The top-level member being read: its slot and where its value starts.
  let slot: number = Slot.other;
  let valueStart = -1;
  // Inside the current `message` object: the role member's value start (-1: not reading a role).
  let roleStart = -1;
  let messageRole: unknown = undefined;
  let lastKeyStart = 0;
  let lastKeyEnd = 0;
  let lastKeyEscaped = false;

  // States: expecting a value; after a value; right after `{`; after `,` in an object; right after `[`.
  const VALUE = 0, AFTER = 1, OBJECT_FIRST = 2, OBJECT_NEXT = 3, ARRAY_FIRST = 4;
  let state = VALUE;

  for (;;) {
    while (i < n && SPACE[b[i]!]) i++;
    if (i >= n) return null; // the line ended inside the object
    const c = b[i]!;

    if (state === OBJECT_FIRST || state === OBJECT_NEXT) {
      if (c === CLOSE_BRACE && state === OBJECT_FIRST) {
        depth--;
        i++;
        state = AFTER;
      } else if (c === QUOTE) {
        // A key, then `:`.
        const keyStart = i + 1;
        i = skipString(b, i);
        if (i < 0) return null;
        lastKeyStart = keyStart;
        lastKeyEnd = i - 1;
        lastKeyEscaped = hasEscape(b, keyStart, lastKeyEnd);
        while (i < n && SPACE[b[i]!]) i++;
        if (b[i] !== COLON) return null;
        i++;
        if (depth === 1) {
          slot = topSlot(b, lastKeyStart, lastKeyEnd, lastKeyEscaped);
          if (slot === Slot.escaped) return null;
          if (slot === Slot.message) messageRole = undefined; // a later `message` replaces an earlier one
        } else if (depth === 2 && slot === Slot.message && stack[1] === 1) {
          roleStart = isRoleKey(b, lastKeyStart, lastKeyEnd, lastKeyEscaped) ? -2 : -1; // -2: the next value is the role
        }
        state = VALUE;
        continue;
      } else {
        return null;
      }
    } else if (state === VALUE || state === ARRAY_FIRST) {
      if (c === CLOSE_BRACKET && state === ARRAY_FIRST) {
        depth--;
        i++;
        state = AFTER;
      } else {
        if (depth === 1) valueStart = i;
        else if (depth === 2 && roleStart === -2) roleStart = i;
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          if (depth === stack.length) {
            const grown = new Uint8Array(stack.length * 2);
            grown.set(stack);
            stack = grown;
          }
          stack[depth++] = c === OPEN_BRACE ? 1 : 2;
          i++;
          state = c === OPEN_BRACE ? OBJECT_FIRST : ARRAY_FIRST;
          continue;
        }
        if (depth === 0) return null; // the top level is not an object
        if (c === QUOTE) {
          i = skipString(b, i);
          if (i < 0) return null;
        } else if (c === 0x2d || DIGIT[c]) {
          i = skipNumber(b, i);
          if (i < 0) return null;
        } else if (c === 0x74) {
          if (!literal(b, i, TRUE)) return null;
          i += 4;
        } else if (c === 0x66) {
          if (!literal(b, i, FALSE)) return null;
          i += 5;
        } else if (c === 0x6e) {
          if (!literal(b, i, NULL)) return null;
          i += 4;
        } else {
          return null;
        }
        state = AFTER;
      }
    } else {
      // AFTER a value: `,` or the end of the container. The container the value was in is stack[depth-1].
      if (c === COMMA) {
        i++;
        state = stack[depth - 1] === 1 ? OBJECT_NEXT : VALUE;
      } else if (c === CLOSE_BRACE && stack[depth - 1] === 1) {
        depth--;
        i++;
      } else if (c === CLOSE_BRACKET && stack[depth - 1] === 2) {
        depth--;
        i++;
      } else {
        return null;
      }
    }
    if (depth === 0) break; // the line's object is closed

    // A value just ended at `i` if we are now after it: record the members we track.
    if (state === AFTER) {
      if (depth === 1 && valueStart >= 0) {
        if (slot !== Slot.other) setMember(keys, b, slot, valueStart, i, messageRole);
        valueStart = -1;
        slot = Slot.other;
      } else if (depth === 2 && roleStart >= 0) {
        messageRole = decodeValue(b, roleStart, i);
        roleStart = -1;
      }
    }
  }
  // Only whitespace may follow the object.
  while (i < n && SPACE[b[i]!]) i++;
  return i === n ? keys : null;
}

/** Strings a value is most often (entry types, roles), by byte length: decoded without a new string. */
type KnownStrings = Map<number, [Uint8Array, string][]>;
function knownStrings(values: Iterable<string>): KnownStrings {
  const known: KnownStrings = new Map();
  for (const v of values) {
    const bytes = Buffer.from(v);
    known.set(bytes.length, [...(known.get(bytes.length) ?? []), [bytes, v]]);
  }
  return known;
}
const TYPES = knownStrings(PI_ENTRY_TYPES);
const ROLES = knownStrings(Object.keys(RoleCode).filter((r) => r !== "other"));

/**
 * {@link decodeValue}, but a plain string equal to one of `known` gives that string: every line has a
 * type and most a role, and decoding them was a new string (a native call) each, for a handful of values.
 */
function decodeKnown(b: Buffer, start: number, end: number, known: KnownStrings): unknown {
  const candidates = b[start] === QUOTE ? known.get(end - start - 2) : undefined;
  if (candidates !== undefined) for (const [bytes, text] of candidates) if (sameBytes(b, start + 1, end - 1, bytes)) return text;
  return decodeValue(b, start, end);
}

/**
 * The last string id value decoded (`id` or `parentId`) and its bytes, quotes included. A line's
 * `parentId` is nearly always the previous line's `id`: the same bytes are the same string, so it is
 * returned without decoding a new one (one string per line fewer). Strings only: an object or array id
 * must stay a new value per line, as `JSON.parse` gives it (pi keys its map by identity then).
 */
const lastId = { bytes: new Uint8Array(64), length: -1, value: "" };

/** {@link decodeValue} for `id`/`parentId`, through {@link lastId}. */
function decodeId(b: Buffer, start: number, end: number): unknown {
  const n = end - start;
  if (n === lastId.length) {
    let k = 0;
    while (k < n && b[start + k] === lastId.bytes[k]) k++;
    if (k === n) return lastId.value;
  }
  const value = decodeValue(b, start, end);
  if (typeof value === "string" && n <= lastId.bytes.length) {
    for (let k = 0; k < n; k++) lastId.bytes[k] = b[start + k]!;
    lastId.length = n;
    lastId.value = value;
  }
  return value;
}

/**
 * Records the value of a tracked top-level member, `b[start, end)`, in `keys` (both walks). `role` is the
 * value of the last `role` member inside it (used when it is the `message` and an object).
 */
function setMember(keys: LineKeys, b: Buffer, slot: number, start: number, end: number, role: unknown): void {
  if (slot === Slot.type) keys.type = b[start] === QUOTE ? (decodeKnown(b, start, end, TYPES) as string) : "";
  else if (slot === Slot.id) keys.id = decodeId(b, start, end);
  else if (slot === Slot.parentId) keys.parentId = decodeId(b, start, end);
  else if (slot === Slot.message) {
    keys.messageStart = start;
    keys.messageEnd = end;
    keys.messageIsObject = b[start] === OPEN_BRACE;
    keys.role = keys.messageIsObject ? role : undefined;
  }
}

/**
 * The order {@link keysFromRanges} decodes the members in: `parentId` before `id`, so that the parentId
 * meets the previous line's id in {@link lastId} (the values do not depend on each other).
 */
const DECODE_ORDER = TOP_KEYS.map((_, k) => k).sort((a, b) => (TOP_KEYS[a]![1] === Slot.parentId ? -1 : 0) - (TOP_KEYS[b]![1] === Slot.parentId ? -1 : 0));

/**
 * The keys of a line the kernel validated, from the value ranges it found (line-scan.wat): the last
 * duplicate of a member wins, and `role` is the one of the object that is the last `message` member's
 * value — the JS walk's rules above.
 */
function keysFromRanges(b: Buffer): LineKeys {
  const r = lineScan.ranges;
  const keys = noKeys();
  const nested = 2 * TOP_KEYS.length; // message.role's range follows the top keys'
  for (const k of DECODE_ORDER) {
    const start = r[2 * k]!;
    if (start < 0) continue;
    const slot = TOP_KEYS[k]![1];
    const role = slot === Slot.message && r[nested]! >= 0 ? decodeKnown(b, r[nested]!, r[nested + 1]!, ROLES) : undefined;
    setMember(keys, b, slot, start, r[2 * k + 1]!, role);
  }
  return keys;
}

/** Bytes that end the fast run inside a string: the closing quote, a backslash, a raw control byte. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[QUOTE] = STRING_STOP[BACKSLASH] = 1;

/**
 * `i` is at an opening quote; returns the index just past the closing quote, or -1 when the string is
 * not valid JSON: a raw control byte, an invalid escape, or no closing quote. Validates while it skips,
 * escapes taken left to right (so `\\"` is an escaped backslash and then the real closing quote).
 *
 * Why one byte loop and not a native `indexOf` to the next quote: most of a transcript's bytes are inside
 * strings and must be validated anyway (a raw control byte or a bad escape makes the line malformed), so
 * a separate validation pass over every byte plus an `indexOf` call per string (most strings are short
 * keys, where the call costs more than the bytes) read each byte twice. One table lookup per byte reads it
 * once. Measured on the 28 MB bench transcript (lines in memory, CPU time, old and new alternating in one
 * process on the shared machine): 77–85 ms → 46–53 ms, with the range decode in {@link decodeValue}.
 */
function skipString(b: Buffer, i: number): number {
  const n = b.length;
  let k = i + 1;
  for (;;) {
    while (k < n && !STRING_STOP[b[k]!]) k++;
    if (k >= n) return -1;
    const c = b[k]!;
    if (c === QUOTE) return k + 1;
    if (c !== BACKSLASH) return -1; // a raw control byte
    k = skipEscape(b, k);
    if (k < 0) return -1;
  }
}

/** Whether `b[start, end)` holds a backslash (a key spelled with escapes). */
function hasEscape(b: Buffer, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (b[k] === BACKSLASH) return true;
  return false;
}

/** `i` is at a backslash inside a string; returns the index after the escape, or -1 when it is invalid. */
function skipEscape(b: Buffer, i: number): number {
  const e = b[i + 1];
  if (e === undefined) return -1;
  if (e === 0x75) {
    for (let k = 2; k < 6; k++) if (!HEX[b[i + k] ?? 0]) return -1;
    return i + 6;
  }
  return ESCAPE[e] ? i + 2 : -1;
}

/** `i` is at `-` or a digit; returns the index after a JSON number, or -1 when it is not one. */
function skipNumber(b: Buffer, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (DIGIT[b[i] ?? 0]) while (DIGIT[b[i] ?? 0]) i++;
  else return -1;
  if (b[i] === 0x2e) {
    i++;
    if (!DIGIT[b[i] ?? 0]) return -1;
    while (DIGIT[b[i] ?? 0]) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!DIGIT[b[i] ?? 0]) return -1;
    while (DIGIT[b[i] ?? 0]) i++;
  }
  return i;
}

function literal(b: Buffer, i: number, word: number[]): boolean {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return false;
  return true;
}
