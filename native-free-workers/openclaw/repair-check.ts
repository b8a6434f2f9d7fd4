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
 *
 * Later releases changed some rules and added others; {@link RepairCheck.facts} gives what each release's
 * variant needs (src/openclaw/repair-pass.ts picks by the release's shape):
 * - a user message whose content is an empty array is rewritten too (every release: the same
 *   `repairUserEntryWithBlankTextContent`; 2026.5.12's check missed it);
 * - 2026.5.26+ read a tool result's id as the first non-blank trimmed string of toolCallId, toolUseId,
 *   tool_call_id, tool_use_id, callId, call_id ("v2"; 5.12–5.22: toolCallId, else toolUseId, untrimmed);
 * - 2026.6.1+ look for missing results of api `openai-chatgpt-responses` / provider `openai` calls
 *   instead of the codex pair;
 * - 2026.6.5+ replace corrupted image blocks: whether a block is corrupted is decided by the release's
 *   own function (its base64 and image-signature rules live in another chunk and change between
 *   releases), so the worker only lists the entries that have a block the rule looks at;
 * - 2026.6.11+ add a result for a `message` tool call of an OpenAI-responses assistant turn whose next
 *   message entry is a transcript-only delivery mirror (provider `openclaw`, model `delivery-mirror` or
 *   `gateway-injected`), when no result has its id.
 */

import type { RepairFacts, ResultIdLimits, ToolResultRule } from "../protocol/session-buffer-layout.js";

export type { RepairFacts, ResultIdLimits, ToolResultRule };

/** Without limits: OpenClaw keeps at most 4,096 ids in its repair cache (2026.6.9+); one more says "too many". */
const MAX_REPORTED_RESULT_IDS = 4097;
const TOOL_CALL_TYPES = new Set(["toolCall", "toolUse", "functionCall"]);
const RESULT_ID_KEYS = ["toolCallId", "toolUseId", "tool_call_id", "tool_use_id", "callId", "call_id"] as const;
const RESPONSES_APIS = new Set(["openai-responses", "azure-openai-responses", "openai-codex-responses"]);

/** A tool call's id, as OpenClaw's `extractToolCallsFromAssistant` finds them, with its name. */
function toolCalls(content: unknown): { id: string; name: unknown }[] {
  if (!Array.isArray(content)) return [];
  const out: { id: string; name: unknown }[] = [];
  for (const block of content) {
    if (!isRecord(block) || typeof block.id !== "string" || !block.id) continue;
    if (typeof block.type === "string" && TOOL_CALL_TYPES.has(block.type)) out.push({ id: block.id, name: block.name });
  }
  return out;
}

const trimmed = (v: unknown): string => (typeof v === "string" ? v.trim() : "");

/** The 2026.6.5+ image rule looks at this block (type image, string data, an image mime type under one of three keys). */
export function isCheckedImageBlock(block: unknown): boolean {
  if (!isRecord(block) || Array.isArray(block) || block.type !== "image" || typeof block.data !== "string") return false;
  return [block.mimeType, block.mediaType, block.media_type].some((m) => typeof m === "string" && /^image\//iu.test(m.trim()));
}

/** A message's content with a block the image rule looks at ({@link isCheckedImageBlock}). */
export function hasCheckedImage(content: unknown): boolean {
  return Array.isArray(content) && content.some(isCheckedImageBlock);
}

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
  resultIdsV2: string[];
  chatgptCallIds: string[];
  mirrorCallIds: string[];
  pendingMirror: string[] | null;
  imageRecords: number[];
}

/**
 * The reasons every release's pass (2026.5.12–2026.7.35) rewrites the file for — read from each one's
 * `repairSessionFileIfNeeded`: a dropped line, a rewritten errored empty assistant turn, a dropped or
 * rewritten blank user message — once it has entries and a session header. The tool-result rules differ per
 * release, and "OpenClaw decides" / a line ctxc cannot judge say nothing of a rewrite: not among these.
 */
export const REWRITTEN = {
  notJson: "a line is not valid JSON",
  noMessageObject: "a message entry without a message object",
  noRole: "a message without a role",
  erroredEmptyAssistant: "an errored assistant message with empty content",
  blankUser: "a blank user message",
  emptyUser: "a user message with empty content",
  blankUserText: "a user message with a blank text block",
} as const;
const REWRITTEN_REASONS: ReadonlySet<string> = new Set(Object.values(REWRITTEN));

/** Whether a read's `meta.repair` ({@link RepairCheck.verdict}) says every release's repair pass rewrites the file. */
export function rewrittenByEveryRelease(verdict: string | null): boolean {
  return verdict !== null && REWRITTEN_REASONS.has(verdict);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

export class RepairCheck {
  private reason: string | null = null;
  private entries = 0;
  private headerOk = false;
  private readonly toolResultIds = new Set<string>();
  private readonly codexCallIds: string[] = [];
  private readonly resultIdsV2 = new Set<string>();
  /** UTF-8 bytes of {@link resultIdsV2}, summed as each new id is added (OpenClaw's `countToolResultIdBytes` rule). */
  private resultIdBytesV2 = 0;
  private readonly chatgptCallIds: string[] = [];
  private readonly mirrorCallIds: string[] = [];
  /** `message` tool calls of the last OpenAI-responses assistant turn, until the next message entry says whether it is a mirror. */
  private pendingMirror: string[] | null = null;
  private readonly imageRecords: number[] = [];

  /** A line the check cannot judge (e.g. skipped for its length): never report clean. */
  unknown(why: string): void {
    this.reason ??= why;
  }

  /** A non-blank line that is not valid JSON. */
  malformed(): void {
    this.reason ??= REWRITTEN.notJson;
  }

  /** A parsed non-blank line (any JSON value, as OpenClaw keeps non-objects too); `record`: its index in the session buffer (-1: none). */
  entry(value: unknown, record = -1): void {
    this.entries++;
    if (this.entries === 1) {
      this.headerOk = isRecord(value) && value.type === "session" && typeof value.id === "string" && value.id.length > 0;
    }
    if (this.reason !== null || !isRecord(value) || value.type !== "message") return;
    const message = value.message;
    if (!isRecord(message)) {
      this.reason = REWRITTEN.noMessageObject;
      return;
    }
    const role = message.role;
    if (typeof role !== "string" || role.trim().length === 0) {
      this.reason = REWRITTEN.noRole;
      return;
    }
    const content = message.content;
    this.laterRules(message, role, content, record);
    if (role === "assistant") {
      if (Array.isArray(content) && content.length === 0 && message.stopReason === "error") {
        this.reason = REWRITTEN.erroredEmptyAssistant;
        return;
      }
      if (
        message.api === "openai-codex-responses" &&
        message.provider === "openai-codex" &&
        message.stopReason !== "error" &&
        message.stopReason !== "aborted" &&
        Array.isArray(content)
      ) {
        for (const call of toolCalls(content)) this.codexCallIds.push(call.id);
      }
    } else if (role === "user") {
      if (typeof content === "string") {
        if (!content.trim()) this.reason = REWRITTEN.blankUser;
      } else if (Array.isArray(content)) {
        if (content.length === 0) this.reason = REWRITTEN.emptyUser;
        for (const block of content) {
          if (isRecord(block) && block.type === "text" && typeof block.text === "string" && block.text.trim().length === 0) {
            this.reason = REWRITTEN.blankUserText;
            return;
          }
        }
      }
    } else if (role === "toolResult") {
      const id = typeof message.toolCallId === "string" && message.toolCallId ? message.toolCallId : message.toolUseId;
      if (typeof id === "string" && id) this.toolResultIds.add(id);
    }
  }

  /** The rules of 2026.5.26+ (see the file comment), for a message entry with a non-blank role. */
  private laterRules(message: Record<string, unknown>, role: string, content: unknown, record: number): void {
    // The delivery-mirror rule looks at the message entry right after a responses turn.
    if (this.pendingMirror !== null) {
      const mirror = role === "assistant" && trimmed(message.provider) === "openclaw" && (trimmed(message.model) === "delivery-mirror" || trimmed(message.model) === "gateway-injected");
      if (mirror) this.mirrorCallIds.push(...this.pendingMirror);
      this.pendingMirror = null;
    }
    if (hasCheckedImage(content)) this.imageRecords.push(record);
    if (role === "toolResult") {
      for (const key of RESULT_ID_KEYS) {
        const id = trimmed(message[key]);
        if (id) {
          this.addResultIdV2(id);
          break;
        }
      }
      return;
    }
    if (role !== "assistant" || message.stopReason === "error" || message.stopReason === "aborted") return;
    if (message.api === "openai-chatgpt-responses" && message.provider === "openai") for (const call of toolCalls(content)) this.chatgptCallIds.push(call.id);
    if (RESPONSES_APIS.has(trimmed(message.api))) {
      const calls = toolCalls(content).filter((c) => trimmed(c.name).toLowerCase() === "message");
      if (calls.length > 0) this.pendingMirror = calls.map((c) => c.id);
    }
  }

  private addResultIdV2(id: string): void {
    if (this.resultIdsV2.has(id)) return;
    this.resultIdsV2.add(id);
    this.resultIdBytesV2 += Buffer.byteLength(id, "utf8");
  }

  /**
   * What each release's repair pass needs (see {@link RepairFacts}). With `limits` (the release's repair
   * cache bounds): every tool-result id when the set is within both, none when it is over either (the
   * release would not cache it); without: at most 4,097.
   */
  facts(limits?: ResultIdLimits): RepairFacts {
    const common = this.entries === 0 ? "empty file (OpenClaw decides)" : !this.headerOk ? "no valid session header (OpenClaw decides)" : this.reason;
    const unresolved: ToolResultRule[] = [];
    const missing = (ids: string[], have: Set<string>) => ids.some((id) => !have.has(id));
    if (missing(this.codexCallIds, this.toolResultIds)) unresolved.push("codex/v1");
    if (missing(this.codexCallIds, this.resultIdsV2)) unresolved.push("codex/v2");
    if (missing(this.chatgptCallIds, this.resultIdsV2)) unresolved.push("chatgpt/v2");
    if (missing(this.mirrorCallIds, this.resultIdsV2)) unresolved.push("mirror/v2");
    const toolResultIdCount = this.resultIdsV2.size;
    const toolResultIdBytes = this.resultIdBytesV2;
    let toolResultIds: string[];
    if (limits) toolResultIds = toolResultIdCount > limits.count || toolResultIdBytes > limits.bytes ? [] : [...this.resultIdsV2];
    else {
      toolResultIds = [];
      for (const id of this.resultIdsV2) {
        if (toolResultIds.push(id) >= MAX_REPORTED_RESULT_IDS) break;
      }
    }
    return { common, unresolved, imageRecords: [...this.imageRecords], toolResultIds, toolResultIdCount, toolResultIdBytes };
  }

  /** What the persistent index keeps of the check (openclaw/session-index.ts): ids and record numbers, no text. */
  saved(): RepairCheckSaved {
    return {
      reason: this.reason, entries: this.entries, headerOk: this.headerOk, toolResultIds: [...this.toolResultIds], codexCallIds: [...this.codexCallIds],
      resultIdsV2: [...this.resultIdsV2], chatgptCallIds: [...this.chatgptCallIds], mirrorCallIds: [...this.mirrorCallIds],
      pendingMirror: this.pendingMirror === null ? null : [...this.pendingMirror], imageRecords: [...this.imageRecords],
    };
  }

  /** The check {@link saved} described; throws on anything malformed (the index is then ignored). */
  static restore(saved: RepairCheckSaved): RepairCheck {
    const { reason, entries, headerOk, toolResultIds, codexCallIds, resultIdsV2, chatgptCallIds, mirrorCallIds, pendingMirror, imageRecords } = saved;
    if (
      (reason !== null && typeof reason !== "string") || !Number.isInteger(entries) || typeof headerOk !== "boolean" || !isStrings(toolResultIds) || !isStrings(codexCallIds) ||
      !isStrings(resultIdsV2) || !isStrings(chatgptCallIds) || !isStrings(mirrorCallIds) || (pendingMirror !== null && !isStrings(pendingMirror)) ||
      !Array.isArray(imageRecords) || !imageRecords.every((r) => Number.isInteger(r) && r >= 0)
    ) {
      throw new Error("malformed repair check");
    }
    const check = new RepairCheck();
    check.reason = reason;
    check.entries = entries;
    check.headerOk = headerOk;
    for (const id of toolResultIds) check.toolResultIds.add(id);
    check.codexCallIds.push(...codexCallIds);
    for (const id of resultIdsV2) check.addResultIdV2(id);
    check.chatgptCallIds.push(...chatgptCallIds);
    check.mirrorCallIds.push(...mirrorCallIds);
    check.pendingMirror = pendingMirror === null ? null : [...pendingMirror];
    check.imageRecords.push(...imageRecords);
    return check;
  }

  /**
   * True once the facts' `common` reason is set ({@link facts}): no later line can unset it, so every
   * release's pass changes the file or decides itself whatever follows (the session read may stop here).
   */
  get verdictSettled(): boolean {
    return this.entries > 0 && (!this.headerOk || this.reason !== null);
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
