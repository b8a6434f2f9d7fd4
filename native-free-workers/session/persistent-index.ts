/**
 * The optional on-disk copy of a session's state (`cacheDir` / `--cache DIR`), so a restarted gateway
 * pays only for the bytes appended since its last build instead of a cold build of every transcript.
 *
 * Trust nothing on disk: the file is versioned, names (by hash) the transcript it describes and the kind
 * of source it was saved for, and is only used after the same checks as in-memory state (JSONL: inode,
 * size, the bytes at the start and before the old end — compared by hash here; a SQLite store: its rows,
 * sources/sqlite/). Anything unreadable, of another version, or stale is ignored and
 * reported, never half-used. Writes go to a temporary file renamed into place, so a crash mid-write
 * leaves the old index or none. The index lives in its own directory; ctxc never writes next to, or
 * into, a transcript.
 *
 * Private by construction (SECURITY.md): the directory must pass private-dir.ts (ours, not a symlink,
 * closed to group/others — checked by createCompiler, re-checked per build with one lstat); files are
 * created 0600 with O_EXCL|O_NOFOLLOW; and a file holds structure only — byte ranges, entry ids and
 * types, token counts, hashes of the check windows — never message text, the header's cwd, or the
 * transcript's path. What is kept, and why each piece is needed to resume, is listed in SECURITY.md.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { join } from "node:path";
import type { CompileTask } from "../protocol/compile-task.js";
import { NUMERIC_COLUMNS, type NumericColumn } from "../pi/record-table.js";
import { sessionHeader, type TranscriptIndex } from "../pi/transcript-index.js";
import type { DiagnosticLog } from "../protocol/diagnostic-log.js";
import { sha256 } from "./append-check.js";
import { recheckPrivateDir, type DirIdentity } from "./private-dir.js";
import { SessionState, type RebuildReason } from "./session-state.js";

const FORMAT = "ctxc-session-index";
/**
 * 2: hashes instead of head/tail bytes, no header, no transcript path (v1 files are ignored and reported).
 * 3: records may be keys-only (RecordFlag.keysOnly: bodies read back from the transcript on demand); a
 * v2 reader would take their not-yet-read values (settings, firstKeptEntryId, estimates) for absent ones.
 * 4: rows as numeric columns (pi/record-table.ts): ids as hashes, parents as row numbers, kept values
 * (odd ids and parents, duplicates) as [row, value] pairs; bodies' values are no longer saved.
 */
const VERSION = 4;

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
  | "disk-corrupt"
  /** cacheDir was refused (not private to this user, see private-dir.ts): no index read or written. */
  | "refused";


/**
 * JSON has no `undefined`, but pi's semantics see it (an entry without `thinkingLevel` sets the level to
 * undefined, not null), so it is saved as a marker object and restored exactly.
 */
const UNDEFINED = { $ctxcUndefined: 1 };
/** JSON.stringify replacer keeping `undefined` (see above); {@link restoreUndefined} undoes it after JSON.parse. */
export function keepUndefined(_key: string, value: unknown): unknown {
  return value === undefined ? UNDEFINED : value;
}
export function restoreUndefined(value: unknown): unknown {
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
  return join(cacheDir, `${sha256(transcript).slice(0, 32)}.ctxc-index.json`);
}

/** Directory identities re-established in this worker after the checked directory was deleted and re-created. */
const recreated = new Map<string, DirIdentity>();

/**
 * The index directory this build may use: `{dir}`, `{refused}` with why not, or null without a cacheDir.
 * createCompiler checked the directory once (private-dir.ts says why once is enough); here one lstat
 * confirms it is still that directory.
 */
export function indexDirFor(task: Pick<CompileTask, "cacheDir" | "cacheDirCheck">): { dir: string } | { refused: string } | null {
  const dir = task.cacheDir;
  const check = task.cacheDirCheck;
  if (dir === null || check === null) return null;
  if ("refused" in check) return { refused: check.refused };
  const again = recheckPrivateDir(dir, recreated.get(dir) ?? check.identity);
  if (!again.ok) return { refused: again.reason };
  if (again.identity !== check.identity) recreated.set(dir, again.identity);
  return { dir };
}

/**
 * Writes `text` to a new file `path` that nobody else can have prepared: O_EXCL fails on anything
 * already there (a planted file or symlink), O_NOFOLLOW refuses a symlink even where O_EXCL would not
 * be honoured, and mode 0600 applies from creation (a umask only removes bits).
 */
function writeNewPrivateFile(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `target` with a new private file holding `text`: written to a fresh temporary name beside it
 * ({@link writeNewPrivateFile}), then renamed over it, so a reader sees the old file or the new one,
 * never half of one. Also the OpenClaw session read's index (openclaw/session-index.ts).
 */
export function replacePrivateFile(target: string, text: string): void {
  const temp = `${target}.${randomBytes(8).toString("hex")}.tmp`;
  try {
    writeNewPrivateFile(temp, text);
    renameSync(temp, target); // replaces the name, never writes through it (a symlink there is replaced, not followed)
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // not created, or already renamed
    }
    throw err;
  }
}

/** Reads an index file only if it is a regular file of ours (not a symlink, FIFO or someone else's file). */
export function readOwnFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    const uid = process.getuid?.();
    if (!stats.isFile() || (uid !== undefined && stats.uid !== uid)) throw new Error("not a regular file of the current user");
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * How one kind of transcript source checks a saved state against the transcript as it is now. The file
 * records the kind, so a state saved for one kind is never read as another's.
 */
export interface SavedIdentity {
  /** "pi-jsonl", "sqlite". */
  kind: string;
  /** What the source needs to verify and continue the state (JSON; structure and hashes, no content). */
  identity(state: SessionState): unknown;
  /**
   * Restores `saved` into `state` (its `end` already set) if the transcript still matches it: null, or
   * why not. Throws on a malformed value (the file is then reported unreadable).
   */
  restore(state: SessionState, saved: unknown): RebuildReason | null;
  /** The bytes of the record at `[start, end)` (the session header's line), or undefined when unreadable. */
  readRecord(state: SessionState, start: number, end: number): Buffer | undefined;
}

export function saveState(cacheDir: string, state: SessionState, source: SavedIdentity): void {
  // The header is not saved (its cwd says where the user works): loadState reads it back from the
  // transcript, whose first line the head hash has just verified.
  const { header, count, columns, ...fields } = state.index.snapshotFields();
  const data = {
    format: FORMAT,
    version: VERSION,
    transcript: sha256(state.path),
    end: state.end,
    nextLineNo: state.nextLineNo,
    tokenizer: state.tokenizer,
    source: source.kind,
    identity: source.identity(state),
    fields: { ...fields, hasHeader: header !== null },
    diagnostics: { list: state.parseDiagnostics.list, counts: state.parseDiagnostics.counts },
    count,
    columns,
  };
  replacePrivateFile(indexFile(cacheDir, state.path), JSON.stringify(data, keepUndefined));
}

/** The session header read back from the transcript's first entry (undefined when it is not one any more). */
function readHeader(source: SavedIdentity, state: SessionState, first: { offset: number; length: number } | undefined): ReturnType<typeof sessionHeader> | undefined {
  if (!first) return undefined;
  try {
    const bytes = source.readRecord(state, first.offset, first.offset + first.length);
    if (!bytes) return undefined;
    const entry: unknown = JSON.parse(bytes.toString("utf8"));
    if (typeof entry !== "object" || entry === null || (entry as { type?: unknown }).type !== "session") return undefined;
    return sessionHeader(entry as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/**
 * Loads and verifies a saved state for the session `key` (a transcript's path; with a session inside a
 * store, sessionKeyOf's key) against the open transcript, through `source`. Returns the state, or null
 * and the reason it was not used.
 */
export function loadState(
  cacheDir: string,
  key: string,
  stats: Stats,
  maxDiagnostics: number,
  source: SavedIdentity,
  createIndex?: (diagnostics: DiagnosticLog) => TranscriptIndex,
): { state: SessionState | null; source: IndexSource; reason?: string } {
  const transcript = key;
  let raw: string;
  try {
    raw = readOwnFile(indexFile(cacheDir, transcript));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: null, source: "none" };
    return { state: null, source: "disk-corrupt", reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  let state: SessionState;
  try {
    const data = restoreUndefined(JSON.parse(raw)) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (data?.format === FORMAT && data.version !== VERSION) {
      return { state: null, source: "disk-corrupt", reason: `of format version ${String(data.version)}, not ${VERSION}` };
    }
    if (data?.format !== FORMAT || data.transcript !== sha256(transcript)) throw new Error("format");
    // Files from before the source kind was recorded are pi JSONL's.
    if ((data.source ?? "pi-jsonl") !== source.kind) throw new Error("source");
    const count: number = data.count;
    for (const column of NUMERIC_COLUMNS) if (!Array.isArray(data.columns?.[column]) || data.columns[column].length !== count) throw new Error("columns");
    state = new SessionState(transcript, stats, maxDiagnostics, createIndex);
    state.end = data.end;
    if (!Number.isInteger(state.end) || state.end < 0) throw new Error("end");
    // Verified against the open transcript here (JSONL: the check windows read back and compared with
    // their hashes; SQLite: the same checks as a warm build's).
    const failure = source.restore(state, data.identity);
    if (failure) return { state: null, source: "disk-stale" };
    state.nextLineNo = data.nextLineNo;
    state.tokenizer = data.tokenizer;
    for (const d of data.diagnostics.list) state.parseDiagnostics.list.push(d);
    Object.assign(state.parseDiagnostics.counts, data.diagnostics.counts);
    const f = data.fields;
    for (const list of [f.otherTypes, f.keptIds, f.keptParents, f.replacedBy, f.keptExtras]) if (!Array.isArray(list)) throw new Error("fields");
    const columns = data.columns as Record<NumericColumn, number[]>;
    const first = count > 0 ? { offset: columns.offset[0]!, length: columns.length[0]! } : undefined;
    const header = f.hasHeader === true ? readHeader(source, state, first) : null;
    if (header === undefined) return { state: null, source: "disk-stale" }; // the header line no longer parses
    state.index.restore({ ...f, header, count, columns });
  } catch {
    return { state: null, source: "disk-corrupt", reason: "unreadable" };
  }
  return { state, source: "disk" };
}
