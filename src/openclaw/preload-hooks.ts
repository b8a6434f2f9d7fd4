/**
 * Module customization hooks for the ctxc preload. They change nothing but where some imports point
 * (the plan comes from release/plan.ts):
 * - every import that resolves to a chunk the plan rewrites (release/rewrite.ts) gets the one rewritten
 *   module instead, from anywhere — one instance per chunk, so OpenClaw's module state (append queues,
 *   caches) stays shared — and the rewritten module's own imports resolve as the real chunk's;
 * - 2026.5.12–2026.5.27: the `@earendil-works/pi-coding-agent` import of the chunk holding `runEmbeddedAttempt`
 *   goes to a generated module that re-exports pi and replaces only `SessionManager`
 *   (preload-runtime.ts `wrapSessionManager`). Every other importer keeps the untouched pi.
 *
 * Two ways to install the same hooks (preload-install.ts picks):
 * - `module.registerHooks` (Node >= 22.15): synchronous, on the main thread. Preferred: OpenClaw
 *   `require()`s and imports thousands of plugin modules, and with off-thread hooks every one of those
 *   resolutions is a blocking round trip to the loader thread — measured ~4.6 s of the gateway's main
 *   thread in a 45 s run, more than ctxc saves on transcripts in that time. Only a resolve hook: modules
 *   are served as `data:` URLs, because Node 22.16 changes how it loads CommonJS imported from ESM once
 *   any synchronous load hook exists, which breaks some of OpenClaw's dependencies.
 * - `module.register` (Node 22.0–22.14): the same functions, run on Node's loader thread, where `next`
 *   returns promises (`then()` below lets one implementation serve both); modules are served by the
 *   load hook under a `ctxc-openclaw:` URL.
 */
import type { ReleasePlan } from "./release/plan.js";

/** Passed by preload-install.ts (through `module.register(…, {data})` off-thread). */
export type PreloadHookData = ReleasePlan;

const SCHEME = "ctxc-openclaw:";
const PI = "@earendil-works/pi-coding-agent";

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
 * Source of the module that stands in for pi at the 2026.5.12 run path: pi's exports, `SessionManager`
 * wrapped. Only module URLs go in, each as JSON.stringify(url) — one string literal whatever the path
 * holds — and no transcript path or byte ever does (SECURITY.md; test/openclaw/preload-hooks-hostile-paths.test.ts).
 */
export function piWrapperSource(realUrl: string, runtimeUrl: string, normalisesPaths = false): string {
  const real = JSON.stringify(realUrl);
  // pi 0.75.5+ (plan.ts KNOWN_PI_SESSION_MANAGER): the wrapper serves only paths pi's normalisation leaves alone.
  const options = normalisesPaths ? ", { normalisesPaths: true }" : "";
  // A local export shadows the same name from `export *`, so only SessionManager changes.
  return `export * from ${real};\nimport * as real from ${real};\nimport { wrapSessionManager } from ${JSON.stringify(runtimeUrl)};\nexport const SessionManager = wrapSessionManager(real.SessionManager${options});\n`;
}

/** A data: URL holding `source` as an ES module. */
export function dataUrl(source: string): string {
  return `data:text/javascript;base64,${Buffer.from(source).toString("base64")}`;
}

/**
 * The resolve/load pair for `d`. `inline: true` (for `module.registerHooks`) serves modules as data:
 * URLs and needs no load hook; otherwise they get `ctxc-openclaw:` URLs the load hook answers.
 */
export function createPreloadHooks(d: PreloadHookData, inline = false): {
  resolve: (specifier: string, context: { parentURL?: string }, next: NextResolve) => MaybePromise<Resolved>;
  load: (url: string, context: unknown, next: NextLoad) => MaybePromise<Loaded>;
} {
  /** Served URL → source, and real chunk URL ↔ served URL. */
  const sources = new Map<string, string>();
  const servedFor = new Map<string, string>();
  const realFor = new Map<string, string>();
  for (const [real, source] of Object.entries(d.chunks)) {
    const url = inline ? dataUrl(source) : `${SCHEME}chunk?real=${encodeURIComponent(real)}`;
    servedFor.set(real, url);
    realFor.set(url, real);
    sources.set(url, source);
  }
  const piUrl = (real: string) => {
    const source = piWrapperSource(real, d.runtimeUrl, d.pi?.normalisesPaths);
    if (inline) return dataUrl(source);
    const url = `${SCHEME}pi?real=${encodeURIComponent(real)}`;
    sources.set(url, source);
    return url;
  };
  return {
    resolve(specifier, context, next) {
      // Imports made BY a served chunk resolve as if made by the real one.
      const parent = context.parentURL === undefined ? undefined : (realFor.get(context.parentURL) ?? context.parentURL);
      const ctx = parent === context.parentURL ? context : { ...context, parentURL: parent };
      if (d.pi && specifier === PI && parent === d.pi.parentUrl) {
        return then(next(specifier, ctx), (real) => ({ url: piUrl(real.url), format: "module", shortCircuit: true }));
      }
      // The common case — any import anywhere in the process — costs one map lookup.
      return then(next(specifier, ctx), (r) => {
        const served = servedFor.get(r.url);
        return served === undefined ? r : { url: served, format: "module", shortCircuit: true };
      });
    },
    load(url, context, next) {
      if (!url.startsWith(SCHEME)) return next(url, context);
      const source = sources.get(url);
      if (source === undefined) return next(url, context);
      return { format: "module", source, shortCircuit: true };
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
