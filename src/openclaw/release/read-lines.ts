/**
 * The lines of the entries ctxc decoded from a whole worker read, for a serialisation OpenClaw asks of
 * those very objects (issue #11: a session's first turn on 2026.7.35).
 *
 * 2026.7.35's `prepareSessionManagerForRun` rewrites the whole file on a session's first turn when the
 * stored header's id or cwd is not the run's (a transcript copied in, a workspace moved: every seeded
 * transcript on the day ctxc is installed) and serialises every entry for it
 * (`getSerializedFileLinesForRewrite`: `serializeJsonlLine` = `JSON.stringify` of each). The entries the
 * manager holds are ctxc's kept objects, which decode their members on first use (buffer-entries.ts
 * `frozenEntriesFromBuffer`), so that stringify decoded the whole file member by member: ~4× stock's
 * serialisation of its parsed objects (593 vs 135 ms at 28 MB, bench/openclaw-turns.ts --repair).
 *
 * Where the worker flagged a line canonical (`JSON.stringify(JSON.parse(line)) === line`, decided byte by
 * byte) and the release's normaliser leaves its parse as it is — `known`, as the open's exactness check uses
 * it (file-entries.ts `exactnessOf`) — the entry decoded from it, deep-frozen, stringifies to exactly the
 * line's text: that text is `serializeJsonlLine`'s answer for that object, without a walk of it.
 * Anything else (another object, a line not known, an index past the read) is serialised as stock does.
 *
 * Kept by the entries array of ctxc's entry cache (weakly: gone with it). Only reads whose entries decode
 * on use are remembered: those entries hold the read's buffer anyway, so this keeps no more bytes alive.
 */
import type { OpenClawSession } from "../session.js";
import { lineTextsOf, recordSpansOf } from "./file-entries.js";

interface ReadLines {
  known: Uint8Array;
  session: OpenClawSession;
}

const reads = new WeakMap<readonly unknown[], ReadLines>();

/** `entries` (a whole read's, record i at index i) were decoded from `session`; `known[i]`: line i is `JSON.stringify(entries[i])`. */
export function rememberReadLines(entries: readonly unknown[], session: OpenClawSession, known: Uint8Array): void {
  reads.set(entries, { known, session });
}

/** Lines `from` … end of a serialisation are the text of the read's records at the same indexes, to its last. */
export interface LinesRead {
  session: OpenClawSession;
  from: number;
}

/**
 * `entries.map(serialize)` — `serialize` being the release's `serializeJsonlLine` — with the line of each
 * `entries[i]` that is `kept[i]` (the entry cache's array) and known exact taken from the read instead of
 * serialised (see the file comment). `fromRead`: how many.
 */
export function serializedLines(
  entries: readonly unknown[],
  kept: readonly unknown[] | undefined,
  serialize: (entry: unknown, i: number, all: readonly unknown[]) => unknown,
): { lines: unknown[]; fromRead: number; read?: LinesRead } {
  const read = kept && reads.get(kept);
  // Called as stock's `entries.map(serializeJsonlLine)` calls it.
  if (!read) return { lines: entries.map(serialize), fromRead: 0 };
  const { known } = read;
  // Decodes lines on demand (one string for an ASCII file, each line a slice of it).
  const text = lineTextsOf(read.session, 0, known.length);
  let fromRead = 0;
  let from = 0; // every line from here on is the read's
  const lines = entries.map((e, i, all) => {
    if (i < known.length && known[i] === 1 && e === kept[i]) {
      fromRead++;
      return text(i);
    }
    from = i + 1;
    return serialize(e, i, all);
  });
  return { lines, fromRead, ...(entries.length === known.length && from < entries.length ? { read: { session: read.session, from } } : {}) };
}

/**
 * The bytes of a file: `head`, then each span of `bytes` (`spans[2k]` … `spans[2k+1]`) followed by a
 * newline (release/write-follower.ts `fileHoldsBytes` compares a file with them).
 */
export interface ExpectedFile {
  head: Uint8Array;
  bytes: Uint8Array;
  spans: Uint32Array;
}

/**
 * The bytes of a file holding exactly `lines` joined by newlines and newline-ended, when lines
 * `read.from` on are the read's records as {@link serializedLines} gave them; null when that cannot be
 * told this way. Why (release/write-follower.ts, the check that verifies OpenClaw's write): a file whose
 * bytes equal these decodes to exactly that text, so the check needs no decode of the file — UTF-8
 * decoding restarts at every newline byte (a sequence cut short there decodes to U+FFFD before it,
 * however it goes on), so the records' bytes (the read's lines), each followed by a newline, decode to their texts so joined;
 * and the lines before (the changed header) are encoded here, when they decode back (no lone surrogate).
 * Unequal bytes say nothing (two invalid sequences both decode to U+FFFD): the caller checks the text.
 */
export function fileBytesOfLines(lines: readonly unknown[], read: LinesRead): ExpectedFile | null {
  const head = lines.slice(0, read.from);
  if (!head.every((l) => typeof l === "string")) return null;
  const text = head.map((l) => `${l as string}\n`).join("");
  const bytes = Buffer.from(text, "utf8");
  if (bytes.toString("utf8") !== text) return null; // a lone surrogate would not come back
  return { head: bytes, ...recordSpansOf(read.session, read.from, lines.length) };
}
