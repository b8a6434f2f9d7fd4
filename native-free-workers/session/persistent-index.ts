/**
 * The optional on-disk copy of a session's state (`cacheDir` / `--cache DIR`), so a restarted gateway
 * pays only for the bytes appended since its last build instead of a cold build of every transcript.
 *
 * Trust nothing on disk: the file is versioned, names the transcript it describes, and is only used
 * after the same checks as in-memory state (inode, size, bytes at the start and before the old end).
 * Anything unreadable, of another version, or stale is ignored and reported, never half-used.
 * Writes go to a temporary file renamed into place, so a crash mid-write leaves the old index or none.
 * The index lives in its own directory; ctxc never writes next to, or into, a transcript.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync, type Stats } from "node:fs";
import { join } from "node:path";
import { EntryRecord } from "../pi/entry-record.js";
import { SessionState } from "./session-state.js";

const FORMAT = "ctxc-session-index";
const VERSION = 1;

/** What happened with the persistent index on this build. */
export type IndexSource =
  /** The state was in this worker's memory. */
  | "memory"
  /** Loaded from cacheDir and verified. */
  | "disk"
  /** No usable state anywhere: built from scratch. */
  | "none"
  /** An index file existed but did not match the transcript any more (it changed): ignored. */
  | "disk-stale"
  /** An index file existed but was unreadable or of another format/version: ignored. */
  | "disk-corrupt";

/** Record fields saved column by column (compact JSON, one array per field). */
const COLUMNS = ["line", "offset", "length", "type", "id", "parentId", "emits", "role", "flags", "valueStart", "valueEnd", "estimate", "extra", "tokens"] as const;

/**
 * JSON has no `undefined`, but pi's semantics see it (an entry without `thinkingLevel` sets the level to
 * undefined, not null), so it is saved as a marker object and restored exactly.
 */
const UNDEFINED = { $ctxcUndefined: 1 };
function keepUndefined(_key: string, value: unknown): unknown {
  return value === undefined ? UNDEFINED : value;
}
function restoreUndefined(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if ((value as { $ctxcUndefined?: number }).$ctxcUndefined === 1) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreUndefined(value[i]);
  } else {
    for (const key of Object.keys(value)) (value as Record<string, unknown>)[key] = restoreUndefined((value as Record<string, unknown>)[key]);
  }
  return value;
}

export function indexFile(cacheDir: string, transcript: string): string {
  return join(cacheDir, `${createHash("sha256").update(transcript).digest("hex").slice(0, 32)}.ctxc-index.json`);
}

export function saveState(cacheDir: string, state: SessionState): void {
  const records = state.index.records;
  const columns: Record<string, unknown[]> = {};
  for (const column of COLUMNS) columns[column] = records.map((r) => r[column]);
  const data = {
    format: FORMAT,
    version: VERSION,
    transcript: state.path,
    end: state.end,
    nextLineNo: state.nextLineNo,
    tokenizer: state.tokenizer,
    identity: state.identity(),
    fields: state.index.snapshotFields(),
    diagnostics: { list: state.parseDiagnostics.list, counts: state.parseDiagnostics.counts },
    count: records.length,
    columns,
  };
  mkdirSync(cacheDir, { recursive: true });
  const target = indexFile(cacheDir, state.path);
  const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, JSON.stringify(data, keepUndefined));
  renameSync(temp, target);
}

/**
 * Loads and verifies a saved state for `transcript` (open as `fd`). Returns the state, or null and the
 * reason it was not used.
 */
export function loadState(
  cacheDir: string,
  transcript: string,
  fd: number,
  stats: Stats,
  maxDiagnostics: number,
): { state: SessionState | null; source: IndexSource } {
  let raw: string;
  try {
    raw = readFileSync(indexFile(cacheDir, transcript), "utf8");
  } catch {
    return { state: null, source: "none" };
  }
  let state: SessionState;
  try {
    const data = restoreUndefined(JSON.parse(raw)) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (data?.format !== FORMAT || data.version !== VERSION || data.transcript !== transcript) throw new Error("format");
    const count: number = data.count;
    for (const column of COLUMNS) if (!Array.isArray(data.columns[column]) || data.columns[column].length !== count) throw new Error("columns");
    state = new SessionState(transcript, stats, maxDiagnostics);
    state.restoreIdentity(data.identity);
    state.end = data.end;
    state.nextLineNo = data.nextLineNo;
    state.tokenizer = data.tokenizer;
    for (const d of data.diagnostics.list) state.parseDiagnostics.list.push(d);
    Object.assign(state.parseDiagnostics.counts, data.diagnostics.counts);
    const records: EntryRecord[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const record = new EntryRecord();
      for (const column of COLUMNS) (record as unknown as Record<string, unknown>)[column] = data.columns[column][i];
      records[i] = record;
    }
    state.index.restore(data.fields, records);
    if (!Number.isInteger(state.end) || state.end < 0) throw new Error("end");
  } catch {
    return { state: null, source: "disk-corrupt" };
  }
  if (state.verify(fd, stats) !== null) return { state: null, source: "disk-stale" };
  return { state, source: "disk" };
}
