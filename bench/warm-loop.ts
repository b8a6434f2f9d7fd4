/**
 * `node dist/bench/warm-loop.js [agents] [rounds]`: the warm path alone, without the gateway scenario's
 * HTTP services. N agents on copies of the 10 MB transcript; each round appends a user turn to every
 * transcript, builds all N contexts concurrently (budget 120k), reads the token totals and decodes the
 * newest message, like the scenario's gateway does. A 5 ms interval timer measures the main loop's
 * lateness meanwhile. It separates what ctxc costs the main thread from what sharing two cores with
 * the fake Telegram/model process costs it in the full scenario.
 */
import { appendFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { createCompiler } from "../src/index.js";
import { agentCopy, freshRunDir, removeDir, transcriptOfSize } from "./lib/data.js";
import { summarize } from "./lib/stats.js";

export async function warmLoop(agents = 5, rounds = 100): Promise<{ p50: number; p99: number; max: number; samples: number }> {
  const source = await transcriptOfSize(10);
  const dir = await freshRunDir("warm-loop");
  const compiler = createCompiler();
  try {
    const files = await Promise.all(Array.from({ length: agents }, (_, i) => agentCopy(source, dir, `agent-${i}`)));
    const parents = files.map((f) => f.leafId);
    const buildAll = () => Promise.all(files.map((f, i) => compiler.build({ transcript: f.path, agentId: `agent-${i}`, budget: 120_000 })));
    await buildAll(); // cold, not measured
    const lateness: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      lateness.push(Math.max(0, now - last - 5));
      last = now;
    }, 5);
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        files.map((f, i) => {
          const id = `w${r}a${i}`;
          const entry = { type: "message", id, parentId: parents[i], timestamp: new Date().toISOString(), message: { role: "user", content: `question ${r}`, timestamp: Date.now() } };
          parents[i] = id;
          return appendFile(f.path, `${JSON.stringify(entry)}\n`);
        }),
      );
      for (const ctx of await buildAll()) {
        void ctx.tokens.total;
        if (ctx.messageCount > 0) ctx.message(ctx.messageCount - 1);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    clearInterval(timer);
    const s = summarize(lateness);
    return { p50: s.p50, p99: s.p99, max: s.max, samples: lateness.length };
  } finally {
    await compiler.close();
    await removeDir(dir);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [agents, rounds] = process.argv.slice(2).map(Number);
  warmLoop(agents || 5, rounds || 100).then(
    (r) => process.stdout.write(`warm loop: ${r.samples} timer samples, lateness p50 ${r.p50.toFixed(2)} / p99 ${r.p99.toFixed(2)} / max ${r.max.toFixed(2)} ms\n`),
    (err: unknown) => {
      process.stderr.write(`warm-loop failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
