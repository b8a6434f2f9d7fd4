/**
 * The wire form of a byte-range key scan (pi/range-scan.ts): what one lane finds in the lines of
 * `[start, …)` of a transcript, handed to the lane that owns the session, which indexes `[0, start)`
 * itself and then replays these lines into its index (session/range-merge.ts) exactly as if it had read
 * them. Why: one cold build's byte pass (line scan + key decoding, ~40 % of a cold build) can then run
 * on two cores, so a lane that is idle while another still has several cold builds queued can take a
 * share of one (issue 14).
 *
 * Plain data whose bulk is typed arrays (see {@link keyBatchTransferList}), so the hand-over moves them
 * instead of cloning. Lines are in file order and carry no line numbers: the scanning lane cannot know
 * how many lines precede `start`; the owner numbers them on replay. Ids travel as hashes, with what the
 * range settles about them itself (an earlier equal id, the line a parentId names), so the owner's
 * replay is column writes and hash-slot inserts, not a second decoding of every id: decoded ids cost
 * the owner nearly what the scan saved it.
 */
import type { MessagePort } from "node:worker_threads";

/** What the scan made of one line ({@link KeyBatch.kind}). */
export const LineKind = {
  /** A well-formed object line: its keys are in the columns. */
  keys: 0,
  /** Empty or JSON whitespace only (pi skips it). */
  blank: 1,
  /** A line the key scan does not vouch for: the owner reads it back and parses it in full. */
  full: 2,
  /** Longer than `maxLineBytes`: skipped unread (`length` is its length). */
  oversize: 3,
} as const;

/** How an `id` / `parentId` value travels ({@link KeyBatch.idTag}, {@link KeyBatch.parentTag}). */
export const ValueTag = {
  /** The member is absent (undefined). */
  absent: 0,
  /**
   * A string (for `parentId`: a non-empty one). Not shipped: the id travels as its hash and the scan's
   * facts about it ({@link KeyBatch.idHash}, {@link KeyBatch.idTaken}, {@link KeyBatch.parentAt}); the
   * rare owner that needs the string itself (a cross-range parent, an equal hash before the cut, a
   * duplicate's message) reads the line back.
   */
  text: 1,
  /** Anything else (a number, null, an object, an empty parentId): in {@link KeyBatch.values}. */
  value: 2,
} as const;

export interface KeyBatch {
  /** The first line start at or after the requested cut: the owner reads `[0, start)` itself. */
  start: number;
  /** The size the scan read up to (a line straddling it was finished): must be the owner's. */
  until: number;
  /** Identity of the file scanned: the owner discards a batch of another file. */
  dev: number;
  ino: number;
  /** Lines in the batch. */
  count: number;
  /** Per line: {@link LineKind}. */
  kind: Uint8Array;
  /** Per line: byte offset of the line's first byte. */
  offset: Float64Array;
  /** Per line: byte length without the `\n`. */
  length: Uint32Array;
  /** Per `keys` line: EntryTypeCode of `type` (`other`: the string is in {@link otherTypes}). */
  typeCode: Uint8Array;
  /** Per `keys` line: RoleCode of `message.role`. */
  role: Uint8Array;
  /** Per `keys` line: 1 when `message` is an object. */
  messageIsObject: Uint8Array;
  /** Per `keys` line: `[start, end)` of the `message` value in the line (-1: none). */
  messageStart: Int32Array;
  messageEnd: Int32Array;
  /** Per `keys` line: {@link ValueTag} of `id` and `parentId`. */
  idTag: Uint8Array;
  parentTag: Uint8Array;
  /** Per `keys` line with a `text` id: the id's hash, as the owner's record table hashes it (pi/record-table.ts `idHash`). */
  idHash: Uint32Array;
  /**
   * Per `keys` line with a `text` id: the latest earlier line of the batch with the same id (-1: none
   * there), compared as strings by the scan — pi's "a later duplicate id wins", settled within the range.
   */
  idTaken: Int32Array;
  /**
   * Per `keys` line with a `text` parentId: the latest earlier line of the batch whose id it names (-1:
   * none there — before the cut, later, or nowhere; the owner reads the parentId back and looks).
   */
  parentAt: Int32Array;
  /** `[line, type]` for `keys` lines whose type is not one of pi's ("" when it is not a string). */
  otherTypes: [number, string][];
  /** `[line, 0 (id) | 1 (parentId), value]` for values tagged `value` (damaged files). */
  values: [number, 0 | 1, unknown][];
  /** A last line without `\n` at end of file: not in the batch (the owner reports it as a torn tail). */
  torn: { offset: number; length: number } | null;
  /** Offset just past the last line in the batch (where the session's `end` goes). */
  end: number;
  /** Bytes the scan read up to (a torn tail included): the owner's change guard checks up to here. */
  readTo: number;
}

/** The buffers of a batch, for a transfer list (moved, not cloned, to the owning lane). */
export function keyBatchTransferList(b: KeyBatch): ArrayBuffer[] {
  const arrays = [b.kind, b.offset, b.length, b.typeCode, b.role, b.messageIsObject, b.messageStart, b.messageEnd,
    b.idTag, b.parentTag, b.idHash, b.idTaken, b.parentAt];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/**
 * The claim cell (Int32 0 of a SharedArrayBuffer both lanes hold) that decides who scans a split
 * build's second part, exactly once: the scanning lane moves it OPEN → SCANNING when its scan starts,
 * the owner OPEN → TAKEN_BACK when it reaches the cut first. Whoever loses the exchange stands back: a
 * scan that never started costs the owner nothing (it reads on), and one under way is awaited.
 */
export const ScanClaim = {
  open: 0,
  scanning: 1,
  takenBack: 2,
  /** Set by the main thread when the scanning lane's worker died under the scan: the owner reads on. */
  failed: 3,
} as const;

/** Moves the claim cell from OPEN to `to` if it is still open; returns what it held (see {@link ScanClaim}). */
export function claimOpen(claim: SharedArrayBuffer, to: number): number {
  return Atomics.compareExchange(new Int32Array(claim), 0, ScanClaim.open, to);
}

/** The other lane's request to scan a split build's second part (compile-worker.ts `scanRange`). */
export interface ScanRangeRequest {
  /** The transcript (absolute path of a JSONL file). */
  path: string;
  /** Where to cut: the scan starts at the first line start at or after it. */
  at: number;
  chunkBytes: number;
  maxLineBytes: number;
  /** The {@link ScanClaim} cell. */
  claim: SharedArrayBuffer;
  /** Where the batch goes (null when the scan failed): the owning build's end of a MessageChannel. */
  port: MessagePort;
}

/** What the owning build gets with its start request to wait for the other lane's scan. */
export interface SplitWire {
  at: number;
  claim: SharedArrayBuffer;
  port: MessagePort;
}
