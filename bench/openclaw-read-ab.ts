/**
 * Worker-side time of one whole-file OpenClaw session read (`readSessionMeta`, nothing kept: a first read,
 * the first-start warm-up's, a read after a rewrite), this build against another build's (`--dist`), on the
 * same generated transcript: alternated in one process (each order half the time, two rounds not counted,
 * a GC before each read), medians. The reads run synchronously on this thread; both metas are checked equal
 * first. A benchmark, not a test.
 *
 *   node --expose-gc dist/bench/openclaw-read-ab.js --dist /path/to/other/dist [--sizes 10,28,100] [--runs 15]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { median, round } from "./lib/stats.js";
import { benchArgs, gc, usageExit } from "./lib/run-setup.js";
import * as ours from "../native-free-workers/openclaw/session-buffer.js";

const { values } = benchArgs({ options: { dist: { type: "string" }, sizes: { type: "string", default: "10,28,100" }, runs: { type: "string", default: "15" } } });
if (!values.dist) usageExit("--dist: the other build's dist folder is required");
const other = (await import(pathToFileURL(join(resolve(values.dist), "native-free-workers", "openclaw", "session-buffer.js")).href)) as typeof ours;
const sizes = values.sizes.split(",").map(Number);
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), "ctxc-read-ab-"));

/** ms of one read of `file` by `mod`. */
function timed(mod: typeof ours, file: string): number {
  gc();
  const t0 = performance.now();
  mod.readSessionMeta(file, {});
  return performance.now() - t0;
}

try {
  console.log(`| file | other build, ms p50 | this build, ms p50 | this / other |`);
  console.log(`|---|---:|---:|---:|`);
  for (const mb of sizes) {
    const file = join(dir, `${mb}mb.jsonl`);
    writeFileSync(file, generateTranscript({ seed: 11, targetBytes: mb * 1024 * 1024, compactions: Math.max(1, Math.round((mb * 1024 * 1024) / 700_000)), unicode: "mixed" }).text);
    // The same answer (a read's generation is a fresh UUID: left out).
    const meta = (mod: typeof ours) => ({ ...mod.readSessionMeta(file, {}), generation: null });
    if (!isDeepStrictEqual(meta(ours), meta(other))) throw new Error(`${mb} MB: the two builds' metas differ`);
    const [a, b]: [number[], number[]] = [[], []];
    for (let i = -2; i < runs; i++) {
      const pair = i % 2 === 0 ? [timed(other, file), timed(ours, file)] : [timed(ours, file), timed(other, file)].reverse();
      if (i >= 0) {
        a.push(pair[0]!);
        b.push(pair[1]!);
      }
    }
    console.log(`| ${mb} MB | ${round(median(a), 1)} | ${round(median(b), 1)} | ${round(median(b) / median(a), 3)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
