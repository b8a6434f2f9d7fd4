/**
 * `node --expose-gc dist/bench/mid-pieces.js [--kib N] [--rounds N] [--lengths 16,64,…] [--kinds lower,dna,cjk,prose]`:
 * what a text made only of pieces just under long-piece.ts's threshold costs each exact backend, per MiB of
 * UTF-8, against the heap merge on the same pieces (tiktoken's split in JS, then `bytePairCount` per piece:
 * what a lower LONG_PIECE_UNITS would run). Thread CPU (schedstat), median of `rounds` fresh random texts per
 * cell, the load printed. Answers issue 14's question "does a text of 511-unit pieces stall a lane?".
 *
 * Each text is pieces of exactly L units: a space and L - 1 random characters of one kind (random, so
 * gpt-tokenizer's merge cache never hits — its cache is emptied before every count, so every cell starts
 * alike). "prose" is a 200-word vocabulary, the normal case: its pieces are short and cached.
 * Counts are not compared here (test/unit/long-piece.test.ts proves the merge exact).
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { benchArgs, gc, usageExit } from "./lib/run-setup.js";
import { median } from "./lib/stats.js";
import { mainThreadRunMs } from "./lib/thread-cpu.js";
import { createTokenCounter } from "../native-free-workers/tokenize/token-counter.js";
import { bytePairCount, ranks, splitRegex } from "../native-free-workers/tokenize/long-piece.js";

const { values } = benchArgs({
  options: {
    kib: { type: "string", default: "128" },
    rounds: { type: "string", default: "3" },
    lengths: { type: "string", default: "16,64,128,256,511" },
    kinds: { type: "string", default: "lower,dna,cjk,prose" },
  },
});
const positive = (flag: string, v: string): number =>
  /^[1-9]\d*$/.test(v) ? Number(v) : usageExit(`--${flag} wants a positive integer, not ${JSON.stringify(v)}`);
const KIB = positive("kib", values.kib);
const ROUNDS = positive("rounds", values.rounds);
const ENC = "o200k_base";
const cpu = (): number => mainThreadRunMs() ?? performance.now();

const WORDS = (
  "the of and to in is that for it as with was on be by this are from or at an not have but can which all one " +
  "file line function return value error test build context message token session worker thread count time " +
  "read write open close start end first last next before after under over into out up down new old same other " +
  "each every some any more most less least many much few small large long short high low good bad true false " +
  "user assistant tool result call text image data json string number object array list map set key name type " +
  "path root node main branch commit merge change check run pass fail skip load save send receive queue lane " +
  "cache hash split piece merge rank pair heap byte unit code point class space letter mark digit other tail"
).split(" ");

const KINDS: Record<string, (rand: Buffer, i: number) => string> = {
  lower: (b, i) => String.fromCharCode(97 + (b[i]! % 26)),
  dna: (b, i) => "ACGT"[b[i]! & 3]!,
  cjk: (b, i) => String.fromCharCode(0x4e00 + (((b[i]! << 8) | b[i + 1]!) % 3000)), // 3 bytes of UTF-8 each
};

function text(kind: string, units: number): string {
  const parts: string[] = [];
  let bytes = 0;
  while (bytes < KIB * 1024) {
    let piece: string;
    const b = randomBytes(2 * units + 2);
    if (kind === "prose") piece = " " + WORDS[b[0]! % WORDS.length]!;
    else {
      piece = " ";
      for (let i = 1; i < units; i++) piece += KINDS[kind]!(b, 2 * i);
    }
    parts.push(piece);
    bytes += Buffer.byteLength(piece);
  }
  return parts.join("");
}

const gptModule = createRequire(import.meta.url)("gpt-tokenizer/encoding/o200k_base") as { clearMergeCache(): void };
const rankOf = ranks(ENC)!;
const COUNTERS: Record<string, (s: string) => number> = {
  tiktoken: createTokenCounter(ENC, "tiktoken").count,
  "gpt-tokenizer": createTokenCounter(ENC, "gpt-tokenizer").count,
  hybrid: createTokenCounter(ENC, "auto").count,
  heap: (s) => {
    let n = 0;
    for (const m of s.matchAll(splitRegex(ENC))) n += bytePairCount(rankOf, Buffer.from(m[0], "utf8").toString("latin1"));
    return n;
  },
};

// Warm-up, unmeasured: tiktoken's WASM instance and every counter's code are set up before the first cell.
for (const count of Object.values(COUNTERS)) for (const kind of Object.keys(KINDS)) count(text(kind, 64).slice(0, 4096));

const loads = [loadavg()[0]!];
const lengths = values.lengths.split(",").map((l) => positive("lengths", l));
for (const kind of values.kinds.split(",")) if (kind !== "prose" && !Object.hasOwn(KINDS, kind)) usageExit(`--kinds: no kind ${JSON.stringify(kind)} (${Object.keys(KINDS).join(", ")}, prose)`);
console.log(`ms of thread CPU per MiB of UTF-8 (median of ${ROUNDS} texts of ${KIB} KiB), pieces of L units, o200k`);
console.log(`${"kind".padEnd(6)} ${"backend".padEnd(13)} ${lengths.map((l) => `L=${l}`.padStart(7)).join(" ")}`);
for (const kind of values.kinds.split(",")) {
  for (const [name, count] of Object.entries(COUNTERS)) {
    const cells: string[] = [];
    for (const units of kind === "prose" ? [lengths[0]!] : lengths) {
      const ms: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const s = text(kind, units);
        gptModule.clearMergeCache();
        gc();
        const c0 = cpu();
        count(s);
        ms.push(((cpu() - c0) * 2 ** 20) / Buffer.byteLength(s));
      }
      cells.push(median(ms).toFixed(0).padStart(7));
      loads.push(loadavg()[0]!);
    }
    console.log(`${kind.padEnd(6)} ${name.padEnd(13)} ${cells.join(" ")}`);
  }
}
console.log(`load avg(1m) ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
