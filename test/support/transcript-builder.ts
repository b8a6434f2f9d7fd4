/**
 * Tiny helpers for hand-written transcripts in unit tests: entries linked by id/parentId, shaped like
 * pi's SessionManager writes them, serialized one JSON object per line with a trailing newline.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export type Json = Record<string, unknown>;

export const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
export const iso = (ms: number): string => new Date(ms).toISOString();

export function header(extra: Json = {}): Json {
  return { type: "session", version: 3, id: "sess-0001", timestamp: iso(T0), cwd: "/work/project", ...extra };
}

export const user = (content: unknown, extra: Json = {}): Json => ({ role: "user", content, timestamp: T0 + 1, ...extra });

export const assistant = (content: unknown[], extra: Json = {}): Json => ({
  role: "assistant",
  content,
  api: "openai-responses",
  provider: "openai",
  model: "gpt-5.1",
  usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, totalTokens: 15, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
  stopReason: "stop",
  timestamp: T0 + 2,
  ...extra,
});

export const toolCall = (id: string, name: string, args: Json): Json => ({ type: "toolCall", id, name, arguments: args });

export const toolResult = (toolCallId: string, text: string, extra: Json = {}): Json => ({
  role: "toolResult",
  toolCallId,
  toolName: "read",
  content: [{ type: "text", text }],
  isError: false,
  timestamp: T0 + 3,
  ...extra,
});

/**
 * Links entries into one chain: each gets `id` e1, e2, … and the previous entry as `parentId` (null for
 * the first) unless it sets them itself, plus an ISO `timestamp`. Returns the entries, header first.
 */
export function chain(entries: Json[], head: Json | null = header()): Json[] {
  let previous: unknown = null;
  const out: Json[] = head ? [head] : [];
  entries.forEach((e, i) => {
    const id = "id" in e ? e.id : `e${i + 1}`;
    const parentId = "parentId" in e ? e.parentId : previous;
    const { type, ...rest } = e;
    out.push({ type, id, parentId, timestamp: iso(T0 + (i + 1) * 1000), ...rest });
    previous = id;
  });
  return out;
}

/** A `message` entry (for {@link chain}). */
export const msg = (message: unknown, extra: Json = {}): Json => ({ type: "message", message, ...extra });

/** JSONL text: one JSON object (or raw line, when a string is given) per line, each ending in "\n". */
export function jsonl(lines: (Json | string)[]): string {
  return lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n";
}

let counter = 0;
/** Writes `text` to a fresh file in `dir` and returns its path. */
export function writeTemp(dir: string, text: string | Buffer, name = "t"): string {
  const path = join(dir, `${name}-${++counter}.jsonl`);
  writeFileSync(path, text);
  return path;
}

/** Byte offset of the start of 1-based line `line` in `text`. */
export function lineOffset(text: string | Buffer, line: number): number {
  const buf = typeof text === "string" ? Buffer.from(text) : text;
  let offset = 0;
  for (let l = 1; l < line; l++) offset = buf.indexOf(0x0a, offset) + 1;
  return offset;
}
