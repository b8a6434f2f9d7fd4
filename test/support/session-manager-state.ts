/**
 * The state a 2026.6.9+ SessionManager holds after an open or a write, as data comparable across two
 * copies of a transcript (stock and served): test/matrix/restart-warmup.test.ts and
 * test/matrix/warmup-snapshot-hostile.test.ts compare it after every step.
 */
import type { Manager } from "../../bench/lib/openclaw-session-manager.js";

/** What `setLoadedSessionFile` leaves on a manager and what OpenClaw reads through it, comparable across the two files. */
export function stateOf(sm: Manager, newSession = false): unknown {
  const files = sm.fileEntries as unknown[];
  // A new session (the file was deleted) gets a random id of OpenClaw's own making on each side.
  const header = (e: unknown) => (newSession ? { ...(e as object), id: "(new)" } : e);
  return {
    keys: Object.keys(sm),
    sessionId: newSession ? "(new)" : sm.sessionId,
    flushed: sm.flushed,
    fileEntries: files.map((e, i) => (i === 0 ? header(e) : e)),
    frozen: files.map((e) => Object.isFrozen(e)),
    opaqueFileEntries: sm.opaqueFileEntries,
    byId: [...sm.byId.keys()],
    byIdAt: [...sm.byId.values()].map((v) => files.indexOf(v)),
    logicalParentsById: [...(sm.logicalParentsById ?? [])],
    labelsById: [...sm.labelsById],
    leafId: sm.leafId,
    appendParentId: sm.appendParentId,
    snapshotSize: sm.sessionFileSnapshot?.size,
    entries: sm.getEntries(),
    branch: sm.getBranch(),
    context: sm.buildSessionContext(),
    header: header(sm.getHeader?.()),
  };
}
