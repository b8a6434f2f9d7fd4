/**
 * Would OpenClaw 2026.5.12's `repairSessionFileIfNeeded` change this transcript? Answered in the worker
 * from the lines it parses anyway, so the preload can skip OpenClaw's repair pass — a readFile, split and
 * JSON.parse of the whole file on the gateway's main thread before every run — when it would do nothing,
 * and let it run (and write) whenever it would.
 *
 * The rules, learned from OpenClaw's code (test/openclaw/repair-check.test.ts compares this with the real
 * function on copies of generated and damaged transcripts). The pass rewrites the file when any of:
 * - a non-blank line (the last one too, with or without its newline) is not valid JSON;
 * - a `message` entry has no object `message`, or its `role` is not a non-empty string;
 * - an assistant message has `stopReason: "error"` and an empty `content` array;
 * - a user message's string content is blank, or its content array has a text block whose string text
 *   is blank;
 * - an assistant message of api `openai-codex-responses` / provider `openai-codex` (stopReason not error
 *   or aborted) has a tool call (type toolCall / toolUse / functionCall, non-empty string id) with no
 *   persisted toolResult (toolCallId or toolUseId) anywhere in the file.
 * It does nothing, and returns early, for an empty file or one whose first entry is not a session header
 * (type "session", non-empty string id): those are reported as "not clean" here so the original runs.
 */

const TOOL_CALL_TYPES = new Set(["toolCall", "toolUse", "functionCall"]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/**
 * What a RepairCheck has gathered, for the session read's persistent index (openclaw/session-index.ts):
 * counts, fixed-text reasons and tool-call ids — no message text.
 */
export interface RepairCheckSaved {
  reason: string | null;
  entries: number;
  headerOk: boolean;
  toolResultIds: string[];
  codexCallIds: string[];
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

export class RepairCheck {
  private reason: string | null = null;
  private entries = 0;
  private headerOk = false;
  private readonly toolResultIds = new Set<string>();
  private readonly codexCallIds: string[] = [];

  /** A line the check cannot judge (e.g. skipped for its length): never report clean. */
  unknown(why: string): void {
    this.reason ??= why;
  }

  /** A non-blank line that is not valid JSON. */
  malformed(): void {
    this.reason ??= "a line is not valid JSON";
  }

  /** A parsed non-blank line (any JSON value, as OpenClaw keeps non-objects too). */
  entry(value: unknown): void {
    this.entries++;
    if (this.entries === 1) {
      this.headerOk = isRecord(value) && value.type === "session" && typeof value.id === "string" && value.id.length > 0;
    }
    if (this.reason !== null || !isRecord(value) || value.type !== "message") return;
    const message = value.message;
    if (!isRecord(message)) {
      this.reason = "a message entry without a message object";
      return;
    }
    const role = message.role;
    if (typeof role !== "string" || role.trim().length === 0) {
      this.reason = "a message without a role";
      return;
    }
    const content = message.content;
    if (role === "assistant") {
      if (Array.isArray(content) && content.length === 0 && message.stopReason === "error") {
        this.reason = "an errored assistant message with empty content";
        return;
      }
      if (
        message.api === "openai-codex-responses" &&
        message.provider === "openai-codex" &&
        message.stopReason !== "error" &&
        message.stopReason !== "aborted" &&
        Array.isArray(content)
      ) {
        for (const block of content) {
          if (!isRecord(block) || typeof block.id !== "string" || !block.id) continue;
          if (typeof block.type === "string" && TOOL_CALL_TYPES.has(block.type)) this.codexCallIds.push(block.id);
        }
      }
    } else if (role === "user") {
      if (typeof content === "string") {
        if (!content.trim()) this.reason = "a blank user message";
      } else if (Array.isArray(content)) {
        for (const block of content) {
          if (isRecord(block) && block.type === "text" && typeof block.text === "string" && block.text.trim().length === 0) {
            this.reason = "a user message with a blank text block";
            return;
          }
        }
      }
    } else if (role === "toolResult") {
      const id = typeof message.toolCallId === "string" && message.toolCallId ? message.toolCallId : message.toolUseId;
      if (typeof id === "string" && id) this.toolResultIds.add(id);
    }
  }

  saved(): RepairCheckSaved {
    return { reason: this.reason, entries: this.entries, headerOk: this.headerOk, toolResultIds: [...this.toolResultIds], codexCallIds: [...this.codexCallIds] };
  }

  /** The check {@link saved} described; throws on anything malformed (the index is then ignored). */
  static restore(saved: RepairCheckSaved): RepairCheck {
    const { reason, entries, headerOk, toolResultIds, codexCallIds } = saved;
    if ((reason !== null && typeof reason !== "string") || !Number.isInteger(entries) || typeof headerOk !== "boolean" || !isStrings(toolResultIds) || !isStrings(codexCallIds)) {
      throw new Error("malformed repair check");
    }
    const check = new RepairCheck();
    check.reason = reason;
    check.entries = entries;
    check.headerOk = headerOk;
    for (const id of toolResultIds) check.toolResultIds.add(id);
    check.codexCallIds.push(...codexCallIds);
    return check;
  }

  /** Null when OpenClaw's repair pass would leave the file as it is; otherwise why it would not (or why we cannot tell). */
  verdict(): string | null {
    if (this.entries === 0) return "empty file (OpenClaw decides)";
    if (!this.headerOk) return "no valid session header (OpenClaw decides)";
    if (this.reason !== null) return this.reason;
    for (const id of this.codexCallIds) if (!this.toolResultIds.has(id)) return "a codex tool call without its tool result";
    return null;
  }
}
