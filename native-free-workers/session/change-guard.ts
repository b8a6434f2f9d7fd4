/**
 * Notices a transcript changing under a build that is in progress.
 *
 * A build runs in slices and holds the file open across them, so between two slices (or between reading
 * the lines and reading back the message ranges) another process may append to the file, which is fine,
 * or truncate it or rewrite it in place, which would make the build mix old and new bytes. A rename
 * over the path or a delete is harmless: the open fd keeps the old inode, so the build is of the old
 * version, whole.
 *
 * Why fstat first: it is one cheap call per chunk; only when size or times moved do we re-read the
 * session's check bytes (first and last 4 KB of what was consumed, see SessionState.verify). A change
 * that keeps both the size and those bytes is not detected, the same limit warm builds have.
 */
import { fstatSync, type Stats } from "node:fs";
import { Errors } from "../protocol/errors.js";
import type { SessionState } from "./session-state.js";

export class ChangeGuard {
  private size: number;
  private mtimeMs: number;
  private ctimeMs: number;

  constructor(
    private readonly fd: number,
    private readonly path: string,
    stats: Stats,
  ) {
    this.size = stats.size;
    this.mtimeMs = stats.mtimeMs;
    this.ctimeMs = stats.ctimeMs;
  }

  /**
   * Throws TRANSCRIPT_CHANGED when the file is no longer `state`'s bytes grown by appends, or when it
   * became shorter than `readTo` (bytes this build already read, a torn tail included).
   */
  check(state: SessionState, readTo: number): void {
    const now = fstatSync(this.fd);
    if (now.size === this.size && now.mtimeMs === this.mtimeMs && now.ctimeMs === this.ctimeMs) return;
    this.size = now.size;
    this.mtimeMs = now.mtimeMs;
    this.ctimeMs = now.ctimeMs;
    if (now.size < readTo) throw Errors.transcriptShortened(this.path);
    const reason = state.verify(this.fd, now);
    if (reason !== null) throw Errors.transcriptChanged(this.path, `it was ${reason}`);
  }
}
