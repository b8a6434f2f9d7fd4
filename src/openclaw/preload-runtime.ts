/**
 * The replacements the ctxc preload (register.ts) puts in front of OpenClaw's run path. The loader
 * hooks (preload-hooks.ts) only redirect imports and serve rewritten chunks whose intercepted functions
 * call {@link handlers} here; everything that decides what runs lives here, as plain functions that
 * take the originals — so it runs on Node 20 too and is unit-tested without hooks.
 *
 * Rule for every wrapper: ctxc only READS. Whatever OpenClaw or pi would write (appends, migrations,
 * fresh headers, repairs) stays on their own path; when ctxc cannot serve a call exactly, or fails, the
 * original runs and the reason goes to the preload log (CTXC_OPENCLAW_LOG, else stderr).
 */
import { logLine, writeLogLines } from "./log-line.js";
import { traceHandlers, TRACING } from "./trace.js";
import { cannotServeEntries, decodeFileEntries, endsWithNewline } from "./release/file-entries.js";
import { followAppend, rewriteFile, type RewriteHelpers, type RewriteOptions, type RewritingManager } from "./release/append-rewrite.js";
import { followWrite, serializedFileLinesForRewrite, writeFullFile, type FollowerHelpers, type WritingManager } from "./release/write-follower.js";
import { isAbsolute, normalize, relative, resolve } from "node:path";
import { piOpenSessionDir, type PiOpenOptions } from "./release/pi-open.js";
import {
  buildBootstrapContextForFiles,
  resolveBootstrapFilesForRun,
  type OpenClawBootstrapConfig,
  type ResolveBootstrapFilesForRunParams,
} from "./bootstrap.js";
import { shouldExcludeHeartbeat } from "./heartbeat-config.js";
import { recentLinesHandlers } from "./recent-lines.js";
import { repairHandlers } from "./repair-pass.js";
import { sessionDigestHandlers } from "./session-digest.js";
import { workspaceFilesHandlers } from "./workspace-files.js";
import { resolveHelpers, type PreloadDeps } from "./preload-deps.js";
import { openSessionAsync, readRepairCheckAsync, readSessionMetaAsync, type OpenClawSession } from "./session.js";
import { noteIndexUse, runInOpenClawPool } from "./pool.js";
import type { MayHoldKeyReply } from "../../native-free-workers/openclaw/session-buffer.js";
import { entryCacheLimit, identityIsSnapshot, identityOf, sameIdentity, type BigintFileStat } from "./entry-cache.js";
import { continuationFor, keptEntriesFor, keptEntriesOfFile } from "./kept-entries.js";
import { freshEntries } from "./lazy-entries.js";
import { entriesFromBuffers } from "./buffer-entries.js";
import { emptyIndex, servesPiIndex } from "./pi-index.js";
import { bufferContinuationFor, keptBuffersFor } from "./kept-buffers.js";
import { SessionFlag, SessionHeader, type SessionMeta } from "../../native-free-workers/protocol/session-buffer-layout.js";

/** ctxc's decoded-entry cache as this runtime instance keeps it (the session open fills it; tests fill and inspect it). */
export * as entryCache from "./entry-cache.js";
export * as keptBuffers from "./kept-buffers.js";

/** What the preload did in this process (written as one `summary` line at exit). */
export interface PreloadCounters {
  /** Session opens (pi's `SessionManager.open`, OpenClaw's `loadEntriesFromFile*`) answered from ctxc's worker read. */
  sessionsServed: number;
  /** 2026.6.9+: opens OpenClaw answered from its own entry cache (file unchanged since it last parsed or wrote it). */
  sessionsCached: number;
  /** Of sessionsServed: opens that decoded only the records appended since the previous turn, or none when the kept entries were the file the worker read (kept-entries.ts). */
  sessionsContinued: number;
  /**
   * 2026.6.9+: opens with no usable worker read (e.g. `persistRecord`'s re-open after OpenClaw's cache
   * dropped the file) answered from ctxc's kept entries, the file unchanged since (kept-entries.ts).
   */
  sessionsKept: number;
  /** OpenClaw transcript leaf scans (before each transcript append) answered by ctxc's worker. */
  leafInfoServed: number;
  /** OpenClaw idempotency-key scans (before a user turn / mirror is appended) answered "not there" from ctxc's read. */
  idempotencyServed: number;
  /** OpenClaw repair passes skipped because ctxc's worker found nothing they would change. */
  repairsSkipped: number;
  /** 2026.6.11+: recent-conversation reads answered from the lines ctxc's worker picked (recent-lines.ts). */
  recentReadsServed: number;
  bootstrapServed: number;
  bootstrapContextServed: number;
  /** 2026.5.12+: workspace bootstrap reads (`loadWorkspaceBootstrapFiles`) answered by ctxc's worker (workspace-files.ts). */
  workspaceReadsServed: number;
  /** 2026.6.9+ `SessionManager.rewriteFile` calls served as an append of only the new lines (release/append-rewrite.ts). */
  rewritesAppended: number;
  /** Bytes those appends wrote (0 when the file already held every entry: stock rewrote the same bytes). */
  rewriteAppendedBytes: number;
  /** Rewrites that ran stock's whole-file write (ctxc's entry cache could not prove an append equivalent; each logged). */
  rewritesStock: number;
  /**
   * 2026.6.9+: OpenClaw's own whole-file writes (first flush, 2026.7.35's header rewrite, stock's rewrite)
   * whose re-parse ctxc answered from the entries written (release/write-follower.ts).
   */
  writesFollowed: number;
  /** Lines of those writes answered by ctxc's kept objects (not parsed). */
  writeEntriesShared: number;
  /** 2026.6.6+: session-fence digests (`readSessionFileDigest`) computed by ctxc's worker, `undefined` answers included (session-digest.ts). */
  digestsServed: number;
  fallbacks: number;
}

export const counters: PreloadCounters = {
  sessionsServed: 0,
  sessionsCached: 0,
  sessionsContinued: 0,
  sessionsKept: 0,
  idempotencyServed: 0,
  leafInfoServed: 0,
  repairsSkipped: 0,
  recentReadsServed: 0,
  bootstrapServed: 0,
  bootstrapContextServed: 0,
  workspaceReadsServed: 0,
  rewritesAppended: 0,
  rewriteAppendedBytes: 0,
  rewritesStock: 0,
  writesFollowed: 0,
  writeEntriesShared: 0,
  digestsServed: 0,
  fallbacks: 0,
};

/** One line to the preload log; never throws (a logging problem must not break a run). */
export function preloadLog(kind: "active" | "inactive" | "stock" | "index" | "fallback" | "summary", message: string): void {
  writeLogLines(logLine(kind, message));
}

/** Counts and logs a call ctxc meant to serve but handed to OpenClaw because something failed. */
export function fallback(where: string, why: unknown): void {
  counters.fallbacks++;
  const text = why instanceof Error ? `${why.name}: ${why.message}` : String(why);
  preloadLog("fallback", `${where}: ${text}`);
}

// -----------------------------------------------------------------------------------------------
// Transcript: prewarmSessionFile (async, before) → SessionManager.open (sync, right after)
// -----------------------------------------------------------------------------------------------

/**
 * Sessions parsed by ctxc's worker, keyed by absolute path, waiting for the synchronous
 * `SessionManager.open` that OpenClaw calls right after awaiting `prewarmSessionFile`. An entry is
 * taken (deleted) by that open, so a later open of the same file re-reads it.
 */
const prepared = new Map<string, Promise<OpenClawSession | Error>>();
/**
 * Whether pi's `SessionManager.open` is served here ({@link wrapSessionManager}: 2026.5.12–5.27), the one
 * open that builds entries from the buffer's member FIELDS (buffer-entries.ts). The later releases' opens
 * (`loadEntriesFromFile*`) parse the lines, so their reads skip the worker's FIELDS pass.
 */
let piOpenServed = false;
const settled = new Map<string, OpenClawSession | Error>();

/**
 * Starts ctxc's worker read of `file`; the result is kept for the next `SessionManager.open(file)`. When
 * the entry cache holds the file's entries from an earlier read, the worker sends only the records
 * appended since (kept-entries.ts) — unless `whole` (a caller that scans every line's bytes).
 */
export function prepareSession(file: string, { whole = false }: { whole?: boolean } = {}): Promise<void> {
  const path = resolve(file);
  settled.delete(path);
  // The entry cache (2026.5.28+) or the kept buffers (2026.5.12): whichever holds this file's earlier records.
  const p = openSessionAsync(path, { continueFrom: continuationFor(path) ?? bufferContinuationFor(path), whole, fields: piOpenServed, canonical: !piOpenServed }).then(
    (s) => s,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
  prepared.set(path, p);
  return p.then((r) => {
    if (prepared.get(path) === p) {
      prepared.delete(path);
      settled.set(path, r);
    }
  });
}

/** The settled worker read of `path` (absolute) that prepareSession started, if any. */
export function settledRead(path: string): OpenClawSession | Error | undefined {
  return settled.get(path);
}

/** True when the file on disk is still exactly what the worker read for `session` (or a repair check). */
export function unchangedSince(session: { meta: SessionMeta }, path: string): boolean {
  return sameFile(session.meta.file, session.meta.bytes, path);
}

/**
 * Starts the worker read of `file` for the prewarm and open to come, unless one is running already (the
 * prewarm then waits for it instead of asking again): for a file OpenClaw's repair pass just rewrote.
 */
export function prefetchSession(file: string): void {
  if (!prepared.has(resolve(file))) void prepareSession(file);
}

/** True when `path` is still the file a worker read saw (`file`), and that read covered all of it (`bytes`). */
function sameFile(f: OpenClawSession["meta"]["file"], bytes: number, path: string): boolean {
  const now = identityOf(path);
  return !!now && !!f && sameIdentity(now, f) && now.size === bytes;
}

/**
 * OpenClaw's `prewarmSessionFile(file)` (reads the first 4 KB to warm the cache) plus ctxc's worker read
 * of the whole file, in parallel; resolves when both are done, so the synchronous open that follows
 * finds ctxc's result ready. A read already running for the file (started when OpenClaw's repair pass
 * rewrote it) is waited for, and a settled one used, when the file is still what it read — not asked
 * for again. (The repair check's own read sends no buffer: the read here continues its state.)
 */
export function wrapPrewarm(original: (file: string) => Promise<void>): (file: string) => Promise<void> {
  return (file: string) => prewarmSessionFile(original, [file]);
}

async function prewarmSessionFile(original: (file: string) => Promise<void>, [file]: [string]): Promise<void> {
  if (typeof file !== "string") return original(file);
  const path = resolve(file);
  const reading = prepared.get(path);
  const own = async () => {
    if (reading) await reading;
    const ready = settled.get(path);
    const reuse = ready !== undefined && !(ready instanceof Error) && unchangedSince(ready, path);
    if (!reuse) await prepareSession(file);
  };
  await Promise.all([original(file), own()]);
}

/**
 * OpenClaw 2026.5.12's `repairSessionFileIfNeeded(params)` answered "nothing to repair" from ctxc's
 * worker read when its pass would change nothing (repair-pass.ts, which serves every release's variant).
 */
export function wrapRepair<P extends { sessionFile?: unknown }, R>(original: (params: P) => Promise<R>): (params: P) => Promise<R> {
  return (params: P) => repairHandlers(preloadDeps).repairSessionFileIfNeeded!(original as (p: unknown) => Promise<unknown>, [params], {}) as Promise<R>;
}

/** pi's SessionManager class, as far as the preload needs it. */
interface PiSessionManagerClass {
  prototype: object;
  new (cwd: string, sessionDir: string, sessionFile: string | undefined, persist: boolean): PiSessionManagerLike;
  open(path: string, sessionDir?: string, cwdOverride?: string): PiSessionManagerLike;
}
/** The instance fields pi's `setSessionFile` sets (pi 0.74 session-manager.js). */
interface PiSessionManagerLike {
  sessionId: string;
  sessionFile: string | undefined;
  sessionDir: string;
  cwd: string;
  persist: boolean;
  flushed: boolean;
  fileEntries: unknown[];
  byId: Map<unknown, unknown>;
  labelsById: Map<unknown, unknown>;
  labelTimestampsById: Map<unknown, unknown>;
  leafId: unknown;
  _buildIndex(): void;
}

/**
 * Builds the pi `SessionManager` that `SessionManager.open(path, sessionDir, cwdOverride)` would return,
 * from a session ctxc's worker read, or says why it cannot (then pi's own open must run).
 *
 * The instance is pi's own: constructed by pi's constructor (in-memory, so every field pi declares is
 * initialised and nothing is written), then given exactly the state `setSessionFile` leaves for a v3
 * file — sessionFile, sessionId, cwd, sessionDir, persist, fileEntries — indexed as pi's `_buildIndex()`
 * indexes them (for pi 0.74's `_buildIndex`, in the pass that builds the entries: pi-index.ts; any other
 * pi's own method runs) and marked `flushed`. Every later append goes through pi's `_persist` to the same file.
 *
 * The entries are fresh objects for each open, as stock's parse gives: pi hands the loaded objects out
 * mutable (`buildSessionContext()` returns the entries' own `message` objects as the agent's messages;
 * extensions get the SessionManager, hooks the messages), and stock re-parses every turn, so an in-place
 * change by OpenClaw or a plugin never outlives its turn. Sharing the entries between turns could carry
 * such a change into the next turn, freezing them would make it throw. So nothing decoded is kept: what
 * is kept between turns is the worker's buffers (kept-buffers.ts: bytes plus each line's member ranges),
 * and each open builds new objects from them (buffer-entries.ts) whose object-valued fields (`message`,
 * `data`, …) are decoded from their bytes when first read, one level at a time. Any open — the FIRST of
 * the session in this process too (issue #11: every agent's first turn after a restart) — then costs one
 * small object per entry and its scalars, the top level of each message on the active path (pi reads
 * every one's `role`) and a parse of what the run reads in full (the context's messages, from the latest
 * compaction's kept tail on), instead of a `JSON.parse` of every line; a later one gets from the worker
 * only the appended records. Without keeping (`CTXC_OPENCLAW_ENTRY_CACHE_MB=0`, a file over the bound)
 * every open builds from a whole read, the same way.
 * (docs/openclaw.md §5.)
 */
export function sessionManagerFromCtxc(
  SM: PiSessionManagerClass,
  session: OpenClawSession,
  path: string,
  sessionDir?: string,
  cwdOverride?: string,
): PiSessionManagerLike | string {
  const meta = session.meta;
  // Missing/empty/invalid header: pi starts a new session and may (over)write the file — pi's job.
  if (session.status !== "loaded") return `status ${session.status}`;
  const view = new DataView(session.buffer);
  const flags = view.getUint16(SessionHeader.flags, true);
  // v1/v2 files: pi migrates AND rewrites the file — pi's job.
  if (flags & (SessionFlag.migrateV1 | SessionFlag.migrateV2)) return "file needs pi's v1/v2 migration (pi rewrites it)";
  // Lines pi treats differently from ctxc (non-object JSON, torn tail, over-long lines, …): let pi read them its way.
  if (meta.diagnostics.length > 0) return `file has ${meta.diagnostics.length} diagnostic(s), first ${meta.diagnostics[0]!.code}`;
  const records = view.getUint32(SessionHeader.recordCount, true);
  // pi's fileEntries is every entry in file order; with the header as the only session-type entry that
  // is [header, ...entries]. A second `session` line mid-file is rare: let pi handle it. (A continued
  // read holds only the appended records: none of them may be one; the kept ones passed this check.)
  const sessionLines = records - session.entryCount;
  if (sessionLines !== (session.firstRecord > 0 ? 0 : 1)) return `${sessionLines + (session.firstRecord > 0 ? 1 : 0)} session-type entries`;
  // The file must still be the bytes the worker read (nothing awaits between prewarm and open, but
  // another process may append).
  if (!unchangedSince(session, path)) return "file changed since the worker read it";
  // The kept buffers of earlier turns plus this read's (kept-buffers.ts); the entries are built from
  // their bytes, fresh for this open (buffer-entries.ts) — the first open of a process included.
  const kept = keptBuffersFor(path, session);
  // Only the appended records, and the kept buffers no longer hold what they continue: pi needs them all.
  if (typeof kept === "string") return `continued read: ${kept}`;
  // pi's index built in the same pass when this pi's `_buildIndex` is the one pi-index.ts stands for.
  const index = servesPiIndex(SM.prototype) ? emptyIndex() : undefined;
  let fileEntries: unknown[];
  try {
    fileEntries = entriesFromBuffers(kept.parts, index);
  } catch (e) {
    return `session buffer: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (kept.reused > 0) counters.sessionsContinued++;
  const header = fileEntries[0] as Record<string, unknown> | undefined;
  if (!header || typeof header.id !== "string") return "no header";
  const headerCwd = header.cwd;
  const cwd = cwdOverride ?? (headerCwd === undefined || headerCwd === null ? process.cwd() : (headerCwd as string));
  const dir = sessionDir ?? resolve(path, "..");
  const sm = new SM(cwd, dir, undefined, false);
  sm.sessionDir = dir;
  sm.persist = true;
  sm.sessionFile = resolve(path);
  sm.sessionId = header.id;
  sm.fileEntries = fileEntries;
  if (index) {
    // The fields `_buildIndex()` would have filled (pi's constructor made them empty for a new session).
    sm.byId = index.byId;
    sm.labelsById = index.labelsById;
    sm.labelTimestampsById = index.labelTimestampsById;
    sm.leafId = index.leafId;
  } else sm._buildIndex();
  sm.flushed = true;
  return sm;
}

/**
 * pi's `SessionManager` class with `open` answered from ctxc's prepared read when there is one. A Proxy,
 * not a subclass, so `instanceof` and every other static keep pi's identity.
 */
export function wrapSessionManager<T extends object>(SM: T, options: PiOpenOptions = {}): T {
  const real = SM as unknown as PiSessionManagerClass;
  piOpenServed = true;
  const open = function open(path: string, sessionDir?: string, cwdOverride?: string): PiSessionManagerLike {
    try {
      const abs = resolve(path);
      if (prepared.has(abs)) {
        // The worker has not answered although prewarm was awaited (a caller that skipped it).
        fallback("SessionManager.open", "ctxc read still running");
      } else {
        const got = settled.get(abs);
        settled.delete(abs);
        if (!got) {
          fallback("SessionManager.open", `no ctxc read prepared for ${abs}`);
        } else if (got instanceof Error) {
          fallback("SessionManager.open", got);
        } else {
          // What this pi does with the arguments (release/pi-open.ts): served only where ctxc's instance is pi's.
          const args = piOpenSessionDir(path, sessionDir, options);
          const sm = typeof args === "string" ? args : sessionManagerFromCtxc(real, got, abs, args.sessionDir, cwdOverride);
          if (typeof sm !== "string") {
            counters.sessionsServed++;
            return sm;
          }
          fallback("SessionManager.open", `${sm} (${abs})`);
        }
      }
    } catch (err) {
      fallback("SessionManager.open", err);
    }
    return real.open(path, sessionDir, cwdOverride);
  };
  return new Proxy(SM, {
    get(target, key, receiver) {
      return key === "open" ? open : Reflect.get(target, key, receiver);
    },
  });
}

/** OpenClaw's `readTranscriptLeafInfo` result (transcript-*.js, 2026.5.12). */
type LeafInfo = { leafId?: string; hasParentLinkedEntries: boolean; nonSessionEntryCount: number };

/**
 * Stands in for OpenClaw's internal `readTranscriptLeafInfo(transcriptPath)` (the chunk is rewritten to
 * call this; preload-hooks.ts): the answer comes from ctxc's worker, whose read of the transcript
 * continues from the previous turn, instead of a main-thread read of the whole file that `JSON.parse`s
 * every line twice while OpenClaw holds the session write lock. OpenClaw then builds and appends the
 * entry itself. When ctxc cannot tell (a missing file, a line it skipped unread) or fails, `original`
 * (OpenClaw's scan) runs.
 */
export async function transcriptLeafInfo(transcriptPath: string, original: (p: string) => Promise<LeafInfo>): Promise<LeafInfo> {
  try {
    if (typeof transcriptPath === "string") {
      const meta = await readSessionMetaAsync(transcriptPath);
      if (meta.leafInfo) {
        counters.leafInfoServed++;
        return meta.leafInfo;
      }
      if (meta.status !== "missing") preloadLog("fallback", `transcript leaf scan runs: ctxc cannot tell (${transcriptPath})`);
    }
  } catch (err) {
    fallback("readTranscriptLeafInfo", err);
  }
  return original(transcriptPath);
}

// -----------------------------------------------------------------------------------------------
// Bootstrap files
// -----------------------------------------------------------------------------------------------

/** OpenClaw's bootstrap file record. */
type BootstrapFileLike = { name: string; path: string; content?: string; missing: boolean } & Record<string, unknown>;

/** OpenClaw internals the bootstrap wrapper calls so hooks keep working (from the same 2026.5.12 build). */
export interface BootstrapHookDeps {
  createInternalHookEvent: (type: string, action: string, sessionKey: string, context: Record<string, unknown>) => { context: Record<string, unknown> };
  triggerInternalHook: (event: unknown) => Promise<void>;
  resolveAgentIdFromSessionKey: (sessionKey: string) => string | undefined;
}

/** OpenClaw's `resolveBootstrapFilesForRun` params (ctxc's compatible function takes the same, plus its additions). */
type ResolveParams = Omit<ResolveBootstrapFilesForRunParams, "onDiagnostic" | "onReads">;

/** OpenClaw's `sanitizeBootstrapFiles` (2026.5.12): absolute paths, no duplicates, entries without a path dropped. */
function sanitizeBootstrapFiles(files: BootstrapFileLike[], workspaceDir: string, warn?: (m: string) => void): BootstrapFileLike[] {
  const root = resolve(workspaceDir);
  const seen = new Set<string>();
  const out: BootstrapFileLike[] = [];
  for (const file of files) {
    const p = typeof file.path === "string" ? file.path.trim() : "";
    if (!p) {
      warn?.(`skipping bootstrap file "${file.name}" — missing or invalid "path" field (hook may have used "filePath" instead)`);
      continue;
    }
    const abs = isAbsolute(p) ? resolve(p) : resolve(root, p);
    const key = normalize(relative(root, abs));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...file, path: abs });
  }
  return out;
}

/**
 * OpenClaw's `resolveBootstrapFilesForRun` with the file reads in ctxc's worker. The steps around the
 * read stay OpenClaw's, in OpenClaw's order: the `agent:bootstrap` internal hook (through OpenClaw's
 * own hook functions), then the HEARTBEAT.md exclusion, then path sanitising.
 */
export function wrapResolveBootstrapFiles(
  original: (params: ResolveParams) => Promise<BootstrapFileLike[]>,
  deps: BootstrapHookDeps,
): (params: ResolveParams) => Promise<BootstrapFileLike[]> {
  return async function resolveBootstrapFilesForRunCtxc(params: ResolveParams): Promise<BootstrapFileLike[]> {
    let files: BootstrapFileLike[];
    try {
      // No config: ctxc must not drop HEARTBEAT.md before the hook has seen the list (OpenClaw drops it after).
      files = (await resolveBootstrapFilesForRun({ ...params, config: undefined, warn: undefined })) as BootstrapFileLike[];
    } catch (err) {
      fallback("resolveBootstrapFilesForRun", err);
      return original(params);
    }
    counters.bootstrapServed++;
    const sessionKey = params.sessionKey ?? params.sessionId ?? "unknown";
    const agentId = params.agentId ?? (params.sessionKey ? deps.resolveAgentIdFromSessionKey(params.sessionKey) : undefined);
    const event = deps.createInternalHookEvent("agent", "bootstrap", sessionKey, {
      workspaceDir: params.workspaceDir,
      bootstrapFiles: files,
      cfg: params.config,
      sessionKey: params.sessionKey,
      sessionId: params.sessionId,
      agentId,
    });
    await deps.triggerInternalHook(event);
    const updated = event.context.bootstrapFiles;
    let out = Array.isArray(updated) ? (updated as BootstrapFileLike[]) : files;
    if (shouldExcludeHeartbeat(params)) out = out.filter((f) => f.name !== "HEARTBEAT.md");
    return sanitizeBootstrapFiles(out, params.workspaceDir, params.warn);
  };
}

/** OpenClaw's `buildBootstrapContextForFiles` answered by ctxc's (same caps, truncation, stubs); the original on error. */
export function wrapBuildBootstrapContext<F extends (files: never, params: never) => unknown>(original: F): F {
  const wrapped = function buildBootstrapContextForFilesCtxc(files: BootstrapFileLike[], params: { config?: OpenClawBootstrapConfig; warn?: (m: string) => void }) {
    try {
      const out = buildBootstrapContextForFiles(files, params ?? {});
      counters.bootstrapContextServed++;
      return out;
    } catch (err) {
      fallback("buildBootstrapContextForFiles", err);
      return (original as unknown as (f: unknown, p: unknown) => unknown)(files, params);
    }
  };
  return wrapped as unknown as F;
}

// -----------------------------------------------------------------------------------------------
// OpenClaw's own copy of pi's session load (2026.5.28+): loadEntriesFromFile[WithSnapshot]
// -----------------------------------------------------------------------------------------------

/**
 * The prepared read of `path` when it can stand for OpenClaw's parse of the file as it is now, or why
 * not; undefined when no read was prepared (a caller off the run path: OpenClaw's own load, no log).
 */
function preparedFor(path: string, snapshot?: BigintFileStat): OpenClawSession | string | undefined {
  if (prepared.has(path)) return "ctxc read still running";
  const got = settled.get(path);
  if (got === undefined) return undefined;
  if (got instanceof Error) return got.message;
  // No file: stock's answer costs nothing (and a new session is OpenClaw's to create).
  if (got.status === "missing") return undefined;
  const why = cannotServeEntries(got);
  if (why) return why;
  const f = got.meta.file;
  if (snapshot) {
    // OpenClaw's own snapshot (bigint stat) of the file must be the one the worker read.
    const same = !!f && f.size === got.meta.bytes && identityIsSnapshot(f, snapshot);
    return same ? got : "file changed since the worker read it";
  }
  return unchangedSince(got, path) ? got : "file changed since the worker read it";
}

/**
 * Drops the read of `path` (and its buffer, as large as the file) once the synchronous open that used it
 * is over — an open may load twice (2026.5.28–6.8: `open` and `setSessionFile`); the next run prewarms
 * again, and the worker continues from what it kept.
 */
function releaseAfterOpen(path: string, session: OpenClawSession): void {
  setImmediate(() => {
    if (settled.get(path) === session) settled.delete(path);
  });
}

/**
 * OpenClaw's `loadEntriesFromFile(filePath)` (2026.5.28+; the vendored SessionManager's open calls it):
 * the entries from ctxc's worker read, through the chunk's own normaliser where it has one; OpenClaw's
 * read when there is no usable read. OpenClaw owns and may mutate what it gets (2026.5.28–6.8 keep no
 * frozen copy), so each call gets fresh objects: lazy-entries.ts copies of the entry cache (kept-entries.ts:
 * the previous call's entries, frozen, plus the appended records decoded now), whose object-valued fields
 * are copied only when read — or, without the cache, every record decoded fresh (release/file-entries.ts).
 */
function loadEntriesFromFile(original: (p: string) => unknown[], [filePath]: [string], helpers: Helpers): unknown[] {
  try {
    if (typeof filePath === "string") {
      const path = resolve(filePath);
      const got = preparedFor(path);
      if (typeof got === "object") {
        const normalize = helpers.normalizeLoadedFileEntry?.() as ((e: unknown) => unknown) | undefined;
        const kept = entryCacheLimit() > 0 ? keptEntriesFor(path, got, normalize) : "entry cache off";
        if (typeof kept === "string" && got.firstRecord > 0) {
          // Every entry is asked for, and the read holds only the appended ones while the cache no longer
          // holds the rest: OpenClaw's read.
          fallback("loadEntriesFromFile", `continued read: ${kept} (${path})`);
          return original(filePath);
        }
        const entries = typeof kept === "string" ? decodeFileEntries(got, normalize) : freshEntries(kept.entries);
        if (typeof kept !== "string" && kept.reused > 0) counters.sessionsContinued++;
        counters.sessionsServed++;
        releaseAfterOpen(path, got);
        return entries;
      }
      if (got !== undefined) fallback("loadEntriesFromFile", `${got} (${path})`);
    }
  } catch (err) {
    fallback("loadEntriesFromFile", err);
  }
  return original(filePath);
}

/** The bindings of OpenClaw's session-manager chunk the snapshot handler uses (see shapes.ts `helpers`). */
interface SnapshotHelpers {
  readSessionFileSnapshot: (p: string) => BigintFileStat;
  isSameSessionFileSnapshot: (a: unknown, b: unknown) => boolean;
  sessionEntriesCache: Map<string, { snapshot: unknown }>;
  rememberSessionEntries: (p: string, snapshot: unknown, entries: unknown[], endsWithNewline: boolean) => unknown[];
  copyFileEntries: (entries: unknown[]) => unknown[];
  MAX_CACHED_SESSION_BYTES: bigint;
}

/**
 * OpenClaw's `loadEntriesFromFileWithSnapshot(filePath)` (2026.6.9+, behind SessionManager.open). Stock,
 * on a miss of its entry cache, reads and parses the whole file, then `rememberSessionEntries` freezes
 * the entries into the cache and returns copies. Here the parse is ctxc's worker read (checked against
 * OpenClaw's own snapshot of the file), handed to the same `rememberSessionEntries` — so the cache, the
 * returned entries and the snapshot are what stock leaves. A cache hit (file unchanged since OpenClaw
 * last parsed or wrote it) is left to OpenClaw: it costs no parse.
 *
 * The entries are ctxc's entry cache (kept-entries.ts): those of the previous turn, shared and frozen,
 * plus the appended records decoded and frozen now — sharing frozen entries is what stock does between
 * its own cache and every SessionManager it opens (`copyFileEntries` copies the array and clones only
 * the header). A header stock does not cache (not version 3) gets freshly decoded, unfrozen entries, as
 * stock returns then. Without a usable worker read (none prepared, or the file grew since it), the kept
 * entries alone answer when the file is still exactly what they stand for (kept-entries.ts
 * `keptEntriesOfFile`) — no read at all; and the manager then holds the cache's own objects, so the
 * rewrite after the turn proves its append by pointer comparisons (release/append-rewrite.ts).
 */
function loadEntriesFromFileWithSnapshot(original: (p: string) => unknown, [filePath]: [string], helpers: Helpers): unknown {
  try {
    if (typeof filePath === "string") {
      const path = resolve(filePath);
      const h = resolveHelpers<SnapshotHelpers>(helpers);
      let snapshot: ReturnType<SnapshotHelpers["readSessionFileSnapshot"]> | undefined;
      try {
        snapshot = h.readSessionFileSnapshot(path);
      } catch {
        snapshot = undefined; // missing file: OpenClaw's answer (no entries, cache dropped)
      }
      const cached = snapshot && h.sessionEntriesCache.get(path);
      if (snapshot && cached && h.isSameSessionFileSnapshot(cached.snapshot, snapshot)) {
        counters.sessionsCached++;
      } else if (snapshot) {
        const got = preparedFor(path, snapshot);
        if (typeof got === "object") {
          const normalize = helpers.normalizeLoadedFileEntry?.() as ((e: unknown) => unknown) | undefined;
          const kept = entryCacheLimit() > 0 ? keptEntriesFor(path, got, normalize) : "entry cache off";
          if (typeof kept === "string" && got.firstRecord > 0) {
            fallback("loadEntriesFromFileWithSnapshot", `${kept} (${path})`);
            return original(filePath);
          }
          // A copy of the cache's array: OpenClaw's cache and SessionManager get their own arrays of the shared entries.
          const entries = typeof kept === "string" ? decodeFileEntries(got, normalize) : kept.entries.slice();
          if (typeof kept !== "string" && kept.reused > 0) counters.sessionsContinued++;
          const out = { entries: remember(h, path, snapshot, entries, typeof kept !== "string", () => endsWithNewline(path, got.meta.bytes)), snapshot };
          counters.sessionsServed++;
          releaseAfterOpen(path, got);
          return out;
        }
        // No usable worker read: the entries ctxc keeps answer when they are the file as it is now.
        const kept = keptEntriesOfFile(path, snapshot);
        if (kept) {
          // endsWithNewline, not the lazy serializedExactly: reading it here would run the exactness check on an open.
          const entries = remember(h, path, snapshot, kept.entries.slice(), true, () => endsWithNewline(path, kept.identity.size));
          counters.sessionsKept++;
          return { entries, snapshot };
        }
        if (got !== undefined) fallback("loadEntriesFromFileWithSnapshot", `${got} (${path})`);
      }
    }
  } catch (err) {
    fallback("loadEntriesFromFileWithSnapshot", err);
  }
  return original(filePath);
}

/**
 * OpenClaw's `rememberSessionEntries(path, snapshot, entries, endsWithNewline)`, which leaves its cache and
 * returns the entries as stock's parse path does — except for a file over its cache bound whose entries are
 * all deep-frozen and whose header it caches (`frozen`): there its body (part of the handler's shape,
 * shapes.ts SHAPE_DEPS) drops the path from its cache and returns `copyFileEntries(entries.map(freezeFileEntry))`,
 * and freezing a frozen entry changes nothing, but its freeze walks every value of every entry (~0.4 s per
 * turn at 100 MB). Here that is `copyFileEntries(entries)` without the walk: the same result.
 */
function remember(h: SnapshotHelpers, path: string, snapshot: { size: bigint }, entries: unknown[], frozen: boolean, endsWithNewline: () => boolean): unknown[] {
  if (frozen && snapshot.size > h.MAX_CACHED_SESSION_BYTES) {
    h.sessionEntriesCache.delete(path);
    return h.copyFileEntries(entries);
  }
  return h.rememberSessionEntries(path, snapshot, entries, endsWithNewline());
}

/**
 * OpenClaw's `findTranscriptMessageByIdempotencyKey(path, key)` (2026.5.26+): ctxc's worker continues
 * its read of the file and scans the raw line bytes there; when they cannot hold `key`
 * (native-free-workers/openclaw/idempotency.ts) the answer is stock's "not found" (`undefined`) without
 * OpenClaw's backward parse of every line — and without a main-thread pass over the file's bytes. When the
 * key may be there, or ctxc's read is not exactly the file, OpenClaw's scan runs (it then also finds the
 * entry to return).
 */
async function findTranscriptMessageByIdempotencyKey(original: AnyFn, [transcriptPath, key]: [string, string]): Promise<unknown> {
  try {
    if (typeof transcriptPath === "string" && typeof key === "string") {
      const path = resolve(transcriptPath);
      const reply = (await runInOpenClawPool({ op: "mayHoldKey", path, key })) as MayHoldKeyReply | string;
      if (typeof reply !== "string") noteIndexUse(reply);
      if (typeof reply === "string") {
        if (reply !== "status missing") fallback("findTranscriptMessageByIdempotencyKey", `${reply} (${path})`);
      } else if (!sameFile(reply.file, reply.bytes, path)) {
        fallback("findTranscriptMessageByIdempotencyKey", `file changed since the worker read it (${path})`);
      } else if (!reply.mayHold) {
        counters.idempotencyServed++;
        return undefined;
      }
    }
  } catch (err) {
    fallback("findTranscriptMessageByIdempotencyKey", err);
  }
  return original(transcriptPath, key);
}


/**
 * OpenClaw's `SessionManager.rewriteFile` (2026.6.9+, after each turn): an append of only the new lines
 * when ctxc's entry cache proves that is the file stock writes (release/append-rewrite.ts), else stock's
 * steps — and the reason logged (a missing cache, the usual case before ctxc decoded the file, is only
 * counted). OpenClaw's errors (a failing write) propagate as stock's do.
 */
function rewriteSessionFile(original: AnyFn, [options]: [RewriteOptions | undefined], helpers: Helpers, sm: RewritingManager): void {
  const outcome = rewriteFile(sm, original, options, resolveHelpers<RewriteHelpers>(helpers));
  if (outcome.appended) {
    counters.rewritesAppended++;
    counters.rewriteAppendedBytes += outcome.bytes;
  } else if (outcome.why !== undefined) {
    counters.rewritesStock++;
    if (outcome.why !== "no cached decode of the file") preloadLog("fallback", `rewrite runs stock: ${outcome.why} (${sm.sessionFile})`);
  }
}

// -----------------------------------------------------------------------------------------------
// The handlers the rewritten chunks call (release/rewrite.ts)
// -----------------------------------------------------------------------------------------------

/** Getters of the chunk's own bindings a handler uses, by name (getters: some are declared after the function). */
type Helpers = Record<string, () => unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** What the handler modules of their own files use (preload-deps.ts). */
const preloadDeps: PreloadDeps = { counters, preloadLog, fallback, prefetchSession, checkRepair: readRepairCheckAsync, unchangedSince };

/**
 * After OpenClaw wrote a transcript (2026.6.9+: a whole-file write such as 2026.7.35's header rewrite on a
 * session's first turn, or a rewrite ctxc served as an append), one worker read of the file as written, in
 * the background: the worker's state — and the persistent index saved from it — then follows the file the
 * gateway leaves. Without it, a gateway stopped before the session's next read restarts from an index of
 * the bytes before a whole-file write: stale, so that first read after the restart parses the whole file
 * (seen in the 2026.7.35 real-gateway smoke, one turn then a restart: indexRejected=1). After an append
 * the read continues the worker's state (the appended bytes only), and the session's next read continues
 * from it either way. Only a read; its answer is not used, and a failure changes nothing.
 */
function rereadAfterWrite(filePath: unknown): void {
  if (typeof filePath !== "string") return;
  readSessionMetaAsync(filePath).catch(() => {});
}

/**
 * One handler per intercepted OpenClaw function (release/shapes.ts `InterceptionName`): called as
 * `handler(original, args, helpers)` by the delegate the chunk rewrite puts under the function's name.
 * Each answers from ctxc when it can tell exactly, else returns `original(...args)`.
 */
const servedHandlers: Record<string, (original: AnyFn, args: unknown[], helpers: Helpers, self?: unknown) => unknown> = {
  prewarmSessionFile: (original, args) => prewarmSessionFile(original, args as [string]),
  ...repairHandlers(preloadDeps),
  ...recentLinesHandlers(preloadDeps),
  ...sessionDigestHandlers(preloadDeps),
  ...workspaceFilesHandlers(preloadDeps),
  readTranscriptLeafInfo: (original, [path]) => transcriptLeafInfo(path as string, original),
  loadEntriesFromFile: (original, args, helpers) => loadEntriesFromFile(original, args as [string], helpers),
  loadEntriesFromFileWithSnapshot: (original, args, helpers) => loadEntriesFromFileWithSnapshot(original, args as [string], helpers),
  resolveBootstrapFilesForRun: (original, [params], h) =>
    wrapResolveBootstrapFiles(original, {
      createInternalHookEvent: h.createInternalHookEvent!() as BootstrapHookDeps["createInternalHookEvent"],
      triggerInternalHook: h.triggerInternalHook!() as BootstrapHookDeps["triggerInternalHook"],
      resolveAgentIdFromSessionKey: h.resolveAgentIdFromSessionKey!() as BootstrapHookDeps["resolveAgentIdFromSessionKey"],
    })(params as ResolveParams),
  buildBootstrapContextForFiles: (original, [files, params]) => (wrapBuildBootstrapContext(original) as AnyFn)(files, params),
  findTranscriptMessageByIdempotencyKey: (original, args) => findTranscriptMessageByIdempotencyKey(original, args as [string, string]),
  "SessionManager.rewriteFile": (original, args, helpers, sm) => rewriteSessionFile(original, args as [RewriteOptions | undefined], helpers, sm as RewritingManager),
  rememberAppendedSessionEntry: (original, args, helpers) => followAppend(original, args, resolveHelpers(helpers)),
  rememberWrittenSessionEntries: (original, args, helpers) => {
    const remembered = followWrite(original, args, resolveHelpers<FollowerHelpers>(helpers), (w) => {
      counters.writesFollowed++;
      counters.writeEntriesShared += w.shared;
    });
    rereadAfterWrite(args[0]);
    return remembered;
  },
  "SessionManager.writeFullFile": (_original, args, helpers, sm) => writeFullFile(sm as WritingManager, args, resolveHelpers(helpers)),
  "SessionManager.getSerializedFileLinesForRewrite": (_original, _args, helpers, sm) => serializedFileLinesForRewrite(sm as WritingManager, resolveHelpers(helpers)),
};

/** The handlers, each call timed into the call trace when `CTXC_OPENCLAW_TRACE=1` (trace.ts); as they are otherwise. */
export const handlers = TRACING ? traceHandlers(servedHandlers) : servedHandlers;
