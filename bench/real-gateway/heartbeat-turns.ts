/**
 * The write check's heartbeat turns (issue #11). OpenClaw runs a heartbeat turn for the default agent every
 * 30 minutes at a wall-clock phase hashed from the run's device id (a new state dir per gateway run, so a
 * random slot): a gateway alive ~1.5 min meets one in roughly 5 % of runs, in one mode's window and not the
 * other's (docs/openclaw.md §5, "A heartbeat turn"). Its transcript prompt is OpenClaw's
 * `HEARTBEAT_TRANSCRIPT_PROMPT` and, since the prompt sent is the heartbeat prompt, that prompt's text becomes
 * the turn's `openclaw.runtime-context` entry: a user entry, a runtime-context entry, a reply. Nothing ctxc
 * serves reads or writes the heartbeat schedule, so two modes whose appended entries agree once each mode's
 * heartbeat turns are set aside differ by when OpenClaw's timer fell, not by who loaded the transcript.
 *
 * A message that arrives while the heartbeat's run still holds the session is not run: OpenClaw waits for
 * the active run to end and, if the session is still busy, answers `REPLY_RUN_STILL_SHUTTING_DOWN_TEXT`,
 * which lands in the transcript as a lone assistant entry (no user entry: the prompt was never run; seen
 * in a 2026.5.12 run on 2026-12-06, the mode's first appended entry, its heartbeat turn right after). Such a
 * notice is set aside with the heartbeat turns, but only in a mode that has one: without a heartbeat to
 * meet, a "still shutting down" reply means a run of the harness's own outlived its reply — a difference.
 */
import type { MarkedEntry } from "./mirror-placement.js";

/** OpenClaw's `HEARTBEAT_TRANSCRIPT_PROMPT` (2026.5.12–7.35); a delivery hint may come before it. */
const POLL = "[OpenClaw heartbeat poll]";
/** The start of OpenClaw's default heartbeat prompt, as a runtime-context entry carries it. */
const PROMPT = "Read HEARTBEAT.md if it exists";
/** OpenClaw's `REPLY_RUN_STILL_SHUTTING_DOWN_TEXT` (get-reply-run-queue, 2026.5.12–7.35). */
const BUSY_NOTICE = "⚠️ Previous run is still shutting down. Please try again in a moment.";

/** A message's or custom message's text: a string, or its text blocks joined. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((b) => (b && typeof b === "object" && typeof (b as { text?: unknown }).text === "string" ? (b as { text: string }).text : "")).join("");
}

/** Whether a parsed entry of kind `kind` (write-check.ts `kindOf`) is a heartbeat turn's prompt or runtime context. */
export function isHeartbeatEntry(kind: string, e: { message?: { content?: unknown }; content?: unknown }): boolean {
  if (kind === "message:user") return textOf(e.message?.content).trim().endsWith(POLL);
  if (kind === "custom_message:openclaw.runtime-context") return textOf(e.content).trim().startsWith(PROMPT);
  return false;
}

/** Whether a parsed entry of kind `kind` is OpenClaw's "previous run is still shutting down" reply. */
export function isBusyNotice(kind: string, e: { message?: { content?: unknown } }): boolean {
  return kind === "message:assistant" && textOf(e.message?.content).trim() === BUSY_NOTICE;
}

/**
 * `entries` without their heartbeat turns: each marked entry's turn, from the user entry that opens it (or
 * the marked entry, before any user entry) to the next user entry. `turns`: how many were set aside.
 * When there was one, the busy notices (file comment) go too, each alone: `notices`.
 */
export function withoutHeartbeatTurns(entries: readonly MarkedEntry[]): { rest: MarkedEntry[]; turns: number; notices: number } {
  const drop = new Set<number>();
  let turns = 0;
  let opened = 0;
  for (let i = 0; i < entries.length; i++) {
    if (entries[i]!.kind === "message:user" && i > 0) opened = i;
    if (!entries[i]!.heartbeat || drop.has(i)) continue;
    const from = entries[opened]!.kind === "message:user" || opened === i ? opened : i;
    let to = i + 1;
    while (to < entries.length && entries[to]!.kind !== "message:user") to++;
    for (let j = from; j < to; j++) drop.add(j);
    turns++;
  }
  let notices = 0;
  if (turns > 0) {
    for (let i = 0; i < entries.length; i++) {
      if (entries[i]!.busy && !drop.has(i)) drop.add(i), notices++;
    }
  }
  return { rest: entries.filter((_, i) => !drop.has(i)), turns, notices };
}
