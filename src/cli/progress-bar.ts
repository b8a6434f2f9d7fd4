/**
 * A one-line progress bar on stderr, only when stderr is a terminal (never in pipes, logs or CI), and
 * only once a build has run long enough to be worth one (small files finish before it would show).
 * No colour anywhere in the CLI, so NO_COLOR has nothing to turn off; `--quiet` turns the bar off.
 */
import type { BuildProgress } from "../../native-free-workers/protocol/progress.js";
import type { CliStream } from "./run.js";

const WIDTH = 30;
const SHOW_AFTER_MS = 300;

export function progressBar(stream: CliStream): { update(p: BuildProgress): void; done(): void } | null {
  // TERM=dumb: a terminal that cannot move the cursor back (\r, ESC[K) would show every frame.
  if (!stream.isTTY || process.env.TERM === "dumb") return null;
  const started = Date.now();
  let shown = false;
  return {
    update(p) {
      if (!shown && Date.now() - started < SHOW_AFTER_MS) return;
      shown = true;
      const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const filled = Math.round(ratio * WIDTH);
      const what = p.phase === "read" ? `reading ${(p.done / 1024).toFixed(1)}/${(p.total / 1024).toFixed(1)} MiB` : `tokenizing ${p.done}/${p.total} messages`;
      stream.write(`\r[${"#".repeat(filled)}${" ".repeat(WIDTH - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${what}\x1b[K`);
    },
    done() {
      if (shown) stream.write("\r\x1b[K");
    },
  };
}
