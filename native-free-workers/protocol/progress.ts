/**
 * Build progress through shared memory: the worker stores three Int32 cells (phase, done, total), the
 * main thread polls them on a timer. No messages cross threads, so a progress bar costs nothing.
 */

/** What a build is doing: reading and parsing the transcript (KiB), or counting tokens (messages). */
export type BuildPhase = "read" | "tokenize";

export interface BuildProgress {
  phase: BuildPhase;
  /** KiB read so far, or messages tokenized so far. */
  done: number;
  /** KiB to read, or messages to tokenize at most. */
  total: number;
}

const PHASES: (BuildPhase | undefined)[] = [undefined, "read", "tokenize"];

export function createProgressCells(): SharedArrayBuffer {
  return new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
}

/** Worker side. */
export function storeProgress(cells: SharedArrayBuffer | undefined, phase: BuildPhase, done: number, total: number): void {
  if (!cells) return;
  const view = new Int32Array(cells);
  Atomics.store(view, 1, Math.min(done, 0x7fffffff));
  Atomics.store(view, 2, Math.min(total, 0x7fffffff));
  Atomics.store(view, 0, PHASES.indexOf(phase));
}

/** Main-thread side: the latest progress, or null before the worker started. */
export function loadProgress(cells: SharedArrayBuffer): BuildProgress | null {
  const view = new Int32Array(cells);
  const phase = PHASES[Atomics.load(view, 0)];
  return phase ? { phase, done: Atomics.load(view, 1), total: Atomics.load(view, 2) } : null;
}
