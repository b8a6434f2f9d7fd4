/**
 * A release's intercepted functions, for differential tests: the chunk holding `name` is located and
 * rewritten exactly as the preload serves it (release/locate.ts + plan.ts), plus test exports, and
 * written next to the real chunk (so its relative imports and `import.meta` are the real ones), then
 * imported. `ctxc` is the delegate (ctxc's handler first, OpenClaw's body as fallback), `openclaw` the
 * original body, `helpers` the chunk bindings handed to the handler (OpenClaw's caches, to compare).
 *
 * The rewritten module is a second instance of the chunk: both functions share that instance's state.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { locateRelease } from "../../src/openclaw/release/locate.js";
import { planRelease } from "../../src/openclaw/release/plan.js";
import { closeOpenClawPool } from "../../src/openclaw/index.js";
import { tempDir } from "./tmp.js";

/** The built preload runtime (workers and the rewritten chunks import the built JS). */
export const RUNTIME_URL = pathToFileURL(join(import.meta.dirname, "..", "..", "dist", "src", "openclaw", "preload-runtime.js")).href;

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

/** The OpenClaw package under test: `CTXC_OPENCLAW_ROOT`, or undefined (then matrix tests skip). */
export function releaseRoot(): string | undefined {
  return process.env.CTXC_OPENCLAW_ROOT || undefined;
}

export function releaseVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
}

/** `name` as served in the release at `root`, or a string saying why it is not served there. */
export async function importIntercepted(root: string, name: string): Promise<Intercepted | string> {
  const plan = planRelease(locateRelease(root, releaseVersion(root)), RUNTIME_URL, true);
  if (typeof plan === "string") return plan;
  const entry = Object.entries(plan.chunks).find(([, source]) => source.includes(`as __ctxc_${name},`));
  if (!entry) return `${name} not served: ${plan.stock.find((s) => s.includes(name)) ?? plan.stock.join("; ")}`;
  const real = fileURLToPath(entry[0]);
  const file = real.replace(/\.m?js$/, `.ctxc-test-${process.pid}-${name}.js`);
  writeFileSync(file, entry[1]);
  written.push(file);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const helpers = Object.fromEntries(Object.entries(mod).filter(([k]) => k.startsWith("__helper_")).map(([k, v]) => [k.slice("__helper_".length), v]));
  return { ctxc: mod[`__ctxc_${name}`] as Fn, openclaw: mod[`__openclaw_${name}`] as Fn, helpers, module: mod, runtime: mod.__ctxcRuntime as Intercepted["runtime"] };
}

/** Removes the rewritten chunks written next to the real ones. */
export function removeIntercepted(): void {
  for (const f of written.splice(0)) rmSync(f, { force: true });
}

/**
 * The per-release test file's setup: the release under test, a temp folder whose preload log takes the
 * expected fallbacks (not the test output), cleanup after all, and `pair(text)` — two copies of a
 * transcript, one for ctxc's delegate and one for OpenClaw's original (their caches are keyed by path).
 */
export function releaseTestSetup(name: string, hooks: { afterAll: (fn: () => Promise<void>) => void }): {
  root: string | undefined;
  version: string;
  dir: string;
  pair: (text: string | Buffer) => [string, string];
} {
  const root = releaseRoot();
  const dir = tempDir(name);
  process.env.CTXC_OPENCLAW_LOG = join(dir, "preload.log");
  hooks.afterAll(async () => {
    removeIntercepted();
    await closeOpenClawPool();
  });
  let n = 0;
  const pair = (text: string | Buffer): [string, string] => {
    const a = join(dir, `t${++n}a.jsonl`);
    const b = join(dir, `t${n}b.jsonl`);
    writeFileSync(a, text);
    copyFileSync(a, b);
    return [a, b];
  };
  return { root, version: root ? releaseVersion(root) : "", dir, pair };
}
