/**
 * The outside world of the gateway, in a child process so that the gateway's event-loop stalls cannot
 * delay it (Telegram and the model provider are other machines): a fake Telegram Bot API answering
 * getUpdates by long polling for any number of bots, and a fake model endpoint receiving dispatches.
 * Both listen on 127.0.0.1 only. All timestamps are taken here, on one clock.
 *
 * getUpdates: a request is held open until an update for that bot is released (or its `timeout`
 * seconds pass, then it is answered with no updates), as Telegram does. Updates below `offset` count
 * as confirmed and are dropped. Long-poll turnaround = time from answering a bot's poll to that bot's
 * next poll arriving: a starved gateway re-polls late.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServicesCommand, ServicesReply, UpdateRecord } from "./protocol.js";

const now = () => performance.timeOrigin + performance.now();
const MODEL_LATENCY_MS = 5; // the fake model answers quickly: the benchmark is about the gateway

interface Bot {
  pending: { update: object; record: UpdateRecord }[];
  held: { res: ServerResponse; timer: NodeJS.Timeout; offset: number } | null;
  lastAnsweredAt: number | null;
  nextUpdateId: number;
}

const bots = new Map<string, Bot>();
let records: UpdateRecord[] = [];
let turnarounds: number[] = [];
let polls = 0;
const byKey = new Map<string, UpdateRecord>();

function bot(token: string): Bot {
  let b = bots.get(token);
  if (!b) bots.set(token, (b = { pending: [], held: null, lastAnsweredAt: null, nextUpdateId: 1 }));
  return b;
}

function answer(b: Bot, res: ServerResponse, offset: number): void {
  const items = b.pending.filter((p) => p.record.updateId >= offset);
  const t = now();
  for (const p of items) p.record.deliveredAt ??= t;
  b.lastAnsweredAt = t;
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ ok: true, result: items.map((p) => p.update) }));
}

function getUpdates(token: string, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const b = bot(token);
  const t = now();
  polls++;
  if (b.lastAnsweredAt !== null) turnarounds.push(t - b.lastAnsweredAt);
  b.lastAnsweredAt = null;
  const offset = Number(url.searchParams.get("offset") ?? 0);
  b.pending = b.pending.filter((p) => p.record.updateId >= offset);
  if (b.held) {
    // Telegram answers a second concurrent poll with 409; a gateway never does this, so just replace.
    clearTimeout(b.held.timer);
    b.held.res.destroy();
    b.held = null;
  }
  if (b.pending.length > 0) return answer(b, res, offset);
  const timeoutS = Number(url.searchParams.get("timeout") ?? 0);
  const timer = setTimeout(() => {
    b.held = null;
    answer(b, res, offset);
  }, timeoutS * 1000);
  b.held = { res, timer, offset };
  req.once("close", () => {
    if (b.held?.res === res && !res.writableEnded) {
      clearTimeout(timer);
      b.held = null;
    }
  });
}

function release(token: string, round: number): void {
  const b = bot(token);
  const updateId = b.nextUpdateId++;
  const t = now();
  const record: UpdateRecord = { bot: token, updateId, round, availableAt: t, deliveredAt: null, dispatchedAt: null };
  records.push(record);
  byKey.set(`${token}#${updateId}`, record);
  const update = {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(t / 1000),
      chat: { id: 1000 + round, type: "private" },
      from: { id: 42, is_bot: false, first_name: "Bench" },
      text: `round ${round}: please continue with the refactoring and run the tests again`,
    },
  };
  b.pending.push({ update, record });
  if (b.held) {
    const { res, timer, offset } = b.held;
    clearTimeout(timer);
    b.held = null;
    answer(b, res, offset);
  }
}

const telegram = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const m = /^\/bot([^/]+)\/getUpdates$/.exec(url.pathname);
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  getUpdates(m[1]!, url, req, res);
});

const model = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const t = now();
    let body: { bot?: string; updateId?: number } = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
    } catch {
      /* counted as a dispatch without a record */
    }
    const record = byKey.get(`${body.bot}#${body.updateId}`);
    if (record) record.dispatchedAt ??= t;
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ role: "assistant", content: [{ type: "text", text: "Done. All tests pass; the refactoring is committed." }] }));
    }, MODEL_LATENCY_MS);
  });
});

function listen(server: ReturnType<typeof createServer>): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function send(reply: ServicesReply): void {
  process.send?.(reply);
}

process.on("message", (cmd: ServicesCommand) => {
  if (cmd.type === "release") {
    for (const token of cmd.bots) {
      const delay = Math.random() * cmd.jitterMs;
      if (delay < 1) release(token, cmd.round);
      else setTimeout(() => release(token, cmd.round), delay);
    }
  } else if (cmd.type === "collect") {
    send({ type: "collected", updates: records, turnaroundsMs: turnarounds, polls });
    records = [];
    turnarounds = [];
    polls = 0;
    byKey.clear();
  } else if (cmd.type === "stop") {
    telegram.closeAllConnections();
    model.closeAllConnections();
    telegram.close();
    model.close();
    process.disconnect?.();
  }
});

const [telegramUrl, modelUrl] = await Promise.all([listen(telegram), listen(model)]);
send({ type: "ready", telegramUrl, modelUrl });
