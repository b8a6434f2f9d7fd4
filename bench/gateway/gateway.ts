/**
 * A minimal but realistic gateway main loop: one long-polling Telegram bot per agent, all in this one
 * process. Each bot re-polls as soon as a getUpdates response arrives and hands updates to its agent's
 * queue (agents handle their own updates one at a time, different agents concurrently). Handling an
 * update = build that agent's context, dispatch it to the model endpoint, append the turn (user message
 * + assistant reply) to the transcript, as a gateway does after each reply.
 */
import { appendFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import type { AgentState, BuildSample, ContextBuilder } from "./builders.js";

const POLL_TIMEOUT_S = 25;

/** What the gateway itself recorded for one handled update. */
export interface HandledUpdate {
  bot: string;
  updateId: number;
  build: BuildSample;
  /** Wall time of the build as the gateway saw it (ms). */
  buildWallMs: number;
  rssAfterBuild: number;
}

interface TelegramUpdate {
  update_id: number;
  message?: { text?: string; date?: number };
}

export class Gateway {
  private readonly abort = new AbortController();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly polls: Promise<void>[] = [];
  readonly handled: HandledUpdate[] = [];
  readonly errors: string[] = [];
  private onHandled: (() => void) | null = null;

  constructor(
    private readonly telegramUrl: string,
    private readonly modelUrl: string,
    readonly agents: AgentState[],
    private readonly builder: ContextBuilder,
  ) {}

  /** Called after every handled update (the scenario counts them to end a round). */
  onUpdateHandled(fn: () => void): void {
    this.onHandled = fn;
  }

  start(): void {
    for (const agent of this.agents) this.polls.push(this.pollLoop(agent));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.polls);
    await Promise.allSettled([...this.queues.values()]);
  }

  private async pollLoop(agent: AgentState): Promise<void> {
    let offset = 0;
    while (!this.abort.signal.aborted) {
      try {
        const res = await fetch(`${this.telegramUrl}/bot${agent.bot}/getUpdates?offset=${offset}&timeout=${POLL_TIMEOUT_S}`, { signal: this.abort.signal });
        const body = (await res.json()) as { ok: boolean; result: TelegramUpdate[] };
        for (const update of body.result) {
          offset = Math.max(offset, update.update_id + 1);
          this.enqueue(agent, update);
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.errors.push(`poll ${agent.bot}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private enqueue(agent: AgentState, update: TelegramUpdate): void {
    const prev = this.queues.get(agent.id) ?? Promise.resolve();
    const next = prev.then(() => this.handle(agent, update)).catch((err: unknown) => {
      this.errors.push(`update ${agent.bot}#${update.update_id}: ${(err as Error).message}`);
      this.onHandled?.(); // a failed update still ends its part of the round (reported in errors)
    });
    this.queues.set(agent.id, next);
  }

  private async handle(agent: AgentState, update: TelegramUpdate): Promise<void> {
    const t0 = performance.now();
    const build = await this.builder.build(agent);
    const buildWallMs = performance.now() - t0;
    const rssAfterBuild = process.memoryUsage.rss();
    const res = await fetch(`${this.modelUrl}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ bot: agent.bot, updateId: update.update_id, agent: agent.id, messages: build.messages, tokens: build.tokens }),
    });
    const reply = (await res.json()) as { content: { type: string; text: string }[] };
    await appendTurn(agent, update.message?.text ?? "", reply.content[0]?.text ?? "");
    this.handled.push({ bot: agent.bot, updateId: update.update_id, build, buildWallMs, rssAfterBuild });
    this.onHandled?.();
  }
}

/** Appends the user message and the assistant reply as pi writes them (continuing the active branch). */
export async function appendTurn(agent: AgentState, text: string, replyText: string): Promise<void> {
  const now = Date.now();
  const userId = randomBytes(4).toString("hex");
  const replyId = randomBytes(4).toString("hex");
  const user = { type: "message", id: userId, parentId: agent.leafId, timestamp: new Date(now).toISOString(), message: { role: "user", content: [{ type: "text", text }], timestamp: now } };
  const assistant = {
    type: "message",
    id: replyId,
    parentId: userId,
    timestamp: new Date(now + 1).toISOString(),
    message: {
      role: "assistant",
      content: [{ type: "text", text: replyText }],
      api: "openai-responses",
      provider: "openai",
      model: "gpt-5.1",
      usage: { input: 1200, output: 40, cacheRead: 0, cacheWrite: 0, totalTokens: 1240, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
      stopReason: "stop",
      timestamp: now + 1,
    },
  };
  await appendFile(agent.transcript, `${JSON.stringify(user)}\n${JSON.stringify(assistant)}\n`);
  agent.leafId = replyId;
}
