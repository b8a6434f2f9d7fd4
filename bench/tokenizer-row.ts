/**
 * The "cold build vs the raw tokenizer" row (issue 14), measured on the build's own texts:
 * `node --expose-gc dist/bench/tokenizer-row.js [rounds] [MB]` runs it alone.
 *
 * A cold build without a budget (every message of the context tokenized) on a warmed-up one-lane
 * compiler (`forget()` first), its wall time from `build()` to the context with its token total and
 * newest message — and, alternated with it in the same process, the raw hybrid tokenizer on exactly the
 * strings the build counted: the context's messages counted once through a counter that records what
 * it is given (text and thinking blocks, tool names and arguments' JSON, summaries in pi's wrappers,
 * bash text). Both tokenizers are warm alike: the lane's has counted these texts in the builds before
 * the measured ones, the main thread's counts them once, unmeasured, before the first round (the
 * tokenizer's merge cache then holds the same pieces on both sides). The row's figure is the same pair in
 * ONE thread (bench/cold-cpu.ts's measure): the build run here with the worker's build code, then the raw
 * tokenizer with that build's own counter object, thread CPU — on a quiet host the lane-vs-main-thread wall
 * ratio read 1.41× (2026-12-05 07:30) where one thread read 1.64–1.71×: the main thread's raw pass ran slower
 * than the same pass in the build's thread (96 vs 82–88 ms), flattering the build.
 *
 * The thread that builds holds another agent's session (a 1 MB transcript built once), as a gateway's
 * lanes do. Until 2026-12-07 it held none: then the full GC forced before each build (to start each
 * measure from a collected heap) collected the last objects of the build's hidden classes, and V8
 * deoptimized the optimized code that embeds them (`--trace-deopt`: ~40 functions of the byte pass, the
 * index, read-back and counting, "weak objects"), so every measured build ran them cold again — ~10 ms,
 * and what had read as "the tokenizer runs 17–20 % slower inside the build". That figure is still taken
 * (`threadBuildAloneCpuMs`) and shown beside the row's.
 *
 * Until 2026-12-05 the row divided the build's token count by the micro benchmark's rate: 238 texts
 * (57k tokens) from the start of the file, tokenized over and over by tinybench for 150 ms — other
 * texts than the build's 2,283 (455k tokens), and a rate that moved 13 % between two quiet runs
 * (11.7 vs 10.2 ms for the same texts) while the build did not (141 ms both).
 */
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { createCompiler } from "../src/index.js";
import { normalizeBuildOptions } from "../src/options.js";
import { compileSteps } from "../native-free-workers/compile.js";
import { SessionCache } from "../native-free-workers/session/session-cache.js";
import { countMessageTokens } from "../native-free-workers/tokenize/message-tokens.js";
import { createTokenCounter, type TokenCounter } from "../native-free-workers/tokenize/token-counter.js";
import { transcriptOfSize } from "./lib/data.js";
import { median, round } from "./lib/stats.js";
import { mainThreadRunMs } from "./lib/thread-cpu.js";
import { gc, gcNote } from "./lib/run-setup.js";

export interface TokenizerRow {
  sizeMB: number;
  rounds: number;
  /** Median wall time of a cold build without a budget, as the caller sees it (thread round trip included). */
  coldMs: number;
  /** Median wall time of the raw tokenizer on the same texts, alone, on the main thread. */
  rawMs: number;
  /** coldMs / rawMs: as the caller sees it, the build on a lane against the raw tokenizer on the main thread. */
  wallRatio?: number;
  /**
   * Median thread CPU of the same cold build run in THIS thread (the worker's build code, no thread hop),
   * and of the raw tokenizer with that build's own counter object right after it: one thread, one
   * tokenizer state for both (what bench/cold-cpu.ts measures). Linux (schedstat); elsewhere wall time.
   */
  threadBuildCpuMs?: number;
  threadRawCpuMs?: number;
  /**
   * The same one-thread build on a thread that holds no other session (the measure until 2026-12-07): a
   * forced full GC there lets the build's hidden classes die with the last session, and V8 throws away
   * ~40 of the build's optimized functions ("weak objects"), so the build runs them deoptimized again.
   * `threadBuildCpuMs` is measured as a gateway's lane runs it: beside another agent's session.
   */
  threadBuildAloneCpuMs?: number;
  /** The raw tokenizer alternated with those builds (the same texts and counter). */
  threadRawAloneCpuMs?: number;
  /** The row's figure: threadBuildCpuMs / threadRawCpuMs (before 2026-12-05 08:00: coldMs / rawMs; before 2026-12-07 the build on a thread holding no other session). */
  ratio: number;
  /** Strings the build tokenized, and their tokens. */
  texts: number;
  tokens: number;
  /** The build's count of the context's messages: `tokens` plus a fixed count per image (checked equal to the main thread's). */
  buildTokens: number;
  loadAverage: [number, number];
}

/**
 * The strings `countMessageTokens` hands the counter for `messages`, in order; `tokens` is theirs,
 * `messageTokens` the messages' (images add a fixed count without tokenizing anything).
 */
export function textsCounted(
  messages: readonly unknown[],
  counter: TokenCounter,
  countMessage: typeof countMessageTokens = countMessageTokens,
): { texts: string[]; tokens: number; messageTokens: number } {
  const texts: string[] = [];
  let tokens = 0;
  const recording: TokenCounter = {
    name: counter.name,
    exact: counter.exact,
    count: (t) => {
      const n = counter.count(t);
      texts.push(t);
      tokens += n;
      return n;
    },
  };
  let messageTokens = 0;
  for (const m of messages) messageTokens += countMessage(m, recording);
  return { texts, tokens, messageTokens };
}

/** CPU ms this thread has run (the kernel's schedstat: not the time it waited for a core); elsewhere its wall clock. */
const threadCpuMs = (): number => mainThreadRunMs() ?? performance.now();

/**
 * One cold build of `path` without a budget in this thread, in `cache` (its session dropped first, so
 * the build is cold; what else the cache holds stays); its thread CPU.
 */
export async function buildInThisThread(path: string, cache = new SessionCache(Number.MAX_SAFE_INTEGER)): Promise<number> {
  cache.delete(path);
  const c0 = threadCpuMs();
  const steps = compileSteps(normalizeBuildOptions({ transcript: path, budget: null }), cache, 1);
  let r = await steps.next();
  while (!r.done) r = await steps.next();
  return threadCpuMs() - c0;
}

/**
 * A session cache holding another agent's session (the 1 MB transcript, built once), as every lane of a
 * gateway with more than one agent holds: the thread's builds then keep their optimized code across a
 * full GC (see {@link TokenizerRow.threadBuildAloneCpuMs}).
 */
export async function cacheWithAnotherSession(): Promise<SessionCache> {
  const cache = new SessionCache(Number.MAX_SAFE_INTEGER);
  await buildInThisThread(await anotherAgentsTranscript(), cache);
  return cache;
}

/** The other agent's transcript of {@link cacheWithAnotherSession}. */
export async function anotherAgentsTranscript(): Promise<string> {
  return (await transcriptOfSize(1, 7)).path;
}

function rawTokenize(texts: readonly string[], counter: TokenCounter): { ms: number; tokens: number } {
  const t0 = performance.now();
  let tokens = 0;
  for (let i = 0; i < texts.length; i++) tokens += counter.count(texts[i]!);
  return { ms: performance.now() - t0, tokens };
}

export async function runTokenizerRow(opts: { quick: boolean; log: (s: string) => void; rounds?: number; sizeMB?: number }): Promise<TokenizerRow> {
  const sizeMB = opts.sizeMB ?? 10;
  const rounds = opts.rounds ?? (opts.quick ? 7 : 15);
  const file = await transcriptOfSize(sizeMB);
  const compiler = createCompiler({ threads: 1 });
  const counter = createTokenCounter("o200k_base"); // what the build counts with ("auto": the hybrid where proven)
  try {
    opts.log(`tokenizer row: ${sizeMB} MB, no budget, ${rounds} rounds${gcNote}`);
    // The lane holds another agent's session throughout, as a gateway's lanes do (threadBuildAloneCpuMs says why).
    await compiler.build({ transcript: await anotherAgentsTranscript(), budget: null });
    const first = await compiler.build({ transcript: file.path, budget: null }); // the lane's code and tokenizer warm
    const { texts, tokens, messageTokens } = textsCounted(first.messages, counter); // and the main thread's: one unmeasured pass
    const buildTokens = first.tokens.messages;
    if (messageTokens !== buildTokens) opts.log(`tokenizer row: note — main-thread count ${messageTokens} ≠ build's ${buildTokens}`);
    const load0 = loadavg()[0]!;
    const colds: number[] = [];
    const raws: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternated, the order swapped each round, so the machine's load hits both alike.
      const pair = [
        async () => {
          await compiler.forget(file.path);
          gc();
          const t = performance.now();
          const ctx = await compiler.build({ transcript: file.path, budget: null });
          if (ctx.tokens.total < 0 || (ctx.messageCount > 0 && !ctx.message(ctx.messageCount - 1))) throw new Error("tokenizer row: no context");
          colds.push(performance.now() - t);
        },
        async () => {
          gc();
          const raw = rawTokenize(texts, counter);
          if (raw.tokens !== tokens) throw new Error(`tokenizer row: raw count ${raw.tokens} ≠ ${tokens}`);
          raws.push(raw.ms);
        },
      ];
      for (const run of r % 2 === 0 ? pair : pair.reverse()) await run();
    }
    // The same in one thread: the build here, then the raw tokenizer with the counter it counted with
    // (createTokenCounter keeps one per thread), alternated; two unmeasured rounds first. First with
    // another agent's session held (the row's figure), then on a thread holding none: not alternated
    // with the first, since a full GC while no session is alive deoptimizes whatever builds next.
    const inThread = async (cache: SessionCache | undefined): Promise<{ builds: number[]; raws: number[] }> => {
      const builds: number[] = [];
      const raws: number[] = [];
      for (let r = -2; r < rounds; r++) {
        gc();
        const build = await buildInThisThread(file.path, cache);
        gc();
        const c0 = threadCpuMs();
        const raw = rawTokenize(texts, counter);
        const rawCpu = threadCpuMs() - c0;
        if (raw.tokens !== tokens) throw new Error(`tokenizer row: raw count ${raw.tokens} ≠ ${tokens}`);
        if (r >= 0) {
          builds.push(build);
          raws.push(rawCpu);
        }
      }
      return { builds, raws };
    };
    const beside = await inThread(await cacheWithAnotherSession());
    const alone = await inThread(undefined); // a new cache per build, nothing else alive
    const coldMs = median(colds);
    const rawMs = median(raws);
    const threadBuildCpuMs = median(beside.builds);
    const threadRawCpuMs = median(beside.raws);
    return {
      sizeMB,
      rounds,
      coldMs: round(coldMs, 1),
      rawMs: round(rawMs, 1),
      wallRatio: round(coldMs / rawMs, 2),
      threadBuildCpuMs: round(threadBuildCpuMs, 1),
      threadRawCpuMs: round(threadRawCpuMs, 1),
      threadBuildAloneCpuMs: round(median(alone.builds), 1),
      threadRawAloneCpuMs: round(median(alone.raws), 1),
      ratio: round(threadBuildCpuMs / threadRawCpuMs, 2),
      texts: texts.length,
      tokens,
      buildTokens,
      loadAverage: [round(load0, 2), round(loadavg()[0]!, 2)],
    };
  } finally {
    await compiler.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [rounds, mb] = process.argv.slice(2).map(Number);
  runTokenizerRow({ quick: true, log: (s) => process.stderr.write(`${s}\n`), rounds: rounds || 15, sizeMB: mb || 10 })
    .then((row) => process.stdout.write(`${JSON.stringify(row)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`tokenizer-row failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    });
}
