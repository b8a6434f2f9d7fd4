/**
 * The entry index's storage: one row per entry in typed-array columns, and pi's id → entry map as a
 * hash index over those rows. A session's state is kept between builds for every transcript a worker
 * serves, so what it costs per entry decides the worker's memory: objects and id strings per entry were
 * ~206 B; rows here are ~50 B plus the hash slots, whatever the line's size.
 *
 * Ids are not kept: a string id is a 32-bit hash per row, and an equal hash is confirmed by reading the
 * row's id back from the transcript (the caller's `idOf`, a pread of that one line), so a collision
 * can never join two different ids. Reads back are rare: a new row's parent is nearly always one of the
 * last rows, whose ids the caller keeps (transcript-index.ts). What pi compares with `===`/Map semantics
 * and is not a string (numbers, null, objects: damaged files only) is kept as the value itself.
 */
import { EntryTypeCode, entryTypeCode, entryTypeName } from "../protocol/session-buffer-layout.js";
import { fnv1a } from "../protocol/string-hash.js";
import { grown } from "../grown.js";
import type { EmitsCode } from "./entry-record.js";

/** `parent` column: no parent (pi: a falsy parentId, the walk ends at a root). */
export const NO_PARENT = -1;
/** `parent` column: the parentId is kept in {@link RecordTable.keptParents} and found at walk time. */
export const KEPT_PARENT = -2;

/** `idKind` column. */
export const IdCode = {
  /** No `id` member (pi keys it `undefined`; a parentId never finds it). */
  absent: 0,
  /** A string id: its hash is in `idHash`, the row is in the hash index. */
  string: 1,
  /** Any other JSON value: kept in {@link RecordTable.keptIds} and found through `otherIds`. */
  other: 2,
} as const;

/**
 * Bits of the id hash; fewer only in tests (CTXC_ID_HASH_BITS, read once per thread), to force
 * collisions through the whole build and prove they are resolved by reading the ids back.
 */
const HASH_BITS = ((): number => {
  const bits = Number(process.env.CTXC_ID_HASH_BITS);
  return Number.isInteger(bits) && bits >= 1 && bits < 32 ? bits : 32;
})();
const HASH_MASK = HASH_BITS === 32 ? 0xffffffff : (1 << HASH_BITS) - 1;

/** FNV-1a over the UTF-16 code units (the string as pi's Map compares it: protocol/string-hash.ts), to {@link HASH_BITS}. */
export function idHash(id: string): number {
  return (fnv1a(id) & HASH_MASK) >>> 0;
}

/** The numeric columns, by name (the persistent index saves them as they are). */
export const NUMERIC_COLUMNS = [
  "line", "offset", "length", "typeCode", "emits", "role", "flags", "idKind",
  "valueStart", "valueEnd", "estimate", "tokens", "idHash", "sameHash", "parent",
] as const;
export type NumericColumn = (typeof NUMERIC_COLUMNS)[number];

type Column = Float64Array | Uint32Array | Int32Array | Uint8Array;

export class RecordTable {
  count = 0;
  /** 1-based line number. */
  line = new Uint32Array(16);
  /** Byte offset of the line's first byte (Float64: transcripts may pass 4 GB). */
  offset = new Float64Array(16);
  /** Byte length of the line, without its `\n`. */
  length = new Uint32Array(16);
  /** EntryTypeCode; `other` rows have their type string in {@link otherTypes}. */
  typeCode = new Uint8Array(16);
  emits = new Uint8Array(16);
  role = new Uint8Array(16);
  flags = new Uint8Array(16);
  idKind = new Uint8Array(16);
  /** `[start, end)` of a message's value, relative to `offset` (-1: unknown). */
  valueStart = new Int32Array(16);
  valueEnd = new Int32Array(16);
  estimate = new Int32Array(16);
  /** Token count once counted (-1 until then). */
  tokens = new Int32Array(16);
  idHash = new Uint32Array(16);
  /** The previous row whose string id has the same hash (-1: none): the hash index's chain. */
  sameHash = new Int32Array(16);
  /** The parent row found at ingest (pi's `byId.get(parentId)` then), {@link NO_PARENT} or {@link KEPT_PARENT}. */
  parent = new Int32Array(16);

  /** Type strings of rows whose type is not one of pi's ("" when the entry has none). */
  readonly otherTypes = new Map<number, string>();
  /** Ids that are not hashed strings (IdCode.other), and v1 files' synthesized ids (not in the line). */
  readonly keptIds = new Map<number, unknown>();
  /** Non-string ids → the last row with that id (pi's Map semantics for them). */
  readonly otherIds = new Map<unknown, number>();
  /** Parent ids not resolved at ingest (named later in the file, dangling, or not a string). */
  readonly keptParents = new Map<number, unknown>();
  /** Row → the later row that took its id (a duplicate id: pi's byId keeps the last). */
  readonly replacedBy = new Map<number, number>();
  /** Hash slots: the latest row of each hash (-1: empty); open addressing, at most half full. */
  private slots = new Int32Array(32).fill(-1);
  private used = 0;

  /** Appends a row; every column is reset (ids and parent are set by the caller). */
  add(line: number, offset: number, length: number, type: string): number {
    return this.addCoded(line, offset, length, entryTypeCode(type), type);
  }

  /** {@link add} for a type already coded (`type`: the string, used when `code` is `other`). */
  addCoded(line: number, offset: number, length: number, code: number, type: string): number {
    const r = this.count;
    if (r === this.line.length) this.grow(r * 2);
    this.count = r + 1;
    this.line[r] = line;
    this.offset[r] = offset;
    this.length[r] = length;
    this.typeCode[r] = code;
    if (code === EntryTypeCode.other) this.otherTypes.set(r, type);
    this.emits[r] = 0;
    this.role[r] = 0;
    this.flags[r] = 0;
    this.idKind[r] = IdCode.absent;
    this.valueStart[r] = -1;
    this.valueEnd[r] = -1;
    this.estimate[r] = 0;
    this.tokens[r] = -1;
    this.idHash[r] = 0;
    this.sameHash[r] = -1;
    this.parent[r] = NO_PARENT;
    return r;
  }

  typeOf(r: number): string {
    const code = this.typeCode[r]!;
    return code === EntryTypeCode.other ? (this.otherTypes.get(r) ?? "") : entryTypeName(code)!;
  }

  emitsOf(r: number): EmitsCode {
    return this.emits[r] as EmitsCode;
  }

  /** The latest row whose string id hashes to `hash` (-1: none); earlier ones follow `sameHash`. */
  headOf(hash: number): number {
    const mask = this.slots.length - 1;
    for (let k = mix(hash) & mask; ; k = (k + 1) & mask) {
      const r = this.slots[k]!;
      if (r < 0 || this.idHash[r] === hash) return r;
    }
  }

  /** Gives row `r` the string id of hash `hash`: the row goes to the head of that hash's chain. */
  indexId(r: number, hash: number): void {
    if ((this.used + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    this.idHash[r] = hash;
    this.idKind[r] = IdCode.string; // after the rehash, which would have placed it already
    this.link(r, hash, this.slots.length - 1);
  }

  /** Puts row `r` (string id of hash `hash`) at the head of that hash's chain in the slots (`mask`: their count − 1). */
  private link(r: number, hash: number, mask: number): void {
    let k = mix(hash) & mask;
    for (; this.slots[k]! >= 0 && this.idHash[this.slots[k]!] !== hash; k = (k + 1) & mask);
    if (this.slots[k]! < 0) this.used++;
    this.sameHash[r] = this.slots[k]!;
    this.slots[k] = r;
  }

  /** Forgets every cached token count (another tokenizer). */
  resetTokens(): void {
    this.tokens.fill(-1, 0, this.count);
  }

  /** Heap bytes held: the columns' capacity, the hash slots, and an estimate for the (rare) kept values. */
  get bytes(): number {
    let total = this.slots.byteLength;
    for (const name of NUMERIC_COLUMNS) total += this[name].byteLength;
    const kept = this.otherTypes.size + this.keptIds.size + this.otherIds.size + this.keptParents.size + this.replacedBy.size;
    return total + kept * 64;
  }

  /** The rows' columns as plain arrays (persistent index). */
  columns(): Record<NumericColumn, number[]> {
    const out = {} as Record<NumericColumn, number[]>;
    for (const name of NUMERIC_COLUMNS) out[name] = Array.from(this[name].subarray(0, this.count));
    return out;
  }

  /** Restores what {@link columns} gave (rows only; the caller restores the kept maps). */
  restoreColumns(count: number, columns: Record<NumericColumn, number[]>): void {
    // A saved file is data: a row number out of range would send a walk off the table.
    for (const name of NUMERIC_COLUMNS) for (const v of columns[name]) if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`column ${name}`);
    for (const p of columns.parent) if (p < KEPT_PARENT || p >= count) throw new Error("column parent");
    for (const c of columns.typeCode) if (entryTypeName(c) === undefined) throw new Error("column typeCode");
    for (const k of columns.idKind) if (k > IdCode.other) throw new Error("column idKind");
    this.grow(Math.max(16, count));
    for (const name of NUMERIC_COLUMNS) this[name].set(columns[name]);
    this.count = count;
    this.rehash(32);
  }

  private grow(capacity: number): void {
    for (const name of NUMERIC_COLUMNS) {
      const old: Column = this[name];
      (this as unknown as Record<NumericColumn, Column>)[name] = grown(old, old.length, capacity);
    }
  }

  /** Rebuilds the slots from the rows (in file order, so each chain runs newest → oldest). */
  private rehash(capacity: number): void {
    let size = capacity;
    let hashes = 0;
    for (let r = 0; r < this.count; r++) if (this.idKind[r] === IdCode.string) hashes++;
    while (size < (hashes + 1) * 2) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.used = 0;
    const mask = size - 1;
    for (let r = 0; r < this.count; r++) if (this.idKind[r] === IdCode.string) this.link(r, this.idHash[r]!, mask);
  }
}

/** Spreads a hash over the slots (a test's few-bit hashes, sequential-looking ids). */
function mix(hash: number): number {
  return Math.imul(hash ^ (hash >>> 16), 0x45d9f3b) >>> 0;
}
