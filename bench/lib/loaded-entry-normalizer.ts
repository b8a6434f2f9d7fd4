/**
 * A copy of OpenClaw 2026.7.1+'s `normalizeLoadedFileEntry`, as the release writes it (mutates and returns
 * the entry): the stand-in for the release's own in unit tests and benches of ctxc's entry builders
 * (test/matrix/interceptions.test.ts runs the release's own). src/openclaw/release/entry-normalizer.ts
 * documents the rule.
 */
export type Plain = Record<string, unknown>;
export const isRecord = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

export function normalizeLoadedEntry(entry: unknown): unknown {
  if (!isRecord(entry) || entry.type !== "message" || !isRecord(entry.message)) return entry;
  const message = entry.message;
  if ((message.role === "assistant" || message.role === "toolResult") && typeof message.content === "string") message.content = [{ type: "text", text: message.content }];
  else if (message.role === "toolResult" && isRecord(message.content)) message.content = [message.content];
  return entry;
}
