/**
 * The worker's per-line byte scans of a session buffer read (the FIELDS descriptor, entry-fields.ts, and
 * the canonical flag, canonical-json.ts), timed alone over every line of a generated transcript — to
 * show what each costs the worker, and (with `--dist` of another build) that a change to the shared
 * skipper (json-skip.ts) did not make the descriptor pass slower. Worker-side time, not main thread.
 *
 *     node dist/bench/session-scan.js [--mb 28] [--runs 7] [--dist /path/to/other/dist]
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateTranscript } from "./fixtures/transcript-generator.js";

const { values } = parseArgs({ options: { mb: { type: "string", default: "28" }, runs: { type: "string", default: "7" }, dist: { type: "string" } } });
const runs = Number(values.runs);
const text = generateTranscript({ seed: 7, targetBytes: Number(values.mb) * 1024 * 1024, branchProbability: 0.05, compactions: 2 }).text;
const lines = text.trimEnd().split("\n").map((l) => Buffer.from(l, "utf8"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeDescribe(dist: string): Promise<number[]> {
  const mod = (await import(pathToFileURL(join(dist, "native-free-workers", "pi", "entry-fields.js")).href)) as typeof import("../native-free-workers/pi/entry-fields.js");
  const { MAX_LAYOUTS } = await import("../native-free-workers/protocol/session-buffer-layout.js");
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const table = new mod.LayoutTable();
    const t0 = performance.now();
    for (const l of lines) mod.describeEntry(l, table, MAX_LAYOUTS);
    out.push(performance.now() - t0);
  }
  return out;
}

const here = join(import.meta.dirname, "..");
const { isCanonicalJson } = await import("../native-free-workers/pi/canonical-json.js");
const canonical: number[] = [];
let flagged = 0;
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  flagged = 0;
  for (const l of lines) if (isCanonicalJson(l)) flagged++;
  canonical.push(performance.now() - t0);
}
const mine = await timeDescribe(here);
const other = values.dist ? await timeDescribe(values.dist) : undefined;
// Alternate once more, so neither side only runs warm or cold.
const mine2 = await timeDescribe(here);
console.log(`${values.mb} MB generated transcript, ${lines.length} lines, ${runs} runs, node ${process.version}; ms median (min)`);
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)})`;
console.log(`describeEntry (FIELDS), this build: ${fmt(mine.concat(mine2))}`);
if (other) console.log(`describeEntry (FIELDS), ${values.dist}: ${fmt(other)}`);
console.log(`isCanonicalJson: ${fmt(canonical)}; canonical lines ${flagged} of ${lines.length}`);
