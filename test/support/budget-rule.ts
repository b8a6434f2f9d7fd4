/**
 * The budget rule written out for the differential tests, independently of ctxc's fitting
 * (native-free-workers/assemble/fit-budget.ts): newest first, a toolResult stays with the message before
 * it, the leading compaction summary pinned, nothing older kept once a unit does not fit.
 */
type Message = { role?: unknown };

/**
 * Where the kept stretch of `messages` (costs `cost`, the first `pinned` always kept) starts within `budget`;
 * `overBudget` when the pinned ones alone exceed it (then only they are kept).
 */
export function expectedCut(messages: readonly Message[], cost: readonly number[], budget: number, pinned: number): { from: number; overBudget: boolean } {
  let used = 0;
  for (let i = 0; i < pinned; i++) used += cost[i]!;
  if (used > budget) return { from: messages.length, overBudget: true };
  // units: a message plus the toolResults right after it
  let from = messages.length;
  let end = messages.length;
  while (end > pinned) {
    let start = end - 1;
    while (start > pinned && messages[start]!.role === "toolResult") start--;
    let unit = 0;
    for (let i = start; i < end; i++) unit += cost[i]!;
    if (used + unit > budget) break;
    used += unit;
    from = start;
    end = start;
  }
  return { from, overBudget: false };
}

/** 1 when pi's context starts with the compaction summary (the budget rule pins it), else 0. */
export function pinnedCount(messages: readonly Message[]): number {
  return messages.length > 0 && messages[0]!.role === "compactionSummary" ? 1 : 0;
}
