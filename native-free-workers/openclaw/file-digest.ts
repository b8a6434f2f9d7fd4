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
 */
import { closeSync, readSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { openTranscript } from "../io/open-file.js";
import type { ReadFn } from "../io/line-reader.js";
import { CtxcError, Errors } from "../protocol/errors.js";
import { DIGEST_CHUNK_BYTES, DIGEST_SLICE_BYTES, type FileDigestReply } from "../protocol/file-digest.js";

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
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** {@link digestFile}, pausing after every `sliceBytes` hashed (see the file comment). Same reply for the same bytes. */
export async function digestFileSliced(path: string, options: SliceOptions = {}): Promise<FileDigestReply> {
  const { chunkBytes = DIGEST_CHUNK_BYTES, sliceBytes = DIGEST_SLICE_BYTES, read = readSync, pause = nextTurn, ran } = options;
  let t0 = performance.now();
  const fd = openForDigest(path);
  if (typeof fd !== "number") return fd;
  try {
    const steps = digestSteps(path, fd, chunkBytes, read);
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

/** The descriptor of `path` for a digest, or the reply that says why there is none. */
function openForDigest(path: string): number | FileDigestReply {
  try {
    return openTranscript(path).fd;
  } catch (err) {
    const coded = err instanceof CtxcError ? err : Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException);
    // Not a regular file: a directory fails in a stream too (EISDIR on the first read); a FIFO, socket or
    // device is something a stream reads (or fails on) its own way. (A second stat, not the message's wording.)
    const streamFails = coded.code !== "TRANSCRIPT_NOT_A_FILE" || isDirectory(path);
    return { error: coded.toWire(), streamFails };
  }
}

/**
 * The one definition of what is hashed: reads from offset 0 into one reused buffer, each read's bytes
 * hashed in order, until a read returns 0. Yields the bytes hashed so far after each read; returns the reply.
 */
function* digestSteps(path: string, fd: number, chunkBytes: number, read: ReadFn): Generator<number, FileDigestReply> {
  const hash = createHash("sha256");
  const chunk = Buffer.allocUnsafe(chunkBytes);
  let bytes = 0;
  for (;;) {
    let n: number;
    try {
      n = read(fd, chunk, 0, chunk.length, bytes);
    } catch (err) {
      // A read refused mid-file (EIO, …): a stream's `error` event, its answer `undefined`.
      return { error: Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException).toWire(), streamFails: true };
    }
    if (n === 0) return { sha256: hash.digest("hex"), bytes };
    hash.update(chunk.subarray(0, n));
    bytes += n;
    yield bytes;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return true; // gone since the open: a stream's open would fail too
  }
}
