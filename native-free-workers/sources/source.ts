/**
 * What a build needs from a transcript store, so compile.ts, the session state and assembly do not
 * hard-wire one file format. pi's JSONL files are the first implementation (sources/pi-jsonl/); a store
 * such as SQLite implements the same five things:
 *
 * - open: a consistent handle on the transcript as it is now (identity and size);
 * - read what was appended: records after a position, step by step so a build can pause between steps;
 * - verify: that what an earlier read kept is still a prefix of the transcript (only appended to since),
 *   and record what a later build checks;
 * - read back: the bytes of a record that reaches the context (indexes keep ranges, not content);
 * - an index of the format's entries, built from the records as they are read.
 *
 * Positions are byte offsets for JSONL; another store may use any monotonic position that fits a number
 * (SQLite: offsets in the virtual JSONL of its rows, sources/sqlite/).
 */
import type { Stats } from "node:fs";
import type { LineSink, ReadLinesResult } from "../io/line-reader.js";
import type { DiagnosticLog } from "../protocol/diagnostic-log.js";
import type { TranscriptIndex } from "../pi/transcript-index.js";
import type { IndexSource } from "../session/persistent-index.js";
import type { RebuildReason, SessionState } from "../session/session-state.js";

/** Reads the appended records one step (one chunk) at a time. */
export interface AppendedReader {
  /** Reads one step. Returns false once there is nothing more to read. */
  step(): boolean;
  /** Position up to which the source has been read (a torn tail included). */
  readonly readTo: number;
  /** Where reading stands: the consumed prefix, and a torn last record once finished. */
  result(): ReadLinesResult;
}

/** Reads back a record's bytes `[start, end)`. */
export interface RecordReader {
  /** The bytes, valid until this reader's next read (a reader may reuse its window's memory): use or copy them first. */
  read(start: number, end: number): Buffer;
  /**
   * Copies bytes `[start, end)` into `target` at `at`, as `target.set(read(start, end), at)` would, without
   * handing out the bytes (so a reader may read them through a window it reuses). Optional: a reader
   * without it is read through {@link read}.
   */
  copyInto?(start: number, end: number, target: Uint8Array, at: number): void;
  /**
   * Drops what the reader holds (its read-ahead window), when the build ends. The build's closures can
   * outlive it: V8 keeps a closure's scope alive while it optimizes the closure in the background, and
   * that scope holds the reader — a window of up to 256 KiB held between builds, by chance (issue 14).
   */
  release(): void;
}

export interface ReadAppendedOptions {
  /** Records larger than this are skipped (reported to `sink.onOversize`), never buffered. */
  maxRecordBytes: number;
  /** Bytes per read step. */
  chunkBytes: number;
  /**
   * Read no record at or past this position (a record start; default: read to the end). A split cold
   * build (session/range-merge.ts) reads its first part this way; another lane scanned the rest.
   */
  stopAt?: number;
}

/** One open transcript. Close it when the build ends, whatever happened. */
export interface TranscriptSource {
  /** Absolute path (the session's key). */
  readonly path: string;
  /** Identity and size at open. */
  readonly stats: Stats;
  /** Whether the persistent index (session/persistent-index.ts) applies to this source. */
  readonly persistentIndex: boolean;
  /** A new, empty index for this format's entries, reporting into `diagnostics`. */
  createIndex(diagnostics: DiagnosticLog): TranscriptIndex;
  /** Why `state` cannot continue on this transcript (null: it can, it was only appended to). */
  verify(state: SessionState): RebuildReason | null;
  /**
   * Records in `state` what a later build verifies, after records were indexed other than by
   * {@link readAppended} (a split build's replayed scan).
   */
  snapshot(state: SessionState): void;
  /** The saved state of session `key` (sessionKeyOf) from `cacheDir`, verified against this transcript, or why there is none. */
  loadSaved(cacheDir: string, key: string, maxDiagnostics: number): { state: SessionState | null; source: IndexSource; reason?: string };
  /** Saves `state` to `cacheDir` (persistent-index.ts: structure and hashes, never content). */
  save(cacheDir: string, state: SessionState): void;
  /**
   * Reads the records after `from` (a record start), numbering them from `firstLineNo`, into `state`
   * (a source that keeps its own per-record positions keeps them on `state.sourceState`). After each
   * step `state` is verifiable up to its end, from what that read saw (not read back from the source).
   */
  readAppended(from: number, firstLineNo: number, options: ReadAppendedOptions, sink: LineSink, state: SessionState): AppendedReader;
  /**
   * For a source whose records another lane's range scan can read (pi JSONL, pi/range-scan.ts): the first
   * record start at or after `at` (null: none before the end) — where a split cold build cuts.
   */
  readonly ranges?: {
    recordStartAtOrAfter(at: number): number | null;
    /** A record's bytes, read back from the open transcript (a replayed line the owner parses itself). */
    read(start: number, end: number): Buffer;
  /**
   * Copies bytes `[start, end)` into `target` at `at`, as `target.set(read(start, end), at)` would, without
   * handing out the bytes (so a reader may read them through a window it reuses). Optional: a reader
   * without it is read through {@link read}.
   */
  copyInto?(start: number, end: number, target: Uint8Array, at: number): void;
  };
  /**
   * Reads back records' bytes of `state` during this build. `scattered`: the reads are single records
   * anywhere in the transcript (the index's ids and values), so nothing is read ahead of them.
   */
  recordReader(state: SessionState, scattered?: boolean): RecordReader;
  /** Throws TRANSCRIPT_CHANGED when the transcript is no longer what `state` read up to `readTo`. */
  checkUnchanged(state: SessionState, readTo: number): void;
  close(): void;
}
