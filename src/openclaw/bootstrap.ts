/**
 * OpenClaw 2026.5's two bootstrap boundary functions with the same inputs and outputs:
 * `resolveBootstrapFilesForRun(params) → {name, path, content?, missing}[]` and
 * `buildBootstrapContextForFiles(files, {config?, warn?}) → {path, content}[]`.
 *
 * The difference is where the bytes are read: in ctxc's worker pool (src/openclaw/pool.ts), whose
 * workers keep each file's content keyed by its identity (realpath, dev, ino, size, mtime), so an
 * unchanged file is stat'ed but not read again. The rules themselves (file list, run kinds,
 * lightweight mode, caps, truncation, ordering) are native-free-workers/bootstrap/bootstrap-files.ts.
 */
import {
  buildBootstrapContext,
  renderProjectContextSections,
  resolveBootstrapCaps,
  type BootstrapCapsConfig,
  type BootstrapDiagnostic,
  type BootstrapFile,
  type ContextFile,
  type ProjectContextSections,
} from "../../native-free-workers/bootstrap/bootstrap-files.js";
import type { BootstrapReply } from "../../native-free-workers/openclaw-worker.js";
import { Errors } from "../../native-free-workers/protocol/errors.js";
import type { RunKind } from "../../native-free-workers/protocol/run-kinds.js";
import { shouldExcludeHeartbeat, type HeartbeatConfig } from "./heartbeat-config.js";
import { runInOpenClawPool } from "./pool.js";

export type { BootstrapFile, ContextFile, BootstrapDiagnostic, ProjectContextSections };

/** An OpenClaw config, as far as bootstrap files care. */
export type OpenClawBootstrapConfig = HeartbeatConfig & BootstrapCapsConfig;

/** The params of OpenClaw's `resolveBootstrapFilesForRun`. */
export interface ResolveBootstrapFilesForRunParams {
  workspaceDir: string;
  /** Used for the caps (buildBootstrapContextForFiles) and for dropping HEARTBEAT.md (see heartbeat-config.ts). */
  config?: OpenClawBootstrapConfig;
  /** Sub-agent / cron session keys keep only AGENTS, TOOLS, SOUL, IDENTITY, USER. */
  sessionKey?: string;
  sessionId?: string;
  agentId?: string;
  warn?: (message: string) => void;
  /** `"lightweight"`: heartbeat runs keep only HEARTBEAT.md, other runs get no files. */
  contextMode?: "full" | "lightweight";
  /** OpenClaw's `BootstrapContextRunKind`: ctxc's run kinds without its `subagent` addition. */
  runKind?: Exclude<RunKind, "subagent">;
  /** ctxc addition: receives read problems that OpenClaw silently turns into `missing: true`. */
  onDiagnostic?: (diagnostic: BootstrapDiagnostic) => void;
  /** ctxc addition: how many file bodies the worker read for this call (the rest came from its cache). */
  onReads?: (reads: number) => void;
}

/**
 * Same as OpenClaw's `resolveBootstrapFilesForRun`, without its internal `agent:bootstrap` hook (a
 * gateway that registers such hooks applies them to the result). Never throws for file problems.
 */
export async function resolveBootstrapFilesForRun(params: ResolveBootstrapFilesForRunParams): Promise<BootstrapFile[]> {
  if (typeof params !== "object" || params === null || typeof params.workspaceDir !== "string") {
    throw Errors.invalidOption("workspaceDir", "expected a directory path");
  }
  const reply = (await runInOpenClawPool({
    op: "bootstrap",
    options: {
      workspaceDir: params.workspaceDir,
      // In OpenClaw the run kind only matters for lightweight mode (heartbeat → HEARTBEAT.md only); cron
      // runs are narrowed by their session key, not by the kind, so "cron" is read as "default".
      runKind: params.runKind === "heartbeat" ? "heartbeat" : "default",
      contextMode: params.contextMode,
      sessionKey: params.sessionKey,
      sessionId: params.sessionId,
      excludeHeartbeat: shouldExcludeHeartbeat(params),
    },
  })) as BootstrapReply;
  params.onReads?.(reply.reads);
  for (const d of reply.diagnostics) {
    try {
      params.onDiagnostic?.(d);
    } catch {
      // a throwing callback must not break the run
    }
  }
  return reply.files;
}

/** Same as OpenClaw's `buildBootstrapContextForFiles`: per-file and total caps from `config`, truncation, `[MISSING]` stubs. */
export function buildBootstrapContextForFiles(
  files: readonly BootstrapFile[],
  params: { config?: OpenClawBootstrapConfig; warn?: (message: string) => void } = {},
): ContextFile[] {
  return buildBootstrapContext(files, resolveBootstrapCaps(params.config), params.warn);
}

/** Both steps, like OpenClaw's `resolveBootstrapContextForRun`. */
export async function resolveBootstrapContextForRun(
  params: ResolveBootstrapFilesForRunParams,
): Promise<{ bootstrapFiles: BootstrapFile[]; contextFiles: ContextFile[] }> {
  const bootstrapFiles = await resolveBootstrapFilesForRun(params);
  return { bootstrapFiles, contextFiles: buildBootstrapContextForFiles(bootstrapFiles, params) };
}

/** The `# Project Context` (stable) and HEARTBEAT.md (dynamic) blocks exactly as OpenClaw's system prompt renders them. */
export function renderProjectContext(contextFiles: readonly ContextFile[]): ProjectContextSections {
  return renderProjectContextSections(contextFiles);
}
