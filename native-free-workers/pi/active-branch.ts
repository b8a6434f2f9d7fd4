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
import { type Diagnostic, type MessageKindCode } from "../protocol/buffer-layout.js";
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
  /** The leaf it was resolved from. */
  leaf: EntryRecord;
  /** `index.records.length` at the time. */
  records: number;
  /** Diagnostics the full walk produced (replayed on every build that extends it). */
  diagnostics: Diagnostic[];
}

/**
 * How pi's rules read an index record: the settings and firstKeptEntryId were kept in `extra` at ingest,
 * and whether an entry emits was decided there too (a `message` entry without an object message does not:
 * INVALID_ENTRY).
 */
const RECORD_VIEW: PathEntryView<EntryRecord> = {
  type: (r) => r.type,
  id: (r) => r.id,
  thinkingLevel: (r) => r.extra,
  modelChange: (r) => r.extra as Model,
  assistantModel: (r) => (r.emits === Emits.message && r.extra !== undefined ? (r.extra as Model) : undefined),
  firstKeptEntryId: (r) => r.extra,
  hasMessage: (r) => r.emits === Emits.message,
  hasSummary: (r) => r.emits === Emits.branchSummary,
};

function emit(entry: EntryRecord, items: ContextItem[]): void {
  const kind = emittedKind(entry, RECORD_VIEW);
  if (kind !== null) items.push({ record: entry, kind });
}

/**
 * Tries to extend `memo` to the current leaf. Returns the new entries root→leaf order, or null when the
 * full walk is needed.
 */
function newEntriesSince(index: TranscriptIndex, memo: BranchMemo, leaf: EntryRecord): EntryRecord[] | null {
  if (index.lastDuplicateAt >= memo.records) return null; // an old parentId may now resolve elsewhere
  const added: EntryRecord[] = [];
  let current: EntryRecord | undefined = leaf;
  const limit = index.records.length - memo.records; // the new part has at most this many entries
  while (current !== memo.leaf) {
    if (!current || added.length >= limit || current.emits === Emits.compaction) return null;
    added.push(current);
    const parentId: unknown = current.parentId;
    if (!parentId) return null;
    const parentIndex = index.byId.get(parentId);
    if (parentIndex === undefined) return null;
    current = index.records[parentIndex];
  }
  return added.reverse();
}

export function resolveActiveBranch(index: TranscriptIndex, diagnostics: DiagnosticLog, memo?: BranchMemo): { branch: ActiveBranch; memo: BranchMemo | undefined } {
  const leaf = index.leaf;
  if (!leaf) return { branch: { items: [], thinkingLevel: "off", model: null, leafId: null }, memo: undefined };

  if (memo) {
    const added = leaf === memo.leaf ? [] : newEntriesSince(index, memo, leaf);
    if (added) {
      const branch = memo.branch; // extended in place: a session's builds never overlap
      for (const entry of added) {
        applySettings(entry, RECORD_VIEW, branch);
        emit(entry, branch.items);
      }
      branch.leafId = leaf.id ?? null;
      for (const d of memo.diagnostics) diagnostics.add(d.code, d.line, d.offset, d.message);
      return { branch, memo: { branch, leaf, records: index.records.length, diagnostics: memo.diagnostics } };
    }
  }
  return fullWalk(index, diagnostics, leaf);
}

function fullWalk(index: TranscriptIndex, diagnostics: DiagnosticLog, leaf: EntryRecord): { branch: ActiveBranch; memo: BranchMemo } {
  const found: Diagnostic[] = [];
  const report = (code: Diagnostic["code"], entry: EntryRecord, message: string) => {
    found.push({ code, line: entry.line, offset: entry.offset, message });
    diagnostics.add(code, entry.line, entry.offset, message);
  };

  const walk = walkBranch(leaf, (r) => {
    if (!r.parentId) return null;
    const parentIndex = index.byId.get(r.parentId);
    return parentIndex === undefined ? undefined : index.records[parentIndex]!;
  });
  if (walk.stop === "cycle") {
    report("CYCLE", walk.at!, `parentId chain loops back to this entry; the branch is cut here (pi would loop forever)`);
  } else if (walk.stop === "dangling") {
    report("DANGLING_PARENT", walk.at!, `parentId ${JSON.stringify(walk.at!.parentId)} names no entry; the active branch starts here`);
  }

  const items: ContextItem[] = [];
  const context = buildSessionContextFromPath(walk.path, RECORD_VIEW, (record, kind) => items.push({ record, kind }));
  const branch: ActiveBranch = { items, thinkingLevel: context.thinkingLevel, model: context.model, leafId: leaf.id ?? null };
  if (context.compaction && !context.firstKeptFound) {
    report(
      "FIRST_KEPT_NOT_FOUND",
      context.compaction,
      `compaction's firstKeptEntryId ${JSON.stringify(context.compaction.extra)} is not on the branch before it; only its summary and later entries are in the context`,
    );
  }
  return { branch, memo: { branch, leaf, records: index.records.length, diagnostics: found } };
}
