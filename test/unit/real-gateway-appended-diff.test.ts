/**
 * bench/real-gateway's write check explaining a difference (issue #11): when the kinds of entries two
 * modes appended for an agent differ, the entries that do not line up — kind, position, replies before
 * them and a short redacted snippet — go into the result and the log; nothing of the transcripts otherwise.
 * Recorded transcripts in pi's JSONL form: the 2026.5.12 run-2 shape (stock has one
 * `openclaw.runtime-context` custom_message after a user prompt, ctxc plain turns, more of them).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SNIPPET_CHARS, differenceLines, differingEntries, redact, snippetOf, unmatched } from "../../bench/real-gateway/appended-diff.js";
import { renderRealGatewaySection } from "../../bench/real-gateway/render.js";
import { compareAppended, type ModeResult } from "../../bench/real-gateway/run.js";
import { addedEntries, idsOf } from "../../bench/real-gateway/write-check.js";

/** A transcript writer: pi's session header, then entries each chained to the one before. */
function transcript() {
  const lines = [JSON.stringify({ type: "session", version: 3, id: "sess", timestamp: "2026-12-04T21:00:00.000Z", cwd: "/w" })];
  let n = 0;
  let parent: string | null = null;
  const push = (e: Record<string, unknown>) => {
    const id = `e${String(++n).padStart(4, "0")}`;
    lines.push(JSON.stringify({ ...e, id, parentId: parent, timestamp: "2026-12-04T21:00:00.000Z" }));
    parent = id;
  };
  return {
    user: (text: string) => push({ type: "message", message: { role: "user", content: [{ type: "text", text }] } }),
    assistant: (text: string) => push({ type: "message", message: { role: "assistant", content: [{ type: "text", text }], stopReason: "stop" } }),
    runtimeContext: (content: string) => push({ type: "custom_message", customType: "openclaw.runtime-context", content, display: false, details: { source: "openclaw-runtime-context" } }),
    snapshot: () => push({ type: "custom", customType: "model-snapshot", data: { provider: "fake" } }),
    text: () => lines.join("\n") + "\n",
  };
}

const seedTurns = (t: ReturnType<typeof transcript>) => {
  for (let i = 0; i < 3; i++) {
    t.user(`seeded question ${i} `.repeat(40));
    t.assistant(`seeded answer ${i}`);
  }
};

const EVENT = "System: [2026-12-04 21:31:07 UTC] Session maintenance: transcript is 28 MB, above the warning threshold. " + "details ".repeat(80);

/** Stock: 4 turns, the 4th with a runtime-context entry after its prompt (pi writes nextTurn messages after the user message); ctxc: 6 plain turns, one reply split in two. */
function recorded() {
  const stock = transcript(), ctxc = transcript();
  seedTurns(stock);
  seedTurns(ctxc);
  const known = { stock: idsOf(stock.text()), ctxc: idsOf(ctxc.text()) };
  for (const t of [stock, ctxc]) t.snapshot();
  for (let i = 0; i < 6; i++) {
    for (const t of i < 4 ? [stock, ctxc] : [ctxc]) t.user(`load message ${i}`);
    if (i === 3) stock.runtimeContext(`${EVENT} bot token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw`);
    for (const t of i < 4 ? [stock, ctxc] : [ctxc]) t.assistant(`reply ${i}`);
    if (i === 1) ctxc.assistant("reply 1, continued");
  }
  const s = addedEntries(stock.text(), known.stock), c = addedEntries(ctxc.text(), known.ctxc);
  return {
    kinds: { stock: { main: s.kinds }, ctxc: { main: c.kinds } },
    snippets: { stock: { main: s.lines.map(snippetOf) }, ctxc: { main: c.lines.map(snippetOf) } },
  };
}

describe("differences in appended entries", () => {
  it("names the stock-only runtime-context entry with its position, replies before it and a redacted, cut snippet", () => {
    const r = recorded();
    const check = compareAppended(r.kinds.stock, r.kinds.ctxc, r.snippets);
    expect(check.same).toBe(false);
    expect(check.detail.main).toMatch(/^DIFFERENT/);
    const d = check.differences!.main!;
    // ctxc's extra turns past stock's last are not a difference, nor is its split reply (runs collapse).
    expect(d.ctxc).toEqual([]);
    expect(d.stock).toHaveLength(1);
    const e = d.stock[0]!;
    expect(e).toMatchObject({ kind: "custom_message:openclaw.runtime-context", position: 9, assistantEntriesBefore: 3 });
    expect(r.kinds.stock.main[e.position - 1]).toBe(e.kind);
    expect(e.snippet.startsWith("System: [2026-12-04 21:31:07 UTC] Session maintenance: transcript is 28 MB")).toBe(true);
    expect(e.snippet).toHaveLength(SNIPPET_CHARS);
    expect(e.snippet).not.toMatch(/ {2}/);
    // Nothing else of the transcripts in the result: no seeded or load prompt text.
    const json = JSON.stringify(check);
    expect(json).not.toContain("seeded");
    expect(json).not.toContain("load message");
    expect(differenceLines(check.differences!)).toEqual([`  main stock only: #9 custom_message:openclaw.runtime-context (after 3 assistant entries): ${JSON.stringify(e.snippet)}`]);
  });

  it("reports nothing extra when the kinds agree, and keeps the result as before", () => {
    const r = recorded();
    const same = compareAppended(r.kinds.ctxc, r.kinds.ctxc, { stock: r.snippets.ctxc, ctxc: r.snippets.ctxc });
    expect(same).toEqual({ same: true, detail: { main: expect.stringMatching(/^same/) } });
  });

  it("reports a ctxc-only entry in the middle, and the differing tail when only the ends differ", () => {
    const x = ["message:user", "message:assistant", "message:user", "message:assistant"];
    expect(unmatched(x, ["message:user", "message:assistant", "custom:x", "message:user", "message:assistant"])).toEqual({ x: [], y: [2] });
    // Stock ended on an entry ctxc has a different kind at: not hidden as "a turn not reached".
    expect(unmatched(["message:user", "custom:x"], ["message:user", "message:assistant", "message:user"])).toEqual({ x: [1], y: [1, 2] });
    const d = differingEntries({ kinds: ["message:user", "custom:x"] }, { kinds: ["message:user", "message:assistant", "message:assistant", "message:user"] });
    expect(d.stock).toEqual([{ kind: "custom:x", position: 2, assistantEntriesBefore: 0, snippet: "<no snippet kept>" }]);
    expect(d.ctxc.map((e) => e.position)).toEqual([2, 4]);
  });

  it("redacts tokens and keys and snippets each entry kind's own text", () => {
    expect(redact("token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw ok")).toBe("token <token> ok");
    expect(redact("Authorization: Bearer abc.def sk-abcdefghijklmnop")).toBe("Authorization: Bearer <key> <key>");
    expect(redact("x".repeat(60))).toBe("<opaque>");
    expect(snippetOf(JSON.stringify({ type: "custom_message", content: "a\n\nb" }))).toBe("a b");
    expect(snippetOf(JSON.stringify({ type: "message", message: { role: "assistant", content: [{ type: "text", text: "hi" }, { type: "toolCall", name: "read" }] } }))).toBe("hi [toolCall read]");
    expect(snippetOf(JSON.stringify({ type: "thinking_level_change", thinkingLevel: "low" }))).toContain("thinking_level_change");
    expect(snippetOf("{torn")).toBe("{torn");
  });

  it("renders the differing entries in the report (the recorded 2026.5.12 run-2 result, with a check made as now)", () => {
    const r = recorded();
    const check = compareAppended(r.kinds.stock, r.kinds.ctxc, r.snippets);
    const doc = JSON.parse(readFileSync("bench/results/real-gateway-2026.5.12.run2-2136.json", "utf8")) as { modes: ModeResult[]; date: string; durationS: number };
    const md = renderRealGatewaySection({ ...doc, transcriptCheck: check });
    expect(md).toContain("Entries only one mode appended:");
    expect(md).toContain("- main stock only: #9 custom_message:openclaw.runtime-context (after 3 assistant entries)");
    expect(renderRealGatewaySection({ ...doc, transcriptCheck: compareAppended(r.kinds.ctxc, r.kinds.ctxc) })).not.toContain("Entries only one mode appended");
  });
});
