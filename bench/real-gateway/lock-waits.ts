/**
 * The session write lock's waits in a `--trace` run (issue #11): the preload's `lock` trace lines
 * (src/openclaw/lock-trace.ts) — one per grant and one per release, each with the OpenClaw call site —
 * laid over the preps' `session-resource-loader` windows (stage-trace.ts `stageWindow`).
 *
 * The stage's own acquire is the grant of the prep's session whose acquire started inside its window
 * (2026.5.12: `acquireSessionWriteLock` in `runEmbeddedAttempt` right after the `system-prompt` mark;
 * 2026.7.35: `createEmbeddedAttemptSessionLockController`); its `wait` is what the stage paid for the lock,
 * `holder` who held it when it asked, and `lag` how long after that holder's release it got it (OpenClaw
 * retries every 50 ms: the wait is quantised to that step, plus the main thread's delay).
 */
import { percentile, type StageSummary } from "./log-parse.js";
import { stageWindow } from "./stage-trace.js";

export interface LockGrant {
  file: string;
  /** Epoch ms the acquire started. */
  t: number;
  wait: number;
  tries: number;
  site: string;
  /** The in-process holder's site when the acquire started, `-` for none. */
  holder: string;
  /** How long that holder had held the lock when the acquire started (NaN: no holder). */
  held: number;
  /** From the release waited for to the grant (NaN: none waited for). */
  lag: number;
  /** From `acquireSessionWriteLock`'s entry to the acquire start `t`: its realpath, mkdir and the manager's mkdir, realpath (NaN: not traced). */
  asked: number;
}
export interface LockRelease {
  file: string;
  /** Epoch ms it was granted. */
  t: number;
  hold: number;
  site: string;
  end: string;
}
export interface LockTrace {
  grants: LockGrant[];
  releases: LockRelease[];
}

const NUM = "([\\d.]+|NaN)";
const GRANT_RE = new RegExp(`ctxc-openclaw trace: lock grant file=(\\S+) t=${NUM} wait=${NUM} tries=(\\d+) site=(\\S+) holder=(\\S+) held=${NUM} lag=${NUM}(?: asked=${NUM})?`);
const RELEASE_RE = new RegExp(`ctxc-openclaw trace: lock release file=(\\S+) t=${NUM} hold=${NUM} site=(\\S+) end=(\\S+)`);

/** The `lock` trace lines of a preload log (other lines ignored). */
export function parseLockTrace(lines: Iterable<string>): LockTrace {
  const out: LockTrace = { grants: [], releases: [] };
  for (const line of lines) {
    let m = GRANT_RE.exec(line);
    if (m) {
      out.grants.push({ file: m[1]!, t: Number(m[2]), wait: Number(m[3]), tries: Number(m[4]), site: m[5]!, holder: m[6]!, held: Number(m[7]), lag: Number(m[8]), asked: m[9] === undefined ? NaN : Number(m[9]) });
      continue;
    }
    m = RELEASE_RE.exec(line);
    if (m) out.releases.push({ file: m[1]!, t: Number(m[2]), hold: Number(m[3]), site: m[4]!, end: m[5]! });
  }
  return out;
}

/** The stage's window is rebuilt from ms-rounded figures: an acquire this close outside it still belongs to it. */
const SLACK_MS = 2;

/** The grant of `s`'s own stage acquire (the first of its session starting inside the window), or null. */
export function stageGrant(s: StageSummary, trace: LockTrace, stage = "session-resource-loader"): LockGrant | null {
  const w = stageWindow(s, stage);
  if (!w) return null;
  const inside = trace.grants.filter((g) => g.file === s.sessionId && g.t >= w.from - SLACK_MS && g.t <= w.to + SLACK_MS).sort((a, b) => a.t - b.t);
  return inside[0] ?? null;
}

type Span = { n: number; p50: number; p99: number; sum: number };
const span = (xs: number[]): Span => ({ n: xs.length, p50: Math.round(percentile(xs, 50)), p99: Math.round(percentile(xs, 99)), sum: Math.round(xs.reduce((a, b) => a + b, 0)) });

/** The stage's lock waits over some preps, and every acquisition of the run by site. */
export interface LockWaitSummary {
  /** Preps whose stage acquire was found, of all given. */
  preps: number;
  found: number;
  /** The stage acquires' waits (ms). */
  wait: Span;
  /** Of them, those that met an in-process holder or made a contended attempt. */
  contended: number;
  /**
   * Stage start → the grant, and of it `acquireSessionWriteLock`'s entry → the manager's acquire start
   * (`asked`: realpath, mkdir, mkdir, realpath; on 2026.5.12 the stage starts right before the call).
   */
  toGrant: Span;
  asked: Span;
  /** Per stage acquire: its session, stage start → grant, asked, wait, retries, holder (for a closer look at a run). */
  rows: Array<{ sessionId: string; toGrant: number; asked: number; wait: number; tries: number; holder: string }>;
  /** Contended attempts (50 ms retry steps) per stage acquire: p50 and max. */
  tries: { p50: number; max: number };
  /** Holder's release → grant, for the acquires that waited for one. */
  lag: Span;
  /** The holders the stage acquires met, largest total wait first: how often, the wait they cost, how long they had held it already. */
  holders: Array<{ holder: string; n: number; waitSum: number; waitP50: number; heldP50: number }>;
  /** Every acquisition of the run, by site: how many and how long each held the lock (release lines). */
  holds: Array<{ site: string; end: string; n: number; p50: number; p99: number; sum: number }>;
}

export function summarizeLockWaits(preps: StageSummary[], trace: LockTrace): LockWaitSummary {
  const found = preps.map((s) => ({ s, g: stageGrant(s, trace), w: stageWindow(s, "session-resource-loader") })).filter((x) => x.g !== null && x.w !== null);
  const grants = found.map((x) => x.g!);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const rows = found.map(({ s, g, w }) => ({ sessionId: s.sessionId, toGrant: r1(g!.t + g!.wait - w!.from), asked: r1(g!.asked), wait: r1(g!.wait), tries: g!.tries, holder: g!.holder }));
  const contended = grants.filter((g) => g.holder !== "-" || g.tries > 0);
  const byHolder = new Map<string, LockGrant[]>();
  for (const g of contended) byHolder.set(g.holder, [...(byHolder.get(g.holder) ?? []), g]);
  const holders = [...byHolder]
    .map(([holder, gs]) => ({ holder, n: gs.length, waitSum: Math.round(gs.reduce((a, g) => a + g.wait, 0)), waitP50: Math.round(percentile(gs.map((g) => g.wait), 50)), heldP50: Math.round(percentile(gs.map((g) => g.held).filter(Number.isFinite), 50)) }))
    .sort((a, b) => b.waitSum - a.waitSum);
  const bySite = new Map<string, LockRelease[]>();
  for (const r of trace.releases) bySite.set(`${r.site}\u0000${r.end}`, [...(bySite.get(`${r.site}\u0000${r.end}`) ?? []), r]);
  const holds = [...bySite]
    .map(([k, rs]) => {
      const [site, end] = k.split("\u0000") as [string, string];
      return { site, end, ...span(rs.map((r) => r.hold)) };
    })
    .sort((a, b) => b.sum - a.sum);
  const tries = grants.map((g) => g.tries);
  return {
    preps: preps.length,
    found: grants.length,
    wait: span(grants.map((g) => g.wait)),
    toGrant: span(rows.map((r) => r.toGrant)),
    asked: span(grants.map((g) => g.asked).filter(Number.isFinite)),
    rows,
    contended: contended.length,
    tries: { p50: Math.round(percentile(tries, 50)), max: tries.length ? Math.max(...tries) : 0 },
    lag: span(grants.map((g) => g.lag).filter(Number.isFinite)),
    holders,
    holds,
  };
}
