/**
 * ctxc as an OpenClaw ContextEngine (the `plugins.slots.contextEngine` slot): `assemble` returns the
 * context ctxc compiled in a worker from the session file instead of re-deriving it on the main thread.
 *
 * The engine does not own the transcript: pi's SessionManager still appends to it, so `ingest` is a
 * no-op and ctxc picks new lines up incrementally at the next `assemble`. It does not own compaction
 * either (`ownsCompaction: false`): `compact` delegates to the runtime (OpenClaw's
 * `delegateCompactionToRuntime`, passed in by the plugin entry), because a no-op `compact` would
 * disable `/compact` and overflow recovery for the slot.
 *
 * The types below are structural copies of OpenClaw 2026.5's plugin-sdk `ContextEngine` contract, so
 * the package does not depend on OpenClaw.
 */
import { createCompiler, type Compiler } from "../compiler.js";
import type { CompiledContext } from "../decode-context.js";
import type { RunKind, TokenizerName } from "../options.js";

/** OpenClaw's AgentMessage, loosely. */
export type EngineMessage = Record<string, unknown> & { role?: unknown };

/** The result of `assemble` (OpenClaw `AssembleResult`). */
export interface AssembleResult {
  messages: EngineMessage[];
  estimatedTokens: number;
  promptAuthority?: "assembled" | "preassembly_may_overflow";
  systemPromptAddition?: string;
}
/** OpenClaw `CompactResult`. */
export interface CompactResult {
  ok: boolean;
  compacted: boolean;
  reason?: string;
  result?: { summary?: string; firstKeptEntryId?: string; tokensBefore: number; tokensAfter?: number; details?: unknown };
}
/** Params of `compact` (OpenClaw). */
export interface CompactParams {
  sessionId: string;
  sessionKey?: string;
  sessionFile: string;
  tokenBudget?: number;
  force?: boolean;
  currentTokenCount?: number;
  compactionTarget?: "budget" | "threshold";
  customInstructions?: string;
  runtimeContext?: Record<string, unknown>;
}

/** OpenClaw's `ContextEngine` contract (the hooks ctxc implements). */
export interface CtxcContextEngine {
  readonly info: { id: string; name: string; version?: string; ownsCompaction?: boolean; turnMaintenanceMode?: "foreground" | "background" };
  bootstrap(params: { sessionId: string; sessionKey?: string; sessionFile: string }): Promise<{ bootstrapped: boolean; importedMessages?: number; reason?: string }>;
  ingest(params: { sessionId: string; sessionKey?: string; message: EngineMessage; isHeartbeat?: boolean }): Promise<{ ingested: boolean }>;
  assemble(params: { sessionId: string; sessionKey?: string; messages: EngineMessage[]; tokenBudget?: number; model?: string; prompt?: string; [k: string]: unknown }): Promise<AssembleResult>;
  afterTurn(params: { sessionId: string; sessionKey?: string; sessionFile: string; messages: EngineMessage[]; prePromptMessageCount: number; isHeartbeat?: boolean; tokenBudget?: number; [k: string]: unknown }): Promise<void>;
  compact(params: CompactParams): Promise<CompactResult>;
  dispose(): Promise<void>;
}

/** Options of {@link createCtxcContextEngine}. */
export interface CtxcContextEngineOptions {
  /** A compiler to use (shared with the rest of the gateway). Default: one created here and closed by `dispose`. */
  compiler?: Compiler;
  /** Tokenizer of a compiler created here. Default `estimate` (OpenClaw's chars/4 convention). */
  tokenizer?: TokenizerName;
  /** Threads of a compiler created here. Default 1. */
  threads?: number;
  /** Workspace whose bootstrap files go into `systemPromptAddition`. Default none (OpenClaw injects them itself). */
  workspaceDir?: string;
  runKind?: RunKind;
  /** The runtime's compaction (OpenClaw: `delegateCompactionToRuntime`). Without it, `compact` reports `ok: false`. */
  delegateCompaction?: (params: CompactParams) => Promise<CompactResult>;
  /** Engine id. Default "ctxc". */
  id?: string;
}

/** ceil(chars / 4), OpenClaw's estimate, for the few messages ctxc did not compile (not yet on disk). */
function estimateTokens(messages: readonly EngineMessage[]): number {
  let chars = 0;
  for (const m of messages) chars += JSON.stringify(m)?.length ?? 0;
  return Math.ceil(chars / 4);
}

/** Creates the engine. One engine serves every session of a gateway. */
export function createCtxcContextEngine(options: CtxcContextEngineOptions = {}): CtxcContextEngine {
  const owned = !options.compiler;
  const compiler = options.compiler ?? createCompiler({ threads: options.threads ?? 1, tokenizer: options.tokenizer ?? "estimate" });
  /** sessionId → transcript path, learned from bootstrap / afterTurn / compact. */
  const files = new Map<string, { file: string; key?: string }>();

  const build = (sessionId: string, budget: number | null): Promise<CompiledContext> => {
    const known = files.get(sessionId)!;
    return compiler.build({
      transcript: known.file,
      workspaceDir: options.workspaceDir,
      runKind: options.runKind,
      budget,
      agentId: known.key ?? sessionId,
    });
  };

  return {
    info: { id: options.id ?? "ctxc", name: "ctxc context compiler", ownsCompaction: false },

    async bootstrap({ sessionId, sessionKey, sessionFile }) {
      files.set(sessionId, { file: sessionFile, key: sessionKey });
      try {
        const ctx = await build(sessionId, null); // warms the worker's session state
        return { bootstrapped: true, importedMessages: ctx.messageCount };
      } catch (err) {
        return { bootstrapped: false, reason: err instanceof Error ? err.message : String(err) };
      }
    },

    async ingest() {
      // pi's SessionManager persists the message; ctxc reads it from the transcript at the next assemble.
      return { ingested: false };
    },

    async assemble({ sessionId, messages, tokenBudget }) {
      if (!files.has(sessionId)) return { messages, estimatedTokens: estimateTokens(messages) };
      // Compile with no budget first to learn how many of `messages` are already on disk.
      const full = await build(sessionId, null);
      const persisted = full.messageCount;
      if (messages.length < persisted) {
        // The runtime knows fewer messages than the file holds (another writer): trust the runtime.
        return { messages, estimatedTokens: estimateTokens(messages) };
      }
      const tail = messages.slice(persisted); // this turn's messages, not yet written by pi
      const tailTokens = estimateTokens(tail);
      const budget = tokenBudget === undefined ? null : Math.max(0, tokenBudget - tailTokens);
      const ctx = budget === null ? full : await build(sessionId, budget);
      return {
        messages: [...ctx.messages, ...tail],
        estimatedTokens: ctx.tokens.total + tailTokens,
        ...(ctx.systemPrompt ? { systemPromptAddition: ctx.systemPrompt } : {}),
      };
    },

    async afterTurn({ sessionId, sessionKey, sessionFile }) {
      files.set(sessionId, { file: sessionFile, key: sessionKey });
      // Read the lines this turn appended now, off the main thread, so the next assemble is warm.
      await build(sessionId, null).catch(() => undefined);
    },

    async compact(params) {
      files.set(params.sessionId, { file: params.sessionFile, key: params.sessionKey });
      if (!options.delegateCompaction) {
        return { ok: false, compacted: false, reason: "ctxc does not compact; no runtime compaction was provided" };
      }
      return options.delegateCompaction(params);
    },

    async dispose() {
      if (owned) await compiler.close();
    },
  };
}

/** The part of OpenClaw's plugin API the plugin entry uses. */
export interface OpenClawPluginApiLike {
  registerContextEngine(id: string, factory: (ctx: { config?: unknown; agentDir?: string; workspaceDir?: string }) => unknown): void;
}

/**
 * Plugin entry body: registers the engine under `id` (default "ctxc"). Select it with
 * `plugins.slots.contextEngine: "ctxc"`. `delegateCompaction` should be OpenClaw's
 * `delegateCompactionToRuntime` (from `openclaw/plugin-sdk/core`).
 */
export function registerCtxcContextEngine(api: OpenClawPluginApiLike, options: CtxcContextEngineOptions = {}): void {
  api.registerContextEngine(options.id ?? "ctxc", () => createCtxcContextEngine(options));
}
