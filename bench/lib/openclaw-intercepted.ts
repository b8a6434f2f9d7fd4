/**
 * A release's intercepted functions as the preload serves them, for the differential tests
 * (test/support/openclaw-release.ts) and the in-process benches (bench/openclaw-first-turns.ts): the chunk
 * holding `name` is located and rewritten exactly as the preload does (release/locate.ts + plan.ts), plus
 * test exports, written next to the real chunk (so its relative imports and `import.meta` are the real
 * ones), then imported. `ctxc` is the delegate (ctxc's handler first, OpenClaw's body as fallback),
 * `openclaw` the original body, `helpers` the chunk bindings handed to the handler (OpenClaw's caches).
 *
 * The rewritten module is a second instance of the chunk: both functions share that instance's state.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { locateRelease } from "../../src/openclaw/release/locate.js";
import { planRelease } from "../../src/openclaw/release/plan.js";
import { rewrittenCopyPath, rewrittenCopyWriter } from "./rewritten-copy.js";
import { releaseVersion } from "./run-setup.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any;
export interface Intercepted {
  ctxc: Fn;
  openclaw: Fn;
  helpers: Record<string, unknown>;
  /** The preload runtime instance the chunk calls (prepareSession, counters). */
  runtime: typeof import("../../src/openclaw/preload-runtime.js");
  /** The chunk's exports (its export aliases), e.g. to reach other functions of the same module instance. */
  module: Record<string, unknown>;
}

const written: string[] = [];

export { releaseVersion };

/**
 * `name` as served in the release at `root`, its chunk calling the built preload runtime at `runtimeUrl`,
 * or a string saying why it is not served there.
 */
/** The real chunk that serves `name` in the release at `root` and its source as the preload serves it, or why not served. */
function servedChunk(root: string, name: string, runtimeUrl: string): { real: string; served: string } | string {
  const plan = planRelease(locateRelease(root, releaseVersion(root)), runtimeUrl, true);
  if (typeof plan === "string") return plan;
  const entry = Object.entries(plan.chunks).find(([, source]) => source.includes(`as __ctxc_${name},`));
  if (!entry) return `${name} not served: ${plan.stock.find((s) => s.includes(name)) ?? plan.stock.join("; ")}`;
  return { real: fileURLToPath(entry[0]), served: entry[1] };
}

export async function importInterceptedWith(root: string, name: string, runtimeUrl: string): Promise<Intercepted | string> {
  const chunk = servedChunk(root, name, runtimeUrl);
  if (typeof chunk === "string") return chunk;
  const { real, served } = chunk;
  removeOrphans(dirname(real));
  const file = rewrittenCopyPath(real, process.pid, name);
  writeFileSync(file, served);
  written.push(file);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const helpers = Object.fromEntries(Object.entries(mod).filter(([k]) => k.startsWith("__helper_")).map(([k, v]) => [k.slice("__helper_".length), v]));
  return { ctxc: mod[`__ctxc_${name}`] as Fn, openclaw: mod[`__openclaw_${name}`] as Fn, helpers, module: mod, runtime: mod.__ctxcRuntime as Intercepted["runtime"] };
}

/** Both module instances of one chunk, each exporting the named functions as `__t_<name>`. */
export interface ChunkPair {
  /** The chunk untouched (plus the exports). */
  stock: Record<string, unknown>;
  /** The chunk as the preload serves it (plus the exports). */
  served: Record<string, unknown>;
  runtime: Intercepted["runtime"];
}

/**
 * The chunk that serves `name`, twice — as the release ships it and as the preload serves it — each copy
 * written next to the real chunk with `exports` (functions of the chunk it does not export, e.g. a lock
 * controller a differential test drives on both) exported as `__t_<name>`. Or why `name` is not served.
 */
export async function importChunkPairWith(root: string, name: string, runtimeUrl: string, exports: readonly string[]): Promise<ChunkPair | string> {
  const chunk = servedChunk(root, name, runtimeUrl);
  if (typeof chunk === "string") return chunk;
  const { real } = chunk;
  const stockSource = readFileSync(real, "utf8");
  const missing = exports.find((e) => !stockSource.includes(`function ${e}(`));
  if (missing) return `no function ${missing} in ${real}`;
  removeOrphans(dirname(real));
  const tail = `\nexport { ${exports.map((e) => `${e} as __t_${e}`).join(", ")} };\n`;
  const load = async (source: string, tag: string) => {
    const file = rewrittenCopyPath(real, process.pid, `${name}-${tag}`);
    writeFileSync(file, source + tail);
    written.push(file);
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  };
  const served = await load(chunk.served, "served");
  return { stock: await load(stockSource, "stock"), served, runtime: served.__ctxcRuntime as Intercepted["runtime"] };
}

/** {@link importInterceptedWith}, throwing when the release does not serve `name` (for the benches). */
export async function interceptedOrThrow(root: string, name: string, runtimeUrl: string): Promise<Intercepted> {
  const x = await importInterceptedWith(root, name, runtimeUrl);
  if (typeof x === "string") throw new Error(`openclaw at ${root}: ${x}`);
  return x;
}

/**
 * Removes rewritten chunks left by a process that no longer runs (killed before {@link removeIntercepted}):
 * they sit in the release's dist/, where the locator would find a second copy of every function in them.
 */
function removeOrphans(dist: string): void {
  for (const f of readdirSync(dist)) {
    const pid = rewrittenCopyWriter(f);
    if (pid !== undefined && !alive(pid)) rmSync(join(dist, f), { force: true });
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * What the preload does at gateway start for the repair pass's image judge (preload-install.ts): the release
 * named for the judge's verdicts, and on 2026.6.5+ the workers given the release's judge to run
 * (release/worker-judge.ts). Closes the runtime's pool (the next request starts one with the judge). A runtime
 * of an older build (`--runtime`) gets what it has: the name, or nothing. Resolves to whether the workers judge.
 */
export async function judgeAsThePreload(root: string, version: string, runtimeUrl: string, runtime: object): Promise<boolean> {
  type Runtime = typeof import("../../src/openclaw/preload-runtime.js");
  const rt = runtime as Partial<Pick<Runtime, "setJudgeRelease" | "workerJudgeSpec" | "configureOpenClawPool">>;
  rt.setJudgeRelease?.(version);
  if (!rt.workerJudgeSpec || !rt.configureOpenClawPool) return false;
  const plan = planRelease(locateRelease(root, version), runtimeUrl);
  const spec = typeof plan === "string" || !plan.imageJudge ? undefined : rt.workerJudgeSpec(plan.imageJudge);
  if (!spec) return false;
  await rt.configureOpenClawPool({ imageJudge: spec });
  return true;
}

/** Removes the rewritten chunks written next to the real ones. */
export function removeIntercepted(): void {
  for (const f of written.splice(0)) rmSync(f, { force: true });
}
