/**
 * OpenClaw's image judge (2026.6.5+ `isCorruptedImageContentBlock`) run in this worker, so the repair
 * pass's image lines are judged where they were read instead of on the gateway's main thread (issue #11:
 * on an agent's first turn ever every image line of its transcript is judged once — 230 ms of main thread
 * over five agents on the real gateway's install day, each line a JSON.parse and a base64 pass).
 *
 * Exact by construction: the judge is the release's own code. Its functions' source texts come from the
 * release's chunk (the repair pass's shape fixes them: src/openclaw/release/shapes.ts), the binding they
 * import (`sanitizeInlineImageBase64`, with the base64 and signature rules) is the release's module file
 * itself, imported here — a module whose text ctxc checked to be pure (shapes.ts KNOWN_JUDGE_MODULES) and
 * never rewrites — on the same Node. A verdict is a function of the line alone, so a line found clean is
 * remembered by its bytes: the same line in a rewritten file (OpenClaw's repair and header rewrites
 * re-serialise untouched lines byte for byte) is not judged again.
 *
 * Only "clean" is ever decided here. A line with a corrupted block, or one that does not parse as the
 * pass parses image lines, goes to the main thread as before, whose pass judges it with the release's
 * judge there and repairs as stock.
 */
import { createHash } from "node:crypto";
import type { ImageJudgeSpec } from "../protocol/image-judge.js";

type Judge = (block: unknown) => boolean;

let loaded: { name: string; judge: Judge } | undefined;

/** Lines remembered clean at most (a 28 MB transcript with images holds ~90; the oldest is forgotten first). */
const MAX_CLEAN_LINES = 16_384;
const cleanLines = new Set<string>();

/**
 * Builds the judge of `spec` (imports its module, evaluates its functions); resolves to why not, or null
 * when loaded. Never rejects: without it the image lines go to the main thread, as before.
 */
export async function loadImageJudge(spec: ImageJudgeSpec): Promise<string | null> {
  try {
    const values: unknown[] = [];
    for (const { local, url, exported } of spec.imports) {
      const value = ((await import(url)) as Record<string, unknown>)[exported];
      // The binding the chunk imports under this name (the bundler keeps function names; `$N` de-duplicates).
      if (typeof value !== "function" || value.name !== local.replace(/\$\d+$/, "")) return `${url} exports no function ${local} as ${exported}`;
      values.push(value);
    }
    // Strict, as the chunk (an ES module) runs it; nothing of this module is in scope, only the imports.
    const body = `"use strict";\n${spec.functions.join("\n")}\nreturn ${spec.entry};`;
    const judge = new Function(...spec.imports.map((i) => i.local), body)(...values) as unknown;
    if (typeof judge !== "function") return `${spec.entry} is not a function`;
    loaded = { name: spec.name, judge: judge as Judge };
    cleanLines.clear();
    return null;
  } catch (err) {
    return String(err);
  }
}

/** The judge kept under `name` (RepairCheckOptions.judge), when this worker has it. */
export function imageJudgeNamed(name: string | undefined): Judge | undefined {
  return loaded !== undefined && loaded.name === name ? loaded.judge : undefined;
}

/**
 * Whether the image line `bytes` (an image record's line, as the repair pass is sent it) is clean by
 * `judge`: its parse as the pass parses it, no block judged corrupted. False for a corrupted block and for
 * a line that does not parse so (the pass decides those).
 */
export function imageLineClean(judge: Judge, bytes: Buffer): boolean {
  const key = createHash("sha256").update(bytes).digest("base64");
  if (cleanLines.has(key)) return true;
  try {
    const content = (JSON.parse(bytes.toString("utf8")) as { message: { content: unknown[] } }).message.content;
    if (content.some((block) => judge(block))) return false;
  } catch {
    return false;
  }
  cleanLines.add(key);
  if (cleanLines.size > MAX_CLEAN_LINES) cleanLines.delete(cleanLines.values().next().value!);
  return true;
}
