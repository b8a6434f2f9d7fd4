/**
 * Eager compilation of the preload's own code at gateway start (issue #11: the first turn after a restart).
 *
 * V8 compiles a function the first time it is called (parse + bytecode), and a gateway's first turn after a
 * restart is the first call of most of ctxc's turn path: ~75 functions (the repair check, the open's
 * continuation, the digests, the recent read, the appends and the rewrite), ~3–5 ms of the turn's main
 * thread on 2026.7.35 (V8's function events, `--log-function-events`; docs/openclaw.md "The first turn
 * after the warm-up"). Later turns find them compiled. The comment V8 defines for this
 * (`//# allFunctionsCalledOnLoad`) is honoured only where the embedder asks V8 to follow it, which Node's
 * module loader (22, 24) does not: a module carrying it still compiles each function at its first call.
 *
 * So the preload's module graph is loaded with V8's lazy compilation off (`--no-lazy`), and it is set back
 * on as soon as the import is done (or failed): every function of ctxc's main-thread modules gets its
 * bytecode at start-up, off the turn. Compilation only: no code runs earlier or differently, no result can
 * change. Only ctxc's modules load in that window (the preload runs before OpenClaw's entry is imported),
 * so OpenClaw's own code keeps V8's lazy compilation. Cost (Node 24.22.3, the main-thread graph): ~+40 ms
 * CPU once at start-up and ~+0.7 MB of bytecode, which V8's bytecode flushing drops again for functions
 * that do not run for a while (as it would for lazily compiled ones).
 */
import { setFlagsFromString } from "node:v8";

/**
 * Whether to load the preload eagerly: on the main thread (worker threads inherit `--import` but never run
 * the main thread's turn path), with the preload on, unless `CTXC_OPENCLAW_EAGER_COMPILE=off`, and unless
 * the process sets V8's lazy compilation itself (V8 has no getter for a flag, so ctxc could not put the
 * user's value back).
 */
export function eagerCompileWanted(mainThread: boolean, env: NodeJS.ProcessEnv, execArgv: readonly string[]): boolean {
  if (!mainThread || env.CTXC_OPENCLAW_PRELOAD === "off" || env.CTXC_OPENCLAW_EAGER_COMPILE === "off") return false;
  return !/(^|\s)--(no[-_])?(max[-_])?lazy(?=[\s=]|$)/.test([...execArgv, env.NODE_OPTIONS ?? ""].join(" "));
}

/** `load()` with V8's lazy compilation off while it runs when `eager` (set back on after, also when it throws). */
export async function importEagerly<T>(load: () => Promise<T>, eager: boolean): Promise<T> {
  if (!eager) return load();
  setFlagsFromString("--no-lazy");
  try {
    return await load();
  } finally {
    setFlagsFromString("--lazy");
  }
}
