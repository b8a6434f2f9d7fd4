/**
 * pi's message shapes for entries that are not `message` entries: what `buildSessionContext` pushes for a
 * compaction summary, a branch summary and a custom message (pi's createCompactionSummaryMessage /
 * createBranchSummaryMessage / createCustomMessage). Every key pi sets is set here, even when undefined
 * (deep equality sees them); timestamps go through `new Date(iso).getTime()` as in pi (NaN included).
 */
import { MessageKind, type MessageKindCode } from "../protocol/buffer-layout.js";

/** pi's timestamp rule for synthesized messages. */
export function timestampMs(timestamp: unknown): number {
  return new Date(timestamp as string).getTime();
}

export function compactionSummaryMessage(entry: Record<string, unknown>): Record<string, unknown> {
  return { role: "compactionSummary", summary: entry.summary, tokensBefore: entry.tokensBefore, timestamp: timestampMs(entry.timestamp) };
}

export function branchSummaryMessage(entry: Record<string, unknown>): Record<string, unknown> {
  return { role: "branchSummary", summary: entry.summary, fromId: entry.fromId, timestamp: timestampMs(entry.timestamp) };
}

export function customMessage(entry: Record<string, unknown>): Record<string, unknown> {
  return {
    role: "custom",
    customType: entry.customType,
    content: entry.content,
    display: entry.display,
    details: entry.details,
    timestamp: timestampMs(entry.timestamp),
  };
}

/**
 * pi's message for an entry that is not a `message` entry, by what it contributes (a compaction's summary,
 * a branch summary, a custom message; buffer-layout MessageKind).
 */
export function synthesizedMessage(kind: MessageKindCode, entry: Record<string, unknown>): Record<string, unknown> {
  switch (kind) {
    case MessageKind.compactionSummary:
      return compactionSummaryMessage(entry);
    case MessageKind.branchSummary:
      return branchSummaryMessage(entry);
    default:
      return customMessage(entry);
  }
}
