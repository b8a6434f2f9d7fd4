/**
 * The next turn's worker reads, asked at the end of this one (issue #11, later turns).
 *
 * Once the session lock's own fs hops were gone (lock-fs.ts), what a later turn's session-resource-loader stage
 * still waited for was ctxc's: the reads it asks at the stage's first call (repair-pass.ts `startTurnReads`: the
 * check, the warm session read, the fence digest) are a few ms of worker work, but their replies then wait for
 * the gateway's busy main thread to take them — 2026.7.35 first start, later stages ~160 ms p50, nearly all of
 * it that wait. Asked at the previous turn's end, the replies are in long before the next stage, which then
 * finds them and does not wait.
 *
 * When: a moment ({@link SETTLE_MS}) after the session's lock file was closed (released), and only if no lock
 * file of it is open again by then (a writer holding it: the reads wait for its next release) and no embedded
 * run owns the file (2026.5.27+ `acquireEmbeddedAttemptSessionFileOwner`, released at the run's cleanup: 2026.7.35
 * releases the lock for the model call and takes it again for the reply, and reads asked in that gap would be
 * for a file about to change). The moment lets OpenClaw's release-then-reacquire sequences pass, and makes the
 * file's change time old enough for the fence digest to be prefetched (prefetched-digest.ts). Only for a file a
 * turn of this process opened.
 *
 * Exact as before: every read asked here is verified where it is used, as one asked at the stage's first call
 * is — the pass judges the check against the file as it is then and asks again if it changed, the prewarm
 * uses the read only for the file as it is, and the digest only when a stat at the call finds the file it
 * hashed; a stale one costs the round trip the stage had anyway. Never throws into OpenClaw: timers are
 * unref'd, failures are dropped (the stage then asks, as without this).
 */
import { resolve } from "node:path";

/**
 * Opt-in (`CTXC_OPENCLAW_TURN_END_READS=on`), read once at load. Measured (docs/real-gateway.md, 2026-12-06 night):
 * with it the stage's later p50 fell from 16–162 ms to 4 ms on 2026.7.35, but replies did not rise with it (equal or
 * one fewer after each of three runs' restarts, within the run-to-run spread) — so it is not on by default until
 * runs show what it gives a gateway's replies. Again on 2026-12-07 night, with the worker's later-turn work cut
 * (four alternated runs): the stage 178–207 → 4–5 ms, but the later turns' prep total and the replies the same
 * (102 vs 101): the wait moves to the stages after it, on the same saturated main thread.
 */
export const TURN_END_READS = process.env.CTXC_OPENCLAW_TURN_END_READS === "on";

/** How long after a session's lock file was closed, with none open again, the next turn's reads are asked (ms). */
export const SETTLE_MS = 250;

/** Transcripts with a lock file open now (ctxc's own handles: lock-fs.ts `LockFileHandle`), how many. */
const locked = new Map<string, number>();
/** Transcripts an embedded run owns now (its session-file owner taken and not released), how many owners. */
const owned = new Map<string, number>();
const timers = new Map<string, NodeJS.Timeout>();
let ask: ((file: string) => void) | undefined;

/** Says what asks the next turn's reads of a transcript (absolute path): preload-runtime.ts sets it when on; unset, nothing here runs. */
export function onTurnEnd(next: ((file: string) => void) | undefined): void {
  ask = next;
}

/** Whether turn ends are watched (an asker is set). */
export function watchingTurnEnds(): boolean {
  return ask !== undefined;
}

/** The transcript a session lock file is for: `<transcript>.lock`; anything else: undefined. */
function transcriptOf(lockPath: string): string | undefined {
  return lockPath.endsWith(".jsonl.lock") ? resolve(lockPath.slice(0, -".lock".length)) : undefined;
}

/** A lock file was opened (`wx`): its transcript is being written; no reads are asked for it meanwhile. */
export function lockFileOpened(lockPath: string): void {
  const file = transcriptOf(lockPath);
  if (file !== undefined) hold(locked, file);
}

/** A lock file was closed (its lock released, or the attempt failed): the reads are asked after {@link SETTLE_MS}. */
export function lockFileClosed(lockPath: string): void {
  const file = transcriptOf(lockPath);
  if (file !== undefined) letGo(locked, file);
}

/** An embedded run took the file's session-file owner (`file` as given to it): no reads are asked for it meanwhile. */
export function ownerTaken(file: string): void {
  hold(owned, resolve(file));
}

/** The run released that owner (its cleanup): the reads are asked after {@link SETTLE_MS}, once no lock file is open. */
export function ownerReleased(file: string): void {
  letGo(owned, resolve(file));
}

/** One more holder of `file` (a lock file, an owner) in `holders`: what was to be asked for it waits. */
function hold(holders: Map<string, number>, file: string): void {
  if (ask === undefined) return;
  holders.set(file, (holders.get(file) ?? 0) + 1);
  clearTimeout(timers.get(file));
  timers.delete(file);
}

/** One holder of `file` fewer in `holders`: the last one gone, the reads are asked after {@link SETTLE_MS} if `file` is quiet then. */
function letGo(holders: Map<string, number>, file: string): void {
  if (ask === undefined) return;
  const left = (holders.get(file) ?? 1) - 1;
  if (left > 0) return void holders.set(file, left);
  holders.delete(file);
  clearTimeout(timers.get(file));
  timers.delete(file);
  if (!quiet(file)) return;
  const timer = setTimeout(() => {
    timers.delete(file);
    if (!quiet(file)) return;
    try {
      ask?.(file);
    } catch {
      // the stage asks for them then, as without this
    }
  }, SETTLE_MS);
  timer.unref();
  timers.set(file, timer);
}

/** Neither a lock file of `file` is open nor a run owns it. */
const quiet = (file: string): boolean => !locked.has(file) && !owned.has(file);

/** Forgets every lock file and timer (tests). */
export function forgetTurnEnds(): void {
  for (const t of timers.values()) clearTimeout(t);
  timers.clear();
  locked.clear();
  owned.clear();
}
