/**
 * Recorded-log lines for bench/real-gateway's parsers: an OpenClaw `prep stages` record as its file log
 * writes it, and a ctxc preload `trace` line.
 */
import { logLine } from "../../src/openclaw/log-line.js";

/** A prep record as OpenClaw's file log writes it (message fields escaped, `_meta.date` = when logged). */
export const prepRecord = (sessionId: string, loggedAt: number, total: number, stages: string) =>
  JSON.stringify({
    0: '{"subsystem":"agent/embedded"}',
    1: `[trace:embedded-run] prep stages: runId=r-${loggedAt} sessionId=${sessionId} phase=stream-ready totalMs=${total} stages=${stages}`,
    _meta: { name: '{"subsystem":"agent/embedded"}', date: new Date(loggedAt).toISOString(), logLevelName: "WARN" },
    time: "2026-12-03T10:00:09.999+00:00",
  });

/** One preload `trace` line without its newline. */
export const traceLine = (message: string) => logLine("trace", message).trimEnd();
