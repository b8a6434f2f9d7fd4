/**
 * `node dist/bench/cold-loop-profile.js DIR`: reads the main thread's .cpuprofile and the late-ticks
 * file that `node --cpu-prof --cpu-prof-dir=DIR dist/bench/cold-loop-delay.js …` wrote, and says what the
 * main thread ran inside the late ticks' windows (from when a tick was due to when it fired): profile
 * samples by owner (ctxc's main-thread side, fetch/undici, the gateway's own code, GC, …) and the leaf
 * functions. Both files use the monotonic clock in µs (V8's TimeTicks, process.hrtime). Samples missing
 * from a window (fewer than its length / the sampling interval) are time the thread was not running.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

function owner(stack: Node[]): string {
  const urls = stack.map((n) => n.callFrame.url);
  const leaf = stack[0]!.callFrame.functionName;
  if (leaf === "(garbage collector)") return "GC";
  if (leaf === "(idle)" || leaf === "(program)") return leaf;
  if (urls.some((u) => u.includes("/dist/src/") || u.includes("/dist/native-free-workers/"))) return "ctxc (main thread)";
  if (urls.some((u) => u.includes("undici"))) return "fetch (undici)";
  if (urls.some((u) => u.includes("/dist/bench/gateway/gateway.js"))) return "gateway loop (bench)";
  if (urls.some((u) => u.includes("cold-loop-delay.js") || u.includes("loop-monitor.js"))) return "timers (bench)";
  return "other: " + (urls.find((u) => u) ?? leaf);
}

export function analyse(dir: string): void {
  const files = readdirSync(dir);
  const prof = files.find((f) => f.endsWith(".cpuprofile") && !f.includes("-worker") );
  const lateFile = files.find((f) => f.startsWith("late-ticks-"));
  if (!prof || !lateFile) throw new Error(`no .cpuprofile or late-ticks file in ${dir}`);
  // The main thread's profile is the one whose pid matches the late-ticks file.
  const pid = lateFile.slice("late-ticks-".length, -".json".length);
  const mainProf = files.find((f) => f.endsWith(".cpuprofile") && f.includes(`.${pid}.0.`)) ?? prof;
  const p = JSON.parse(readFileSync(join(dir, mainProf), "utf8")) as Profile;
  const { late, rounds } = JSON.parse(readFileSync(join(dir, lateFile), "utf8")) as { late: { dueUs: number; firedUs: number }[]; rounds: [number, number][] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = (id: number): Node[] => {
    const out: Node[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) out.push(byId.get(cur)!);
    return out;
  };
  const lateOut = tally(p, stackOf, late.map((w) => [w.dueUs, w.firedUs] as [number, number]));
  const roundsOut = tally(p, stackOf, rounds);
  process.stdout.write(`late ticks (from due to fired):\n${lateOut}\nthe measured rounds, whole:\n${roundsOut}\n`);
}

/** Profile time inside the windows, by owner, leaf and stack. */
function tally(p: Profile, stackOf: (id: number) => Node[], list: [number, number][]): string {
  const windows = list.map(([dueUs, firedUs]) => ({ dueUs, firedUs })).sort((a, b) => a.dueUs - b.dueUs);
  const owners = new Map<string, number>();
  const leaves = new Map<string, number>();
  const stacks = new Map<string, number>();
  let t = p.startTime;
  let inWindows = 0;
  let wi = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    while (wi < windows.length && windows[wi]!.firedUs < t) wi++;
    const w = windows[wi];
    if (!w || t < w.dueUs) continue;
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000; // the sample stands for the time until the next one
    const stack = stackOf(p.samples[i]!);
    const o = owner(stack);
    owners.set(o, (owners.get(o) ?? 0) + dt);
    const leaf = stack[0]!.callFrame;
    const key = `${leaf.functionName || "(anonymous)"} ${leaf.url.split("/").slice(-2).join("/")}:${leaf.lineNumber + 1}`;
    leaves.set(key, (leaves.get(key) ?? 0) + dt);
    const path = stack.slice(0, 6).map((n) => `${n.callFrame.functionName || "(anonymous)"}@${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}`).join(" < ");
    stacks.set(path, (stacks.get(path) ?? 0) + dt);
    inWindows += dt;
  }
  const span = windows.reduce((acc, w) => acc + (w.firedUs - w.dueUs) / 1000, 0);
  const fmt = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `    ${v.toFixed(1)} ms  ${k}`).join("\n");
  const busy = inWindows - (owners.get("(idle)") ?? 0);
  return `  ${windows.length} windows, ${span.toFixed(1)} ms in all; profile samples inside them cover ${inWindows.toFixed(1)} ms, ${busy.toFixed(1)} ms of it not idle\n  by owner:\n${fmt(owners, 12)}\n  leaf functions:\n${fmt(leaves, 15)}\n  stacks (leaf first):\n${fmt(stacks, 12)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) analyse(process.argv[2] ?? ".tmp/cold-loop-prof");
