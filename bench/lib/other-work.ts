/**
 * Other work on the main thread for the in-process benches (bench/openclaw-digest.ts, openclaw-stage.ts):
 * back-to-back macrotasks of `ms` ms of synchronous work each, as other agents' turns and OpenClaw's
 * plugin scans keep a gateway's main thread busy — so every hop back to it waits behind one.
 */
import { performance } from "node:perf_hooks";

/** Starts the work; the returned function stops it. `ms` ≤ 0: none. */
export function otherWork(ms: number): () => void {
  if (ms <= 0) return () => undefined;
  let on = true;
  const step = () => {
    if (!on) return;
    const until = performance.now() + ms;
    while (performance.now() < until);
    setImmediate(step);
  };
  setImmediate(step);
  return () => void (on = false);
}
