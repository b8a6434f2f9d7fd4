/**
 * The session write lock in the preload's trace (src/openclaw/lock-trace.ts) on ONE OpenClaw release
 * (`CTXC_OPENCLAW_ROOT`, with the Node it needs; scripts/matrix.sh), against the release's own
 * `acquireSessionWriteLock`: one `grant` line per acquisition with the contended attempts the release
 * really made (counted here by watching the lock manager's own `has` calls), the holder met and the sites
 * by function name; one `release` line per release, none for a reentrant hold's inner release; the lock
 * behaves as without the trace (the second acquire waits until the first releases, the lock file goes).
 * The lines are the ones bench/real-gateway/lock-waits.ts parses. Behaviour only, never timing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseLockTrace } from "../../bench/real-gateway/lock-waits.js";
import { releaseTestSetup } from "../support/openclaw-release.js";
import { rewrittenCopyWriter } from "../../bench/lib/rewritten-copy.js";

process.env.CTXC_OPENCLAW_TRACE = "1";
const { root, version, dir } = releaseTestSetup("matrix-lock-trace", { afterAll });
afterAll(() => void delete process.env.CTXC_OPENCLAW_TRACE);

type Lock = { release: () => Promise<void> };
type Acquire = (p: { sessionFile: string; allowReentrant?: boolean; timeoutMs?: number }) => Promise<Lock>;

/** The release's `acquireSessionWriteLock`: the dist module exporting it under that name. */
async function releaseAcquire(pkg: string): Promise<Acquire | string> {
  const dist = join(pkg, "dist");
  for (const f of readdirSync(dist).filter((x) => x.endsWith(".js") && rewrittenCopyWriter(x) === undefined)) {
    const text = readFileSync(join(dist, f), "utf8");
    if (!/export \{[^}]*\bacquireSessionWriteLock\b[,\s}]/.test(text)) continue;
    const mod = (await import(pathToFileURL(join(dist, f)).href)) as { acquireSessionWriteLock?: unknown };
    if (typeof mod.acquireSessionWriteLock === "function") return mod.acquireSessionWriteLock as Acquire;
  }
  return "no dist module exports acquireSessionWriteLock";
}

/** The release's KeyedAsyncQueue (keyed-async-queue-*.js, exported under a short alias): the class with `enqueue`. */
async function releaseQueue(pkg: string): Promise<(new () => { enqueue: <T>(key: string, task: () => Promise<T>) => Promise<T> }) | string> {
  const dist = join(pkg, "dist");
  const f = readdirSync(dist).find((x) => /^keyed-async-queue-[\w-]+\.js$/.test(x));
  if (!f) return "no keyed-async-queue chunk in this release";
  const mod = (await import(pathToFileURL(join(dist, f)).href)) as Record<string, unknown>;
  const Queue = Object.values(mod).find((v) => typeof v === "function" && typeof (v as { prototype?: { enqueue?: unknown } }).prototype?.enqueue === "function");
  return (Queue as never) ?? "no class with enqueue in the keyed-async-queue chunk";
}

/** The caller's file and line, raw (as V8 reports them to lockSite). */
function here(): [string, number | null] {
  const prepare = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, s) => s;
    const h: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(h, here);
    return [h.stack![0]!.getFileName() ?? "", h.stack![0]!.getLineNumber()];
  } finally {
    Error.prepareStackTrace = prepare;
  }
}

// Named functions: the trace names the OpenClaw callers by function name, here these.
async function holderTurn(acquire: Acquire, file: string): Promise<Lock> {
  return await acquire({ sessionFile: file });
}
async function waiterTurn(acquire: Acquire, file: string): Promise<Lock> {
  return await acquire({ sessionFile: file });
}
async function nestedWrite(acquire: Acquire, file: string): Promise<Lock> {
  return await acquire({ sessionFile: file, allowReentrant: true });
}
async function finishTurn(lock: Lock): Promise<void> {
  await lock.release();
}

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the session write lock traced`, () => {
  it("grant and release lines with the release's own contended attempts, holder and sites", async (ctx) => {
    const { traceSessionWriteLocks, SESSION_LOCK_MANAGER } = await import("../../src/openclaw/lock-trace.js");
    const { flushTrace } = await import("../../src/openclaw/trace.js");
    traceSessionWriteLocks();
    const acquire = await releaseAcquire(root!);
    if (typeof acquire === "string") return ctx.skip(acquire);
    const registry = (globalThis as unknown as Record<symbol, Map<string, { held: Map<string, unknown> }>>)[Symbol.for("fsSafe.sidecarLockManagers")]!;
    const state = registry.get(SESSION_LOCK_MANAGER);
    if (!state) return ctx.skip(`no lock manager named ${SESSION_LOCK_MANAGER} in this release`);
    const held = state.held;
    expect((held as unknown as { __ctxcTraced?: boolean }).__ctxcTraced).toBe(true);
    // The release's contended attempts, seen on the manager's own map (above the trace's wrapper).
    let attempts = 0;
    const has = held.has;
    held.has = (p: string) => (attempts++, has(p));

    const file = join(dir, "sess-1.jsonl");
    const a = await holderTurn(acquire, file);
    expect(existsSync(`${file}.lock`)).toBe(true);
    let granted = false;
    const b = waiterTurn(acquire, file).then((l) => ((granted = true), l));
    while (attempts < 2) await new Promise((r) => setTimeout(r, 10));
    expect(granted).toBe(false); // still waiting: the holder has not released
    await finishTurn(a);
    const lb = await b;
    const inner = await nestedWrite(acquire, file);
    await finishTurn(inner); // a reentrant hold's release: the lock stays held
    expect(existsSync(`${file}.lock`)).toBe(true);
    await finishTurn(lb);
    expect(existsSync(`${file}.lock`)).toBe(false);
    // After a reentrant acquire (which enters acquireSessionWriteLock too), the next acquire's entry still pairs with it.
    await finishTurn(await holderTurn(acquire, file));
    flushTrace();

    const log = readFileSync(process.env.CTXC_OPENCLAW_LOG!, "utf8").split("\n");
    const t = parseLockTrace(log);
    const mine = { grants: t.grants.filter((g) => g.file === "sess-1"), releases: t.releases.filter((r) => r.file === "sess-1") };
    expect(mine.grants).toHaveLength(3);
    const [ga, gb, gc] = mine.grants as [(typeof mine.grants)[0], (typeof mine.grants)[0], (typeof mine.grants)[0]];
    // Each acquire's entry stamped and paired with it: entry → the manager's acquire start, before its own start.
    for (const g of [ga, gb, gc]) expect(Number.isFinite(g.asked)).toBe(true);
    expect(gc).toMatchObject({ tries: 0, holder: "-" });
    expect(ga).toMatchObject({ tries: 0, holder: "-" });
    expect(ga.site.split("<")[0]).toBe("holderTurn");
    expect(Number.isNaN(ga.held) && Number.isNaN(ga.lag)).toBe(true);
    expect(gb.site.split("<")[0]).toBe("waiterTurn");
    expect(gb.holder).toBe(ga.site);
    expect(gb.tries).toBe(attempts);
    expect(gb.t).toBeGreaterThanOrEqual(ga.t + ga.wait);
    expect(Number.isFinite(gb.held) && Number.isFinite(gb.lag)).toBe(true);
    expect(gb.wait).toBeGreaterThanOrEqual(gb.lag);
    // One release per outer hold, in order, each naming who acquired and who released it.
    expect(mine.releases.map((r) => [r.site, r.end.split("<")[0]])).toEqual([
      [ga.site, "finishTurn"],
      [gb.site, "finishTurn"],
      [gc.site, "finishTurn"],
    ]);
    expect(mine.releases[0]!.t).toBeCloseTo(ga.t + ga.wait, 0);
    // gc's entry came after gb's release (not the nested acquire's entry, which came before it).
    const gbReleased = mine.releases[1]!.t + mine.releases[1]!.hold;
    expect(gc.asked).toBeLessThanOrEqual(gc.t - gbReleased + 0.2);
  });
  // Issue #11: 2026.7.35's post-reply persistence (appendTranscriptTurnMessages) acquires in an arrow run by
  // the release's transcript append queue, a KeyedAsyncQueue: `.then(task)` leaves no named caller on the
  // async stack, so the site was `?`. Now it is the arrow's place, `anon@<chunk>:<line>`.
  it("a hold acquired in an arrow run by the release's own KeyedAsyncQueue is named by its place", async (ctx) => {
    const { traceSessionWriteLocks, chunkPlace } = await import("../../src/openclaw/lock-trace.js");
    const { flushTrace } = await import("../../src/openclaw/trace.js");
    traceSessionWriteLocks();
    const acquire = await releaseAcquire(root!);
    if (typeof acquire === "string") return ctx.skip(acquire);
    const Queue = await releaseQueue(root!);
    if (typeof Queue === "string") return ctx.skip(Queue);
    expect(chunkPlace("/x/dist/session-accessor-ZRcpGzx8.js", 2590)).toBe("session-accessor:2590");
    expect(chunkPlace("data:text/javascript;base64,AAAA", 7)).toBe("data:7");
    const file = join(dir, "sess-queue.jsonl");
    const queue = new Queue();
    let at: [string, number | null] = ["", null];
    const lock = await queue.enqueue("k", async () => ((at = here()), await acquire({ sessionFile: file, allowReentrant: true })));
    await finishTurn(lock);
    flushTrace();
    const t = parseLockTrace(readFileSync(process.env.CTXC_OPENCLAW_LOG!, "utf8").split("\n"));
    const g = t.grants.filter((x) => x.file === "sess-queue");
    expect(g).toHaveLength(1);
    // The arrow's own place (as V8 reports it); no named function above it on the stack.
    const place = chunkPlace(...at);
    expect(place).toMatch(/^lock-trace\.test\.ts:\d+$/);
    expect(g[0]!.site.split("<")[0]).toBe(`anon@${place}`);
    expect(t.releases.filter((r) => r.file === "sess-queue").map((r) => r.site)).toEqual([g[0]!.site]);
  });
});
