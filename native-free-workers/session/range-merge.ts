/**
 * The owner's side of a split cold build (issue 14): after indexing `[0, batch.start)` itself, the lane
 * that owns the session replays another lane's range scan (pi/range-scan.ts, protocol/key-batch.ts)
 * line by line through the same sink as the lines it reads, numbering the lines on from its own count.
 * Every line goes through the index's own rules — pi's duplicate-id rule, parent links, diagnostics and
 * their order — but what the range could settle itself arrives settled: ids as hashes, a parent or an
 * earlier equal id within the range as a line (TranscriptIndex.ingestSettled). Replaying decoded ids
 * instead cost the owner nearly what the scan saved it (~17 of ~49 ms CPU for 70 % of a 28 MB file,
 * plus the decoding in the scan): the split did not end five cold builds sooner.
 * A line the scan could not vouch for, or one that must be read in full at this point (the header
 * still to come, a migrated v1/v2 file, the append check's first bytes), is read back and handed over
 * as bytes, exactly as the single pass would have read it.
 */
import type { LineSink } from "../io/line-reader.js";
import { BLANK_LINE, scanLineKeys, type LineKeys } from "../pi/line-keys.js";
import type { SettledLine } from "../pi/transcript-index.js";
import { IdCode, type RecordTable } from "../pi/record-table.js";
import { LineKind, ValueTag, type KeyBatch } from "../protocol/key-batch.js";
import { EntryTypeCode } from "../protocol/session-buffer-layout.js";

/** A build's line sink, plus lines whose key scan was done elsewhere. */
export interface ScannedLineSink extends LineSink {
  /** Takes a line from its keys; false (nothing done) when it must be handed over as bytes instead. */
  onScanned(keys: LineKeys | typeof BLANK_LINE, offset: number, length: number, lineNo: number): boolean;
  /** Takes a keys line whose ids the scan settled (TranscriptIndex.ingestSettled): its row, or -1 to hand it over as bytes. */
  onSettled(line: SettledLine, offset: number, length: number, lineNo: number): number;
  /** The rows the lines go to (to tell which row a line handed over as bytes became). */
  readonly table: RecordTable;
}

/** Whether `batch` is the scan of the rest of the file this build reads from `start` up to `until`. */
export function batchFits(batch: KeyBatch, start: number, until: number, dev: number, ino: number): boolean {
  return batch.start === start && batch.until === until && batch.dev === dev && batch.ino === ino;
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
  const otherTypes = new Map(batch.otherTypes);
  const values = new Map(batch.values.map(([i, which, v]) => [2 * i + which, v]));
  /** Row of each line of the batch (-1: none, or not yet). */
  const rowOf = new Int32Array(batch.count).fill(-1);
  let factsHold = true;
  let i = 0;
  /**
   * Line `i`'s id (0) or parentId (1), read back (only to compare or report it). A line that no longer
   * scans as it did was rewritten since: "" then, and the change guard after the replay rejects the build.
   */
  const readBack = (which: 0 | 1): string => {
    const keys = scanLineKeys(readLine(batch.offset[i]!, batch.length[i]!));
    const value = keys === null || keys === BLANK_LINE ? undefined : which === 0 ? keys.id : keys.parentId;
    return typeof value === "string" ? value : "";
  };
  const line: SettledLine = {
    typeCode: 0, otherType: "", role: 0, messageIsObject: false, messageStart: -1, messageEnd: -1,
    idTag: 0, idValue: undefined, idHash: 0, idTakenRow: -1, parentTag: 0, parentValue: undefined, parentRow: -1,
    firstRangeRow: table.count,
    readId: () => readBack(0),
    readParentId: () => readBack(1),
  };
  for (; i < batch.count; i++) {
    const lineNo = firstLineNo + i;
    const offset = batch.offset[i]!;
    const length = batch.length[i]!;
    const kind = batch.kind[i]!;
    if (kind === LineKind.oversize) {
      sink.onOversize(offset, lineNo, length);
      continue;
    }
    if (kind === LineKind.blank && sink.onScanned(BLANK_LINE, offset, length, lineNo)) continue;
    if (kind === LineKind.keys && factsHold) {
      const code = batch.typeCode[i]!;
      line.typeCode = code;
      line.otherType = code === EntryTypeCode.other ? (otherTypes.get(i) ?? "") : "";
      line.role = batch.role[i]!;
      line.messageIsObject = batch.messageIsObject[i] === 1;
      line.messageStart = batch.messageStart[i]!;
      line.messageEnd = batch.messageEnd[i]!;
      line.idTag = batch.idTag[i]!;
      line.idValue = line.idTag === ValueTag.value ? values.get(2 * i) : undefined;
      line.idHash = batch.idHash[i]!;
      const taken = batch.idTaken[i]!;
      line.idTakenRow = taken < 0 ? -1 : rowOf[taken]!;
      line.parentTag = batch.parentTag[i]!;
      line.parentValue = line.parentTag === ValueTag.value ? values.get(2 * i + 1) : undefined;
      const parent = batch.parentAt[i]!;
      line.parentRow = parent < 0 ? -1 : rowOf[parent]!;
      // A keys line always becomes a row; if one did not, its facts cannot be placed: read on from the bytes.
      factsHold = (taken < 0 || line.idTakenRow >= 0) && (parent < 0 || line.parentRow >= 0);
      const r = factsHold ? sink.onSettled(line, offset, length, lineNo) : -1;
      if (r >= 0) {
        rowOf[i] = r;
        continue;
      }
    }
    const rows = table.count;
    sink.onLine(readLine(offset, length), offset, lineNo);
    if (table.count === rows) continue; // no entry (malformed, not an object, blank)
    const r = rows;
    rowOf[i] = r;
    if (kind !== LineKind.keys) factsHold &&= table.idKind[r] !== IdCode.string;
    else factsHold &&= batch.idTag[i] === ValueTag.text ? table.idKind[r] === IdCode.string && table.idHash[r] === batch.idHash[i] : table.idKind[r] !== IdCode.string;
  }
  return firstLineNo + batch.count;
}
