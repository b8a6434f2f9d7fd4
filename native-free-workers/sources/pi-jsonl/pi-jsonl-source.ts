/**
 * pi's JSONL session files as a {@link TranscriptSource}: the first (and so far only) implementation.
 * Positions are byte offsets; a record is a line. The file is opened once per build (io/open-file.ts:
 * read-only, O_NONBLOCK, regular files only) and the fd is held until `close()`, so a transcript replaced
 * by rename mid-build is still read whole from the old inode.
 */
import { closeSync, readSync } from "node:fs";
import { LineReader, type LineSink, type ReadFn } from "../../io/line-reader.js";
import { lineStartAtOrAfter } from "../../pi/range-scan.js";
import { scanReadBuffer } from "../../pi/line-keys.js";
import { openTranscript, type OpenedFile } from "../../io/open-file.js";
import { RangeReader } from "../../io/range-reader.js";
import type { DiagnosticLog } from "../../protocol/diagnostic-log.js";
import { TranscriptIndex } from "../../pi/transcript-index.js";
import { ChangeGuard } from "../../session/change-guard.js";
import { loadState, saveState, type SavedIdentity } from "../../session/persistent-index.js";
import { CHECK_BYTES, type AppendCheckIdentity } from "../../session/append-check.js";
import { readAt } from "../../io/read-at.js";
import { Errors } from "../../protocol/errors.js";
import type { SessionState } from "../../session/session-state.js";
import type { AppendedReader, ReadAppendedOptions, RecordReader, TranscriptSource } from "../source.js";

export class PiJsonlSource implements TranscriptSource {
  private guard: ChangeGuard | undefined;
  private readonly fd: number;
  readonly stats: OpenedFile["stats"];
  readonly persistentIndex = true;

  private constructor(
    readonly path: string,
    opened: OpenedFile,
  ) {
    this.fd = opened.fd;
    this.stats = opened.stats;
  }

  /** Opens `path` (absolute); throws the coded error when it cannot be read as a transcript. */
  static open(path: string): PiJsonlSource {
    return new PiJsonlSource(path, openTranscript(path));
  }

  createIndex(diagnostics: DiagnosticLog): TranscriptIndex {
    return new TranscriptIndex(diagnostics);
  }

  verify(state: SessionState) {
    return state.verifyKept(this.fd, this.stats);
  }

  snapshot(state: SessionState): void {
    state.snapshot(this.fd);
  }

  /** The persistent index checks a saved state against this file with the append check's windows. */
  private readonly saved: SavedIdentity = {
    kind: "pi-jsonl",
    identity: (state) => state.identity(),
    restore: (state, saved) => state.restoreIdentity(saved as AppendCheckIdentity, this.fd, this.stats),
    readRecord: (_state, start, end) => readAt(this.fd, start, end),
  };

  loadSaved(cacheDir: string, key: string, maxDiagnostics: number) {
    return loadState(cacheDir, key, this.stats, maxDiagnostics, this.saved);
  }

  save(cacheDir: string, state: SessionState): void {
    saveState(cacheDir, state, this.saved);
  }

  readAppended(from: number, firstLineNo: number, options: ReadAppendedOptions, sink: LineSink, state: SessionState): AppendedReader {
    const { chunkBytes, maxRecordBytes } = options;
    // `until`: a writer appending while we read cannot keep this build reading forever. `chunk`: read
    // where the line-key scan reads, so the lines it scans are not copied.
    const chunk = scanReadBuffer(chunkBytes) ?? undefined;
    const { stopAt } = options;
    // Stopping at a line start: reads end there as at end of file, so no line past it is taken.
    const read: ReadFn | undefined = stopAt === undefined ? undefined : (fd, buffer, offset, length, position) =>
      position >= stopAt ? 0 : readSync(fd, buffer, offset, Math.min(length, stopAt - position), position);
    const until = stopAt === undefined ? this.stats.size : Math.min(stopAt, this.stats.size);
    // `keepHead`, `keepTail`: the append check's bytes at the file's start and before the state's end come
    // from the chunks as read (read back from the file after a step, they could be a rewrite's, passing
    // every later check).
    const keepHead = { bytes: CHECK_BYTES, before: state.checkHead };
    const keepTail = { bytes: CHECK_BYTES, before: state.checkTail };
    const lines = new LineReader(this.fd, from, firstLineNo, { chunkBytes, maxLineBytes: maxRecordBytes, until, chunk, read, keepHead, keepTail }, sink);
    const path = this.path;
    return {
      // The end of the file short of `until` (its size when opened, on this descriptor): it shrank under
      // the read. The checks after this read compare sizes and bytes at their own moment — a file regrown
      // by then with the same bytes (a rewrite that keeps a prefix) passes them — so only this read knows:
      // the lines would be cut where the file ended for an instant, a version that never was on disk.
      step() {
        const more = lines.step();
        state.keepCheckHead(lines.head);
        state.keepCheckTail(lines.tail);
        if (!more && lines.readTo < until) throw Errors.transcriptChanged(path, "it became shorter than when the build opened it");
        return more;
      },
      get readTo() {
        return lines.readTo;
      },
      result: () => lines.result(),
    };
  }

  readonly ranges = {
    recordStartAtOrAfter: (at: number) => lineStartAtOrAfter(this.fd, at, this.stats.size),
    read: (start: number, end: number) => readAt(this.fd, start, end),
  };

  recordReader(_state?: SessionState, scattered = false): RecordReader {
    return new RangeReader(this.fd, this.path, undefined, scattered ? 0 : undefined);
  }

  checkUnchanged(state: SessionState, readTo: number): void {
    this.guard ??= new ChangeGuard(this.fd, this.path, this.stats);
    this.guard.check(state, readTo);
  }

  close(): void {
    closeSync(this.fd);
  }
}
