/**
 * What a differential test compares of one OpenClaw SessionManager (2026.6.9+, its own class): everything
 * `setLoadedSessionFile`, `buildIndex` and the prompt-released merge leave on it, and what OpenClaw reads
 * through it — comparable across two managers on two files (stock's and the served one's). Used by the
 * loaded-index, restart-warmup, warmup-snapshot-hostile and prompt-released-mirror matrix tests.
 */
import type { Manager } from "../../bench/lib/openclaw-session-manager.js";

/**
 * Everything `setLoadedSessionFile` and `buildIndex` leave on a manager, comparable across the two files.
 * `newSession`: the file was deleted, so each side's header carries a random id of OpenClaw's own making.
 */
export function stateOf(sm: Manager, newSession = false): unknown {
  const files = sm.fileEntries as unknown[];
  const at = (v: unknown) => files.indexOf(v);
  const header = (e: unknown) => (newSession ? { ...(e as object), id: "(new)" } : e);
  return {
    keys: Object.keys(sm),
    sessionId: newSession ? "(new)" : sm.sessionId,
    flushed: sm.flushed,
    recoveredCorruptHeader: sm.recoveredCorruptHeader,
    fileEntries: files.map((e, i) => (i === 0 ? header(e) : e)),
    frozen: files.map((e) => Object.isFrozen(e)),
    opaqueFileEntries: sm.opaqueFileEntries,
    byId: [...sm.byId.keys()],
    byIdAt: [...sm.byId.values()].map(at),
    opaqueParentsById: [...(sm.opaqueParentsById ?? [])],
    logicalParentsById: [...(sm.logicalParentsById ?? [])],
    invalidLeafControlIds: [...(sm.invalidLeafControlIds ?? [])],
    labelsById: [...sm.labelsById],
    labelTimestampsById: [...(sm.labelTimestampsById ?? [])],
    leafId: sm.leafId,
    appendParentId: sm.appendParentId,
    promptReleasedSideBranchParentId: sm.promptReleasedSideBranchParentId,
    hasPrompt: Object.hasOwn(sm, "promptReleasedSideBranchParentId"),
    snapshotSize: sm.sessionFileSnapshot?.size,
    // What OpenClaw reads through the manager.
    entries: sm.getEntries(),
    leaf: sm.getLeafId(),
    branch: sm.getBranch(),
    context: sm.buildSessionContext(),
    header: header(sm.getHeader?.()),
  };
}
