/**
 * Resolves the active branch and what it contributes to the context, with pi's semantics and without
 * pi's costs: pi builds the path with `Array.unshift` (O(n²) in path length) and loops forever on a
 * parentId cycle. Here the walk pushes and reverses once (O(n)), and a visited mark stops cycles.
 *
 * Between turns the branch usually just grows: the new leaf's parent chain reaches the previous leaf
 * after a few entries. Then the previous result is extended with those entries instead of walking the
 * whole path again, so a warm build's cost does not grow with the transcript. Anything else (a branch
 * switch, a new compaction, a duplicate id that may re-point an old parentId, a cycle or dangling
 * parent in the new part) falls back to the full walk.
 */
import { MessageKind, type Diagnostic, type MessageKindCode } from "../protocol/buffer-layout.js";
import type { DiagnosticLog } from "./diagnostics.js";
import { Emits, type EntryRecord } from "./entry-record.js";
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

const KIND_OF: Record<number, MessageKindCode> = {
  [Emits.message]: MessageKind.entry,
  [Emits.customMessage]: MessageKind.customMessage,
  [Emits.branchSummary]: MessageKind.branchSummary,
};

type Model = ActiveBranch["model"];

/** Applies pi's per-entry settings rules (last one on the path wins). */
function applySettings(entry: EntryRecord, branch: { thinkingLevel: unknown; model: Model }): void {
  if (entry.type === "thinking_level_change") branch.thinkingLevel = entry.extra;
  else if (entry.type === "model_change") branch.model = entry.extra as Model;
  else if (entry.emits === Emits.message && entry.extra !== undefined) branch.model = entry.extra as Model;
}

function emit(entry: EntryRecord, items: ContextItem[]): void {
  const kind = KIND_OF[entry.emits];
  if (kind !== undefined) items.push({ record: entry, kind });
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
        applySettings(entry, branch);
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

  const path: EntryRecord[] = [];
  const onPath = new Set<EntryRecord>();
  let current: EntryRecord | undefined = leaf;
  while (current) {
    if (onPath.has(current)) {
      report("CYCLE", current, `parentId chain loops back to this entry; the branch is cut here (pi would loop forever)`);
      break;
    }
    onPath.add(current);
    path.push(current);
    const parentId: unknown = current.parentId;
    if (!parentId) break;
    const parentIndex = index.byId.get(parentId);
    if (parentIndex === undefined) {
      report("DANGLING_PARENT", current, `parentId ${JSON.stringify(parentId)} names no entry; the active branch starts here`);
      break;
    }
    current = index.records[parentIndex];
  }
  path.reverse();

  const branch: ActiveBranch = { items: [], thinkingLevel: "off", model: null, leafId: leaf.id ?? null };
  let compactionAt = -1;
  for (let i = 0; i < path.length; i++) {
    applySettings(path[i]!, branch);
    if (path[i]!.emits === Emits.compaction) compactionAt = i;
  }

  if (compactionAt >= 0) {
    const compaction = path[compactionAt]!;
    branch.items.push({ record: compaction, kind: MessageKind.compactionSummary });
    const firstKept = compaction.extra;
    let kept = false;
    for (let i = 0; i < compactionAt; i++) {
      if (!kept && path[i]!.id === firstKept) kept = true;
      if (kept) emit(path[i]!, branch.items);
    }
    if (!kept) {
      report(
        "FIRST_KEPT_NOT_FOUND",
        compaction,
        `compaction's firstKeptEntryId ${JSON.stringify(firstKept)} is not on the branch before it; only its summary and later entries are in the context`,
      );
    }
    for (let i = compactionAt + 1; i < path.length; i++) emit(path[i]!, branch.items);
  } else {
    for (const entry of path) emit(entry, branch.items);
  }
  return { branch, memo: { branch, leaf, records: index.records.length, diagnostics: found } };
}
