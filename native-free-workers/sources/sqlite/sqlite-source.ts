/**
 * OpenClaw's SQLite session store (2026.8+, docs/sqlite-store.md) as a {@link TranscriptSource}: one
 * session's `transcript_events` rows, in `seq` order, are the lines of the JSONL they were imported
 * from (OpenClaw stores each line's text as is). So the pi-semantics core parses, resolves and
 * assembles them exactly as it does a file.
 *
 * Positions: a row's offset in that virtual JSONL (each row's bytes plus a `\n`). The session state
 * keeps, per row read, its offset and its `seq` ({@link SqliteRows}), so a warm build asks only for
 * `seq > last` and a record read back is one primary-key lookup. The persistent index (`cacheDir`) saves
 * the same positions beside the entry index, so a restarted worker continues from them after the same
 * checks a warm build makes ({@link SqliteSource.verify}).
 */
import { createHash } from "node:crypto";
import { statSync, type Stats } from "node:fs";
import type { LineSink, ReadLinesResult } from "../../io/line-reader.js";
import type { DiagnosticLog } from "../../protocol/diagnostic-log.js";
import { Errors } from "../../protocol/errors.js";
import { TranscriptIndex } from "../../pi/transcript-index.js";
import type { RebuildReason, SessionState } from "../../session/session-state.js";
import { sha256 } from "../../session/append-check.js";
import { loadState, saveState, type SavedIdentity } from "../../session/persistent-index.js";
import type { AppendedReader, ReadAppendedOptions, RecordReader, TranscriptSource } from "../source.js";
import { AgentDb, type TranscriptRow } from "./agent-db.js";

/** What a session state keeps of a SQLite transcript between builds (`SessionState.sourceState`). */
export interface SqliteRows {
  /** The database file (a different file at the path is another store). */
  dev: number;
  ino: number;
  /** The session id the rows belong to (a session key may move to a new id on reset). */
  sessionId: string;
  /** The rewrite generation the rows were read under. */
  generation: string | null;
  /** Virtual offset of each row read, ascending. */
  starts: number[];
  /** Its `seq`. */
  seqs: number[];
  /** SHA-256 of the last row's bytes: a rewrite of it in place is not an append. */
  lastHash: string;
}

/**
 * Heap bytes of {@link SqliteRows}: its fixed part (ids, hash) and, per row, one element in each of
 * `starts` and `seqs` (8 bytes each: V8 keeps these arrays as packed doubles or tagged values).
 */
export const ROWS_FIXED_BYTES = 256;
export const BYTES_PER_ROW = 16;

function hashOf(bytes: Buffer | null, length: number): string {
  return bytes ? createHash("sha256").update(bytes).digest("hex") : `oversize:${length}`;
}

/**
 * {@link SqliteRows} as the persistent index keeps them: the session id only as a hash (the index
 * names no session), the rest as is.
 */
interface SavedRows {
  dev: number;
  ino: number;
  sessionIdHash: string;
  generation: string | null;
  starts: number[];
  seqs: number[];
  lastHash: string;
}

/** Whether `xs` is an array of integers, ascending (strictly). */
function ascendingIntegers(xs: unknown): xs is number[] {
  return Array.isArray(xs) && xs.every((x, i) => Number.isSafeInteger(x) && (i === 0 || x > xs[i - 1]));
}

/** `saved` as SavedRows, or a throw (a malformed index file is reported unreadable). */
function savedRows(saved: unknown): SavedRows {
  const r = saved as SavedRows;
  const ok =
    typeof r === "object" && r !== null && Number.isSafeInteger(r.dev) && Number.isSafeInteger(r.ino) && typeof r.sessionIdHash === "string" &&
    (r.generation === null || typeof r.generation === "string") && typeof r.lastHash === "string" &&
    ascendingIntegers(r.starts) && ascendingIntegers(r.seqs) && r.starts.length === r.seqs.length && (r.starts.length === 0 || r.starts[0] === 0);
  if (!ok) throw new Error("SQLite rows");
  return r;
}

export class SqliteSource implements TranscriptSource {
  readonly persistentIndex = true;

  private constructor(
    readonly path: string,
    readonly stats: Stats,
    private readonly db: AgentDb,
  ) {}

  /** Opens the agent database at `path` (absolute) for `session`; throws the coded error when it cannot. */
  static open(path: string, session: string): SqliteSource {
    const db = AgentDb.open(path, session);
    try {
      return new SqliteSource(path, statSync(path), db);
    } catch (err) {
      db.close();
      throw Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException);
    }
  }

  createIndex(diagnostics: DiagnosticLog): TranscriptIndex {
    return new TranscriptIndex(diagnostics);
  }

  /** The rows `state` holds, started when it holds none yet. */
  private rowsOf(state: SessionState): SqliteRows {
    let rows = state.sourceState as SqliteRows | undefined;
    if (!rows) {
      rows = { dev: this.stats.dev, ino: this.stats.ino, sessionId: this.db.sessionId, generation: this.db.generation, starts: [], seqs: [], lastHash: "" };
      state.sourceState = rows;
    }
    return rows;
  }

  verify(state: SessionState): RebuildReason | null {
    const rows = state.sourceState as SqliteRows | undefined;
    if (!rows || rows.dev !== this.stats.dev || rows.ino !== this.stats.ino || rows.sessionId !== this.db.sessionId) return "replaced";
    if (rows.generation !== this.db.generation) return "rewritten";
    const n = rows.seqs.length;
    if (n === 0) return null;
    const lastSeq = rows.seqs[n - 1]!;
    const count = this.db.countThroughSeq(lastSeq);
    if (count < n) return "truncated";
    if (count > n) return "rewritten"; // rows appeared before the last one read: not an append
    const last = this.db.row(lastSeq);
    if (!last) return "truncated";
    const oversize = rows.lastHash.startsWith("oversize:");
    return hashOf(oversize ? null : last, last.length) === rows.lastHash ? null : "rewritten";
  }

  snapshot(_state: SessionState): void {
    // The rows are recorded as they are read (readAppended), each with the state's end.
  }

  /** The persistent index checks a saved state against the store with the checks of a warm build. */
  private readonly saved: SavedIdentity = {
    kind: "sqlite",
    identity: (state): SavedRows => {
      const { sessionId, ...rows } = this.rowsOf(state);
      return { ...rows, sessionIdHash: sha256(sessionId) };
    },
    restore: (state, saved) => {
      const { sessionIdHash, ...rows } = savedRows(saved);
      if (sessionIdHash !== sha256(this.db.sessionId)) return "replaced";
      state.sourceState = { ...rows, sessionId: this.db.sessionId } satisfies SqliteRows;
      state.sourceStateBytes = ROWS_FIXED_BYTES + rows.seqs.length * BYTES_PER_ROW;
      const reason = this.verify(state);
      if (reason) return reason;
      // The saved end must be just past the last row read (verify has matched that row's bytes).
      const n = rows.seqs.length;
      const last = n === 0 ? null : this.db.row(rows.seqs[n - 1]!);
      if (state.end !== (last ? rows.starts[n - 1]! + last.length + 1 : 0)) throw new Error("end");
      return null;
    },
    readRecord: (state, start, end) => this.recordReader(state).read(start, end),
  };

  loadSaved(cacheDir: string, key: string, maxDiagnostics: number) {
    return loadState(cacheDir, key, this.stats, maxDiagnostics, this.saved, (log) => this.createIndex(log));
  }

  save(cacheDir: string, state: SessionState): void {
    saveState(cacheDir, state, this.saved);
  }

  readAppended(from: number, firstLineNo: number, options: ReadAppendedOptions, sink: LineSink, state: SessionState): AppendedReader {
    const rows = this.rowsOf(state);
    const n = rows.seqs.length;
    const end = n === 0 ? 0 : state.end;
    if (from !== end) throw Errors.internal(new Error(`SQLite read from ${from}, but the state's rows end at ${end}`));
    const it = this.db.rows(n === 0 ? Number.MIN_SAFE_INTEGER : rows.seqs[n - 1]!, options.maxRecordBytes);
    let pos = from;
    let lineNo = firstLineNo;
    let done = false;
    let last: TranscriptRow | null = null;
    const take = (row: TranscriptRow) => {
      if (row.bytes) sink.onLine(row.bytes, pos, lineNo);
      else sink.onOversize(pos, lineNo, row.length);
      rows.starts.push(pos);
      rows.seqs.push(row.seq);
      last = row;
      pos += row.length + 1;
      lineNo++;
    };
    // Hashed once per step, not per row: only the last row read is checked by the next build. The
    // state's size for the LRU is brought up to date at the same point.
    const sealStep = () => {
      if (last) rows.lastHash = hashOf(last.bytes, last.length);
      last = null;
      state.sourceStateBytes = ROWS_FIXED_BYTES + rows.seqs.length * BYTES_PER_ROW;
    };
    return {
      step: () => {
        if (done) return false;
        const stepEnd = pos + options.chunkBytes;
        try {
          while (pos < stepEnd) {
            const r = it.next();
            if (r.done) {
              done = true;
              return false;
            }
            take(r.value);
          }
          return true;
        } finally {
          sealStep();
        }
      },
      get readTo() {
        return pos;
      },
      result: (): ReadLinesResult => ({ end: pos, nextLineNo: lineNo, bytesRead: pos - from, torn: null }),
    };
  }

  recordReader(state: SessionState): RecordReader {
    const rows = this.rowsOf(state);
    let cached: { i: number; bytes: Buffer } | null = null;
    return {
      read: (start: number, end: number): Buffer => {
        const i = rowAt(rows.starts, start);
        if (i < 0) throw Errors.internal(new Error(`no SQLite row at virtual offset ${start}`));
        if (cached?.i !== i) {
          const bytes = this.db.row(rows.seqs[i]!);
          if (!bytes) throw Errors.transcriptChanged(this.path, `row ${rows.seqs[i]} of session ${rows.sessionId} is gone`);
          cached = { i, bytes };
        }
        const base = rows.starts[i]!;
        return cached.bytes.subarray(start - base, end - base);
      },
      release: () => {
        cached = null;
      },
    };
  }

  checkUnchanged(_state: SessionState, _readTo: number): void {
    this.db.checkQuiet();
  }

  close(): void {
    this.db.close();
  }
}

/** Index of the last row starting at or before `offset` (-1: none). */
function rowAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
