// Diagnosis probe for a real gateway (not loaded by default): every 2 s the gateway main thread's
// process.memoryUsage() (RSS, V8 heap, external, ArrayBuffers); at exit one JSON line per process in
// os.tmpdir()/ctxc-memory-probe-<pid>.json with the medians and maxima, MiB. What RSS holds beyond the main
// isolate's heap and buffers is the other threads' isolates (ctxc's workers), code and the allocator's own.
//
//   node dist/bench/real-gateway/run.js --openclaw 2026.7.35 --restart \
//     --node-options "--import $PWD/bench/real-gateway/memory-probe.mjs"
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const keys = ["rss", "heapTotal", "heapUsed", "external", "arrayBuffers"];
const samples = Object.fromEntries(keys.map((k) => [k, []]));
const timer = setInterval(() => {
  const m = process.memoryUsage();
  for (const k of keys) samples[k].push(m[k] / 1048576);
}, 2000);
timer.unref();

const stats = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? { p50: Math.round(s[Math.floor((s.length - 1) / 2)]), max: Math.round(s[s.length - 1]) } : null;
};

process.on("exit", () => {
  const mode = process.execArgv.some((a) => a.endsWith("register.js")) ? "ctxc" : "stock";
  const line = { pid: process.pid, mode, env: { digestKeepMb: process.env.CTXC_OPENCLAW_DIGEST_KEEP_MB ?? null, entryCacheMb: process.env.CTXC_OPENCLAW_ENTRY_CACHE_MB ?? null }, samples: samples.rss.length, ...Object.fromEntries(keys.map((k) => [k, stats(samples[k])])) };
  try {
    writeFileSync(join(tmpdir(), `ctxc-memory-probe-${process.pid}.json`), `${JSON.stringify(line)}\n`);
  } catch {
    // diagnosis only
  }
});
