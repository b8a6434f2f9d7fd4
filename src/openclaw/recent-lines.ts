/**
 * OpenClaw 2026.6.11+'s `readRecentUserAssistantTextFromSessionTranscript(sessionFile, options)` (the
 * recent conversation a channel adds to the prompt: Telegram asks for it on every inbound message, with
 * a time window) answered with the lines ctxc's worker says can give an entry, instead of a backward
 * stream and parse of the whole transcript on the main thread.
 *
 * Stock's loop is kept as it is, run over fewer lines: each line still goes through the release's own
 * `parseRecentConversationText` (a chunk helper), in the same newest-first order, with the same window
 * checks and the same stop at `limit` (through the release's `normalizeRecentTranscriptLimit`). The lines
 * left out are the ones that loop would skip anyway (native-free-workers/openclaw/recent-lines.ts).
 * Lines come in batches, each from the same continued worker read. A file that is no longer the one the
 * worker read — OpenClaw appended to it between the worker's read and the check, as its own turn writes
 * race a channel's inbound read — is asked for again from the start (the worker's continued state reads
 * only the appended bytes) up to {@link ATTEMPTS} times; still changing, missing, or with a line ctxc
 * skipped unread, it gets stock's loop.
 */
import { statSync } from "node:fs";
import { identityOf, sameIdentity } from "./entry-cache.js";
import { resolve } from "node:path";
import { noteIndexUse, runInOpenClawPool } from "./pool.js";
import { resolveHelpers, type Handler, type PreloadDeps } from "./preload-deps.js";
import type { RecentLinesQuery, RecentLinesReply } from "../../native-free-workers/openclaw/recent-lines.js";

/** OpenClaw's recent-conversation entry (what `parseRecentConversationText` returns). */
type RecentEntry = { timestamp?: number } & Record<string, unknown>;

interface RecentHelpers {
  parseRecentConversationText: (line: string) => RecentEntry | undefined;
  normalizeRecentTranscriptLimit: (limit: unknown) => number;
}

type RecentOptions = { limit?: unknown; beforeTimestampMs?: number; minTimestampMs?: number };

/** Lines asked for first: enough for the default limit of 10 when most lines give an entry. */
const FIRST_BATCH = 32;

/**
 * Reads of the whole answer before stock's loop runs. Each retry follows a change the file made while
 * the worker read it, so a file that keeps changing faster than a worker hop is left to stock rather
 * than chased: the main thread's wait stays bounded.
 */
export const ATTEMPTS = 3;

/** Why an attempt cannot stand because the file moved on (asked again), as opposed to a reason stock must run. */
const CHANGED_BETWEEN_BATCHES = "file changed between batches";
const CHANGED_SINCE_READ = "file changed since the worker read it";
const CHANGED = new Set([CHANGED_BETWEEN_BATCHES, CHANGED_SINCE_READ]);

/** The file on disk is still the one the worker read. */
function sameFile(file: RecentLinesReply["file"], path: string): boolean {
  const now = identityOf(path);
  return !!now && !!file && sameIdentity(now, file);
}

/** Stock's loop over the worker's lines, read again while the file changes under it; a string when ctxc cannot answer (then stock runs). */
async function recentFromWorker(path: string, options: RecentOptions, h: RecentHelpers, counters: PreloadDeps["counters"]): Promise<RecentEntry[] | string> {
  let why = "";
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (attempt > 1) counters.recentReadsAgain++;
    const got = await oneAttempt(path, options, h);
    if (typeof got !== "string" || !CHANGED.has(got)) return got;
    why = got;
  }
  return `${why} (${ATTEMPTS} reads, each overtaken by a write)`;
}

/** One whole answer from one continued worker read; a string when it cannot stand. */
async function oneAttempt(path: string, options: RecentOptions, h: RecentHelpers): Promise<RecentEntry[] | string> {
  const limit = h.normalizeRecentTranscriptLimit(options.limit);
  const { beforeTimestampMs, minTimestampMs } = options;
  const recent: RecentEntry[] = [];
  let skip = 0;
  let file: RecentLinesReply["file"] | undefined;
  for (let max = FIRST_BATCH; ; max *= 4) {
    const query: RecentLinesQuery = { skip, max, ...(minTimestampMs !== undefined ? { minTimestampMs } : {}), ...(beforeTimestampMs !== undefined ? { beforeTimestampMs } : {}) };
    const reply = (await runInOpenClawPool({ op: "recentLines", path, query })) as RecentLinesReply | string;
    if (typeof reply === "string") return reply;
    noteIndexUse(reply);
    // Every batch from the same bytes, and those still the file's.
    if (file && (!reply.file || !sameIdentity(reply.file, file))) return CHANGED_BETWEEN_BATCHES;
    file = reply.file;
    if (!sameFile(file, path)) return CHANGED_SINCE_READ;
    for (const line of reply.lines) {
      // Stock's loop body (transcript.ts readRecentUserAssistantTextFromSessionTranscript).
      try {
        const entry = h.parseRecentConversationText(line);
        if (!entry) continue;
        if (!(beforeTimestampMs === undefined || entry.timestamp === undefined || entry.timestamp < beforeTimestampMs)) continue;
        if (!(minTimestampMs === undefined || entry.timestamp === undefined || entry.timestamp >= minTimestampMs)) continue;
        recent.push(entry);
        if (recent.length >= limit) return recent.toReversed();
      } catch {
        continue;
      }
    }
    if (reply.exhausted) return recent.toReversed();
    skip += reply.lines.length;
  }
}

async function readRecent(deps: PreloadDeps, original: (...a: unknown[]) => Promise<unknown>, args: unknown[], helpers: Record<string, () => unknown>): Promise<unknown> {
  const [sessionFile, options = {}] = args as [unknown, RecentOptions | undefined];
  try {
    // Stock's own early answers (no file name) and its errors (options not an object) stay stock's.
    if (typeof sessionFile === "string" && sessionFile.trim() && typeof options === "object" && options !== null) {
      const path = resolve(sessionFile);
      if (statSync(path, { throwIfNoEntry: false })?.isFile()) {
        const got = await recentFromWorker(path, options, resolveHelpers<RecentHelpers>(helpers), deps.counters);
        if (typeof got !== "string") {
          deps.counters.recentReadsServed++;
          return got;
        }
        deps.stepAside(`recent-conversation read runs: ${got} (${path})`);
      }
    }
  } catch (err) {
    deps.fallback("readRecentUserAssistantTextFromSessionTranscript", err);
  }
  return original(...args);
}

/** The handler (preload-runtime.ts `handlers`). */
export function recentLinesHandlers(deps: PreloadDeps): Record<string, Handler> {
  return { readRecentUserAssistantTextFromSessionTranscript: (original, args, helpers) => readRecent(deps, original, args, helpers) };
}
