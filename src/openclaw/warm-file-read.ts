/**
 * The restart warm-up's warming of Node's own `fs.promises` file-handle code (issue #11, first turn after a
 * restart). OpenClaw's prewarm (`sessionManagerCache.prewarmSessionFile`: `fsModule.open(file, "r")`, read
 * 4 KiB, close), which ctxc's handler runs beside its worker read (prepared-reads.ts `prewarmSessionFile`),
 * is the first main-thread `open`/`read`/`close` through a FileHandle in a restarted ctxc process: ctxc serves
 * the earlier reads on the worker. A process's first such sequence compiles Node's lazily compiled internals
 * (~3–5 ms on a CPU on Node 24.22.3, later ones ~0.5): the first turn paid that inside OpenClaw's prewarm
 * frame, later turns skip the prewarm (OpenClaw's cache says the file was opened). Here the same sequence
 * runs once, before any turn, on a transcript the warm-up reads anyway — a read-only open, nothing kept, no
 * state of ctxc's or OpenClaw's touched (so nothing the turn decides changes).
 */
import { open } from "node:fs/promises";

/** Whether {@link warmFileReadCode} has run in this process (the code it warms is Node's, shared by every caller). */
let warmed = false;

/** One `fs.promises` open / 4 KiB read / close of `path`, as OpenClaw's prewarm does, once per process; never rejects. */
export async function warmFileReadCode(path: string): Promise<void> {
  if (warmed) return;
  warmed = true;
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(4096);
      await handle.read(buffer, 0, buffer.length, 0);
    } finally {
      await handle.close();
    }
  } catch {
    // A file gone meanwhile: the turn warms the code itself, as without the warm-up.
  }
}
