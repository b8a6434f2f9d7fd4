/**
 * bench/real-gateway's attribution of the `session-resource-loader` stage from the ctxc preload's call
 * trace (stage-trace.ts, issue #11): the stage window from the prep record's own time, the trace lines
 * of that session only, nested handler spans counted once and clipped to the window, worker requests
 * split into queue / work / hop; the report renders it, and a run without a trace renders as before.
 */
import { describe, expect, it } from "vitest";
import { parseGatewayLog, splitFirstPreps } from "../../bench/real-gateway/log-parse.js";
import { attributeStage, parseCtxcTrace, stageWindow, summarizeAttribution } from "../../bench/real-gateway/stage-trace.js";
import { renderStageTrace } from "../../bench/real-gateway/render.js";
import type { ModeResult } from "../../bench/real-gateway/run.js";
import { prepRecord, traceLine } from "../support/gateway-log.js";

const T0 = Date.parse("2026-12-03T10:00:00.000Z");
const prep = prepRecord;
const trace = traceLine;

describe("the stage window", () => {
  it("runs from the prep's start (logged time − totalMs) + the previous stage's elapsed to its own", () => {
    const [s] = parseGatewayLog(prep("S", T0 + 1000, 1000, "system-prompt:100ms@300ms,session-resource-loader:500ms@800ms,stream-setup:200ms@1000ms")).stageSummaries;
    expect(s!.at).toBe(T0 + 1000);
    expect(stageWindow(s!, "session-resource-loader")).toEqual({ from: T0 + 300, to: T0 + 800 });
    expect(stageWindow(s!, "no-such-stage")).toBeNull();
  });
});

describe("attributing one prep's stage", () => {
  const log = [prep("S", T0 + 1000, 1000, "system-prompt:100ms@300ms,session-resource-loader:500ms@800ms,stream-setup:200ms@1000ms")].join("\n");
  const lines = [
    // Before the window (clipped from 250 to 300), nested inside another span (counted once), after it (ignored).
    // An old trace line without stock= still parses (stock 0).
    trace(`fn name=repairPass611 file=S t=${T0 + 250} ms=100.0`),
    trace(`call op=repairCheck file=S prio=other t=${T0 + 310} pool=5.0 port=10.0 work=20.0 paused=0.0 hop=15.0`),
    trace(`fn name=prewarmSessionFile file=S t=${T0 + 400} ms=200.0 stock=12.5`),
    trace(`fn name=readSessionFileDigest file=S t=${T0 + 450} ms=50.0`),
    trace(`call op=fileDigest file=S prio=open t=${T0 + 451} pool=1.0 port=2.0 work=30.0 paused=4.0 hop=8.0`),
    trace(`fn name=readSessionFileDigest file=S t=${T0 + 900} ms=50.0`),
    // Another session's calls in the same window: not this prep's.
    trace(`fn name=prewarmSessionFile file=OTHER t=${T0 + 300} ms=500.0`),
    trace(`call op=session file=OTHER prio=open t=${T0 + 320} pool=100.0 port=0.0 work=300.0 paused=0.0 hop=1.0`),
    "2026-12-03T10:00:00.000Z ctxc-openclaw fallback: something else",
  ];
  const parsed = parseCtxcTrace(lines);
  const [s] = parseGatewayLog(log).stageSummaries;

  it("parses both kinds of trace lines and nothing else", () => {
    expect(parsed.calls).toHaveLength(3);
    expect(parsed.fns).toHaveLength(5);
    expect(parsed.calls[1]).toEqual({ op: "fileDigest", file: "S", prio: "open", t: T0 + 451, pool: 1, port: 2, work: 30, paused: 4, hop: 8 });
  });

  it("counts the session's handler spans once, clipped to the window, and its worker requests by component", () => {
    const a = attributeStage(s!, parsed)!;
    expect(a.wallMs).toBe(500);
    // [300,350] from the clipped repair span + [400,600] (the digest span inside it counts once).
    expect(a.ctxcMs).toBe(250);
    expect(a.calls).toBe(2);
    // The digest was asked for after the check was back (360): two sequential round trips.
    expect(a.rounds).toBe(2);
    expect(a.queueMs).toBe(5 + 10 + 1 + 2 + 4);
    expect(a.workMs).toBe(50);
    expect(a.hopMs).toBe(23);
    expect(a.byOp).toEqual({ repairCheck: [1, 15, 20, 15], fileDigest: [1, 7, 30, 8] });
    const sum = summarizeAttribution([a]);
    expect(a.stockMs).toBe(12.5);
    expect(sum).toMatchObject({ preps: 1, wallMs: { sum: 500, p50: 500 }, ctxcMs: { sum: 250 }, stockMs: { sum: 13 }, restMs: { sum: 250, p50: 250 } });
  });

  it("names the rest's stretches by the session's calls around them (nested calls inside one, the window's edges)", () => {
    const a = attributeStage(s!, parsed)!;
    // Window [300,800]: the repair span (clipped) to 350, then 350–400 before the prewarm, which (with the digest
    // nested inside it) ends at 600; 600–800 after it (the other session's calls and the digest at 900 not counted).
    expect(a.gaps).toEqual({ "repairPass611→prewarmSessionFile": 50, "prewarmSessionFile→end": 200 });
    expect(Object.values(a.gaps).reduce((x, y) => x + y, 0)).toBe(a.wallMs - a.ctxcMs);
    const owner = parseCtxcTrace([
      trace(`fn name=acquireEmbeddedAttemptSessionFileOwner file=S t=${T0 + 320} ms=1.0`),
      trace(`fn name=repairPass611 file=S t=${T0 + 400} ms=20.0`),
      trace(`fn name=repairPass611 file=S t=${T0 + 500} ms=20.0`),
    ]);
    const b = attributeStage(s!, owner)!;
    expect(b.gaps).toEqual({ "start→acquireEmbeddedAttemptSessionFileOwner": 20, "acquireEmbeddedAttemptSessionFileOwner→repairPass611": 79, "repairPass611→repairPass611": 80, "repairPass611→end": 280 });
    expect(summarizeAttribution([a, b]).gaps["prewarmSessionFile→end"]).toEqual({ preps: 1, sum: 200, p50: 200 });
  });

  it("counts requests asked for while another was away as one round trip with it", () => {
    const overlapping = parseCtxcTrace([
      // A repair check and a session read queued together (back at 360 and 365), then a digest after both.
      trace(`call op=repairCheck file=S prio=other t=${T0 + 310} pool=5.0 port=10.0 work=20.0 paused=0.0 hop=15.0`),
      trace(`call op=session file=S prio=open t=${T0 + 311} pool=0.0 port=30.0 work=4.0 paused=0.0 hop=20.0`),
      trace(`call op=fileDigest file=S prio=open t=${T0 + 370} pool=1.0 port=2.0 work=30.0 paused=4.0 hop=8.0`),
      trace(`call op=fileDigest file=S prio=open t=${T0 + 500} pool=1.0 port=2.0 work=30.0 paused=4.0 hop=8.0`),
    ]);
    const a = attributeStage(s!, overlapping)!;
    expect([a.calls, a.rounds]).toEqual([4, 3]);
    expect(summarizeAttribution([a, { ...a, calls: 5, rounds: 3 }])).toMatchObject({ calls: { sum: 9 }, rounds: { sum: 6 } });
  });

  it("renders a table for a traced run and nothing for a run without a trace", () => {
    const { first, later } = splitFirstPreps(parseGatewayLog(log).stageSummaries);
    const by = (ss: typeof first) => ss.map((x) => attributeStage(x, parsed)!).filter(Boolean);
    const traced = { mode: "ctxc", stageTrace: { first: summarizeAttribution(by(first)), later: summarizeAttribution(by(later)), traceLines: 8 } } as unknown as ModeResult;
    const text = renderStageTrace([traced]);
    expect(text).toContain("| ctxc | first | 1 | 500 (500) | 250 (250) | 22 (22) | 50 (50) | 23 (23) | 13 (13) | 250 (250) |");
    expect(text).toContain("fileDigest ×1: queue 7, work 30, hop 8");
    expect(renderStageTrace([{ mode: "stock" } as unknown as ModeResult])).toBe("");
  });
});
