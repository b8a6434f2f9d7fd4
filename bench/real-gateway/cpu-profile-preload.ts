/**
 * `--profile` for releases whose exit path loses `--cpu-prof`'s output: an `--import` preload that runs
 * V8's sampling profiler in the gateway's own main thread (`node:inspector` Session, Profiler domain) and
 * writes the `.cpuprofile` when the harness sends SIGTERM — before OpenClaw's shutdown starts.
 *
 * Why not `--cpu-prof`: V8 writes that file during Node's environment teardown, and 2026.9.6 never gets
 * there cleanly (its shutdown arms a hard-exit watchdog worker that SIGKILLs the process; a run logged
 * "shutdown completed cleanly" and left `--cpu-prof-dir` empty). Registered at preload, this SIGTERM
 * listener runs before any of OpenClaw's, and an in-thread inspector session answers `Profiler.stop`
 * synchronously, so the file is on disk before the first shutdown step. `exit` is the fallback for a
 * gateway that stops by itself.
 *
 * Environment: `CTXC_BENCH_CPU_PROFILE` = the file to write (nothing happens without it). The profile's
 * own clock starts here, so the preload also writes `<file>.start` = `Date.now()` at `Profiler.start`,
 * which the harness uses to place its startup/load windows on the profile's time axis, and `<file>.clock`.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { isMainThread } from "node:worker_threads";

const out = process.env.CTXC_BENCH_CPU_PROFILE;
// Worker threads inherit NODE_OPTIONS' --import; only the gateway's main thread is profiled.
if (out && isMainThread) {
  // Processes the gateway spawns inherit NODE_OPTIONS (so this preload) and its environment: without the
  // variable they do nothing, and only the gateway writes the file.
  delete process.env.CTXC_BENCH_CPU_PROFILE;
  const session = new Session();
  session.connect();
  // 1 ms, as `--cpu-prof` samples by default, so the shares compare with the earlier releases' runs.
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  writeFileSync(`${out}.start`, String(Date.now()));
  // One instant on the profile's clock (V8's monotonic clock, the one `process.hrtime` reads) and on the preload
  // trace's (`performance.timeOrigin + performance.now()`), to place samples among traced calls (own-by-turn.ts).
  writeFileSync(`${out}.clock`, JSON.stringify({ monoUs: Number(process.hrtime.bigint() / 1000n), traceMs: performance.timeOrigin + performance.now() }));
  let written = false;
  const flush = (): void => {
    if (written) return;
    written = true;
    session.post("Profiler.stop", (err, result) => {
      if (err) writeFileSync(`${out}.error`, String(err));
      else writeFileSync(out, JSON.stringify(result.profile));
    });
  };
  process.prependListener("SIGTERM", flush);
  process.on("exit", flush);
}
