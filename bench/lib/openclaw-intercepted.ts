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
import { readdirSync, rmSync, writeFileSync } from "node:fs";
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
export async function importInterceptedWith(root: string, name: string, runtimeUrl: string): Promise<Intercepted | string> {
  const plan = planRelease(locateRelease(root, releaseVersion(root)), runtimeUrl, true);
  if (typeof plan === "string") return plan;
  const entry = Object.entries(plan.chunks).find(([, source]) => source.includes(`as __ctxc_${name},`));
  if (!entry) return `${name} not served: ${plan.stock.find((s) => s.includes(name)) ?? plan.stock.join("; ")}`;
  const real = fileURLToPath(entry[0]);
  removeOrphans(dirname(real));
  const file = rewrittenCopyPath(real, process.pid, name);
  writeFileSync(file, entry[1]);
  written.push(file);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const helpers = Object.fromEntries(Object.entries(mod).filter(([k]) => k.startsWith("__helper_")).map(([k, v]) => [k.slice("__helper_".length), v]));
  return { ctxc: mod[`__ctxc_${name}`] as Fn, openclaw: mod[`__openclaw_${name}`] as Fn, helpers, module: mod, runtime: mod.__ctxcRuntime as Intercepted["runtime"] };
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

/** Removes the rewritten chunks written next to the real ones. */
export function removeIntercepted(): void {
  for (const f of written.splice(0)) rmSync(f, { force: true });
}
