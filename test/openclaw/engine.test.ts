/**
 * The ContextEngine plugin: assemble returns ctxc's compiled context (equal to pi's buildSessionContext
 * for the file, plus the runtime's not-yet-persisted tail), honours the token budget, registers through
 * the plugin API shape, and delegates compaction.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCtxcContextEngine, registerCtxcContextEngine, type CompactParams } from "../../src/openclaw/index.js";
import { piContext } from "../reference/pi-reference.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-engine");
const engine = createCtxcContextEngine({ tokenizer: "estimate" });
afterAll(() => engine.dispose());

function transcript(seed: number): { path: string; text: string } {
  const { text } = generateTranscript({ seed, entries: 150, branchProbability: 0.2, compactions: 1, toolResultBytes: { min: 50, max: 800 } });
  const path = join(dir, `t${seed}.jsonl`);
  writeFileSync(path, text);
  return { path, text };
}

describe("ctxc ContextEngine", () => {
  it("bootstrap + assemble: pi's messages for the file, then the runtime's unpersisted tail", async () => {
    const { path, text } = transcript(1);
    const ref = piContext(text).messages;
    const boot = await engine.bootstrap({ sessionId: "s1", sessionFile: path });
    expect(boot).toEqual({ bootstrapped: true, importedMessages: ref.length });
    const pending = { role: "user", content: "new prompt, not on disk yet", timestamp: 1 };
    const out = await engine.assemble({ sessionId: "s1", messages: [...(ref as never[]), pending] });
    expect(out.messages).toEqual([...ref, pending]);
    expect(out.estimatedTokens).toBeGreaterThan(0);
  });

  it("afterTurn picks up appended lines; assemble under a budget drops old messages", async () => {
    const { path, text } = transcript(2);
    await engine.bootstrap({ sessionId: "s2", sessionFile: path });
    const line = JSON.stringify({ type: "message", id: "zz000001", parentId: piLeaf(text), timestamp: "2026-02-01T00:00:00.000Z", message: { role: "user", content: "appended", timestamp: 5 } });
    appendFileSync(path, `${line}\n`);
    await engine.afterTurn({ sessionId: "s2", sessionFile: path, messages: [], prePromptMessageCount: 0 });
    const ref = piContext(text + line + "\n").messages;
    const full = await engine.assemble({ sessionId: "s2", messages: ref as never[] });
    expect(full.messages).toEqual(ref);
    const small = await engine.assemble({ sessionId: "s2", messages: ref as never[], tokenBudget: Math.floor(full.estimatedTokens / 3) });
    expect(small.messages.length).toBeLessThan(ref.length);
    expect(small.messages.at(-1)).toEqual(ref.at(-1));
    expect(small.estimatedTokens).toBeLessThanOrEqual(Math.floor(full.estimatedTokens / 3));
  });

  it("unknown sessions and runtimes that know fewer messages pass through", async () => {
    const msgs = [{ role: "user", content: "hi" }];
    expect((await engine.assemble({ sessionId: "unknown", messages: msgs })).messages).toBe(msgs);
    const { path } = transcript(3);
    await engine.bootstrap({ sessionId: "s3", sessionFile: path });
    expect((await engine.assemble({ sessionId: "s3", messages: msgs })).messages).toBe(msgs);
  });

  it("ingest is a no-op; compact delegates to the runtime or reports it cannot", async () => {
    expect(await engine.ingest({ sessionId: "s1", message: { role: "user" } })).toEqual({ ingested: false });
    const params: CompactParams = { sessionId: "s1", sessionFile: join(dir, "t1.jsonl"), force: true };
    expect(await engine.compact(params)).toMatchObject({ ok: false, compacted: false });
    const calls: CompactParams[] = [];
    const delegating = createCtxcContextEngine({ delegateCompaction: async (p) => (calls.push(p), { ok: true, compacted: true }) });
    expect(await delegating.compact(params)).toEqual({ ok: true, compacted: true });
    expect(calls).toEqual([params]);
    await delegating.dispose();
  });

  it("registers through the plugin API as a factory", async () => {
    const registered: [string, (ctx: object) => unknown][] = [];
    registerCtxcContextEngine({ registerContextEngine: (id, factory) => registered.push([id, factory]) }, { id: "ctxc-test" });
    expect(registered.map(([id]) => id)).toEqual(["ctxc-test"]);
    const made = registered[0]![1]({}) as ReturnType<typeof createCtxcContextEngine>;
    expect(made.info).toMatchObject({ id: "ctxc-test", ownsCompaction: false });
    for (const hook of ["bootstrap", "ingest", "assemble", "compact", "afterTurn"] as const) expect(typeof made[hook]).toBe("function");
    await made.dispose();
  });
});

function piLeaf(text: string): string {
  const lines = text.trimEnd().split("\n");
  return (JSON.parse(lines.at(-1)!) as { id: string }).id;
}
