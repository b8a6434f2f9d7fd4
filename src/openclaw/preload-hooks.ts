/**
 * Module customization hooks for the ctxc preload. They change nothing but where three imports of ONE
 * OpenClaw 2026.5.12 chunk (`selection-61FIEezO.js`, home of `runEmbeddedAttempt`) point: each goes to a
 * generated module that re-exports the real one and replaces only the exports ctxc serves
 * (preload-runtime.ts). Every other importer — the rest of OpenClaw, pi itself, plugins — keeps the
 * untouched modules.
 *
 * Two ways to install the same hooks (register.ts picks):
 * - `module.registerHooks` (Node >= 22.15): synchronous, on the main thread. Preferred: OpenClaw
 *   `require()`s and imports thousands of plugin modules, and with off-thread hooks every one of those
 *   resolutions is a blocking round trip to the loader thread — measured ~4.6 s of the gateway's main
 *   thread in a 45 s run, more than ctxc saves on transcripts in that time.
 * - `module.register` (Node 22.0–22.14): the same functions, run on Node's loader thread, where `next`
 *   returns promises. `then()` below lets one implementation serve both.
 */

/** Passed by register.ts through `module.register(…, {data})`. */
export interface PreloadHookData {
  /** file: URL of the OpenClaw chunk whose imports are redirected. */
  parentUrl: string;
  /** file: URL of the built preload-runtime.js. */
  runtimeUrl: string;
  /** Import specifiers (as written in the chunk) → which wrapper to generate. */
  targets: Record<string, "pi" | "transcript" | "bootstrap">;
  /** OpenClaw chunks the bootstrap wrapper imports (specifiers relative to the bootstrap chunk). */
  bootstrapDeps: { internalHooks: string; sessionKey: string };
  /**
   * OpenClaw's transcript chunk (home of the internal `readTranscriptLeafInfo`), rewritten by
   * {@link rewriteTranscriptChunk}: every import of `chunkUrl`, from anywhere, gets this one rewritten
   * module instead (one instance, so OpenClaw's per-file append queues stay shared). In-thread hooks only.
   */
  leafScan?: { chunkUrl: string; source: string };
}

/** The one function header the transcript chunk rewrite replaces. */
export const LEAF_SCAN_HEADER = "async function readTranscriptLeafInfo(transcriptPath) {";

/**
 * OpenClaw's transcript chunk with `readTranscriptLeafInfo` answered by ctxc (preload-runtime.ts
 * `transcriptLeafInfo`, which falls back to the original, kept under another name), or null when the
 * source does not hold exactly one such function (then nothing is rewritten). `exportScans` adds both
 * functions as exports, for the differential test.
 */
export function rewriteTranscriptChunk(source: string, runtimeUrl: string, exportScans = false): string | null {
  const at = source.indexOf(LEAF_SCAN_HEADER);
  if (at === -1 || source.indexOf(LEAF_SCAN_HEADER, at + 1) !== -1) return null;
  const head = `import { transcriptLeafInfo as __ctxcTranscriptLeafInfo } from ${JSON.stringify(runtimeUrl)};\n`;
  const replaced =
    `async function readTranscriptLeafInfo(transcriptPath) {\n\treturn __ctxcTranscriptLeafInfo(transcriptPath, readTranscriptLeafInfo$openclaw);\n}\n` +
    `async function readTranscriptLeafInfo$openclaw(transcriptPath) {`;
  const tail = exportScans ? `\nexport { readTranscriptLeafInfo as __ctxcLeafInfo, readTranscriptLeafInfo$openclaw as __openclawLeafInfo };\n` : "";
  return head + source.slice(0, at) + replaced + source.slice(at + LEAF_SCAN_HEADER.length) + tail;
}

const SCHEME = "ctxc-openclaw:";

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Loaded = { format?: string | null; source?: unknown; shortCircuit?: boolean };
type MaybePromise<T> = T | Promise<T>;
type NextResolve = (specifier: string, context?: unknown) => MaybePromise<Resolved>;
type NextLoad = (url: string, context?: unknown) => MaybePromise<Loaded>;

/** Applies `f` to a value that is a promise under `module.register` and plain under `module.registerHooks`. */
function then<T, U>(v: MaybePromise<T>, f: (x: T) => U): MaybePromise<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/**
 * Source of the generated wrapper module: the real module's exports, with ctxc's replacements shadowing a few.
 * Only module URLs go in, each as JSON.stringify(url) — one string literal whatever the path holds — and no
 * transcript path or byte ever does (SECURITY.md; test/openclaw/preload-hooks-hostile-paths.test.ts).
 */
export function wrapperSource(kind: "pi" | "transcript" | "bootstrap", realUrl: string, d: PreloadHookData): string {
  const real = JSON.stringify(realUrl);
  const runtime = JSON.stringify(d.runtimeUrl);
  // A local export shadows the same name from `export *`, so only these names change.
  switch (kind) {
    case "pi":
      return `export * from ${real};\nimport * as real from ${real};\nimport { wrapSessionManager } from ${runtime};\nexport const SessionManager = wrapSessionManager(real.SessionManager);\n`;
    case "transcript":
      return `export * from ${real};\nimport * as real from ${real};\nimport { wrapPrewarm, wrapRepair } from ${runtime};\nexport const b = wrapPrewarm(real.b);\nexport const B = wrapRepair(real.B);\n`;
    case "bootstrap": {
      const hooks = JSON.stringify(new URL(d.bootstrapDeps.internalHooks, realUrl).href);
      const keys = JSON.stringify(new URL(d.bootstrapDeps.sessionKey, realUrl).href);
      return (
        `export * from ${real};\nimport * as real from ${real};\n` +
        `import { m as triggerInternalHook, n as createInternalHookEvent } from ${hooks};\n` +
        `import { u as resolveAgentIdFromSessionKey } from ${keys};\n` +
        `import { wrapResolveBootstrapFiles, wrapBuildBootstrapContext } from ${runtime};\n` +
        `export const o = wrapResolveBootstrapFiles(real.o, { createInternalHookEvent, triggerInternalHook, resolveAgentIdFromSessionKey });\n` +
        `export const n = wrapBuildBootstrapContext(real.n);\n`
      );
    }
  }
}

/**
 * The resolve/load pair for `data`. `inline: true` (for `module.registerHooks`) resolves the redirected
 * imports straight to `data:` URLs holding the wrapper source, so no load hook is installed at all —
 * Node 22.16 changes how it loads CommonJS imported from ESM once any synchronous load hook exists,
 * which breaks some of OpenClaw's dependencies.
 */
export function createPreloadHooks(d: PreloadHookData, inline = false): {
  resolve: (specifier: string, context: { parentURL?: string }, next: NextResolve) => MaybePromise<Resolved>;
  load: (url: string, context: unknown, next: NextLoad) => MaybePromise<Loaded>;
} {
  const leafUrl = inline && d.leafScan ? `data:text/javascript,${encodeURIComponent(d.leafScan.source)}` : undefined;
  return {
    resolve(specifier, context, next) {
      // Imports made BY the rewritten transcript chunk resolve as if made by the real one.
      if (leafUrl !== undefined && context.parentURL === leafUrl) return next(specifier, { ...context, parentURL: d.leafScan!.chunkUrl });
      // The common case — any import anywhere in the process — costs a string compare or two.
      const kind = context.parentURL === d.parentUrl ? d.targets[specifier] : undefined;
      if (!kind) {
        if (leafUrl === undefined) return next(specifier, context);
        return then(next(specifier, context), (r) => (r.url === d.leafScan!.chunkUrl ? { url: leafUrl, format: "module", shortCircuit: true } : r));
      }
      return then(next(specifier, context), (real) => ({
        url: inline ? `data:text/javascript,${encodeURIComponent(wrapperSource(kind, real.url, d))}` : `${SCHEME}${kind}?real=${encodeURIComponent(real.url)}`,
        format: "module",
        shortCircuit: true,
      }));
    },
    load(url, context, next) {
      if (!url.startsWith(SCHEME)) return next(url, context);
      const u = new URL(url);
      const kind = u.pathname as "pi" | "transcript" | "bootstrap";
      return { format: "module", source: wrapperSource(kind, u.searchParams.get("real")!, d), shortCircuit: true };
    },
  };
}

// Entry points for `module.register(url, {data})` (loader thread).
let registered: ReturnType<typeof createPreloadHooks> | undefined;

export function initialize(d: PreloadHookData): void {
  registered = createPreloadHooks(d);
}

export function resolve(specifier: string, context: { parentURL?: string }, next: NextResolve): MaybePromise<Resolved> {
  return registered ? registered.resolve(specifier, context, next) : next(specifier, context);
}

export function load(url: string, context: unknown, next: NextLoad): MaybePromise<Loaded> {
  return registered ? registered.load(url, context, next) : next(url, context);
}
