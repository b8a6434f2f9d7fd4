/**
 * The session write lock in the preload's call trace (`CTXC_OPENCLAW_TRACE=1` only; issue #11): how long
 * each `acquireSessionWriteLock` waits, how many contended attempts it makes, and who held the lock.
 *
 * OpenClaw 2026.5.12 and 2026.7.35 keep every session write lock of the process in one manager of
 * `@openclaw/fs-safe`'s sidecar locks, registered by name on `globalThis[Symbol.for("fsSafe.sidecarLockManagers")]`
 * (a Map: manager key → `{ cleanupRegistered, held: Map<normalized path, held lock> }`), the session
 * lock's key being `"openclaw.session-write-lock"`. The lock code touches that `held` map at the points
 * the trace needs, so wrapping the map's own methods (on that one instance) sees them without touching
 * OpenClaw's modules:
 *
 * - `get(path)` first thing in `acquire` (the reentrancy check) — and first thing in `releaseHeldLock`,
 *   which then `delete`s in the same synchronous run (or only lowers the count of a reentrant hold);
 *   a `get` neither followed by a `delete` nor changing the held count is an acquire starting;
 * - `has(path)` once per contended attempt (the lock file exists: `heldByThisProcess` for the stale check),
 *   before the 50 ms retry sleep;
 * - `set(path, held)` when granted; `delete(path)` when released.
 *
 * And `acquireSessionWriteLock` itself, on entry, reads its cleanup state from
 * `process[Symbol.for("openclaw.sessionWriteLockCleanupState")]` (`registerCleanupHandlers`, before its
 * realpath and mkdir and the manager's own mkdir and realpath): an accessor there stamps each entry, paired
 * with the next acquire start oldest first (`asked`: entry → the manager's `get`).
 *
 * Two line kinds, parsed by bench/real-gateway/lock-waits.ts:
 *
 *     lock grant file=<key> t=<acquire start, epoch ms> wait=<ms> tries=<contended attempts> site=<who acquires> holder=<site|-> held=<ms> lag=<ms> asked=<ms>
 *     lock release file=<key> t=<granted at> hold=<ms> site=<who acquired it> end=<who released it>
 *
 * `holder` is the in-process holder when the acquire started (`-`: none; contended attempts then mean a
 * lock file of another process), `held` how long it had held the lock by then, `lag` from the release the
 * waiter was waiting for to its grant (the retry step's quantisation plus the main thread's delay).
 * A site is the first two OpenClaw functions on the (async) stack above the lock code, `inner<outer`; when
 * none has a name, the first two anonymous frames' places, `anon@<chunk>:<line>` (see `chunkPlace`).
 * Acquires of one path are matched to grants oldest first: the harness runs one turn per session at a time,
 * so concurrent waiters for one path are the exception, and the counts stay right even then.
 */
import { traceNow } from "../../native-free-workers/protocol/call-trace.js";
import { emitTrace, fileKey, ms } from "./trace.js";

const REGISTRY = Symbol.for("fsSafe.sidecarLockManagers");
/** The session write lock's manager key in 2026.5.12 and 2026.7.35 (session-write-lock-*.js). */
export const SESSION_LOCK_MANAGER = "openclaw.session-write-lock";

type Held = { count?: unknown };
interface Acquire {
  t: number;
  /** From `acquireSessionWriteLock`'s entry to `t` (NaN: no entry stamped). */
  asked: number;
  tries: number;
  holder: string;
  heldMs: number;
}
/** `acquireSessionWriteLock` entries not yet paired with an acquire start (epoch ms, oldest first). */
const entries: number[] = [];
const CLEANUP_STATE = Symbol.for("openclaw.sessionWriteLockCleanupState");

/**
 * Stamps each `acquireSessionWriteLock` entry (see the file comment): an accessor for its cleanup state on
 * `process`, the value kept as OpenClaw sets it. One stamp per synchronous run (it reads the state twice).
 */
let stamping = false;
function stampLockEntries(): void {
  if (stamping) return; // a second accessor would lose the state the first one keeps
  stamping = true;
  const proc = process as unknown as Record<symbol, unknown>;
  const own = Object.getOwnPropertyDescriptor(proc, CLEANUP_STATE);
  if (own && !own.configurable) return;
  let value = own?.value;
  let inRun = false;
  Object.defineProperty(proc, CLEANUP_STATE, {
    configurable: true,
    enumerable: own?.enumerable ?? true,
    get() {
      if (!inRun) {
        inRun = true;
        queueMicrotask(() => void (inRun = false));
        entries.push(traceNow());
        // An entry whose acquire never reached the manager (it threw first): not kept for a later one.
        while (entries.length > 64) entries.shift();
      }
      return value;
    },
    set(v: unknown) {
      value = v;
    },
  });
}

/**
 * Functions of the lock code's chunks (fs-safe's sidecar lock and file lock, OpenClaw's session-write-lock)
 * that can be on a grant's or release's stack: `acquire` (the manager's, and the file lock's wrapper),
 * `withLock`, `releaseHeldLock`, the handle's `release`, the path resolution.
 */
const LOCK_CODE: ReadonlySet<string> = new Set(["acquire", "withLock", "withSidecarLock", "acquireFileLock", "releaseHeldLock", "release", "drain", "resolveNormalizedTargetPath", "resolveNormalizedSessionFile"]);

/** Per held lock (the manager's own object): when and where it was granted. */
const grants = new WeakMap<object, { t: number; site: string }>();

/**
 * The first two named frames of the current stack outside the lock code and this file, `inner<outer`;
 * async frames count (the acquire's callers are awaiting it). Structured frames, not the stack string:
 * a chunk the preload serves rewritten has a data: URL, megabytes of text per frame.
 */
export function lockSite(): string {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let frames: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_e, s) => s;
    Error.stackTraceLimit = 24;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, lockSite);
    frames = (holder.stack as NodeJS.CallSite[] | undefined) ?? [];
  } catch {
    frames = [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  const names: string[] = [];
  /** Anonymous frames' places, named only when no frame has a name (issue #11: a 2026.7.35 hold was `?`). */
  const places: string[] = [];
  for (const f of frames) {
    const file = f.getFileName() ?? "";
    const name = f.getFunctionName();
    // A file: URL or path names the lock code's chunk or ours by its end; a served chunk (data: URL) has no
    // name, so the lock code's functions are known by theirs there (its chunks are served: lock-fs.ts).
    if (!file.startsWith("data:")) {
      const tail = file.slice(-80);
      if (/\/(sidecar-lock|file-lock|session-write-lock)-[\w-]+\.js$/.test(tail) || /\/lock-trace\.[jt]s$/.test(tail) || file.startsWith("node:") || file === "") continue;
    } else if (name && LOCK_CODE.has(name)) continue;
    if (!name) {
      if (places.length < 2) places.push(`anon@${chunkPlace(file, f.getLineNumber())}`);
      continue;
    }
    if (name === "acquireSessionWriteLock" || names.includes(name)) continue;
    names.push(name);
    if (names.length === 2) break;
  }
  return names.length ? names.join("<") : places.length ? places.join("<") : "?";
}

/**
 * Where an anonymous frame is, short: the chunk's name without its content hash and `.js`, and the line
 * (`session-accessor:2590`). An arrow run by a promise queue (2026.7.35's transcript append queue) has no
 * named caller on its async stack; its line in the release's dist is what names it. A served (data: URL)
 * chunk is `data:<line>`.
 */
export function chunkPlace(file: string, line: number | null): string {
  const stem = file.startsWith("data:") ? "data" : file.slice(file.lastIndexOf("/") + 1).replace(/(-[\w-]{8})?\.[cm]?js$/, "");
  return `${stem}:${line ?? "?"}`;
}

/** Wraps the `held` map of the session lock manager's state (see the file comment); false when not that shape. */
export function traceHeldMap(held: unknown): boolean {
  if (!(held instanceof Map) || (held as { __ctxcTraced?: true }).__ctxcTraced) return false;
  const map = held as Map<string, Held> & { __ctxcTraced?: true };
  const get = map.get.bind(map);
  const has = map.has.bind(map);
  const set = map.set.bind(map);
  const del = map.delete.bind(map);
  const pending = new Map<string, Acquire[]>();
  const released = new Map<string, number>();
  /** `get` calls of the current synchronous run, classified once it ends. */
  let gets: { path: string; held: Held | undefined; count: unknown; t: number; deleted: boolean }[] = [];
  const classify = () => {
    const batch = gets;
    gets = [];
    for (const g of batch) {
      if (g.deleted) continue; // a release
      const countNow = g.held?.count;
      if (g.held !== undefined && typeof countNow === "number" && typeof g.count === "number" && countNow < g.count) continue; // a reentrant hold's release
      const entered = entries.shift(); // every acquire, reentrant or not, entered acquireSessionWriteLock
      if (g.held !== undefined && countNow !== g.count) continue; // a reentrant acquire: granted at once, no line
      const g0 = g.held ? grants.get(g.held) : undefined;
      const list = pending.get(g.path) ?? [];
      list.push({ t: g.t, asked: entered !== undefined && entered <= g.t ? g.t - entered : NaN, tries: 0, holder: g.held ? (g0?.site ?? "?") : "-", heldMs: g0 ? g.t - g0.t : NaN });
      pending.set(g.path, list);
    }
  };
  Object.defineProperty(map, "__ctxcTraced", { value: true });
  map.get = (path: string) => {
    const h = get(path);
    if (typeof path === "string") {
      if (gets.length === 0) queueMicrotask(classify);
      gets.push({ path, held: h, count: h?.count, t: traceNow(), deleted: false });
    }
    return h;
  };
  map.has = (path: string) => {
    const a = pending.get(path)?.[0];
    if (a) a.tries++;
    return has(path);
  };
  map.set = (path: string, value: Held) => {
    const now = traceNow();
    if (typeof path === "string" && value && typeof value === "object") {
      classify();
      const site = lockSite();
      grants.set(value, { t: now, site });
      const a = pending.get(path)?.shift() ?? { t: now, asked: NaN, tries: 0, holder: "-", heldMs: NaN };
      if (pending.get(path)?.length === 0) pending.delete(path);
      const rel = released.get(path);
      const lag = rel !== undefined && rel >= a.t ? now - rel : NaN;
      emitTrace(`lock grant file=${fileKey(path)} t=${a.t.toFixed(1)} wait=${ms(now - a.t)} tries=${a.tries} site=${site} holder=${a.holder} held=${ms(a.heldMs)} lag=${ms(lag)} asked=${ms(a.asked)}`);
    }
    set(path, value);
    return map;
  };
  map.delete = (path: string) => {
    const h = get(path);
    if (typeof path === "string" && h) {
      const now = traceNow();
      for (const g of gets) if (g.path === path) g.deleted = true;
      const g0 = grants.get(h);
      released.set(path, now);
      emitTrace(`lock release file=${fileKey(path)} t=${(g0?.t ?? NaN).toFixed(1)} hold=${ms(g0 ? now - g0.t : NaN)} site=${g0?.site ?? "?"} end=${lockSite()}`);
    }
    return del(path);
  };
  return true;
}

/**
 * Traces the session write lock from now on (call before OpenClaw loads; a manager already registered is
 * wrapped too). Leaves any other manager, and a registry or state of another shape, alone.
 */
export function traceSessionWriteLocks(): void {
  stampLockEntries();
  const g = globalThis as unknown as Record<symbol, unknown>;
  let registry = g[REGISTRY];
  if (registry === undefined) registry = g[REGISTRY] = new Map();
  if (!(registry instanceof Map)) return;
  const wrapState = (state: unknown) => void traceHeldMap((state as { held?: unknown } | null | undefined)?.held);
  wrapState(registry.get(SESSION_LOCK_MANAGER));
  const set = registry.set.bind(registry);
  registry.set = (key: unknown, state: unknown) => {
    if (key === SESSION_LOCK_MANAGER) wrapState(state);
    set(key, state);
    return registry as Map<unknown, unknown>;
  };
}
