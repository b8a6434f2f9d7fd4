/**
 * Loopback fake of the Telegram Bot API for bench/real-gateway: serves N bots at
 * `http://127.0.0.1:<port>/bot<token>/<method>` (the URL shape grammY builds from OpenClaw's
 * `channels.telegram.apiRoot`). It replaces Telegram only at the network boundary: OpenClaw's own
 * polling, dispatch and reply code runs unchanged against it.
 *
 * Implemented: getMe, getUpdates (long polling with offset/timeout, bounded), sendMessage,
 * editMessageText, sendChatAction, setMessageReaction and the startup housekeeping calls
 * (deleteWebhook, setMyCommands, …). Anything else is answered `{ok:true,result:true}` and counted in
 * `unexpected` so a run can show what it did not model.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { closeServer, readBody } from "./loopback-http.js";

/** One bot the fake serves. */
export interface FakeBot {
  /** Bot token, `<id>:<secret>`. */
  token: string;
  id: number;
  username: string;
}

/** A message the gateway sent through `sendMessage` (what a user would see as a reply). */
export interface SentMessage {
  botIndex: number;
  chatId: number;
  text: string;
  at: number;
  messageId: number;
}

/** Per-bot long-poll bookkeeping, used for the "long-poll turnaround" metric. */
interface BotState {
  bot: FakeBot;
  queue: Array<{ update_id: number; message: unknown; enqueuedAt: number }>;
  nextUpdateId: number;
  /** Pending long-poll responders (at most one in practice). */
  waiters: Array<() => void>;
  /** When the last getUpdates response was written; the gap to the next request is the turnaround. */
  lastPollAnsweredAt: number | null;
  /** The gateway run ({@link FakeTelegram.newRun}) in which this bot last asked for updates (-1: never). */
  polledInRun: number;
  nextMessageId: number;
}

export interface FakeTelegramStats {
  calls: Record<string, number>;
  unexpected: Record<string, number>;
  /** ms between a getUpdates answer and the same bot's next getUpdates request (gateway-side turnaround). */
  pollTurnaroundMs: number[];
  /** ms from enqueueing a user message to handing it to the gateway in a getUpdates answer. */
  deliveryDelayMs: number[];
}

const KNOWN_TRUE = new Set([
  "deleteWebhook", "setWebhook", "setMyCommands", "deleteMyCommands", "setMyDescription", "setMyShortDescription",
  "setChatMenuButton", "sendChatAction", "setMessageReaction", "answerCallbackQuery", "deleteMessage", "close", "logOut",
]);

/** Longest long-poll the fake holds open, whatever the client asks: keeps every request bounded. */
const MAX_POLL_MS = 30_000;

export class FakeTelegram {
  readonly bots: FakeBot[];
  readonly sent: SentMessage[] = [];
  readonly stats: FakeTelegramStats = { calls: {}, unexpected: {}, pollTurnaroundMs: [], deliveryDelayMs: [] };
  private readonly states = new Map<string, BotState>();
  private readonly sentListeners = new Set<(m: SentMessage) => void>();
  private server: Server | null = null;
  private closing = false;
  /** Counts {@link newRun} calls: a long poll of an earlier run answered late counts in no run's stats. */
  private run = 0;
  port = 0;

  constructor(count: number) {
    this.bots = [];
    for (let i = 0; i < count; i++) {
      const id = 7_000_000_000 + i;
      const bot = { token: `${id}:AAbench-fake-token-${i}`, id, username: `ctxc_bench_${i}_bot` };
      this.bots.push(bot);
      this.states.set(bot.token, { bot, queue: [], nextUpdateId: 1, waiters: [], lastPollAnsweredAt: null, polledInRun: -1, nextMessageId: 1 });
    }
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queues a private message from `userId` to bot `botIndex`; returns the enqueue time. */
  userWrites(botIndex: number, userId: number, text: string): number {
    const st = this.states.get(this.bots[botIndex]!.token)!;
    const now = Date.now();
    const update_id = st.nextUpdateId++;
    st.queue.push({
      update_id,
      enqueuedAt: now,
      message: {
        message_id: 100_000 + update_id,
        date: Math.floor(now / 1000),
        chat: { id: userId, type: "private", first_name: `User${userId}`, username: `user${userId}` },
        from: { id: userId, is_bot: false, first_name: `User${userId}`, username: `user${userId}`, language_code: "en" },
        text,
      },
    });
    for (const w of st.waiters.splice(0)) w();
    return now;
  }

  onSent(fn: (m: SentMessage) => void): () => void {
    this.sentListeners.add(fn);
    return () => this.sentListeners.delete(fn);
  }

  /** Bots that have issued at least one getUpdates in this run (i.e. their polling loop is live). */
  pollingBots(): number {
    let n = 0;
    for (const st of this.states.values()) if (st.polledInRun === this.run) n++;
    return n;
  }

  /**
   * A new gateway process on the same bots (`run.js --restart`): stats from zero and no bot polling yet.
   * Update ids, message ids and the updates the old process never confirmed (by a later getUpdates
   * offset) carry on, as Telegram keeps them while a bot's client restarts. Call once the old process
   * has exited: its long polls are then closed, and one answered after this counts nowhere.
   */
  newRun(): void {
    this.run++;
    Object.assign(this.stats, { calls: {}, unexpected: {}, pollTurnaroundMs: [], deliveryDelayMs: [] } satisfies FakeTelegramStats);
    for (const st of this.states.values()) st.lastPollAnsweredAt = null;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const st of this.states.values()) for (const w of st.waiters.splice(0)) w();
    const s = this.server;
    this.server = null;
    if (!s) return;
    await closeServer(s);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const st = m ? this.states.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !st) {
      this.count(this.stats.unexpected, `${req.method} ${url.pathname.replace(/bot[^/]+/, "bot<token>")}`);
      return reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    }
    const method = m[2]!;
    this.count(this.stats.calls, method);
    const params = parseParams(body, req.headers["content-type"] ?? "", url.searchParams);
    switch (method) {
      case "getMe":
        return reply(res, 200, { ok: true, result: { id: st.bot.id, is_bot: true, first_name: `Bench ${st.bot.username}`, username: st.bot.username, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false } });
      case "getUpdates":
        return this.getUpdates(st, params, res);
      case "sendMessage":
      case "editMessageText": {
        const chatId = Number(params.chat_id);
        const msg: SentMessage = { botIndex: this.bots.indexOf(st.bot), chatId, text: String(params.text ?? ""), at: Date.now(), messageId: method === "sendMessage" ? st.nextMessageId++ : Number(params.message_id) };
        if (method === "sendMessage") {
          this.sent.push(msg);
          for (const fn of this.sentListeners) fn(msg);
        }
        return reply(res, 200, { ok: true, result: { message_id: msg.messageId, date: Math.floor(msg.at / 1000), chat: { id: chatId, type: "private" }, from: { id: st.bot.id, is_bot: true, first_name: "Bench", username: st.bot.username }, text: msg.text } });
      }
      case "getMyCommands":
        return reply(res, 200, { ok: true, result: [] });
      case "getWebhookInfo":
        return reply(res, 200, { ok: true, result: { url: "", has_custom_certificate: false, pending_update_count: 0 } });
      case "getChat":
        return reply(res, 200, { ok: true, result: { id: Number(params.chat_id), type: "private" } });
      default:
        if (!KNOWN_TRUE.has(method)) this.count(this.stats.unexpected, method);
        return reply(res, 200, { ok: true, result: true });
    }
  }

  private async getUpdates(st: BotState, params: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const requestedAt = Date.now();
    const run = this.run;
    st.polledInRun = run;
    if (st.lastPollAnsweredAt !== null) this.stats.pollTurnaroundMs.push(requestedAt - st.lastPollAnsweredAt);
    const offset = Number(params.offset ?? 0);
    if (offset > 0) st.queue = st.queue.filter((u) => u.update_id >= offset);
    const timeoutMs = Math.min(MAX_POLL_MS, Math.max(0, Number(params.timeout ?? 0) * 1000));
    if (st.queue.length === 0 && timeoutMs > 0 && !this.closing) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(t);
          resolve();
        }
        st.waiters.push(done);
        res.once("close", done);
      });
    }
    // A poll of the previous run (its process gone, so the connection too): no update handed out, no stats.
    if (run !== this.run) return reply(res, 200, { ok: true, result: [] });
    const limit = Math.max(1, Math.min(100, Number(params.limit ?? 100)));
    const batch = st.queue.slice(0, limit);
    const now = Date.now();
    for (const u of batch) this.stats.deliveryDelayMs.push(now - u.enqueuedAt);
    st.lastPollAnsweredAt = now;
    if (res.destroyed) return;
    reply(res, 200, { ok: true, result: batch.map((u) => ({ update_id: u.update_id, message: u.message })) });
  }

  private count(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1;
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** grammY sends JSON bodies, multipart for uploads; query strings for GET. */
function parseParams(body: Buffer, contentType: string, query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(query);
  if (body.length === 0) return out;
  if (contentType.includes("application/json")) {
    try {
      return { ...out, ...(JSON.parse(body.toString("utf8")) as Record<string, unknown>) };
    } catch {
      return out;
    }
  }
  if (contentType.includes("application/x-www-form-urlencoded")) return { ...out, ...Object.fromEntries(new URLSearchParams(body.toString("utf8"))) };
  if (contentType.includes("multipart/form-data")) {
    // Enough for text fields (chat_id, text); files are ignored.
    const text = body.toString("latin1");
    for (const m of text.matchAll(/name="([^"]+)"\r\n\r\n([^\r]*)\r\n/g)) out[m[1]!] = Buffer.from(m[2]!, "latin1").toString("utf8");
  }
  return out;
}
