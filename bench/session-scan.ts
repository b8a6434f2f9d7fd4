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

type Describe = typeof import("../native-free-workers/pi/entry-fields.js");
const { MAX_LAYOUTS } = await import("../native-free-workers/protocol/session-buffer-layout.js");
const load = async (dist: string) => (await import(pathToFileURL(join(dist, "native-free-workers", "pi", "entry-fields.js")).href)) as Describe;

/** One pass of `describeEntry` over every line, ms. */
function describeOnce(mod: Describe): number {
  const table = new mod.LayoutTable();
  const t0 = performance.now();
  for (const l of lines) mod.describeEntry(l, table, MAX_LAYOUTS);
  return performance.now() - t0;
}

const here = join(import.meta.dirname, "..");
const { isCanonicalJson } = await import("../native-free-workers/pi/canonical-json.js");
const mineMod = await load(here);
const otherMod = values.dist ? await load(values.dist) : undefined;
const canonical: number[] = [];
const mine: number[] = [];
const other: number[] = [];
let flagged = 0;
// Interleaved, so neither build only runs warm or under a different load.
for (let r = 0; r < runs; r++) {
  // Alternating which goes first.
  if (r % 2 === 0) mine.push(describeOnce(mineMod));
  if (otherMod) other.push(describeOnce(otherMod));
  if (r % 2 === 1) mine.push(describeOnce(mineMod));
  const t0 = performance.now();
  flagged = 0;
  for (const l of lines) if (isCanonicalJson(l)) flagged++;
  canonical.push(performance.now() - t0);
}
console.log(`${values.mb} MB generated transcript, ${lines.length} lines, ${runs} runs, node ${process.version}; ms median (min)`);
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)})`;
console.log(`describeEntry (FIELDS), this build: ${fmt(mine)}`);
if (otherMod) console.log(`describeEntry (FIELDS), ${values.dist}: ${fmt(other)}`);
console.log(`isCanonicalJson: ${fmt(canonical)}; canonical lines ${flagged} of ${lines.length}`);
