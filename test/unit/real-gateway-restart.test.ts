/**
 * bench/real-gateway `--restart` (issue #11 item 4 in the real gateway): the pure parts of the restart
 * run — the restarted process's part of OpenClaw's shared log, the preload's summary line, OpenClaw's
 * repair lines, the write check across two runs (entries told apart by id; a rewritten header allowed,
 * any changed entry not), the fake Telegram carrying its bots over to a new process, the named checks
 * and the report.
 */
import { appendFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FakeTelegram } from "../../bench/real-gateway/fake-telegram.js";
import { countFallbackLines, fallbackLinesLine, parseCtxcSummary, parseGatewayLog, readGatewayLog, splitFirstPreps, stageTable } from "../../bench/real-gateway/log-parse.js";
import { renderRealGatewaySection, renderRestart } from "../../bench/real-gateway/render.js";
import { restartChecks } from "../../bench/real-gateway/restart-checks.js";
import type { ModeResult, RestartResult, RunResult } from "../../bench/real-gateway/run.js";
import { addedEntries, bodyOf, idsOf, keepsBody } from "../../bench/real-gateway/write-check.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("real-gateway-restart");

/** One record of OpenClaw's file log (message parts under "0", "1", …). */
const record = (level: string, ...parts: string[]) => JSON.stringify({ ...parts, _meta: { logLevelName: level } });
const prep = (runId: string, sessionId: string, srl: number) =>
  record("DEBUG", '{"subsystem":"agent/embedded"}', `[trace:embedded-run] prep stages: runId=${runId} sessionId=${sessionId} phase=stream-ready totalMs=${srl + 50} stages=session-resource-loader:${srl}ms@${srl}ms`);
const repaired = (n: number) => record("WARN", '{"subsystem":"agent/embedded"}', `session file repaired: rewrote ${n} assistant message(s) (/s/main.jsonl)`);

describe("the restarted gateway's part of OpenClaw's log", () => {
  it("reads from where the log ended when the process started: its own first preps and repairs only", async () => {
    const path = join(dir, "openclaw.log");
    writeFileSync(path, [repaired(3), prep("a", "s1", 900), repaired(2), prep("b", "s2", 800), prep("c", "s1", 20)].join("\n") + "\n");
    const from = statSync(path).size;
    appendFileSync(path, [prep("d", "s2", 40), prep("e", "s1", 30), prep("f", "s2", 10)].join("\n") + "\n");

    const whole = await readGatewayLog(path);
    expect(whole.sessionRepairs).toBe(2);
    expect(splitFirstPreps(whole.stageSummaries).first.map((s) => s.runId)).toEqual(["a", "b"]);

    const restarted = await readGatewayLog(path, from);
    expect(restarted.sessionRepairs).toBe(0);
    const { first, later } = splitFirstPreps(restarted.stageSummaries);
    // Sessions s1 and s2 had preps before the restart: after it their first preps are d and e again.
    expect(first.map((s) => s.runId)).toEqual(["d", "e"]);
    expect(later.map((s) => s.runId)).toEqual(["f"]);
    expect(stageTable(first, "prep")["session-resource-loader"]).toEqual({ n: 2, p50: 30, p99: 40, max: 40 });
    // A log the restarted gateway never wrote to, or none: nothing.
    expect((await readGatewayLog(path, statSync(path).size)).stageSummaries).toEqual([]);
    expect((await readGatewayLog(join(dir, "missing.log"), 10)).lines).toBe(0);
  });

  it("counts OpenClaw's repair lines apart from its other warnings", () => {
    const d = parseGatewayLog([repaired(1), record("WARN", "something else"), repaired(4)].join("\n"));
    expect(d.sessionRepairs).toBe(2);
    expect(d.errors).toHaveLength(3);
  });
});

describe("the ctxc preload's summary line", () => {
  const summary = "2026-12-03T12:00:00.000Z ctxc-openclaw summary: sessionsServed=12 sessionsContinued=7 indexRestored=5 indexRestoredBytes=86000123 indexRejected=0 fallbacks=0";
  it("reads every counter of the summary line, after any number of other lines", () => {
    const lines = ["2026-12-03T11:59:00.000Z ctxc-openclaw active: openclaw 2026.7.35, node v24.22.3, index /s/ctxc/index, pid 4=2", "2026-12-03T11:59:30.000Z ctxc-openclaw fallback: x: y=3", summary];
    expect(parseCtxcSummary(lines)).toEqual({ sessionsServed: 12, sessionsContinued: 7, indexRestored: 5, indexRestoredBytes: 86_000_123, indexRejected: 0, fallbacks: 0 });
  });
  it("is null when the process wrote none (killed, or the preload inactive)", () => {
    expect(parseCtxcSummary(["2026-12-03T11:59:00.000Z ctxc-openclaw inactive: SQLite transcripts; hooks not installed"])).toBeNull();
    expect(parseCtxcSummary([])).toBeNull();
  });
});

describe("the ctxc preload's fallback lines", () => {
  const at = (message: string) => `2026-12-06T11:00:00.000Z ctxc-openclaw fallback: ${message}`;
  it("counts them by what they say, the paths they name taken out, and nothing else", () => {
    const lines = [
      at("recent-conversation read runs: file changed since the worker read it (3 reads, each overtaken by a write) (/s/agents/a/sessions/1.jsonl)"),
      "2026-12-06T11:00:01.000Z ctxc-openclaw active: openclaw 2026.7.35, index /s/ctxc/index",
      at("recent-conversation read runs: file changed since the worker read it (3 reads, each overtaken by a write) (/s/agents/b/sessions/2.jsonl)"),
      at('loadWorkspaceBootstrapFiles runs stock: not a plain absolute path ("/w/odd dir")'),
      at("repair pass runs: errored assistant message with empty content (/s/agents/a/sessions/my dir/1.jsonl)"),
      at("transcriptLeafInfo: Error: ENOENT: no such file, open /s/agents/c/1.jsonl"),
      "2026-12-06T11:00:02.000Z ctxc-openclaw summary: stockRuns=4 fallbacks=0",
    ];
    expect(countFallbackLines(lines)).toEqual({
      "recent-conversation read runs: file changed since the worker read it (3 reads, each overtaken by a write) (…)": 2,
      "loadWorkspaceBootstrapFiles runs stock: not a plain absolute path (…)": 1,
      "repair pass runs: errored assistant message with empty content (…)": 1,
      "transcriptLeafInfo: Error: ENOENT: no such file, open …": 1,
    });
    expect(countFallbackLines([lines[1]!, lines[6]!])).toEqual({});
  });
  it("are rendered most frequent first, or as none", () => {
    expect(fallbackLinesLine("lines", { a: 1, b: 3 })).toBe("lines: 3× b; 1× a.");
    expect(fallbackLinesLine("lines", {})).toBe("lines: none.");
  });
});

describe("write check across two runs", () => {
  const line = (o: Record<string, unknown>) => JSON.stringify(o);
  const header = (cwd: string) => line({ type: "session", version: 3, id: "sess", cwd });
  const msg = (id: string, parentId: string | null, role: string) => line({ type: "message", id, parentId, message: { role, content: "x" } });
  const seed = [header("/seed"), msg("a", null, "user"), msg("b", "a", "assistant")];
  const firstRun = [header("/ws"), ...seed.slice(1), msg("c", "b", "user"), msg("d", "c", "assistant")];
  const file = (lines: string[]) => Buffer.from(lines.join("\n") + "\n");

  it("counts as the restarted run's only entries whose ids the first run's file did not hold, and checks their links", () => {
    const after = [...firstRun, msg("e", "d", "user"), line({ type: "custom", customType: "openclaw:runtime", id: "f", parentId: "e" }), msg("g", "f", "assistant")];
    const added = addedEntries(file(after).toString("utf8"), idsOf(file(firstRun).toString("utf8")));
    expect(added.kinds).toEqual(["message:user", "custom:openclaw:runtime", "message:assistant"]);
    expect(added.links).toEqual({ entries: 3, dangling: 0, parentIsPrevious: 3, repeatedKeys: 0 });
    // Against the seed, both runs' entries count.
    expect(addedEntries(file(after).toString("utf8"), idsOf(file(seed).toString("utf8"))).kinds).toHaveLength(5);
    // A parentId naming an entry that is not earlier in the file (a wrong leaf) is dangling.
    expect(addedEntries(file([...firstRun, msg("e", "zz", "user")]).toString("utf8"), idsOf(file(firstRun).toString("utf8"))).links.dangling).toBe(1);
  });

  it("keeps the first run's entries when the file grew, whatever the header became; not when an entry changed or went", () => {
    const before = bodyOf(file(firstRun));
    expect(keepsBody(before, file([header("/elsewhere"), ...firstRun.slice(1), msg("e", "d", "user")]))).toBe(true);
    expect(keepsBody(bodyOf(file(seed)), file(firstRun))).toBe(true);
    expect(keepsBody(before, file([header("/ws"), msg("a", null, "user"), msg("b", "a", "assistant"), msg("c", "b", "user")]))).toBe(false);
    expect(keepsBody(before, file([header("/ws"), msg("a", null, "user"), msg("b", "a", "assistant"), msg("c", "b", "USER"), msg("d", "c", "assistant")]))).toBe(false);
    expect(keepsBody(before, Buffer.from(header("/ws")))).toBe(false);
  });
});

describe("write check: idempotency keys written twice", () => {
  const line = (id: string, parentId: string | null, key?: string) =>
    JSON.stringify({ type: "message", id, parentId, message: { role: "assistant", content: [{ type: "text", text: "r" }], ...(key === undefined ? {} : { idempotencyKey: key }) } });
  it("counts an added message whose key (trimmed, as OpenClaw reads it) an earlier line already carries — seeded or added — and no distinct or blank key", () => {
    const seed = [JSON.stringify({ type: "session", id: "s" }), line("a", null, "telegram-final:1")].join("\n") + "\n";
    const grown = seed + [line("b", "a", "telegram-final:2"), line("c", "b", " telegram-final:1 "), line("d", "c", "telegram-final:2"), line("e", "d", "  "), line("f", "e", "  "), line("g", "f")].join("\n") + "\n";
    const added = addedEntries(grown, idsOf(seed));
    expect(added.links).toEqual({ entries: 6, dangling: 0, parentIsPrevious: 6, repeatedKeys: 2 });
    expect(addedEntries(seed + line("b", "a", "telegram-final:2") + "\n", idsOf(seed)).links.repeatedKeys).toBe(0);
  });
});

describe("fake Telegram across a gateway restart", () => {
  it("starts the new run with no bot polling and stats from zero; update ids go on", async () => {
    const tg = new FakeTelegram(2);
    const root = await tg.start();
    try {
      const call = async (bot: number, method: string, body: Record<string, unknown> = {}) =>
        ((await (await fetch(`${root}/bot${tg.bots[bot]!.token}/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json()) as { result: Array<{ update_id: number }> }).result;
      tg.userWrites(0, 5001, "one");
      expect((await call(0, "getUpdates", { timeout: 0 })).map((u) => u.update_id)).toEqual([1]);
      await call(1, "getUpdates", { timeout: 0 });
      expect(tg.pollingBots()).toBe(2);
      expect(tg.stats.calls.getUpdates).toBe(2);

      tg.newRun();
      expect(tg.pollingBots()).toBe(0);
      expect(tg.stats).toEqual({ calls: {}, unexpected: {}, pollTurnaroundMs: [], deliveryDelayMs: [] });
      // The update the old process never confirmed is handed out again (Telegram keeps it), the next one after it.
      tg.userWrites(0, 5001, "two");
      expect((await call(0, "getUpdates", { timeout: 0 })).map((u) => u.update_id)).toEqual([1, 2]);
      expect((await call(0, "getUpdates", { offset: 3, timeout: 0 })).map((u) => u.update_id)).toEqual([]);
      expect(tg.pollingBots()).toBe(1);
      // The first poll of the new run has no turnaround to the old run's last answer.
      expect(tg.stats.pollTurnaroundMs).toHaveLength(1);
    } finally {
      await tg.close();
    }
  });
});

const span = (n: number, p50: number, p99 = p50) => ({ n, p50, p99, max: p99 });
function run(over: Partial<RunResult> = {}): RunResult {
  return {
    ok: true, startupMs: 20_000, agents: 2, messagesSent: 10, repliesReceived: 10, replyLatencyMs: span(10, 5000, 9000), perAgentReplies: { main: 5, sub1: 5 },
    longPollTurnaroundMs: span(1, 8), updateDeliveryMs: span(1, 1), prepStages: { "session-resource-loader": span(10, 40, 900), "(total)": span(10, 300, 1400) }, startupStages: {},
    starvationLines: 0, livenessWarnings: 0, starvationSamples: [], livenessSamples: [], logErrorsSample: [], telegramCalls: {}, telegramUnexpected: {}, modelUnexpected: {},
    modelRequests: { n: 10, bytesP50: 1, messagesP50: 1 }, appendedEntries: {}, appendedLinks: { main: { entries: 8, dangling: 0, parentIsPrevious: 8 }, sub1: { entries: 8, dangling: 0, parentIsPrevious: 8 } },
    seedPrefixIntact: { main: false, sub1: false }, seedEntriesIntact: { main: true, sub1: true }, ctxcLog: [], sessionRepairs: 0, stop: { ms: 900, clean: true },
    ...over,
  };
}
const ctxcSummary = { sessionsServed: 10, sessionsContinued: 8, indexRestored: 2, indexRestoredBytes: 38_000_000, indexRejected: 0, stockRuns: 1, fallbacks: 0 };
function mode(name: "stock" | "ctxc", restart: Partial<RestartResult> | null, over: Partial<RunResult> = {}): ModeResult {
  const first = run({ sessionRepairs: 2, prepStagesByTurn: { first: { "session-resource-loader": span(2, 3000, 3500), "(total)": span(2, 4000, 4600) }, later: { "session-resource-loader": span(8, 30, 60) } }, replyLatencyByTurn: { first: span(2, 14_000, 15_000), later: span(8, 4000, 6000) }, ...over });
  if (!restart) return { mode: name, ...first };
  return {
    mode: name, ...first,
    restart: {
      ...run({ prepStagesByTurn: { first: { "session-resource-loader": span(2, 700, 800), "(total)": span(2, 1100, 1200) }, later: { "session-resource-loader": span(8, 25, 50) } }, replyLatencyByTurn: { first: span(2, 6000, 6500), later: span(8, 3900, 5000) } }),
      ctxcSummary: name === "ctxc" ? ctxcSummary : undefined,
      ctxcFallbackLines: name === "ctxc" ? { "recent-conversation read runs: file changed since the worker read it (3 reads, each overtaken by a write) (…)": 1 } : undefined,
      firstRunEntriesIntact: { main: true, sub1: true },
      ...restart,
    },
  };
}

describe("restart checks", () => {
  const failed = (m: ModeResult) => restartChecks(m).filter((c) => !c.ok).map((c) => c.name);

  it("pass for a clean restart whose every first read continued from the index", () => {
    const checks = restartChecks(mode("ctxc", {}));
    expect(checks.map((c) => c.name)).toEqual([
      "first gateway stopped cleanly (SIGTERM)",
      "restarted gateway answered every message",
      "no OpenClaw repair after the restart",
      "first run's entries intact after the restart",
      "every parentId the restarted gateway wrote resolves",
      "no idempotency key written twice by the restarted gateway",
      "every transcript's first read continued from the persistent index",
      "no saved index state rejected",
      "no fallback to stock",
    ]);
    expect(checks.every((c) => c.ok)).toBe(true);
    // Seeded entries OpenClaw's first run repaired (2026.7.35, upgrade day) are not the restart's doing.
    expect(restartChecks(mode("stock", { seedEntriesIntact: { main: false, sub1: false } })).every((c) => c.ok)).toBe(true);
    expect(checks.find((c) => c.name.includes("persistent index"))!.detail).toBe("indexRestored=2 for 2 transcripts, 38000000 bytes not parsed again");
    // Stock has no preload line to check.
    expect(restartChecks(mode("stock", {})).map((c) => c.name)).not.toContain("no fallback to stock");
    expect(restartChecks(mode("stock", null))).toEqual([]);
  });

  it("fail, each by name, on a killed first gateway, a repair, a changed entry, a dangling parent, a repeated idempotency key, a cold read, a rejected index, a fallback, a missing summary", () => {
    expect(failed(mode("ctxc", {}, { stop: { ms: 15_000, clean: false } }))).toEqual(["first gateway stopped cleanly (SIGTERM)"]);
    expect(failed(mode("stock", { sessionRepairs: 1 }))).toEqual(["no OpenClaw repair after the restart"]);
    expect(failed(mode("stock", { firstRunEntriesIntact: { main: true, sub1: false } }))).toEqual(["first run's entries intact after the restart"]);
    expect(failed(mode("stock", { firstRunEntriesIntact: { main: true } }))).toEqual(["first run's entries intact after the restart"]);
    expect(failed(mode("stock", { appendedLinks: { main: { entries: 3, dangling: 1, parentIsPrevious: 2 } } }))).toEqual(["every parentId the restarted gateway wrote resolves"]);
    expect(failed(mode("ctxc", { appendedLinks: { main: { entries: 3, dangling: 0, parentIsPrevious: 3, repeatedKeys: 1 } } }))).toEqual(["no idempotency key written twice by the restarted gateway"]);
    expect(failed(mode("ctxc", { ctxcSummary: { ...ctxcSummary, indexRestored: 1 } }))).toEqual(["every transcript's first read continued from the persistent index"]);
    expect(failed(mode("ctxc", { ctxcSummary: { ...ctxcSummary, indexRejected: 1 } }))).toEqual(["no saved index state rejected"]);
    expect(failed(mode("ctxc", { ctxcSummary: { ...ctxcSummary, fallbacks: 2 } }))).toEqual(["no fallback to stock"]);
    expect(failed(mode("ctxc", { ctxcSummary: null }))).toEqual(["ctxc summary line written by the restarted gateway"]);
    expect(failed(mode("ctxc", { ok: false, repliesReceived: 9, error: "replies 9/10" }))).toEqual(["restarted gateway answered every message"]);
  });
});

describe("restart report", () => {
  const doc = (modes: ModeResult[], restartTranscriptCheck?: { same: boolean; detail: Record<string, string> }) =>
    ({ openclaw: "2026.7.35", node: "24.22.3", date: "2026-12-03T12:00:00Z", durationS: 60, modes, transcriptCheck: null, restartTranscriptCheck });

  it("puts each mode's first run and restarted run side by side, first turns first, then the restarted runs' stages, the checks and the write comparison", () => {
    const md = renderRestart(doc([mode("stock", { ctxcSummary: undefined }), mode("ctxc", {})], { same: true, detail: { main: "same (…)" } }));
    expect(md).toContain("| first turns (each agent's first message, each session's first prep) | stock first run p50 | stock first run p99 | stock restarted p50 | stock restarted p99 | ctxc first run p50 | ctxc first run p99 | ctxc restarted p50 | ctxc restarted p99 |");
    expect(md).toContain("| message → reply (ms) | 14000 | 15000 | 6000 | 6500 | 14000 | 15000 | 6000 | 6500 |");
    expect(md).toContain("| prep session-resource-loader (ms) | 3000 | 3500 | 700 | 800 | 3000 | 3500 | 700 | 800 |");
    expect(md).toContain("| later turns: prep session-resource-loader (ms) | 30 | 60 | 25 | 50 | 30 | 60 | 25 | 50 |");
    expect(md).toContain("| OpenClaw `session file repaired` lines | 2 |  | 0 |  | 2 |  | 0 |  |");
    // The restarted runs' full first-vs-later table, labelled as such.
    expect(md).toContain("| prep session-resource-loader (ms) | first | 2 | 700 | 800 | 2 | 700 | 800 |");
    expect(md).toContain("ctxc restarted n");
    expect(md).toContain("indexRestored=2 indexRestoredBytes=38000000 indexRejected=0 stockRuns=1 fallbacks=0");
    expect(md).toContain("ctxc's `fallback:` lines in the restarted gateway: 1× recent-conversation read runs: file changed since the worker read it (3 reads, each overtaken by a write) (…).");
    expect(md).toContain("Checks (ctxc): ✓ first gateway stopped cleanly (SIGTERM)");
    expect(md).not.toContain("✗");
    expect(md).toContain("Transcript writes of the restarted gateways, ctxc vs stock: same kinds and order");
  });

  it("marks a failed check, and is part of the release's section only when a run was restarted", () => {
    const bad = renderRestart(doc([mode("ctxc", { ctxcSummary: { ...ctxcSummary, fallbacks: 1 } })]));
    expect(bad).toContain("**✗** no fallback to stock (fallbacks=1)");
    expect(renderRealGatewaySection(doc([mode("ctxc", {})]))).toContain("### After a restart (OpenClaw 2026.7.35, `--restart`, 60 s per run)");
    expect(renderRestart(doc([mode("ctxc", null)]))).toBe("");
    expect(renderRealGatewaySection(doc([mode("ctxc", null)]))).not.toContain("After a restart");
  });
});
