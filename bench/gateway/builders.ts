/**
 * The two ways the gateway builds an agent's context when an update arrives.
 *
 * baseline: what OpenClaw 2026.5 does on its main thread per turn, with pi's real code
 * (`SessionManager.open` reads and parses the whole file, `buildSessionContext` walks the branch) plus
 * OpenClaw's chars/4 token estimate. OpenClaw additionally runs a repair pass over the file before
 * this (another readFile + split + JSON.parse of every line), which is NOT included: the baseline is a
 * lower bound of today's cost.
 *
 * ctxc: `compiler.build({transcript, agentId, budget})`; the main thread only posts the task, receives
 * the transferred buffer and opens its header; the gateway then reads the token total and decodes just
 * the newest message (decode on demand).
 */
import { SessionManager } from "@earendil-works/pi-coding-agent";
import type { Compiler } from "../../src/index.js";

/** One agent of the gateway: its bot token and its transcript. */
export interface AgentState {
  id: string;
  bot: string;
  transcript: string;
  /** Last entry id, so appended turns continue the active branch. */
  leafId: string;
}

/** What a build reports back to the gateway. */
export interface BuildSample {
  messages: number;
  tokens: number;
  /** Main-thread milliseconds we can attribute to the build (synchronous parts). */
  mainThreadMs: number;
  /** ctxc: "cold" / "warm" (from the buffer's meta); baseline: "full". */
  kind: string;
  /** Tokens the build had to count (ctxc: exact tokenizer work done; baseline: 0, it only estimates). */
  tokensCounted: number;
}

export interface ContextBuilder {
  readonly name: string;
  build(agent: AgentState): Promise<BuildSample>;
}

/** OpenClaw's estimate: ceil(chars/4) over text, thinking, tool calls (name + JSON arguments); images 4,800 chars. */
export function openclawEstimate(messages: readonly unknown[]): number {
  let chars = 0;
  for (const m of messages as { content?: unknown; summary?: string }[]) {
    if (typeof m.summary === "string") chars += m.summary.length;
    const content = m.content;
    if (typeof content === "string") chars += content.length;
    else if (Array.isArray(content)) {
      for (const b of content as { type?: string; text?: string; thinking?: string; name?: string; arguments?: unknown }[]) {
        if (b.type === "text") chars += b.text?.length ?? 0;
        else if (b.type === "thinking") chars += b.thinking?.length ?? 0;
        else if (b.type === "toolCall") chars += (b.name?.length ?? 0) + JSON.stringify(b.arguments ?? {}).length;
        else if (b.type === "image") chars += 4800;
      }
    }
  }
  return Math.ceil(chars / 4);
}

export function baselineBuilder(): ContextBuilder {
  return {
    name: "baseline",
    async build(agent) {
      const t0 = performance.now();
      const session = SessionManager.open(agent.transcript);
      const ctx = session.buildSessionContext();
      const tokens = openclawEstimate(ctx.messages);
      return { messages: ctx.messages.length, tokens, mainThreadMs: performance.now() - t0, kind: "full", tokensCounted: 0 };
    },
  };
}

export function ctxcBuilder(compiler: Compiler, budget: number | null): ContextBuilder {
  return {
    name: "ctxc",
    async build(agent) {
      const t0 = performance.now();
      const pending = compiler.build({ transcript: agent.transcript, agentId: agent.id, budget });
      let main = performance.now() - t0;
      const ctx = await pending;
      const t1 = performance.now();
      const tokens = ctx.tokens.total;
      const n = ctx.messageCount;
      if (n > 0) ctx.message(n - 1); // the gateway looks at the newest message only
      main += performance.now() - t1;
      // meta is decoded after the clock stops: the gateway does not need it, the benchmark does.
      const build = ctx.meta.build;
      return { messages: n, tokens, mainThreadMs: main, kind: build.rebuilt === null ? "warm" : "cold", tokensCounted: build.tokensCounted };
    },
  };
}
