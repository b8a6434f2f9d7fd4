/**
 * Tokenizer backends on the same message texts: gpt-tokenizer (pure JS), tiktoken (WASM, the reference),
 * js-tiktoken (pure JS port), OpenClaw's chars/4 estimate, and ctxc's hybrid (gpt-tokenizer except texts
 * with characters where the two disagree, which go to tiktoken). MB/s over UTF-8 bytes, and the total
 * count each one gives, with its difference from tiktoken.
 */
import { createRequire } from "node:module";
import { getEncoding } from "js-tiktoken";
import { createTokenCounter, resolveBackend } from "../../native-free-workers/tokenize/token-counter.js";
import { runTasks, type MicroResult } from "../lib/tinybench-util.js";

const require = createRequire(import.meta.url);

export async function benchTokenizers(texts: readonly string[], timeMs: number): Promise<MicroResult[]> {
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const gpt = require("gpt-tokenizer/encoding/o200k_base") as { countTokens(t: string, o?: object): number };
  const tiktoken = (require("tiktoken") as typeof import("tiktoken")).get_encoding("o200k_base");
  const js = getEncoding("o200k_base");
  const hybrid = createTokenCounter("o200k_base", "auto");
  const ordinary = { disallowedSpecial: new Set<string>() };
  const counters: { name: string; count: (t: string) => number }[] = [
    { name: "gpt-tokenizer o200k_base", count: (t) => gpt.countTokens(t, ordinary) },
    { name: "tiktoken (WASM) o200k_base — reference", count: (t) => tiktoken.encode_ordinary(t).length },
    { name: "js-tiktoken o200k_base", count: (t) => js.encode(t, [], []).length },
    { name: "estimate chars/4 (OpenClaw)", count: (t) => Math.ceil(t.length / 4) },
    { name: `ctxc hybrid (resolves to: ${resolveBackend("o200k_base", "auto")})`, count: (t) => hybrid.count(t) },
  ];
  const totals = counters.map((c) => texts.reduce((n, t) => n + c.count(t), 0));
  const reference = totals[1]!;
  try {
    return await runTasks(
      counters.map((c, i) => ({
        name: c.name,
        bytes,
        extra: { texts: texts.length, tokens: totals[i], diffVsTiktoken: totals[i]! - reference },
        fn: () => {
          let n = 0;
          for (const t of texts) n += c.count(t);
          return n;
        },
      })),
      { timeMs },
    );
  } finally {
    tiktoken.free();
  }
}
