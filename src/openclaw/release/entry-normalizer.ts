/**
 * What OpenClaw 2026.7.1+'s `normalizeLoadedFileEntry` (applied by its `parseJsonlEntries` and the load to
 * every parsed line; its shape is part of the rewrite's, shapes.ts) does to an entry, told before it runs:
 * it changes only `message` entries — an assistant or tool-result message whose content is a string
 * becomes `[{ type: "text", text }]`, a tool-result message whose content is an object becomes `[content]`.
 * Every other entry kind (the header, custom, compaction, label, …) and every other message is returned
 * as parsed, so its `JSON.stringify` is the parse's.
 */

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether the normaliser changes `entry` (a line's plain `JSON.parse`, before the normaliser ran). */
export function normalizerChanges(entry: unknown): boolean {
  if (!isRecord(entry) || entry.type !== "message" || !isRecord(entry.message)) return false;
  const { role, content } = entry.message;
  return ((role === "assistant" || role === "toolResult") && typeof content === "string") || (role === "toolResult" && isRecord(content));
}
