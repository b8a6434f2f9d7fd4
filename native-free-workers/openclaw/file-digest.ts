/**
 * The sha-256 of a whole file, read in fixed-size chunks on the worker thread: OpenClaw 2026.6.6+'s
 * session-fence digest (`readSessionFileDigest`: `createReadStream(file)` → `hash.update` per chunk →
 * hex), which stock runs on the gateway's main thread — ~440 event-loop hops and ~0.1 s of hashing per
 * 28 MB transcript, several times a turn.
 *
 * Same bytes as stock: everything from offset 0 until a read returns 0 (end of file as it is when the
 * reads get there — a file appended to meanwhile is hashed with what was appended, as a stream would).
 * Memory stays flat: one buffer of `chunkBytes`, reused; the hash holds its own small state.
 */
import { closeSync, readSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { openTranscript } from "../io/open-file.js";
import type { ReadFn } from "../io/line-reader.js";
import { CtxcError, Errors } from "../protocol/errors.js";
import { DIGEST_CHUNK_BYTES, type FileDigestReply } from "../protocol/file-digest.js";

/**
 * The digest of the file at `path` (absolute), or the coded error that stopped it — returned, never thrown,
 * so a bad path costs the caller one reply and the worker nothing. `read` is injectable for tests (short reads).
 */
export function digestFile(path: string, chunkBytes: number = DIGEST_CHUNK_BYTES, read: ReadFn = readSync): FileDigestReply {
  let fd: number;
  try {
    fd = openTranscript(path).fd;
  } catch (err) {
    const coded = err instanceof CtxcError ? err : Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException);
    // Not a regular file: a directory fails in a stream too (EISDIR on the first read); a FIFO, socket or
    // device is something a stream reads (or fails on) its own way. (A second stat, not the message's wording.)
    const streamFails = coded.code !== "TRANSCRIPT_NOT_A_FILE" || isDirectory(path);
    return { error: coded.toWire(), streamFails };
  }
  try {
    const hash = createHash("sha256");
    const chunk = Buffer.allocUnsafe(chunkBytes);
    let bytes = 0;
    for (;;) {
      const n = read(fd, chunk, 0, chunk.length, bytes);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
      bytes += n;
    }
    return { sha256: hash.digest("hex"), bytes };
  } catch (err) {
    // A read refused mid-file (EIO, …): a stream's `error` event, its answer `undefined`.
    return { error: Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException).toWire(), streamFails: true };
  } finally {
    closeSync(fd);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return true; // gone since the open: a stream's open would fail too
  }
}
