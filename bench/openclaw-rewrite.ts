/**
 * Main-thread cost of OpenClaw's end-of-turn flush (`SessionManager.rewriteFile`) after one appended
 * entry, stock vs served as an append (src/openclaw/release/append-rewrite.ts), at transcript sizes.
 * A benchmark, not a test (timings on a shared machine): correctness is test/matrix/rewrite-append.test.ts.
 *
 *     node dist/bench/openclaw-rewrite.js [--openclaw 2026.7.35|ROOT] [--sizes 1,10,28] [--runs 7]
 *
 * Run it with the Node the release needs (2026.7.35: .cache/node/24.22.3/…/bin/node; the bench names it otherwise). Per size, on a
 * generated transcript, each side opens the file in its own SessionManager (the served side's entry
 * cache filled as the session open will fill it), then `runs` times: one `appendMessage` (persisted by
 * OpenClaw as an append), then the timed `rewriteFile()` inside an owned write context, as in a
 * gateway run. Reported: median and min ms of the rewrite, and what the served side did.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { fillEntryCache, loadSessionManagerPair, ownedContext, type Manager, type SessionManagerPair, type Snapshot } from "./lib/openclaw-session-manager.js";
import { benchArgs, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";

const { values } = benchArgs({ options: { openclaw: { type: "string" }, sizes: { type: "string", default: "1,10,28" }, runs: { type: "string", default: "7" } } });
const { root, version } = await openclawRelease(values.openclaw);
const runtimeUrl = preloadRuntimeUrl();
const runs = Number(values.runs);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times `runs` flushes after one appended entry each on `sm` (file `path`). */
async function flushes(pair: SessionManagerPair, sm: Manager, path: string): Promise<number[]> {
  const out: number[] = [];
  const published: Snapshot[] = [];
  for (let i = 0; i < runs; i++) {
    await pair.withOwnedWrites(ownedContext(path, published), () => {
      sm.appendMessage({ role: "user", content: `turn ${i}: one more question`, timestamp: Date.now() });
      const t0 = performance.now();
      sm.rewriteFile();
      out.push(performance.now() - t0);
    });
  }
  return out;
}

async function main(): Promise<void> {
  const pair = await loadSessionManagerPair(root, version, runtimeUrl);
  if (typeof pair === "string") throw new Error(`openclaw ${version}: ${pair}`);
  const dir = mkdtempSync(join(tmpdir(), "ctxc-bench-openclaw-rewrite-"));
  try {
    const rows: string[] = [];
    for (const mb of values.sizes!.split(",").map(Number)) {
      const text = generateTranscript({ seed: 7, targetBytes: mb * 1024 * 1024, branchProbability: 0.05, compactions: 2 }).text;
      const [a, b] = [join(dir, `${mb}a.jsonl`), join(dir, `${mb}b.jsonl`)];
      writeFileSync(a, text);
      writeFileSync(b, text);
      const stockSm = pair.stock.SM.open(b);
      const servedSm = pair.served.SM.open(a);
      if (!fillEntryCache(pair, a)) throw new Error(`${mb} MB: generated transcript is not canonical JSONL`);
      const before = { ...pair.runtime.counters };
      const stock = await flushes(pair, stockSm, b);
      const served = await flushes(pair, servedSm, a);
      const appended = pair.runtime.counters.rewritesAppended - before.rewritesAppended;
      const same = statSync(a).size === statSync(b).size;
      rows.push(
        `| ${(statSync(a).size / 1048576).toFixed(1)} MB | ${median(stock).toFixed(1)} (min ${Math.min(...stock).toFixed(1)}) | ${median(served).toFixed(2)} (min ${Math.min(...served).toFixed(2)}) | ${appended}/${runs} appends${same ? "" : ", SIZES DIFFER"} |`,
      );
      console.error(`${mb} MB done`);
    }
    console.log(`OpenClaw ${version}, node ${process.version}, ${runs} flushes per size (one appended entry before each); rewriteFile main-thread ms, median (min)`);
    console.log("| transcript | stock | served (append) | served did |");
    console.log("|---|---:|---:|---|");
    for (const r of rows) console.log(r);
  } finally {
    pair.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
