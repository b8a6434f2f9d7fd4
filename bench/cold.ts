/**
 * Cold builds against their floor (issue 14), side by side in one run: for transcripts of several sizes
 * (with compactions), a cold build with budget 120k on a warmed-up compiler (`forget()` first), and —
 * measured alone in the same process — the two things it cannot avoid: the byte pass over the file
 * (LineReader + the line-key scan) and tokenizing what enters the context. Plus the build's stage times
 * (from `meta.timings`) and the heap it needs, from a run of the same build code in a process of its own
 * (cold-heap.ts).
 *
 * The ratio cold / (byte pass + tokenizing) is the first target (≤ 1.5× at 28 MB, within 2× of
 * that from 1 to 100 MB); the heap peak is the third (independent of file size).
 */
import { execFile } from "node:child_process";
import { closeSync, openSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createCompiler } from "../src/index.js";
import { readLines } from "../native-free-workers/io/line-reader.js";
import { scanLineKeys, scanReadBuffer } from "../native-free-workers/pi/line-keys.js";
import { countMessageTokens } from "../native-free-workers/tokenize/message-tokens.js";
import { createTokenCounter } from "../native-free-workers/tokenize/token-counter.js";
import { transcriptOfSize } from "./lib/data.js";
import { round } from "./lib/stats.js";

const run = promisify(execFile);

export interface ColdMeasure {
  sizeMB: number;
  bytes: number;
  entries: number;
  compactions: number;
  /** Median wall time of a cold build as the caller sees it (thread round trip included). */
  coldMs: number;
  /** Median of the build's own stage times (worker side). */
  stages: Record<string, number>;
  /** The byte pass alone: read every line and scan its keys. */
  keyPassMs: number;
  /** Tokenizing the messages that entered the context, alone (parsed messages in hand). */
  tokenizeContextMs: number;
  /** cold / (byte pass + tokenizing). */
  ratio: number;
  contextMessages: number;
  contextTokens: number;
  /** Messages the cold build tokenized (what it counted to fit the budget). */
  messagesTokenized: number;
  /**
   * Peak growth of live memory (JS heap + ArrayBuffers) during a cold build of the same code in a process
   * of its own (cold-heap.ts: collected before each sample, the last step always sampled; median of 3).
   */
  heapPeakMB: number;
  /**
   * Of that, what the build leaves for the session's next (warm) build: the heap still held once it is
   * done (collected). The rest of the peak (heapPeakMB − this) is the build's transient memory.
   */
  heapRetainedMB?: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

function keyPass(path: string): number {
  const size = statSync(path).size;
  const fd = openSync(path, "r");
  let sink = 0;
  const t = performance.now();
  try {
    // Read where the build reads (the scan's buffer in WASM memory, no copy of each line), when there is one.
    const chunk = scanReadBuffer(64 * 1024) ?? undefined;
    readLines(fd, 0, 1, { chunkBytes: 64 * 1024, maxLineBytes: 256 * 1024 * 1024, until: size, chunk }, {
      onLine: (bytes) => (sink += scanLineKeys(bytes) ? 1 : 0),
      onOversize: () => {},
    });
  } finally {
    closeSync(fd);
  }
  return sink >= 0 ? performance.now() - t : 0;
}

/**
 * Peak live-heap growth of one cold build of `path` and the state it leaves, measured by cold-heap.ts in
 * a process of its own (why: there): medians of 3 measured builds.
 */
async function heapPeak(path: string, budget: number): Promise<{ peakMB: number; retainedMB: number }> {
  const script = fileURLToPath(new URL("./cold-heap.js", import.meta.url));
  const { stdout } = await run(process.execPath, ["--expose-gc", "--single-threaded-gc", script, path, String(budget), "3"], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as { peakMB: number; retainedMB: number };
}

export async function runColdBuilds(opts: { quick: boolean; log: (s: string) => void }): Promise<ColdMeasure[]> {
  const sizes = [1, 10, 28, 100]; // quick too: the targets span 1 to 100 MB
  const rounds = opts.quick ? 3 : 5;
  const budget = 120_000;
  const compiler = createCompiler({ threads: 1 });
  const counter = createTokenCounter("o200k_base");
  const out: ColdMeasure[] = [];
  try {
    for (const mb of sizes) {
      const file = await transcriptOfSize(mb);
      opts.log(`cold: ${mb} MB (${file.compactions} compactions)`);
      await compiler.build({ transcript: file.path, budget }); // warm the worker (tokenizer loaded)
      const walls: number[] = [];
      const stageRuns: Record<string, number>[] = [];
      const passes: number[] = [];
      const tokenizing: number[] = [];
      let ctx = await compiler.build({ transcript: file.path, budget });
      let messagesTokenized = 0;
      for (let r = 0; r < rounds; r++) {
        // Interleaved, so the machine's load (shared with others) hits the build and its floor alike.
        await compiler.forget(file.path);
        const t = performance.now();
        ctx = await compiler.build({ transcript: file.path, budget });
        walls.push(performance.now() - t);
        stageRuns.push(ctx.meta.timings);
        messagesTokenized = ctx.meta.build.messagesTokenized;
        passes.push(keyPass(file.path));
        const messages = [...ctx.messages];
        const t2 = performance.now();
        let tokens = 0;
        for (const m of messages) tokens += countMessageTokens(m, counter);
        tokenizing.push(performance.now() - t2);
        if (r === 0 && tokens !== ctx.tokens.messages) opts.log(`cold: note — main-thread count ${tokens} ≠ build's ${ctx.tokens.messages}`);
      }
      const stages: Record<string, number> = {};
      for (const key of Object.keys(stageRuns[0] ?? {})) stages[key] = round(median(stageRuns.map((s) => s[key] ?? 0)), 2);
      const coldMs = median(walls);
      const keyPassMs = median(passes);
      const tokenizeContextMs = median(tokenizing);
      out.push({
        sizeMB: mb,
        bytes: file.bytes,
        entries: ctx.meta.transcript.entries,
        compactions: file.compactions,
        coldMs: round(coldMs, 1),
        stages,
        keyPassMs: round(keyPassMs, 1),
        tokenizeContextMs: round(tokenizeContextMs, 1),
        ratio: round(coldMs / (keyPassMs + tokenizeContextMs), 2),
        contextMessages: ctx.messageCount,
        contextTokens: ctx.tokens.messages,
        messagesTokenized,
        ...(await heapPeak(file.path, budget).then((h) => ({ heapPeakMB: round(h.peakMB, 1), heapRetainedMB: round(h.retainedMB, 1) }))),
      });
    }
  } finally {
    await compiler.close();
  }
  return out;
}
