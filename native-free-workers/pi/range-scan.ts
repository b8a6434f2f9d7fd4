/**
 * The byte pass of a cold build over the second part of a transcript, `[start, until)`, on a lane that
 * does not own the session (issue 14: five cold builds on two lanes split 3/2, and the lane with two sat
 * idle while the other still had a whole build to read). Each line gets exactly the verdict the owning
 * build's `TranscriptIndex.ingestLine` would give it (pi/line-keys.ts: keys, blank, or "parse in full"),
 * recorded in a {@link KeyBatch} (protocol/key-batch.ts) that the owner replays (session/range-merge.ts).
 * The scan also does the id work of its lines that needs no line before the cut: each string id's hash
 * (the owner's record-table hash), and, compared as strings here, the latest earlier line of the range
 * with the same id and the one a parentId names — pi's byId within the range.
 *
 * Why the cut can be anywhere: JSONL lines hold no raw `\n` (JSON escapes it inside strings), so the
 * first line start after any byte is the byte after the next `\n`; a line straddling the requested cut
 * belongs to the part before it.
 */
import { readSync } from "node:fs";
import { entryTypeCode, EntryTypeCode } from "../protocol/session-buffer-layout.js";
import { roleCode } from "../protocol/buffer-layout.js";
import { LineKind, ValueTag, type KeyBatch } from "../protocol/key-batch.js";
import { LineReader, type ReadFn } from "../io/line-reader.js";
import { BLANK_LINE, scanLineKeys, scanReadBuffer } from "./line-keys.js";
import { idHash } from "./record-table.js";
import { grown } from "../grown.js";

/**
 * The first line start at or after `at` in a file of `until` bytes (the byte after the first `\n` at or
 * after `at − 1`), or null when no line starts in `[at, until)`: then there is nothing to split off.
 */
export function lineStartAtOrAfter(fd: number, at: number, until: number, read: ReadFn = readSync): number | null {
  if (at <= 0) return until > 0 ? 0 : null;
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (let pos = at - 1; pos < until; ) {
    const n = read(fd, buffer, 0, Math.min(buffer.length, until - pos), pos);
    if (n === 0) return null;
    const nl = buffer.subarray(0, n).indexOf(10);
    if (nl >= 0) return pos + nl + 1 < until ? pos + nl + 1 : null;
    pos += n;
  }
  return null;
}

/** Growable columns of a batch under construction. */
class BatchColumns {
  count = 0;
  kind = new Uint8Array(1024);
  offset = new Float64Array(1024);
  length = new Uint32Array(1024);
  typeCode = new Uint8Array(1024);
  role = new Uint8Array(1024);
  messageIsObject = new Uint8Array(1024);
  messageStart = new Int32Array(1024);
  messageEnd = new Int32Array(1024);
  idTag = new Uint8Array(1024);
  parentTag = new Uint8Array(1024);
  idHash = new Uint32Array(1024);
  idTaken = new Int32Array(1024);
  parentAt = new Int32Array(1024);
  readonly otherTypes: [number, string][] = [];
  readonly values: [number, 0 | 1, unknown][] = [];
  /** String id → the latest line of the batch with it: pi's byId, within the range. */
  private readonly lineOfId = new Map<string, number>();
  /** The previous keys line's string id (most parentIds name it: no map lookup then). */
  private lastId: string | undefined = undefined;
  private lastIdLine = -1;

  /** Appends a line (its key columns zeroed); returns its index. */
  add(kind: number, offset: number, length: number): number {
    const i = this.count++;
    if (i === this.kind.length) this.grow(i * 2);
    this.kind[i] = kind;
    this.offset[i] = offset;
    this.length[i] = length;
    this.messageStart[i] = -1;
    this.messageEnd[i] = -1;
    return i;
  }

  /**
   * Line `i`'s `parentId` then `id` (in this order, as the owner's index registers them: a parentId that
   * names its own line's id does not find it): what the range itself settles about them.
   */
  ids(i: number, id: unknown, parentId: unknown): void {
    if (typeof parentId === "string" && parentId !== "") {
      this.parentTag[i] = ValueTag.text;
      this.parentAt[i] = parentId === this.lastId ? this.lastIdLine : (this.lineOfId.get(parentId) ?? -1);
    } else if (parentId === undefined) this.parentTag[i] = ValueTag.absent;
    else {
      this.parentTag[i] = ValueTag.value;
      this.values.push([i, 1, parentId]);
    }
    if (typeof id === "string") {
      this.idTag[i] = ValueTag.text;
      this.idHash[i] = idHash(id);
      this.idTaken[i] = this.lineOfId.get(id) ?? -1;
      this.lineOfId.set(id, i);
      this.lastId = id;
      this.lastIdLine = i;
    } else if (id === undefined) this.idTag[i] = ValueTag.absent;
    else {
      this.idTag[i] = ValueTag.value;
      this.values.push([i, 0, id]);
    }
  }

  private grow(capacity: number): void {
    for (const name of ["kind", "offset", "length", "typeCode", "role", "messageIsObject", "messageStart", "messageEnd",
      "idTag", "parentTag", "idHash", "idTaken", "parentAt"] as const) {
      const old = this[name];
      (this as Record<string, unknown>)[name] = grown(old, old.length, capacity);
    }
  }
}

export interface RangeScanOptions {
  /** Read at least up to here (the owner's file size): the same `until` as the owner's LineReader. */
  until: number;
  chunkBytes: number;
  maxLineBytes: number;
  /** Identity of the open file, copied into the batch. */
  dev: number;
  ino: number;
  /** Only tests pass another read (short reads). */
  read?: ReadFn;
}

/**
 * Scans the lines from the first line start at or after `at` (see {@link lineStartAtOrAfter}); null when
 * no line starts there. Synchronous: the caller runs it on a lane that has nothing else to do.
 */
export function scanRange(fd: number, at: number, options: RangeScanOptions): KeyBatch | null {
  const start = lineStartAtOrAfter(fd, at, options.until, options.read);
  if (start === null) return null;
  const c = new BatchColumns();
  const chunk = scanReadBuffer(options.chunkBytes) ?? undefined;
  const reader = new LineReader(fd, start, 1, { ...options, chunk }, {
    onLine(bytes, offset) {
      const keys = scanLineKeys(bytes);
      if (keys === BLANK_LINE) return void c.add(LineKind.blank, offset, bytes.length);
      if (keys === null) return void c.add(LineKind.full, offset, bytes.length);
      const i = c.add(LineKind.keys, offset, bytes.length);
      const code = entryTypeCode(keys.type);
      c.typeCode[i] = code;
      if (code === EntryTypeCode.other) c.otherTypes.push([i, keys.type]);
      c.role[i] = roleCode(keys.role);
      c.messageIsObject[i] = keys.messageIsObject ? 1 : 0;
      c.messageStart[i] = keys.messageStart;
      c.messageEnd[i] = keys.messageEnd;
      c.ids(i, keys.id, keys.parentId);
    },
    onOversize(offset, _lineNo, length) {
      c.add(LineKind.oversize, offset, length);
    },
  });
  while (reader.step());
  const result = reader.result();
  const n = c.count;
  // Copies trimmed to the lines found: each array gets its own buffer, so all of them can be transferred.
  return {
    start, until: options.until, dev: options.dev, ino: options.ino, count: n,
    kind: c.kind.slice(0, n), offset: c.offset.slice(0, n), length: c.length.slice(0, n),
    typeCode: c.typeCode.slice(0, n), role: c.role.slice(0, n), messageIsObject: c.messageIsObject.slice(0, n),
    messageStart: c.messageStart.slice(0, n), messageEnd: c.messageEnd.slice(0, n),
    idTag: c.idTag.slice(0, n), parentTag: c.parentTag.slice(0, n),
    idHash: c.idHash.slice(0, n), idTaken: c.idTaken.slice(0, n), parentAt: c.parentAt.slice(0, n),
    otherTypes: c.otherTypes, values: c.values,
    torn: result.torn && { offset: result.torn.offset, length: result.torn.length },
    end: result.end, readTo: reader.readTo,
  };
}
