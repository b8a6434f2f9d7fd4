/**
 * How long a thread has waited for a core (ms): Linux's schedstat run delay, the time the thread was runnable
 * but not running. A main-thread block's wall time minus its growth is the block's time on a CPU — on a loaded
 * host (2 cores shared by a busy gateway's threads and other processes) the wall alone counts the waits too
 * (issue #11: the restart warm-up's `warmUpMs`). Exact for a block that runs throughout: the kernel adds a wait
 * when the thread is put back on a core, so any wait inside the block is in by its end. `process.threadCpuUsage`
 * (Node 23.9+) is not: it moves at scheduler ticks, so a 2 ms block after a sleep mostly reads 0.
 *
 * The thread is the one that first calls it (the file `/proc/thread-self/schedstat` then names, kept open: a
 * positioned read of it is ~2 µs, opening it each time ~11). Where /proc has no schedstat (not Linux), 0: the
 * wall is then all there is.
 */
import { openSync, readSync } from "node:fs";

let fd: number | undefined;
let readable = true;
const buf = Buffer.alloc(96);

export function threadWaitMs(): number {
  if (!readable) return 0;
  try {
    fd ??= openSync("/proc/thread-self/schedstat", "r");
    const text = buf.toString("latin1", 0, readSync(fd, buf, 0, buf.length, 0));
    const from = text.indexOf(" ") + 1;
    const ns = Number(text.slice(from, text.indexOf(" ", from)));
    if (from > 0 && Number.isFinite(ns)) return ns / 1e6;
  } catch {
    // not Linux, or /proc not mounted
  }
  readable = false;
  return 0;
}
