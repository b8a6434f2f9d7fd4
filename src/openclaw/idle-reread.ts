/**
 * The background re-read after OpenClaw's whole-file writes of a transcript (2026.6.9+: the first flush,
 * 2026.7.35's header rewrite on a session's first turn, stock's rewrite), run only when the worker pool is
 * idle (issue #11).
 *
 * Why a re-read at all: after a whole-file write the worker's read state (and the persistent index saved
 * from it) describes bytes the file no longer holds. The session's next read notices and reads the file
 * again — but a gateway stopped before that read restarts from a stale index: that first read after the
 * restart parses the whole file (2026.7.35 real-gateway smoke: `indexRejected=1`). One worker read of the
 * file as written makes the state, and the index saved from it, follow the file.
 *
 * Why deferred: that read parses the whole file (0.23–0.77 s of CPU at 10–28 MB). Fired at once, on the
 * first ("upgrade-day") turns five of them landed inside the burst of the agents' first turns on two cores,
 * and ctxc's first turns came out worse than stock's (real gateway, 2026.7.35: stage p50 10.9 vs 9.6 s).
 * Nothing waits for the re-read — it is only for a restart — so it waits for a moment no turn wants:
 *
 * - **Idle rule.** It runs once the pool has had no request queued or running (for any session) for
 *   {@link REREAD_IDLE_MS}, and the window starts over with every request. Requests of one turn come with
 *   gaps while the gateway thread does OpenClaw's own work (its repair pass, the open, the model call), so
 *   "idle this instant" is no sign the burst is over; a second without any is. The timer callback itself
 *   runs only when the gateway thread is free. Re-reads run one at a time, each after its own idle window
 *   (a re-read is a request: its end opens the next window), so a turn arriving meanwhile waits behind at
 *   most one of them.
 * - **Coalesced.** One per file, for its latest write: the read is of the file as it is when it runs.
 * - **Dropped** when a session read of the file that was asked for after the write (so it ran after it)
 *   was answered and left a state for the whole file (pool.ts `PoolObserver.answered`): that read already
 *   made the worker's state — and the saved index — follow the file.
 * - **Lost on a stop.** A pool closed (a gateway stopped) with re-reads still pending drops them: the next
 *   start reads those files in full, exactly as without the index — only warmth is lost. On SIGTERM,
 *   when the gateway already handles that signal (its own handler is there: ours changes nothing about
 *   whether the process stops), the pending re-reads start at once and get the time the gateway's own
 *   shutdown takes (about 2 s in the real-gateway runs); an index is written by rename, so a read cut
 *   short leaves the old file.
 *
 * An append is never followed by a re-read: the session's next read continues the worker's state (the
 * appended bytes only), and the saved index still describes a prefix of the file.
 */
import type { OpenClawWorkerRequest } from "../../native-free-workers/openclaw-worker.js";
import type { PoolObserver } from "./pool.js";

/** Quiet time of the pool before a pending re-read runs (see the file comment). */
export const REREAD_IDLE_MS = 1_000;

/** Timers the scheduler uses (tests drive it with a manual clock). */
export interface IdleTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Real timers, unref'd: a pending re-read never keeps a finishing process alive. */
export const realTimers: IdleTimers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What the scheduler asks the pool (pool.ts). */
export interface PoolStatus {
  /** Whether any request is queued or running. */
  busy(): boolean;
  /** The number of the latest request asked for (requests are numbered in the order they are asked). */
  ticket(): number;
}

/** Session reads that, answered, leave the worker a read state for the whole file (fileDigest and bootstrap do not touch it). */
function leftWholeState(request: OpenClawWorkerRequest, reply: unknown): boolean {
  switch (request.op) {
    case "session":
    case "sessionMeta":
    case "recentLines":
    case "mayHoldKey":
      return true;
    case "repairCheck": {
      // A check that stopped early keeps a partial state, which is not saved: it does not count.
      const meta = (reply as { meta?: { bytes: number; file: { size: number } | null } } | null)?.meta;
      return !!meta?.file && meta.bytes === meta.file.size;
    }
    default:
      return false;
  }
}

/** The pending re-reads and when they run (see the file comment); the pool's observer (pool.ts). */
export class IdleRereads implements PoolObserver {
  /** Per absolute path: the pool ticket when its latest write was followed. Insertion order: oldest write first. */
  private readonly pending = new Map<string, number>();
  private timer: unknown = undefined;
  private stopHooked = false;

  constructor(
    private readonly pool: PoolStatus,
    private readonly reread: (path: string) => Promise<unknown>,
    private timers: IdleTimers = realTimers,
    readonly idleMs: number = REREAD_IDLE_MS,
  ) {}

  /** Replaces the timers (tests: a manual clock); an armed timer is moved to them. */
  useTimers(timers: IdleTimers): void {
    this.disarm();
    this.timers = timers;
    this.arm();
  }

  /** The paths waiting for their re-read, oldest write first. */
  waiting(): string[] {
    return [...this.pending.keys()];
  }

  /** OpenClaw wrote `path` (absolute) whole: its re-read waits for the pool to be idle. */
  afterWrite(path: string): void {
    this.pending.delete(path);
    this.pending.set(path, this.pool.ticket());
    this.hookStop();
    this.arm();
  }

  /** The pool got a request with none in flight: the quiet window starts over. */
  busy(): void {
    this.disarm();
  }

  /** The pool's last request in flight settled. */
  idle(): void {
    this.arm();
  }

  /** A request numbered `ticket` was answered: a session read asked for after the write drops the re-read. */
  answered(request: OpenClawWorkerRequest, ticket: number, reply: unknown): void {
    if (!("path" in request)) return;
    const wrote = this.pending.get(request.path);
    if (wrote !== undefined && ticket > wrote && leftWholeState(request, reply)) this.pending.delete(request.path);
  }

  /** The pool closed (a stop, a reconfiguration): its workers' states are gone, nothing pending is run. */
  closed(): void {
    this.pending.clear();
    this.disarm();
  }

  /** Starts every pending re-read now (a stopping gateway: no turn is coming). */
  flush(): void {
    this.disarm();
    const paths = this.waiting();
    this.pending.clear();
    for (const path of paths) this.start(path);
  }

  private arm(): void {
    if (this.timer !== undefined || this.pending.size === 0 || this.pool.busy()) return;
    this.timer = this.timers.set(() => this.fire(), this.idleMs);
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.timers.clear(this.timer);
    this.timer = undefined;
  }

  /** The window passed with the pool idle: the oldest pending re-read runs (its end opens the next window). */
  private fire(): void {
    this.timer = undefined;
    if (this.pool.busy()) return;
    const path = this.pending.keys().next().value;
    if (path === undefined) return;
    this.pending.delete(path);
    this.start(path);
  }

  private start(path: string): void {
    // Only a read: its answer is not used, and a failure changes nothing (the next read starts over).
    this.reread(path).catch(() => {});
  }

  /**
   * On SIGTERM, flush — only when the process already handles SIGTERM (OpenClaw's gateway does): a
   * listener of ours alone would stop Node's default exit on that signal.
   */
  private hookStop(): void {
    if (this.stopHooked || process.listenerCount("SIGTERM") === 0) return;
    this.stopHooked = true;
    process.once("SIGTERM", () => {
      this.flush();
      // The gateway's own handler was removed since: Node's default (exit) is what the signal asked for.
      if (process.listenerCount("SIGTERM") === 0) process.kill(process.pid, "SIGTERM");
    });
  }
}
