/**
 * The system prompt's project-context section, built in the worker from the workspace's bootstrap
 * files with OpenClaw 2026.5's rules (bootstrap-files.ts), plus what the build reports about them.
 * Unchanged files are not read again: the worker keeps their content keyed by identity.
 */
import type { CompileTask } from "../protocol/compile-task.js";
import type { TokenCounter } from "../tokenize/token-counter.js";
import type { DiagnosticLog } from "../protocol/diagnostic-log.js";
import {
  buildBootstrapContext,
  renderProjectContext,
  resolveBootstrapFiles,
  type CachedBootstrapFile,
} from "./bootstrap-files.js";

export interface SystemPrompt {
  text: string;
  files: { name: string; path: string; missing: boolean; chars: number; truncated: boolean }[];
}

/** One per worker: bootstrap file contents by path, with the identity they were read under. */
const fileCache = new Map<string, CachedBootstrapFile>();

export async function buildSystemPrompt(
  workspaceDir: string,
  options: CompileTask["bootstrap"],
  diagnostics: DiagnosticLog,
): Promise<SystemPrompt> {
  const files = await resolveBootstrapFiles({
    workspaceDir,
    runKind: options.runKind,
    // ctxc's "heartbeat" is OpenClaw's lightweight heartbeat run: HEARTBEAT.md only.
    contextMode: options.runKind === "heartbeat" ? "lightweight" : "full",
    cache: fileCache,
    onDiagnostic: (d) => diagnostics.add("BOOTSTRAP_UNREADABLE", 0, 0, `${d.path}: ${d.detail}`),
  });
  const truncatedNames = new Set<string>();
  const context = buildBootstrapContext(
    files,
    { maxCharsPerFile: options.maxCharsPerFile, maxCharsTotal: options.maxCharsTotal, minCharsLeft: options.minCharsLeft },
    (message) => {
      for (const f of files) if (message.includes(`file ${f.name} is`)) truncatedNames.add(f.name);
    },
  );
  const kept = new Map(context.map((f) => [f.path, f.content]));
  return {
    text: renderProjectContext(context),
    files: files.map((f) => ({
      name: f.name,
      path: f.path,
      missing: f.missing,
      chars: f.content?.length ?? 0,
      // truncated, or left out because the total budget ran out (empty files are left out too, by rule)
      truncated: !f.missing && (truncatedNames.has(f.name) || (!kept.has(f.path) && (f.content ?? "").trim() !== "")),
    })),
  };
}

/**
 * Token counts of recent system prompts, per tokenizer. The prompt rarely changes between turns, and
 * counting up to 60,000 characters on every warm build would cost more than the rest of the build.
 */
const tokenCache = new Map<string, number>();
const TOKEN_CACHE_ENTRIES = 64;

export function countSystemTokens(text: string, counter: TokenCounter): number {
  if (text === "") return 0;
  const key = `${counter.name}\u0000${text}`;
  let tokens = tokenCache.get(key);
  if (tokens === undefined) {
    tokens = counter.count(text);
    if (tokenCache.size >= TOKEN_CACHE_ENTRIES) tokenCache.delete(tokenCache.keys().next().value!);
    tokenCache.set(key, tokens);
  }
  return tokens;
}
