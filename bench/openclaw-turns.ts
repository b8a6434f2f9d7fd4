/**
 * Main-thread cost of a gateway turn's transcript work on OpenClaw 2026.6.9+ (issue #11 item 3), stock
 * vs served, with the release's real SessionManager: per turn, OpenClaw's entry cache of the file is
 * dropped (in a gateway the other agents' transcripts evict it: 32 MiB for all files), the session is
 * opened (served: after ctxc's worker read, as `prewarmSessionFile` starts it), the first turn rewrites
 * the header as 2026.7.35's `prepareSessionManagerForRun` does when the cwd changed (a whole-file write
 * OpenClaw makes itself, which ctxc's write follower follows), two messages are appended, and the turn
 * ends with `rewriteFile()`. A benchmark, not a test: correctness is test/matrix/rewrite-append.test.ts.
 *
 *     node dist/bench/openclaw-turns.js [--openclaw 2026.7.35] [--mb 28] [--turns 6] [--runtime URL]
 *
 * `--runtime` points the served side at another build of preload-runtime.js (e.g. main's, to compare
 * before and after). Reported: ms per phase (synchronous main-thread time of each call), turn 0 (with
 * the header rewrite) and the median of the later turns, and the served side's counters. The served turn
 * 0's open is what the first open after a gateway restart costs the main thread: ctxc holds nothing of
 * the file yet (the worker's restored index only spares the worker's read).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { loadSessionManagerPair, ownedContext, type Manager, type Side, type Snapshot } from "./lib/openclaw-session-manager.js";
import { ROOT } from "./lib/paths.js";

const { values } = parseArgs({
  options: { openclaw: { type: "string", default: "2026.7.35" }, mb: { type: "string", default: "28" }, turns: { type: "string", default: "6" }, runtime: { type: "string" } },
});
const version = values.openclaw!;
const root = join(ROOT, ".cache", "openclaw", version, "node_modules", "openclaw");
const runtimeUrl = values.runtime ?? pathToFileURL(join(import.meta.dirname, "..", "src", "openclaw", "preload-runtime.js")).href;
const turns = Number(values.turns);

type Phase = "open" | "header rewrite" | "appends" | "rewriteFile";
const PHASES: Phase[] = ["open", "header rewrite", "appends", "rewriteFile"];
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);
const timed = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
};

async function main(): Promise<void> {
  const pair = await loadSessionManagerPair(root, version, runtimeUrl);
  if (typeof pair === "string") throw new Error(`openclaw ${version}: ${pair}`);
  // What register.ts does at gateway start for a release whose snapshot open is served (absent in builds before it).
  (pair.runtime as { serveSnapshotOpens?: () => void }).serveSnapshotOpens?.();
  const dir = mkdtempSync(join(tmpdir(), "ctxc-bench-openclaw-turns-"));
  try {
    const text = generateTranscript({ seed: 7, targetBytes: Number(values.mb) * 1024 * 1024, branchProbability: 0.05, compactions: 2 }).text;
    const files = { stock: join(dir, "stock.jsonl"), served: join(dir, "served.jsonl") };
    const results: Record<"stock" | "served", Record<Phase, number[]>> = { stock: { open: [], "header rewrite": [], appends: [], rewriteFile: [] }, served: { open: [], "header rewrite": [], appends: [], rewriteFile: [] } };
    const before = { ...pair.runtime.counters };
    for (const name of ["stock", "served"] as const) {
      const side: Side = pair[name];
      const path = files[name];
      writeFileSync(path, text);
      const published: Snapshot[] = [];
      for (let turn = 0; turn < turns; turn++) {
        side.cache.delete(resolve(path));
        if (name === "served") await pair.runtime.prepareSession(path);
        const [sm, openMs] = timed(() => side.SM.open(path) as Manager);
        results[name].open.push(openMs);
        if (turn === 0) {
          // prepareSessionManagerForRun with a changed cwd: writeJsonlLines (async write, not timed) + syncSnapshotAfterHeaderRewrite.
          (sm.fileEntries as Record<string, unknown>[]).find((e) => e.type === "session")!.cwd = `/workspace/${name}`;
          const content = `${(sm.getSerializedFileLinesForRewrite() as string[]).join("\n")}\n`;
          writeFileSync(path, content);
          results[name]["header rewrite"].push(timed(() => sm.syncSnapshotAfterHeaderRewrite(content))[1]);
        }
        await pair.withOwnedWrites(ownedContext(path, published), () => {
          results[name].appends.push(
            timed(() => {
              sm.appendMessage({ role: "user", content: `turn ${turn}: one more question`, timestamp: Date.now() });
              sm.appendMessage({ role: "assistant", content: [{ type: "text", text: `reply ${turn}` }], api: "a", provider: "p", model: "m", stopReason: "stop", timestamp: Date.now() });
            })[1],
          );
          results[name].rewriteFile.push(timed(() => sm.rewriteFile())[1]);
        });
        await new Promise((r) => setImmediate(r)); // the prepared read is released after the open
      }
    }
    const c = pair.runtime.counters as unknown as Record<string, number>;
    const did = Object.keys(before)
      .filter((k) => c[k] !== (before as unknown as Record<string, number>)[k])
      .map((k) => `${k}=${c[k]! - (before as unknown as Record<string, number>)[k]!}`)
      .join(" ");
    console.log(`OpenClaw ${version}, node ${process.version}, ${values.mb} MB generated transcript, ${turns} turns; runtime ${runtimeUrl}`);
    console.log("main-thread ms: turn 0 (header rewrite) / median of turns 1…");
    console.log("| phase | stock turn 0 | stock later | served turn 0 | served later |");
    console.log("|---|---:|---:|---:|---:|");
    const row = (label: string, pick: (r: Record<Phase, number[]>, t: number) => number) => {
      const later = (r: Record<Phase, number[]>) => median(Array.from({ length: turns - 1 }, (_, i) => pick(r, i + 1)));
      console.log(`| ${label} | ${pick(results.stock, 0).toFixed(1)} | ${later(results.stock).toFixed(1)} | ${pick(results.served, 0).toFixed(1)} | ${later(results.served).toFixed(1)} |`);
    };
    for (const ph of PHASES) row(ph, (r, t) => (ph === "header rewrite" ? (t === 0 ? r[ph][0]! : 0) : r[ph][t]!));
    row("**turn**", (r, t) => PHASES.reduce((sum, ph) => sum + (ph === "header rewrite" ? (t === 0 ? r[ph][0]! : 0) : r[ph][t]!), 0));
    for (const name of ["stock", "served"] as const) console.log(`${name} open per turn (ms): ${results[name].open.map((x) => x.toFixed(1)).join(", ")}`);
    console.log(`served side did: ${did}`);
  } finally {
    pair.dispose();
    rmSync(dir, { recursive: true, force: true });
    const { closeOpenClawPool } = (await import(runtimeUrl.replace(/preload-runtime\.js$/, "index.js"))) as { closeOpenClawPool?: () => Promise<void> };
    await closeOpenClawPool?.();
  }
}

await main();
