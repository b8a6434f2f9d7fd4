/**
 * OpenClaw 2026.5.12–5.27: pi's own `SessionManager.open`, answered from ctxc's prepared worker read
 * (prepared-reads.ts) by a pi instance ctxc fills the way pi's open does. The preload's resolve hook
 * (preload-hooks.ts) hands OpenClaw pi's class through {@link wrapSessionManager}; the runtime
 * (preload-runtime.ts) binds its counters and log ({@link PreloadDeps}).
 */
import { resolve } from "node:path";
import { piOpenSessionDir, type PiOpenOptions } from "./release/pi-open.js";
import type { OpenClawSession } from "./session.js";
import { entriesFromBuffers } from "./buffer-entries.js";
import { lazyStats } from "./lazy-entries.js";
import { emptyIndex, servesPiIndex, type PiIndex } from "./pi-index.js";
import { keptBuffersFor } from "./kept-buffers.js";
import { readRunning, servePiOpen, takeSettled, unchangedSince } from "./prepared-reads.js";
import type { PreloadDeps } from "./preload-deps.js";
import { SessionFlag, SessionHeader } from "../../native-free-workers/protocol/session-buffer-layout.js";

/** pi's SessionManager class, as far as the preload needs it. */
export interface PiSessionManagerClass {
  prototype: object;
  new (cwd: string, sessionDir: string, sessionFile: string | undefined, persist: boolean): PiSessionManagerLike;
  open(path: string, sessionDir?: string, cwdOverride?: string): PiSessionManagerLike;
}
/** The instance fields pi's `setSessionFile` sets (pi 0.74 session-manager.js), its index's among them. */
export interface PiSessionManagerLike extends PiIndex {
  sessionId: string;
  sessionFile: string | undefined;
  sessionDir: string;
  cwd: string;
  persist: boolean;
  flushed: boolean;
  fileEntries: unknown[];
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
  deps: Pick<PreloadDeps, "counters">,
  SM: PiSessionManagerClass,
  session: OpenClawSession,
  path: string,
  sessionDir?: string,
  cwdOverride?: string,
): PiSessionManagerLike | string {
  const why = cannotServePiOpen(session, path);
  if (why) return why;
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
  if (kept.reused > 0) deps.counters.sessionsContinued++;
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

/** Why pi's open of `path` cannot be served from `session` (then pi's own open runs), or undefined. */
function cannotServePiOpen(session: OpenClawSession, path: string): string | undefined {
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
  return undefined;
}

/**
 * The restart warm-up (restart-warmup.ts) of the pi-era open: what a file's first open builds and keeps —
 * the read's buffer among the kept buffers, its per-buffer tables and decoded-scalar memo (buffer-entries.ts),
 * built by one build of its entries (and pi's index), which are let go — so the first open continues them as
 * a later one does. Only for a read that open would serve ({@link cannotServePiOpen}); the lazy-member count
 * stays the opens'. Says whether it kept the buffer.
 */
export function warmPiOpen(session: OpenClawSession, path: string): boolean {
  if (cannotServePiOpen(session, path)) return false;
  const kept = keptBuffersFor(path, session);
  if (typeof kept === "string") return false;
  const deferred = lazyStats.deferred;
  entriesFromBuffers(kept.parts, emptyIndex());
  lazyStats.deferred = deferred;
  return true;
}

/**
 * pi's `SessionManager` class with `open` answered from ctxc's prepared read when there is one. A Proxy,
 * not a subclass, so `instanceof` and every other static keep pi's identity.
 */
export function wrapSessionManager<T extends object>(deps: Pick<PreloadDeps, "counters" | "fallback">, SM: T, options: PiOpenOptions = {}): T {
  const { counters, fallback } = deps;
  const real = SM as unknown as PiSessionManagerClass;
  servePiOpen();
  const open = function open(path: string, sessionDir?: string, cwdOverride?: string): PiSessionManagerLike {
    try {
      const abs = resolve(path);
      if (readRunning(abs)) {
        // The worker has not answered although prewarm was awaited (a caller that skipped it).
        fallback("SessionManager.open", "ctxc read still running");
      } else {
        const got = takeSettled(abs);
        if (!got) {
          fallback("SessionManager.open", `no ctxc read prepared for ${abs}`);
        } else if (got instanceof Error) {
          fallback("SessionManager.open", got);
        } else {
          // What this pi does with the arguments (release/pi-open.ts): served only where ctxc's instance is pi's.
          const args = piOpenSessionDir(path, sessionDir, options);
          const sm = typeof args === "string" ? args : sessionManagerFromCtxc(deps, real, got, abs, args.sessionDir, cwdOverride);
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

