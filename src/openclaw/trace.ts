/**
 * The preload's opt-in call trace (`CTXC_OPENCLAW_TRACE=1`; off by default, and then nothing here runs:
 * the pool and the handler table check {@link TRACING} once). Issue #11: how much of OpenClaw 2026.7.35's
 * `session-resource-loader` stage is ctxc's own waiting — a request queued in the single worker behind
 * other agents' digests or cold reads — and how much is the saturated main thread, which ctxc cannot move.
 *
 * Two kinds of `trace` lines in the preload log (log-line.ts), parsed by bench/real-gateway/log-parse.ts:
 *
 *     call op=<worker op> file=<key> prio=<open|other> t=<epoch ms> pool=<ms> port=<ms> work=<ms> paused=<ms> hop=<ms>
 *     fn name=<intercepted function> file=<key> t=<epoch ms> ms=<wall ms> stock=<ms>
 *     read file=<key> t=<epoch ms> asked=<none|generation|file> askedRecords=<n> askedBytes=<n> first=<n> base=<n> records=<n> index=<kind> bytes=<n> readFrom=<n> generation=<8 hex>
 *     meta op=<repairCheck|sessionMeta> file=<key> t=<epoch ms> index=<kind> readFrom=<n> bytes=<n> generation=<8 hex>
 *     open file=<key> t=<epoch ms> how=<kept|decoded> reused=<n> entries=<n> first=<n> base=<n>
 *
 * A `call` is one worker request: `t` when it was asked for; `pool` waiting in the pool's own queue
 * (pool.ts `nextOf`); `port` handed to the worker but waiting behind the request it runs; `work` the op's
 * own running time; `paused` the rest of its time on the worker (a digest: the gaps between its slices, in
 * which other requests run, and its wait behind the digest before it on that worker); `hop` from the worker's reply being ready to the caller's continuation running on the main thread (the
 * reply waits there behind whatever the main thread is doing). A `fn` is one call of an intercepted
 * OpenClaw function through ctxc's handler, from entry to return (async: to settling) — ctxc's awaited
 * calls, worker requests and main-thread work inside; `stock` the part of it spent in OpenClaw's own body
 * when the handler ran it (a fallback, e.g. the release's repair of a file that needs one). `file` is the transcript's file name without
 * `.jsonl` (OpenClaw names it by its session id), `-` when the call names none. A `read` is one session read
 * settled (prepared-reads.ts): what it asked the worker to continue (the entry cache's generation, the file's
 * identity, or nothing) and what came back (`first` records not sent, the worker's `base` and `index`, the state's
 * generation); a `meta` is one worker read that sends no entries (session.ts: a repair check, a meta read) — from
 * which state it continued and from where it parsed; an
 * `open` is one snapshot open it answered (entry-loaders.ts): `reused` entries kept from before, the rest
 * decoded on the main thread — where a later turn's open decodes the whole file, these say why. Lines are buffered and
 * written once a second and at exit, so tracing adds no synchronous write per call.
 */
import { basename } from "node:path";
import { newTraceBuffer, TraceSlot, traceNow } from "../../native-free-workers/protocol/call-trace.js";
import { logLine, writeLogLines } from "./log-line.js";

/** Whether the trace is on (read once, at load). */
export const TRACING = process.env.CTXC_OPENCLAW_TRACE === "1";

let pending = "";
let flushTimer: NodeJS.Timeout | undefined;
let exitHooked = false;

/** Writes the buffered trace lines now (also done once a second and at exit). */
export function flushTrace(): void {
  if (flushTimer !== undefined) clearTimeout(flushTimer);
  flushTimer = undefined;
  const text = pending;
  pending = "";
  if (text) writeLogLines(text);
}

/** Buffers one `trace` line (written with the others once a second and at exit). */
export function emitTrace(message: string): void {
  if (flushTimer === undefined) {
    if (!exitHooked) process.once("exit", flushTrace);
    exitHooked = true;
    flushTimer = setTimeout(flushTrace, 1000);
    flushTimer.unref();
  }
  pending += logLine("trace", message);
}

/** The trace key of a transcript path: its file name without `.jsonl`. */
export function fileKey(path: unknown): string {
  if (typeof path !== "string" || path === "") return "-";
  const name = basename(path);
  return name.endsWith(".jsonl") ? name.slice(0, -6) : name;
}

/** A duration as trace lines write it: one decimal, never negative, `NaN` when unknown. */
export const ms = (x: number) => (Number.isFinite(x) ? Math.max(0, x).toFixed(1) : "NaN");

/** One traced worker request (pool.ts): created when asked for, stamped when handed over and when continued. */
export class CallTrace {
  readonly buffer = newTraceBuffer();
  private readonly requested = traceNow();
  private handedAt = NaN;
  constructor(
    private readonly op: string,
    private readonly path: unknown,
    private readonly priority: string,
  ) {}
  /** The pool handed the request to its worker. */
  handed(): void {
    this.handedAt = traceNow();
  }
  /** The caller's continuation runs (the reply was received and awaited): writes the line. */
  continued(): void {
    const now = traceNow();
    const slots = new Float64Array(this.buffer);
    const started = slots[TraceSlot.started]!;
    const done = slots[TraceSlot.done]!;
    const own = slots[TraceSlot.ownMs]!;
    // A request the worker never served (a closed pool, a crash): its slots are 0; only the total is known.
    const served = started > 0 && done >= started;
    emitTrace(
      `call op=${this.op} file=${fileKey(this.path)} prio=${this.priority} t=${this.requested.toFixed(1)} pool=${ms(this.handedAt - this.requested)} ` +
        (served ? `port=${ms(started - this.handedAt)} work=${ms(own)} paused=${ms(done - started - own)} hop=${ms(now - done)}` : `port=NaN work=NaN paused=NaN hop=NaN total=${ms(now - this.requested)}`),
    );
  }
}

/** The transcript an intercepted call is about: its first argument, or that argument's `sessionFile`, or the instance's. */
function pathOf(args: unknown[], self: unknown): unknown {
  const first = args[0];
  if (typeof first === "string") return first;
  const own = (first as { sessionFile?: unknown } | null | undefined)?.sessionFile;
  if (typeof own === "string") return own;
  return (self as { sessionFile?: unknown } | null | undefined)?.sessionFile;
}

/** Calls `fn`; `done` runs once it returned, threw, or (a promise) settled. The result and throw unchanged. */
function whenDone(fn: (...x: unknown[]) => unknown, self: unknown, args: unknown[], done: () => void): unknown {
  let result: unknown;
  try {
    result = fn.apply(self, args);
  } catch (err) {
    done();
    throw err;
  }
  if (result instanceof Promise) result.then(done, done);
  else done();
  return result;
}

/**
 * `handlers` with each call timed into a `fn` line (see the file comment), and the time spent in OpenClaw's
 * own body when the handler runs it (`stock=`: a fallback, or the release's path the handler leaves to it);
 * the results and throws unchanged.
 */
export function traceHandlers<H extends (...a: never[]) => unknown>(handlers: Record<string, H>): Record<string, H> {
  const out: Record<string, H> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    out[name] = function (this: unknown, ...a: Parameters<H>) {
      const args = a as unknown[];
      const t0 = traceNow();
      let stock = 0;
      const original = args[0];
      if (typeof original === "function") {
        args[0] = function (this: unknown, ...x: unknown[]) {
          const s0 = traceNow();
          return whenDone(original as (...x: unknown[]) => unknown, this, x, () => void (stock += traceNow() - s0));
        };
      }
      const line = () => emitTrace(`fn name=${name} file=${fileKey(pathOf(args[1] as unknown[], args[3]))} t=${t0.toFixed(1)} ms=${ms(traceNow() - t0)} stock=${ms(stock)}`);
      return whenDone(handler as unknown as (...x: unknown[]) => unknown, this, args, line);
    } as H;
  }
  return out;
}
