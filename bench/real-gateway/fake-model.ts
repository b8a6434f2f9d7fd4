/**
 * Loopback fake of an OpenAI-compatible chat-completions endpoint (`api: "openai-completions"`,
 * `baseUrl: http://127.0.0.1:<port>/v1`). Streams a short reply as SSE chunks so OpenClaw's real
 * streaming path runs; it replaces only the remote model at the network boundary.
 *
 * It records, per request, the request size and message count — what OpenClaw actually sent — which
 * shows that both modes hand the model the same context.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { closeServer, readBody } from "./loopback-http.js";

export interface ModelRequestRecord {
  at: number;
  bytes: number;
  messages: number;
  stream: boolean;
  /** First characters of the last user message (used to match replies to prompts). */
  lastUser: string;
}

export interface FakeModelOptions {
  /** Number of SSE content chunks per reply. Default 8. */
  chunks?: number;
  /** Delay between chunks (ms). Default 15. */
  chunkDelayMs?: number;
}

export class FakeModel {
  readonly requests: ModelRequestRecord[] = [];
  readonly unexpected: Record<string, number> = {};
  private server: Server | null = null;
  private readonly chunks: number;
  private readonly chunkDelayMs: number;
  port = 0;

  constructor(opts: FakeModelOptions = {}) {
    this.chunks = opts.chunks ?? 8;
    this.chunkDelayMs = opts.chunkDelayMs ?? 15;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await closeServer(s);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    if (req.method === "GET" && path.endsWith("/models")) {
      return json(res, 200, { object: "list", data: [{ id: "bench-model", object: "model", owned_by: "bench" }] });
    }
    if (req.method !== "POST" || !path.endsWith("/chat/completions")) {
      this.unexpected[`${req.method} ${path}`] = (this.unexpected[`${req.method} ${path}`] ?? 0) + 1;
      return json(res, 404, { error: { message: "not found", type: "invalid_request_error" } });
    }
    let body: { messages?: Array<{ role: string; content: unknown }>; stream?: boolean; model?: string } = {};
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return json(res, 400, { error: { message: "bad json", type: "invalid_request_error" } });
    }
    const msgs = body.messages ?? [];
    const lastUserMsg = [...msgs].reverse().find((m) => m.role === "user");
    const lastUser = textOf(lastUserMsg?.content).slice(-200);
    this.requests.push({ at: Date.now(), bytes: raw.length, messages: msgs.length, stream: body.stream === true, lastUser });
    const tag = /\[bench#([\w-]+)\]/.exec(lastUser)?.[1] ?? "none";
    const words = `Reply to bench#${tag}: the context compiler answered this turn over loopback.`.split(" ");
    const model = body.model ?? "bench-model";
    const id = `chatcmpl-bench-${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const promptTokens = Math.ceil(raw.length / 4);
    if (body.stream !== true) {
      return json(res, 200, { id, object: "chat.completion", created, model, choices: [{ index: 0, message: { role: "assistant", content: words.join(" ") }, finish_reason: "stop" }], usage: { prompt_tokens: promptTokens, completion_tokens: words.length, total_tokens: promptTokens + words.length } });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    send({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
    const per = Math.ceil(words.length / this.chunks);
    for (let i = 0; i < words.length; i += per) {
      if (res.destroyed) return;
      await new Promise((r) => setTimeout(r, this.chunkDelayMs));
      send({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta: { content: (i ? " " : "") + words.slice(i, i + per).join(" ") }, finish_reason: null }] });
    }
    send({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
    send({ id, object: "chat.completion.chunk", created, model, choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: words.length, total_tokens: promptTokens + words.length } });
    res.end("data: [DONE]\n\n");
  }
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((b) => (b && typeof b === "object" && "text" in b ? String((b as { text: unknown }).text) : "")).join("");
  return "";
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
