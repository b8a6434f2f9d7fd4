/**
 * OpenClaw's repair pass (`repairSessionFileIfNeeded`, run before every attempt) answered "nothing to
 * repair" from ctxc's worker read, per release. Stock reads, splits and `JSON.parse`s the whole transcript
 * on the main thread for that answer; when the pass WOULD change something, or ctxc cannot tell, stock
 * runs and does its own read and write.
 *
 * What each release's pass computes (read from its dist; test/matrix/interceptions.test.ts compares
 * against the release's own function on generated, damaged, image-bearing and growing transcripts):
 * - every release drops malformed lines and invalid messages and rewrites errored empty assistant turns
 *   and blank user messages, and inserts results for calls that have none — the calls and the id rule
 *   differ per release ({@link ToolResultRule}); the worker's facts say which rules find one missing;
 * - 2026.6.5+ also replace corrupted image blocks: the worker lists the entries with image blocks, and
 *   the release's own `isCorruptedImageContentBlock` judges each block here (its base64 and signature
 *   rules live in another chunk and change between releases) — exact by construction;
 * - 2026.6.9+ keep an incremental repair cache (`sessionRepairCache`: snapshot, tool-result ids, whether
 *   the file ends with a newline) and return the snapshot they validated. "Nothing to repair" is then
 *   `{repaired: false, droppedLines: 0, validatedSnapshot}`, and the cache holds what the full pass leaves
 *   (through the release's own `rememberSessionRepair`, so its limits apply). When the cache already has
 *   the file, stock's own path is O(appended) or a stat: it runs.
 */
import { resolve } from "node:path";
import { identityIsSnapshot } from "./entry-cache.js";
import { endsWithNewline } from "./release/file-entries.js";
import { resolveHelpers, type Handler, type PreloadDeps } from "./preload-deps.js";
import type { ToolResultRule } from "../../native-free-workers/openclaw/repair-check.js";
import type { RepairCheckReply } from "../../native-free-workers/protocol/session-buffer-layout.js";

/** OpenClaw's file snapshot for the repair cache (bigint stat fields). */
interface RepairSnapshot {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** The chunk bindings a pass variant uses (shapes.ts `helpers`). */
interface PassHelpers {
  isCorruptedImageContentBlock?: (block: unknown) => boolean;
  sessionRepairCache?: Map<string, unknown>;
  readSessionRepairSnapshot?: (file: string) => Promise<RepairSnapshot | undefined>;
  isSameSessionRepairSnapshot?: (a: RepairSnapshot, b: RepairSnapshot) => boolean;
  rememberSessionRepair?: (file: string, state: { snapshot: RepairSnapshot; toolResultIds: Set<string>; endsWithNewline: boolean }) => void;
}

/** What one release's pass checks beyond the common rules. */
interface PassRules {
  toolResults: readonly ToolResultRule[];
  /** 2026.6.5+: corrupted image blocks (judged by the release's `isCorruptedImageContentBlock`). */
  images: boolean;
  /** 2026.6.9+: the incremental repair cache and the validated snapshot. */
  cache: boolean;
}

/**
 * The variants by handler name (shapes.ts `handler`). 5.12–5.28: codex calls; the id rule changed in
 * 5.26 in another chunk, which the shape does not cover, so both must find every result.
 */
const VARIANTS: Record<string, PassRules> = {
  repairSessionFileIfNeeded: { toolResults: ["codex/v1", "codex/v2"], images: false, cache: false },
  repairPass601: { toolResults: ["chatgpt/v2"], images: false, cache: false },
  repairPass605: { toolResults: ["chatgpt/v2"], images: true, cache: false },
  repairPass609: { toolResults: ["chatgpt/v2"], images: true, cache: true },
  repairPass611: { toolResults: ["chatgpt/v2", "mirror/v2"], images: true, cache: true },
};

/** Why the worker's check of the file does not show a file this release's pass leaves alone, or null. */
function wouldChange(check: RepairCheckReply, rules: PassRules, h: PassHelpers): string | null {
  const facts = check.meta.repairFacts;
  if (!facts) return "no ctxc read of the file";
  if (facts.common !== null) return facts.common;
  const missing = rules.toolResults.find((r) => facts.unresolved.includes(r));
  if (missing) return `a tool call without its result (${missing})`;
  if (rules.images && facts.imageRecords.length > 0) {
    const judge = h.isCorruptedImageContentBlock;
    if (typeof judge !== "function") return "no isCorruptedImageContentBlock";
    // The worker sends the lines of exactly these records; parsed here as stock parses its lines.
    if (check.imageLines.length !== facts.imageRecords.length) return "no image lines from ctxc's read";
    for (const line of check.imageLines) {
      const content = (JSON.parse(line) as { message: { content: unknown[] } }).message.content;
      if (content.some((block) => judge(block))) return "a corrupted image block";
    }
  }
  return null;
}

/** The worker read matches OpenClaw's snapshot of the file (bigint stat) exactly. */
function sameAsSnapshot(check: RepairCheckReply, snap: RepairSnapshot): boolean {
  const f = check.meta.file;
  return !!f && f.size === check.meta.bytes && identityIsSnapshot(f, snap);
}

async function repairPass(deps: PreloadDeps, rules: PassRules, original: (p: unknown) => Promise<unknown>, params: { sessionFile?: unknown }, h: PassHelpers): Promise<unknown> {
  const { counters, fallback, preloadLog, checkRepair, prefetchSession, unchangedSince } = deps;
  let rewrites = false;
  let file = "";
  try {
    const input = typeof params?.sessionFile === "string" ? params.sessionFile.trim() : "";
    if (input) {
      file = resolve(input);
      let before: RepairSnapshot | undefined;
      if (rules.cache) {
        // Stock's own incremental path (a stat, or a parse of the appended bytes) and a missing file cost no whole-file parse.
        if (h.sessionRepairCache!.has(file)) return await original(params);
        before = await h.readSessionRepairSnapshot!(file);
        if (!before) return await original(params);
      }
      // The worker's read for the check only (no session buffer); the session read after it continues it.
      const got = await checkRepair(file, rules.images).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      let why: string | null;
      if (got instanceof Error) why = got.message;
      else if (!got.complete) {
        // Stopped where the pass's verdict was settled: the pass rewrites the file (or decides) whatever follows.
        why = got.meta.repairFacts?.common ?? "the read stopped early";
        rewrites = true;
      } else if (before ? !sameAsSnapshot(got, before) : !unchangedSince(got, file)) why = "file changed since the worker read it";
      else {
        why = wouldChange(got, rules, h);
        rewrites = why !== null;
      }
      if (why === null && !(got instanceof Error)) {
        if (!before) {
          counters.repairsSkipped++;
          return { repaired: false, droppedLines: 0 };
        }
        // As stock: the snapshot after the read must be the one before it, else nothing is validated.
        const ends = endsWithNewline(file, got.meta.bytes);
        const after = await h.readSessionRepairSnapshot!(file);
        if (after && h.isSameSessionRepairSnapshot!(before, after)) {
          h.rememberSessionRepair!(file, { snapshot: after, toolResultIds: new Set(got.meta.repairFacts!.toolResultIds), endsWithNewline: ends });
          counters.repairsSkipped++;
          return { repaired: false, droppedLines: 0, validatedSnapshot: after };
        }
        why = "file changed during the check";
      }
      preloadLog("fallback", `repair pass runs: ${why} (${file})`);
    }
  } catch (err) {
    fallback("repairSessionFileIfNeeded", err);
  }
  const result = await original(params);
  // The pass rewrote the file, as the check said it would: the session open after it needs a read of the
  // new bytes — start it now, so it is queued before the prewarm asks (which then waits for this one).
  if (rewrites && (result as { repaired?: unknown } | undefined)?.repaired === true) prefetchSession(file);
  return result;
}

/** The handlers (preload-runtime.ts `handlers`), one per release variant of the pass. */
export function repairHandlers(deps: PreloadDeps): Record<string, Handler> {
  return Object.fromEntries(
    Object.entries(VARIANTS).map(([name, rules]): [string, Handler] => [
      name,
      (original, [params], helpers) => repairPass(deps, rules, original, params as { sessionFile?: unknown }, resolveHelpers(helpers) as PassHelpers),
    ]),
  );
}
