/**
 * bench/real-gateway's session write lock waits (lock-waits.ts, issue #11) from the preload's `lock` trace
 * lines (src/openclaw/lock-trace.ts): the stage's own acquire is the session's first grant starting inside
 * the prep's `session-resource-loader` window; the waits, contended acquires, retries, lags and holders
 * over the preps; every hold by site; the report's table, and nothing for a run traced before the lock was.
 */
import { describe, expect, it } from "vitest";
import { parseGatewayLog } from "../../bench/real-gateway/log-parse.js";
import { parseLockTrace, stageGrant, summarizeLockWaits } from "../../bench/real-gateway/lock-waits.js";
import { renderLockWaits } from "../../bench/real-gateway/render.js";
import type { ModeResult } from "../../bench/real-gateway/run.js";
import { prepRecord, traceLine } from "../support/gateway-log.js";

const T0 = Date.parse("2026-12-04T10:00:00.000Z");
const prep = prepRecord;
const trace = traceLine;
// Two preps of S: stage windows [T0+300, T0+800] and [T0+2300, T0+2400]; one of U: [T0+5300, T0+5350].
const preps = parseGatewayLog(
  [
    prep("S", T0 + 1000, 1000, "system-prompt:100ms@300ms,session-resource-loader:500ms@800ms,stream-setup:200ms@1000ms"),
    prep("S", T0 + 3000, 1000, "system-prompt:100ms@300ms,session-resource-loader:100ms@400ms,stream-setup:600ms@1000ms"),
    prep("U", T0 + 6000, 1000, "system-prompt:100ms@300ms,session-resource-loader:50ms@350ms,stream-setup:650ms@1000ms"),
  ].join("\n"),
).stageSummaries;
const RUN = "runEmbeddedAttempt<runEmbeddedPiAgent";
const lines = [
  // S's first stage: uncontended. Then the turn's appends take and give back the lock (outside any window).
  trace(`lock grant file=S t=${T0 + 301} wait=4.0 tries=0 site=${RUN} holder=- held=NaN lag=NaN`),
  trace(`lock release file=S t=${T0 + 305} hold=1500.0 site=${RUN} end=cleanupEmbeddedAttemptResources<runEmbeddedAttempt`),
  // S's second stage: met the previous turn's hold (held 1400 ms already), 5 retries, got it 30 ms after the release.
  trace(`lock grant file=S t=${T0 + 1999} wait=280.0 tries=5 site=${RUN} holder=${RUN} held=1400.0 lag=30.0`),
  // A later grant of S in the same window (a write inside the stage): not the stage's acquire.
  trace(`lock grant file=S t=${T0 + 2350} wait=50.0 tries=1 site=appendMessage<persist holder=${RUN} held=10.0 lag=20.0 asked=12.5`),
  // U's stage acquire: a lock file of another process (no in-process holder), 2 retries.
  trace(`lock grant file=U t=${T0 + 5300} wait=101.0 tries=2 site=${RUN} holder=- held=NaN lag=NaN asked=200.0`),
  trace(`lock release file=U t=${T0 + 5401} hold=500.0 site=${RUN} end=cleanupEmbeddedAttemptResources<runEmbeddedAttempt`),
  trace(`lock release file=S t=${T0 + 2279} hold=20.0 site=appendMessage<persist end=persist<runEmbeddedAttempt`),
  "2026-12-04T10:00:00.000Z ctxc-openclaw trace: fn name=prewarmSessionFile file=S t=1 ms=2.0 stock=0.0",
];

describe("the lock trace lines", () => {
  const t = parseLockTrace(lines);
  it("parses grants and releases, NaN where the line says so, and nothing else", () => {
    expect(t.grants).toHaveLength(4);
    expect(t.releases).toHaveLength(3);
    expect(t.grants[1]).toEqual({ file: "S", t: T0 + 1999, wait: 280, tries: 5, site: RUN, holder: RUN, held: 1400, lag: 30, asked: NaN }); // a line before asked=
    expect(t.grants[3]!.asked).toBe(200);
    expect(Number.isNaN(t.grants[0]!.held)).toBe(true);
    expect(t.releases[2]).toEqual({ file: "S", t: T0 + 2279, hold: 20, site: "appendMessage<persist", end: "persist<runEmbeddedAttempt" });
  });

  it("takes the session's first grant starting in the stage window (2 ms slack for ms rounding) as the stage's acquire", () => {
    expect(stageGrant(preps[0]!, t)?.t).toBe(T0 + 301);
    expect(stageGrant(preps[1]!, t)?.t).toBe(T0 + 2350); // T0+1999 is before the window
    expect(stageGrant(preps[2]!, t)?.file).toBe("U");
  });
});

describe("the lock waits summary and its table", () => {
  const t = parseLockTrace(lines);
  it("a prep whose acquire started just before its window (rounding) still counts; a prep with none is not found", () => {
    const early = parseLockTrace([trace(`lock grant file=S t=${T0 + 2298.5} wait=7.0 tries=0 site=${RUN} holder=- held=NaN lag=NaN`)]);
    expect(summarizeLockWaits([preps[1]!], early).found).toBe(1);
    expect(summarizeLockWaits([preps[0]!], early).found).toBe(0);
  });

  const later = summarizeLockWaits([preps[1]!, preps[2]!], t);
  it("sums the stage acquires: waits, contended ones, retries, lags, holders ranked by total wait", () => {
    expect(later).toMatchObject({ preps: 2, found: 2, contended: 2, tries: { p50: 1, max: 2 } });
    expect(later.wait).toEqual({ n: 2, p50: 50, p99: 101, sum: 151 });
    expect(later.lag).toEqual({ n: 1, p50: 20, p99: 20, sum: 20 });
    // Stage start → granted: S's window opens at T0+2300, its acquire started at +2350 and waited 50; U's at +5300, 101.
    expect(later.rows).toEqual([
      { sessionId: "S", toGrant: 100, asked: 12.5, wait: 50, tries: 1, holder: RUN },
      { sessionId: "U", toGrant: 101, asked: 200, wait: 101, tries: 2, holder: "-" },
    ]);
    expect(later.toGrant).toEqual({ n: 2, p50: 100, p99: 101, sum: 201 });
    expect(later.asked).toMatchObject({ n: 2, p50: 13, p99: 200 });
    expect(later.holders).toEqual([
      { holder: "-", n: 1, waitSum: 101, waitP50: 101, heldP50: NaN },
      { holder: RUN, n: 1, waitSum: 50, waitP50: 50, heldP50: 10 },
    ]);
    expect(later.holds.map((h) => [h.site, h.end, h.n, h.sum])).toEqual([
      [RUN, "cleanupEmbeddedAttemptResources<runEmbeddedAttempt", 2, 2000],
      ["appendMessage<persist", "persist<runEmbeddedAttempt", 1, 20],
    ]);
  });

  it("renders one row per mode and turn kind and the holds line; a run without lock waits renders nothing", () => {
    const first = summarizeLockWaits([preps[0]!], t);
    const mode = { mode: "ctxc", lockWaits: { first, later, lines: 7 } } as unknown as ModeResult;
    const md = renderLockWaits([mode, { mode: "stock" } as unknown as ModeResult]);
    expect(md).toContain("| ctxc | first | 1/1 | 5 | – | 4 | 4 | 0 | 0 / 0 | – | none |");
    expect(md).toContain(`| ctxc | later | 2/2 | 100 | 13 | 50 | 101 | 2 | 1 / 2 | 20 | \`-\` (1, 101, 101, –); \`${RUN}\` (1, 50, 50, 10) |`);
    expect(md).toContain(`\`${RUN}\` → \`cleanupEmbeddedAttemptResources<runEmbeddedAttempt\` ×2: p50 500, p99 1500`);
    expect(md).not.toContain("| stock |");
    expect(renderLockWaits([{ mode: "stock" } as unknown as ModeResult])).toBe("");
  });
});
