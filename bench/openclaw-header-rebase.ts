/**
 * Worker-side time of the reads after 2026.7.35's header rewrite (a new first line, every other line as it
 * was, then a turn's lines appended): the repair check and the session read of the next turn, as this build
 * makes them — the kept state moved onto the new file by a compare (native-free-workers/openclaw/header-rebase.ts)
 * and the session read granted the main thread's entries by the file's identity (no record sent) — against
 * the same reads with nothing kept (the whole file parsed, every record sent: what the worker did before).
 * The transcript is as OpenClaw's repair pass leaves it (no errored empty assistant message: `erroredEmptyContent`
 * false), so a check reads all of it, as after the first turn's repair. One process, the two alternated (each order half the time, two rounds not counted, a GC before each), medians;
 * each round's answers are checked equal first. A benchmark, not a test.
 *
 *   node --expose-gc dist/bench/openclaw-header-rebase.js [--sizes 10,28,100] [--runs 11]
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTranscript } from "./fixtures/transcript-generator.js";
import { median, round } from "./lib/stats.js";
import { benchArgs, gc } from "./lib/run-setup.js";
import { SessionReadCache, encodeSessionBuffer, readRepairCheck } from "../native-free-workers/openclaw/session-buffer.js";
import { decodeSession } from "../src/openclaw/session.js";
import type { RepairCheckOptions, SessionContinuation } from "../native-free-workers/protocol/session-buffer-layout.js";

const { values } = benchArgs({ options: { sizes: { type: "string", default: "10,28,100" }, runs: { type: "string", default: "11" } } });
const sizes = values.sizes.split(",").map(Number);
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), "ctxc-header-rebase-"));
const CHECK: RepairCheckOptions = { images: true, snapshot: true };

interface Times {
  check: number;
  session: number;
  sentBytes: number;
}

/** The next turn's two reads of `file` after the rewrite; `kept` the worker's state of the file before it (null: none). */
function nextTurn(file: string, kept: SessionReadCache | null, continueFrom: SessionContinuation | undefined): Times {
  const cache = kept ?? new SessionReadCache();
  gc();
  let t0 = performance.now();
  const check = readRepairCheck(file, {}, cache, CHECK);
  const checkMs = performance.now() - t0;
  if ((check.meta.index === "rebased") !== (kept !== null) || !check.complete) throw new Error(`index ${check.meta.index}, complete ${check.complete}`);
  t0 = performance.now();
  // As 2026.6.9+'s prewarm asks it: FIELDS and canonical flags (before: no continuation, so every record with both).
  const buffer = encodeSessionBuffer(file, {}, cache, kept ? continueFrom : undefined, false, { fields: true, canonical: true });
  return { check: checkMs, session: performance.now() - t0, sentBytes: buffer.byteLength };
}

try {
  console.log(`| file | repair check: whole read, ms p50 | rebased, ms p50 | ratio | session read: every record, ms p50 | granted, ms p50 | ratio | buffer sent, MB → KB |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|---|`);
  for (const mb of sizes) {
    const file = join(dir, `${mb}mb.jsonl`);
    const text = generateTranscript({ seed: 11, targetBytes: mb * 1024 * 1024, compactions: Math.max(1, Math.round((mb * 1024 * 1024) / 700_000)), unicode: "mixed", erroredEmptyContent: false }).text;
    const nl = text.indexOf("\n");
    const header = JSON.parse(text.slice(0, nl)) as Record<string, unknown>;
    const turn = `${generateTranscript({ seed: 12, entries: 12 }).text.split("\n").slice(1, -1).join("\n")}\n`;
    const old: Times[] = [];
    const ours: Times[] = [];
    for (let i = -2; i < runs; i++) {
      // The worker's state of the file as the turn before left it, then the rewrite and the turn's appends.
      writeFileSync(file, text);
      const cache = new SessionReadCache();
      readRepairCheck(file, {}, cache, CHECK);
      encodeSessionBuffer(file, {}, cache);
      writeFileSync(file, `${JSON.stringify({ ...header, cwd: `/workspace/agent-${i}` })}${text.slice(nl)}`);
      appendFileSync(file, turn);
      // The main thread's entries of the file as the follower left it: by its identity (SessionContinuation.file).
      const whole = decodeSession(encodeSessionBuffer(file, {}));
      const f = whole.meta.file!;
      const by: SessionContinuation = { generation: "", records: whole.recordCount, bytes: f.size, file: { dev: f.dev, ino: f.ino, size: f.size, mtimeMs: f.mtimeMs, ctimeMs: f.ctimeMs } };
      const pair = i % 2 === 0 ? [nextTurn(file, null, by), nextTurn(file, cache, by)] : [nextTurn(file, cache, by), nextTurn(file, null, by)].reverse();
      if (i >= 0) {
        old.push(pair[0]!);
        ours.push(pair[1]!);
      }
    }
    const p50 = (xs: Times[], k: keyof Times) => median(xs.map((x) => x[k]));
    const [c0, c1, s0, s1] = [p50(old, "check"), p50(ours, "check"), p50(old, "session"), p50(ours, "session")];
    console.log(
      `| ${mb} MB | ${round(c0, 1)} | ${round(c1, 1)} | ${round(c1 / c0, 3)} | ${round(s0, 1)} | ${round(s1, 1)} | ${round(s1 / s0, 3)} | ${round(p50(old, "sentBytes") / 1e6, 1)} → ${round(p50(ours, "sentBytes") / 1e3, 1)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
