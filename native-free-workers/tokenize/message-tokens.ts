/**
 * What text of a pi AgentMessage counts toward the context.
 *
 * EXACT counters (`o200k_base`, `cl100k_base`) — `countMessageTokens` counts
 * the text pi's `convertToLlm` actually sends, block by block (each string is
 * tokenized on its own and the counts are summed; chat-format overhead such
 * as role markers or tool-call framing is NOT included):
 *   - user / assistant / toolResult / custom: `content` as a string, or for
 *     each block of a `content` array:
 *       {type:"text"}      -> `text`
 *       {type:"thinking"}  -> `thinking`
 *       {type:"toolCall"}  -> `name` + `JSON.stringify(arguments)` (two strings)
 *       {type:"image"}     -> IMAGE_TOKENS (1,200) per image; `data` is never tokenized
 *     other block types and other fields (ids, usage, details, timestamps) count 0;
 *   - bashExecution: 0 if `excludeFromContext`; otherwise the text of pi's
 *     `bashExecutionToText`: "Ran `<command>`\n" + ("```\n<output>\n```" or
 *     "(no output)") + "\n\n(command cancelled)" if cancelled, else
 *     "\n\nCommand exited with code <n>" for a non-zero exit code, +
 *     "\n\n[Output truncated. Full output: <path>]" when truncated with a path;
 *   - branchSummary: BRANCH_SUMMARY_PREFIX + summary + BRANCH_SUMMARY_SUFFIX;
 *   - compactionSummary: COMPACTION_SUMMARY_PREFIX + summary + COMPACTION_SUMMARY_SUFFIX
 *     (prefixes/suffixes verbatim from pi 0.74.0 dist/core/messages.js);
 *   - any other role: 0 (convertToLlm drops it).
 *
 * ESTIMATE counter (`estimate`) and `estimateMessageTokens` — exactly pi's
 * `estimateTokens(message)` from dist/core/compaction/compaction.js, which is
 * what OpenClaw 2026.5.12 calls per message: `Math.ceil(chars / 4)` where chars is
 *   - user: string content length, or the sum of non-empty text block lengths
 *     (images on user messages are NOT counted by pi);
 *   - assistant: text + thinking lengths + for tool calls
 *     `name.length + JSON.stringify(arguments).length`;
 *   - toolResult / custom: string content length, or non-empty text block
 *     lengths + 4,800 per image block (= 1,200 tokens);
 *   - bashExecution: `command.length + output.length` (pi ignores
 *     `excludeFromContext` and the wrapper text here);
 *   - branchSummary / compactionSummary: `summary.length` (no prefix/suffix);
 *   - any other role: 0.
 * (OpenClaw's list-level `estimateMessagesTokens` additionally drops custom
 * messages with customType "openclaw.runtime-context"; that filter is a
 * caller's decision and is not applied here.)
 *
 * Malformed messages never throw: a missing or non-array `content`, null or
 * non-object blocks, non-string `text`/`thinking`/`name`/`summary`, and
 * un-stringifiable tool arguments each count 0, and everything else that is
 * well-formed is still counted.
 */
import type { TokenCounter } from "./token-counter.js";

/**
 * Fixed token cost of one image for exact counters. Chosen equal to OpenClaw's
 * estimate (4,800 chars / 4 = 1,200) so exact and estimate budgets agree on
 * images. Real provider costs depend on pixel size (OpenAI high detail:
 * 85 + 170 per 512px tile, 765 for 1024x1024; Anthropic ~ w*h/750, ~1,600 at
 * the 1.15 MP cap); 1,200 sits between them and errs toward over-counting
 * small images.
 */
export const IMAGE_TOKENS = 1200;

/** Characters OpenClaw / pi charge for one image in the chars/4 estimate. */
export const IMAGE_ESTIMATE_CHARS = 4800;

// Verbatim from pi-coding-agent 0.74.0 dist/core/messages.js.
export const COMPACTION_SUMMARY_PREFIX = `The conversation history before this point was compacted into the following summary:

<summary>
`;
export const COMPACTION_SUMMARY_SUFFIX = `
</summary>`;
export const BRANCH_SUMMARY_PREFIX = `The following is a summary of a branch that this conversation came back from:

<summary>
`;
export const BRANCH_SUMMARY_SUFFIX = `</summary>`;

type Rec = Record<string, unknown>;

function isRecord(v: unknown): v is Rec {
  return typeof v === "object" && v !== null;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** `${v}` as a template literal would render it, without ever throwing. */
function templ(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    return String(v);
  } catch {
    return "";
  }
}

/** JSON.stringify(args) as pi does it; "" when it yields undefined or throws. */
function argsJson(args: unknown): string {
  try {
    const s = JSON.stringify(args);
    return typeof s === "string" ? s : "";
  } catch {
    return "";
  }
}

/** pi's bashExecutionToText (dist/core/messages.js), null-safe. */
export function bashExecutionText(msg: Rec): string {
  let text = `Ran \`${templ(msg.command)}\`\n`;
  if (msg.output) {
    text += `\`\`\`\n${templ(msg.output)}\n\`\`\``;
  } else {
    text += "(no output)";
  }
  if (msg.cancelled) {
    text += "\n\n(command cancelled)";
  } else if (msg.exitCode !== null && msg.exitCode !== undefined && msg.exitCode !== 0) {
    text += `\n\nCommand exited with code ${templ(msg.exitCode)}`;
  }
  if (msg.truncated && msg.fullOutputPath) {
    text += `\n\n[Output truncated. Full output: ${templ(msg.fullOutputPath)}]`;
  }
  return text;
}

function countContent(content: unknown, counter: TokenCounter): number {
  if (typeof content === "string") return counter.count(content);
  if (!Array.isArray(content)) return 0;
  let total = 0;
  for (const block of content) {
    if (!isRecord(block)) continue;
    switch (block.type) {
      case "text":
        total += counter.count(str(block.text));
        break;
      case "thinking":
        total += counter.count(str(block.thinking));
        break;
      case "toolCall":
        total += counter.count(str(block.name)) + counter.count(argsJson(block.arguments));
        break;
      case "image":
        total += IMAGE_TOKENS;
        break;
      default:
        break;
    }
  }
  return total;
}

/**
 * Tokens a message contributes to the context: exact (per the module doc) for
 * exact counters, OpenClaw's estimate (= {@link estimateMessageTokens}) for
 * the "estimate" counter. Never throws on malformed input.
 */
export function countMessageTokens(message: unknown, counter: TokenCounter): number {
  if (!counter.exact) return estimateMessageTokens(message);
  if (!isRecord(message)) return 0;
  switch (message.role) {
    case "user":
    case "assistant":
    case "toolResult":
    case "custom":
      return countContent(message.content, counter);
    case "bashExecution":
      return message.excludeFromContext ? 0 : counter.count(bashExecutionText(message));
    case "branchSummary":
      return counter.count(BRANCH_SUMMARY_PREFIX + str(message.summary) + BRANCH_SUMMARY_SUFFIX);
    case "compactionSummary":
      return counter.count(COMPACTION_SUMMARY_PREFIX + str(message.summary) + COMPACTION_SUMMARY_SUFFIX);
    default:
      return 0;
  }
}

/** Sum of text-block lengths, skipping empty/non-string text (pi: `block.type === "text" && block.text`). */
function textBlockChars(block: Rec): number {
  return block.type === "text" && typeof block.text === "string" ? block.text.length : 0;
}

/**
 * pi's `estimateTokens(message)` (chars/4, as used by OpenClaw), never throwing.
 * See the module doc for exactly which characters are counted.
 */
export function estimateMessageTokens(message: unknown): number {
  if (!isRecord(message)) return 0;
  let chars = 0;
  switch (message.role) {
    case "user": {
      const content = message.content;
      if (typeof content === "string") chars = content.length;
      else if (Array.isArray(content)) {
        for (const block of content) if (isRecord(block)) chars += textBlockChars(block);
      }
      break;
    }
    case "assistant": {
      const content = message.content;
      if (Array.isArray(content)) {
        for (const block of content) {
          if (!isRecord(block)) continue;
          if (block.type === "text") chars += str(block.text).length;
          else if (block.type === "thinking") chars += str(block.thinking).length;
          else if (block.type === "toolCall") chars += str(block.name).length + argsJson(block.arguments).length;
        }
      }
      break;
    }
    case "custom":
    case "toolResult": {
      const content = message.content;
      if (typeof content === "string") chars = content.length;
      else if (Array.isArray(content)) {
        for (const block of content) {
          if (!isRecord(block)) continue;
          chars += textBlockChars(block);
          if (block.type === "image") chars += IMAGE_ESTIMATE_CHARS;
        }
      }
      break;
    }
    case "bashExecution":
      chars = str(message.command).length + str(message.output).length;
      break;
    case "branchSummary":
    case "compactionSummary":
      chars = str(message.summary).length;
      break;
    default:
      return 0;
  }
  return Math.ceil(chars / 4);
}
