/**
 * bench/real-gateway/own-by-turn.ts: a ctxc handler sample goes to the turn of the session whose traced call
 * was running — not to whichever agent's first-turn window it fell in — and samples it cannot place are
 * counted apart. Plus the profile summary's per-sample hook that feeds it (monotonic time, function key).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { handlerKey, ownByTurn, type OwnSample, type TurnStart } from "../../bench/real-gateway/own-by-turn.js";
import { summarizeProfile } from "../../bench/real-gateway/profile-summary.js";
import type { TraceCall, TraceFn } from "../../bench/real-gateway/stage-trace.js";
import { tempDir } from "../support/tmp.js";

// The trace's clock is 1,000,000 ms ahead of the profile's monotonic clock (µs / 1000).
const clock = { monoUs: 5_000_000, traceMs: 1_005_000 };
/** A sample at trace time `at` (ms), `dtMs` long, in handler frame `name`. */
const sample = (at: number, name: string, dtMs = 1): OwnSample => ({ monoUs: (at - 1_000_000) * 1000, fn: `ctxc ${name}`, dtMs });
const fn = (name: string, file: string, t: number, ms: number): TraceFn => ({ name, file, t, ms, stock: 0 });
/** A worker request of `file` whose caller resumed at `resumedAt`. */
const call = (file: string, t: number, resumedAt: number): TraceCall => ({ op: "repairCheck", file, prio: "open", t, pool: 1, port: 1, work: resumedAt - t - 3, paused: 0, hop: 1 });
const sessions = new Map([["s-main", "main"], ["s-sub1", "sub1"]]);

describe("ctxc's own time by the turn it served", () => {
  // main: messages at 1000 (first) and 3000; sub1: first at 1000, still in it at 3500 (a slow first turn).
  const turns: TurnStart[] = [
    { agent: "main", n: 1, sentAt: 1000 },
    { agent: "sub1", n: 1, sentAt: 1000 },
    { agent: "main", n: 2, sentAt: 3000 },
  ];

  it("gives a sample inside another agent's first-turn window to the session's own later turn", () => {
    const fns = [fn("SessionManager.setLoadedSessionFile", "s-main", 3200, 5), fn("repairPass611", "s-sub1", 3100, 400)];
    // At 3202 sub1's repair pass is awaiting (its span holds the time) while main's open runs synchronously.
    const r = ownByTurn([sample(3202, "setLoadedSessionFile", 2), sample(3300, "repairPass", 1)], clock, { fns, calls: [] }, sessions, turns);
    expect(r.later).toMatchObject({ turns: 1, ms: 2, byFunction: { "ctxc setLoadedSessionFile": 2 } });
    expect(r.first).toMatchObject({ turns: 2, ms: 1, byFunction: { "ctxc repairPass": 1 } });
    expect(r.first.perTurnMs).toBe(0.5);
    expect(r.ambiguousMs).toBe(0);
  });

  it("counts a turn's work after its reply (until the next message) as that turn's", () => {
    // main's first reply came at ~2500; its rewrite at 2800 is still its first turn, the one at 3400 its second.
    const fns = [fn("SessionManager.rewriteFile", "s-main", 2800, 3), fn("SessionManager.rewriteFile", "s-main", 3400, 3)];
    const r = ownByTurn([sample(2801, "rewriteFile"), sample(3401, "rewriteFile")], clock, { fns, calls: [] }, sessions, turns);
    expect(r.first.ms).toBe(1);
    expect(r.later.ms).toBe(1);
  });

  it("keeps apart what it cannot place: no call, two sessions' calls of one name, another file, before the first message", () => {
    const fns = [
      // Two sessions' passes asked at the same moment, neither resumed yet: no way to tell.
      fn("repairPass611", "s-main", 3100, 300),
      fn("repairPass611", "s-sub1", 3100, 300),
      fn("readSessionFileDigest", "-", 3600, 2),
      fn("SessionManager.setLoadedSessionFile", "s-sub1", 900, 2),
    ];
    const r = ownByTurn(
      [sample(2000, "repairPass", 3), sample(3200, "repairPass", 4), sample(3601, "readSessionFileDigest", 5), sample(901, "setLoadedSessionFile", 6)],
      clock,
      { fns, calls: [] },
      sessions,
      turns,
    );
    expect(r).toMatchObject({ untracedMs: 3, ambiguousMs: 4, otherFileMs: 5, beforeFirstMs: 6 });
    expect(r.unplacedByFunction).toEqual({ "ctxc repairPass": 7 });
    expect(r.first.ms + r.later.ms).toBe(0);
  });

  it("gives a sample two sessions' awaiting calls hold to the one whose worker reply resumed it last", () => {
    const fns = [fn("repairPass611", "s-main", 3100, 300), fn("repairPass611", "s-sub1", 3150, 300)];
    // main's check came back at 3250 (after sub1's call started), sub1's at 3300.
    const calls = [call("s-main", 3100, 3250), call("s-sub1", 3150, 3300)];
    const r = ownByTurn([sample(3260, "repairPass", 2), sample(3310, "repairPass", 3), sample(3160, "repairPass", 4)], clock, { fns, calls }, sessions, turns);
    // 3260: main resumed last → main's second turn; 3310: sub1 → its first turn; 3160: sub1's call started last.
    expect(r.later.ms).toBe(2);
    expect(r.first.ms).toBe(7);
    expect(r.byResumeMs).toBe(9);
    expect(r.ambiguousMs).toBe(0);
  });

  it("names handlers alike in the trace and the profile", () => {
    expect(handlerKey("SessionManager.setLoadedSessionFile")).toBe("setLoadedSessionFile");
    expect(handlerKey("repairPass611")).toBe("repairPass");
    expect(handlerKey("ctxc repairPass")).toBe("repairPass");
    expect(handlerKey("ctxc readSessionFileDigest")).toBe("readSessionFileDigest");
  });
});

describe("the profile summary's per-sample hook", () => {
  it("tells each split sample's monotonic time and function key", () => {
    const dir = tempDir("own-by-turn");
    const ctxc = "file:///x/node_modules/ctxc/dist/src/openclaw/preload-runtime.js";
    const names: Array<[string, string]> = [["(root)", ""], ["setLoadedSessionFile", ctxc], ["(idle)", ""]];
    const nodes = names.map(([functionName, url], i) => ({ id: i + 1, callFrame: { functionName, scriptId: "0", url, lineNumber: 0, columnNumber: 0 }, children: i === 0 ? [2, 3] : [] }));
    const path = join(dir, "p.cpuprofile");
    // Samples at 7,000,000 + 1000, 2000, 3000 µs: ctxc's open, idle, ctxc's open (the last has no length).
    writeFileSync(path, JSON.stringify({ nodes, startTime: 7_000_000, endTime: 7_003_000, samples: [2, 3, 2], timeDeltas: [1000, 1000, 1000] }));
    const seen: Array<[number, string, number]> = [];
    summarizeProfile(path, 0, Infinity, undefined, (monoUs, f, dt) => seen.push([monoUs, f, dt]));
    expect(seen).toEqual([[7_001_000, "ctxc setLoadedSessionFile", 1], [7_003_000, "ctxc setLoadedSessionFile", 0]]);
  });
});
