/**
 * The wire contract of the opt-in call trace (`CTXC_OPENCLAW_TRACE=1`, src/openclaw/trace.ts): a request
 * to the openclaw worker may carry `trace`, a small SharedArrayBuffer in which the worker stamps when it
 * started serving the request, when it was done, and how long its own code ran (less than done − started
 * for an op that yields between slices to let another request run: native-free-workers/openclaw/file-digest.ts).
 *
 * Why a shared buffer and not a field of the reply: the replies are of many shapes (a transferred session
 * buffer among them), and wrapping one would copy what is now transferred. The worker writes the slots
 * before it posts its reply; the main thread reads them after it received that reply (the message orders
 * the two). Without `trace` (the default) the worker does nothing extra.
 *
 * Times are epoch milliseconds with fractions (`performance.timeOrigin + performance.now()`), one clock
 * shared by every thread of the process and with `Date.now()`.
 */

/** Slot indexes (Float64) of the trace buffer. */
export const TraceSlot = {
  /** The worker began serving the request (it may have waited in the worker's port before). */
  started: 0,
  /** The worker computed its reply (posting it is the main thread's hop, not counted here). */
  done: 1,
  /** Milliseconds the op's own code ran between started and done (slices of a yielding op summed). */
  ownMs: 2,
} as const;

/** Float64 slots in a trace buffer. */
export const TRACE_SLOTS = 3;

/** A trace buffer for one request. */
export function newTraceBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(TRACE_SLOTS * Float64Array.BYTES_PER_ELEMENT);
}

/** Epoch ms with fractions, comparable across the process's threads. */
export function traceNow(): number {
  return performance.timeOrigin + performance.now();
}
