/**
 * Resolves the active branch and what it contributes to the context, with pi's semantics and without
 * pi's costs: pi builds the path with `Array.unshift` (O(n²) in path length) and loops forever on a
 * parentId cycle. Here the walk pushes and reverses once (O(n)), and a visited mark stops cycles.
 */
import { MessageKind, type MessageKindCode } from "../../src/buffer-layout.js";
import type { DiagnosticLog } from "./diagnostics.js";
import { Emits, type EntryRecord } from "./entry-record.js";
import type { TranscriptIndex } from "./transcript-index.js";

/** One message of the context, before its bytes are read. */
export interface ContextItem {
  record: EntryRecord;
  kind: MessageKindCode;
}

export interface ActiveBranch {
  /** Root → leaf. */
  path: EntryRecord[];
  /** The messages, in pi's order: compaction summary, kept entries, entries after the compaction. */
  items: ContextItem[];
  thinkingLevel: unknown;
  model: { provider: unknown; modelId: unknown } | null;
  leafId: unknown;
}

const KIND_OF: Record<number, MessageKindCode> = {
  [Emits.message]: MessageKind.entry,
  [Emits.customMessage]: MessageKind.customMessage,
  [Emits.branchSummary]: MessageKind.branchSummary,
};

export function resolveActiveBranch(index: TranscriptIndex, diagnostics: DiagnosticLog): ActiveBranch {
  const leaf = index.leaf;
  if (!leaf) return { path: [], items: [], thinkingLevel: "off", model: null, leafId: null };

  const path: EntryRecord[] = [];
  const onPath = new Set<EntryRecord>();
  let current: EntryRecord | undefined = leaf;
  while (current) {
    if (onPath.has(current)) {
      diagnostics.add(
        "CYCLE",
        current.line,
        current.offset,
        `parentId chain loops back to this entry; the branch is cut here (pi would loop forever)`,
      );
      break;
    }
    onPath.add(current);
    path.push(current);
    const parentId: unknown = current.parentId;
    if (!parentId) break;
    const parentIndex = index.byId.get(parentId);
    if (parentIndex === undefined) {
      diagnostics.add(
        "DANGLING_PARENT",
        current.line,
        current.offset,
        `parentId ${JSON.stringify(parentId)} names no entry; the active branch starts here`,
      );
      break;
    }
    current = index.records[parentIndex];
  }
  path.reverse();

  let thinkingLevel: unknown = "off";
  let model: ActiveBranch["model"] = null;
  let compactionAt = -1;
  for (let i = 0; i < path.length; i++) {
    const entry = path[i]!;
    if (entry.type === "thinking_level_change") thinkingLevel = entry.extra;
    else if (entry.type === "model_change") model = entry.extra as ActiveBranch["model"];
    else if (entry.emits === Emits.message && entry.extra !== undefined) model = entry.extra as ActiveBranch["model"];
    else if (entry.emits === Emits.compaction) compactionAt = i;
  }

  const items: ContextItem[] = [];
  const emit = (entry: EntryRecord) => {
    const kind = KIND_OF[entry.emits];
    if (kind !== undefined) items.push({ record: entry, kind });
  };
  if (compactionAt >= 0) {
    const compaction = path[compactionAt]!;
    items.push({ record: compaction, kind: MessageKind.compactionSummary });
    const firstKept = compaction.extra;
    let kept = false;
    for (let i = 0; i < compactionAt; i++) {
      if (!kept && path[i]!.id === firstKept) kept = true;
      if (kept) emit(path[i]!);
    }
    if (!kept) {
      diagnostics.add(
        "FIRST_KEPT_NOT_FOUND",
        compaction.line,
        compaction.offset,
        `compaction's firstKeptEntryId ${JSON.stringify(firstKept)} is not on the branch before it; only its summary and later entries are in the context`,
      );
    }
    for (let i = compactionAt + 1; i < path.length; i++) emit(path[i]!);
  } else {
    for (const entry of path) emit(entry);
  }
  return { path, items, thinkingLevel, model, leafId: leaf.id ?? null };
}
