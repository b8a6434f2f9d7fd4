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
 *   rules live in another chunk and change between releases) — exact by construction; lines an earlier
 *   pass judged clean in the same worker read state are neither sent nor judged again (judged-images.ts),
 *   and where the workers run the same judge (release/worker-judge.ts) they judge the lines first and send
 *   only those from the first they do not find clean on;
 * - 2026.6.9+ keep an incremental repair cache (`sessionRepairCache`: snapshot, tool-result ids, whether
 *   the file ends with a newline) and return the snapshot they validated. "Nothing to repair" is then
 *   `{repaired: false, droppedLines: 0, validatedSnapshot}`, and the cache holds what the full pass leaves
 *   (through the release's own `rememberSessionRepair`, so its limits apply — but for a set over those
 *   limits, which it would drop: see {@link rememberAsStock}). When the cache already has the file,
 *   stock's own path is O(appended) or a stat: it runs.
 *
 * The snapshots of 2026.6.9+ (how stock validates: a bigint stat before its read, one after, equal). Stock
 * takes "before" on the path, then reads, then "after"; ctxc's "before" is the worker's bigint `fstat` of
 * the descriptor it reads, taken after the open and before the first byte is read (worker
 * session-buffer.ts `repairSnapshotOf`), and "after" is the release's own `readSessionRepairSnapshot` once
 * the worker has answered (its fields, from a synchronous stat: {@link repairSnapshotNow}). Equal by the release's `isSameSessionRepairSnapshot` means the file at the path
 * had that identity before the read and after it, which is what stock's pair says of its read; stock's
 * "before" may be taken any time before its read (the stat's callback waits its turn on the event loop),
 * so the worker's is one stock could take. This drops stock's first stat, an event-loop hop, and the "after"
 * stat, taken synchronously, is no hop either (three → one: the worker's answer).
 *
 * The session read for the prewarm and open that follow the pass (prepared-reads.ts) is asked for at once
 * with the check — or beside stock's incremental path — when it is a warm one (ctxc keeps the file's
 * records, so only the appended bytes are read: `prefetchWarmSession`). Both then wait on the worker
 * together and their answers reach the main thread in the same hop, where asked one after the other each
 * costs a wait behind whatever keeps a gateway's main thread busy (issue #11: 2026.7.35 real gateway, ~70–110
 * ms a hop at p50 on later turns). The read is used only if the file is still what it read when the prewarm
 * comes (and then the open's own identity check): if the pass runs stock and rewrites, it is discarded and
 * the file read again, as before. A file ctxc holds nothing of (a first turn) is not read ahead: a whole-file
 * read that a stock repair, likely then, would waste.
 */
import { resolve } from "node:path";
import { bigintStatOf, identityIsSnapshot, type BigintFileStat } from "./entry-cache.js";
import { judgedImagesOf, judgeName, lineHasCorruptedImage, rememberJudgedImages } from "./judged-images.js";
import { endsWithNewline } from "./release/file-entries.js";
import { prefetchDigest } from "./prefetched-digest.js";
import { openStarted } from "./prepared-reads.js";
import { ownerReleased, ownerTaken, watchingTurnEnds } from "./turn-end-prefetch.js";
import { resolveHelpers, type Handler, type PreloadDeps } from "./preload-deps.js";
import type { ToolResultRule } from "../../native-free-workers/openclaw/repair-check.js";
import { snapshotOf, type RepairCheckReply, type RepairFacts, type ResultIdLimits } from "../../native-free-workers/protocol/session-buffer-layout.js";

/** The chunk bindings a pass variant uses (shapes.ts `helpers`). */
interface PassHelpers {
  isCorruptedImageContentBlock?: (block: unknown) => boolean;
  sessionRepairCache?: Map<string, unknown>;
  readSessionRepairSnapshot?: (file: string) => Promise<BigintFileStat | undefined>;
  isSameSessionRepairSnapshot?: (a: BigintFileStat, b: BigintFileStat) => boolean;
  rememberSessionRepair?: (file: string, state: { snapshot: BigintFileStat; toolResultIds: Set<string>; endsWithNewline: boolean }) => void;
  /** The bounds `rememberSessionRepair` drops a state over (2026.6.9+: 4,096 ids, 512 KiB of ids). */
  MAX_CACHED_REPAIR_TOOL_RESULT_IDS?: unknown;
  MAX_CACHED_REPAIR_TOOL_RESULT_ID_BYTES?: unknown;
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

/** Whether the pass served by handler `name` has the 2026.6.5+ image rule (its chunk's judge is then worth keeping: image-prejudge.ts). */
export function passJudgesImages(name: string): boolean {
  return VARIANTS[name]?.images === true;
}

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
    // The worker sends the lines of exactly these records, but for those judged clean by an earlier pass
    // of the same read state (judged-images.ts) or by the workers' own run of this judge before the first
    // it does not find clean; parsed here as stock parses its lines, unless this judge found the same line
    // clean before (in any read: judged-images.ts `lineHasCorruptedImage`).
    if (check.imageLines.length !== facts.imageRecords.length - check.imageLinesFrom) return "no image lines from ctxc's read";
    for (const line of check.imageLines) if (lineHasCorruptedImage(judge as (block: unknown) => boolean, line)) return "a corrupted image block";
  }
  return null;
}

/** The release's repair-cache bounds, when it has both as chunk bindings (else the worker sends ids as before). */
function idLimitsOf(h: PassHelpers): ResultIdLimits | undefined {
  const count = h.MAX_CACHED_REPAIR_TOOL_RESULT_IDS;
  const bytes = h.MAX_CACHED_REPAIR_TOOL_RESULT_ID_BYTES;
  return Number.isSafeInteger(count) && Number.isSafeInteger(bytes) ? { count: count as number, bytes: bytes as number } : undefined;
}

/**
 * What the release's `rememberSessionRepair(file, {snapshot, toolResultIds, endsWithNewline})` leaves,
 * with the ids of the worker's facts. Its first branch: a set of more than MAX_CACHED_REPAIR_TOOL_RESULT_IDS
 * ids, or of more than MAX_CACHED_REPAIR_TOOL_RESULT_ID_BYTES UTF-8 bytes by its `countToolResultIdBytes`
 * (a sum that stops once past the bound: over it exactly when the whole sum is), deletes the file's entry
 * and keeps nothing — done here from the worker's count and sum, without the set the worker did not send.
 * Otherwise the release's own function, with the set. False when the ids sent are not the whole set.
 */
function rememberAsStock(h: PassHelpers, limits: ResultIdLimits | undefined, file: string, facts: RepairFacts, snapshot: BigintFileStat, ends: boolean): boolean {
  if (limits && (facts.toolResultIdCount > limits.count || facts.toolResultIdBytes > limits.bytes)) {
    h.sessionRepairCache!.delete(file);
    return true;
  }
  // Without limits the worker sends at most 4,097 (one over the release's bound: the set is then dropped all the same).
  if (limits && facts.toolResultIds.length !== facts.toolResultIdCount) return false;
  h.rememberSessionRepair!(file, { snapshot, toolResultIds: new Set(facts.toolResultIds), endsWithNewline: ends });
  return true;
}

/**
 * The release's `readSessionRepairSnapshot(file)` — a bigint `fs.promises.stat`'s dev, ino, size, mtimeNs and
 * ctimeNs, undefined on any error; its body is part of the pass's shape (shapes.ts SHAPE_DEPS) — as a
 * synchronous stat: the same fields of the file at the call, without the fs hop whose callback would wait its
 * turn behind the gateway's busy main thread (issue #11: one wait fewer in the session-resource-loader stage).
 */
function repairSnapshotNow(file: string): BigintFileStat | undefined {
  const st = bigintStatOf(file);
  return st && snapshotOf(st);
}

/**
 * Whether the release's incremental path (2026.6.9+ `tryIncrementalSessionRepair`, when its cache holds the
 * file) answers without its whole-file read: at once when the cached snapshot is the file's now, or from the
 * appended bytes when the caller's trusted snapshot is the file's now (the lock controller's, on the
 * attempt's path; the file must also have grown and end with a newline — else stock reads it all, as
 * before). Without a trusted snapshot that fits (the compaction path passes none; another writer moved the
 * file) the incremental path returns nothing and stock falls through to the whole-file read and parse on the
 * main thread — ~100 ms at 10 MB — which the worker's check answers as for a file the cache does not hold,
 * leaving the cache as that read leaves it ({@link rememberAsStock}). Either way the answer is the full pass's
 * or the incremental one's, which agree on a file with nothing to repair. A file that cannot be stat'ed: stock.
 */
function stockIsIncremental(h: PassHelpers, file: string, trusted: unknown): boolean {
  const cached = h.sessionRepairCache!.get(file) as { snapshot?: BigintFileStat } | undefined;
  if (!cached) return false;
  const now = repairSnapshotNow(file);
  if (!now) return true;
  const same = h.isSameSessionRepairSnapshot!;
  return (cached.snapshot !== undefined && same(cached.snapshot, now)) || (trusted !== undefined && trusted !== null && same(trusted as BigintFileStat, now));
}

/** The worker read matches OpenClaw's snapshot of the file (bigint stat) exactly. */
function sameAsSnapshot(check: RepairCheckReply, snap: BigintFileStat): boolean {
  const f = check.meta.file;
  return !!f && f.size === check.meta.bytes && identityIsSnapshot(f, snap);
}

/** The worker's check as asked: its answer (or why it failed), and whether it was asked before the pass came. */
interface Asked {
  reply: Promise<RepairCheckReply | Error>;
  early: boolean;
}

/** Asks the worker for the pass's check of `file` (absolute) under this release's rules; never rejects. */
function askCheck(deps: PreloadDeps, rules: PassRules, h: PassHelpers, file: string, early: boolean): Asked & { limits?: ResultIdLimits } {
  const limits = rules.cache ? idLimitsOf(h) : undefined;
  // The worker's read for the check only (no session buffer); the session read after it continues it.
  // 2026.6.9+: with the "before read" snapshot (see the file comment) and the release's id bounds.
  const seen = rules.images ? judgedImagesOf(file) : undefined;
  const judge = rules.images ? judgeName(h.isCorruptedImageContentBlock) : undefined;
  const check = { images: rules.images, ...(seen ? { imagesFrom: seen } : {}), ...(judge ? { judge } : {}), ...(rules.cache ? { snapshot: true, ...(limits ? { idLimits: limits } : {}) } : {}) };
  const reply = deps.checkRepair(file, check).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  return { reply, early, limits };
}

/**
 * The turn's worker reads asked for at the session-resource-loader stage's first call (2026.5.27+
 * `acquireEmbeddedAttemptSessionFileOwner`, issue #11), ahead of the awaits before the pass (the write
 * lock's realpath, mkdir and lock file, the abort checks, the trusted-snapshot stat): the check, the warm
 * session read and the fence's digest, so the pass finds its answer there instead of asking then. Keyed by
 * absolute path; taken by the pass. The pass verifies it as it verifies its own (the worker's "before" stat
 * against the release's "after" stat of 2026.6.9+, or the file's identity), so a file changed in between —
 * by another writer before the lock was held, or a run that ended before its pass — is asked again, not
 * repaired by stock on a stale verdict.
 */
const earlyChecks = new Map<string, Asked & { limits?: ResultIdLimits }>();
/** How the last pass asked (its rules and chunk bindings): what the stage's first call asks with. */
let lastPass: { rules: PassRules; h: PassHelpers } | undefined;

/**
 * Starts the turn's reads of `sessionFile` (see {@link earlyChecks}); a no-op before any pass ran. A check asked
 * already — at the previous turn's end ({@link prefetchNextTurn}) — is kept: the pass judges it against the file as
 * it is then and asks again if it changed; so are a settled session read and a digest that still fit the file.
 */
function startTurnReads(deps: PreloadDeps, sessionFile: unknown, { keepCheck }: { keepCheck: boolean }): void {
  if (!lastPass || typeof sessionFile !== "string" || !sessionFile.trim()) return;
  const file = resolve(sessionFile.trim());
  const { rules, h } = lastPass;
  // Stock's incremental path will run for a file the release's repair cache holds: no check to ask.
  if (rules.cache && h.sessionRepairCache!.has(file)) earlyChecks.delete(file);
  else if (!keepCheck || !earlyChecks.has(file)) earlyChecks.set(file, askCheck(deps, rules, h, file, true));
  deps.prefetchWarmSession(file);
  prefetchDigest(file);
}

/**
 * The next turn's reads of `file` (absolute), asked at the end of this one (turn-end-prefetch.ts: its session
 * lock released and left so for a moment): the check, the warm session read and the fence digest, as the
 * stage's first call asks them — so that call finds them answered, instead of the stage waiting for the
 * worker's replies to reach a busy main thread. Only for a file a turn of this process has opened; never throws.
 */
export function prefetchNextTurn(deps: PreloadDeps, file: string): void {
  // A check asked at an earlier release (one before the turn's last write: OpenClaw releases the lock during
  // the model call) is for the file as it was then: asked anew.
  if (openStarted(file)) startTurnReads(deps, file, { keepCheck: false });
}

/**
 * After a pass that judged image lines here: the same check asked again, unawaited, its answer dropped —
 * its only use is the `imagesFrom` it carries, which the worker keeps with the read state and saves to its
 * persistent index (judged-images.ts). Otherwise the worker learns what was judged only from the next
 * check of this read state, and a restart before that finds nothing judged in the index: the first turn's
 * pass then judges every image line of the file again on the main thread (issue #11). No next check comes
 * while the release's repair cache holds the file (stock's incremental path runs: 33 lines, ~20–50 ms of a
 * 10 MB transcript's first turn after a restart, whose ids fit the cache), nor when the gateway stops after
 * the session's one turn (a real-gateway run stopped after one turn per agent: ~40 ms of judging over five
 * 28 MB first turns after the restart). Only when a judge name is kept across restarts (judged-images.ts
 * `judgeName`).
 */
function tellJudged(deps: PreloadDeps, rules: PassRules, h: PassHelpers, file: string, got: RepairCheckReply): void {
  if (got.imageLines.length === 0 || judgeName(h.isCorruptedImageContentBlock) === undefined) return;
  askCheck(deps, rules, h, file, false);
}

/** Why the check's answer cannot stand for the pass now, or null; `changed`: the file moved since the worker read it. */
type Verdict = { why: string | null; changed: boolean; rewrites: boolean; got: RepairCheckReply | Error };

function judge(deps: PreloadDeps, rules: PassRules, h: PassHelpers, file: string, got: RepairCheckReply | Error): Verdict {
  const before = got instanceof Error ? undefined : got.snapshot;
  if (got instanceof Error) return { why: got.message, changed: false, rewrites: false, got };
  // Stopped where the pass's verdict was settled: the pass rewrites the file (or decides) whatever follows.
  if (!got.complete) return { why: got.meta.repairFacts?.common ?? "the read stopped early", changed: false, rewrites: true, got };
  if (rules.cache && !before) return { why: got.meta.repair ?? "no snapshot from ctxc's read", changed: false, rewrites: false, got }; // a missing file: stock decides
  if (before ? !sameAsSnapshot(got, before) : !deps.unchangedSince(got, file)) return { why: "file changed since the worker read it", changed: true, rewrites: false, got };
  if (rules.images) {
    deps.counters.imageLinesJudged += got.imageLines.length;
    deps.counters.imageLinesJudgedInWorkers += got.imageLinesJudgedInWorker ?? 0;
  }
  const why = wouldChange(got, rules, h);
  return { why, changed: false, rewrites: why !== null, got };
}

async function repairPass(deps: PreloadDeps, rules: PassRules, original: (p: unknown) => Promise<unknown>, params: { sessionFile?: unknown; trustedSnapshot?: unknown }, h: PassHelpers): Promise<unknown> {
  const { counters, fallback, stepAside, prefetchSession, prefetchWarmSession } = deps;
  lastPass = { rules, h };
  let rewrites = false;
  let file = "";
  try {
    const input = typeof params?.sessionFile === "string" ? params.sessionFile.trim() : "";
    if (input) {
      file = resolve(input);
      const early = earlyChecks.get(file);
      earlyChecks.delete(file);
      // Stock's own incremental path (a stat, or a parse of the appended bytes) costs no whole-file parse.
      // The warm session read for the prewarm and open starts beside it (see the file comment).
      if (rules.cache && stockIsIncremental(h, file, params.trustedSnapshot)) {
        prefetchWarmSession(file);
        prefetchDigest(file);
        return await original(params);
      }
      let why: string | null = null;
      // The check asked at the stage's first call, else now; an early one that no longer fits the file is asked again.
      for (let asked = early ?? askCheck(deps, rules, h, file, false); ; asked = askCheck(deps, rules, h, file, false)) {
        if (!asked.early) {
          // Queued on the worker together with the check, so both answers come back in one hop (file comment);
          // and the fence's digest after the open, in the same round trip (prefetched-digest.ts).
          prefetchWarmSession(file);
          prefetchDigest(file);
        }
        const verdict = judge(deps, rules, h, file, await asked.reply);
        ({ why, rewrites } = verdict);
        const got = verdict.got;
        if (why === null && rules.images && !(got instanceof Error)) rememberJudgedImages(file, got.meta.generation, got.imageRecordsSettled);
        if (why === null && !(got instanceof Error)) {
          const before = got.snapshot;
          if (!before) {
            counters.repairsSkipped++;
            if (asked.early) counters.repairsEarly++;
            tellJudged(deps, rules, h, file, got);
            return { repaired: false, droppedLines: 0 };
          }
          // As stock: the snapshot after the read must be the one before it, else nothing is validated.
          const ends = endsWithNewline(file, got.meta.bytes);
          const after = repairSnapshotNow(file);
          if (after && h.isSameSessionRepairSnapshot!(before, after)) {
            if (rememberAsStock(h, asked.limits, file, got.meta.repairFacts!, after, ends)) {
              counters.repairsSkipped++;
              if (asked.early) counters.repairsEarly++;
              tellJudged(deps, rules, h, file, got);
              return { repaired: false, droppedLines: 0, validatedSnapshot: after };
            }
            why = "the worker sent only part of the tool-result ids";
          } else {
            why = "file changed during the check";
            verdict.changed = true;
          }
        }
        if (!(asked.early && verdict.changed)) break;
      }
      stepAside(`repair pass runs: ${why} (${file})`);
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

/**
 * The release's session-file owner, with its `release` also telling turn-end-prefetch.ts (after it ran, whatever it
 * returned or threw): the next turn's reads wait for the run's end. An owner without a `release` method, or one that
 * cannot take the wrapped method (frozen), is returned untouched and not counted as held.
 */
function watchOwner(owner: unknown, file: string): unknown {
  const o = owner as { release?: unknown } | null;
  if (!o || typeof o.release !== "function") return owner;
  const release = o.release as (...a: unknown[]) => unknown;
  let released = false;
  try {
    o.release = function (this: unknown, ...a: unknown[]) {
      try {
        return release.apply(this, a);
      } finally {
        if (!released) {
          released = true;
          ownerReleased(file);
        }
      }
    };
  } catch {
    return owner;
  }
  if (o.release === release) return owner;
  ownerTaken(file);
  return owner;
}

/** The handlers (preload-runtime.ts `handlers`), one per release variant of the pass. */
export function repairHandlers(deps: PreloadDeps): Record<string, Handler> {
  return {
    ...Object.fromEntries(
      Object.entries(VARIANTS).map(([name, rules]): [string, Handler] => [
        name,
        (original, [params], helpers) => repairPass(deps, rules, original, params as { sessionFile?: unknown; trustedSnapshot?: unknown }, resolveHelpers<PassHelpers>(helpers)),
      ]),
    ),
    // The stage's first call runs as stock; the turn's reads start beside it (see earlyChecks). The owner it
    // returns is the release's — with turn ends watched (opt-in), its `release` told to turn-end-prefetch.ts after it ran.
    acquireEmbeddedAttemptSessionFileOwner: (original, [params]) => {
      const sessionFile = (params as { sessionFile?: unknown } | undefined)?.sessionFile;
      try {
        // A check kept only when turn ends are watched (the one asked there); otherwise asked anew, as before them.
        startTurnReads(deps, sessionFile, { keepCheck: watchingTurnEnds() });
      } catch (err) {
        deps.fallback("acquireEmbeddedAttemptSessionFileOwner", err);
      }
      const owner = original(params);
      if (!watchingTurnEnds() || typeof sessionFile !== "string" || !sessionFile.trim()) return owner;
      return Promise.resolve(owner).then((o: unknown) => watchOwner(o, sessionFile.trim()));
    },
  };
}
