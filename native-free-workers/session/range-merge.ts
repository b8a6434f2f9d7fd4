/**
 * The owner's side of a split cold build (issue 14): after indexing `[0, batch.start)` itself, the lane
 * that owns the session replays another lane's range scan (pi/range-scan.ts, protocol/key-batch.ts)
 * in file order through the same sink as the lines it reads, numbering the lines on from its own count.
 * Every line goes through the index's own rules — pi's duplicate-id rule, parent links, diagnostics and
 * their order — but what the range could settle itself arrives settled: ids as hashes, a parent or an
 * earlier equal id within the range as a line, so runs of lines are merged as column writes and
 * hash-slot inserts (TranscriptIndex.ingestRun). Replaying decoded ids line by line instead cost the
 * owner about a third of what the scan saved it (~15 of ~44 ms CPU for 70 % of a 28 MB file; now ~5.5,
 * bench/split-replay.ts): the split did not end five cold builds sooner.
 * A line the scan could not vouch for, or one that must be read in full at this point (the header
 * still to come, a migrated v1/v2 file, the append check's first bytes), is read back and handed over
 * as bytes, exactly as the single pass would have read it.
 */
import type { LineSink } from "../io/line-reader.js";
import { BLANK_LINE, type LineKeys } from "../pi/line-keys.js";
import type { RunValues } from "../pi/transcript-index.js";
import { IdCode, type RecordTable } from "../pi/record-table.js";
import { LineKind, ValueTag, type KeyBatch } from "../protocol/key-batch.js";

/** A build's line sink, plus lines whose key scan was done elsewhere. */
export interface ScannedLineSink extends LineSink {
  /** Takes a line from its keys; false (nothing done) when it must be handed over as bytes instead. */
  onScanned(keys: LineKeys | typeof BLANK_LINE, offset: number, length: number, lineNo: number): boolean;
  /**
   * Takes the batch's keys lines from `from` on (TranscriptIndex.ingestRun, same arguments): the line it
   * stopped at (`from`: that line's facts cannot be placed), or -1 when line `from` must be handed over
   * as bytes now (the header is still to come, a migrated file).
   */
  onRun(batch: KeyBatch, from: number, firstLineNo: number, rowOf: Int32Array, firstRangeRow: number, kept: RunValues): number;
  /** The rows the lines go to (to tell which row a line handed over as bytes became). */
  readonly table: RecordTable;
}

/** Whether `batch` is the scan of the rest of the file this build reads from `start` up to `until`. */
export function batchFits(batch: KeyBatch, start: number, until: number, dev: number, ino: number): boolean {
  // readTo short of until: the scan met the end of the file before the size the build opened it at — the
  // file shrank under it (a rewrite in place). The checks after the replay run at their own moment and pass
  // once the file has regrown with the same bytes, so drop the batch: the owner's own read of the range
  // finds the shrink or reads what is there then (pi-jsonl-source.ts readAppended).
  return batch.start === start && batch.until === until && batch.readTo === until && batch.dev === dev && batch.ino === ino;
}

/**
 * Replays `batch` into `sink`, its first line numbered `firstLineNo`. `readLine(offset, length)` reads a
 * line back from the owner's open transcript. Returns the number of the line after the batch.
 *
 * The scan's id facts (which earlier line of the range a parentId or an id names) hold as long as every
 * row the range added so far has the id the scan saw. A line the scan could not vouch for (read in full
 * here) that turns out to be an entry with a string id, or a line whose row got another id than the
 * scan saw (a migrated v1 file's synthesized ids), ends that: the rest of the batch is read back and
 * indexed from its bytes, as the single pass would have — slower, exact.
 */
export function replayBatch(batch: KeyBatch, firstLineNo: number, sink: ScannedLineSink, readLine: (offset: number, length: number) => Buffer): number {
  const table = sink.table;
  const kept: RunValues = { otherTypes: new Map(batch.otherTypes), values: new Map(batch.values.map(([i, which, v]) => [2 * i + which, v])) };
  /** Row of each line of the batch (-1: none, or not yet). */
  const rowOf = new Int32Array(batch.count).fill(-1);
  const firstRangeRow = table.count;
  let factsHold = true;
  for (let i = 0; i < batch.count; ) {
    const kind = batch.kind[i]!;
    if (kind === LineKind.keys && factsHold) {
      const stop = sink.onRun(batch, i, firstLineNo, rowOf, firstRangeRow, kept);
      if (stop > i) {
        i = stop;
        continue;
      }
      // A keys line it did not take although it could take keys lines: its facts name a line without a row.
      if (stop === i) factsHold = false;
    }
    const lineNo = firstLineNo + i;
    const offset = batch.offset[i]!;
    const length = batch.length[i]!;
    i++;
    if (kind === LineKind.oversize) {
      sink.onOversize(offset, lineNo, length);
      continue;
    }
    if (kind === LineKind.blank && sink.onScanned(BLANK_LINE, offset, length, lineNo)) continue;
    const r = table.count;
    sink.onLine(readLine(offset, length), offset, lineNo);
    if (table.count === r) continue; // no entry (malformed, not an object, blank)
    const at = i - 1;
    rowOf[at] = r;
    // Its id must be the one the scan saw (none for a line the scan did not vouch for), or the facts end.
    const scannedString = kind === LineKind.keys && batch.idTag[at] === ValueTag.text;
    const isString = table.idKind[r] === IdCode.string;
    factsHold &&= scannedString ? isString && table.idHash[r] === batch.idHash[at] : !isString;
  }
  return firstLineNo + batch.count;
}
