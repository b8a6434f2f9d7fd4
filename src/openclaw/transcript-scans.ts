/**
 * OpenClaw's transcript scans before an append, answered from ctxc's worker read of the transcript:
 * `readTranscriptLeafInfo` (the leaf and entry counts) and `findTranscriptMessageByIdempotencyKey`
 * ("not there" when no line holds the key: from the keys the main thread keeps, else the worker's scan).
 * OpenClaw's own scan runs whenever ctxc cannot tell. The handlers take the runtime's counters and log
 * ({@link PreloadDeps}).
 */
import { resolve } from "node:path";
import type { MayHoldKeyReply } from "../../native-free-workers/openclaw/session-buffer.js";
import { noteIndexUse, runInOpenClawPool } from "./pool.js";
import type { Handler, PreloadDeps } from "./preload-deps.js";
import { sameFile } from "./prepared-reads.js";
import { keptKeyAnswer, keptKeysEnabled, startKeptKeys } from "./kept-keys.js";
import { readSessionMetaAsync } from "./session.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** The handlers (preload-runtime.ts `handlers`). */
export function transcriptScanHandlers(deps: PreloadDeps): Record<string, Handler> {
  return {
    readTranscriptLeafInfo: (original, [path]) => transcriptLeafInfo(deps, path as string, original),
    findTranscriptMessageByIdempotencyKey: (original, args) => findTranscriptMessageByIdempotencyKey(deps, original, args as [string, string]),
  };
}

export type LeafInfo = { leafId?: string; hasParentLinkedEntries: boolean; nonSessionEntryCount: number };

/**
 * Stands in for OpenClaw's internal `readTranscriptLeafInfo(transcriptPath)` (the chunk is rewritten to
 * call this; preload-hooks.ts): the answer comes from ctxc's worker, whose read of the transcript
 * continues from the previous turn, instead of a main-thread read of the whole file that `JSON.parse`s
 * every line twice while OpenClaw holds the session write lock. OpenClaw then builds and appends the
 * entry itself. When ctxc cannot tell (a missing file, a line it skipped unread) or fails, `original`
 * (OpenClaw's scan) runs.
 */
export async function transcriptLeafInfo({ counters, stepAside, fallback }: PreloadDeps, transcriptPath: string, original: (p: string) => Promise<LeafInfo>): Promise<LeafInfo> {
  try {
    if (typeof transcriptPath === "string") {
      const meta = await readSessionMetaAsync(transcriptPath);
      if (meta.leafInfo) {
        counters.leafInfoServed++;
        return meta.leafInfo;
      }
      if (meta.status !== "missing") stepAside(`transcript leaf scan runs: ctxc cannot tell (${transcriptPath})`);
    }
  } catch (err) {
    fallback("readTranscriptLeafInfo", err);
  }
  return original(transcriptPath);
}

/**
 * OpenClaw's `findTranscriptMessageByIdempotencyKey(path, key)` (2026.5.26+), answered "not found"
 * (`undefined`, stock's answer) when ctxc can tell the key is in no line of the file, without OpenClaw's
 * backward parse of every line:
 * - on the main thread, from the keys kept of the file plus the lines appended since (kept-keys.ts):
 *   O(appended bytes), and no worker round trip — 2026.7.35 asks inside the session write lock, where the
 *   worker's answer waited for the gateway's busy main thread (issue #11);
 * - else by ctxc's worker, which continues its read of the file and scans its line bytes
 *   (native-free-workers/openclaw/idempotency.ts), sending the lines' keys back to start the kept ones.
 * When the key may be there, or ctxc's read is not exactly the file, OpenClaw's scan runs (it then also
 * finds the entry to return).
 */
async function findTranscriptMessageByIdempotencyKey({ counters, fallback }: PreloadDeps, original: AnyFn, [transcriptPath, key]: [string, string]): Promise<unknown> {
  try {
    if (typeof transcriptPath === "string" && typeof key === "string") {
      const path = resolve(transcriptPath);
      const useKept = keptKeysEnabled();
      const kept = useKept ? keptKeyAnswer(path, key) : undefined;
      if (kept === "absent") {
        counters.idempotencyServed++;
        counters.idempotencyMain++;
        return undefined;
      }
      if (kept === undefined || kept === "changed") {
        const options = kept === "changed" ? { startOver: true } : undefined;
        const reply = (await runInOpenClawPool({ op: "mayHoldKey", path, key, keys: useKept, options })) as MayHoldKeyReply | string;
        if (typeof reply !== "string") noteIndexUse(reply);
        if (typeof reply === "string") {
          if (reply !== "status missing") fallback("findTranscriptMessageByIdempotencyKey", `${reply} (${path})`);
        } else if (!sameFile(reply.file, reply.bytes, path)) {
          fallback("findTranscriptMessageByIdempotencyKey", `file changed since the worker read it (${path})`);
        } else if (useKept && startKeptKeys(path, reply) ? keptKeyAnswer(path, key) === "absent" : !reply.mayHold) {
          counters.idempotencyServed++;
          counters.idempotencyWorker++;
          return undefined;
        }
      }
    }
  } catch (err) {
    fallback("findTranscriptMessageByIdempotencyKey", err);
  }
  counters.idempotencyScans++;
  return original(transcriptPath, key);
}
