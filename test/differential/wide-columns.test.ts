/**
 * The record table's 16-bit columns and fitted capacity (pi/record-table.ts) in whole builds: values at
 * and past 16 bits — a line of 65,534 / 65,535 / 65,536 bytes and far longer, a message's value starting
 * or ending more than 64 KiB inside its line, a message of more than 65,535 tokens (count and estimate),
 * a parent more than 65,535 rows back — in cold builds, warm builds that append after a build's fit()
 * (a small append: growth by an eighth; a big one: doubling), a torn tail completed later, and a state
 * saved to and restored from the persistent index. Messages, thinking level and model must be pi's;
 * token counts and the dropped estimate (pi's estimateTokens) equal a cold build's.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { estimateTokens } from "@earendil-works/pi-coding-agent";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { compileSteps } from "../../native-free-workers/compile.js";
import { SessionCache } from "../../native-free-workers/session/session-cache.js";
import { countMessageTokens } from "../../native-free-workers/tokenize/message-tokens.js";
import { createTokenCounter } from "../../native-free-workers/tokenize/token-counter.js";
import { normalizeBuildOptions } from "../../src/options.js";
import { createCompiler, decodeContext, type CompiledContext } from "../../src/index.js";
import { piContext } from "../reference/pi-reference.js";
import { tempDir } from "../support/tmp.js";
import { assistant, chain, header, iso, msg, T0, user, type Json } from "../support/transcript-builder.js";

const dir = tempDir("wide-columns");
const TOKENIZER = "o200k_base";

/** A build in this process; `sessions` carries the state between builds. */
async function build(path: string, sessions: SessionCache, budget: number | null = null): Promise<CompiledContext> {
  const steps = compileSteps(normalizeBuildOptions({ transcript: path, budget, tokenizer: TOKENIZER, maxDiagnostics: 100_000 }), sessions, 1);
  let step = await steps.next();
  while (!step.done) step = await steps.next();
  return decodeContext(step.value);
}

const cold = (path: string, budget: number | null = null) => build(path, new SessionCache(Number.MAX_SAFE_INTEGER), budget);

/** `ctx` is pi's context of `text`, and its counts, estimate and diagnostics those of a cold build of the same bytes. */
async function expectPiAndCold(ctx: CompiledContext, text: string, path: string, budget: number | null = null): Promise<void> {
  const pi = piContext(text);
  const fresh = await cold(path, budget);
  // A budget keeps the newest messages, and a compaction's summary pinned first.
  const pinned = ctx.messageCount > 0 && ctx.info(0).kind === "compactionSummary" ? 1 : 0;
  const from = pi.messages.length - (ctx.messageCount - pinned);
  expect([...ctx.messages]).toStrictEqual([...pi.messages.slice(0, pinned), ...pi.messages.slice(from)]);
  if (budget === null) expect(ctx.messageCount).toBe(pi.messages.length);
  expect(ctx.thinkingLevel).toStrictEqual(pi.thinkingLevel);
  expect(ctx.model).toStrictEqual(pi.model);
  expect(ctx.tokens.perMessage).toEqual(fresh.tokens.perMessage);
  const dropped = pi.messages.slice(pinned, from);
  expect(ctx.tokens.droppedEstimate).toBe(dropped.reduce((a, m) => a + estimateTokens(m), 0));
  expect(ctx.diagnostics).toEqual(fresh.diagnostics);
}

const lines = (entries: Json[]) => entries.map((e) => JSON.stringify(e)).join("\n") + "\n";

/**
 * Text of `chars` characters of distinct words (a token per few characters: > 65,535 tokens past ~300k).
 * Every long text here is made of these, never a run of one letter: such a run is one BPE piece, whose
 * merges cost the tokenizers quadratic time (65,536 "x" took 10.7 s to count, a word text of 131,072
 * characters 56 ms) — the file spent minutes on it, none on the columns it tests. The counter now
 * merges long pieces itself (tokenize/long-piece.ts, 65,536 "x" in ~50 ms), but words still keep these
 * texts on the backends' ordinary path, the one the columns are counted with.
 */
const words = (chars: number, seed: number) => {
  let s = "";
  for (let i = 0; s.length < chars; i++) s += `w${(i * 7919 + seed) % 100003} `;
  return s.slice(0, chars);
};

/** A message entry whose line is exactly `bytes` bytes long (ASCII words in the text). */
function lineOfBytes(bytes: number, id: string, parentId: string): Json {
  const e = { type: "message", id, parentId, timestamp: iso(T0), message: user("") };
  const base = Buffer.byteLength(JSON.stringify(e));
  return { ...e, message: user(words(bytes - base, bytes)) };
}

/** Entries that put values at and past the 16-bit edges, chained after `after`. */
function wideEntries(after: string, tag: string): Json[] {
  const out: Json[] = [];
  let parent = after;
  const push = (e: Json) => {
    out.push(e);
    parent = e.id as string;
  };
  for (const bytes of [65_533, 65_534, 65_535, 65_536, 65_537, 131_072]) push(lineOfBytes(bytes, `${tag}-len-${bytes}`, parent));
  // The message's value starts past 64 KiB into its line (a field before it), then ends past 64 KiB before the line's end.
  push({ type: "message", id: `${tag}-pad-before`, parentId: parent, timestamp: iso(T0), pad: "p".repeat(70_000), message: user(`after padding ${tag}`) });
  push({ type: "message", id: `${tag}-pad-after`, parentId: parent, timestamp: iso(T0), message: assistant([{ type: "text", text: `before padding ${tag}` }]), pad: "q".repeat(70_000) });
  push({ type: "message", id: `${tag}-pad-both`, parentId: parent, timestamp: iso(T0), pad: "r".repeat(65_534), message: user(words(65_535, 3)), tail: "s".repeat(65_536) });
  // More than 65,535 tokens (and an estimate past 16 bits).
  push({ type: "message", id: `${tag}-many-tokens`, parentId: parent, timestamp: iso(T0), message: user(words(400_000, tag.length)) });
  push({ type: "message", id: `${tag}-small`, parentId: parent, timestamp: iso(T0), message: assistant([{ type: "text", text: "ok" }]) });
  return out;
}

describe("16-bit columns' edges in whole builds equal pi's", () => {
  it("lines, value ranges, token counts and estimates at and past 16 bits: cold, warm over appends, at budgets", async () => {
    const { text: base } = generateTranscript({ seed: 141, entries: 120, branchProbability: 0.1, compactions: 1 });
    const lastId = (text: string) => (JSON.parse(text.trimEnd().split("\n").at(-1)!) as { id: string }).id;
    const path = join(dir, "edges.jsonl");
    const sessions = new SessionCache(Number.MAX_SAFE_INTEGER);
    writeFileSync(path, base);
    await expectPiAndCold(await build(path, sessions), base, path);

    let text = base;
    for (const tag of ["a", "b"]) {
      const more = lines(wideEntries(lastId(text), tag));
      appendFileSync(path, more);
      text += more;
      const warm = await build(path, sessions);
      expect(warm.meta.build.rebuilt).toBeNull();
      await expectPiAndCold(warm, text, path);
      expect(Math.max(...warm.tokens.perMessage)).toBeGreaterThan(65_535);
    }
    const all = await cold(path);
    await expectPiAndCold(all, text, path);
    // The counts as the table gives them back equal the counter's on pi's messages (past 65,535 included):
    // warm and cold builds both read them through the table, so only this catches a wrong read-back.
    const counter = createTokenCounter(TOKENIZER);
    expect(all.tokens.perMessage).toEqual([...all.messages].map((m) => countMessageTokens(m, counter)));
    // Budgets that drop the big messages: the dropped estimate is pi's (the estimate column past 16 bits).
    const per = all.tokens.perMessage;
    for (const keep of [1, 2, 3, 8]) {
      const budget = per.slice(per.length - keep).reduce((a, b) => a + b, 0) + (all.info(0).kind === "compactionSummary" ? per[0]! : 0);
      await expectPiAndCold(await build(path, sessions, budget), text, path, budget);
    }
    // A branch from a line of 65,535 bytes more rows back than the index keeps ids of: the parent's id is
    // read back from the transcript, its whole line by the length column's overflow map.
    const fillers = Array.from({ length: 70 }, (_, i) => ({ type: "message", id: `f${i}`, parentId: i === 0 ? lastId(text) : `f${i - 1}`, timestamp: iso(T0), message: user(`filler ${i}`) }));
    const back = lines([...fillers, { type: "message", id: "back", parentId: "a-len-65535", timestamp: iso(T0), message: user("back") }]);
    appendFileSync(path, back);
    text += back;
    const branched = await build(path, sessions);
    expect(branched.meta.build.rebuilt).toBeNull();
    await expectPiAndCold(branched, text, path);
    expect([...branched.messages].at(-2)).toMatchObject({ content: expect.stringMatching(/^w/) });
  });

  it("a parent more than 65,535 rows back, warm and cold; a torn tail completed; appends after a fit by an eighth then doubling", async () => {
    const n = 70_000;
    const entries: Json[] = [];
    for (let i = 1; i <= n; i++) entries.push(msg(i % 2 ? user(`q${i}`) : assistant([{ type: "text", text: `a${i}` }])));
    const base = lines(chain(entries));
    const path = join(dir, "far.jsonl");
    const sessions = new SessionCache(Number.MAX_SAFE_INTEGER);
    writeFileSync(path, base);
    const first = await build(path, sessions);
    expect(first.messageCount).toBe(n);
    // The table's row capacity (white box): that the appends below grow it as the title says.
    const capacity = () => sessions.get(path)!.index.table.capacity;
    expect(capacity()).toBe(n + 1); // fitted to the rows at the build's end

    let text = base;
    const step = async (more: string) => {
      appendFileSync(path, more);
      text += more;
      const warm = await build(path, sessions);
      expect(warm.meta.build.rebuilt).toBeNull();
      await expectPiAndCold(warm, text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1), path);
      return warm;
    };
    // Row of e_i is i (the header is row 0); the next appended row is n + 1. Parents 65,533, 65,534 and
    // 65,535 rows back: the column's last code (65,534), the overflow mark (65,535) and past it. The
    // first append meets the fitted capacity: the columns grow by an eighth.
    const at = (k: number) => ({ type: "message", id: `far${k}`, timestamp: iso(T0) });
    const branch = (k: number, parent: string) => lines([{ ...at(k), parentId: parent, message: user(`branch ${k} from ${parent}`) }]);
    let warm: CompiledContext | undefined;
    for (const [k, back] of [[1, 65_533], [2, 65_534], [3, 65_535]] as const) {
      const parent = n + k - back;
      warm = await step(branch(k, `e${parent}`));
      expect(warm.messageCount).toBe(parent + 1);
    }
    expect(capacity()).toBe(n + 1 + ((n + 1) >>> 3));
    warm = await step(branch(3, "e1"));
    expect(warm.messageCount).toBe(2);
    // A torn tail (no row yet) that a later build completes: a row ~70,000 back again.
    const torn = JSON.stringify({ ...at(9), parentId: "e3", message: user("torn, then completed") });
    await step(torn.slice(0, 40));
    warm = await step(`${torn.slice(40)}\n`);
    expect(warm.messageCount).toBe(4);
    expect([...warm.messages].at(-1)).toMatchObject({ content: "torn, then completed" });
    // A small append within the eighth's spare, then one past it: by an eighth (the columns were fitted),
    // then doubling (not fitted since) — 30,000 rows do both; the build's fit() then leaves no spare.
    const run = (from: number, count: number, parent: string) => {
      const out: Json[] = [];
      for (let i = 0; i < count; i++) {
        out.push({ type: "message", id: `r${from + i}`, parentId: i === 0 ? parent : `r${from + i - 1}`, timestamp: iso(T0), message: user(`run ${from + i}`) });
      }
      return lines(out);
    };
    warm = await step(run(0, 100, "e5"));
    expect(warm.messageCount).toBe(5 + 100);
    const eighth = capacity();
    const rows = sessions.get(path)!.index.table.count;
    const big = 30_000;
    expect(rows + big).toBeGreaterThan(eighth + (eighth >>> 3)); // past the next eighth: a doubling follows
    warm = await step(run(100, big, "e70000"));
    expect(warm.messageCount).toBe(n + big);
    expect(capacity()).toBe(rows + big);
  });
});

describe("the persistent index with values past 16 bits", () => {
  const compilers: ReturnType<typeof createCompiler>[] = [];
  afterAll(() => Promise.all(compilers.map((c) => c.close())));
  const once = async (path: string, cacheDir: string) => {
    const compiler = createCompiler({ threads: 1, cacheDir });
    compilers.push(compiler);
    try {
      return await compiler.build({ transcript: path, tokenizer: TOKENIZER, maxDiagnostics: 100_000 });
    } finally {
      await compiler.close();
    }
  };

  it("saved and restored: a restarted build after appends equals a cold one", async () => {
    const head = [header()];
    const entries = chain([msg(user("start")), msg(assistant([{ type: "text", text: "ok" }]))], null);
    const text0 = lines([...head, ...entries, ...wideEntries("e2", "p")]);
    const path = join(dir, "persist.jsonl");
    const cacheDir = join(dir, "cache");
    writeFileSync(path, text0);
    const first = await once(path, cacheDir);
    expect(first.meta.build.index).toBe("none");
    // Branches from saved rows: their ids are read back from their lines, by the restored lengths (65,535:
    // the overflow mark; 131,072: a length only the map holds).
    const backTo = (id: string, parentId: string) => ({ type: "message", id, parentId, timestamp: iso(T0), message: user(id) });
    const more = lines([...wideEntries("p-small", "q"), backTo("back", "p-len-65535"), backTo("back2", "p-len-131072")]);
    appendFileSync(path, more);
    const restarted = await once(path, cacheDir);
    expect(restarted.meta.build.index).toBe("disk");
    expect(restarted.meta.build.rebuilt).toBeNull();
    await expectPiAndCold(restarted, text0 + more, path);
  });
});
