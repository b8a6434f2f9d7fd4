/**
 * What a `run.js --restart` run must show of the restarted gateway, as a list of named checks (printed by
 * run.js, rendered by render.ts, asserted by the smoke test): it stopped cleanly and came back, every
 * message got its reply, OpenClaw had nothing left to repair, the write check holds across both runs,
 * and — ctxc mode — the preload's summary line says every transcript's first read continued from the
 * persistent index, none was rejected, and nothing fell back to stock.
 */
import type { ModeResult, RestartResult } from "./run.js";

export interface RestartCheck {
  name: string;
  ok: boolean;
  /** What was seen (numbers, the agents that failed). */
  detail: string;
}

/** Agents whose value in `rec` is not `true` (a missing agent counts as failed). */
function failing(rec: Record<string, boolean>, agents: readonly string[]): string[] {
  return agents.filter((a) => rec[a] !== true);
}

/**
 * The checks of one mode's restart run; empty without one. The agents are those of the first run (its
 * `perAgentReplies` keys, the write check's keys); a SQLite-era run (no JSONL files) has no write check.
 */
export function restartChecks(m: Pick<ModeResult, "mode" | "sqlite" | "restart" | "perAgentReplies" | "stop">): RestartCheck[] {
  const r: RestartResult | undefined = m.restart;
  if (!r) return [];
  const agents = Object.keys(m.perAgentReplies);
  const out: RestartCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => out.push({ name, ok, detail });
  // The first process's stop is the mode's own (a SIGKILL would leave OpenClaw's and ctxc's state mid-write).
  add("first gateway stopped cleanly (SIGTERM)", m.stop?.clean === true, m.stop ? `${m.stop.clean ? "exited" : "killed"} after ${m.stop.ms} ms` : "not recorded");
  add("restarted gateway answered every message", r.ok, `${r.repliesReceived}/${r.messagesSent} replies${r.error ? `; ${r.error}` : ""}`);
  add("no OpenClaw repair after the restart", (r.sessionRepairs ?? 0) === 0, `${r.sessionRepairs ?? "?"} \`session file repaired\` lines`);
  if (!m.sqlite) {
    // Not "seeded entries intact": 2026.7.35's first run repairs seeded assistant messages (upgrade day,
    // stock and ctxc alike). What the restart must not touch is what the first run left.
    const kept = failing(r.firstRunEntriesIntact, agents);
    add("first run's entries intact after the restart", kept.length === 0, kept.length ? `changed: ${kept.join(", ")}` : `${agents.length} of ${agents.length} transcripts`);
    const links = Object.values(r.appendedLinks);
    const dangling = links.reduce((a, l) => a + l.dangling, 0);
    add("every parentId the restarted gateway wrote resolves", dangling === 0, `${dangling} dangling of ${links.reduce((a, l) => a + l.entries, 0)} entries`);
    const repeated = links.reduce((a, l) => a + (l.repeatedKeys ?? 0), 0);
    add("no idempotency key written twice by the restarted gateway", repeated === 0, `${repeated} added messages repeat a key already in the file`);
  }
  if (m.mode === "ctxc") {
    const s = r.ctxcSummary;
    if (!s) {
      add("ctxc summary line written by the restarted gateway", false, "none (the process did not exit normally, or the preload was not active)");
      return out;
    }
    add("every transcript's first read continued from the persistent index", (s.indexRestored ?? 0) >= agents.length, `indexRestored=${s.indexRestored ?? "?"} for ${agents.length} transcripts, ${s.indexRestoredBytes ?? "?"} bytes not parsed again`);
    add("no saved index state rejected", s.indexRejected === 0, `indexRejected=${s.indexRejected ?? "?"}`);
    add("no fallback to stock", s.fallbacks === 0, `fallbacks=${s.fallbacks ?? "?"}`);
  }
  return out;
}
