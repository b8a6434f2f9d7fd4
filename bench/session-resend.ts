/**
 * The worker's cost of a session buffer that re-sends records it sent before (record-scans.ts): the
 * same worker state, one entry appended, then a buffer of every record (`whole`, or a caller with
 * nothing kept: 2026.5.12's kept buffers starting over, kept entries dropped). Before the scans were
 * kept, such a buffer ran the FIELDS pass and/or the canonical scan over every record again; now only
 * over the appended one. Worker-side time (the function the worker runs, in-process), not main thread.
 *
 *     node dist/bench/session-resend.js [--mb 28] [--runs 5] [--dist /path/to/other/dist]
 *
 * With `--dist` (another build's dist/, e.g. the commit before), both builds run interleaved on the
 * same file. Per run and scan set (FIELDS: pi's own open on 2026.5.12–5.27; canonical: 2026.5.28+): a
 * fresh worker cache, a first whole read (cold, not compared), one entry appended, the whole re-send
 * timed. ms median (min).
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { generateTranscript } from "./fixtures/transcript-generator.js";

type SessionBuffer = typeof import("../native-free-workers/openclaw/session-buffer.js");
const { values } = parseArgs({ options: { mb: { type: "string", default: "28" }, runs: { type: "string", default: "5" }, dist: { type: "string" } } });
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), "ctxc-resend-"));
const path = join(dir, "s.jsonl");
const generated = generateTranscript({ seed: 7, targetBytes: Number(values.mb) * 1024 * 1024, branchProbability: 0.05, compactions: 2 });
const text = generated.text;
const lastId = (JSON.parse(text.trimEnd().split("\n").at(-1)!) as { id: string }).id;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)})`;

const load = async (dist: string) => (await import(pathToFileURL(join(dist, "native-free-workers", "openclaw", "session-buffer.js")).href)) as SessionBuffer;
const builds: [string, SessionBuffer][] = [["this build", await load(join(import.meta.dirname, ".."))]];
if (values.dist) builds.push([values.dist, await load(values.dist)]);
const scanSets = { "FIELDS (2026.5.12-5.27)": { fields: true, canonical: false }, "canonical (2026.5.28+)": { fields: false, canonical: true } } as const;

/** One run: cold whole read, one entry appended, the whole re-send timed (ms). */
function resend(mod: SessionBuffer, scans: { fields: boolean; canonical: boolean }, run: number): number {
  writeFileSync(path, text);
  const cache = new mod.SessionReadCache();
  mod.encodeSessionBuffer(path, {}, cache, undefined, true, scans);
  const entry = { type: "custom", customType: "bench", data: { run }, id: `resend${run}`, parentId: lastId, timestamp: new Date(run).toISOString() };
  appendFileSync(path, JSON.stringify(entry) + "\n");
  const t0 = performance.now();
  mod.encodeSessionBuffer(path, {}, cache, undefined, true, scans);
  return performance.now() - t0;
}

const times = new Map<string, number[]>();
try {
  for (let r = 0; r < runs; r++) {
    // Alternating which build goes first, so neither only runs warm or under a different load.
    const order = r % 2 === 0 ? builds : [...builds].reverse();
    for (const [set, scans] of Object.entries(scanSets)) {
      for (const [name, mod] of order) {
        const key = `${set}, ${name}`;
        times.set(key, [...(times.get(key) ?? []), resend(mod, scans, r)]);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${values.mb} MB generated transcript (${generated.stats.entries} entries), ${runs} runs, node ${process.version}; whole re-send after one appended entry, ms median (min)`);
for (const [key, xs] of times) console.log(`${key}: ${fmt(xs)}`);
// What keeping the scans costs in memory, next to the entry bytes the state keeps anyway.
const [, mine] = builds[0]!;
const dir2 = mkdtempSync(join(tmpdir(), "ctxc-resend-"));
try {
  const file = join(dir2, "s.jsonl");
  writeFileSync(file, text);
  const cache = new mine.SessionReadCache();
  mine.encodeSessionBuffer(file, {}, cache, undefined, true, { fields: true, canonical: true });
  const state = cache.take(file)!;
  console.log(`kept scans (both sets): ${(state.scans!.bytes / 1e6).toFixed(1)} MB beside ${(state.staging.length / 1e6).toFixed(1)} MB of kept entry bytes`);
} finally {
  rmSync(dir2, { recursive: true, force: true });
}
