/**
 * The record table's rows as they are added (pi/record-table.ts): what is not a column — the line number
 * (kept where it differs from the row's), the offset's high word (past 4 GiB), the hash chain's link
 * (only where a row has one), the 16-bit columns' values past 16 bits (a line past 64 KiB, a parent
 * 65,533 rows back, a count past 65,534 tokens) — must read back as it was given, and the saved form (`columns()`, the
 * persistent index's) must be the one of a column per name: the same arrays, and a restore of them the
 * same table. `fit()` (a build's end) drops the spare capacity and the next growth is by an eighth.
 * Checked against a plain model of what was added, on seeded random sequences with skipped lines, offsets
 * around multiples of 2^32 and hashes from a small set (chains of collisions and repeats).
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../../bench/fixtures/transcript-generator.js";
import { IdCode, KEPT_PARENT, NO_PARENT, RecordTable } from "../../native-free-workers/pi/record-table.js";

/** A seeded generator (the fixtures' own: the sequences are reproducible). */
function rng(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

interface Model {
  line: number[];
  offset: number[];
  hash: (number | null)[];
  /** [length, parent, valueStart, valueEnd, estimate, tokens] */
  narrow: number[][];
}

/** Mostly small, now and then past 16 bits or at its edges. */
function sized(random: () => number): number {
  const x = random();
  return x < 0.1 ? [0, 65533, 65534, 65535, 65536][Math.floor(random() * 5)]! : x < 0.2 ? Math.floor(random() * 5e6) : Math.floor(random() * 3000);
}

/** Adds `n` rows to `t` (and `m`), `fitEvery` rows a fit() as a build's end does. */
function addRows(t: RecordTable, m: Model, n: number, random: () => number, fitEvery: number): void {
  let line = m.line.length ? m.line[m.line.length - 1]! : 0;
  let offset = m.offset.length ? m.offset[m.offset.length - 1]! : 0;
  for (let i = 0; i < n; i++) {
    line += random() < 0.1 ? 1 + Math.floor(random() * 4) : 1; // blank, malformed lines: skipped
    const step = random();
    // Mostly short lines; now and then a jump to just under or past a multiple of 4 GiB.
    offset += step < 0.05 ? 2 ** 32 - (offset % 2 ** 32) + Math.floor(random() * 3) - 1 : 1 + Math.floor(step * 5000);
    const length = sized(random) + 2;
    const r = t.add(line, offset, length, "message");
    const start = random() < 0.1 ? -1 : Math.min(sized(random), length - 1);
    const end = start < 0 ? -1 : random() < 0.05 ? -1 : start + Math.floor(random() * (length - start));
    t.setValueRange(r, start, end);
    const estimate = sized(random);
    t.setEstimate(r, estimate);
    const tokens = random() < 0.3 ? -1 : sized(random);
    if (tokens >= 0) t.setTokens(r, tokens);
    const x = random();
    // Parents: none, kept, the row before, far back, and (a saved file's) not before the row.
    const parent = x < 0.1 ? NO_PARENT : x < 0.15 ? KEPT_PARENT : x < 0.7 ? r - 1 : x < 0.98 ? Math.floor(random() * r) : r;
    t.setParentRow(r, parent);
    m.narrow.push([length, parent, start, end, estimate, tokens]);
    m.line.push(line);
    m.offset.push(offset);
    const hash = random() < 0.8 ? Math.floor(random() * 40) : null;
    if (hash !== null) t.indexId(r, hash);
    m.hash.push(hash);
    if ((i + 1) % fitEvery === 0) {
      t.fit();
      expect(t.capacity - t.count).toBeLessThanOrEqual(Math.max(16 - t.count, t.count >>> 3));
    }
  }
}

/** The table against the model: lines, offsets, the 16-bit columns, and each row's previous row of the same hash. */
function expectModel(t: RecordTable, m: Model): void {
  expect(t.count).toBe(m.line.length);
  const rows = Array.from({ length: t.count }, (_, r) => r);
  expect(rows.map((r) => t.lineOf(r))).toEqual(m.line);
  expect(rows.map((r) => t.offsetOf(r))).toEqual(m.offset);
  expect(rows.map((r) => [t.lengthOf(r), t.parentRowOf(r), t.valueStartOf(r), t.valueEndOf(r), t.estimateOf(r), t.tokensOf(r)])).toEqual(m.narrow);
  expect(rows.map((r) => t.idKind[r])).toEqual(m.hash.map((h) => (h === null ? IdCode.absent : IdCode.string)));
  const previous = new Map<number, number>();
  const chains: number[] = [];
  const expected: number[] = [];
  for (let r = 0; r < t.count; r++) {
    const hash = m.hash[r]!;
    if (hash === null) continue;
    chains.push(t.sameHashOf(r));
    expected.push(previous.get(hash) ?? -1);
    previous.set(hash, r);
  }
  expect(chains).toEqual(expected);
  for (const [hash, r] of previous) expect(t.headOf(hash)).toBe(r);
}

describe("record table rows", () => {
  for (const seed of [1, 2, 3]) {
    it(`reads back lines, offsets past 4 GiB and hash chains as added, across fits and growths (seed ${seed})`, () => {
      const random = rng(seed);
      const t = new RecordTable();
      const m: Model = { line: [], offset: [], hash: [], narrow: [] };
      const cold = seed === 3 ? 70000 : 3000; // 70,000: parents more than 65,533 rows back
      addRows(t, m, cold, random, cold + 1); // a cold build: one fit at its end
      t.fit();
      expect(t.capacity).toBe(cold);
      expectModel(t, m);
      for (let turn = 0; turn < 40; turn++) addRows(t, m, 1 + Math.floor(random() * 20), random, 1e9), t.fit(); // warm turns
      expect(t.capacity - t.count).toBeLessThanOrEqual(t.count >>> 3);
      expect(t.capacity).toBeGreaterThan(t.count); // grew by an eighth, not refitted each turn
      expectModel(t, m);

      // The saved form has every column of the layout, a value per row, and restores the same table.
      const saved = t.columns();
      expect(saved.line).toEqual(m.line);
      expect(saved.offset).toEqual(m.offset);
      expect(saved.sameHash.filter((q) => q >= 0).length).toBeGreaterThan(0);
      const back = new RecordTable();
      back.restoreColumns(t.count, saved);
      expect(back.columns()).toEqual(saved);
      expect(back.capacity).toBe(t.count);
      expectModel(back, m);
      addRows(back, m, 500, random, 97); // appends after a restore: fitted, grows by an eighth
      expectModel(back, m);

      // Counts change (counted, then another tokenizer): a row's count past 16 bits goes back to the column.
      back.setTokens(1, 70000);
      back.setTokens(1, 12);
      expect(back.tokensOf(1)).toBe(12);
      back.setTokens(2, 70000);
      back.resetTokens();
      expect(Array.from({ length: back.count }, (_, r) => back.tokensOf(r)).every((n) => n === -1)).toBe(true);
    });
  }

  it("fits the hash slots to ~70% full at a build's end, grows them past 80%, and finds every id's row throughout", () => {
    const random = rng(7);
    const t = new RecordTable();
    const heads = new Map<number, number>();
    const add = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const r = t.add(t.count + 1, t.count * 10, 9, "message");
        const hash = Math.floor(random() * 2 ** 32);
        t.indexId(r, hash);
        heads.set(hash, r);
      }
    };
    const expectHeads = (): void => {
      for (const [hash, r] of heads) expect(t.headOf(hash)).toBe(r);
    };
    add(20000); // a cold build: at most half full
    expect(t.slotUse.used / t.slotUse.slots).toBeLessThanOrEqual(0.5);
    expectHeads();
    t.fit();
    const fitted = t.slotUse;
    expect(fitted.used).toBe(heads.size);
    expect(fitted.used / fitted.slots).toBeGreaterThan(0.65);
    expect(fitted.used / fitted.slots).toBeLessThanOrEqual(0.7);
    expectHeads();
    let grewAt = -1;
    for (let turn = 0; turn < 300 && grewAt < 0; turn++) {
      add(10); // warm turns: no refit while 60–80% full
      t.fit();
      if (t.slotUse.slots !== fitted.slots) grewAt = t.count;
      else expect(t.slotUse.used / t.slotUse.slots).toBeLessThanOrEqual(0.8);
    }
    expect(grewAt).toBeGreaterThan(0); // grew once past 80%, then fitted again
    expect(t.slotUse.used / t.slotUse.slots).toBeLessThanOrEqual(0.7);
    expectHeads();

    const none = new RecordTable(); // no string ids (damaged files): the first 32 slots are kept, not rebuilt
    for (let r = 0; r < 100; r++) none.add(r + 1, r * 10, 9, "message");
    none.fit();
    expect(none.slotUse).toEqual({ slots: 32, used: 0 });
  });

  it("refuses a saved column value that is not a whole number (10.5, 2^53, NaN, Infinity, a string) or a line below 0 (the file is not one it wrote)", () => {
    const t = new RecordTable();
    for (let r = 0; r < 3; r++) t.add(r + 1, r * 10, 9, "message");
    for (const [name, value] of [["offset", 10.5], ["line", -1], ["offset", 2 ** 53], ["estimate", Number.NaN], ["parent", Number.POSITIVE_INFINITY], ["tokens", "7" as unknown as number]] as const) {
      const saved = t.columns();
      saved[name][1] = value;
      expect(() => new RecordTable().restoreColumns(3, saved)).toThrow(`column ${name}`);
    }
  });
});
