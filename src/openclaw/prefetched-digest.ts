/**
 * The fence digest of a later turn asked for in the stage's first worker round trip (issue #11).
 *
 * 2026.7.35's `session-resource-loader` stage asks ctxc's worker twice, one after the other: the repair check
 * (with the warm session read beside it, repair-pass.ts) and, once the open and the locked bootstrap run are
 * over, the fence refresh's `readSessionFileDigest` (session-digest.ts). Each round trip ends with a wait for
 * the gateway's main thread, ~98 % busy with OpenClaw's own work. On a later turn nothing writes the file
 * between the two, so the digest is asked for together with the check, and the fence's call takes it — one
 * sequential round trip per stage instead of two.
 *
 * Only for a file whose digest the fence asked for before (a file of 8–32 MB on a release with the fence:
 * smaller ones are read as text, larger ones only stat'ed — no digest of them is wasted), and only where the
 * answer is provably the file's digest as it is at the call: a bigint stat is taken BEFORE the worker reads,
 * and the prefetched digest is used only when a stat at the call finds the same file (device, inode, size,
 * mtime, ctime to the nanosecond), the worker hashed exactly that size, and the file's last change (ctime)
 * lies well before that first stat ("racy-clean", as git judges its index): any write after the first stat
 * then gets a later ctime, so an equal stat at the call means no write since — the same-size rewrite within
 * one timestamp tick, which is why the fence digest is otherwise never answered from a stat
 * (session-digest.ts), cannot hide. A file changed within the margin, with coarse timestamps (no sub-ms part:
 * FAT, some network filesystems — a wider margin), or changed since, is digested at the call as before.
 * Each prefetched digest is used once; a newer prefetch replaces it.
 */
import type { BigIntStats } from "node:fs";
import { bigintStatOf, sameSnapshot } from "./entry-cache.js";
import { openClawDigestKeepBytes, Priority, runInOpenClawPool } from "./pool.js";
import type { FileDigestReply } from "../../native-free-workers/protocol/file-digest.js";

/** How long before the first stat the file's last change must lie (ns): a few timestamp ticks (jiffies ≤ 10 ms). */
const FINE_MARGIN_NS = 100_000_000n;
/** The same for a file whose times have no sub-millisecond part (coarse filesystem timestamps: up to 2 s on FAT). */
const COARSE_MARGIN_NS = 3_000_000_000n;

interface Prefetched {
  before: BigIntStats;
  reply: Promise<FileDigestReply | Error>;
}

/** Absolute paths the fence has digested through ctxc (the files a prefetch is worth it for). */
const digested = new Set<string>();
const prefetched = new Map<string, Prefetched>();

/** Says that the fence digested `path` (absolute): its later turns' digests are prefetched. */
export function noteDigested(path: string): void {
  digested.add(path);
}

/** Whether the file's last change lies far enough before `st` was taken (`atNs`, wall clock) — see the file comment. */
function settledBefore(st: BigIntStats, atNs: bigint): boolean {
  const coarse = st.ctimeNs % 1_000_000n === 0n && st.mtimeNs % 1_000_000n === 0n;
  return st.ctimeNs <= atNs - (coarse ? COARSE_MARGIN_NS : FINE_MARGIN_NS);
}

/**
 * Asks the worker for the digest of `path` (absolute) now, for the fence's call later in the same stage,
 * when the fence digested it before and its stat says the answer could be used (a regular file, settled);
 * says whether it asked. Never rejects.
 */
export function prefetchDigest(path: string): boolean {
  if (!digested.has(path)) return false;
  const atNs = BigInt(Date.now()) * 1_000_000n;
  const before = bigintStatOf(path);
  if (!before || !before.isFile() || !settledBefore(before, atNs)) {
    prefetched.delete(path);
    return false;
  }
  // One asked earlier (at the previous turn's end: turn-end-prefetch.ts) for the file as it still is: kept —
  // it was settled when asked, and its stat is this one, so its digest is the file's now (taken as any other).
  const earlier = prefetched.get(path);
  if (earlier && sameSnapshot(earlier.before, before)) return true;
  const reply = (runInOpenClawPool({ op: "fileDigest", path }, Priority.open) as Promise<FileDigestReply>).catch((e: unknown) =>
    e instanceof Error ? e : new Error(String(e)),
  );
  prefetched.set(path, { before, reply });
  return true;
}

/**
 * The sizes whose fence snapshot is a digest in 2026.6.6–7.35 (`readSessionFileFenceSnapshot`: the text is
 * read up to `MAX_BENIGN_SESSION_FENCE_REWRITE_BYTES`, 8 MiB; over `MAX_BENIGN_SESSION_FENCE_CTIME_DIGEST_BYTES`,
 * 32 MiB, only the stat is kept; between them `readSessionFileDigest`).
 */
const FENCE_DIGEST_ABOVE = 8 * 1024 * 1024;
const FENCE_DIGEST_UP_TO = 32 * 1024 * 1024;
/** The file bytes {@link warmDigest} asked the worker to digest since the process (or a test's restart) began. */
let warmDigestBytes = 0;

/** A restarted main thread (restart-warmup.ts `restartedMainThread`, for tests): nothing warmed yet. */
export function forgetWarmDigests(): void {
  warmDigestBytes = 0;
}

/**
 * The restart warm-up's part (restart-warmup.ts, issue #11 first turns): for a transcript it warmed whose
 * size the fence digests, the worker hashes the file now, in idle time — its answer is dropped; what stays
 * is the worker's memo of the bytes it hashed and the hash state after them (native-free-workers/openclaw/
 * file-digest.ts), so the first turn's digests compare that prefix instead of hashing 8–32 MB each on the
 * one worker the five first turns share — and the path counts as digested, so the first turn's repair check
 * asks for the digest beside it (as a later turn's does) instead of one more round trip. Nothing is answered
 * from this: every digest still reads the whole file as it is then. Says whether it asked; never throws.
 */
export function warmDigest(path: string, bytes: number): boolean {
  if (bytes <= FENCE_DIGEST_ABOVE || bytes > FENCE_DIGEST_UP_TO) return false;
  // No more than the worker's memo keeps (`CTXC_OPENCLAW_DIGEST_KEEP_MB`, 128 MiB): past it a warm digest would
  // evict an earlier one (the warm-up goes most recently saved first), and a memo turned off keeps none.
  if (warmDigestBytes + bytes > openClawDigestKeepBytes()) return false;
  warmDigestBytes += bytes;
  noteDigested(path);
  // Not awaited; a failure only leaves the first turn's digest to hash the file itself, as without the warm-up.
  runInOpenClawPool({ op: "fileDigest", path }, Priority.other).catch(() => {});
  return true;
}

/**
 * The prefetched digest of `path` (absolute), taken (used once): a promise of it when one was asked for,
 * resolving to the digest when it is the file's as it is now (see the file comment), else to undefined —
 * the caller digests the file itself; undefined at once when none was asked for (no await added then).
 */
export function takePrefetchedDigest(path: string): Promise<string | undefined> | undefined {
  const got = prefetched.get(path);
  if (!got) return undefined;
  prefetched.delete(path);
  return got.reply.then((reply) => {
    if (reply instanceof Error || !("sha256" in reply) || BigInt(reply.bytes) !== got.before.size) return undefined;
    const now = bigintStatOf(path);
    return now && sameSnapshot(now, got.before) ? reply.sha256 : undefined;
  });
}
