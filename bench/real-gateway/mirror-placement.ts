/**
 * The write check's placement classifier (issue #11). OpenClaw 2026.7.35 attaches a keyed delivery mirror
 * that lands while the agent's next prompt holds its session fence as a side branch — the mirror, a `leaf`
 * control `appendMode: "side"`, and when it lands after that prompt's reply a plain `leaf` from the turn's
 * rewrite — and in the main run otherwise (docs/openclaw.md §5, "a delivery mirror during the next prompt").
 * Which one is a race between the unawaited mirror and the next prompt, and ctxc writes what stock writes
 * for each ordering (test/matrix/prompt-released-mirror.test.ts). So two modes' appended entries of an
 * agent differ by PLACEMENT ONLY when, without the keyed mirrors and their side-merge leaf controls, the
 * kinds agree (appended-diff.ts `prefixAgrees`), at least one key landed on a side branch in one mode and
 * in the main run in the other, and every side-branch mirror's key within the turns both modes reached was
 * written by the other mode too. Before that, each mode's heartbeat turns are set aside (heartbeat-turns.ts):
 * two modes that agree without them (or differ by placement only) differ by HEARTBEAT ONLY — when OpenClaw's
 * timer fell. Anything else is a difference.
 */
import { prefixAgrees } from "./appended-diff.js";
import { withoutHeartbeatTurns } from "./heartbeat-turns.js";
import type { AddedMark } from "./write-check.js";

/** One appended entry: its kind (write-check.ts `kindOf`) with its mark. */
export interface MarkedEntry extends AddedMark {
  kind: string;
}

type Mode = "stock" | "ctxc";

/** One agent's verdict, with what it rests on. */
export interface PlacementCheck {
  /** `heartbeatOnly`: the same once each mode's heartbeat turns are set aside (placement aside too, if `moved`). */
  verdict: "same" | "placementOnly" | "heartbeatOnly" | "different";
  /** Per mode, the multiset of (kind, idempotency key) added: `kind`, `kind (side)`, `kind [key]` → count. */
  added: Record<Mode, Record<string, number>>;
  /** Keys on a side branch in one mode (`sideIn`) and in the main run in the other. */
  moved: { key: string; sideIn: Mode }[];
  /** Keys on a side branch in one mode that the other did not write, within the turns it reached. */
  unmatched: { key: string; sideIn: Mode }[];
  /** Heartbeat turns set aside per mode, when either had one and the entries differed with them. */
  heartbeatTurns?: Record<Mode, number>;
  /** "Previous run is still shutting down" replies set aside with them (heartbeat-turns.ts), when any. */
  busyNotices?: Record<Mode, number>;
}

/** Kinds and marks of one mode's entries, side by side (marks missing: none). */
export function entriesOf(kinds: readonly string[], marks: readonly AddedMark[]): MarkedEntry[] {
  return kinds.map((kind, i) => ({ kind, ...marks[i] }));
}

const isKeyedMirror = (e: MarkedEntry) => e.kind === "message:assistant" && e.key !== undefined;
const isLeaf = (e: MarkedEntry | undefined) => e?.kind === "leaf";

/**
 * The side merges in `entries`: a run of keyed mirrors followed by a side leaf control (and the plain leaf
 * controls right after it). Returns the indexes of those leaf controls and the side-branch mirrors, each
 * with its turn (user messages before it).
 */
function sideMerges(entries: readonly MarkedEntry[]): { leaves: Set<number>; mirrors: { key: string; turn: number }[] } {
  const leaves = new Set<number>();
  const mirrors: { key: string; turn: number }[] = [];
  let turn = 0;
  const turnAt: number[] = entries.map((e) => (e.kind === "message:user" ? ++turn : turn));
  for (let i = 0; i < entries.length; i++) {
    if (!isLeaf(entries[i]) || !entries[i]!.side || i === 0 || !isKeyedMirror(entries[i - 1]!)) continue;
    leaves.add(i);
    for (let j = i + 1; isLeaf(entries[j]) && !entries[j]!.side; j++) leaves.add(j);
    for (let j = i - 1; j >= 0 && isKeyedMirror(entries[j]!); j--) mirrors.push({ key: entries[j]!.key!, turn: turnAt[j]! });
  }
  return { leaves, mirrors };
}

/** `kind`, `kind (side)`, `kind [key]` → count. */
function multiset(entries: readonly MarkedEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) {
    const name = `${e.kind}${e.side ? " (side)" : ""}${e.key !== undefined ? ` [${e.key}]` : ""}`;
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/** One agent's appended entries in stock and in ctxc, classified. */
export function classifyPlacement(stock: readonly MarkedEntry[], ctxc: readonly MarkedEntry[]): PlacementCheck {
  const added = { stock: multiset(stock), ctxc: multiset(ctxc) };
  if (prefixAgrees(stock.map((e) => e.kind), ctxc.map((e) => e.kind)).agrees) return { verdict: "same", added, moved: [], unmatched: [] };
  const beats = { stock: withoutHeartbeatTurns(stock), ctxc: withoutHeartbeatTurns(ctxc) };
  const check = byPlacement(beats.stock.rest, beats.ctxc.rest, added);
  if (beats.stock.turns + beats.ctxc.turns === 0) return check;
  const heartbeatTurns = { stock: beats.stock.turns, ctxc: beats.ctxc.turns };
  const notices = beats.stock.notices + beats.ctxc.notices ? { busyNotices: { stock: beats.stock.notices, ctxc: beats.ctxc.notices } } : {};
  return check.verdict === "different" ? { ...check, heartbeatTurns, ...notices } : { ...check, verdict: "heartbeatOnly", heartbeatTurns, ...notices };
}

/** The placement rule (file comment) on two modes' entries whose kinds differ; `added` as reported. */
function byPlacement(stock: readonly MarkedEntry[], ctxc: readonly MarkedEntry[], added: PlacementCheck["added"]): PlacementCheck {
  if (prefixAgrees(stock.map((e) => e.kind), ctxc.map((e) => e.kind)).agrees) return { verdict: "same", added, moved: [], unmatched: [] };
  const modes = { stock: { entries: stock, ...sideMerges(stock) }, ctxc: { entries: ctxc, ...sideMerges(ctxc) } };
  const moved: PlacementCheck["moved"] = [];
  const unmatched: PlacementCheck["unmatched"] = [];
  for (const [mode, other] of [["stock", "ctxc"], ["ctxc", "stock"]] as const) {
    const o = modes[other];
    const otherTurns = o.entries.filter((e) => e.kind === "message:user").length;
    const otherKeys = new Set(o.entries.filter(isKeyedMirror).map((e) => e.key!));
    const otherSide = new Set(o.mirrors.map((m) => m.key));
    for (const m of modes[mode].mirrors) {
      if (otherKeys.has(m.key)) {
        if (!otherSide.has(m.key)) moved.push({ key: m.key, sideIn: mode });
      } else if (m.turn <= otherTurns) unmatched.push({ key: m.key, sideIn: mode });
    }
  }
  const stripped = (m: (typeof modes)["stock"]) => m.entries.filter((e, i) => !isKeyedMirror(e) && !m.leaves.has(i)).map((e) => e.kind);
  const placementOnly = moved.length > 0 && unmatched.length === 0 && prefixAgrees(stripped(modes.stock), stripped(modes.ctxc)).agrees;
  return { verdict: placementOnly ? "placementOnly" : "different", added, moved, unmatched };
}

/** The keys that moved, for the detail line: `KEY: side branch in ctxc, main run in stock; …`. */
export function placementSummary(check: PlacementCheck): string {
  const other = (m: Mode) => (m === "stock" ? "ctxc" : "stock");
  return check.moved.map((m) => `${m.key}: side branch in ${m.sideIn}, main run in ${other(m.sideIn)}`).join("; ");
}

/**
 * The named lines of a comparison's placement checks: one per agent whose only difference is where keyed
 * mirrors landed, one per agent with a side-branch mirror the other mode did not write (part of a
 * difference), and — for every agent that is not the same — the added (kind, key) multisets of both modes.
 */
export function placementLines(placement: Record<string, PlacementCheck> | undefined): string[] {
  const out: string[] = [];
  const bag = (m: Record<string, number>) => Object.entries(m).map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(", ");
  for (const [agent, c] of Object.entries(placement ?? {})) {
    if (c.verdict === "same") continue;
    if (c.verdict === "placementOnly") out.push(`  ${agent} placement only (same keys in both modes, kinds otherwise the same): ${placementSummary(c)}`);
    const notices = c.busyNotices ? ` and the "still shutting down" replies to messages that met one: stock ${c.busyNotices.stock}, ctxc ${c.busyNotices.ctxc}` : "";
    if (c.heartbeatTurns) out.push(`  ${agent} OpenClaw heartbeat turns set aside (its 30-minute timer; heartbeat-turns.ts): stock ${c.heartbeatTurns.stock}, ctxc ${c.heartbeatTurns.ctxc}${notices}${c.verdict === "heartbeatOnly" ? `, the rest the same${c.moved.length ? ` but for placement: ${placementSummary(c)}` : ""}` : ""}`);
    for (const u of c.unmatched) out.push(`  ${agent} side-branch mirror only in ${u.sideIn}: ${u.key}`);
    out.push(`  ${agent} added, stock: ${bag(c.added.stock)}`, `  ${agent} added, ctxc: ${bag(c.added.ctxc)}`);
  }
  return out;
}

/** What a passing check set aside, in words: keyed mirror placement (PLACEMENT ONLY), heartbeat turns (HEARTBEAT ONLY); "" for nothing. */
export function butFor(placement: Record<string, PlacementCheck> | undefined): string {
  const checks = Object.values(placement ?? {});
  const parts = [];
  if (checks.some((c) => c.verdict === "placementOnly" || (c.verdict === "heartbeatOnly" && c.moved.length))) parts.push("where keyed delivery mirrors landed (PLACEMENT ONLY)");
  if (checks.some((c) => c.verdict === "heartbeatOnly")) parts.push("OpenClaw's heartbeat turns (HEARTBEAT ONLY)");
  return parts.join(" and ");
}
