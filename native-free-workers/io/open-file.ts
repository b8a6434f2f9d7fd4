/**
 * The one way a worker opens a transcript: read-only and O_NONBLOCK, then `fstat` on the open fd. Without
 * O_NONBLOCK, opening a FIFO blocks until a writer shows up (forever, for a pipe nobody writes to); with
 * it the open returns and the FIFO is refused as not a regular file. Every reader (the compiler, the
 * OpenClaw session read, the sync `openSession`) goes through here, so none of them can hang on one.
 */
import { closeSync, constants, fstatSync, openSync, type Stats } from "node:fs";
import { Errors } from "../protocol/errors.js";

export interface OpenedFile {
  fd: number;
  stats: Stats;
}

/** What a non-regular file is, for the TRANSCRIPT_NOT_A_FILE message. */
function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return "directory";
  if (stats.isFIFO()) return "FIFO";
  if (stats.isSocket()) return "socket";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "device";
  return "special file";
}

/**
 * Opens `path` (absolute) for reading. Throws the coded error for an I/O failure or a file that is not
 * regular (TRANSCRIPT_NOT_FOUND, TRANSCRIPT_NOT_A_FILE, TRANSCRIPT_UNREADABLE). With `missing: "null"`, a
 * path that does not exist (ENOENT) returns null instead: pi treats a missing session file as a new session.
 */
export function openTranscript(path: string): OpenedFile;
export function openTranscript(path: string, options: { missing: "null" }): OpenedFile | null;
export function openTranscript(path: string, options?: { missing: "null" }): OpenedFile | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (options?.missing === "null" && e.code === "ENOENT") return null;
    throw Errors.fromTranscriptIo(path, e);
  }
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    throw Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException);
  }
  if (!stats.isFile()) {
    closeSync(fd);
    throw Errors.transcriptNotAFile(path, fileKind(stats));
  }
  return { fd, stats };
}
