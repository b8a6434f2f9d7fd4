/**
 * OpenClaw 2026.5.12's session open served from ctxc's worker buffers (preload-runtime.ts
 * `sessionManagerFromCtxc` + kept-buffers.ts + buffer-entries.ts) against pi 0.74's own
 * `SessionManager.open` (the devDependency is the pi 2026.5.12 ships), turn after turn on generated
 * transcripts — branched, compacted, every entry type, heavy unicode — growing between opens by pi's own
 * appends of every kind through the served manager, while the same appends go through stock's manager on
 * a copy:
 * - every method OpenClaw and its plugins read returns what stock's returns (deep equality, incl. getTree
 *   and labels), and each served entry serialises to its line;
 * - the files stay byte-identical (pi's random ids and clock made the same for both sides);
 * - whatever a turn changes in its entries (fields, nested content, added and deleted keys, the header)
 *   never reaches the next turn's open;
 * - the first open builds every entry from the worker's bytes (no decoded state kept between turns);
 * - from the second turn on the worker sends only the appended records (sessionsContinued), and with
 *   nothing kept every open is such a first open.
 */
import { appendFileSync, copyFileSync, readFileSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { SessionManager } from "@earendil-works/pi-coding-agent";
import { afterAll, afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { closeOpenClawPool } from "../../src/openclaw/index.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";

const dir = tempDir("oc-lazy-open");
process.env.CTXC_OPENCLAW_PRELOAD = "off";
process.env.CTXC_OPENCLAW_LOG = join(dir, "preload.log");
const runtime = await import("../../src/openclaw/preload-runtime.js");
const { lazyStats } = await import("../../src/openclaw/lazy-entries.js");
afterAll(() => closeOpenClawPool());
afterEach(() => vi.useRealTimers());

const Wrapped = runtime.wrapSessionManager(SessionManager);
const prewarm = runtime.wrapPrewarm(async () => {});

const fileOf = tempFileWriter(dir, "s");
let n = 0; // the stock copies' names

/**
 * Runs `f` with pi's id source (`crypto.randomUUID`, imported by name: a live binding of the builtin,
 * updated by syncBuiltinESMExports) and clock fixed, so the same call on two managers writes the same bytes.
 */
const nodeCrypto = createRequire(import.meta.url)("node:crypto") as { randomUUID: () => string };
const realUUID = nodeCrypto.randomUUID;
function deterministic<T>(turn: number, f: () => T): T {
  let k = 0;
  nodeCrypto.randomUUID = () => `${(0xfe000000 + turn * 256 + k++).toString(16)}-0000-4000-8000-000000000000`;
  syncBuiltinESMExports();
  vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2026, 1, 1) + turn * 1000 });
  try {
    return f();
  } finally {
    vi.useRealTimers();
    nodeCrypto.randomUUID = realUUID;
    syncBuiltinESMExports();
  }
}

type SM = SessionManager;

/** Everything OpenClaw 2026.5.12's run path and a plugin can read from the manager, as plain data. */
function state(sm: SM) {
  const entries = sm.getEntries();
  return {
    id: sm.getSessionId(),
    cwd: sm.getCwd(),
    header: sm.getHeader(),
    entries,
    leaf: sm.getLeafId(),
    leafEntry: sm.getLeafEntry(),
    branch: sm.getBranch(),
    context: sm.buildSessionContext(),
    tree: sm.getTree(),
    labels: entries.map((e) => sm.getLabel(e.id)),
    children: sm.getLeafId() ? sm.getChildren(sm.getBranch().at(-2)?.id ?? sm.getLeafId()!) : [],
    name: sm.getSessionName(),
  };
}

/** A turn's append, the same on both managers (pi writes the bytes). */
const OPS: ((sm: SM, turn: number) => void)[] = [
  (sm, t) => void sm.appendMessage({ role: "user", content: `turn ${t}: ünïcødé 🚀 "quoted" \\ back`, timestamp: 1767657600000 + t } as never),
  (sm, t) =>
    void sm.appendMessage({
      role: "assistant",
      content: [{ type: "text", text: `answer ${t}` }, { type: "toolCall", id: `call${t}`, name: "read", arguments: { path: "a.ts", nested: { deep: [1, -0, null] } } }],
      api: "openai-responses",
      provider: "openai",
      model: "gpt-5.1",
      usage: { input: 1, output: 2, cacheRead: 0, cacheWrite: 0, totalTokens: 3, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
      stopReason: "toolUse",
      timestamp: 1767657600000 + t,
    } as never),
  (sm, t) => void sm.appendCustomEntry("openclaw.cache-ttl", { provider: "openai", modelId: "gpt-5.1", timestamp: t, list: [{ a: 1 }] }),
  (sm, t) => void sm.appendLabelChange(sm.getBranch().at(-3)?.id ?? sm.getLeafId()!, `label ${t}`),
  (sm, t) => void sm.appendCompaction(`summary ${t}`, sm.getBranch().at(-4)?.id ?? sm.getLeafId()!, 12345, { readFiles: ["x"], t }),
  (sm, t) => {
    // A branch from the leaf's parent (a retried turn), then a message on the new branch.
    const parent = sm.getLeafEntry()?.parentId;
    if (parent) sm.branch(parent);
    sm.appendMessage({ role: "user", content: [{ type: "text", text: `retry ${t}` }], timestamp: 1767657600000 + t } as never);
  },
  (sm) => void sm.appendThinkingLevelChange("high"),
  (sm, t) => void sm.appendModelChange("anthropic", `claude-${t}`),
  (sm, t) => void sm.appendSessionInfo(`session ${t}`),
  (sm, t) => void sm.appendCustomMessageEntry("note", [{ type: "text", text: `note ${t}` }], true, { d: [t] }),
];

/** What a turn may do to its entries in place; none of it may reach the next turn. */
function mutate(sm: SM): void {
  for (const e of sm.getEntries() as unknown as Record<string, unknown>[]) {
    e.added = { x: 1 };
    delete e.timestamp;
    const m = e.message as Record<string, unknown> | undefined;
    if (m && Array.isArray(m.content)) {
      (m.content as unknown[]).push({ type: "text", text: "pushed" });
      const first = m.content[0] as Record<string, unknown> | undefined;
      if (first && typeof first === "object") first.text = "changed";
    } else if (m) m.content = "changed";
    if (e.type === "custom") e.data = "replaced before read";
    if (e.type === "custom_message") delete e.details;
  }
  for (const m of sm.buildSessionContext().messages as unknown as Record<string, unknown>[]) m.role = "changed";
  (sm.getHeader() as unknown as Record<string, unknown>).cwd = "/changed";
}

const CORPUS = [
  { name: "branched, compacted, every entry type", text: generateTranscript({ seed: 21, entries: 140, branchProbability: 0.15, compactions: 3, includeAllEntryTypes: true, unicode: "mixed" }).text },
  { name: "heavy unicode", text: generateTranscript({ seed: 22, entries: 70, branchProbability: 0.1, compactions: 1, unicode: "heavy" }).text },
  { name: "header only", text: JSON.stringify({ type: "session", version: 3, id: "s-1", timestamp: "2026-01-05T08:00:00.000Z", cwd: "/w" }) + "\n" },
];

describe("2026.5.12 session open from ctxc's worker buffers (first open and kept) vs pi 0.74's own open", () => {
  // Kept: the first open builds from a whole read, later ones from the kept buffers + the appended records.
  // Nothing kept (the bound 0): every open is a FIRST open — a whole read, every entry built from its bytes.
  for (const keep of [true, false])
  for (const c of CORPUS) {
    it(`${c.name}${keep ? "" : ", nothing kept (every open a first open)"}: every read equals stock's, the files stay byte-identical, no change outlives its turn`, async () => {
      runtime.entryCache.setEntryCacheLimit(keep ? runtime.entryCache.DEFAULT_ENTRY_CACHE_BYTES : 0);
      onTestFinished(() => runtime.entryCache.setEntryCacheLimit(runtime.entryCache.DEFAULT_ENTRY_CACHE_BYTES));
      const a = fileOf(c.text);
      const b = join(dir, `s${++n}-stock.jsonl`);
      copyFileSync(a, b);
      for (let turn = 0; turn < OPS.length + 2; turn++) {
        const served = runtime.counters.sessionsServed;
        const continued = runtime.counters.sessionsContinued;
        const fallbacks = runtime.counters.fallbacks;
        await prewarm(a);
        const ours = Wrapped.open(a);
        const theirs = SessionManager.open(b);
        expect(runtime.counters.fallbacks, `${c.name} turn ${turn}`).toBe(fallbacks);
        expect(runtime.counters.sessionsServed, `${c.name} turn ${turn}`).toBe(served + 1);
        // The first open reads the whole file; every later one only what was appended since (when kept).
        expect(runtime.counters.sessionsContinued, `${c.name} turn ${turn}`).toBe(continued + (keep && turn > 0 ? 1 : 0));
        // What is kept is the worker's buffers, never decoded entries.
        expect(runtime.keptBuffers.getKeptBuffers(a)?.records, `${c.name} turn ${turn}`).toBe(keep ? readFileSync(a, "utf8").split("\n").filter((l) => l !== "").length : undefined);
        expect(runtime.entryCache.getCachedEntries(a), `${c.name} turn ${turn}`).toBeUndefined();
        const lines = readFileSync(a, "utf8").split("\n").filter((l) => l !== "");
        expect([ours.getHeader(), ...ours.getEntries()].map((e) => JSON.stringify(e)), `${c.name} turn ${turn}`).toEqual(lines);
        expect(state(ours), `${c.name} turn ${turn}`).toEqual(state(theirs));
        if (turn < OPS.length) {
          deterministic(turn, () => OPS[turn]!(ours, turn));
          deterministic(turn, () => OPS[turn]!(theirs, turn));
          // Byte identity (Buffer.equals: vitest's deep equality crawls a Buffer); the text shows on a mismatch.
          expect(readFileSync(a).equals(readFileSync(b)) || readFileSync(a, "utf8"), `${c.name} turn ${turn}: file after the append`).toBe(true);
          expect(state(ours), `${c.name} turn ${turn}: after the append`).toEqual(state(theirs));
        }
        mutate(ours);
      }
    });
  }

  it("copies only what is read: an open defers every object field; buildSessionContext copies the path's messages one level deep (pi reads each one's role), their content only when read", async () => {
    const t = generateTranscript({ seed: 23, entries: 400, compactions: 10, branchProbability: 0.2 });
    const a = fileOf(t.text);
    await prewarm(a);
    // The FIRST open (nothing kept in this process): every object field waits too, nothing is decoded.
    const decodedBefore = lazyStats.decoded;
    const first = Wrapped.open(a).getEntries() as unknown as Record<string, unknown>[];
    expect(runtime.keptBuffers.getKeptBuffers(a)?.parts.length).toBe(1);
    expect(first.filter((e) => e.type === "message").every((e) => typeof Object.getOwnPropertyDescriptor(e, "message")?.get === "function")).toBe(true);
    expect(lazyStats.decoded).toBe(decodedBefore);
    appendFileSync(a, JSON.stringify({ type: "custom", customType: "x", data: { k: 1 }, id: "zz000001", parentId: t.leafId, timestamp: "2026-01-05T08:00:00.000Z" }) + "\n");
    await prewarm(a);
    const before = lazyStats.decoded;
    const sm = Wrapped.open(a);
    const isLazy = (o: object, key: string) => typeof Object.getOwnPropertyDescriptor(o, key)?.get === "function";
    const entries = sm.getEntries() as unknown as Record<string, unknown>[];
    const messageEntries = entries.filter((e) => e.type === "message");
    expect(messageEntries.every((e) => isLazy(e, "message"))).toBe(true);
    expect(lazyStats.decoded).toBe(before);
    const { messages } = sm.buildSessionContext();
    const onPath = new Set(sm.getBranch().map((e) => e.id));
    const lineById = new Map(readFileSync(a, "utf8").trim().split("\n").map((l) => [(JSON.parse(l) as { id: unknown }).id, JSON.parse(l) as unknown]));
    for (const e of messageEntries) {
      // Off the active path: never touched.
      if (!onPath.has(e.id as string)) expect(isLazy(e, "message"), String(e.id)).toBe(true);
      else {
        const m = e.message as Record<string, unknown>;
        expect(isLazy(e, "message"), String(e.id)).toBe(false);
        // On the path (in the context or before it): the message's own object fields still wait — pi
        // hands the messages on unread. (Judged from the line: reading the field would copy it.)
        const line = lineById.get(e.id) as { message: { content?: unknown } };
        if (typeof line.message.content === "object") expect(isLazy(m, "content"), String(e.id)).toBe(true);
      }
    }
    expect(messageEntries.some((e) => !onPath.has(e.id as string))).toBe(true);
    // Read in full (as the model request does): what stock's context holds.
    const b = join(dir, `s${++n}-stock.jsonl`);
    copyFileSync(a, b);
    expect(JSON.parse(JSON.stringify(messages))).toEqual(SessionManager.open(b).buildSessionContext().messages);
    // Read again: the entries' own message objects, the same ones (pi makes summaries and custom messages anew).
    const again = sm.buildSessionContext().messages;
    const own = (m: unknown) => ["user", "assistant", "toolResult"].includes((m as { role: string }).role);
    expect(again.filter(own).length).toBeGreaterThan(3);
    again.forEach((m, i) => own(m) && expect(m).toBe(messages[i]));
    const decoded = lazyStats.decoded;
    JSON.stringify(again);
    expect(lazyStats.decoded).toBe(decoded);
  });
});
