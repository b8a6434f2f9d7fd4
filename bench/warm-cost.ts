/**
 * `node dist/bench/warm-cost.js [rounds] [otherRoot|-] [<MB>:<budget|none>]`: what one warm build costs, alone, and where its
 * time goes. One compiler (as a gateway holds it), one agent per transcript size (10 and 28 MB) and
 * budget (120k, none); each round appends a turn (a user message and the reply, like the scenario's
 * gateway) and builds, the clock around `build()` and reading the token total and the newest message.
 * Prints medians of the wall time and of the build's own stage timings (META `timings`).
 *
 * With `otherRoot` (a directory holding another build's `dist/`, e.g. main's copied to .tmp/base), the
 * same is run on both codes in one process, alternated build by build on copies of the same files, so a
 * load change hits both sides alike: the A/B a change to the warm path is judged by.
 */
import { pathToFileURL } from "node:url";
import { join, resolve } from "node:path";
import { loadavg } from "node:os";
import { appendTurn } from "./gateway/gateway.js";
import type { AgentState } from "./gateway/builders.js";
import { agentCopy, freshRunDir, removeDir, transcriptOfSize } from "./lib/data.js";
import { median } from "./lib/stats.js";
import type { Compiler } from "../src/index.js";

interface Side {
  name: string;
  compiler: Compiler;
}

interface Case {
  mb: number;
  budget: number | null;
  agents: Map<string, AgentState>;
  walls: Map<string, number[]>;
  stages: Map<string, Record<string, number[]>>;
}

const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

async function warmBuild(side: Side, c: Case): Promise<void> {
  const agent = c.agents.get(side.name)!;
  await appendTurn(agent, "one more thing: rerun the linter", "Linter is clean.");
  await sleep(5);
  const before = side.compiler.stats().stages;
  const t0 = performance.now();
  const ctx = await side.compiler.build({ transcript: agent.transcript, agentId: agent.id, budget: c.budget });
  void ctx.tokens.total;
  if (ctx.messageCount > 0) ctx.message(ctx.messageCount - 1);
  const wall = performance.now() - t0;
  if (ctx.meta.build.rebuilt !== null) throw new Error(`not a warm build: ${ctx.meta.build.rebuilt}`);
  c.walls.get(side.name)!.push(wall);
  const stages = c.stages.get(side.name)!;
  for (const [k, v] of Object.entries(ctx.meta.timings ?? {})) (stages[k] ??= []).push(v);
  // Main-thread side of the same build (compiler.stats(): from the worker's encode to the promise, and decoding).
  const after = side.compiler.stats().stages;
  for (const k of ["transfer", "decode"] as const) (stages[k] ??= []).push(after[k] - before[k]);
  (stages.contextKB ??= []).push(ctx.buffer.byteLength / 1024);
  (stages.messages ??= []).push(ctx.messageCount);
}

export async function warmCost(rounds: number, otherRoot: string | null, only: string | null = null): Promise<void> {
  const roots: [string, string][] = [["this", resolve(import.meta.dirname, "..", "..")]];
  if (otherRoot) roots.push(["other", resolve(otherRoot)]);
  const sides: Side[] = [];
  for (const [name, root] of roots) {
    const mod = (await import(pathToFileURL(join(root, "dist", "src", "index.js")).href)) as typeof import("../src/index.js");
    sides.push({ name, compiler: mod.createCompiler({ threads: 1 }) });
  }
  const dir = await freshRunDir("warm-cost");
  const cases: Case[] = [];
  try {
    for (const mb of [10, 28]) {
      const source = await transcriptOfSize(mb);
      for (const budget of [120_000, null]) {
        if (only !== null && only !== `${mb}:${budget ?? "none"}`) continue;
        const c: Case = { mb, budget, agents: new Map(), walls: new Map(), stages: new Map() };
        for (const side of sides) {
          const tag = `${side.name}-${mb}-${budget ?? "all"}`;
          const copy = await agentCopy(source, dir, tag);
          c.agents.set(side.name, { id: tag, bot: "", transcript: copy.path, leafId: copy.leafId });
          c.walls.set(side.name, []);
          c.stages.set(side.name, {});
          await side.compiler.build({ transcript: copy.path, agentId: tag, budget }); // cold, not measured
        }
        cases.push(c);
      }
    }
    await sleep(1000); // a quiet second between the cold builds and the warm ones: a CPU profile (--cpu-prof) is cut there
    const load0 = loadavg()[0]!;
    for (let r = 0; r < rounds; r++) {
      for (const c of cases) {
        const order = r % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) await warmBuild(side, c);
      }
    }
    const load1 = loadavg()[0]!;
    process.stdout.write(`warm-cost: ${rounds} warm builds per side and case, load average ${load0.toFixed(2)} -> ${load1.toFixed(2)}\n`);
    for (const c of cases) {
      for (const side of sides) {
        const stages = Object.entries(c.stages.get(side.name)!).map(([k, v]) => `${k} ${median(v).toFixed(2)}`).join(", ");
        process.stdout.write(`${c.mb} MB, budget ${c.budget ?? "none"}, ${side.name}: wall p50 ${median(c.walls.get(side.name)!).toFixed(2)} ms; stages p50 ${stages}\n`);
      }
    }
  } finally {
    for (const side of sides) await side.compiler.close();
    await removeDir(dir);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [rounds, other, only] = process.argv.slice(2);
  warmCost(Number(rounds) || 40, other && other !== "-" ? other : null, only ?? null).catch((err: unknown) => {
    process.stderr.write(`warm-cost failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
