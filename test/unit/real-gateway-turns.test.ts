/**
 * bench/real-gateway's first-turn vs later-turn split (issue #11): each session's first `prep stages`
 * line in log order is its first turn; the load-phase profile is split by the agents' first-turn windows
 * (overlapping, a sample counted once when inside any); the report renders both views, and a result
 * made before the split renders as before.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseGatewayLog, splitFirstPreps, stageTable } from "../../bench/real-gateway/log-parse.js";
import { renderRealGatewaySection, renderProfileTable } from "../../bench/real-gateway/render.js";
import { summarizeWindows, type ModeResult } from "../../bench/real-gateway/run.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("real-gateway-turns");

/** One `prep stages` record of OpenClaw's file log (2026.5–7 form). */
const prep = (runId: string, sessionId: string, srl: number, total: number) =>
  JSON.stringify({ 0: '{"subsystem":"agent/embedded"}', 1: `[trace:embedded-run] prep stages: runId=${runId} sessionId=${sessionId} phase=stream-ready totalMs=${total} stages=bootstrap-context:5ms@10ms,session-resource-loader:${srl}ms@${srl + 10}ms`, _meta: { logLevelName: "DEBUG" } });
const startup = (sessionId: string) =>
  JSON.stringify({ 1: `[trace:embedded-run] startup stages: runId=u sessionId=${sessionId} phase=attempt-dispatch totalMs=900 stages=workspace:9ms@9ms`, _meta: { logLevelName: "DEBUG" } });

describe("first prep per session", () => {
  it("splits interleaved sessions by their first prep line, a one-prep session only in the first part", () => {
    // s1 and s2 interleave; s3 has one prep; startup lines (even for a session not yet prepped) do not count.
    const log = [startup("s2"), prep("a", "s1", 300, 400), prep("b", "s2", 280, 390), prep("c", "s1", 4, 60), prep("d", "s3", 310, 420), prep("e", "s2", 6, 70), prep("f", "s1", 5, 50)].join("\n");
    const { first, later } = splitFirstPreps(parseGatewayLog(log).stageSummaries);
    expect(first.map((s) => s.runId)).toEqual(["a", "b", "d"]);
    expect(later.map((s) => s.runId)).toEqual(["c", "e", "f"]);
    expect(stageTable(first, "prep")["session-resource-loader"]).toEqual({ n: 3, p50: 300, p99: 310, max: 310 });
    expect(stageTable(later, "prep")["session-resource-loader"]).toEqual({ n: 3, p50: 5, p99: 6, max: 6 });
    expect(stageTable(later, "prep")["(total)"]).toMatchObject({ n: 3, p50: 60 });
  });
});

describe("profile split by first-turn windows", () => {
  /** (root) → repairSessionFileIfNeeded (read), flushSessionManagerFile (write), (idle); one sample every 10 ms from t = 0. */
  function profile(samples: number[]): string {
    const names = ["(root)", "repairSessionFileIfNeeded", "flushSessionManagerFile", "(idle)"];
    const nodes = names.map((functionName, i) => ({ id: i + 1, callFrame: { functionName, scriptId: "0", url: "", lineNumber: 0, columnNumber: 0 }, children: i === 0 ? [2, 3, 4] : [] }));
    const path = join(dir, `p${samples.join("")}.cpuprofile`);
    writeFileSync(path, JSON.stringify({ nodes, startTime: 0, endTime: samples.length * 10_000, samples, timeDeltas: [0, ...Array<number>(samples.length - 1).fill(10_000)] }));
    return path;
  }
  const READS = "transcript: OpenClaw/pi reads (repair pass, SessionManager.open, leaf scans, mirror checks)";
  const WRITES = "transcript: OpenClaw writes (whole-file rewrite after each turn, serialise + hash)";

  it("charges a sample inside any (overlapping) first-turn window once, the rest to later turns, and ends blocks at a window's edge", () => {
    //           t =  0  10 20 30 40 50 60 70 80 90 100
    const path = profile([2, 2, 2, 3, 3, 2, 2, 4, 3, 1, 4]);
    // [0,25] and [15,28] overlap (t = 20 in both); a gap at t = 30; [35,45] holds t = 40.
    const s = summarizeWindows(path, { loadFromMs: 0, loadToMs: 100, firstTurns: [[0, 25], [15, 28], [35, 45]] });
    const first = s.byTurn!.firstTurns, later = s.byTurn!.laterTurns;
    expect(first.ms).toEqual({ [READS]: 30, [WRITES]: 10 });
    expect(first.windowMs).toBe(40);
    expect(later.ms).toEqual({ [WRITES]: 20, [READS]: 20, idle: 10, other: 10 });
    expect(first.windowMs + later.windowMs).toBe(s.load.windowMs);
    // t = 0..20 reads and t = 40 writes are separate blocks: the sample between them is not a first-turn one.
    expect(first.longestBlocks!.map((b) => b.ms)).toEqual([30, 10]);
    expect(first.transcriptByFunction).toEqual({ repairSessionFileIfNeeded: 30, flushSessionManagerFile: 10 });
    expect(later.transcriptByFunction).toEqual({ repairSessionFileIfNeeded: 20, flushSessionManagerFile: 20 });
  });

  it("has no split for a window made before first turns were recorded", () => {
    expect(summarizeWindows(profile([2, 4, 3]), { loadFromMs: 0, loadToMs: null }).byTurn).toBeUndefined();
  });
});

describe("report", () => {
  const span = (n: number, p50: number, p99 = p50) => ({ n, p50, p99, max: p99 });
  const base = (mode: "stock" | "ctxc"): ModeResult => ({
    mode, ok: true, startupMs: 30_000, agents: 5, messagesSent: 20, repliesReceived: 20, replyLatencyMs: span(20, 9000, 30_000), perAgentReplies: {},
    longPollTurnaroundMs: span(1, 8), updateDeliveryMs: span(1, 1), prepStages: { "session-resource-loader": span(20, 40, 900), "(total)": span(20, 300, 1400) }, startupStages: {},
    starvationLines: 0, livenessWarnings: 0, starvationSamples: [], livenessSamples: [], logErrorsSample: [], telegramCalls: {}, telegramUnexpected: {}, modelUnexpected: {},
    modelRequests: { n: 20, bytesP50: 1, messagesP50: 1 }, appendedEntries: {}, appendedLinks: {}, seedPrefixIntact: {}, seedEntriesIntact: {}, ctxcLog: [],
  });
  const doc = (modes: ModeResult[]) => ({ openclaw: "2026.7.35", node: "24.22.3", date: "2026-12-03T06:00:00Z", durationS: 60, modes, transcriptCheck: null });
  const summary = (ms: Record<string, number>, fns: Record<string, number>, windowMs: number) => ({ windowMs, ms, busyShare: 1, transcriptByFunction: fns });

  it("renders first vs later rows next to the unchanged all-turns rows", () => {
    const m: ModeResult = {
      ...base("ctxc"),
      prepStagesByTurn: { first: { "session-resource-loader": span(5, 700, 900), "(total)": span(5, 1200, 1400) }, later: { "session-resource-loader": span(15, 12, 30), "(total)": span(15, 250, 400) } },
      replyLatencyByTurn: { first: span(5, 20_000, 30_000), later: span(15, 8000, 12_000) },
    };
    const md = renderRealGatewaySection(doc([m]));
    expect(md).toContain("| prep session-resource-loader (ms) | 40 | 900 |");
    expect(md).toContain("| prep session-resource-loader (ms) | first | 5 | 700 | 900 |");
    expect(md).toContain("| prep session-resource-loader (ms) | later | 15 | 12 | 30 |");
    expect(md).toContain("| prep (total) (ms) | later | 15 | 250 | 400 |");
    expect(md).toContain("| message → reply (ms) | first | 5 | 20000 | 30000 |");
  });

  it("renders a result from before the split as before (no split rows, no split profile table)", () => {
    const m: ModeResult = { ...base("stock"), mainThreadProfile: { startup: summary({}, {}, 1), load: summary({ [`transcript: OpenClaw/pi reads (x)`]: 100 }, { repairSessionFileIfNeeded: 100 }, 1000) } };
    const md = renderRealGatewaySection(doc([m]), doc([m]));
    expect(md).not.toContain("First turn vs later turns");
    expect(md).not.toContain("first-turn window");
    expect(md).toContain("| prep session-resource-loader (ms) | 40 | 900 |");
  });

  it("renders the profile split per turn of each kind, saying how overlapping windows are charged", () => {
    const reads = "transcript: OpenClaw/pi reads (x)";
    const m: ModeResult = {
      ...base("stock"),
      prepStagesByTurn: { first: { "(total)": span(5, 1200) }, later: { "(total)": span(10, 250) } },
      mainThreadProfile: {
        startup: summary({}, {}, 1),
        load: summary({ [reads]: 2000, idle: 100 }, { repairSessionFileIfNeeded: 2000 }, 3000),
        byTurn: { firstTurns: summary({ [reads]: 1500, idle: 0 }, { repairSessionFileIfNeeded: 1500 }, 1600), laterTurns: summary({ [reads]: 500, idle: 100 }, { repairSessionFileIfNeeded: 500 }, 1400) },
      },
    };
    const md = renderProfileTable(doc([m]));
    expect(md).toContain("ANY agent's first-turn window");
    // 1500 ms over 5 first turns, 500 ms over 10 later ones.
    expect(md).toContain(`| ${reads} | 1500 | 300 | 500 | 50 |`);
    expect(md).toContain("| `repairSessionFileIfNeeded` | 1500 | 300 | 500 | 50 |");
    expect(md).toContain("| window (ms; busy ms) | 1600 | busy 1600 | 1400 | busy 1300 |");
  });
});
