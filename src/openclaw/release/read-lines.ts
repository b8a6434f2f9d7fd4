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
import { lineTextsOf } from "./file-entries.js";

interface ReadLines {
  known: Uint8Array;
  session: OpenClawSession;
}

const reads = new WeakMap<readonly unknown[], ReadLines>();

/** `entries` (a whole read's, record i at index i) were decoded from `session`; `known[i]`: line i is `JSON.stringify(entries[i])`. */
export function rememberReadLines(entries: readonly unknown[], session: OpenClawSession, known: Uint8Array): void {
  reads.set(entries, { known, session });
}

/**
 * `entries.map(serialize)` — `serialize` being the release's `serializeJsonlLine` — with the line of each
 * `entries[i]` that is `kept[i]` (the entry cache's array) and known exact taken from the read instead of
 * serialised (see the file comment). `fromRead`: how many.
 */
export function serializedLines(entries: readonly unknown[], kept: readonly unknown[] | undefined, serialize: (entry: unknown, i: number, all: readonly unknown[]) => unknown): { lines: unknown[]; fromRead: number } {
  const read = kept && reads.get(kept);
  // Called as stock's `entries.map(serializeJsonlLine)` calls it.
  if (!read) return { lines: entries.map(serialize), fromRead: 0 };
  const { known } = read;
  // Decodes lines on demand (one string for an ASCII file, each line a slice of it).
  const text = lineTextsOf(read.session, 0, known.length);
  let fromRead = 0;
  const lines = entries.map((e, i, all) => {
    if (i < known.length && known[i] === 1 && e === kept[i]) {
      fromRead++;
      return text(i);
    }
    return serialize(e, i, all);
  });
  return { lines, fromRead };
}
