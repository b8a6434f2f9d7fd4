/**
 * The write follower's byte check (release/write-follower.ts `fileHoldsBytes`, with read-lines.ts
 * `fileBytesOfLines`) on 2026.7.35's header rewrite of a session's first turn, timed alone: a generated
 * transcript read as ctxc's open reads it, its lines serialised with the header's cwd changed, written,
 * then checked — main-thread ms. With `--dist` of another build (e.g. main's copy at .tmp/main/dist),
 * that build's two functions run on the same read and file, alternated with this build's. Wall ms, and
 * this thread's CPU ms where Node has `process.threadCpuUsage` (24+): on a loaded shared host the wall
 * time counts the time other processes had the core.
 *
 *     node dist/bench/follower-check.js [--mb 28] [--runs 15] [--dist /path/to/other/dist]
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { transcriptOfSize } from "./lib/data.js";
import { hasThreadCpu, threadCpuMs } from "./lib/thread-cpu.js";
import { SessionReadCache, encodeSessionBuffer } from "../native-free-workers/openclaw/session-buffer.js";
import { decodeSession } from "../src/openclaw/index.js";
import { continuationFor, keptEntriesFor } from "../src/openclaw/kept-entries.js";
import { serializedLines, type LinesRead } from "../src/openclaw/release/read-lines.js";

const { values } = parseArgs({ options: { mb: { type: "string", default: "28" }, runs: { type: "string", default: "15" }, dist: { type: "string" } } });
const runs = Number(values.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One build's check: its own `fileBytesOfLines` (whatever shape it returns) fed to its own `fileHoldsBytes`. */
interface Check {
  fileBytesOfLines(lines: readonly unknown[], read: LinesRead): unknown;
  fileHoldsBytes(path: string, expected: never): boolean;
}
const load = async (dist: string): Promise<Check> => ({
  ...((await import(pathToFileURL(join(dist, "src", "openclaw", "release", "read-lines.js")).href)) as Pick<Check, "fileBytesOfLines">),
  ...((await import(pathToFileURL(join(dist, "src", "openclaw", "release", "write-follower.js")).href)) as Pick<Check, "fileHoldsBytes">),
});

const dir = mkdtempSync(join(tmpdir(), "ctxc-bench-follower-check-"));
try {
  const path = join(dir, "session.jsonl");
  copyFileSync((await transcriptOfSize(Number(values.mb))).path, path);
  const session = decodeSession(encodeSessionBuffer(path, {}, new SessionReadCache(), continuationFor(path)));
  const kept = keptEntriesFor(path, session, undefined, { lazy: true });
  if (typeof kept === "string") throw new Error(kept);
  // The manager's copy with the header's cwd changed, as 2026.7.35's prepareSessionManagerForRun has it.
  const mine = [{ ...(kept.entries[0] as object), cwd: "/elsewhere" }, ...kept.entries.slice(1)];
  const { lines, read, fromRead } = serializedLines(mine, kept.entries, (e) => JSON.stringify(e));
  if (!read) throw new Error("the lines are not the read's");
  writeFileSync(path, `${(lines as string[]).join("\n")}\n`);
  const builds: [string, Check, number[], number[]][] = [["this build", await load(join(import.meta.dirname, "..")), [], []]];
  if (values.dist) builds.push([values.dist, await load(values.dist), [], []]);
  for (let r = 0; r < runs; r++) {
    // Alternated, each build first in turn, so neither only runs warm or under a different load.
    for (const [, check, times, cpu] of r % 2 ? [...builds].reverse() : builds) {
      const [t0, c0] = [performance.now(), threadCpuMs()];
      const same = check.fileHoldsBytes(path, check.fileBytesOfLines(lines, read) as never);
      times.push(performance.now() - t0);
      cpu.push(threadCpuMs() - c0);
      if (!same) throw new Error("the byte check said no to the file as written");
    }
  }
  console.log(`${values.mb} MB, ${lines.length} lines (${fromRead} from the read), ${runs} runs; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  for (const [name, , times, cpu] of builds) {
    const thread = hasThreadCpu ? `; thread CPU median ${median(cpu).toFixed(1)} ms (min ${Math.min(...cpu).toFixed(1)})` : "";
    console.log(`${name}: wall median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})${thread}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
