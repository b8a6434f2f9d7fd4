/**
 * Defaults and limits shared by the main thread and the workers, defined once. The public
 * {@link DEFAULTS} object is re-exported by `ctxc`; the rest are internal bounds both sides must agree on.
 */
import type { TokenizerName } from "./tokenizers.js";

const MiB = 1024 * 1024;

/** Defaults of the build options (the values a build uses when an option is omitted). */
export const DEFAULTS = {
  tokenizer: "o200k_base" as TokenizerName,
  /** OpenClaw's bootstrapMaxChars. */
  bootstrapMaxChars: 12_000,
  /** OpenClaw's bootstrapTotalMaxChars. */
  bootstrapTotalMaxChars: 60_000,
  /** OpenClaw's minimum room left for one more (truncated) bootstrap file. */
  bootstrapMinCharsLeft: 64,
  /** Lines above this are skipped (LINE_TOO_LONG) without being buffered. */
  maxLineBytes: 256 * MiB,
  /** Bytes per read() of the transcript (the OpenClaw session reads: a turn's appended lines). */
  chunkBytes: 64 * 1024,
  /**
   * Bytes per read() of a build, one step of its byte pass. The line scan's chunk (pi/line-scan.ts
   * SCAN_CHUNK, the reads land in its memory: at most that). 256 KiB instead of 64: a 28 MB cold build
   * makes 107 steps instead of 430 (each a read, the change guard's fstat, a progress store and a resume
   * of the build), 57.1 → 52.2 ms of thread CPU (2026-12-07, bench/RESULTS.md).
   */
  buildChunkBytes: 256 * 1024,
  maxDiagnostics: 1_000,
} as const;

/** Per-worker bounds on kept session state (the compiler's `maxCacheBytes`, the OpenClaw session reads). */
export const CACHE_DEFAULTS = {
  /** Session state a compile worker keeps (compiler option `maxCacheBytes`). */
  maxCacheBytes: 256 * MiB,
  /** Entry bytes an OpenClaw worker keeps of earlier session reads. */
  sessionReadCacheBytes: 256 * MiB,
  /**
   * A persistent index (the compiler's `cacheDir`, the OpenClaw session read's) is saved again once this
   * many bytes were read since its last save: a restart re-reads at most this much more than what was
   * appended while it was down, and a turn does not pay for a save each time.
   */
  indexResaveBytes: 256 * 1024,
} as const;
