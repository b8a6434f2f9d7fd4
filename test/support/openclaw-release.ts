/**
 * A release's intercepted functions for the differential tests (bench/lib/openclaw-intercepted.ts, shared
 * with the in-process benches), with the chunks calling the built preload runtime, and the per-release
 * test file's setup.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, vi } from "vitest";
import { importChunkPairWith, importInterceptedWith, releaseVersion, removeIntercepted, type ChunkPair, type Intercepted } from "../../bench/lib/openclaw-intercepted.js";
import { closeOpenClawPool } from "../../src/openclaw/index.js";
import { locateRelease } from "../../src/openclaw/release/locate.js";
import { piPackageDir, planRelease } from "../../src/openclaw/release/plan.js";
import { tempDir } from "./tmp.js";

/** The built preload runtime (workers and the rewritten chunks import the built JS). */
export const RUNTIME_URL = pathToFileURL(join(import.meta.dirname, "..", "..", "dist", "src", "openclaw", "preload-runtime.js")).href;

export type { ChunkPair, Intercepted } from "../../bench/lib/openclaw-intercepted.js";
export { releaseVersion, removeIntercepted };

/** The OpenClaw package under test: `CTXC_OPENCLAW_ROOT`, or undefined (then matrix tests skip). */
export function releaseRoot(): string | undefined {
  return process.env.CTXC_OPENCLAW_ROOT || undefined;
}

/** `name` as served in the release at `root` (calling the built runtime), or why it is not served there. */
export function importIntercepted(root: string, name: string): Promise<Intercepted | string> {
  return importInterceptedWith(root, name, RUNTIME_URL);
}

/** The chunk serving `name`, stock and served, each exporting `exports` as `__t_<name>` (calling the built runtime), or why not. */
export function importChunkPair(root: string, name: string, exports: readonly string[]): Promise<ChunkPair | string> {
  return importChunkPairWith(root, name, RUNTIME_URL, exports);
}

/** Each of `names` as served in the release at `root`, in order, or why the first that is not is not. */
export async function importInterceptedAll(root: string, ...names: string[]): Promise<Intercepted[] | string> {
  const out: Intercepted[] = [];
  for (const name of names) {
    const x = await importIntercepted(root, name);
    if (typeof x === "string") return x;
    out.push(x);
  }
  return out;
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

/**
 * The pi-era session open of the release at `root` (2026.5.12–5.27 import `SessionManager` from pi): the
 * release's OWN pi — the package Node resolves from the chunk holding the run path — and its class wrapped
 * as the preload wraps it (plan.ts picks the variant by the shape of pi's open); or why this release has none.
 */
export async function releasePi<C extends object>(root: string, version: string) {
  const found = locateRelease(root, version);
  const plan = planRelease(found, RUNTIME_URL);
  if (typeof plan === "string") return plan;
  if (!found.piSessionManagerImporter) return "SessionManager is OpenClaw's own in this release (interceptions.test.ts)";
  if (!plan.pi) return `pi's open not served: ${plan.stock.join("; ")}`;
  const pkg = piPackageDir(found.piSessionManagerImporter)!;
  const pi = (await import(pathToFileURL(join(pkg, "dist", "index.js")).href)) as { SessionManager: C };
  const runtime = (await import(RUNTIME_URL)) as typeof import("../../src/openclaw/preload-runtime.js");
  const piVersion = (JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version: string }).version;
  return { plan, pi: pi.SessionManager, runtime, piVersion, Wrapped: runtime.wrapSessionManager(pi.SessionManager, plan.pi) };
}

/**
 * What a call gives, to compare ctxc's answer with the release's own: its value, or its rejection's code (else
 * name) — messages may differ in wording between an fs call and its synchronous twin.
 */
export async function outcome(call: () => unknown): Promise<{ value: unknown } | { rejects: unknown }> {
  try {
    return { value: await call() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { rejects: e.code ?? e.name };
  }
}

/**
 * Waits until the worker pool behind `pool` (a preload runtime, or src/openclaw/pool.ts) has nothing in flight:
 * a pass or a turn leaves requests it does not await (an early read, a `tellJudged` check), and a change of the
 * file made while one is queued would be read by it. Fails after 30 s with `what`.
 */
export async function poolSettled(pool: { openClawPoolBusy(): boolean }, what: string): Promise<void> {
  await vi.waitFor(() => expect(pool.openClawPoolBusy(), `${what}: the pool still busy`).toBe(false), { timeout: 30_000, interval: 5 });
}
