/**
 * The per-line byte scans a session buffer carries (session-buffer.ts `encode`): the canonical-JSON flag
 * of each record (pi/canonical-json.ts, for 2026.6.9+'s exactness checks) and its member descriptor, the
 * FIELDS and LAYOUTS sections (pi/entry-fields.ts, for pi's own open on 2026.5.12–5.27).
 *
 * Why kept ({@link KeptScans}, one per read state): a buffer that re-sends records the worker sent before
 * — `whole`, a caller whose kept entries were dropped, 2026.5.12's kept buffers starting over after
 * MAX_PARTS — used to scan every one of them again (at 28 MB ~0.3 s of FIELDS, ~0.1 s canonical). A
 * state's records never change once read (a read state only grows by appends; any other change starts a
 * new state), so what a scan found for a record holds for the state's life.
 *
 * What the buffer holds must not depend on what was kept — a re-send equals a fresh encode, byte for
 * byte (test/openclaw/record-scans.test.ts):
 * - the canonical flag is a property of the line alone, kept per record;
 * - a descriptor is not: it names its layouts by their index in the buffer's own LayoutTable (first
 *   use, capped at MAX_LAYOUTS), so it depends on every record before it in the buffer. What is kept is
 *   the FIELDS of the last buffer that started at record 0, with its table: a later buffer from record 0
 *   is the same left-to-right pass over the same first records, so it takes those and goes on from
 *   there. A buffer from a later record (a continued read: the appended records only) has a table of
 *   its own and is scanned as before — it is the new records anyway.
 */
import { MAX_LAYOUTS, NO_FIELDS, RecordFlag } from "../protocol/session-buffer-layout.js";
import { describeEntry, LayoutTable } from "../pi/entry-fields.js";
import { isCanonicalJson } from "../pi/canonical-json.js";
import { grown } from "../grown.js";

/** Where a record's bytes are in the read's entry bytes. */
export interface ScannedRecord {
  offset: number;
  length: number;
}

/** A buffer's FIELDS and LAYOUTS sections (session-buffer-layout.ts). */
export interface FieldSections {
  fields: Uint32Array;
  layouts: Buffer;
}

/** `canonical` per record: not scanned yet. */
const UNKNOWN = 0;
const NOT_CANONICAL = 1;
const CANONICAL = 2;

/**
 * The FIELDS pass of records `[0, count)` as a buffer starting at record 0 made it: per record the start
 * of its descriptor in `words` (or NO_FIELDS), the descriptors, and the layout table they index.
 */
class FieldsPrefix {
  count = 0;
  index = new Uint32Array(64);
  words = new Uint32Array(1024);
  used = 0;
  readonly table = new LayoutTable();

  /** Describes records `[count, records.length)` into the prefix, in order (the one pass of a fresh encode). */
  extend(records: readonly ScannedRecord[], entryBytes: Buffer): void {
    const n = records.length;
    if (n > this.index.length) this.index = grown(this.index, this.count, Math.max(n, this.index.length * 2));
    for (let i = this.count; i < n; i++) {
      const r = records[i]!;
      const d = describeEntry(entryBytes.subarray(r.offset, r.offset + r.length), this.table, MAX_LAYOUTS);
      if (d === null) {
        this.index[i] = NO_FIELDS;
        continue;
      }
      if (this.used + d.length > this.words.length) this.words = grown(this.words, this.used, Math.max(this.used + d.length, this.words.length * 2));
      this.index[i] = this.used;
      this.words.set(d, this.used);
      this.used += d.length;
    }
    this.count = n;
  }

  /** The sections of a buffer of records `[0, count)`: the per-record words, then the descriptors. */
  sections(): FieldSections {
    const fields = new Uint32Array(this.count + this.used);
    fields.set(this.index.subarray(0, this.count));
    fields.set(this.words.subarray(0, this.used), this.count);
    return { fields, layouts: layoutsOf(this.table) };
  }

  get bytes(): number {
    return this.index.byteLength + this.words.byteLength;
  }
}

/** What the scans found for one read state's records, for the buffers it sends later (see the module comment). */
export class KeptScans {
  /** Per record: {@link UNKNOWN}, {@link NOT_CANONICAL} or {@link CANONICAL}. */
  private canonical = new Uint8Array(64);
  private prefix: FieldsPrefix | null = null;
  /** Lines the FIELDS pass has described, and lines checked for canonical JSON, for this state's buffers (what reuse saves shows here). */
  described = 0;
  checked = 0;

  /** Memory held (counted with the state's bytes in the worker's LRU). */
  get bytes(): number {
    return this.canonical.byteLength + (this.prefix?.bytes ?? 0);
  }

  /** Each record's `RecordFlag.canonical` for the buffer of `records[first..]`, scanning only records never scanned. */
  canonicalFlags(records: readonly ScannedRecord[], entryBytes: Buffer, first: number): Uint16Array {
    const n = records.length;
    if (n > this.canonical.length) this.canonical = grown(this.canonical, this.canonical.length, Math.max(n, this.canonical.length * 2));
    const flags = new Uint16Array(n - first);
    for (let i = first; i < n; i++) {
      let known = this.canonical[i]!;
      if (known === UNKNOWN) {
        const r = records[i]!;
        this.checked++;
        known = this.canonical[i] = isCanonicalJson(entryBytes.subarray(r.offset, r.offset + r.length)) ? CANONICAL : NOT_CANONICAL;
      }
      if (known === CANONICAL) flags[i - first] = RecordFlag.canonical;
    }
    return flags;
  }

  /**
   * The FIELDS and LAYOUTS of the buffer of `records[first..]`: from record 0, the kept pass extended to
   * the new records; from a later record, a pass of their own (see the module comment).
   */
  fieldSections(records: readonly ScannedRecord[], entryBytes: Buffer, first: number): FieldSections {
    if (first > 0) {
      this.described += records.length - first;
      return describeRecords(records.slice(first), entryBytes);
    }
    // Records only grow within a state; fewer than kept would be a state that changed: start over.
    if (this.prefix === null || this.prefix.count > records.length) this.prefix = new FieldsPrefix();
    this.described += records.length - this.prefix.count;
    this.prefix.extend(records, entryBytes);
    return this.prefix.sections();
  }
}

/**
 * The FIELDS and LAYOUTS sections for `records` with a layout table of their own (session-buffer-layout.ts):
 * each line's members located by pi/entry-fields.ts.
 */
export function describeRecords(records: readonly ScannedRecord[], entryBytes: Buffer): FieldSections {
  const pass = new FieldsPrefix();
  pass.extend(records, entryBytes);
  return pass.sections();
}

/** FIELDS and LAYOUTS saying "no members located" for each of `n` records (a read without the FIELDS pass). */
export function noFields(n: number): FieldSections {
  return { fields: new Uint32Array(n).fill(NO_FIELDS), layouts: Buffer.from("[]", "utf8") };
}

function layoutsOf(table: LayoutTable): Buffer {
  return Buffer.from(JSON.stringify(table.list), "utf8");
}

