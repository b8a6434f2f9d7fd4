/**
 * The sha-256 of a whole file, read in fixed-size chunks on the worker thread: OpenClaw 2026.6.6+'s
 * session-fence digest (`readSessionFileDigest`: `createReadStream(file)` → `hash.update` per chunk →
 * hex), which stock runs on the gateway's main thread — ~440 event-loop hops and ~0.1 s of hashing per
 * 28 MB transcript, several times a turn.
 *
 * Same bytes as stock: everything from offset 0 until a read returns 0 (end of file as it is when the
 * reads get there — a file appended to meanwhile is hashed with what was appended, as a stream would).
 * Memory stays flat: one buffer of `chunkBytes`, reused; the hash holds its own small state.
 *
 * Two drivers of the same steps: {@link digestFile} hashes in one go; {@link digestFileSliced} (what the
 * worker serves) gives the thread back between slices of {@link DIGEST_SLICE_BYTES}, so a short request
 * handed to the same worker meanwhile (a continued session read, a repair check: what a turn waits on)
 * runs between two slices instead of after the whole 28 MB (issue #11: ~7 digests per turn, 40–90 ms
 * each, on one worker shared by every agent). The hash object and the descriptor never leave the op; the
 * reads go on from where the last slice stopped, so the bytes hashed and their order are those of the
 * one-go driver. Across the pause the file may grow: what was appended before a read reaches the end is
 * hashed, as stock's stream does between its chunks (it too reads until a read returns 0, with event-loop
 * turns between reads); a file replaced by a rename is read from the descriptor opened first, in both.
 *
 * A worker digests the same transcripts again and again (~7 times a turn, each time after a few appended
 * lines), so with a {@link DigestMemo} it keeps, per file, the bytes it hashed and the hash state after
 * them. The next digest still reads every byte of the file, but compares the known prefix with the kept
 * bytes (a memcmp) instead of hashing it, and continues the kept hash state from where they end: the
 * digest is of exactly the bytes read now — any byte that differs (a rewrite in place, within one
 * timestamp tick and at the same size included) is found by the comparison, and the hash then starts
 * over from the kept bytes up to that chunk, which are equal to the file's. Nothing is answered from a
 * stat. Costs one copy of each kept file in the worker's memory (bounded: `DIGEST_KEEP_*`).
 */
import { closeSync, fstatSync, readSync, statSync } from "node:fs";
import { createHash, type Hash } from "node:crypto";
import { openTranscript } from "../io/open-file.js";
import type { ReadFn } from "../io/line-reader.js";
import { CtxcError, Errors } from "../protocol/errors.js";
import { DIGEST_CHUNK_BYTES, DIGEST_KEEP_FILE_BYTES, DIGEST_KEEP_TOTAL_BYTES, DIGEST_SLICE_BYTES, type FileDigestReply } from "../protocol/file-digest.js";
import { SizeBoundLru, type LruValue } from "../session/lru.js";
import { fileBytesCapacity } from "../grown.js";

/** What a worker keeps of one file it hashed: the bytes (`bytes[0, length)`) and the hash state after them. */
interface Kept extends LruValue {
  bytes: Buffer;
  length: number;
  state: Hash;
}

/** Per worker: the kept bytes and hash states of the files it digested, by path (see the file comment). */
export class DigestMemo {
  readonly lru: SizeBoundLru<Kept>;
  constructor(maxBytes = DIGEST_KEEP_TOTAL_BYTES, readonly maxFileBytes = DIGEST_KEEP_FILE_BYTES) {
    this.lru = new SizeBoundLru<Kept>(maxBytes, (k) => k.bytes.length);
  }
}

/**
 * The digest of the file at `path` (absolute), or the coded error that stopped it — returned, never thrown,
 * so a bad path costs the caller one reply and the worker nothing. `read` is injectable for tests (short reads).
 */
export function digestFile(path: string, chunkBytes: number = DIGEST_CHUNK_BYTES, read: ReadFn = readSync): FileDigestReply {
  const fd = openForDigest(path);
  if (typeof fd !== "number") return fd;
  try {
    const steps = digestSteps(path, fd, chunkBytes, read);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  } finally {
    closeSync(fd);
  }
}

/** How {@link digestFileSliced} gives the thread back, and what it reports of its own running time. */
export interface SliceOptions {
  chunkBytes?: number;
  /** Bytes hashed between two pauses (at least one chunk). */
  sliceBytes?: number;
  read?: ReadFn;
  /** Awaited between slices (default: one `setImmediate` turn, in which the worker's port delivers a waiting request). */
  pause?: () => Promise<void>;
  /** Gets the ms each slice ran (not the pauses): the op's own time for the call trace (protocol/call-trace.ts). */
  ran?: (ms: number) => void;
  /** The worker's kept bytes and hash states (see the file comment); none: every byte hashed. */
  memo?: DigestMemo;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** {@link digestFile}, pausing after every `sliceBytes` hashed (see the file comment). Same reply for the same bytes. */
export async function digestFileSliced(path: string, options: SliceOptions = {}): Promise<FileDigestReply> {
  const { chunkBytes = DIGEST_CHUNK_BYTES, sliceBytes = DIGEST_SLICE_BYTES, read = readSync, pause = nextTurn, ran, memo } = options;
  let t0 = performance.now();
  const fd = openForDigest(path, memo);
  if (typeof fd !== "number") return fd;
  try {
    const steps = digestSteps(path, fd, chunkBytes, read, memo);
    let sliceEnd = sliceBytes;
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (step.value >= sliceEnd) {
        sliceEnd = step.value + sliceBytes;
        ran?.(performance.now() - t0);
        await pause();
        t0 = performance.now();
      }
    }
  } finally {
    closeSync(fd);
    ran?.(performance.now() - t0);
  }
}

/** The descriptor of `path` for a digest, or the reply that says why there is none (and nothing kept for it). */
function openForDigest(path: string, memo?: DigestMemo): number | FileDigestReply {
  try {
    return openTranscript(path).fd;
  } catch (err) {
    memo?.lru.delete(path);
    const coded = err instanceof CtxcError ? err : Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException);
    // Not a regular file: a directory fails in a stream too (EISDIR on the first read); a FIFO, socket or
    // device is something a stream reads (or fails on) its own way. (A second stat, not the message's wording.)
    const streamFails = coded.code !== "TRANSCRIPT_NOT_A_FILE" || isDirectory(path);
    return { error: coded.toWire(), streamFails };
  }
}

/**
 * The one definition of what is hashed: reads from offset 0 into one reused buffer, each read's bytes
 * hashed in order, until a read returns 0. Yields the work done so far (bytes hashed, plus a quarter of
 * the bytes only compared); returns the reply. With `memo` (see the file comment) the prefix the worker
 * hashed before is compared instead of hashed while it matches, and what was hashed is kept afterwards.
 */
function* digestSteps(path: string, fd: number, chunkBytes: number, read: ReadFn, memo?: DigestMemo): Generator<number, FileDigestReply> {
  const prior = memo?.lru.take(path);
  // undefined while the bytes read so far are all equal to the prior's: its state stands for them.
  let hash: Hash | undefined = prior ? undefined : createHash("sha256");
  const chunk = Buffer.allocUnsafe(chunkBytes);
  // The bytes to keep: the prior's buffer, written in place (each range is compared before it is overwritten);
  // none for a file already past the bound (keepInto would drop it at the bound anyway).
  let kept: Buffer | undefined = memo ? (prior?.bytes ?? firstKeep(fstatSync(fd).size, memo.maxFileBytes)) : undefined;
  let bytes = 0;
  let work = 0;
  for (;;) {
    let n: number;
    try {
      n = read(fd, chunk, 0, chunk.length, bytes);
    } catch (err) {
      // A read refused mid-file (EIO, …): a stream's `error` event, its answer `undefined`. Nothing kept.
      return { error: Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException).toWire(), streamFails: true };
    }
    if (hash === undefined) {
      // prior is set. Equal so far: compare this read with the prior's bytes at the same offset.
      const known = Math.max(0, Math.min(n, prior!.length - bytes));
      const same = chunk.subarray(0, known).equals(prior!.bytes.subarray(bytes, bytes + known));
      if (!same || (n === 0 && bytes < prior!.length)) {
        // Differs in this read (or the file ended before the prior's end): hash the equal prefix again.
        hash = createHash("sha256").update(prior!.bytes.subarray(0, bytes));
        work += bytes;
        hash.update(chunk.subarray(0, n));
        work += n;
      } else if (known < n || (n === 0 && bytes === prior!.length)) {
        // Past the prior's end (or exactly at it): its hash state continues.
        hash = prior!.state.copy().update(chunk.subarray(known, n));
        work += known / 4 + (n - known);
      } else work += n / 4;
    } else {
      hash.update(chunk.subarray(0, n));
      work += n;
    }
    if (n === 0) {
      if (memo && kept && bytes <= memo.maxFileBytes) {
        memo.lru.set(path, { bytes: kept, length: bytes, state: hash!.copy(), lastUsed: 0 });
        memo.lru.trim(path);
      }
      return { sha256: hash!.digest("hex"), bytes };
    }
    if (memo) kept = keepInto(kept, chunk.subarray(0, n), bytes, memo.maxFileBytes);
    bytes += n;
    yield work;
  }
}

/** The buffer a first digest of a file of `size` bytes keeps into, or undefined when it is past `max`. */
function firstKeep(size: number, max: number): Buffer | undefined {
  return size > max ? undefined : Buffer.allocUnsafe(Math.min(max, size + DIGEST_CHUNK_BYTES));
}

/**
 * `kept` with `data` written at `at` (grown by a sixteenth, at least a chunk: grown.ts `fileBytesCapacity`;
 * up to `max`), or undefined once the file is over `max` (nothing is kept for it then). A new buffer copies
 * only what is before `at`.
 */
function keepInto(kept: Buffer | undefined, data: Buffer, at: number, max: number): Buffer | undefined {
  const end = at + data.length;
  if (end > max) return undefined;
  if (!kept) return undefined; // dropped earlier in this read
  if (kept.length < end) {
    const grown = Buffer.allocUnsafe(Math.min(max, fileBytesCapacity(end, DIGEST_CHUNK_BYTES)));
    kept.copy(grown, 0, 0, at);
    kept = grown;
  }
  data.copy(kept, at);
  return kept;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return true; // gone since the open: a stream's open would fail too
  }
}
