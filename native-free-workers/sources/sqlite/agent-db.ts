/**
 * One read-only view of an OpenClaw agent database (`openclaw-agent.sqlite`, docs/sqlite-store.md) for
 * one build: the schema checks, which session, the rewrite generation, and the transcript rows.
 *
 * Never a write. How a consistent view is had without one depends on the WAL:
 * - quiescent (no `-wal`, or an empty one: nothing is committed outside the main file): the file is
 *   opened `immutable=1`, so SQLite neither creates nor touches `-wal`/`-shm` and takes no locks; the
 *   database and WAL are stat'ed again by {@link AgentDb.checkQuiet} and any change (a writer started)
 *   fails the build with TRANSCRIPT_CHANGED rather than trusting reads a checkpoint may have raced;
 * - live (a non-empty `-wal`: a gateway is writing or was): a plain read-only connection inside one
 *   deferred transaction, i.e. one WAL snapshot for the whole build. SQLite readers take their read
 *   lock through the `-shm` index, so this mode may touch `-shm`'s mtime (as OpenClaw's own readers
 *   do); the database and `-wal` are never written.
 */
import { statSync, type Stats } from "node:fs";
import { pathToFileURL } from "node:url";
import { CtxcError, Errors } from "../../protocol/errors.js";
import { nodeSqlite, zstdRow, type Database, type Statement } from "./node-sqlite.js";

/** The newest agent database schema (`PRAGMA user_version`) ctxc reads: OpenClaw 2026.9.6's. */
export const AGENT_SCHEMA_VERSION = 23;

/** One transcript row: its sequence number and its JSONL line bytes (null: above the size limit, not fetched). */
export interface TranscriptRow {
  seq: number;
  bytes: Buffer | null;
  length: number;
}

/** What identifies the files a quiescent read relied on. */
interface QuietFiles {
  db: string;
  wal: string;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

function fileKey(st: Stats | null): string {
  return st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}` : "none";
}

export class AgentDb {
  /** The session id whose rows are read (a session key given by the caller is resolved to it). */
  readonly sessionId: string;
  /** The transcript's rewrite generation (transcript_rewrite_watermarks), or null when the store keeps none. */
  readonly generation: string | null;
  private readonly rowsAfter: Statement;
  private readonly rowAt: Statement;
  private readonly countThrough: Statement;
  private readonly zstd: boolean;

  private constructor(
    readonly path: string,
    private readonly db: Database,
    private readonly quiet: QuietFiles | null,
    session: string,
  ) {
    const columns = this.checkSchema();
    this.zstd = columns.has("event_zstd") && columns.has("event_utf8_bytes");
    // The payload: OpenClaw's coalesce(event_json, zstd-decoded event_zstd), the decoding done here.
    const payload = this.zstd ? "event_json AS json, event_zstd AS zstd, event_utf8_bytes AS zbytes" : "event_json AS json, NULL AS zstd, NULL AS zbytes";
    const length = this.zstd ? "coalesce(event_utf8_bytes, octet_length(event_json))" : "octet_length(event_json)";
    this.rowsAfter = db.prepare(
      `SELECT seq, ${length} AS length, CASE WHEN ${length} > ? THEN 1 ELSE 0 END AS skip, ${payload} ` +
        "FROM transcript_events WHERE session_id = ? AND seq > ? ORDER BY seq",
    );
    this.rowAt = db.prepare(`SELECT ${payload} FROM transcript_events WHERE session_id = ? AND seq = ?`);
    this.countThrough = db.prepare("SELECT count(*) AS n FROM transcript_events WHERE session_id = ? AND seq <= ?");
    this.sessionId = this.resolveSession(session);
    this.generation = this.readGeneration();
  }

  /** Opens `path` read-only for `session` (a session id or key); throws the coded error when it cannot. */
  static open(path: string, session: string): AgentDb {
    const sqlite = nodeSqlite();
    let st: Stats | null;
    try {
      st = statOrNull(path);
    } catch (err) {
      throw Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException);
    }
    if (!st) throw Errors.transcriptNotFound(path);
    if (!st.isFile()) throw Errors.transcriptNotAFile(path, st.isDirectory() ? "directory" : "special file");
    const wal = statOrNull(`${path}-wal`);
    const quiet = wal === null || wal.size === 0 ? { db: fileKey(st), wal: fileKey(wal) } : null;
    let db: Database | undefined;
    try {
      db = quiet ? new sqlite.DatabaseSync(new URL(`${pathToFileURL(path).href}?immutable=1`), { readOnly: true }) : new sqlite.DatabaseSync(path, { readOnly: true });
      if (!quiet) db.exec("BEGIN"); // one snapshot: the first read below starts it, close() ends it
      return new AgentDb(path, db, quiet, session);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // closing a half-open connection: nothing more to release
      }
      throw err instanceof CtxcError ? err : Errors.storeUnreadable(path, err);
    }
  }

  /** The columns of transcript_events, once the schema is one this reads. */
  private checkSchema(): Set<unknown> {
    const version = Number(this.db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
    if (version > AGENT_SCHEMA_VERSION) throw Errors.storeSchemaTooNew(this.path, version, AGENT_SCHEMA_VERSION);
    const columns = new Set(this.db.prepare("SELECT name FROM pragma_table_info('transcript_events')").all().map((r) => r.name));
    if (columns.size === 0) throw Errors.storeTableMissing(this.path, "table transcript_events");
    for (const c of ["session_id", "seq", "event_json"]) {
      if (!columns.has(c)) throw Errors.storeTableMissing(this.path, `column transcript_events.${c}`);
    }
    return columns;
  }

  private hasTable(name: string): boolean {
    return this.db.prepare("SELECT 1 AS x FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  /** A session id with rows, else a session key's current session id (session_nodes), else SESSION_NOT_FOUND. */
  private resolveSession(session: string): string {
    const hasRows = (id: string) => this.db.prepare("SELECT 1 AS x FROM transcript_events WHERE session_id = ? LIMIT 1").get(id) !== undefined;
    if (hasRows(session)) return session;
    if (this.hasTable("session_nodes")) {
      const node = this.db.prepare("SELECT current_session_id AS id FROM session_nodes WHERE session_key = ?").get(session);
      if (typeof node?.id === "string" && hasRows(node.id)) return node.id;
    }
    throw Errors.sessionNotFound(this.path, session);
  }

  private readGeneration(): string | null {
    if (!this.hasTable("transcript_rewrite_watermarks")) return null;
    const row = this.db.prepare("SELECT generation FROM transcript_rewrite_watermarks WHERE session_id = ?").get(this.sessionId);
    return typeof row?.generation === "string" ? row.generation : null;
  }

  /** The rows after `seq`, in order; rows longer than `maxBytes` come without their bytes. */
  rows(afterSeq: number, maxBytes: number): Iterator<TranscriptRow> {
    const it = this.rowsAfter.iterate(maxBytes, this.sessionId, afterSeq);
    return {
      next: () => {
        const r = it.next();
        if (r.done) return { done: true, value: undefined };
        const row = r.value;
        const length = Number(row.length);
        return { done: false, value: { seq: Number(row.seq), length, bytes: row.skip === 1 ? null : this.payload(row) } };
      },
      return: (value?: unknown) => {
        it.return?.();
        return { done: true, value: value as TranscriptRow };
      },
    };
  }

  /** The line bytes of the row `seq` (null: no such row any more). */
  row(seq: number): Buffer | null {
    const row = this.rowAt.get(this.sessionId, seq);
    return row ? this.payload(row) : null;
  }

  /** How many rows have a seq up to `seq`. */
  countThroughSeq(seq: number): number {
    return Number(this.countThrough.get(this.sessionId, seq)?.n ?? 0);
  }

  private payload(row: Record<string, unknown>): Buffer {
    if (typeof row.json === "string") return Buffer.from(row.json, "utf8");
    if (row.zstd instanceof Uint8Array && typeof row.zbytes === "number") {
      const bytes = zstdRow(row.zstd, row.zbytes);
      if (bytes.length !== row.zbytes) throw Errors.storeUnreadable(this.path, new Error("a compressed row does not decode to its recorded length"));
      return bytes;
    }
    return Buffer.alloc(0); // a row with neither payload: an empty line, reported by the parser like any other
  }

  /**
   * Throws TRANSCRIPT_CHANGED when a quiescent (immutable) read can no longer be trusted: the database
   * or its WAL changed since open. A live read is one snapshot and needs no check.
   */
  checkQuiet(): void {
    if (!this.quiet) return;
    if (fileKey(statOrNull(this.path)) !== this.quiet.db || fileKey(statOrNull(`${this.path}-wal`)) !== this.quiet.wal) {
      throw Errors.transcriptChanged(this.path, "the database was written while it was read without a WAL snapshot; build again");
    }
  }

  close(): void {
    this.db.close(); // ends the read transaction of a live read (nothing to commit: nothing was written)
  }
}
