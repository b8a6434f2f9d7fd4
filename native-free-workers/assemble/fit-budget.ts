/**
 * Chooses which messages of the active branch go into the context.
 *
 * Without a budget every message goes in (the result then equals pi's). With one, the newest messages
 * are taken first until the next one would not fit; everything older is dropped, so the history stays
 * one contiguous stretch. The compaction summary is always kept, and a toolResult is never separated
 * from the assistant message that called it: a unit is a message plus the toolResults that follow it.
 *
 * Messages are measured lazily, newest first, and measuring stops at the first unit that does not
 * fit: a cold build with a budget tokenizes what ends up in the context, not the whole transcript.
 * Dropped messages are reported with the cheap estimate the index made while parsing.
 */
import { MessageKind, RoleCode } from "../protocol/buffer-layout.js";
import type { ContextItem } from "../pi/active-branch.js";

export interface FitResult {
  /** Indices into `items` of the messages kept, in order. */
  kept: number[];
  dropped: number;
  droppedEstimate: number;
  /** True when the system prompt and pinned messages alone exceed the budget. */
  overBudget: boolean;
}

/** Splits items (after the pinned summary) into units that must be kept or dropped together. */
function units(items: ContextItem[], from: number): [number, number][] {
  const result: [number, number][] = [];
  for (let i = from; i < items.length; i++) {
    const last = result[result.length - 1];
    if (last && items[i]!.record.role === RoleCode.toolResult) last[1] = i + 1;
    else result.push([i, i + 1]);
  }
  return result;
}

/**
 * A generator: it yields after each message that cost real work (`measure` returned fresh: true), so a
 * long build can pause between messages while cached counts stream through without pausing.
 * @param measure token count of item `i` (called at most once per item, newest first)
 * @param budget total tokens allowed (system prompt included), or null for no limit
 */
export function* fitBudget(
  items: ContextItem[],
  systemTokens: number,
  budget: number | null,
  measure: (i: number) => number,
  /** True when the last `measure` call tokenized (rather than returning a cached count). */
  measuredFresh: () => boolean = () => true,
): Generator<void, FitResult> {
  if (budget === null) {
    for (let i = items.length - 1; i >= 0; i--) {
      measure(i);
      if (measuredFresh()) yield;
    }
    return { kept: items.map((_, i) => i), dropped: 0, droppedEstimate: 0, overBudget: false };
  }
  const pinned = items.length > 0 && items[0]!.kind === MessageKind.compactionSummary ? 1 : 0;
  let used = systemTokens;
  for (let i = 0; i < pinned; i++) used += measure(i);
  const overBudget = used > budget;

  const all = units(items, pinned);
  let firstKeptUnit = all.length;
  for (let u = all.length - 1; u >= 0 && !overBudget; u--) {
    const [start, end] = all[u]!;
    let cost = 0;
    for (let i = end - 1; i >= start; i--) {
      cost += measure(i);
      if (measuredFresh()) yield;
    }
    if (used + cost > budget) break;
    used += cost;
    firstKeptUnit = u;
  }

  const kept: number[] = [];
  for (let i = 0; i < pinned; i++) kept.push(i);
  const keptFrom = firstKeptUnit < all.length ? all[firstKeptUnit]![0] : items.length;
  let droppedEstimate = 0;
  for (let i = pinned; i < keptFrom; i++) droppedEstimate += items[i]!.record.estimate;
  for (let i = keptFrom; i < items.length; i++) kept.push(i);
  return { kept, dropped: keptFrom - pinned, droppedEstimate, overBudget };
}
