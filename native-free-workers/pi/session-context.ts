/**
 * pi's `buildSessionContext` over a resolved branch path, the one copy of its rules:
 *
 * - settings: the last `thinking_level_change` sets the thinking level ("off" by default); the last
 *   `model_change` or assistant message sets the model;
 * - with a compaction on the path (the latest one counts): its summary first, then the entries from its
 *   `firstKeptEntryId` up to it, then every entry after it; without one, every entry on the path;
 * - what an entry contributes: a `message` entry its message, a `custom_message` a custom message, a
 *   `branch_summary` with a non-empty summary a branch-summary message; nothing otherwise.
 *
 * Generic over the node type through {@link PathEntryView}: the compiler walks index records that hold
 * only structure and byte ranges, the OpenClaw session read walks decoded entries. Each caller turns the
 * emitted (node, kind) pairs into its own output (byte ranges to read back, or pi's message objects).
 */
import { MessageKind, type MessageKindCode } from "../protocol/buffer-layout.js";

export type Model = { provider: unknown; modelId: unknown } | null;

/** How the rules read a node. */
export interface PathEntryView<T> {
  type(node: T): string;
  id(node: T): unknown;
  /** `id(node) === value`, told without the id when the node can (the compiler's rows keep a hash). */
  isId(node: T, value: unknown): boolean;
  /** A `thinking_level_change`'s level. */
  thinkingLevel(node: T): unknown;
  /** A `model_change`'s model. */
  modelChange(node: T): Model;
  /** For a `message` entry: the model of an assistant message, undefined for any other message. */
  assistantModel(node: T): Model | undefined;
  /** A compaction's `firstKeptEntryId` (after migration). */
  firstKeptEntryId(node: T): unknown;
  /** A `message` entry has a message to forward (the caller's rule for a missing or non-object one). */
  hasMessage(node: T): boolean;
  /** A `branch_summary` has a truthy summary. */
  hasSummary(node: T): boolean;
}

export interface Settings {
  thinkingLevel: unknown;
  model: Model;
}

/** Applies one node's settings (last one on the path wins). */
export function applySettings<T>(node: T, view: PathEntryView<T>, settings: Settings): void {
  switch (view.type(node)) {
    case "thinking_level_change":
      settings.thinkingLevel = view.thinkingLevel(node);
      break;
    case "model_change":
      settings.model = view.modelChange(node);
      break;
    case "message": {
      const model = view.assistantModel(node);
      if (model !== undefined) settings.model = model;
    }
  }
}

/**
 * The settings in force at the end of `path`: the same as applying every node's settings root first,
 * but read from the leaf back and stopping once both are found, so only the deciding nodes are looked
 * at (a compiler record's values are read back from the file on demand).
 */
export function lastSettings<T>(path: readonly T[], view: PathEntryView<T>): Settings {
  const settings: Settings = { thinkingLevel: "off", model: null };
  let level = false;
  let model = false;
  for (let i = path.length - 1; i >= 0 && !(level && model); i--) {
    const node = path[i]!;
    switch (view.type(node)) {
      case "thinking_level_change":
        if (!level) settings.thinkingLevel = view.thinkingLevel(node);
        level = true;
        break;
      case "model_change":
        if (!model) settings.model = view.modelChange(node);
        model = true;
        break;
      case "message":
        if (!model) {
          const found = view.assistantModel(node);
          if (found !== undefined) {
            settings.model = found;
            model = true;
          }
        }
    }
  }
  return settings;
}

/** What a node on the path contributes to the context (not a compaction's summary), or null. */
export function emittedKind<T>(node: T, view: PathEntryView<T>): MessageKindCode | null {
  switch (view.type(node)) {
    case "message":
      return view.hasMessage(node) ? MessageKind.entry : null;
    case "custom_message":
      return MessageKind.customMessage;
    case "branch_summary":
      return view.hasSummary(node) ? MessageKind.branchSummary : null;
    default:
      return null;
  }
}

export interface SessionContextResult<T> extends Settings {
  /** The latest compaction on the path, or null. */
  compaction: T | null;
  /** With a compaction: whether its firstKeptEntryId was found on the path before it. */
  firstKeptFound: boolean;
}

/**
 * Runs pi's rules over `path` (root first), calling `emit` for each message of the context in order
 * (the compaction summary with kind `compactionSummary`).
 */
export function buildSessionContextFromPath<T>(
  path: readonly T[],
  view: PathEntryView<T>,
  emit: (node: T, kind: MessageKindCode) => void,
): SessionContextResult<T> {
  const settings = lastSettings(path, view);
  let compaction: T | null = null;
  for (let i = path.length - 1; i >= 0 && compaction === null; i--) if (view.type(path[i]!) === "compaction") compaction = path[i]!;
  const append = (node: T) => {
    const kind = emittedKind(node, view);
    if (kind !== null) emit(node, kind);
  };
  if (compaction === null) {
    for (const node of path) append(node);
    return { ...settings, compaction, firstKeptFound: false };
  }
  emit(compaction, MessageKind.compactionSummary);
  // pi finds the compaction again by id (the first compaction on the path with that id).
  const compactionId = view.id(compaction);
  const at = path.findIndex((n) => view.type(n) === "compaction" && view.isId(n, compactionId));
  const firstKept = view.firstKeptEntryId(compaction);
  let kept = false;
  for (let i = 0; i < at; i++) {
    if (!kept && view.isId(path[i]!, firstKept)) kept = true;
    if (kept) append(path[i]!);
  }
  for (let i = at + 1; i < path.length; i++) append(path[i]!);
  return { ...settings, compaction, firstKeptFound: kept };
}
