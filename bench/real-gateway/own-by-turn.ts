/**
 * ctxc's own main-thread time per agent turn, each sample given to the turn it served (issue #11: "≤ 10 ms
 * of main-thread transcript work per turn", the first turn after a restart above all).
 *
 * The profile's first-turn split (run.ts `summarizeWindows`) counts every sample inside ANY agent's first-turn
 * window: at a restart four agents answer within ~0.1 s of each other and one ~2 s later, so the four's second
 * turns (their repair check, open, digests) run inside that last window and count as first turns. Here each
 * sample in one of ctxc's handler frames (`ctxc NAME` in transcriptByFunction) is placed by the preload's call
 * trace (`--trace`: a `fn` line per handler call with its transcript, start and duration): the call running at
 * the sample's time names the session, the session names the agent, and the agent's messages name the turn —
 * turn k is everything its session does from the k-th message until the next one (so a turn's write after
 * its reply is the turn's). Both clocks are exact: the profile's samples are on V8's monotonic clock (the
 * clock of `process.hrtime`), the trace's on `performance.timeOrigin + performance.now()`, and the profile
 * preload writes one instant on both (`<profile>.clock`).
 *
 * Which call was running: the traced calls whose span holds the sample, those of the sample's own handler name
 * if any (the trace's `SessionManager.NAME` / `NAME611` forms compared without their prefix and digits). An
 * async handler's span holds its awaits, so other sessions' awaiting calls hold the samples of a synchronous
 * one too — the name settles those. When calls of more than one session remain (two sessions' calls of one
 * async handler awaiting the worker at once, or a frame named like none), the one that last started or
 * resumed is taken as the one running — a rule of thumb, not a proof: the main thread runs one continuation
 * at a time, and a worker request's trace line gives the moment its caller resumed (asked + pool + port + work
 * + paused + hop), but other awaits (fs, timers) resume a handler untraced; such samples are summed apart
 * (`byResumeMs`) so a reader can weigh them. A tie is counted apart (`ambiguousMs`), as are samples no call holds
 * (`untracedMs`: ctxc code outside the traced handlers, e.g. a worker reply's dispatch) and a session's samples
 * before its first message (`beforeFirstMs`: the restart warm-up).
 */
import type { TraceCall, TraceFn } from "./stage-trace.js";

/** One instant on both clocks, written by cpu-profile-preload.ts right after `Profiler.start`. */
export interface ProfileClock {
  /** `process.hrtime` in µs (V8's profile clock). */
  monoUs: number;
  /** `performance.timeOrigin + performance.now()` in ms (the trace's clock). */
  traceMs: number;
}

/** One message an agent's user sent (the harness's wall clock, epoch ms). */
export interface TurnStart {
  agent: string;
  /** 1 for the agent's first message of the run. */
  n: number;
  sentAt: number;
}

/** One kept profile sample of a ctxc handler frame (profile-summary.ts `SplitSampleHook`). */
export interface OwnSample {
  monoUs: number;
  /** `ctxc NAME`. */
  fn: string;
  dtMs: number;
}

export interface TurnsOwn {
  turns: number;
  ms: number;
  perTurnMs: number;
  /** By handler frame (`ctxc NAME`), ms. */
  byFunction: Record<string, number>;
}

export interface OwnByTurn {
  first: TurnsOwn;
  later: TurnsOwn;
  beforeFirstMs: number;
  untracedMs: number;
  ambiguousMs: number;
  /** The traced calls whose file is no agent's session (`-`, another file), ms of samples they held. */
  otherFileMs: number;
  /** Of first + later, the ms placed by the latest resumption (see the file comment). */
  byResumeMs: number;
  /** The samples not placed in a turn, by handler frame: what `untracedMs` and `ambiguousMs` are made of. */
  unplacedByFunction: Record<string, number>;
}

/** A handler's name as both the trace and the profile can say it: no `SessionManager.` prefix, no release suffix. */
export const handlerKey = (name: string): string => name.replace(/^ctxc /, "").replace(/^[A-Za-z]+\./, "").replace(/\d+$/, "");

const empty = (): TurnsOwn => ({ turns: 0, ms: 0, perTurnMs: NaN, byFunction: {} });

/**
 * Places each sample (see the file comment). `sessions`: session id (the transcript's file name without
 * `.jsonl`, as the trace writes it) → agent; `turns`: every message of the run.
 */
export function ownByTurn(
  samples: readonly OwnSample[],
  clock: ProfileClock,
  trace: { fns: readonly TraceFn[]; calls: readonly TraceCall[] },
  sessions: ReadonlyMap<string, string>,
  turns: readonly TurnStart[],
): OwnByTurn {
  const out: OwnByTurn = { first: empty(), later: empty(), beforeFirstMs: 0, untracedMs: 0, ambiguousMs: 0, otherFileMs: 0, byResumeMs: 0, unplacedByFunction: {} };
  const unplaced = (s: OwnSample) => (out.unplacedByFunction[s.fn] = (out.unplacedByFunction[s.fn] ?? 0) + s.dtMs);
  // Each file's worker replies, as the moments its callers resumed (ascending).
  const resumed = new Map<string, number[]>();
  for (const c of trace.calls) {
    const at = c.t + c.pool + c.port + c.work + c.paused + c.hop;
    if (Number.isFinite(at)) (resumed.get(c.file) ?? resumed.set(c.file, []).get(c.file)!).push(at);
  }
  for (const list of resumed.values()) list.sort((a, b) => a - b);
  /** The latest of `from` and the file's resumptions in [from, at]. */
  const lastActive = (file: string, from: number, at: number): number => {
    let last = from;
    for (const r of resumed.get(file) ?? []) {
      if (r > at) break;
      if (r >= from) last = r;
    }
    return last;
  };
  const byAgent = new Map<string, TurnStart[]>();
  for (const t of turns) (byAgent.get(t.agent) ?? byAgent.set(t.agent, []).get(t.agent)!).push(t);
  for (const list of byAgent.values()) list.sort((a, b) => a.sentAt - b.sentAt);
  out.first.turns = [...byAgent.values()].filter((l) => l.some((t) => t.n === 1)).length;
  out.later.turns = turns.length - out.first.turns;
  // The trace rounds t and ms to 0.1 ms: a sample that close to a call's edge is still the call's.
  const SLACK = 0.15;
  const calls = trace.fns.map((f) => ({ from: f.t - SLACK, to: f.t + f.ms + SLACK, t: f.t, key: handlerKey(f.name), file: f.file }));
  for (const s of samples) {
    const at = clock.traceMs + (s.monoUs - clock.monoUs) / 1000;
    const holding = calls.filter((c) => c.from <= at && at <= c.to);
    if (holding.length === 0) {
      out.untracedMs += s.dtMs;
      unplaced(s);
      continue;
    }
    const key = handlerKey(s.fn);
    const named = holding.filter((c) => c.key === key);
    const pool = named.length > 0 ? named : holding;
    let call = pool.reduce((a, b) => (b.t > a.t ? b : a));
    let byResume = false;
    if (pool.some((c) => c.file !== call.file)) {
      // Calls of several sessions hold it, and its name does not single one out: the last to start or resume.
      const active = pool.map((c) => ({ c, last: lastActive(c.file, c.t, at) }));
      const top = Math.max(...active.map((a) => a.last));
      const leaders = new Set(active.filter((a) => a.last === top).map((a) => a.c.file));
      if (leaders.size > 1) {
        out.ambiguousMs += s.dtMs;
        unplaced(s);
        continue;
      }
      call = active.find((a) => a.last === top)!.c;
      byResume = true;
    }
    const agent = sessions.get(call.file);
    if (agent === undefined) {
      out.otherFileMs += s.dtMs;
      continue;
    }
    const list = byAgent.get(agent) ?? [];
    let turn: TurnStart | undefined;
    for (const t of list) if (t.sentAt <= at) turn = t;
    if (!turn) {
      out.beforeFirstMs += s.dtMs;
      continue;
    }
    const part = turn.n === 1 ? out.first : out.later;
    if (byResume) out.byResumeMs += s.dtMs;
    part.ms += s.dtMs;
    part.byFunction[s.fn] = (part.byFunction[s.fn] ?? 0) + s.dtMs;
  }
  for (const part of [out.first, out.later]) {
    part.perTurnMs = part.turns > 0 ? part.ms / part.turns : NaN;
    part.ms = Math.round(part.ms * 10) / 10;
    for (const k of Object.keys(part.byFunction)) part.byFunction[k] = Math.round(part.byFunction[k]! * 10) / 10;
  }
  for (const k of ["beforeFirstMs", "untracedMs", "ambiguousMs", "otherFileMs", "byResumeMs"] as const) out[k] = Math.round(out[k] * 10) / 10;
  for (const k of Object.keys(out.unplacedByFunction)) out.unplacedByFunction[k] = Math.round(out.unplacedByFunction[k]! * 10) / 10;
  return out;
}
