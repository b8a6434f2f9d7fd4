/**
 * OpenClaw 2026.5.12's bootstrap-file stage served by ctxc (bootstrap.ts does the reads in the worker):
 * `resolveBootstrapFilesForRun` with OpenClaw's own hook, HEARTBEAT.md and sanitising steps around the
 * read, and `buildBootstrapContextForFiles`. Each takes the runtime's counters and log ({@link PreloadDeps});
 * on a failure OpenClaw's original runs.
 */
import { isAbsolute, normalize, relative, resolve } from "node:path";
import {
  buildBootstrapContextForFiles,
  resolveBootstrapFilesForRun,
  type OpenClawBootstrapConfig,
  type ResolveBootstrapFilesForRunParams,
} from "./bootstrap.js";
import { shouldExcludeHeartbeat } from "./heartbeat-config.js";
import type { PreloadDeps } from "./preload-deps.js";

/** OpenClaw's bootstrap file record. */
export type BootstrapFileLike = { name: string; path: string; content?: string; missing: boolean } & Record<string, unknown>;

/** OpenClaw internals the bootstrap wrapper calls so hooks keep working (from the same 2026.5.12 build). */
export interface BootstrapHookDeps {
  createInternalHookEvent: (type: string, action: string, sessionKey: string, context: Record<string, unknown>) => { context: Record<string, unknown> };
  triggerInternalHook: (event: unknown) => Promise<void>;
  resolveAgentIdFromSessionKey: (sessionKey: string) => string | undefined;
}

/** OpenClaw's `resolveBootstrapFilesForRun` params (ctxc's compatible function takes the same, plus its additions). */
export type ResolveParams = Omit<ResolveBootstrapFilesForRunParams, "onDiagnostic" | "onReads">;

/** OpenClaw's `sanitizeBootstrapFiles` (2026.5.12): absolute paths, no duplicates, entries without a path dropped. */
function sanitizeBootstrapFiles(files: BootstrapFileLike[], workspaceDir: string, warn?: (m: string) => void): BootstrapFileLike[] {
  const root = resolve(workspaceDir);
  const seen = new Set<string>();
  const out: BootstrapFileLike[] = [];
  for (const file of files) {
    const p = typeof file.path === "string" ? file.path.trim() : "";
    if (!p) {
      warn?.(`skipping bootstrap file "${file.name}" — missing or invalid "path" field (hook may have used "filePath" instead)`);
      continue;
    }
    const abs = isAbsolute(p) ? resolve(p) : resolve(root, p);
    const key = normalize(relative(root, abs));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...file, path: abs });
  }
  return out;
}

/**
 * OpenClaw's `resolveBootstrapFilesForRun` with the file reads in ctxc's worker. The steps around the
 * read stay OpenClaw's, in OpenClaw's order: the `agent:bootstrap` internal hook (through OpenClaw's
 * own hook functions), then the HEARTBEAT.md exclusion, then path sanitising.
 */
export function wrapResolveBootstrapFiles(
  { counters, fallback }: Pick<PreloadDeps, "counters" | "fallback">,
  original: (params: ResolveParams) => Promise<BootstrapFileLike[]>,
  deps: BootstrapHookDeps,
): (params: ResolveParams) => Promise<BootstrapFileLike[]> {
  return async function resolveBootstrapFilesForRunCtxc(params: ResolveParams): Promise<BootstrapFileLike[]> {
    let files: BootstrapFileLike[];
    try {
      // No config: ctxc must not drop HEARTBEAT.md before the hook has seen the list (OpenClaw drops it after).
      files = (await resolveBootstrapFilesForRun({ ...params, config: undefined, warn: undefined })) as BootstrapFileLike[];
    } catch (err) {
      fallback("resolveBootstrapFilesForRun", err);
      return original(params);
    }
    counters.bootstrapServed++;
    const sessionKey = params.sessionKey ?? params.sessionId ?? "unknown";
    const agentId = params.agentId ?? (params.sessionKey ? deps.resolveAgentIdFromSessionKey(params.sessionKey) : undefined);
    const event = deps.createInternalHookEvent("agent", "bootstrap", sessionKey, {
      workspaceDir: params.workspaceDir,
      bootstrapFiles: files,
      cfg: params.config,
      sessionKey: params.sessionKey,
      sessionId: params.sessionId,
      agentId,
    });
    await deps.triggerInternalHook(event);
    const updated = event.context.bootstrapFiles;
    let out = Array.isArray(updated) ? (updated as BootstrapFileLike[]) : files;
    if (shouldExcludeHeartbeat(params)) out = out.filter((f) => f.name !== "HEARTBEAT.md");
    return sanitizeBootstrapFiles(out, params.workspaceDir, params.warn);
  };
}

/** OpenClaw's `buildBootstrapContextForFiles` answered by ctxc's (same caps, truncation, stubs); the original on error. */
export function wrapBuildBootstrapContext<F extends (files: never, params: never) => unknown>({ counters, fallback }: Pick<PreloadDeps, "counters" | "fallback">, original: F): F {
  const wrapped = function buildBootstrapContextForFilesCtxc(files: BootstrapFileLike[], params: { config?: OpenClawBootstrapConfig; warn?: (m: string) => void }) {
    try {
      const out = buildBootstrapContextForFiles(files, params ?? {});
      counters.bootstrapContextServed++;
      return out;
    } catch (err) {
      fallback("buildBootstrapContextForFiles", err);
      return (original as unknown as (f: unknown, p: unknown) => unknown)(files, params);
    }
  };
  return wrapped as unknown as F;
}
