/**
 * `node --expose-gc dist/bench/long-piece.js [otherRoot|-] [rounds] [maxOtherUnits]`: one long BPE piece
 * counted by this tree's exact counters and, with `otherRoot` (a directory holding another build's
 * `dist/`, e.g. main's copied to .tmp/main), by that build's, alternated A B A B in one process so a
 * load change hits both alike. Prints the median thread CPU (schedstat) per case and the load.
 * The other build is run only up to `maxOtherUnits` (default 65,536): before long-piece.ts a piece's
 * cost grows with the square of its length (1 MiB would take tens of minutes).
 * Counts are not compared here (test/unit/long-piece.test.ts proves them). Also: the first long piece's one-off cost (tiktoken's ranks read and mapped) and its heap.
 */
import { join, resolve } from "node:path";
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { median } from "./lib/stats.js";
import { mainThreadRunMs } from "./lib/thread-cpu.js";

type Tokens = typeof import("../native-free-workers/tokenize/token-counter.js");
type Backend = "auto" | "tiktoken" | "gpt-tokenizer";

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const cpu = (): number => mainThreadRunMs() ?? NaN;

async function load(root: string): Promise<Tokens> {
  return (await import(pathToFileURL(join(root, "dist", "native-free-workers/tokenize/token-counter.js")).href)) as Tokens;
}

const KINDS: Record<string, (units: number) => string> = {
  'x': (n) => "x".repeat(n),
  DNA: (n) => {
    let s = "";
    let x = 7;
    while (s.length < n) s += "ACGT"[((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 3];
    return s;
  },
  '"="': (n) => "=".repeat(n),
  "spaces+x": (n) => " ".repeat(n - 1) + "x",
};

async function main(): Promise<void> {
  const otherRoot = process.argv[2] && process.argv[2] !== "-" ? resolve(process.argv[2]) : undefined;
  const rounds = Number(process.argv[3] ?? 3);
  const maxOther = Number(process.argv[4] ?? 65_536);
  const here = await load(resolve(import.meta.dirname, "..", ".."));
  const other = otherRoot ? await load(otherRoot) : undefined;
  const loads: number[] = [loadavg()[0]!];

  // One-off: the first long piece loads tiktoken's ranks (per encoding, per process).
  for (const enc of ["o200k_base", "cl100k_base"] as const) {
    const c = here.createTokenCounter(enc, "tiktoken");
    c.count("ab");
    gc();
    const h0 = process.memoryUsage().heapUsed;
    const t0 = cpu();
    c.count("y".repeat(600));
    const ms = cpu() - t0;
    gc();
    console.log(`${enc}: first long piece (ranks load) ${ms.toFixed(0)} ms CPU, heap +${((process.memoryUsage().heapUsed - h0) / 2 ** 20).toFixed(1)} MiB`);
  }

  const rows: string[] = [];
  for (const [b, backend] of (["auto", "tiktoken", "gpt-tokenizer"] as Backend[]).entries()) {
    for (const [kind, make] of Object.entries(KINDS)) {
      for (const units of [16_384, 65_536, 1 << 20]) {
        if (backend !== "auto" && units !== 65_536) continue;
        const sides: [string, Tokens][] = [["this", here]];
        if (other && units <= maxOther) sides.push(["other", other]);
        const ms: Record<string, number[]> = { this: [], other: [] };

        for (let r = 0; r < rounds; r++) {
          for (const [name, t] of r % 2 ? [...sides].reverse() : sides) {
            // A text of its own per count: gpt-tokenizer caches merged pieces (one module instance serves
            // both builds), so a repeated piece would cost a map lookup.
            const text = make(units - 16 * b - 2 * r - (name === "this" ? 0 : 1));
            const c = t.createTokenCounter("o200k_base", backend);
            gc();
            const c0 = cpu();
            c.count(text);
            ms[name]!.push(cpu() - c0);
          }
          loads.push(loadavg()[0]!);
        }
        const row = `${backend.padEnd(13)} ${kind.padEnd(9)} ${String(units).padStart(8)} units: this ${median(ms.this!).toFixed(1).padStart(9)} ms` +
          (ms.other!.length ? `, other ${median(ms.other!).toFixed(1).padStart(9)} ms (x${(median(ms.other!) / median(ms.this!)).toFixed(1)})` : "");
        rows.push(row);
        console.log(row);
      }
    }
  }
  console.log(`thread CPU medians of ${rounds}; load avg(1m) ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
}

await main();
