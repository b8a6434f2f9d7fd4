/**
 * The owner's side of a split cold build (issue 14): after indexing `[0, batch.start)` itself, the lane
 * that owns the session replays another lane's range scan (pi/range-scan.ts, protocol/key-batch.ts)
 * line by line through the same sink as the lines it reads, numbering the lines on from its own count.
 * Every line therefore goes through the same code a single pass runs — pi's duplicate-id rule, parent
 * links across the cut, diagnostics and their order — and only the key scan itself was done elsewhere.
 * A line the scan could not vouch for, or one that must be read in full at this point (the header
 * still to come, a migrated v1/v2 file, the append check's first bytes), is read back and handed over
 * as bytes, exactly as the single pass would have read it.
 */
import type { LineSink } from "../io/line-reader.js";
import { BLANK_LINE, type LineKeys } from "../pi/line-keys.js";
import { roleName } from "../protocol/buffer-layout.js";
import { LineKind, ValueTag, type KeyBatch } from "../protocol/key-batch.js";
import { EntryTypeCode, entryTypeName } from "../protocol/session-buffer-layout.js";

/** A build's line sink, plus lines whose key scan was done elsewhere. */
export interface ScannedLineSink extends LineSink {
  /** Takes a line from its keys; false (nothing done) when it must be handed over as bytes instead. */
  onScanned(keys: LineKeys | typeof BLANK_LINE, offset: number, length: number, lineNo: number): boolean;
}

/** Whether `batch` is the scan of the rest of the file this build reads from `start` up to `until`. */
export function batchFits(batch: KeyBatch, start: number, until: number, dev: number, ino: number): boolean {
  return batch.start === start && batch.until === until && batch.dev === dev && batch.ino === ino;
}

/**
 * Replays `batch` into `sink`, its first line numbered `firstLineNo`. `readLine(offset, length)` reads a
 * line back from the owner's open transcript. Returns the number of the line after the batch.
 */
export function replayBatch(batch: KeyBatch, firstLineNo: number, sink: ScannedLineSink, readLine: (offset: number, length: number) => Buffer): number {
  const text = Buffer.from(batch.text.buffer, batch.text.byteOffset, batch.text.byteLength);
  const otherTypes = new Map(batch.otherTypes);
  const values = new Map(batch.values.map(([i, which, v]) => [2 * i + which, v]));
  const value = (tag: number, i: number, which: 0 | 1, start: number, end: number): unknown =>
    tag === ValueTag.absent ? undefined : tag === ValueTag.text ? text.toString("utf8", start, end) : values.get(2 * i + which);
  for (let i = 0; i < batch.count; i++) {
    const lineNo = firstLineNo + i;
    const offset = batch.offset[i]!;
    const length = batch.length[i]!;
    const kind = batch.kind[i]!;
    if (kind === LineKind.oversize) {
      sink.onOversize(offset, lineNo, length);
      continue;
    }
    if (kind !== LineKind.full) {
      let keys: LineKeys | typeof BLANK_LINE = BLANK_LINE;
      if (kind === LineKind.keys) {
        const code = batch.typeCode[i]!;
        keys = {
          type: code === EntryTypeCode.other ? (otherTypes.get(i) ?? "") : entryTypeName(code)!,
          id: value(batch.idTag[i]!, i, 0, batch.idStart[i]!, batch.idEnd[i]!),
          parentId: value(batch.parentTag[i]!, i, 1, batch.parentStart[i]!, batch.parentEnd[i]!),
          messageStart: batch.messageStart[i]!,
          messageEnd: batch.messageEnd[i]!,
          messageIsObject: batch.messageIsObject[i] === 1,
          role: roleName(batch.role[i]!), // the index keeps only the role's code, which this gives back
        };
      }
      if (sink.onScanned(keys, offset, length, lineNo)) continue;
    }
    sink.onLine(readLine(offset, length), offset, lineNo);
  }
  return firstLineNo + batch.count;
}
