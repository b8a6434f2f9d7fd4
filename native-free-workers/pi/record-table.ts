/**
 * The entry index's storage: one row per entry in typed-array columns, and pi's id → entry map as a
 * hash index over those rows. A session's state is kept between builds for every transcript a worker
 * serves, so what it costs per entry decides the worker's memory: objects and id strings per entry were
 * ~206 B; rows here are 25 B plus the hash slots, whatever the line's size. What is the same from row to
 * row is not a column: the line number (the row's, but where a blank or damaged line was skipped) and the
 * offset's high word (0 below 4 GiB) are kept where they change (pi/row-steps.ts), and the hash chain's
 * link only for the rows that have one (a duplicate id or a collision). Lines' lengths, parents (as
 * how many rows back), token counts, estimates and a message's range in its line are 16-bit (a line of
 * 65,535 bytes or more, a parent 65,534 or more rows back, a count of 65,534 tokens or more: the column
 * says so and the value is in a map). A build ends with {@link fit}: the columns lose their spare
 * capacity (a cold build's doubling left up to half of them empty) and grow by an eighth on the next
 * appends; the hash slots are sized to ~70% full.
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
import { RowSteps } from "./row-steps.js";

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

/** The numeric columns, by name, as the persistent index saves them ({@link RecordTable.columns}). */
export const NUMERIC_COLUMNS = [
  "line", "offset", "length", "typeCode", "emits", "role", "flags", "idKind",
  "valueStart", "valueEnd", "estimate", "tokens", "idHash", "sameHash", "parent",
] as const;
export type NumericColumn = (typeof NUMERIC_COLUMNS)[number];

/** The typed columns saved and restored as they are (the others go through their accessors: wide values, steps, chains). */
const SAVED_AS_IS = ["typeCode", "emits", "role", "flags", "idKind", "idHash"] as const;

/** The columns held as typed arrays, one item per row (the others: {@link RecordTable.lineOf}, {@link RecordTable.offsetOf}, {@link RecordTable.sameHashOf}). */
const TYPED_COLUMNS = [
  "offsetLow", "length", "typeCode", "emits", "role", "flags", "idKind",
  "valueStart", "valueEnd", "estimate", "tokens", "idHash", "parent",
] as const;
type TypedColumn = (typeof TYPED_COLUMNS)[number];
/** The 16-bit columns, read and written through their methods ({@link RecordTable.tokensOf}, …). */
type NarrowColumn = "length" | "parent" | "valueStart" | "valueEnd" | "estimate" | "tokens";

type Column = Uint32Array | Int32Array | Uint16Array | Uint8Array;

/** A 16-bit column's code for a value it cannot hold: the row's value is in the column's map. */
const WIDE = 0xffff;

const TWO_32 = 2 ** 32;

export class RecordTable {
  count = 0;
  /** The low 32 bits of the byte offset of the line's first byte ({@link offsetOf}). */
  offsetLow = new Uint32Array(16);
  /** Byte length of the line, without its `\n` ({@link lengthOf}). */
  length = new Uint16Array(16);
  /** EntryTypeCode; `other` rows have their type string in {@link otherTypes}. */
  typeCode = new Uint8Array(16);
  emits = new Uint8Array(16);
  role = new Uint8Array(16);
  flags = new Uint8Array(16);
  idKind = new Uint8Array(16);
  /** `[start, end)` of a message's value, relative to the offset (-1: unknown): start + 1 ({@link valueStartOf}). */
  valueStart = new Uint16Array(16);
  /** The end as the line's length − end + 1, 0 for -1: a message's value ends a few bytes before its line's ({@link valueEndOf}). */
  valueEnd = new Uint16Array(16);
  /** {@link estimateOf}. */
  estimate = new Uint16Array(16);
  /** Token count once counted (-1 until then), + 1 ({@link tokensOf}). */
  tokens = new Uint16Array(16);
  idHash = new Uint32Array(16);
  /** {@link parentRowOf}, coded: 0 {@link NO_PARENT}, 1 {@link KEPT_PARENT}, else how many rows back + 1. */
  parent = new Uint16Array(16);

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
  /** Values of the 16-bit columns' rows coded {@link WIDE}. */
  private readonly wide: Record<NarrowColumn, Map<number, number>> = {
    length: new Map(), parent: new Map(), valueStart: new Map(), valueEnd: new Map(), estimate: new Map(), tokens: new Map(),
  };
  /** Row → the previous row whose string id has the same hash: the hash index's chain ({@link sameHashOf}). */
  private readonly sameHashes = new Map<number, number>();
  /** 1-based line number − row (see {@link lineOf}). */
  private readonly lineSteps = new RowSteps(1);
  /** The offset's bits above the low 32 (see {@link offsetOf}; transcripts may pass 4 GiB). */
  private readonly offsetHigh = new RowSteps(0);
  /** Whether the columns were fitted to the rows since they last grew: the next growth is then by an eighth. */
  private fitted = false;
  /**
   * Hash slots: the latest row of each hash (-1: empty); open addressing over any number of slots. At
   * most half full while rows are read (doubling: a cold build inserts every row); {@link fit} then sizes
   * them to ~70% full, and they grow again past 80% (a half-full table was 8–16 B per id, fitted ~6).
   */
  private slots = new Int32Array(32).fill(-1);
  /** Slots holding a row. */
  private used = 0;
  /** {@link used} past which the slots grow. */
  private slotLimit = 16;

  /** Appends a row; every column is reset (ids and parent are set by the caller). */
  add(line: number, offset: number, length: number, type: string): number {
    return this.addCoded(line, offset, length, entryTypeCode(type), type);
  }

  /** {@link add} for a type already coded (`type`: the string, used when `code` is `other`). */
  addCoded(line: number, offset: number, length: number, code: number, type: string): number {
    const r = this.count;
    if (r === this.typeCode.length) this.grow(this.fitted ? r + Math.max(16, r >>> 3) : r * 2);
    this.count = r + 1;
    this.place(r, line, offset, length);
    this.typeCode[r] = code;
    if (code === EntryTypeCode.other) this.otherTypes.set(r, type);
    this.emits[r] = 0;
    this.role[r] = 0;
    this.flags[r] = 0;
    this.idKind[r] = IdCode.absent;
    this.valueStart[r] = 0; // -1
    this.valueEnd[r] = 0; // -1
    this.estimate[r] = 0;
    this.tokens[r] = 0; // -1
    this.idHash[r] = 0;
    this.parent[r] = 0; // NO_PARENT
    return r;
  }

  /**
   * Sets row `r`'s line number, byte offset and line length: a new row ({@link addCoded}) or a restore's
   * next ({@link restoreColumns}) — rows in ascending order, as the line and offset steps need.
   */
  private place(r: number, line: number, offset: number, length: number): void {
    this.lineSteps.set(r, line - r);
    const high = offset < TWO_32 ? 0 : Math.floor(offset / TWO_32);
    this.offsetHigh.set(r, high);
    this.offsetLow[r] = offset - high * TWO_32;
    put(this.length, this.wide.length, r, length, length);
  }

  /** Row `r`'s 1-based line number. */
  lineOf(r: number): number {
    return r + this.lineSteps.at(r);
  }

  /** Row `r`'s byte offset: of the line's first byte (after a BOM on line 1). */
  offsetOf(r: number): number {
    return this.offsetHigh.at(r) * TWO_32 + this.offsetLow[r]!;
  }

  /** Row `r`'s line's byte length, without its `\n`. */
  lengthOf(r: number): number {
    const c = this.length[r]!;
    return c === WIDE ? this.wide.length.get(r)! : c;
  }

  /** The parent row found at ingest (pi's `byId.get(parentId)` then), {@link NO_PARENT} or {@link KEPT_PARENT}. */
  parentRowOf(r: number): number {
    const c = this.parent[r]!;
    return c === WIDE ? this.wide.parent.get(r)! : c === 0 ? NO_PARENT : c === 1 ? KEPT_PARENT : r - (c - 1);
  }

  setParentRow(r: number, p: number): void {
    put(this.parent, this.wide.parent, r, p === NO_PARENT ? 0 : p === KEPT_PARENT ? 1 : p >= 0 && p < r ? r - p + 1 : -1, p);
  }

  /** Row `r`'s message value's start in its line (-1: unknown). */
  valueStartOf(r: number): number {
    const c = this.valueStart[r]!;
    return c === WIDE ? this.wide.valueStart.get(r)! : c - 1;
  }

  /** Row `r`'s message value's end in its line (-1: unknown). */
  valueEndOf(r: number): number {
    const c = this.valueEnd[r]!;
    return c === WIDE ? this.wide.valueEnd.get(r)! : c === 0 ? -1 : this.lengthOf(r) - (c - 1);
  }

  /** Sets row `r`'s message value's `[start, end)` in its line (its length set already). */
  setValueRange(r: number, start: number, end: number): void {
    put(this.valueStart, this.wide.valueStart, r, start + 1, start);
    const tail = this.lengthOf(r) - end;
    put(this.valueEnd, this.wide.valueEnd, r, end === -1 ? 0 : tail >= 0 ? tail + 1 : -1, end);
  }

  /** Row `r`'s estimate of the tokens it emits. */
  estimateOf(r: number): number {
    const c = this.estimate[r]!;
    return c === WIDE ? this.wide.estimate.get(r)! : c;
  }

  setEstimate(r: number, estimate: number): void {
    put(this.estimate, this.wide.estimate, r, estimate, estimate);
  }

  /** Row `r`'s token count once counted (-1 until then). */
  tokensOf(r: number): number {
    const c = this.tokens[r]!;
    return c === WIDE ? this.wide.tokens.get(r)! : c - 1;
  }

  setTokens(r: number, tokens: number): void {
    put(this.tokens, this.wide.tokens, r, tokens + 1, tokens);
  }

  /** The previous row whose string id has row `r`'s hash (-1: none): the chain {@link headOf} starts. */
  sameHashOf(r: number): number {
    return this.sameHashes.get(r) ?? -1;
  }

  typeOf(r: number): string {
    const code = this.typeCode[r]!;
    return code === EntryTypeCode.other ? (this.otherTypes.get(r) ?? "") : entryTypeName(code)!;
  }

  emitsOf(r: number): EmitsCode {
    return this.emits[r] as EmitsCode;
  }

  /** The latest row whose string id hashes to `hash` (-1: none); earlier ones follow {@link sameHashOf}. */
  headOf(hash: number): number {
    const slots = this.slots;
    for (let k = firstSlot(hash, slots.length); ; k = k + 1 === slots.length ? 0 : k + 1) {
      const r = slots[k]!;
      if (r < 0 || this.idHash[r] === hash) return r;
    }
  }

  /**
   * Gives row `r` the string id of hash `hash`: the row goes to the head of that hash's chain. Returns
   * the row it follows in the chain ({@link sameHashOf}: the previous row of that hash, -1 for none).
   */
  indexId(r: number, hash: number): number {
    if (this.used + 1 > this.slotLimit) this.rehash(this.slots.length * 2, 0.5);
    this.idHash[r] = hash;
    this.idKind[r] = IdCode.string; // after the rehash, which would have placed it already
    return this.link(r, hash);
  }

  /** Puts row `r` (string id of hash `hash`) at the head of that hash's chain in the slots; returns the row after it. */
  private link(r: number, hash: number): number {
    const slots = this.slots;
    let k = firstSlot(hash, slots.length);
    for (; slots[k]! >= 0 && this.idHash[slots[k]!] !== hash; k = k + 1 === slots.length ? 0 : k + 1);
    const head = slots[k]!;
    if (head < 0) this.used++;
    else this.sameHashes.set(r, head);
    this.slots[k] = r;
    return head;
  }

  /** Forgets every cached token count (another tokenizer). */
  resetTokens(): void {
    this.tokens.fill(0, 0, this.count); // -1
    this.wide.tokens.clear();
  }

  /** Heap bytes held: the columns' capacity, the hash slots, and an estimate for the (rare) kept values. */
  get bytes(): number {
    let total = this.slots.byteLength;
    for (const name of TYPED_COLUMNS) total += this[name].byteLength;
    let kept = this.otherTypes.size + this.keptIds.size + this.otherIds.size + this.keptParents.size + this.replacedBy.size + this.sameHashes.size;
    for (const wide of Object.values(this.wide)) kept += wide.size;
    return total + (kept + this.lineSteps.size + this.offsetHigh.size) * 64;
  }

  /**
   * Drops the columns' spare capacity (a build's end: the rows stay until the next build, which appends
   * a few). Spare of up to an eighth is left as it is, so the next growth (an eighth) is not undone each build.
   */
  fit(): void {
    const capacity = this.typeCode.length;
    if (capacity - this.count > this.count >>> 3 && capacity > 16) this.grow(Math.max(16, this.count));
    this.fitted = true;
    // Slots under 60% full (as rows are read, at most half) are sized to 70%; they grow past 80%. Not the
    // first 32 (a rehash walks every row: a file with few string ids would pay it each build for nothing).
    if (this.slots.length > 32 && (this.used + 1) / this.slots.length < 0.6) this.rehash(Math.max(32, Math.ceil((this.used + 1) / 0.7)), 0.8);
  }

  /** Row capacity of the columns (tests). */
  get capacity(): number {
    return this.typeCode.length;
  }

  /** Hash slots, and how many hold a row (tests). */
  get slotUse(): { slots: number; used: number } {
    return { slots: this.slots.length, used: this.used };
  }

  /** The rows' columns as plain arrays (persistent index): every {@link NUMERIC_COLUMNS} name, a value per row. */
  columns(): Record<NumericColumn, number[]> {
    const out = {} as Record<NumericColumn, number[]>;
    const rows = Array.from({ length: this.count }, (_, r) => r);
    for (const name of SAVED_AS_IS) out[name] = Array.from(this[name].subarray(0, this.count));
    out.length = rows.map((r) => this.lengthOf(r));
    out.parent = rows.map((r) => this.parentRowOf(r));
    out.line = rows.map((r) => this.lineOf(r));
    out.offset = rows.map((r) => this.offsetOf(r));
    out.valueStart = rows.map((r) => this.valueStartOf(r));
    out.valueEnd = rows.map((r) => this.valueEndOf(r));
    out.estimate = rows.map((r) => this.estimateOf(r));
    out.tokens = rows.map((r) => this.tokensOf(r));
    out.sameHash = rows.map((r) => this.sameHashOf(r));
    return out;
  }

  /** Restores what {@link columns} gave (rows only; the caller restores the kept maps). */
  restoreColumns(count: number, columns: Record<NumericColumn, number[]>): void {
    // A saved file is data: a row number out of range would send a walk off the table. The kept split (a run
    // per change, low words, 16-bit codes) holds whole numbers only, so anything else is not our file.
    for (const name of NUMERIC_COLUMNS) for (const v of columns[name]) if (!Number.isSafeInteger(v)) throw new Error(`column ${name}`);
    for (const p of columns.parent) if (p < KEPT_PARENT || p >= count) throw new Error("column parent");
    for (const c of columns.typeCode) if (entryTypeName(c) === undefined) throw new Error("column typeCode");
    for (const k of columns.idKind) if (k > IdCode.other) throw new Error("column idKind");
    for (const name of ["line", "offset"] as const) for (const v of columns[name]) if (v < 0) throw new Error(`column ${name}`);
    this.grow(Math.max(16, count));
    for (const name of SAVED_AS_IS) this[name].set(columns[name]);
    this.lineSteps.clear();
    this.offsetHigh.clear();
    for (const wide of Object.values(this.wide)) wide.clear();
    for (let r = 0; r < count; r++) {
      this.place(r, columns.line[r]!, columns.offset[r]!, columns.length[r]!);
      this.setParentRow(r, columns.parent[r]!);
      this.setValueRange(r, columns.valueStart[r]!, columns.valueEnd[r]!);
      this.setEstimate(r, columns.estimate[r]!);
      this.setTokens(r, columns.tokens[r]!);
    }
    this.count = count;
    // The chains (sameHash) are the slots' to rebuild, not the file's: room for every string id, then fitted.
    let hashes = 0;
    for (let r = 0; r < count; r++) if (this.idKind[r] === IdCode.string) hashes++;
    this.rehash(Math.max(32, 2 * (hashes + 1)), 0.5);
    this.fit();
  }

  private grow(capacity: number): void {
    for (const name of TYPED_COLUMNS) {
      const old: Column = this[name];
      (this as unknown as Record<TypedColumn, Column>)[name] = grown(old, this.count, capacity);
    }
    this.fitted = false;
  }

  /**
   * Rebuilds the slots from the rows (in file order, so each chain runs newest → oldest): `size` of them
   * (more than the rows' distinct hashes: {@link used} before, or every string id), growing once more
   * than `load` of them are full.
   */
  private rehash(size: number, load: number): void {
    this.slots = new Int32Array(size).fill(-1);
    this.slotLimit = Math.floor(size * load);
    this.sameHashes.clear();
    this.used = 0;
    for (let r = 0; r < this.count; r++) if (this.idKind[r] === IdCode.string) this.link(r, this.idHash[r]!);
  }
}

/**
 * Writes `code` in row `r` of a 16-bit column, or {@link WIDE} and keeps `value` in its map when the code
 * does not fit (the column and its map passed as such: a column chosen by name here was a keyed access
 * per row, measurable on a cold build).
 */
function put(column: Uint16Array, wide: Map<number, number>, r: number, code: number, value: number): void {
  if (code >= 0 && code < WIDE && Number.isInteger(code)) {
    column[r] = code;
    if (wide.size > 0) wide.delete(r);
  } else {
    column[r] = WIDE;
    wide.set(r, value);
  }
}

/**
 * The slot a hash's probe starts at, among `size`: the hash spread (a test's few-bit hashes,
 * sequential-looking ids), then scaled to the slots (any number of them, not only a power of two).
 */
function firstSlot(hash: number, size: number): number {
  const mixed = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b) >>> 0;
  return Math.min(size - 1, Math.floor((mixed * size) / TWO_32)); // the product is rounded: min keeps it in range
}
