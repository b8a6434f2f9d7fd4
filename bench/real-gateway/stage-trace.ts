/**
 * Where a prep's `session-resource-loader` stage spends its wall time, from the ctxc preload's call trace
 * (`CTXC_OPENCLAW_TRACE=1`, src/openclaw/trace.ts; `run.js --trace`) laid over OpenClaw's `prep stages`
 * lines (issue #11: the stage p50 stays far from 5× below stock on 2026.7.35 — how much of it is ctxc's
 * own waiting?).
 *
 * A prep's stage window, on the same wall clock as the trace: OpenClaw logs the summary right after its
 * last mark (`emitPrepStageSummary` follows `prepStages.mark("stream-setup")`), so the record's `_meta.date`
 * is the prep's start + `totalMs` (ms rounding); the stage runs from the start + the previous stage's
 * `elapsedMs` to the start + its own. The transcript is `<sessionId>.jsonl`, so trace lines whose `file` is
 * the prep's session id belong to it.
 *
 * Per prep: the stage's wall ms; the union of ctxc's handler calls (`fn` lines) clipped to the window —
 * ctxc's awaited calls, worker waits and ctxc's main-thread work inside, and of that the OpenClaw bodies
 * those handlers ran themselves (`stock=`: a fallback; OpenClaw's work, shown apart); and the worker requests asked
 * for inside the window (`call` lines) split into queue (the pool's queue + the worker's port + a sliced
 * op's pauses), the op's own work, and the hop back to the main thread; the rest is OpenClaw's own awaits
 * (session-file owner, lock, stats, `resourceLoader.reload()`) and the main thread's other work they wait behind.
 *
 * The rest, located: the stretches of the stage between ctxc's calls for the session, each named by the calls
 * it lies between (`gaps`). On 2026.5.27+ the stage's first call, `acquireEmbeddedAttemptSessionFileOwner`, is
 * one of them, so `acquireEmbeddedAttemptSessionFileOwner→repairPass611` is the write lock and the trusted
 * stat, `repairPass611→prewarmSessionFile` the `hadSessionFile` stat, `loadEntriesFromFileWithSnapshot→
 * readSessionFileDigest` the locked bootstrap run and its fingerprint stats, and `readSessionFileDigest→end`
 * the settings manager and `resourceLoader.reload()` (docs/openclaw.md §5 lists the stage's awaits in order).
 */
import { percentile, type StageSummary } from "./log-parse.js";

/** One worker request of the trace. */
export interface TraceCall {
  op: string;
  file: string;
  prio: string;
  /** Epoch ms it was asked for. */
  t: number;
  pool: number;
  port: number;
  work: number;
  paused: number;
  hop: number;
}
/** One call of an intercepted OpenClaw function through ctxc's handler. */
export interface TraceFn {
  name: string;
  file: string;
  t: number;
  ms: number;
  /** Of `ms`, the time in OpenClaw's own body run by the handler (a fallback); 0 in traces before this field. */
  stock: number;
}
export interface CtxcTrace {
  calls: TraceCall[];
  fns: TraceFn[];
}

const CALL_RE = /ctxc-openclaw trace: call op=(\S+) file=(\S+) prio=(\S+) t=([\d.]+) pool=([\d.NaN]+) port=([\d.NaN]+) work=([\d.NaN]+) paused=([\d.NaN]+) hop=([\d.NaN]+)/;
const FN_RE = /ctxc-openclaw trace: fn name=(\S+) file=(\S+) t=([\d.]+) ms=([\d.NaN]+)(?: stock=([\d.NaN]+))?/;

/** The trace lines of a preload log (other lines ignored). */
export function parseCtxcTrace(lines: Iterable<string>): CtxcTrace {
  const out: CtxcTrace = { calls: [], fns: [] };
  for (const line of lines) {
    let m = CALL_RE.exec(line);
    if (m) {
      const [op, file, prio, ...n] = m.slice(1) as [string, string, string, ...string[]];
      const [t, pool, port, work, paused, hop] = n.map(Number) as [number, number, number, number, number, number];
      out.calls.push({ op, file, prio, t, pool, port, work, paused, hop });
      continue;
    }
    m = FN_RE.exec(line);
    if (m) out.fns.push({ name: m[1]!, file: m[2]!, t: Number(m[3]), ms: Number(m[4]), stock: m[5] === undefined ? 0 : Number(m[5]) });
  }
  return out;
}

/** One prep's stage, attributed. */
export interface StageAttribution {
  sessionId: string;
  wallMs: number;
  /** Union of ctxc's handler calls for this session, clipped to the stage. */
  ctxcMs: number;
  /**
   * Of those calls, the time in OpenClaw's own bodies the handlers ran (fallbacks, e.g. the repair of a seeded
   * file; the prewarm's own 4 KB read, which runs beside ctxc's worker read): OpenClaw's work, not ctxc's.
   */
  stockMs: number;
  /** Worker requests for this session asked for inside the stage, summed by component. */
  queueMs: number;
  workMs: number;
  hopMs: number;
  calls: number;
  /**
   * Sequential round trips among those requests: runs of requests each asked for before the one before
   * it was back on the main thread (overlapping, so their waits overlap), counted once per run. What a
   * request costs a turn on a busy main thread is mostly its hop back, so this, not `calls`, is the count
   * the stage's wall time follows.
   */
  rounds: number;
  /** The same, per op: [calls, queue, work, hop]. */
  byOp: Record<string, [number, number, number, number]>;
  /**
   * The stage's time outside ctxc's calls for the session, by the calls each stretch lies between
   * (`start→NAME`, `NAME→NAME`, `NAME→end`; the same pair twice in a stage is summed): where the rest is.
   */
  gaps: Record<string, number>;
}

/** The stage's window in epoch ms, or null when the summary lacks the stage, its predecessor or its log time. */
export function stageWindow(s: StageSummary, stage: string): { from: number; to: number } | null {
  const i = s.stages.findIndex((x) => x.name === stage);
  if (i < 0 || s.at === undefined || !Number.isFinite(s.at)) return null;
  const start = s.at - s.totalMs;
  const before = i > 0 ? s.stages[i - 1]!.elapsedMs : 0;
  return { from: start + before, to: start + s.stages[i]!.elapsedMs };
}

const nz = (x: number) => (Number.isFinite(x) ? x : 0);

/** One prep's `stage` attributed from the trace (see the file comment); null without a window. */
export function attributeStage(s: StageSummary, trace: CtxcTrace, stage = "session-resource-loader"): StageAttribution | null {
  const w = stageWindow(s, stage);
  if (!w) return null;
  // Union of the clipped handler spans (a handler may call another one's delegate: nested spans count once).
  const mine = trace.fns.filter((f) => f.file === s.sessionId);
  // A handler's stock part counts when the handler started inside the window (its body ran there, ~always).
  const stockMs = mine.filter((f) => f.t >= w.from && f.t <= w.to).reduce((a, f) => a + nz(f.stock), 0);
  const spans = mine
    .map((f) => [Math.max(w.from, f.t), Math.min(w.to, f.t + nz(f.ms))] as const)
    .filter(([a, b]) => b > a)
    .sort((a, b) => a[0] - b[0]);
  let ctxcMs = 0;
  let end = -Infinity;
  for (const [a, b] of spans) {
    if (b <= end) continue;
    ctxcMs += b - Math.max(a, end);
    end = b;
  }
  const out: StageAttribution = { sessionId: s.sessionId, wallMs: w.to - w.from, ctxcMs, stockMs, queueMs: 0, workMs: 0, hopMs: 0, calls: 0, rounds: 0, byOp: {}, gaps: gapsBetween(mine, w) };
  let back = -Infinity; // when the current run's last request was back on the main thread
  const inWindow = trace.calls.filter((c) => c.file === s.sessionId && c.t >= w.from && c.t <= w.to).sort((a, b) => a.t - b.t);
  for (const c of inWindow) {
    const queue = nz(c.pool) + nz(c.port) + nz(c.paused);
    const end = c.t + queue + nz(c.work) + nz(c.hop);
    if (c.t >= back) out.rounds++;
    back = Math.max(back, end);
    out.calls++;
    out.queueMs += queue;
    out.workMs += nz(c.work);
    out.hopMs += nz(c.hop);
    const o = (out.byOp[c.op] ??= [0, 0, 0, 0]);
    o[0]++;
    o[1] += queue;
    o[2] += nz(c.work);
    o[3] += nz(c.hop);
  }
  return out;
}

/** The window's stretches outside the given calls, named by the calls around them (see {@link StageAttribution.gaps}). */
export function gapsBetween(fns: readonly TraceFn[], w: { from: number; to: number }): Record<string, number> {
  const inside = fns.filter((f) => f.t + nz(f.ms) > w.from && f.t < w.to).sort((a, b) => a.t - b.t);
  const gaps: Record<string, number> = {};
  let at = w.from;
  let after = "start";
  for (const f of inside) {
    if (f.t > at) gaps[`${after}→${f.name}`] = (gaps[`${after}→${f.name}`] ?? 0) + (f.t - at);
    const end = Math.min(w.to, f.t + nz(f.ms));
    // A call nested in (or overlapping) the one before it does not end the stretch that one covers.
    if (end > at) {
      at = end;
      after = f.name;
    }
  }
  if (w.to > at) gaps[`${after}→end`] = (gaps[`${after}→end`] ?? 0) + (w.to - at);
  return gaps;
}

/** Preps of one kind (first or later turns) summed: totals, and the stage wall and ctxc parts' medians. */
export interface AttributionSummary {
  preps: number;
  wallMs: { sum: number; p50: number };
  ctxcMs: { sum: number; p50: number };
  stockMs: { sum: number; p50: number };
  queueMs: { sum: number; p50: number };
  workMs: { sum: number; p50: number };
  hopMs: { sum: number; p50: number };
  /** Worker requests per stage, and the sequential round trips they made ({@link StageAttribution.rounds}). */
  calls: { sum: number; p50: number };
  rounds: { sum: number; p50: number };
  /** wall − ctxc: OpenClaw's own awaits outside ctxc's handlers and what they wait behind. */
  restMs: { sum: number; p50: number };
  byOp: Record<string, { calls: number; queueMs: number; workMs: number; hopMs: number }>;
  /** {@link StageAttribution.gaps} over the preps: in how many the stretch occurs, its total and its median there. */
  gaps: Record<string, { preps: number; sum: number; p50: number }>;
}

export function summarizeAttribution(rows: StageAttribution[]): AttributionSummary {
  const agg = (get: (r: StageAttribution) => number) => {
    const xs = rows.map(get);
    return { sum: Math.round(xs.reduce((a, b) => a + b, 0)), p50: Math.round(percentile(xs, 50)) };
  };
  const byOp: AttributionSummary["byOp"] = {};
  for (const r of rows) {
    for (const [op, [n, q, wk, h]] of Object.entries(r.byOp)) {
      const o = (byOp[op] ??= { calls: 0, queueMs: 0, workMs: 0, hopMs: 0 });
      o.calls += n;
      o.queueMs += q;
      o.workMs += wk;
      o.hopMs += h;
    }
  }
  for (const o of Object.values(byOp)) for (const k of ["queueMs", "workMs", "hopMs"] as const) o[k] = Math.round(o[k]);
  const gapMs: Record<string, number[]> = {};
  for (const r of rows) for (const [k, ms] of Object.entries(r.gaps ?? {})) (gapMs[k] ??= []).push(ms);
  const gaps = Object.fromEntries(
    Object.entries(gapMs)
      .sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0))
      .map(([k, xs]) => [k, { preps: xs.length, sum: Math.round(xs.reduce((a, b) => a + b, 0)), p50: Math.round(percentile(xs, 50)) }]),
  );
  return {
    preps: rows.length,
    wallMs: agg((r) => r.wallMs),
    ctxcMs: agg((r) => r.ctxcMs),
    stockMs: agg((r) => r.stockMs),
    queueMs: agg((r) => r.queueMs),
    workMs: agg((r) => r.workMs),
    hopMs: agg((r) => r.hopMs),
    calls: agg((r) => r.calls),
    rounds: agg((r) => r.rounds),
    restMs: agg((r) => r.wallMs - r.ctxcMs),
    byOp,
    gaps,
  };
}
