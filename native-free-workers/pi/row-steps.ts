/**
 * A per-row number that changes only at a few rows, kept as those rows alone: the record table's line
 * numbers (row + 1 but where a blank or damaged line was skipped) and the high words of its byte
 * offsets (0 below 4 GiB). A column of them cost 4 B per entry for a value that is the same run after
 * run; here a well-formed transcript keeps no pair at all, and a damaged one a pair per change.
 *
 * Rows are set in order (the table appends them); {@link at} finds a row's run by binary search, so a
 * row read back (diagnostics, a context item's source line) costs log(changes), usually nothing.
 */
export class RowSteps {
  /** First row of each run after the first, ascending. */
  private readonly rows: number[] = [];
  /** The value of each run in {@link rows}. */
  private readonly values: number[] = [];

  /** @param initial the value of the rows before the first change. */
  constructor(private readonly initial: number) {}

  /** Sets row `r`'s value (rows in ascending order: `r` is the table's new last row, or a restore's next). */
  set(r: number, value: number): void {
    const n = this.rows.length;
    if (value === (n === 0 ? this.initial : this.values[n - 1])) return;
    this.rows.push(r);
    this.values.push(value);
  }

  /** Row `r`'s value. */
  at(r: number): number {
    const rows = this.rows;
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid]! <= r) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? this.initial : this.values[lo - 1]!;
  }

  /** Forgets every run (a restore sets the rows again). */
  clear(): void {
    this.rows.length = 0;
    this.values.length = 0;
  }

  /** Runs kept (for the heap estimate). */
  get size(): number {
    return this.rows.length;
  }
}
