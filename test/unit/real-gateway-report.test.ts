/**
 * bench/real-gateway's log reading and report for a 2026.8+ (SQLite-era) stock run: 2026.9.x's prep-stage
 * lines (extra pid/thread fields) and `slow SQLite session write` records are read, and the section
 * rendered from such a run shows how the store was seeded and its slow writes instead of the JSONL
 * write checks, which do not apply there.
 */
import { describe, expect, it } from "vitest";
import { parseGatewayLog, stageTable } from "../../bench/real-gateway/log-parse.js";
import { renderRealGatewaySection } from "../../bench/real-gateway/render.js";
import type { ModeResult } from "../../bench/real-gateway/run.js";

/** One record of OpenClaw's file log: the message parts under "0", "1", … as its logger writes them. */
const record = (...parts: unknown[]) => JSON.stringify({ ...parts, _meta: { logLevelName: "WARN" }, message: "" });

const PREP_2026_9 =
  "[trace:embedded-run] prep stages: runId=r1 sessionId=s1 phase=stream-ready pid=42 threadId=0 isMainThread=true totalMs=819 stages=bootstrap-context:55ms@264ms,session-resource-loader:380ms@779ms";
const slowWrite = (pid: number, operation: string, queueWaitMs: number, writerExecutionMs: number) =>
  record('{"subsystem":"session-sqlite"}', "slow SQLite session write", { agentId: "sub1", pid, threadId: 0, isMainThread: true, operation, elapsedMs: queueWaitMs + writerExecutionMs, queueWaitMs, writerExecutionMs });

describe("real-gateway log and report, SQLite era", () => {
  it("reads 2026.9.x prep stages and slow session writes", () => {
    const d = parseGatewayLog([record('{"subsystem":"agent/embedded"}', PREP_2026_9), slowWrite(7, "session.import.batch", 0, 3626), slowWrite(42, "session.transcript.turn", 9466, 38)].join("\n"));
    expect(stageTable(d.stageSummaries, "prep")["session-resource-loader"]).toMatchObject({ n: 1, p50: 380 });
    expect(stageTable(d.stageSummaries, "prep")["(total)"]).toMatchObject({ n: 1, p50: 819 });
    expect(d.slowSessionWrites.map((w) => [w.pid, w.operation, w.queueWaitMs, w.writerExecutionMs])).toEqual([[7, "session.import.batch", 0, 3626], [42, "session.transcript.turn", 9466, 38]]);
  });

  it("renders a stock-only SQLite-era run with its seeding and slow writes, without the JSONL write checks", () => {
    const span = (p50: number) => ({ n: 1, p50, p99: p50, max: p50 });
    const mode = {
      mode: "stock", ok: true, startupMs: 35_552, agents: 5, messagesSent: 2, repliesReceived: 2, replyLatencyMs: span(11_946), perAgentReplies: {},
      longPollTurnaroundMs: span(8), updateDeliveryMs: span(1), prepStages: { "(total)": span(819) }, startupStages: {}, starvationLines: 0, livenessWarnings: 0,
      starvationSamples: [], livenessSamples: [], logErrorsSample: [], telegramCalls: {}, telegramUnexpected: {}, modelUnexpected: {},
      modelRequests: { n: 2, bytesP50: 1, messagesP50: 1 }, appendedEntries: {}, appendedLinks: {}, seedPrefixIntact: {}, seedEntriesIntact: {}, ctxcLog: [],
      sqlite: { doctorFixMs: 34_740, importMs: 0, slowSessionWrites: parseGatewayLog(slowWrite(42, "session.transcript.turn", 9466, 38)).slowSessionWrites },
    } satisfies ModeResult;
    const md = renderRealGatewaySection({ openclaw: "2026.9.6", node: "24.22.3", date: "2026-12-02T15:48:00Z", durationS: 60, modes: [mode], transcriptCheck: null });
    expect(md).toContain("`openclaw doctor --fix` 35 s");
    expect(md).toMatch(/\| `session\.transcript\.turn` \| 1 \| 9466 \/ 9466 \| 38 \/ 38 \|/);
    expect(md).not.toContain("parentId names no earlier entry");
    expect(md).not.toContain("seeded entries");
    expect(md).toContain("Stock only");
  });
});
