/**
 * Explaining a difference in the real-gateway write check without keeping the run's folders: each mode
 * keeps, in memory only, a short redacted snippet of every entry it appended; when the appended kinds of
 * an agent differ between the modes, only the entries that differ go into the result json and the log.
 */

/** How much of an entry's text a snippet keeps: enough to tell which event or prefix it was. */
export const SNIPPET_CHARS = 300;

/** One appended entry that the other mode has no counterpart for. */
export interface DifferingEntry {
  kind: string;
  /** 1-based position among the entries this mode appended for the agent. */
  position: number;
  /** `message:assistant` entries appended before it (a turn may write more than one). */
  assistantEntriesBefore: number;
  /** The entry's text, redacted, whitespace folded, cut at {@link SNIPPET_CHARS}. */
  snippet: string;
}

/** Per differing agent, the entries of each mode that do not line up with the other mode's. */
export type AppendedDifferences = Record<string, { stock: DifferingEntry[]; ctxc: DifferingEntry[] }>;

/** Secrets have no place in results even from seeded data: bot tokens, bearer/API keys, long opaque runs. */
export function redact(text: string): string {
  return text
    .replace(/\b\d{5,}:[A-Za-z0-9_-]{20,}\b/g, "<token>")
    .replace(/\b(sk|pk|key|tok)-[A-Za-z0-9_-]{12,}\b/gi, "<key>")
    .replace(/(bearer\s+)\S+/gi, "$1<key>")
    .replace(/[A-Za-z0-9+/_=-]{48,}/g, "<opaque>");
}

/** The text an entry carries: a custom_message's content, a message's text parts (a user prompt's system-event block is its start), else the line. */
function entryText(line: string): string {
  let e: { content?: unknown; message?: { content?: unknown }; data?: unknown; summary?: unknown };
  try {
    e = JSON.parse(line);
  } catch {
    return line;
  }
  const c = e.content ?? e.message?.content ?? e.summary ?? e.data;
  if (typeof c === "string") return c;
  if (Array.isArray(c)) {
    return c.map((p: { type?: string; text?: unknown; name?: unknown }) => (typeof p?.text === "string" ? p.text : p?.type === "toolCall" ? `[toolCall ${String(p.name)}]` : `[${String(p?.type)}]`)).join(" ");
  }
  return c === undefined ? line : JSON.stringify(c);
}

/** A short redacted snippet of one transcript line's text. */
export function snippetOf(line: string): string {
  return redact(entryText(line).replace(/\s+/g, " ").trim()).slice(0, SNIPPET_CHARS);
}

/** Runs of one kind collapsed to their first entry (as compareAppended does), keeping each one's index in the full list. */
export function collapseRuns(kinds: readonly string[]): { kind: string; index: number }[] {
  return kinds.map((kind, index) => ({ kind, index })).filter((k, i) => k.kind !== kinds[i - 1]);
}

/**
 * The write check's rule for two modes' appended kinds of one agent: with runs of one kind collapsed (a
 * turn may write two assistant entries under load), the kinds of the turns both runs reached — the
 * shorter collapsed list's length — are the same, in the same order.
 */
export function prefixAgrees(a: readonly string[], b: readonly string[]): { agrees: boolean; runs: [number, number]; common: number } {
  const x = collapseRuns(a).map((k) => k.kind), y = collapseRuns(b).map((k) => k.kind);
  const n = Math.min(x.length, y.length);
  return { agrees: x.slice(0, n).join(",") === y.slice(0, n).join(","), runs: [x.length, y.length], common: n };
}

/** Indices into x and y of a longest common subsequence of kinds. */
function lcsPairs(x: readonly string[], y: readonly string[]): { inX: Set<number>; inY: Set<number> } {
  const m = x.length, n = y.length;
  const t: Uint32Array[] = Array.from({ length: m + 1 }, () => new Uint32Array(n + 1));
  for (let i = m - 1; i >= 0; i--) for (let j = n - 1; j >= 0; j--) t[i]![j] = x[i] === y[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
  const inX = new Set<number>(), inY = new Set<number>();
  for (let i = 0, j = 0; i < m && j < n; ) {
    if (x[i] === y[j]) {
      inX.add(i++);
      inY.add(j++);
    } else if (t[i + 1]![j]! >= t[i]![j + 1]!) i++;
    else j++;
  }
  return { inX, inY };
}

/**
 * The entries (of the collapsed kind lists, as indices) with no counterpart in the other mode: those a
 * longest common subsequence leaves out, except a run's tail past its last matched entry — turns the
 * other run did not reach are not a difference. If the lists differ but that leaves nothing (the only
 * difference is at the end), the entries from the first differing position are reported.
 */
export function unmatched(x: readonly string[], y: readonly string[]): { x: number[]; y: number[] } {
  const { inX, inY } = lcsPairs(x, y);
  const inner = (len: number, matched: Set<number>) => {
    const last = Math.max(-1, ...matched);
    return Array.from({ length: len }, (_, i) => i).filter((i) => !matched.has(i) && i < last);
  };
  const r = { x: inner(x.length, inX), y: inner(y.length, inY) };
  if (r.x.length || r.y.length) return r;
  const n = Math.min(x.length, y.length);
  let first = 0;
  while (first < n && x[first] === y[first]) first++;
  if (first === n) return r;
  return { x: x.slice(first).map((_, i) => first + i), y: y.slice(first).map((_, i) => first + i) };
}

function describe(kinds: readonly string[], snippets: readonly string[] | undefined, index: number): DifferingEntry {
  return {
    kind: kinds[index]!,
    position: index + 1,
    assistantEntriesBefore: kinds.slice(0, index).filter((k) => k === "message:assistant").length,
    snippet: snippets?.[index] ?? "<no snippet kept>",
  };
}

/** For one agent, stock's and ctxc's appended entries (kinds, snippets) that do not line up with the other's. */
export function differingEntries(
  stock: { kinds: readonly string[]; snippets?: readonly string[] },
  ctxc: { kinds: readonly string[]; snippets?: readonly string[] },
): { stock: DifferingEntry[]; ctxc: DifferingEntry[] } {
  const x = collapseRuns(stock.kinds), y = collapseRuns(ctxc.kinds);
  const u = unmatched(x.map((e) => e.kind), y.map((e) => e.kind));
  return {
    stock: u.x.map((i) => describe(stock.kinds, stock.snippets, x[i]!.index)),
    ctxc: u.y.map((i) => describe(ctxc.kinds, ctxc.snippets, y[i]!.index)),
  };
}

/** The log lines for a difference: one per differing entry. */
export function differenceLines(d: AppendedDifferences): string[] {
  const out: string[] = [];
  for (const [agent, modes] of Object.entries(d)) {
    for (const mode of ["stock", "ctxc"] as const) {
      for (const e of modes[mode]) out.push(`  ${agent} ${mode} only: #${e.position} ${e.kind} (after ${e.assistantEntriesBefore} assistant entries): ${JSON.stringify(e.snippet)}`);
    }
  }
  return out;
}
