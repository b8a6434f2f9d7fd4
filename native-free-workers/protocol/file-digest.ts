/**
 * The wire contract of the `fileDigest` worker op (native-free-workers/openclaw/file-digest.ts): the
 * sha-256 of a file's bytes from open to end of file, as OpenClaw 2026.6.6+'s `readSessionFileDigest`
 * computes it on the main thread (src/openclaw/session-digest.ts serves that function from it).
 */
import type { WireError } from "./errors.js";

/** Bytes per read() of the digest: one buffer of this size is all the op holds, whatever the file's size. */
export const DIGEST_CHUNK_BYTES = 1024 * 1024;

/**
 * Bytes the worker hashes before it gives its thread back for a moment (file-digest.ts `digestFileSliced`):
 * ~5–15 ms of sha-256 here, the longest a short request handed to the same worker waits behind a digest.
 */
export const DIGEST_SLICE_BYTES = 4 * DIGEST_CHUNK_BYTES;

/**
 * The largest file whose hashed bytes a worker keeps to digest it again from its hash state
 * (file-digest.ts `DigestMemo`): OpenClaw's fence digests files of 8–32 MB (larger ones are stat'ed only).
 */
export const DIGEST_KEEP_FILE_BYTES = 32 * 1024 * 1024;

/** What one worker keeps for its digests in all (least recently digested files dropped first). */
export const DIGEST_KEEP_TOTAL_BYTES = 128 * 1024 * 1024;

/** What the worker answers for one file: the digest, or the coded error that stopped it (never a throw). */
export type FileDigestReply =
  | {
      /** Lower-case hex sha-256 of every byte read, open to end of file (what `hash.digest("hex")` gives). */
      sha256: string;
      /** Bytes hashed (the file may have grown since its stat; the digest covers what the reads returned). */
      bytes: number;
    }
  | {
      error: WireError;
      /**
       * True when OpenClaw's read stream fails on the same file too — a missing path, a directory, an open or
       * read refused by the OS — so its answer is `undefined`. False for what a stream reads its own way (a
       * FIFO, a socket, a device): ctxc cannot tell its answer, OpenClaw's function runs.
       */
      streamFails: boolean;
    };
