/**
 * A read-only stand-in for pi's `SessionManager.open(path)` backed by the session buffer
 * (session-buffer-layout.ts): the read methods OpenClaw's run path calls, with results that deep-equal
 * pi's, while entries stay raw bytes until asked for.
 *
 * What never happens here (pi does it on open): writing the file. pi truncates a file with a
 * missing/torn header to a fresh header and rewrites v1/v2 files after migrating them; ctxc returns the
 * same in-memory view (a fresh session, or the migrated entries) and leaves the bytes alone.
 */
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { Errors } from "../../native-free-workers/protocol/errors.js";
import { encodeSessionBuffer, type SessionBufferOptions } from "../../native-free-workers/openclaw/session-buffer.js";
import { walkBranch } from "../../native-free-workers/pi/branch-walk.js";
import { synthesizedMessage } from "../../native-free-workers/pi/messages.js";
import { isHookMessage, syntheticV1Id, v1FirstKeptEntryId } from "../../native-free-workers/pi/migrate.js";
import { buildSessionContextFromPath, type PathEntryView } from "../../native-free-workers/pi/session-context.js";
import { MessageKind, type MessageKindCode } from "../../native-free-workers/protocol/buffer-layout.js";
import { readSectionTable, type SectionBounds } from "../../native-free-workers/protocol/section-table.js";
import { noteRead, Priority, runInOpenClawPool } from "./pool.js";
import { emitTrace, fileKey, TRACING } from "./trace.js";
import { traceNow } from "../../native-free-workers/protocol/call-trace.js";
import {
  EntryTypeCode,
  IdKind,
  SESSION_HEADER_BYTES,
  SESSION_LAYOUT_VERSION,
  SESSION_MAGIC,
  SESSION_RECORD_BYTES,
  SessionFlag,
  SessionHeader,
  SESSION_SECTION_COUNT,
  SessionRecord,
  SessionSection,
  type RepairCheckOptions,
  type RepairCheckReply,
  type SessionContinuation,
  type SessionMeta,
  type SessionStatus,
} from "../../native-free-workers/protocol/session-buffer-layout.js";

/** A transcript entry as pi's `SessionManager` returns it (`type`, `id`, `parentId`, `timestamp`, …). */
export type SessionEntry = Record<string, unknown> & { type: string; id: string; parentId: string | null; timestamp: string };
/** The session header entry. */
export type SessionHeaderEntry = Record<string, unknown> & { type: "session"; id: string; cwd?: string; version?: number };
/** pi's `SessionContext`: what `buildSessionContext()` returns. */
export interface SessionContext {
  messages: Record<string, unknown>[];
  thinkingLevel: unknown;
  model: { provider: unknown; modelId: unknown } | null;
}

/** Options of {@link openSession} / {@link openSessionAsync}. */
export interface OpenSessionOptions extends SessionBufferOptions {
  /** As `SessionManager.open(path, sessionDir)`: reported by `getSessionDir()`. Default: the file's directory. */
  sessionDir?: string;
  /** As `SessionManager.open(path, _, cwdOverride)`: reported by `getCwd()` instead of the header's cwd. */
  cwdOverride?: string;
  /**
   * When the file is missing, empty or has no valid header, pi starts a new session (and overwrites the file).
   * `"fresh"` (default): return a new in-memory session like pi, without writing (see `status`).
   * `"error"`: throw a CtxcError `INVALID_SESSION` (a missing file: `TRANSCRIPT_NOT_FOUND`).
   */
  onInvalid?: "fresh" | "error";
}

/** Options of {@link openSessionAsync}: those of {@link openSession}, plus what the caller already has. */
export interface OpenSessionAsyncOptions extends OpenSessionOptions {
  /**
   * The records the caller kept of an earlier read (its `meta.generation`, record count and `meta.bytes`):
   * when the worker still continues that read, the session holds only the records appended since
   * (`firstRecord` > 0; see {@link OpenClawSession.firstRecord}). Otherwise a whole read, as without it.
   */
  continueFrom?: SessionContinuation;
  /** Every record even when `continueFrom` holds (`meta.base` still says how many the caller has). */
  whole?: boolean;
  /**
   * False: the worker skips locating each line's members (the buffer's FIELDS say none were, so a
   * reader parses each line whole) — for callers that parse the lines themselves. Default true.
   */
  fields?: boolean;
  /**
   * False: the worker skips deciding which lines are canonical JSON (every record's `RecordFlag.canonical`
   * unset, so an exactness check serialises every line) — for callers that never check exactness
   * (pi's own open on 2026.5.12–5.27). Default true.
   */
  canonical?: boolean;
}

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

type Entry = Record<string, unknown>;

/** How pi's `buildSessionContext` rules (pi/session-context.ts) read a decoded entry: as pi reads it. */
const ENTRY_VIEW: PathEntryView<Entry> = {
  type: (e) => e.type as string,
  id: (e) => e.id,
  isId: (e, value) => e.id === value,
  thinkingLevel: (e) => e.thinkingLevel,
  modelChange: (e) => ({ provider: e.provider, modelId: e.modelId }),
  assistantModel: (e) => {
    const m = e.message as Entry | undefined | null;
    return m?.role === "assistant" ? { provider: m.provider, modelId: m.model } : undefined;
  },
  firstKeptEntryId: (e) => e.firstKeptEntryId,
  hasMessage: (e) => e.message !== undefined,
  hasSummary: (e) => Boolean(e.summary),
};

/** pi's message for what an entry on the path contributes. */
function messageOf(entry: Entry, kind: MessageKindCode): Entry {
  return kind === MessageKind.entry ? (entry.message as Entry) : synthesizedMessage(kind, entry);
}

/**
 * The session of one transcript, read-only. Method names, arguments and results follow pi 0.74's
 * `SessionManager`; entries are decoded on first use and then cached, so repeated calls return the same
 * objects (as pi's do). Do not mutate them: they are shared between calls, as in pi.
 */
export class OpenClawSession {
  readonly buffer: ArrayBuffer;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly count: number;
  private readonly flags: number;
  /**
   * Record number in the file of this session's first record: 0 for a whole read. A continued read
   * (openSessionAsync's `continueFrom`) holds only the records from here on, so its pi methods see only
   * those: it is for callers that put it after the records they kept (the preload's entry cache).
   */
  readonly firstRecord: number;
  private readonly leafIndex: number;
  /** The section table, checked against the buffer's bounds once. */
  private readonly sections: SectionBounds[];
  private readonly recordsAt: number;
  private readonly entriesAt: number;
  private readonly idText: string;
  private readonly decoded: (Record<string, unknown> | undefined)[];
  private byIdMap: Map<unknown, number> | undefined;
  private labels: Map<unknown, unknown> | undefined;
  private metaCache: SessionMeta | undefined;
  private readonly freshHeader: SessionHeaderEntry | undefined;
  private readonly sessionDir: string;
  private readonly cwd: string;

  constructor(buffer: ArrayBuffer, options: Pick<OpenSessionOptions, "sessionDir" | "cwdOverride"> = {}) {
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < SESSION_HEADER_BYTES) {
      throw Errors.invalidBuffer("too small for a session buffer");
    }
    this.buffer = buffer;
    this.view = new DataView(buffer);
    this.bytes = new Uint8Array(buffer);
    if (this.view.getUint32(SessionHeader.magic, true) !== SESSION_MAGIC) throw Errors.invalidBuffer("bad session magic");
    const version = this.view.getUint16(SessionHeader.version, true);
    if (version !== SESSION_LAYOUT_VERSION) throw Errors.invalidBuffer(`session layout version ${version} (expected ${SESSION_LAYOUT_VERSION})`);
    if (this.view.getUint32(SessionHeader.totalBytes, true) !== buffer.byteLength) throw Errors.invalidBuffer("session buffer length mismatch");
    this.flags = this.view.getUint16(SessionHeader.flags, true);
    this.count = this.view.getUint32(SessionHeader.recordCount, true);
    this.firstRecord = this.view.getUint32(SessionHeader.firstRecord, true);
    this.leafIndex = this.view.getInt32(SessionHeader.leafIndex, true);
    this.sections = readSectionTable(this.view, SessionHeader.sectionTable, SESSION_SECTION_COUNT, SESSION_HEADER_BYTES);
    if (this.sections[SessionSection.RECORDS]!.length !== this.count * SESSION_RECORD_BYTES) {
      throw Errors.invalidBuffer("session record section size does not match the record count");
    }
    if (this.leafIndex < -1 || this.leafIndex >= this.count) throw Errors.invalidBuffer(`leaf record ${this.leafIndex} of ${this.count}`);
    this.recordsAt = this.sectionOffset(SessionSection.RECORDS);
    this.entriesAt = this.sectionOffset(SessionSection.ENTRY_BYTES);
    this.idText = decoder.decode(this.section(SessionSection.ID_TEXT));
    this.decoded = new Array(this.count);
    this.sessionDir = options.sessionDir ?? resolve(this.meta.path, "..");
    let header: Record<string, unknown> | undefined;
    if (this.flags & SessionFlag.fresh) {
      // pi's newSession(): a uuid v7 id; ctxc uses a random v4 uuid (never written anywhere).
      this.freshHeader = { type: "session", version: 3, id: randomUUID(), timestamp: new Date().toISOString(), cwd: options.cwdOverride ?? process.cwd(), parentSession: undefined };
      header = this.freshHeader;
    } else {
      header = this.count > 0 && this.firstRecord === 0 ? this.entryAt(0) : undefined;
    }
    const headerCwd = header?.cwd;
    this.cwd = options.cwdOverride ?? (headerCwd === undefined || headerCwd === null ? process.cwd() : (headerCwd as string));
  }

  private sectionOffset(section: number): number {
    return this.sections[section]!.offset;
  }
  private section(section: number): Uint8Array {
    const { offset, length } = this.sections[section]!;
    return this.bytes.subarray(offset, offset + length);
  }
  private rec(i: number, field: number): number {
    return this.view.getUint32(this.recordsAt + i * SESSION_RECORD_BYTES + field, true);
  }
  private type(i: number): number {
    return this.view.getUint8(this.recordsAt + i * SESSION_RECORD_BYTES + SessionRecord.type);
  }
  private parent(i: number): number {
    return this.view.getInt32(this.recordsAt + i * SESSION_RECORD_BYTES + SessionRecord.parent, true);
  }
  private idKind(i: number): number {
    return this.view.getUint8(this.recordsAt + i * SESSION_RECORD_BYTES + SessionRecord.idKind);
  }
  private idKey(i: number): string {
    const start = this.rec(i, SessionRecord.idStart);
    return this.idText.slice(start, start + this.rec(i, SessionRecord.idLength));
  }
  /** The id value pi sees for record `i`, without decoding the entry when it is a string. */
  private idValue(i: number): unknown {
    switch (this.idKind(i)) {
      case IdKind.absent:
        return undefined;
      case IdKind.json: {
        const key = this.idKey(i);
        // An object id is only ever equal to itself: use the decoded entry's own value.
        return key.startsWith("{") || key.startsWith("[") ? this.entryAt(i).id : JSON.parse(key);
      }
      default:
        return this.idKey(i);
    }
  }

  /** Record `i` decoded (once), with pi's v1/v2 migrations applied to the object. */
  private entryAt(i: number): Record<string, unknown> {
    const cached = this.decoded[i];
    if (cached) return cached;
    const at = this.entriesAt + this.rec(i, SessionRecord.offset);
    const entry = JSON.parse(decoder.decode(this.bytes.subarray(at, at + this.rec(i, SessionRecord.length)))) as Record<string, unknown>;
    if (this.flags & SessionFlag.migrateV2) this.migrate(entry, i);
    this.decoded[i] = entry;
    return entry;
  }

  /** pi's migrateV1ToV2 + migrateV2ToV3, for one entry (pi mutates all of them and rewrites the file). */
  private migrate(entry: Record<string, unknown>, i: number): void {
    if (entry.type === "session") {
      entry.version = 3;
      return;
    }
    if (this.flags & SessionFlag.migrateV1) {
      entry.id = syntheticV1Id(i);
      const p = this.parent(i);
      entry.parentId = p < 0 ? null : syntheticV1Id(p);
      if (entry.type === "compaction" && typeof entry.firstKeptEntryIndex === "number") {
        const isEntry = (t: number) => Number.isInteger(t) && t >= 0 && t < this.count && this.type(t) !== EntryTypeCode.session;
        const migrated = v1FirstKeptEntryId(entry, i, isEntry, (t) => this.rawId(t));
        if (migrated) entry.firstKeptEntryId = migrated.id;
        delete entry.firstKeptEntryIndex;
      }
    }
    if (entry.type === "message" && isHookMessage(entry.message)) (entry.message as Entry).role = "custom";
  }

  private rawId(i: number): unknown {
    const at = this.entriesAt + this.rec(i, SessionRecord.offset);
    return (JSON.parse(decoder.decode(this.bytes.subarray(at, at + this.rec(i, SessionRecord.length)))) as Record<string, unknown>).id;
  }

  /** pi's `byId`: id → record, non-session entries, the last one per id wins. Built on first use. */
  private get byId(): Map<unknown, number> {
    if (!this.byIdMap) {
      const map = new Map<unknown, number>();
      for (let i = 0; i < this.count; i++) if (this.type(i) !== EntryTypeCode.session) map.set(this.idValue(i), i);
      this.byIdMap = map;
    }
    return this.byIdMap;
  }

  /** Record numbers from `start` to the root (root first), as pi's walk; a parent cycle ends the walk. */
  private pathFrom(start: number): number[] {
    return walkBranch(start, (i) => {
      const parent = this.parent(i);
      return parent < 0 ? null : parent;
    }).path;
  }

  // ---------------------------------------------------------------------------------------------
  // What ctxc adds
  // ---------------------------------------------------------------------------------------------

  /** How the file was read: status, size, identity, diagnostics. */
  get meta(): SessionMeta {
    this.metaCache ??= JSON.parse(decoder.decode(this.section(SessionSection.META))) as SessionMeta;
    return this.metaCache;
  }
  /** `"loaded"`, or why this is a fresh in-memory session (pi would have written the file). */
  get status(): SessionStatus {
    return this.meta.status;
  }
  /** Number of records in this session's buffer (every JSON-object line read; from `firstRecord` on). */
  get recordCount(): number {
    return this.count;
  }
  /**
   * Number of non-header entries (what `getEntries().length` would be), without decoding: from the
   * encoder's count of session-type records when the buffer carries it (a pass over 14.7k records at
   * 28 MB ran unoptimised on a fresh process's first open: ≈ 1–4 ms), else counted here.
   */
  get entryCount(): number {
    const sessions = this.meta.sessionRecords;
    if (sessions !== undefined) return this.count - sessions;
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.type(i) !== EntryTypeCode.session) n++;
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // pi SessionManager (read side)
  // ---------------------------------------------------------------------------------------------

  /** Always false: nothing is ever written through this object. */
  isPersisted(): boolean {
    return false;
  }
  getCwd(): string {
    return this.cwd;
  }
  getSessionDir(): string {
    return this.sessionDir;
  }
  getSessionId(): string {
    return (this.freshHeader ?? this.entryAt(0)).id as string;
  }
  getSessionFile(): string {
    return this.meta.path;
  }
  /** The first session-type entry (migrated), or the fresh in-memory header. */
  getHeader(): SessionHeaderEntry | null {
    if (this.freshHeader) return this.freshHeader;
    for (let i = 0; i < this.count; i++) if (this.type(i) === EntryTypeCode.session) return this.entryAt(i) as SessionHeaderEntry;
    return null;
  }
  /** Every non-header entry in file order (a new array; the entries are shared). */
  getEntries(): SessionEntry[] {
    const out: SessionEntry[] = [];
    for (let i = 0; i < this.count; i++) if (this.type(i) !== EntryTypeCode.session) out.push(this.entryAt(i) as SessionEntry);
    return out;
  }
  getEntry(id: string): SessionEntry | undefined {
    const i = this.byId.get(id);
    return i === undefined ? undefined : (this.entryAt(i) as SessionEntry);
  }
  /** The id of the last non-header entry, null when there is none. */
  getLeafId(): string | null {
    return this.leafIndex < 0 ? null : (this.idValue(this.leafIndex) as string);
  }
  getLeafEntry(): SessionEntry | undefined {
    const id = this.getLeafId();
    return id ? this.getEntry(id) : undefined;
  }
  /** Entries from the root to `fromId` (default: the leaf), every type included. */
  getBranch(fromId?: string): SessionEntry[] {
    const startId = fromId ?? this.getLeafId();
    const start = startId ? this.byId.get(startId) : undefined;
    return start === undefined ? [] : this.pathFrom(start).map((i) => this.entryAt(i) as SessionEntry);
  }
  /** Direct children of an entry (pi: every byId value whose parentId equals `parentId`). */
  getChildren(parentId: string): SessionEntry[] {
    const out: SessionEntry[] = [];
    for (const i of this.byId.values()) {
      const e = this.entryAt(i);
      if (e.parentId === parentId) out.push(e as SessionEntry);
    }
    return out;
  }
  /** The current label of an entry (from `label` entries: the latest wins, an empty label clears). */
  getLabel(id: string): string | undefined {
    if (!this.labels) {
      this.labels = new Map();
      for (let i = 0; i < this.count; i++) {
        if (this.type(i) !== EntryTypeCode.label) continue;
        const e = this.entryAt(i);
        if (e.label) this.labels.set(e.targetId, e.label);
        else this.labels.delete(e.targetId);
      }
    }
    return this.labels.get(id) as string | undefined;
  }
  /** The name from the latest `session_info` entry, if any. */
  getSessionName(): string | undefined {
    for (let i = this.count - 1; i >= 0; i--) {
      if (this.type(i) !== EntryTypeCode.session_info) continue;
      const name = this.entryAt(i).name;
      return (typeof name === "string" ? name.trim() : "") || undefined;
    }
    return undefined;
  }

  /**
   * What goes to the model, as pi's `buildSessionContext()`: walk the leaf's branch; the last
   * thinking_level_change / model_change / assistant message set the settings; the latest compaction
   * on the path emits its summary, then the kept entries from firstKeptEntryId, then those after it.
   * Only the entries on the path are decoded.
   */
  buildSessionContext(): SessionContext {
    const leafId = this.getLeafId();
    if (leafId === null) return { messages: [], thinkingLevel: "off", model: null };
    let leaf = leafId ? this.byId.get(leafId) : undefined;
    if (leaf === undefined) {
      for (let i = this.count - 1; i >= 0; i--) {
        if (this.type(i) !== EntryTypeCode.session) {
          leaf = i;
          break;
        }
      }
    }
    if (leaf === undefined) return { messages: [], thinkingLevel: "off", model: null };
    const path = this.pathFrom(leaf).map((i) => this.entryAt(i));
    const messages: Entry[] = [];
    const { thinkingLevel, model } = buildSessionContextFromPath(path, ENTRY_VIEW, (entry, kind) => messages.push(messageOf(entry, kind)));
    return { messages, thinkingLevel, model };
  }
}

function checkFresh(session: OpenClawSession, options: OpenSessionOptions): OpenClawSession {
  if (options.onInvalid === "error" && session.status !== "loaded") {
    if (session.status === "missing") throw Errors.transcriptNotFound(session.meta.path);
    throw Errors.invalidSession(session.meta.path, session.status);
  }
  return session;
}

/**
 * Opens a session like pi's `SessionManager.open(path)`, on the calling thread (synchronous, as pi's
 * is), but read-only: the file is never written. Use {@link openSessionAsync} to keep the read off the
 * main thread.
 */
export function openSession(path: string, options: OpenSessionOptions = {}): OpenClawSession {
  return checkFresh(new OpenClawSession(encodeSessionBuffer(path, options), options), options);
}

/**
 * {@link openSession} with the read and indexing done in a worker; the buffer is transferred, not copied.
 * A session open waits on it: it runs before the worker's other requests (pool.ts `Priority.open`).
 */
export async function openSessionAsync(path: string, options: OpenSessionAsyncOptions = {}): Promise<OpenClawSession> {
  const { maxLineBytes, chunkBytes, continueFrom, whole, fields, canonical } = options;
  const request = { op: "session", path: resolve(path), options: { maxLineBytes, chunkBytes }, continueFrom, whole, fields, canonical } as const;
  const buffer = (await runInOpenClawPool(request, Priority.open)) as ArrayBuffer;
  const session = new OpenClawSession(buffer, options);
  noteRead(request.path, session.meta);
  return checkFresh(session, options);
}

/**
 * What {@link openSessionAsync}'s `meta` would say — status, size, diagnostics, the repair verdict,
 * OpenClaw's transcript leaf info — from the same worker read, without sending the entries back.
 */
export async function readSessionMetaAsync(path: string, options: Pick<OpenSessionOptions, "maxLineBytes" | "chunkBytes"> = {}): Promise<SessionMeta> {
  const { maxLineBytes, chunkBytes } = options;
  const request = { op: "sessionMeta", path: resolve(path), options: { maxLineBytes, chunkBytes } } as const;
  const meta = (await runInOpenClawPool(request)) as SessionMeta;
  if (TRACING) traceMeta("sessionMeta", meta);
  noteRead(request.path, meta);
  return meta;
}

/**
 * What OpenClaw's repair pass needs from the worker's read (RepairCheckReply: the meta with the repair
 * facts, and with `images` the lines of the records holding image blocks): no buffer is assembled or
 * sent, and the read stops once the pass is known to rewrite the file. The read state stays in the
 * worker, so the session read that follows for an unchanged file continues it (nothing read twice).
 */
export async function readRepairCheckAsync(path: string, check: RepairCheckOptions): Promise<RepairCheckReply> {
  const request = { op: "repairCheck", path: resolve(path), check } as const;
  const reply = (await runInOpenClawPool(request)) as RepairCheckReply;
  if (TRACING) traceMeta("repairCheck", reply.meta);
  noteRead(request.path, reply.meta);
  return reply;
}

/** A `meta` trace line (trace.ts): where a worker read that sends no entries continued from, and how far it read. */
function traceMeta(op: string, meta: SessionMeta): void {
  emitTrace(`meta op=${op} file=${fileKey(meta.path)} t=${traceNow().toFixed(1)} index=${meta.index} readFrom=${meta.readFrom} bytes=${meta.bytes} generation=${meta.generation?.slice(0, 8) ?? "-"}`);
}

/** Wraps a session buffer produced elsewhere (e.g. received from another thread). */
export function decodeSession(buffer: ArrayBuffer, options: Pick<OpenSessionOptions, "sessionDir" | "cwdOverride"> = {}): OpenClawSession {
  return new OpenClawSession(buffer, options);
}
