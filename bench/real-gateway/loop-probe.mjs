// Diagnosis probe for a real gateway (not loaded by default): every 50 ms, how late one libuv-pool fs call
// (`fs.promises.stat`) and one `setImmediate` come back on the gateway's main thread. Equal latencies mean the
// wait is the main thread (its event loop), not libuv's thread pool. At exit: one JSON line per process in
// os.tmpdir()/ctxc-loop-probe-<pid>.json (p50 / p90 / p99, ms).
//
//   node dist/bench/real-gateway/run.js --openclaw 2026.7.35 --restart \
//     --node-options "--import $PWD/bench/real-gateway/loop-probe.mjs"
import { writeFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const fsLate = [];
const immediateLate = [];
const timer = setInterval(() => {
  const a = performance.now();
  stat(process.execPath).then(() => fsLate.push(performance.now() - a), () => {});
  const b = performance.now();
  setImmediate(() => immediateLate.push(performance.now() - b));
}, 50);
timer.unref();

const quantiles = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const q = (p) => (s.length ? Number(s[Math.min(s.length - 1, Math.floor(s.length * p))].toFixed(1)) : null);
  return [q(0.5), q(0.9), q(0.99)];
};

process.on("exit", () => {
  const mode = process.execArgv.some((a) => a.endsWith("register.js")) ? "ctxc" : "stock";
  const line = { pid: process.pid, mode, samples: fsLate.length, fsStatMs: quantiles(fsLate), setImmediateMs: quantiles(immediateLate) };
  try {
    writeFileSync(join(tmpdir(), `ctxc-loop-probe-${process.pid}.json`), `${JSON.stringify(line)}\n`);
  } catch {
    // diagnosis only
  }
});
