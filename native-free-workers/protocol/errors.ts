/**
 * Every error ctxc throws comes from here, with a `code` a caller can switch on.
 *
 * Errors also cross the worker boundary. Structured clone keeps an Error's message but drops extra
 * properties such as `code`, so workers send {@link WireError} objects and the main thread turns them
 * back into {@link CtxcError}s with {@link Errors.fromWire}.
 */

/** The codes of {@link CtxcError}. Stable: new codes may be added, existing ones never change meaning. */
export type CtxcErrorCode =
  /** The transcript path does not exist. */
  | "TRANSCRIPT_NOT_FOUND"
  /** The transcript path is a directory, FIFO, socket or device, not a regular file. */
  | "TRANSCRIPT_NOT_A_FILE"
  /** The OS refused to open or read the transcript (permissions, symlink loop, I/O error). */
  | "TRANSCRIPT_UNREADABLE"
  /** The transcript was truncated or replaced while a build was reading it. */
  | "TRANSCRIPT_CHANGED"
  /** A transcript line exceeds `maxLineBytes` and the build was asked to fail on it (`lineTooLong: "fail"`). */
  | "LINE_TOO_LONG"
  /** An option passed to the API or the CLI is invalid. */
  | "INVALID_OPTION"
  /** A buffer given to `decodeContext` is not a ctxc context buffer, or is of an unknown layout version. */
  | "INVALID_BUFFER"
  /** `build()` was called after `close()`. */
  | "COMPILER_CLOSED"
  /** The build queue is full; retry later (backpressure). */
  | "QUEUE_FULL"
  /** The build was cancelled through its AbortSignal. */
  | "ABORTED"
  /** The build did not finish within `timeoutMs`. */
  | "TIMEOUT"
  /** The worker running the build crashed, exited or ran out of memory; the pool replaced it. */
  | "WORKER_FAILED"
  /** An unexpected failure inside a worker (a bug in ctxc: please report it). */
  | "INTERNAL"
  /** `ctxc/openclaw` openSession with `onInvalid: "error"`: the transcript is empty or has no valid session header. */
  | "INVALID_SESSION"
  /**
   * `cacheDir` is not private to the current user (a symlink, owned by someone else, writable by group or
   * others, or under such a parent; SECURITY.md) and the compiler was created with `cacheDirRequired`.
   * Without that option the index is not used and each build reports INDEX_IGNORED instead.
   */
  | "CACHE_DIR_REFUSED"
  /**
   * A SQLite session store (OpenClaw 2026.8+) was given, and this Node cannot read it: `node:sqlite`
   * needs Node >= 22.13 (unflagged), zstd-compressed rows need `zlib.zstdDecompressSync` (>= 22.15).
   * ctxc loads no native addon for it, so the remedy is a newer Node (the message says which).
   */
  | "SQLITE_UNAVAILABLE"
  /** The session store's schema is newer than this ctxc knows (`PRAGMA user_version` above the supported one). */
  | "STORE_SCHEMA_TOO_NEW"
  /** The file is a SQLite database but not an OpenClaw agent database: a table or column ctxc reads is missing. */
  | "STORE_TABLE_MISSING"
  /** The session store has no transcript for the given session (neither a session id nor a session key). */
  | "SESSION_NOT_FOUND";

/** An error as it travels from a worker to the main thread. */
export interface WireError {
  readonly ctxcError: true;
  readonly code: CtxcErrorCode;
  readonly message: string;
  readonly path?: string;
  readonly syscall?: string;
  readonly errno?: string;
}

/** The one error class of ctxc. */
export class CtxcError extends Error {
  override name = "CtxcError";
  /** What went wrong, machine-readable. */
  readonly code: CtxcErrorCode;
  /** The file involved, when there is one. */
  readonly path?: string;
  /** The OS error code (`ENOENT`, `EACCES`, …) behind an I/O failure. */
  readonly errno?: string;

  constructor(code: CtxcErrorCode, message: string, extra: { path?: string; errno?: string; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    if (extra.path !== undefined) this.path = extra.path;
    if (extra.errno !== undefined) this.errno = extra.errno;
  }

  toWire(): WireError {
    return { ctxcError: true, code: this.code, message: this.message, path: this.path, errno: this.errno };
  }
}

export function isWireError(value: unknown): value is WireError {
  return typeof value === "object" && value !== null && (value as WireError).ctxcError === true;
}

/** Factory for every error ctxc raises (one place, one wording). */
export const Errors = {
  transcriptNotFound: (path: string) =>
    new CtxcError("TRANSCRIPT_NOT_FOUND", `transcript not found: ${path}`, { path, errno: "ENOENT" }),
  transcriptNotAFile: (path: string, what: string) =>
    new CtxcError("TRANSCRIPT_NOT_A_FILE", `transcript is not a regular file (it is a ${what}): ${path}`, { path }),
  transcriptUnreadable: (path: string, cause: NodeJS.ErrnoException) =>
    new CtxcError("TRANSCRIPT_UNREADABLE", `cannot read transcript ${path}: ${describeErrno(cause)}`, {
      path,
      errno: cause.code,
      cause,
    }),
  transcriptChanged: (path: string, how: string) =>
    new CtxcError("TRANSCRIPT_CHANGED", `transcript changed while it was being read (${how}): ${path}`, { path }),
  /** The file lost bytes a build had already read (a short read back, or a stat below them). */
  transcriptShortened: (path: string) => Errors.transcriptChanged(path, "it became shorter than what was already read"),
  lineTooLong: (path: string, line: number, offset: number, length: number, max: number) =>
    new CtxcError("LINE_TOO_LONG", `line ${line} (byte ${offset}) of ${path} is ${length} bytes, above maxLineBytes ${max}`, { path }),
  invalidOption: (name: string, why: string) => new CtxcError("INVALID_OPTION", `invalid option ${name}: ${why}`),
  invalidBuffer: (why: string) => new CtxcError("INVALID_BUFFER", `not a ctxc context buffer: ${why}`),
  compilerClosed: () => new CtxcError("COMPILER_CLOSED", "the compiler is closed"),
  queueFull: (limit: number) =>
    new CtxcError("QUEUE_FULL", `build queue is full (${limit} waiting); retry later`),
  aborted: (reason?: unknown) =>
    new CtxcError("ABORTED", `build aborted${reason instanceof Error ? `: ${reason.message}` : ""}`, { cause: reason }),
  timeout: (ms: number) => new CtxcError("TIMEOUT", `build did not finish within ${ms} ms`),
  workerFailed: (cause: unknown) =>
    new CtxcError("WORKER_FAILED", `worker failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }),
  invalidSession: (path: string, why: string) =>
    new CtxcError("INVALID_SESSION", `not a usable session transcript (${why}): ${path}`, { path }),
  cacheDirRefused: (path: string, why: string) =>
    new CtxcError("CACHE_DIR_REFUSED", `cacheDir ${path} ${why}; refused (the index is required)`, { path }),
  sqliteUnavailable: (what: string, needs: string) =>
    new CtxcError("SQLITE_UNAVAILABLE", `${what} needs Node ${needs}; this is Node ${process.versions.node}`),
  storeSchemaTooNew: (path: string, version: number, supported: number) =>
    new CtxcError("STORE_SCHEMA_TOO_NEW", `session store schema version ${version} is newer than the newest ctxc reads (${supported}): ${path}`, { path }),
  storeTableMissing: (path: string, what: string) =>
    new CtxcError("STORE_TABLE_MISSING", `not an OpenClaw agent database (${what} is missing): ${path}`, { path }),
  sessionNotFound: (path: string, session: string) =>
    new CtxcError("SESSION_NOT_FOUND", `no transcript for session ${JSON.stringify(session)} in ${path}`, { path }),
  /** A SQLite failure opening or reading a store (not a database, corrupt, locked, I/O). */
  storeUnreadable: (path: string, cause: unknown) =>
    new CtxcError("TRANSCRIPT_UNREADABLE", `cannot read session store ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { path, cause }),
  internal: (cause: unknown) =>
    new CtxcError("INTERNAL", `internal error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }),

  /** Turns an I/O error from opening or reading a transcript into the matching coded error. */
  fromTranscriptIo(path: string, err: NodeJS.ErrnoException): CtxcError {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return Errors.transcriptNotFound(path);
    if (err.code === "EISDIR") return Errors.transcriptNotAFile(path, "directory");
    return Errors.transcriptUnreadable(path, err);
  },

  /** Rebuilds a coded error that crossed the worker boundary. */
  fromWire(wire: WireError): CtxcError {
    return new CtxcError(wire.code, wire.message, { path: wire.path, errno: wire.errno });
  },
};

function describeErrno(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "too many levels of symbolic links";
    case "EIO":
      return "I/O error";
    default:
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}
