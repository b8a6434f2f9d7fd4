/**
 * The machine a benchmark ran on. Every result file carries it, because numbers without the machine
 * (cores, CPU model, memory, Node version, load at start) cannot be compared.
 */
import { availableParallelism, cpus, freemem, loadavg, platform, release, totalmem, arch } from "node:os";

/** Description of the host, stored in every result file. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  /** 1/5/15-minute load averages when the run started (others sharing the machine show up here). */
  loadAverage: number[];
  node: string;
  v8: string;
  platform: string;
  arch: string;
  osRelease: string;
}

export function describeMachine(): MachineInfo {
  const cpu = cpus()[0];
  const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;
  return {
    cpuModel: cpu?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: gib(totalmem()),
    freeMemoryGiB: gib(freemem()),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    v8: process.versions.v8,
    platform: platform(),
    arch: arch(),
    osRelease: release(),
  };
}
