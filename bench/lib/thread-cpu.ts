/**
 * CPU time of the MAIN thread only. `process.cpuUsage()` counts every thread of the process (ctxc's
 * workers included), and Node 20 has no per-thread API, so on Linux this reads the main thread's
 * utime+stime from /proc (the main thread's tid is the pid). Resolution is one clock tick (10 ms), so
 * it is only used over many builds; elsewhere it returns null and callers fall back to event-loop
 * utilization.
 */
import { readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on every mainstream Linux build

export function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * TICK_MS : null;
  } catch {
    return null;
  }
}

/**
 * The main thread's time on a CPU in ms from /proc's `schedstat`: the scheduler's runtime clock in ns,
 * brought up to date at each scheduler tick and context switch — so a difference is off by up to a tick
 * (1–4 ms) at either end: meaningful over tens of ms (a first open), not for a 1 ms call. Unlike wall time
 * it leaves out the waits for a core on a loaded host. Null where /proc has no schedstat (not Linux).
 */
export function mainThreadRunMs(): number | null {
  try {
    const ns = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

type Usage = { user: number; system: number };
const threadCpuUsage = (process as unknown as { threadCpuUsage?: (prev?: Usage) => Usage }).threadCpuUsage?.bind(process);

/** Whether this Node has `process.threadCpuUsage` (23.9+): the benches that time single calls fall back to wall time, or print "–", without it. */
export const hasThreadCpu = threadCpuUsage !== undefined;

/**
 * The main thread's CPU ms from `process.threadCpuUsage` (µs-exact, for single calls), NaN where Node has
 * none — unlike {@link mainThreadCpu}, no coarse fallback: a per-call figure from /proc would be mostly ticks.
 */
export function threadCpuMs(): number {
  if (!threadCpuUsage) return NaN;
  const { user, system } = threadCpuUsage();
  return (user + system) / 1000;
}

/**
 * The main thread's CPU ms (process.threadCpuUsage, Node 23.9+; else {@link mainThreadRunMs}, NaN off
 * Linux), or with `from` (an earlier reading) the ms since then.
 */
export function mainThreadCpu(from?: number): number {
  const now = threadCpuUsage ? (({ user, system }) => (user + system) / 1000)(threadCpuUsage()) : (mainThreadRunMs() ?? NaN);
  return from === undefined ? now : now - from;
}
