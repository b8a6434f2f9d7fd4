/**
 * The persistent index of the OpenClaw session read (openclaw/session-buffer.ts): what a worker kept
 * about a transcript, saved in a private directory (by default, with the preload, `<OpenClaw state
 * dir>/ctxc/index`), so that after a gateway restart the first read of each transcript parses only the
 * lines appended since the last save instead of the whole file.
 *
 * The compiler's index (session/persistent-index.ts) keeps a different state (the compiler's entry
 * index); this one keeps the session read's — pi `SessionManager` records, OpenClaw's repair and leaf
 * views — in its own file kind (`*.ctxc-session.json`, format `ctxc-openclaw-session-index`), with the
 * same rules: written 0600 by an O_EXCL temporary file renamed into place, read only when it is a
 * regular file of ours, in a directory that passed private-dir.ts (re-checked with one lstat per use).
 *
 * Trust nothing on disk. Before a read continues from a saved state, the open file must pass the append
 * check the worker uses between turns (inode, size, the bytes at the start and before the saved end,
 * compared by hash: session/append-check.ts), and then the entry bytes the state hands on — read back
 * from the file at the saved offsets, never stored in the index — must hash to the saved digest, so the
 * records (ids, types, parents) describe exactly the bytes that go into the session buffer. Anything
 * else — another version, a malformed field, a stale identity — is ignored (and reported in the read's
 * `meta.index`), and the next save replaces it.
 *
 * What the file holds is structure only (SECURITY.md): per entry line its file offset, length, line
 * number, type code and id / parentId; counts; diagnostics (fixed texts with line numbers); the repair
 * check's tool-call ids and fixed-text reason; the leaf id; hashes; how many image records the release's
 * image judge found clean, and the judge's name (RepairCheckOptions.judge: a release version and a hash). Never message text, the header
 * (its cwd: read back from the transcript's first line), or the transcript's path (only its hash).
 */
import { randomUUID } from "node:crypto";
import type { Stats } from "node:fs";
import { join } from "node:path";
import { CACHE_DEFAULTS } from "../protocol/defaults.js";
import { IdKind, type SessionMeta } from "../protocol/session-buffer-layout.js";
import { readAt } from "../io/read-at.js";
import { AppendCheck, sha256 } from "../session/append-check.js";
import { indexDirFor, keepUndefined, readOwnFile, replacePrivateFile, restoreUndefined } from "../session/persistent-index.js";
import type { DirIdentity } from "../session/private-dir.js";
import { LeafInfoScan } from "./leaf-info.js";
import { RecentConversationIndex } from "./recent-lines.js";
import { RepairCheck } from "./repair-check.js";
import type { Rec, SessionReadState } from "./session-buffer.js";

const FORMAT = "ctxc-openclaw-session-index";
/** 1: the first format. A file of another version is ignored (`disk-corrupt`) and replaced. */
const VERSION = 1;

/** A directory for the index, as the main thread checked it (private-dir.ts): its identity, or why it is refused. */
export interface SessionIndexDir {
  dir: string;
  check: { identity: DirIdentity } | { refused: string };
}

/** Per-record fields saved column by column; `offset` (in the staging buffer) and `parent` are recomputed. */
const COLUMNS = ["fileOffset", "length", "line", "type", "idKind", "idKey", "parentId"] as const;

type Source = SessionMeta["index"];

/** The index file of `transcript` (absolute) in `dir`: named by a hash of the path, never the path. */
export function sessionIndexFile(dir: string, transcript: string): string {
  return join(dir, `${sha256(transcript).slice(0, 32)}.ctxc-session.json`);
}

/** The directory to use now (re-checked with one lstat), or why not. */
function usableDir(index: SessionIndexDir): { dir: string } | { refused: string } {
  return indexDirFor({ cacheDir: index.dir, cacheDirCheck: index.check }) ?? { refused: "no directory" };
}

/**
 * Whether the state can be described without transcript content: an id or parentId that is an object
 * or array (a damaged file) would have to be saved as JSON text, and is only ever equal to itself
 * anyway — such a state is simply not saved (the next restart reads that file in full).
 */
function describable(state: SessionReadState): boolean {
  for (const r of state.records) {
    if (typeof r.parentId === "object" && r.parentId !== null) return false;
    if (r.idKind === IdKind.json && (r.idKey.startsWith("{") || r.idKey.startsWith("["))) return false;
  }
  return true;
}

/**
 * Saves `state` when it was never saved or has grown by at least CACHE_DEFAULTS.indexResaveBytes since
 * (so a restart re-parses at most that much beyond what was appended while it was down, and a turn
 * does not pay for a save each time). Never throws: the index is an optimisation.
 */
export function saveReadStateIfDue(index: SessionIndexDir, path: string, state: SessionReadState): void {
  if (state.records.length === 0) return;
  const judgedMore = (state.judged?.records ?? 0) > (state.savedJudged ?? 0);
  if (state.savedEnd >= 0 && state.end - state.savedEnd < CACHE_DEFAULTS.indexResaveBytes && !judgedMore) return;
  // Not retried before the next threshold either way: a failing disk must not cost every turn a write.
  state.savedEnd = state.end;
  state.savedJudged = state.judged?.records ?? 0;
  const where = usableDir(index);
  if (!("dir" in where) || !describable(state)) return;
  try {
    replacePrivateFile(sessionIndexFile(where.dir, path), JSON.stringify(describe(path, state), keepUndefined));
  } catch {
    // a full disk, a directory removed under us: the next due save tries again
  }
}

function describe(path: string, state: SessionReadState): Record<string, unknown> {
  const columns: Record<string, unknown[]> = {};
  for (const column of COLUMNS) columns[column] = state.records.map((r) => r[column]);
  return {
    format: FORMAT,
    version: VERSION,
    transcript: sha256(path),
    maxLineBytes: state.maxLineBytes,
    end: state.end,
    nextLineNo: state.nextLineNo,
    lines: state.lines,
    identity: state.check.identity(),
    entriesSha256: sha256(state.staging.subarray(0, state.used)),
    diagnostics: state.diagnostics,
    repair: state.repair.saved(),
    leafInfo: state.leafInfo.saved(),
    recent: state.recent.saved(),
    judgedImages: state.judged,
    count: state.records.length,
    columns,
  };
}

const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;

/**
 * The saved state of `path` (open as `fd`), verified against the file, or null and why not. The
 * entry bytes are read back from the file (one read up to the saved end, compacted in place).
 */
export function loadReadState(
  index: SessionIndexDir,
  path: string,
  fd: number,
  st: Stats,
  maxLineBytes: number,
): { state: SessionReadState | null; source: Source } {
  const where = usableDir(index);
  if (!("dir" in where)) return { state: null, source: "refused" };
  let raw: string;
  try {
    raw = readOwnFile(sessionIndexFile(where.dir, path));
  } catch (err) {
    return { state: null, source: (err as NodeJS.ErrnoException).code === "ENOENT" ? "none" : "disk-corrupt" };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const data = restoreUndefined(JSON.parse(raw)) as any;
    if (data?.format !== FORMAT || data.version !== VERSION || data.transcript !== sha256(path)) return { state: null, source: "disk-corrupt" };
    // Lines skipped or kept under another limit may not be the lines this read would keep.
    if (data.maxLineBytes !== maxLineBytes) return { state: null, source: "disk-stale" };
    const { end, nextLineNo, lines, count } = data;
    if (![end, nextLineNo, lines, count].every(isCount) || typeof data.entriesSha256 !== "string") throw new Error("fields");
    for (const column of COLUMNS) if (!Array.isArray(data.columns?.[column]) || data.columns[column].length !== count) throw new Error("columns");
    const check = new AppendCheck(st.dev, st.ino);
    if (check.restore(data.identity, fd, st, end) !== null) return { state: null, source: "disk-stale" };
    const records = restoreRecords(data.columns, count, end);
    const staging = readEntryBytes(fd, records, end);
    if (staging === null) return { state: null, source: "disk-stale" };
    const used = records.length === 0 ? 0 : records[records.length - 1]!.offset + records[records.length - 1]!.length;
    if (sha256(staging.subarray(0, used)) !== data.entriesSha256) return { state: null, source: "disk-stale" };
    if (!Array.isArray(data.diagnostics) || !data.diagnostics.every(isDiagnostic)) throw new Error("diagnostics");
    const judged = data.judgedImages;
    if (judged !== undefined && !(typeof judged?.judge === "string" && judged.judge.length <= 512 && isCount(judged.records))) throw new Error("judgedImages");
    const first = records[0];
    // The header is not saved (its cwd says where the user works): it is the first entry's bytes, just verified.
    const header = first ? (JSON.parse(staging.subarray(0, first.length).toString("utf8")) as Record<string, unknown>) : undefined;
    // A new generation: a caller's kept records belong to another process's reads (src/openclaw/kept-entries.ts).
    const state: SessionReadState = {
      generation: randomUUID(), mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, check, maxLineBytes, end, nextLineNo, lines, staging, used, records, header, diagnostics: data.diagnostics,
      repair: RepairCheck.restore(data.repair), leafInfo: LeafInfoScan.restore(data.leafInfo), recent: RecentConversationIndex.restore(data.recent), lastUsed: 0, savedEnd: end,
      ...(judged ? { judged: { judge: judged.judge as string, records: judged.records as number }, savedJudged: judged.records as number } : {}),
    };
    return { state, source: "disk" };
  } catch {
    return { state: null, source: "disk-corrupt" };
  }
}

function isDiagnostic(d: unknown): boolean {
  const x = d as { code?: unknown; line?: unknown; message?: unknown } | null;
  return typeof x === "object" && x !== null && typeof x.code === "string" && Number.isInteger(x.line) && typeof x.message === "string";
}

/** The records from their columns, checked: in file order, inside `[0, end)`, of known kinds. Throws otherwise. */
function restoreRecords(columns: Record<(typeof COLUMNS)[number], unknown[]>, count: number, end: number): Rec[] {
  const records: Rec[] = new Array(count);
  let after = 0;
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const at = columns.fileOffset[i];
    const length = columns.length[i];
    const line = columns.line[i];
    const type = columns.type[i];
    const idKind = columns.idKind[i];
    const idKey = columns.idKey[i];
    const parentId = columns.parentId[i];
    if (!isCount(at) || !isCount(length) || at < after || at + length > end || !isCount(line) || !isCount(type)) throw new Error("record");
    if (typeof idKey !== "string" || (typeof parentId === "object" && parentId !== null)) throw new Error("record id");
    let id: unknown;
    if (idKind === IdKind.absent) id = undefined;
    else if (idKind === IdKind.string) id = idKey;
    else if (idKind === IdKind.json) id = JSON.parse(idKey);
    else throw new Error("record id kind");
    records[i] = { offset, fileOffset: at, length, line, type, idKind, idKey, id, parentId, parent: -1 };
    after = at + length;
    offset += length;
  }
  return records;
}

/**
 * The records' bytes, concatenated as the read keeps them: the file up to `end` in one read, each
 * record's range moved down over the gaps (newlines, blank and skipped lines) in place — records are in
 * file order, so a move never overwrites bytes still to be moved. Null when the file ended early.
 */
function readEntryBytes(fd: number, records: Rec[], end: number): Buffer | null {
  const bytes = readAt(fd, 0, end);
  if (bytes.length !== end) return null;
  for (const r of records) if (r.offset !== r.fileOffset) bytes.copy(bytes, r.offset, r.fileOffset, r.fileOffset + r.length);
  return bytes;
}
