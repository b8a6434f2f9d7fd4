/**
 * Every entry type and message role, on small hand-written transcripts: the exact messages ctxc puts in
 * the context, and that they strictly deep-equal pi's `buildSessionContext(parseSessionEntries(text))`.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createCompiler, type CompiledContext } from "../../src/index.js";
import { piContext, piSession } from "../reference/pi-reference.js";
import { tempDir } from "../support/tmp.js";
import { T0, assistant, chain, header, iso, jsonl, msg, toolCall, toolResult, user, writeTemp, type Json } from "../support/transcript-builder.js";

const dir = tempDir("entry-types");
const compiler = createCompiler({ threads: 1 });
afterAll(() => compiler.close());

/** Compiles `lines`, checks the result equals pi's, returns it. */
async function compile(lines: (Json | string)[]): Promise<CompiledContext> {
  const text = jsonl(lines);
  const ctx = await compiler.build({ transcript: writeTemp(dir, text) });
  const pi = piContext(text);
  expect([...ctx.messages]).toStrictEqual(pi.messages);
  expect(ctx.thinkingLevel).toStrictEqual(pi.thinkingLevel);
  expect(ctx.model).toStrictEqual(pi.model);
  return ctx;
}

const codes = (ctx: CompiledContext) => ctx.diagnostics.map((d) => d.code);
const ts = (i: number) => new Date(iso(T0 + i * 1000)).getTime(); // timestamp of chain entry e<i>

describe("message entries", () => {
  it("forwards every role's message exactly as written, with its role code and source line", async () => {
    const messages = [
      user("plain string ✓ 日本語 🎉\nsecond line \u2028 \\ \"quoted\""),
      user([{ type: "text", text: "look" }, { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" }]),
      assistant([{ type: "thinking", thinking: "hmm", thinkingSignature: "sig" }, { type: "text", text: "reading" }, toolCall("call_1", "read", { path: "a.ts" })], { stopReason: "toolUse" }),
      toolResult("call_1", "file contents\twith tab"),
      { role: "bashExecution", command: "ls", output: "a\nb", exitCode: 0, cancelled: false, truncated: false, timestamp: T0 + 5 },
      { role: "bashExecution", command: "secret", output: "x", exitCode: 1, cancelled: false, truncated: false, excludeFromContext: true, timestamp: T0 + 6 },
      { role: "custom", customType: "legacy", content: "legacy custom role", display: true, timestamp: T0 + 7 },
      { role: "somethingNew", payload: [1, 2, { deep: null }] },
    ];
    const ctx = await compile(chain(messages.map((m) => msg(m))));
    expect([...ctx.messages]).toStrictEqual(messages);
    expect(Array.from({ length: ctx.messageCount }, (_, i) => ctx.info(i).role)).toEqual([
      "user", "user", "assistant", "toolResult", "bashExecution", "bashExecution", "custom", undefined,
    ]);
    expect(Array.from({ length: ctx.messageCount }, (_, i) => ctx.info(i).kind)).toEqual(new Array(8).fill("entry"));
    expect(Array.from({ length: ctx.messageCount }, (_, i) => ctx.info(i).sourceLine)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    // The bytes are the transcript's own bytes for the `message` value.
    expect(Buffer.from(ctx.messageBytes(0)).toString()).toBe(JSON.stringify(messages[0]));
    expect(ctx.diagnostics).toEqual([]);
  });

  it("keeps key order, duplicate keys (last wins), -0 and big numbers exactly as JSON.parse reads them", async () => {
    const raw = '{"type":"message","id":"e1","parentId":null,"message":{"z":1,"role":"user","content":"a","n":-0,"big":12345678901234567890,"content":"b"}}';
    const ctx = await compile([header(), raw]);
    const m = ctx.message(0);
    expect(Object.keys(m)).toEqual(["z", "role", "content", "n", "big"]);
    expect(m.content).toBe("b");
    expect(Object.is(m.n, -0)).toBe(true);
  });

  it("a message key spelled with escapes is still found (re-serialized)", async () => {
    const raw = '{"type":"message","id":"e1","parentId":null,"m\\u0065ssage":{"role":"user","content":"esc"}}';
    const ctx = await compile([header(), raw]);
    expect([...ctx.messages]).toStrictEqual([{ role: "user", content: "esc" }]);
  });

  it("the model comes from the last assistant message or model_change on the path", async () => {
    const ctx = await compile(
      chain([
        { type: "model_change", provider: "anthropic", modelId: "claude" },
        msg(user("hi")),
        msg(assistant([{ type: "text", text: "yo" }], { provider: "openai", model: "gpt-5.1" })),
      ]),
    );
    expect(ctx.model).toStrictEqual({ provider: "openai", modelId: "gpt-5.1" });
    const after = await compile(chain([msg(assistant([], { provider: "openai", model: "gpt-5.1" })), { type: "model_change", provider: "google", modelId: "gemini" }]));
    expect(after.model).toStrictEqual({ provider: "google", modelId: "gemini" });
    // An assistant message without provider: pi still sets both keys.
    const partial = await compile(chain([msg({ role: "assistant", content: [], model: "m" })]));
    expect(partial.model).toStrictEqual({ provider: undefined, modelId: "m" });
    expect((await compile(chain([msg(user("x"))]))).model).toBeNull();
  });
});

describe("thinking_level_change", () => {
  it("the last change on the active path wins; changes on abandoned branches do not count", async () => {
    const ctx = await compile(
      chain([
        { type: "thinking_level_change", thinkingLevel: "low" },
        msg(user("a")),
        { type: "thinking_level_change", thinkingLevel: "high" }, // e3, abandoned below
        { type: "message", message: user("b"), id: "e4", parentId: "e2" },
      ]),
    );
    expect(ctx.thinkingLevel).toBe("low");
    expect([...ctx.messages]).toStrictEqual([user("a"), user("b")]);
    expect((await compile(chain([msg(user("a"))]))).thinkingLevel).toBe("off");
    expect((await compile(chain([{ type: "thinking_level_change", thinkingLevel: "xhigh" }]))).thinkingLevel).toBe("xhigh");
  });
});

describe("compaction", () => {
  const history = [msg(user("u1")), msg(assistant([{ type: "text", text: "a1" }])), msg(user("u2")), msg(assistant([{ type: "text", text: "a2" }]))];

  it("summary first, then the kept entries from firstKeptEntryId, then what follows", async () => {
    const ctx = await compile(chain([...history, { type: "compaction", summary: "S1", firstKeptEntryId: "e3", tokensBefore: 1234, details: { x: 1 } }, msg(user("u3"))]));
    expect([...ctx.messages]).toStrictEqual([
      { role: "compactionSummary", summary: "S1", tokensBefore: 1234, timestamp: ts(5) },
      user("u2"),
      history[3]!.message,
      user("u3"),
    ]);
    expect(ctx.info(0)).toMatchObject({ role: "compactionSummary", kind: "compactionSummary", sourceLine: 6 });
    expect(ctx.diagnostics).toEqual([]);
  });

  it("only the latest compaction on the path counts (several compactions)", async () => {
    const ctx = await compile(
      chain([
        ...history,
        { type: "compaction", summary: "S1", firstKeptEntryId: "e3", tokensBefore: 10 }, // e5
        msg(user("u3")), // e6
        msg(assistant([{ type: "text", text: "a3" }])), // e7
        { type: "compaction", summary: "S2", firstKeptEntryId: "e6", tokensBefore: 20 }, // e8
        msg(user("u4")),
      ]),
    );
    expect(ctx.messages.map((m) => m.summary ?? m.content)).toEqual(["S2", "u3", [{ type: "text", text: "a3" }], "u4"]);
    expect(ctx.message(0).timestamp).toBe(ts(8));
  });

  it("firstKeptEntryId at the first entry keeps everything before the compaction", async () => {
    const ctx = await compile(chain([...history, { type: "compaction", summary: "S", firstKeptEntryId: "e1", tokensBefore: 1 }]));
    expect(ctx.messageCount).toBe(5);
    expect(ctx.messages.map((m) => m.role)).toEqual(["compactionSummary", "user", "assistant", "user", "assistant"]);
  });

  it("firstKeptEntryId missing or unknown: summary and later entries only, FIRST_KEPT_NOT_FOUND at the compaction's line", async () => {
    for (const firstKeptEntryId of [undefined, "nope", "e6"]) {
      const lines = chain([...history, { type: "compaction", summary: "S", firstKeptEntryId, tokensBefore: 1 }, msg(user("after"))]);
      const ctx = await compile(lines);
      expect(ctx.messages.map((m) => m.role)).toEqual(["compactionSummary", "user"]);
      expect(ctx.diagnostics.map((d) => [d.code, d.line])).toEqual([["FIRST_KEPT_NOT_FOUND", 6]]);
    }
  });

  it("a compaction that is the last entry, and one whose fields are missing (undefined keys, NaN timestamp)", async () => {
    const ctx = await compile([header(), { type: "message", id: "a", parentId: null, message: user("x") }, { type: "compaction", id: "b", parentId: "a", firstKeptEntryId: "a" }]);
    const m = ctx.message(0);
    expect(Object.keys(m).sort()).toEqual(["role", "summary", "timestamp", "tokensBefore"]);
    expect(m.summary).toBeUndefined();
    expect(Number.isNaN(m.timestamp)).toBe(true);
    expect(ctx.messageCount).toBe(2);
  });
});

describe("branch_summary", () => {
  it("becomes a branchSummary message where it sits on the path", async () => {
    const ctx = await compile(
      chain([
        msg(user("root")), // e1
        msg(user("abandoned")), // e2
        { type: "branch_summary", id: "e3", parentId: "e1", fromId: "e2", summary: "tried X, failed" },
        msg(user("continued")),
      ]),
    );
    expect([...ctx.messages]).toStrictEqual([
      user("root"),
      { role: "branchSummary", summary: "tried X, failed", fromId: "e2", timestamp: ts(3) },
      user("continued"),
    ]);
    expect(ctx.info(1)).toMatchObject({ role: "branchSummary", kind: "branchSummary", sourceLine: 4 });
  });

  it("an empty summary adds nothing", async () => {
    const ctx = await compile(chain([msg(user("a")), { type: "branch_summary", fromId: "e1", summary: "" }, msg(user("b"))]));
    expect([...ctx.messages]).toStrictEqual([user("a"), user("b")]);
  });
});

describe("custom and custom_message", () => {
  it("custom entries never reach the context", async () => {
    const ctx = await compile(chain([msg(user("a")), { type: "custom", customType: "state", data: { big: "x".repeat(1000) } }, msg(user("b"))]));
    expect([...ctx.messages]).toStrictEqual([user("a"), user("b")]);
    expect(ctx.diagnostics).toEqual([]);
  });

  it("custom_message with string content, without details: pi's object with undefined keys", async () => {
    const ctx = await compile(chain([{ type: "custom_message", customType: "note", content: "remember ✓", display: true }]));
    const m = ctx.message(0);
    expect(m).toStrictEqual({ role: "custom", customType: "note", content: "remember ✓", display: true, details: undefined, timestamp: ts(1) });
    expect("details" in m).toBe(true);
    expect(ctx.info(0)).toMatchObject({ role: "custom", kind: "customMessage" });
  });

  it("custom_message with block content, details and display:false", async () => {
    const content = [{ type: "text", text: "hidden context" }, { type: "image", data: "AAAA", mimeType: "image/png" }];
    const ctx = await compile(chain([{ type: "custom_message", customType: "ctx", content, display: false, details: { source: "hook", n: [1, 2] } }]));
    expect([...ctx.messages]).toStrictEqual([
      { role: "custom", customType: "ctx", content, display: false, details: { source: "hook", n: [1, 2] }, timestamp: ts(1) },
    ]);
  });

  it("custom_message without any fields", async () => {
    const ctx = await compile([header(), { type: "custom_message", id: "a", parentId: null }]);
    const m = ctx.message(0);
    expect(Object.keys(m).sort()).toEqual(["content", "customType", "details", "display", "role", "timestamp"]);
    expect(Number.isNaN(m.timestamp)).toBe(true);
  });
});

describe("label, session_info and unknown types", () => {
  it("label and session_info add nothing and stay in the tree", async () => {
    const ctx = await compile(
      chain([msg(user("a")), { type: "label", targetId: "e1", label: "start" }, { type: "label", targetId: "e1" }, { type: "session_info", name: "My session" }, msg(user("b"))]),
    );
    expect([...ctx.messages]).toStrictEqual([user("a"), user("b")]);
    expect(ctx.diagnostics).toEqual([]);
  });

  it("an unknown type is reported, adds nothing, and its children still link through it", async () => {
    const ctx = await compile(chain([msg(user("a")), { type: "future_thing", data: 1 }, msg(user("b"))]));
    expect([...ctx.messages]).toStrictEqual([user("a"), user("b")]);
    expect(ctx.diagnostics.map((d) => [d.code, d.line])).toEqual([["UNKNOWN_ENTRY_TYPE", 3]]);
  });
});

describe("leaf and branches", () => {
  it("the leaf is the last entry in the file, whatever branch it is on", async () => {
    const ctx = await compile(
      chain([msg(user("a")), msg(user("b-old")), msg(user("c-old")), { type: "message", message: user("b-new"), id: "x1", parentId: "e1" }]),
    );
    expect([...ctx.messages]).toStrictEqual([user("a"), user("b-new")]);
    expect(ctx.meta.transcript.leafId).toBe("x1");
  });

  it("a header-only file has an empty context", async () => {
    const ctx = await compile([header()]);
    expect(ctx.messageCount).toBe(0);
    expect(ctx.thinkingLevel).toBe("off");
    expect(ctx.model).toBeNull();
  });
});

describe("older formats, as SessionManager migrates them", () => {
  it("v1 (no ids): entries chain in file order, firstKeptEntryIndex points into the file", async () => {
    const v1 = [
      { type: "session", id: "old", timestamp: iso(T0), cwd: "/w" },
      { type: "message", timestamp: iso(T0 + 1000), message: user("one") },
      { type: "message", timestamp: iso(T0 + 2000), message: user("two") },
      { type: "message", timestamp: iso(T0 + 3000), message: user("three") },
      { type: "compaction", timestamp: iso(T0 + 4000), summary: "S", firstKeptEntryIndex: 2, tokensBefore: 9 },
      { type: "message", timestamp: iso(T0 + 5000), message: user("four") },
    ];
    const path = writeTemp(dir, jsonl(v1), "v1");
    const ctx = await compiler.build({ transcript: path });
    const sm = piSession(path, { copy: true }).buildSessionContext();
    expect([...ctx.messages]).toStrictEqual(sm.messages);
    expect(ctx.messages.map((m) => m.summary ?? m.content)).toEqual(["S", "two", "three", "four"]);
  });
});
