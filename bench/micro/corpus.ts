/** Inputs shared by the micro benchmarks, cut from a generated transcript. */
import { readFileSync } from "node:fs";

/** The transcript's lines (the way pi holds them after readFile + split). */
export function transcriptLines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0);
}

/**
 * Texts a tokenizer sees in a real build: one string per text/thinking block, tool-call arguments and
 * tool-result text, in file order, until `maxChars` characters are collected.
 */
export function messageTexts(lines: readonly string[], maxChars: number): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const line of lines) {
    let entry: { type?: string; message?: { content?: unknown } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.type !== "message" || !entry.message) continue;
    const content = entry.message.content;
    const blocks = typeof content === "string" ? [{ type: "text", text: content }] : Array.isArray(content) ? content : [];
    for (const b of blocks as { type?: string; text?: string; thinking?: string; name?: string; arguments?: unknown }[]) {
      const text = b.type === "text" ? b.text : b.type === "thinking" ? b.thinking : b.type === "toolCall" ? `${b.name} ${JSON.stringify(b.arguments)}` : undefined;
      if (!text) continue;
      out.push(text);
      chars += text.length;
      if (chars >= maxChars) return out;
    }
  }
  return out;
}
