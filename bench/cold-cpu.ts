/**
 * `node --expose-gc dist/bench/cold-cpu.js [rounds] [otherRoot|-] [<MB>:<budget|none> ...]`: the CPU of one
 * cold build, alone, in this thread (the worker's own build code, compile.ts, from a new session each
 * time — what a lane spends on it, without the thread round trip; beside another agent's session, as on
 * a gateway's lane: Side.cache). Prints the medians of the wall time
 * and of this thread's CPU time (schedstat: what it ran, not what it waited for a core — the figure to
 * read on a loaded machine; GC helper threads not included) and the build's stage times (META `timings`).
 * After each build, the raw tokenizer on exactly the texts it counted (tokenizer-row.ts's textsCounted),
 * in the same thread with the build's own counter object — one tokenizer state for both — for the
 * issue-14 ratio without a thread round trip or a second tokenizer's cache in it.
 *
 * With `otherRoot` (a directory holding another build's `dist/`, e.g. main's copied to .tmp/base), both
 * codes run in one process, alternated build by build, so a load change hits both alike; and each
 * build's context buffer is compared with the other code's, META (timings) left out: a change that cuts
 * CPU must not change a byte of the context. Run with `--cpu-prof` for where the CPU goes (two unmeasured
 * builds per side and case first, so the profile is of optimized code mostly).
 */
import { join, resolve } from "node:path";
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { Header, Section } from "../native-free-workers/protocol/buffer-layout.js";
import { decodeContext } from "../src/decode-context.js";
import { transcriptOfSize } from "./lib/data.js";
import { anotherAgentsTranscript, textsCounted } from "./tokenizer-row.js";
import { median } from "./lib/stats.js";
import { mainThreadRunMs } from "./lib/thread-cpu.js";
import { gc, gcNote } from "./lib/run-setup.js";

type CompileSteps = typeof import("../native-free-workers/compile.js").compileSteps;
type Normalize = typeof import("../src/options.js").normalizeBuildOptions;
type Cache = typeof import("../native-free-workers/session/session-cache.js").SessionCache;
type TokenCounter = import("../native-free-workers/tokenize/token-counter.js").TokenCounter;
type CountMessage = typeof import("../native-free-workers/tokenize/message-tokens.js").countMessageTokens;

interface Side {
  name: string;
  compileSteps: CompileSteps;
  normalize: Normalize;
  /**
   * The cache the side's builds run in: it holds another agent's session (built once), as a gateway's
   * lane does; each measured build drops its own session first. Without one, the full GC before each
   * build lets the build's hidden classes die and V8 deoptimizes ~40 of its functions (bench/tokenizer-row.ts).
   */
  cache: InstanceType<Cache>;
  /** The counter the side's build counts with (the same object: createTokenCounter caches it per process). */
  counter: TokenCounter;
  countMessage: CountMessage;
}

async function loadSide(name: string, root: string): Promise<Side> {
  const at = (p: string) => pathToFileURL(join(root, "dist", p)).href;
  const compile = (await import(at("native-free-workers/compile.js"))) as typeof import("../native-free-workers/compile.js");
  const options = (await import(at("src/options.js"))) as typeof import("../src/options.js");
  const cache = (await import(at("native-free-workers/session/session-cache.js"))) as typeof import("../native-free-workers/session/session-cache.js");
  const tokens = (await import(at("native-free-workers/tokenize/token-counter.js"))) as typeof import("../native-free-workers/tokenize/token-counter.js");
  const messages = (await import(at("native-free-workers/tokenize/message-tokens.js"))) as typeof import("../native-free-workers/tokenize/message-tokens.js");
  const shared = new cache.SessionCache(Number.MAX_SAFE_INTEGER);
  const steps = compile.compileSteps(options.normalizeBuildOptions({ transcript: await anotherAgentsTranscript(), budget: null }), shared, 1);
  for (let r = await steps.next(); !r.done; r = await steps.next());
  return {
    name,
    compileSteps: compile.compileSteps,
    normalize: options.normalizeBuildOptions,
    cache: shared,
    counter: tokens.createTokenCounter("o200k_base"),
    countMessage: messages.countMessageTokens,
  };
}

/** CPU ms this thread (the process's main thread) has run so far, from the kernel's schedstat: not the time it waited for a core. */
const threadCpuMs = (): number => mainThreadRunMs() ?? NaN;

/** One cold build; its wall time, stage times and the context's bytes past META. */
async function coldBuild(side: Side, path: string, budget: number | null): Promise<{ ms: number; cpu: number; buffer: ArrayBuffer; timings: Record<string, number>; body: Uint8Array }> {
  const task = side.normalize({ transcript: path, budget });
  const c0 = threadCpuMs();
  const t0 = performance.now();
  side.cache.delete(path);
  const steps = side.compileSteps(task, side.cache, 1);
  let r = await steps.next();
  while (!r.done) r = await steps.next();
  const ms = performance.now() - t0;
  const cpu = threadCpuMs() - c0;
  return { ms, cpu, buffer: r.value, ...splitMeta(r.value) };
}

/**
 * The buffer compared without what may differ between two runs of the same build: the header's finish
 * time, total size and section offsets, and META's timings (and figures that follow from the process: cache bytes).
 * Everything else — the header's counts, the META fields that describe the context, every section after
 * META — stays compared byte for byte.
 */
function splitMeta(buffer: ArrayBuffer): { timings: Record<string, number>; body: Uint8Array } {
  const view = new DataView(buffer);
  const metaAt = view.getUint32(Header.sectionTable + Section.META * 8, true);
  const metaLength = view.getUint32(Header.sectionTable + Section.META * 8 + 4, true);
  const meta = JSON.parse(Buffer.from(buffer, metaAt, metaLength).toString("utf8")) as Record<string, unknown> & { timings?: Record<string, number>; build?: Record<string, unknown> };
  const timings = meta.timings ?? {};
  delete meta.timings;
  if (meta.build) delete meta.build.cacheBytes;
  const head = Buffer.concat([Buffer.from(buffer, 0, Header.totalBytes), Buffer.from(buffer, Header.messageCount, Header.finishedAt - Header.messageCount)]);
  const rest = Buffer.from(buffer, metaAt + metaLength);
  return { timings, body: Buffer.concat([head, Buffer.from(JSON.stringify(meta)), rest]) };
}

/** Thread CPU and wall of the raw tokenizer (the build's own counter, in its state) over `texts`, nothing else. */
function rawTokenize(side: Side, texts: readonly string[]): { ms: number; cpu: number; tokens: number } {
  const count = side.counter.count;
  const c0 = threadCpuMs();
  const t0 = performance.now();
  let tokens = 0;
  for (let i = 0; i < texts.length; i++) tokens += count(texts[i]!);
  return { ms: performance.now() - t0, cpu: threadCpuMs() - c0, tokens };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export async function coldCpu(rounds: number, otherRoot: string | null, cases: string[]): Promise<void> {
  const sides = [await loadSide("this", resolve(import.meta.dirname, "..", ".."))];
  if (otherRoot) sides.push(await loadSide("other", resolve(otherRoot)));
  for (const spec of cases) {
    const [mbArg, budgetArg] = spec.split(":");
    const mb = Number(mbArg);
    const budget = budgetArg === "none" ? null : Number(budgetArg ?? 120_000);
    const file = await transcriptOfSize(mb);
    // Texts per side (the same when the contexts are); two unmeasured builds and raw passes first, so both
    // run optimized code with the tokenizer's merge cache in the state the builds leave it.
    const texts = new Map<string, ReturnType<typeof textsCounted>>();
    for (const side of sides) {
      for (let i = 0; i < 2; i++) {
        const b = await coldBuild(side, file.path, budget);
        if (i === 0) texts.set(side.name, textsCounted(decodeContext(b.buffer).messages, side.counter, side.countMessage));
        rawTokenize(side, texts.get(side.name)!.texts);
      }
    }
    const raws = new Map<string, number[]>(sides.map((s) => [s.name, []]));
    const walls = new Map<string, number[]>(sides.map((s) => [s.name, []]));
    const cpus = new Map<string, number[]>(sides.map((s) => [s.name, []]));
    const stages = new Map<string, Record<string, number[]>>(sides.map((s) => [s.name, {}]));
    const load0 = loadavg()[0]!;
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      const bodies: Uint8Array[] = [];
      for (const side of order) {
        gc();
        const b = await coldBuild(side, file.path, budget);
        walls.get(side.name)!.push(b.ms);
        cpus.get(side.name)!.push(b.cpu);
        const st = stages.get(side.name)!;
        for (const [k, v] of Object.entries(b.timings)) (st[k] ??= []).push(v);
        bodies.push(b.body);
        gc();
        const raw = rawTokenize(side, texts.get(side.name)!.texts);
        raws.get(side.name)!.push(raw.cpu);
      }
      if (bodies.length === 2 && !sameBytes(bodies[0]!, bodies[1]!)) throw new Error(`cold-cpu: ${spec}: the two codes' contexts differ`);
    }
    process.stdout.write(`${mb} MB, budget ${budget ?? "none"}: ${rounds} cold builds per side, load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}${gcNote}${sides.length === 2 ? ", contexts identical past META" : ""}\n`);
    for (const side of sides) {
      const st = Object.entries(stages.get(side.name)!).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(", ");
      const cpu = median(cpus.get(side.name)!);
      const raw = median(raws.get(side.name)!);
      const t = texts.get(side.name)!;
      process.stdout.write(`  ${side.name}: wall p50 ${median(walls.get(side.name)!).toFixed(1)} ms, thread CPU p50 ${cpu.toFixed(1)} ms; stages p50 ${st}\n`);
      process.stdout.write(`    raw tokenizer on the ${t.texts.length} texts it counted (${t.tokens} tokens), same thread and counter: CPU p50 ${raw.toFixed(1)} ms → build ${(cpu / raw).toFixed(2)}×\n`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [rounds, other, ...cases] = process.argv.slice(2);
  coldCpu(Number(rounds) || 20, other && other !== "-" ? other : null, cases.length > 0 ? cases : ["10:none", "28:120000"]).catch((err: unknown) => {
    process.stderr.write(`cold-cpu failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
