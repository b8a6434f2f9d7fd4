/**
 * Reads OpenClaw's own diagnostics out of its file log (JSONL, one record per line; the message text
 * is inside the record, so lines are matched on the raw text and the fields re-parsed from it).
 */
import { readFile } from "node:fs/promises";

/** One `prep stages:` / `startup stages:` summary. */
export interface StageSummary {
  kind: "prep" | "startup";
  runId: string;
  sessionId: string;
  phase: string;
  totalMs: number;
  stages: Array<{ name: string; durationMs: number; elapsedMs: number }>;
  /** Epoch ms of the log record (`_meta.date`), when it has one: for a prep, its start + totalMs (stage-trace.ts). */
  at?: number;
}

/**
 * One `slow SQLite session write` warning (2026.8+, logged for writes of ≥ 1 s): the operation, its time
 * queued behind the per-agent writer and its own execution, and the process and thread it ran on.
 */
export interface SlowSessionWrite {
  pid: number;
  agentId: string;
  operation: string;
  isMainThread: boolean;
  elapsedMs: number;
  queueWaitMs: number;
  writerExecutionMs: number;
}

export interface GatewayDiagnostics {
  stageSummaries: StageSummary[];
  /** 2026.8+: every `slow SQLite session write`, in log order (also `doctor`'s, which share the log: filter by pid). */
  slowSessionWrites: SlowSessionWrite[];
  starvation: string[];
  liveness: string[];
  /**
   * OpenClaw's own repairs of a transcript (`session file repaired: …`, e.g. 2026.7.35 rewriting the
   * seeded assistant messages once, on a session's first turn): a restarted gateway logs none for files
   * its previous run already repaired.
   */
  sessionRepairs: number;
  /** OpenClaw's own `memory pressure: level=L reason=R …` warnings (logged by 2026.5.18+), counted by `L:R`. */
  memoryPressure: Record<string, number>;
  /** Warnings/errors (first 200), for the report. */
  errors: string[];
  lines: number;
}

// 2026.9.x adds `pid=… threadId=… isMainThread=…` between phase and totalMs.
const STAGE_RE = /\[trace:embedded-run\] (prep|startup) stages: runId=(\S+) sessionId=(\S+) phase=(\S+)(?: \w+=\S+)*? totalMs=(\d+) stages=([^"\\\s]+)/;

/** The record's own time (tslog `_meta.date`, ISO with ms; the message fields before it are escaped strings, so their quotes never match). */
const DATE_RE = /"date":"(\d{4}-\d\d-\d\dT[^"]+)"/;

const MEMORY_PRESSURE_RE = /memory pressure: level=(\w+) reason=(\w+)/;

export function parseGatewayLog(text: string): GatewayDiagnostics {
  const out: GatewayDiagnostics = { stageSummaries: [], slowSessionWrites: [], starvation: [], liveness: [], sessionRepairs: 0, memoryPressure: {}, errors: [], lines: 0 };
  for (const line of text.split("\n")) {
    if (!line) continue;
    out.lines++;
    const m = STAGE_RE.exec(line);
    if (m) {
      const stages = m[6] === "none" ? [] : m[6]!.split(",").map((s) => {
        const mm = /^(.+):(\d+)ms@(\d+)ms$/.exec(s);
        return mm ? { name: mm[1]!, durationMs: Number(mm[2]), elapsedMs: Number(mm[3]) } : { name: s, durationMs: NaN, elapsedMs: NaN };
      });
      const date = DATE_RE.exec(line);
      const at = date ? Date.parse(date[1]!) : NaN;
      out.stageSummaries.push({ kind: m[1] as "prep" | "startup", runId: m[2]!, sessionId: m[3]!, phase: m[4]!, totalMs: Number(m[5]), stages, ...(Number.isFinite(at) ? { at } : {}) });
      continue;
    }
    if (line.includes("slow SQLite session write")) {
      const w = slowSessionWrite(line);
      if (w) out.slowSessionWrites.push(w);
    }
    if (line.includes("session file repaired")) out.sessionRepairs++;
    const pressure = MEMORY_PRESSURE_RE.exec(line);
    if (pressure) {
      const kind = `${pressure[1]}:${pressure[2]}`;
      out.memoryPressure[kind] = (out.memoryPressure[kind] ?? 0) + 1;
    }
    if (line.includes("likely event-loop starvation")) out.starvation.push(extractMessage(line));
    else if (line.includes("liveness warning")) out.liveness.push(extractMessage(line));
    else if (out.errors.length < 200 && /"logLevelName":"(ERROR|FATAL|WARN)"/.test(line)) out.errors.push(extractMessage(line).slice(0, 400));
  }
  return out;
}

/** The fields of a `slow SQLite session write` record (its payload is the record's object argument). */
function slowSessionWrite(line: string): SlowSessionWrite | null {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const w = Object.values(o).find((v): v is Record<string, unknown> => typeof v === "object" && v !== null && "operation" in v && "queueWaitMs" in v);
    if (!w) return null;
    const n = (k: string) => (typeof w[k] === "number" ? (w[k] as number) : NaN);
    return { pid: n("pid"), agentId: String(w.agentId), operation: String(w.operation), isMainThread: w.isMainThread === true, elapsedMs: n("elapsedMs"), queueWaitMs: n("queueWaitMs"), writerExecutionMs: n("writerExecutionMs") };
  } catch {
    return null;
  }
}

function extractMessage(line: string): string {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const parts = Object.keys(o).filter((k) => /^\d+$/.test(k)).map((k) => (typeof o[k] === "string" ? o[k] : JSON.stringify(o[k])));
    return parts.length ? parts.join(" ") : String(o.message ?? o.msg ?? line);
  } catch {
    return line;
  }
}

/**
 * The diagnostics in OpenClaw's file log from byte `from` on: a restarted gateway appends to the same
 * file, so its run is what follows the size the file had when it started (`from` on a line start).
 */
export async function readGatewayLog(path: string, from = 0): Promise<GatewayDiagnostics> {
  try {
    return parseGatewayLog((await readFile(path)).subarray(from).toString("utf8"));
  } catch {
    return parseGatewayLog("");
  }
}

/**
 * The counters of the ctxc preload's `summary` line (written when the gateway process exits normally) among
 * one process's preload log lines, by name (`sessionsServed`, `indexRestored`, `fallbacks`, …); null when
 * there is none (the process did not exit normally, or the preload was not active).
 */
export function parseCtxcSummary(lines: readonly string[]): Record<string, number> | null {
  const body = lines.map((l) => preloadLogBody(l, "summary")).find((b) => b !== undefined);
  if (body === undefined) return null;
  return Object.fromEntries([...body.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

/** What a preload log line of `kind` says (after `<time> ctxc-openclaw <kind>: `), or undefined for a line of another kind. */
function preloadLogBody(line: string, kind: string): string | undefined {
  const mark = ` ctxc-openclaw ${kind}: `;
  const at = line.indexOf(mark);
  return at < 0 ? undefined : line.slice(at + mark.length);
}

/**
 * The preload's `fallback:` lines among one process's log lines, counted by what they say with the paths
 * they name taken out (`…`): the calls handed to OpenClaw's own code by design (the summary's
 * `stockRuns`, e.g. a recent-conversation read a write kept overtaking) and the failures (`fallbacks`)
 * alike — `fallbacks=0` alone does not show the first kind, and one of them can cost a turn a whole-file
 * read on the main thread.
 */
export function countFallbackLines(lines: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    const body = preloadLogBody(l, "fallback");
    if (body === undefined) continue;
    // Paths: quoted (JSON), the closing parenthesis the messages name their file in, bare ones.
    const why = body
      .replace(/"\/(?:[^"\\]|\\.)*"/g, "…")
      .replace(/\(\/.*\)$/, "(…)")
      .replace(/(^|\s)\/[^\s()]+/g, "$1…");
    out[why] = (out[why] ?? 0) + 1;
  }
  return out;
}

/** One sentence: {@link countFallbackLines}' counts after `head`, most frequent first, or "none". */
export function fallbackLinesLine(head: string, lines: Record<string, number>): string {
  const by = Object.entries(lines).sort((a, b) => b[1] - a[1]);
  return by.length ? `${head}: ${by.map(([why, n]) => `${n}× ${why}`).join("; ")}.` : `${head}: none.`;
}

/** p-th percentile (nearest rank) of `xs`; NaN when empty. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/**
 * `prep` summaries split into each session's FIRST prep (the first `prep stages` line for its sessionId, in
 * log order) and its later ones. A session's first turn after a gateway start carries one-time work — the
 * cold read, OpenClaw's repair of a seeded file, 2026.7.35's header rewrite — that a later turn does not
 * repeat, so the two are reported apart (issue #11: later turns must not grow with the file).
 */
export function splitFirstPreps(summaries: StageSummary[]): { first: StageSummary[]; later: StageSummary[] } {
  const seen = new Set<string>();
  const first: StageSummary[] = [];
  const later: StageSummary[] = [];
  for (const s of summaries) {
    if (s.kind !== "prep") continue;
    if (seen.has(s.sessionId)) later.push(s);
    else {
      seen.add(s.sessionId);
      first.push(s);
    }
  }
  return { first, later };
}

/** Per stage name: count, median and p99 durations. */
export function stageTable(summaries: StageSummary[], kind: "prep" | "startup"): Record<string, { n: number; p50: number; p99: number; max: number }> {
  const by = new Map<string, number[]>();
  for (const s of summaries) {
    if (s.kind !== kind) continue;
    for (const st of s.stages) {
      if (!by.has(st.name)) by.set(st.name, []);
      by.get(st.name)!.push(st.durationMs);
    }
    if (!by.has("(total)")) by.set("(total)", []);
    by.get("(total)")!.push(s.totalMs);
  }
  const out: Record<string, { n: number; p50: number; p99: number; max: number }> = {};
  for (const [k, v] of by) out[k] = { n: v.length, p50: percentile(v, 50), p99: percentile(v, 99), max: Math.max(...v) };
  return out;
}
