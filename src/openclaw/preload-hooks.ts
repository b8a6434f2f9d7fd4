/**
 * Module customization hooks (Node >= 22 `module.register`, run on Node's loader thread) for the ctxc
 * preload. They change nothing but where three imports of ONE OpenClaw 2026.5.12 chunk
 * (`selection-61FIEezO.js`, home of `runEmbeddedAttempt`) point: each goes to a generated module that
 * re-exports the real one and replaces only the exports ctxc serves (preload-runtime.ts). Every other
 * importer — the rest of OpenClaw, pi itself, plugins — keeps the untouched modules.
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
}

const SCHEME = "ctxc-openclaw:";
let data: PreloadHookData | undefined;

export function initialize(d: PreloadHookData): void {
  data = d;
}

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type NextResolve = (specifier: string, context?: unknown) => Promise<Resolved>;
type NextLoad = (url: string, context?: unknown) => Promise<{ format?: string | null; source?: unknown; shortCircuit?: boolean }>;

export async function resolve(specifier: string, context: { parentURL?: string }, next: NextResolve): Promise<Resolved> {
  const kind = data && context.parentURL === data.parentUrl ? data.targets[specifier] : undefined;
  if (!kind) return next(specifier, context);
  const real = await next(specifier, context);
  return { url: `${SCHEME}${kind}?real=${encodeURIComponent(real.url)}`, format: "module", shortCircuit: true };
}

/** Source of the generated wrapper module: the real module's exports, with ctxc's replacements shadowing a few. */
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

export async function load(url: string, context: unknown, next: NextLoad): Promise<{ format?: string | null; source?: unknown; shortCircuit?: boolean }> {
  if (!data || !url.startsWith(SCHEME)) return next(url, context);
  const u = new URL(url);
  const kind = u.pathname as "pi" | "transcript" | "bootstrap";
  return { format: "module", source: wrapperSource(kind, u.searchParams.get("real")!, data), shortCircuit: true };
}
