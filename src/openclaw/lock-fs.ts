/**
 * The session write lock's own fs reads, answered without fs hops, every JSONL-era release:
 * - its path resolution: OpenClaw's `resolveNormalizedSessionFile(sessionFile)` (a realpath of the transcript's
 *   folder), the `mkdir -p` of that folder inside `acquireSessionWriteLock`, and fs-safe's
 *   `resolveNormalizedTargetPath(targetPath)` (the lock manager's `mkdir -p` of the target's folder, then its
 *   realpath);
 * - fs-safe's `readLockSnapshot(lockPath)` (an `lstat` and a read of the small lock file): on every release
 *   before the lock file is removed, and on every contended attempt;
 * - the `fstat` of the lock file fs-safe's `acquire` has just created and written (`handle.stat()`), which it
 *   keeps to recognise its own file at release;
 * - and, since 2026-12-06 night, the lock file itself: `acquire`'s `fs.open(lockPath, "wx")` and its payload's
 *   `handle.writeFile(raw, "utf8")` — two fs hops before the lock is held — made synchronously
 *   ({@link LockFileHandle}).
 *
 * Why (issue #11): on a later turn, 2026.7.35's session-resource-loader stage spends most of its wall in
 * `acquireSessionWriteLock`: four awaits before the lock file (the two realpaths and two `mkdir -p`s above),
 * then, about one acquire in three, a lock file still there from the session's previous hold —
 * released from the manager's map first, its file removed after a `close`, this snapshot (an `lstat` and a
 * `readFile`: open, stat, read, close) and an `rm` — and so a contended attempt (another snapshot, a 50 ms
 * sleep, again). Each of those is an `fs.promises` call whose callback then waits its turn behind everything
 * else on the gateway's busy main thread (docs/openclaw.md §5, "The session lock's fs reads"). A local
 * `realpathSync`, `statSync` or read of a lock file costs microseconds and no such wait.
 *
 * What is equivalent, and what is left to OpenClaw:
 * - Each answer is the same call's (`realpathSync.native` and `fs.promises.realpath` are libuv's realpath(3);
 *   `lstatSync` / `readFileSync(…, "utf8")` as `fs.promises.lstat` / `readFile`) made at the call instead of a
 *   moment later — a schedule stock's own could have had; failures as the functions' own `catch` turns them.
 * - `mkdir(dir, {recursive: true})` of a folder that exists is a no-op that resolves to undefined (mkdir sees
 *   EEXIST, then finds a directory), so for a folder `statSync` finds a directory both are skipped. A folder
 *   to create — or anything else at that path — goes to OpenClaw's own call: ctxc makes no folder.
 * - The lock file is fs-safe's own write, made as it makes it: `openSync(lockPath, "wx")` is the same open(2)
 *   (O_CREAT | O_EXCL | O_TRUNC | O_WRONLY, mode 0o666 less the umask) that `fs.promises.open(lockPath, "wx")`
 *   makes — an existing path (a file, a folder, a link, dangling or not) fails with EEXIST either way, so it
 *   never opens, let alone blocks on, anything but the new file — and the payload goes to that descriptor
 *   whole, from offset 0, as `FileHandle.writeFile` writes it. Only the moment differs: at the call, not a
 *   hop later, so the file is there and complete sooner for another process that looks. What fs-safe does with
 *   the handle — write the payload, fstat it, close it (at release, on a failed attempt, at exit) — is pinned
 *   by the manager's shape and `releaseHeldLock`'s and `releaseAllLocksSync`'s (shapes.ts CALL_SITES `usedBy`);
 *   test/matrix/lock-fs.test.ts drives the release's manager served and stock, byte for byte.
 * - An argument the fs calls refuse throws inside the async handler: a rejection, as stock's.
 * - A lock path that is not a regular file (a folder, a FIFO, a device) is read by the release's own async
 *   function: a synchronous read of a FIFO would block the main thread until a writer came.
 * The bodies are pinned by their shapes (release/shapes.ts, the inline `mkdir` by its function's: CALL_SITES);
 * test/matrix/lock-fs.test.ts runs the release's own functions beside these on the cases above, and the
 * release's lock through the served chunk.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, realpathSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { settledAtCall, type Handler, type PreloadDeps } from "./preload-deps.js";
import { lockFileClosed, lockFileOpened } from "./turn-end-prefetch.js";

/** `dir/name` with `dir`'s realpath, or `resolved` itself when the realpath fails (both bodies' `try`). */
function underRealFolder(resolved: string): string {
  try {
    return join(realpathSync.native(dirname(resolved)), basename(resolved));
  } catch {
    return resolved;
  }
}

/** Whether `dir` is a directory now (following links, as mkdir's EEXIST check does); any error: no. */
function isDirectory(dir: string): boolean {
  try {
    return statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
}

/** What {@link lockSnapshot} returns for a path whose file is not a regular one: read by the release's own async function. */
const NOT_A_FILE = Symbol("not a regular file");

/**
 * fs-safe's lock-file snapshot: the file's lstat, its text, and the text's JSON object (else null) — or
 * {@link NOT_A_FILE}: a synchronous read of a FIFO would block the gateway's main thread until a writer came
 * (stock's async read waits on libuv's pool instead), so the file is opened non-blocking and read only when
 * its descriptor is a regular file's.
 */
function lockSnapshot(lockPath: unknown): { raw: string; payload: object | null; stat: unknown } | typeof NOT_A_FILE {
  const stat = lstatSync(lockPath as string);
  const fd = openSync(lockPath as string, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  let raw: string;
  try {
    if (!fstatSync(fd).isFile()) return NOT_A_FILE;
    raw = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { raw, payload: null, stat };
  }
  return { raw, payload: parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : null, stat };
}

/**
 * A `readLockSnapshot` handler: the snapshot read here, a failure `isNoSnapshot` accepts answered as none (null),
 * any other thrown (the release variants differ only in that rule); a path that is not a regular file goes to
 * the release's own async read.
 */
function snapshotHandler(deps: PreloadDeps, isNoSnapshot: (err: unknown) => boolean): Handler {
  return async (original, args) => {
    let snapshot;
    try {
      snapshot = lockSnapshot(args[0]);
    } catch (err) {
      if (isNoSnapshot(err)) return null;
      throw err;
    }
    if (snapshot === NOT_A_FILE) return original(...args);
    deps.counters.lockSnapshotsServed++;
    return snapshot;
  };
}

/** The rejection a FileHandle gives once closed (its descriptor is gone): EBADF, as Node's own. */
function closedHandle(syscall: string): Promise<never> {
  return Promise.reject(Object.assign(new Error(`EBADF: bad file descriptor, ${syscall}`), { errno: -9, code: "EBADF", syscall }));
}

/**
 * The lock file's handle as fs-safe's manager uses a FileHandle — `writeFile(text, encoding)`, `stat()`,
 * `close()`, each a promise — over a descriptor opened synchronously, each call made synchronously (see the
 * file comment). `close` gives the descriptor up first, so a second close resolves without closing a number
 * the OS may have handed to another file since; a closed handle's calls reject with EBADF, as a FileHandle's.
 */
export class LockFileHandle {
  /** `lockPath`: told to turn-end-prefetch.ts when the file is opened and closed (the next turn's reads wait for the close). */
  constructor(
    public fd: number,
    lockPath?: string,
  ) {
    this.#lockPath = lockPath;
    if (lockPath !== undefined) lockFileOpened(lockPath);
  }
  readonly #lockPath: string | undefined;
  writeFile(data: string | Uint8Array, encoding?: BufferEncoding | { encoding?: BufferEncoding }): Promise<void> {
    if (this.fd < 0) return closedHandle("write");
    const fd = this.fd;
    return settledAtCall(() => {
      const enc = typeof encoding === "string" ? encoding : (encoding?.encoding ?? "utf8");
      const bytes = typeof data === "string" ? Buffer.from(data, enc) : data;
      // write(2) may take fewer bytes than asked (FileHandle.writeFile loops the same way).
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    });
  }
  stat(): Promise<ReturnType<typeof fstatSync>> {
    if (this.fd < 0) return closedHandle("fstat");
    const fd = this.fd;
    return settledAtCall(() => fstatSync(fd));
  }
  close(): Promise<void> {
    if (this.fd < 0) return Promise.resolve();
    const fd = this.fd;
    this.fd = -1;
    const closed = settledAtCall(() => closeSync(fd));
    if (this.#lockPath !== undefined) lockFileClosed(this.#lockPath);
    return closed;
  }
}

/** The handlers (preload-runtime.ts `handlers`). */
export function lockFsHandlers(deps: PreloadDeps): Record<string, Handler> {
  return {
    resolveNormalizedSessionFile: async (_original, args) => {
      const resolved = resolve(args[0] as string);
      deps.counters.lockPathsServed++;
      return underRealFolder(resolved);
    },
    resolveNormalizedTargetPath: async (original, args) => {
      const resolved = resolve(args[0] as string);
      if (!isDirectory(dirname(resolved))) return original(...args);
      deps.counters.lockPathsServed++;
      return underRealFolder(resolved);
    },
    // The lock's own `await fs.mkdir(sessionDir, { recursive: true })` (a call site in acquireSessionWriteLock,
    // shapes.ts CALL_SITES): `original` runs that call. Where the folder exists it would resolve to undefined.
    mkdirUnlessFolder: (original, args) => {
      if (typeof args[0] !== "string" || !isDirectory(args[0])) return original();
      deps.counters.lockPathsServed++;
      return undefined;
    },
    // fs-safe's `stat: await handle.stat()` on the lock file it just created and wrote (a call site in its lock
    // manager, shapes.ts CALL_SITES): `original` runs that call. FileHandle's `stat()` is an fstat of its
    // descriptor, the Stats built as `fstatSync` builds them; a handle without a descriptor (closed: fd -1, or
    // not a FileHandle) is left to its own `stat()`, whose rejection is the caller's. An fstat that fails
    // throws inside the caller's `await` — its `catch` takes it as it takes the rejection.
    statOfLockHandle: (original, args) => {
      const fd = (args[0] as { fd?: unknown } | null | undefined)?.fd;
      if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) return original();
      const stat = fstatSync(fd);
      deps.counters.lockStatsServed++;
      return stat;
    },
    // fs-safe's `handle = await fs.open(lockPath, "wx")` (a call site in its lock manager, shapes.ts CALL_SITES):
    // `original` runs that call. The open made here (the same flags and mode), its failure — EEXIST above all,
    // fs-safe's signal to wait and retry — the rejection its `catch` takes, as stock's.
    openLockFile: (original, args) => {
      if (typeof args[0] !== "string") return original();
      const lockPath = args[0];
      return settledAtCall(() => {
        const handle = new LockFileHandle(openSync(lockPath, "wx"), lockPath);
        deps.counters.lockFilesServed++;
        return handle;
      });
    },
    // 2026.5.20+: a missing file is no snapshot; any other failure is the caller's.
    readLockSnapshot: snapshotHandler(deps, (err) => (err as NodeJS.ErrnoException).code === "ENOENT"),
    // 2026.5.12–5.19: any failure is no snapshot.
    readLockSnapshotAnyFailureNull: snapshotHandler(deps, () => true),
  };
}
