/**
 * The compiler's active branch: pi's walk and `buildSessionContext` rules (pi/branch-walk.ts,
 * pi/session-context.ts) over the index records, which hold structure and byte ranges, not content.
 *
 * Between turns the branch usually just grows: the new leaf's parent chain reaches the previous leaf
 * after a few entries. Then the previous result is extended with those entries instead of walking the
 * whole path again, so a warm build's cost does not grow with the transcript. Anything else (a branch
 * switch, a new compaction, a duplicate id that may re-point an old parentId, a cycle or dangling
 * parent in the new part) falls back to the full walk.
 */
import { RoleCode, type Diagnostic, type MessageKindCode } from "../protocol/buffer-layout.js";
import type { DiagnosticLog } from "../protocol/diagnostic-log.js";
import { walkBranch } from "./branch-walk.js";
import { Emits, type EntryRecord } from "./entry-record.js";
import { applySettings, buildSessionContextFromPath, emittedKind, type Model, type PathEntryView } from "./session-context.js";
import type { TranscriptIndex } from "./transcript-index.js";
/** One message of the context, before its bytes are read. */
export interface ContextItem {
  record: EntryRecord;
  kind: MessageKindCode;
}

export interface ActiveBranch {
  /** The messages, in pi's order: compaction summary, kept entries, entries after the compaction. */
  items: ContextItem[];
  thinkingLevel: unknown;
  model: { provider: unknown; modelId: unknown } | null;
  leafId: unknown;
}

/** What a session keeps of its last resolution, to extend it next time. */
export interface BranchMemo {
  branch: ActiveBranch;
  /** The row of the leaf it was resolved from. */
  leaf: number;
  /** `index.count` at the time. */
  records: number;
  /** Diagnostics the full walk produced (replayed on every build that extends it). */
  diagnostics: Diagnostic[];
}

/**
 * How pi's rules read an index row: the settings and firstKeptEntryId are read from its body
 * (TranscriptIndex.extraOf), and whether an entry emits was decided at ingest (a `message` entry without
 * an object message does not: INVALID_ENTRY) — for a keys-only row (RecordFlag.keysOnly) only once
 * `complete` has read its body back, which happens here for just the rows pi's rules look at.
 */
function rowView(index: TranscriptIndex, complete: (r: EntryRecord) => void): PathEntryView<number> {
  const t = index.table;
  return {
    type: (r) => t.typeOf(r),
    id: (r) => index.idOf(r),
    isId: (r, value) => index.isId(r, value),
    thinkingLevel: (r) => index.extraOf(r),
    modelChange: (r) => index.extraOf(r) as Model,
    // Only an assistant message sets the model; its role is known from the keys.
    assistantModel: (r) => (t.emits[r] === Emits.message && t.role[r] === RoleCode.assistant ? (index.extraOf(r) as Model) : undefined),
    firstKeptEntryId: (r) => index.extraOf(r),
    hasMessage: (r) => t.emits[r] === Emits.message,
    hasSummary: (r) => (complete(index.record(r)), t.emits[r] === Emits.branchSummary),
  };
}

function emit(index: TranscriptIndex, r: number, items: ContextItem[], view: PathEntryView<number>): void {
  const kind = emittedKind(r, view);
  if (kind !== null) items.push({ record: index.record(r), kind });
}

/**
 * Tries to extend `memo` to the current leaf. Returns the new rows root→leaf order, or null when the
 * full walk is needed.
 */
function newEntriesSince(index: TranscriptIndex, memo: BranchMemo, leaf: number): number[] | null {
  if (index.lastDuplicateAt >= memo.records) return null; // an old parentId may now resolve elsewhere
  const added: number[] = [];
  let current: number | null | undefined = leaf;
  const limit = index.count - memo.records; // the new part has at most this many entries
  while (current !== memo.leaf) {
    if (current === null || current === undefined || added.length >= limit || index.table.emits[current] === Emits.compaction) return null;
    added.push(current);
    current = index.parentOf(current);
  }
  return added.reverse();
}

/**
 * @param complete reads a keys-only record's body back (TranscriptIndex.complete on the open transcript);
 *   called only for the records whose values decide the result
 */
export function resolveActiveBranch(
  index: TranscriptIndex,
  diagnostics: DiagnosticLog,
  memo: BranchMemo | undefined,
  complete: (r: EntryRecord) => void,
): { branch: ActiveBranch; memo: BranchMemo | undefined } {
  const view = rowView(index, complete);
  if (index.count === 0) return { branch: { items: [], thinkingLevel: "off", model: null, leafId: null }, memo: undefined };
  const leaf = index.count - 1;

  if (memo) {
    const added = leaf === memo.leaf ? [] : newEntriesSince(index, memo, leaf);
    if (added) {
      const branch = memo.branch; // extended in place: a session's builds never overlap
      for (const r of added) {
        applySettings(r, view, branch);
        emit(index, r, branch.items, view);
      }
      if (added.length > 0) branch.leafId = index.idOf(leaf) ?? null;
      for (const d of memo.diagnostics) diagnostics.add(d.code, d.line, d.offset, d.message);
      return { branch, memo: { branch, leaf, records: index.count, diagnostics: memo.diagnostics } };
    }
  }
  return fullWalk(index, diagnostics, leaf, view);
}

function fullWalk(index: TranscriptIndex, diagnostics: DiagnosticLog, leaf: number, view: PathEntryView<number>): { branch: ActiveBranch; memo: BranchMemo } {
  const t = index.table;
  const found: Diagnostic[] = [];
  const report = (code: Diagnostic["code"], r: number, message: string) => {
    found.push({ code, line: t.lineOf(r), offset: t.offsetOf(r), message });
    diagnostics.add(code, t.lineOf(r), t.offsetOf(r), message);
  };

  const walk = walkBranch(leaf, (r) => index.parentOf(r));
  if (walk.stop === "cycle") {
    report("CYCLE", walk.at!, `parentId chain loops back to this entry; the branch is cut here (pi would loop forever)`);
  } else if (walk.stop === "dangling") {
    report("DANGLING_PARENT", walk.at!, `parentId ${JSON.stringify(index.parentIdOf(walk.at!))} names no entry; the active branch starts here`);
  }

  const items: ContextItem[] = [];
  const context = buildSessionContextFromPath(walk.path, view, (r, kind) => items.push({ record: index.record(r), kind }));
  const branch: ActiveBranch = { items, thinkingLevel: context.thinkingLevel, model: context.model, leafId: index.idOf(leaf) ?? null };
  if (context.compaction !== null && !context.firstKeptFound) {
    report(
      "FIRST_KEPT_NOT_FOUND",
      context.compaction,
      `compaction's firstKeptEntryId ${JSON.stringify(index.extraOf(context.compaction))} is not on the branch before it; only its summary and later entries are in the context`,
    );
  }
  return { branch, memo: { branch, leaf, records: index.count, diagnostics: found } };
}
