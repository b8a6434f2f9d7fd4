/**
 * bench/real-gateway's write check telling a placement difference from a content difference (issue #11):
 * hand-made transcript pairs in the shapes OpenClaw 2026.7.35 writes (test/matrix/prompt-released-mirror.test.ts
 * drives the release itself) — a keyed delivery mirror in the main run in one mode and on a side branch in
 * the other (during the next prompt, or after its reply with the rewrite's plain leaf), against a mirror the
 * other mode never wrote, a lone side leaf control, and a real difference beside a moved mirror. Through
 * the run's own path: write-check.ts `addedEntries` (kinds and marks), run.ts `compareAppended`, render.ts.
 */
import { describe, expect, it } from "vitest";
import { classifyPlacement, entriesOf, placementLines } from "../../bench/real-gateway/mirror-placement.js";
import { renderRealGatewaySection } from "../../bench/real-gateway/render.js";
import { compareAppended } from "../../bench/real-gateway/run.js";
import { addedEntries, idsOf } from "../../bench/real-gateway/write-check.js";

const HEARTBEAT_PROMPT =
  "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or repeat old tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK.";
const BUSY = "⚠️ Previous run is still shutting down. Please try again in a moment.";
const KEY = (turn: number) => `telegram-final:agent:sub1:telegram:direct:7:${turn}:0`;

/** A transcript writer: a seeded turn, then entries each chained to the last one on the active branch. */
function transcript() {
  const lines = [JSON.stringify({ type: "session", version: 3, id: "sess", timestamp: "2026-12-05T07:00:00.000Z", cwd: "/w" })];
  let n = 0;
  let leaf: string | null = null;
  const push = (e: Record<string, unknown>, parentId: string | null = leaf, moveLeaf = true) => {
    const id = `e${String(++n).padStart(4, "0")}`;
    lines.push(JSON.stringify({ ...e, id, parentId, timestamp: "2026-12-05T07:00:00.000Z" }));
    if (moveLeaf) leaf = id;
    return id;
  };
  const mirrorMessage = (key: string) => ({ role: "assistant", content: [{ type: "text", text: "as delivered" }], provider: "openclaw", model: "delivery-mirror", idempotencyKey: key });
  const t = {
    user: (text: string) => (push({ type: "message", message: { role: "user", content: [{ type: "text", text }] } }), t),
    assistant: (text: string) => (push({ type: "message", message: { role: "assistant", content: [{ type: "text", text }], stopReason: "stop" } }), t),
    custom: (content: unknown = "event") => (push({ type: "custom_message", customType: "openclaw.runtime-context", content, display: false }), t),
    /** OpenClaw's heartbeat turn as 2026.5.12 wrote it (the 2026-12-05 10:23 run): its poll, the heartbeat prompt as runtime context, the reply. */
    heartbeat: (poll = "[OpenClaw heartbeat poll]") => t.user(poll).custom(HEARTBEAT_PROMPT).assistant("HEARTBEAT_OK"),
    /** OpenClaw's answer to a message that met a run still holding the session: a lone assistant entry, never run. */
    busy: () => t.assistant(BUSY),
    /** A mirror in the main run (written before the next prompt opened the file, or after it ended). */
    mirror: (key: string) => (push({ type: "message", message: mirrorMessage(key) }), t),
    /**
     * Mirrors merged as a side branch (mergePromptReleasedSessionEntries): each under the one before, the
     * first under the leaf, then one side leaf control (and with `rewriteLeaf` the rewrite's plain one); the leaf stays.
     */
    sideMirror: (keys: string | string[], rewriteLeaf = false) => {
      const at = leaf;
      let parent = at;
      for (const key of [keys].flat()) parent = push({ type: "message", message: mirrorMessage(key) }, parent, false);
      push({ type: "leaf", targetId: at, appendParentId: parent, appendMode: "side" }, parent, false);
      if (rewriteLeaf) push({ type: "leaf", targetId: at }, parent, false);
      return t;
    },
    /** A side leaf control with no mirror before it. */
    loneSideLeaf: () => (push({ type: "leaf", targetId: leaf, appendMode: "side" }, leaf, false), t),
    text: () => `${lines.join("\n")}\n`,
  };
  t.user("seeded question").assistant("seeded answer");
  return t;
}

type T = ReturnType<typeof transcript>;

/** The two modes' added kinds and marks for agent sub1, as the run records them. */
function pairOf(stock: T, ctxc: T, seeded = 3) {
  const seed = (t: T) => new Set([...idsOf(t.text())].slice(0, seeded));
  const s = addedEntries(stock.text(), seed(stock));
  const c = addedEntries(ctxc.text(), seed(ctxc));
  return { kinds: { stock: { sub1: s.kinds }, ctxc: { sub1: c.kinds } }, marks: { stock: { sub1: s.marks }, ctxc: { sub1: c.marks } } };
}

const check = (p: ReturnType<typeof pairOf>) => compareAppended(p.kinds.stock, p.kinds.ctxc, undefined, p.marks);
const verdictOf = (p: ReturnType<typeof pairOf>) => classifyPlacement(entriesOf(p.kinds.stock.sub1, p.marks.stock.sub1), entriesOf(p.kinds.ctxc.sub1, p.marks.ctxc.sub1));

/** Turns 1..n of user/assistant, calling `after(turn)` after each reply. */
function turns(t: T, n: number, after: (turn: number, t: T) => unknown = () => {}): T {
  for (let i = 1; i <= n; i++) {
    t.user(`q${i}`).assistant(`a${i}`);
    after(i, t);
  }
  return t;
}

describe("real-gateway write check: keyed mirror placement", () => {
  it("the marks: a keyed mirror carries its key, a side leaf control its side mark, nothing else anything", () => {
    const t = transcript().user("q").sideMirror(KEY(0), true).assistant("a");
    const added = addedEntries(t.text(), new Set([...idsOf(t.text())].slice(0, 3)));
    expect(added.kinds).toEqual(["message:user", "message:assistant", "leaf", "leaf", "message:assistant"]);
    expect(added.marks).toEqual([{}, { key: KEY(0) }, { side: true }, {}, {}]);
  });

  it("a mirror in the main run in stock and on a side branch during the next prompt in ctxc, the same key: placement only, named, and the check holds", () => {
    const stock = turns(transcript(), 8, (i, t) => i === 5 && t.mirror(KEY(5)));
    // ctxc: the mirror of reply 5 lands while prompt 6 holds its fence; ctxc's run then reaches turn 9.
    const ctxc = transcript();
    turns(ctxc, 5);
    ctxc.user("q6").sideMirror(KEY(5)).assistant("a6").user("q7").assistant("a7").user("q8").assistant("a8").user("q9").assistant("a9");
    const p = pairOf(stock, ctxc);
    // The kinds alone differ (the side leaf control, the mirror between the user message and the reply).
    expect(compareAppended(p.kinds.stock, p.kinds.ctxc).same, "without marks (results before the change): different").toBe(false);
    const c = check(p);
    expect(c.same).toBe(true);
    expect(c.differences).toBeUndefined();
    expect(c.detail.sub1).toMatch(/^PLACEMENT ONLY .*telegram-final:agent:sub1:telegram:direct:7:5:0: side branch in ctxc, main run in stock/);
    expect(c.placement!.sub1).toMatchObject({ verdict: "placementOnly", moved: [{ key: KEY(5), sideIn: "ctxc" }], unmatched: [] });
    expect(c.placement!.sub1!.added.stock).toEqual({ "message:user": 8, "message:assistant": 8, [`message:assistant [${KEY(5)}]`]: 1 });
    expect(c.placement!.sub1!.added.ctxc).toEqual({ "message:user": 9, "message:assistant": 9, [`message:assistant [${KEY(5)}]`]: 1, "leaf (side)": 1 });
    const lines = placementLines(c.placement);
    expect(lines[0]).toBe(`  sub1 placement only (same keys in both modes, kinds otherwise the same): ${KEY(5)}: side branch in ctxc, main run in stock`);
    expect(lines.slice(1)).toEqual([
      `  sub1 added, stock: message:user ×8, message:assistant ×8, message:assistant [${KEY(5)}]`,
      `  sub1 added, ctxc: message:user ×9, message:assistant ×9, message:assistant [${KEY(5)}], leaf (side)`,
    ]);
    const md = renderRealGatewaySection({ openclaw: "2026.7.35", node: "24.22.3", date: "2026-12-05T09:00:00Z", durationS: 60, modes: [], transcriptCheck: c });
    expect(md).toContain("same kinds and order of appended entries but for where keyed delivery mirrors landed");
    expect(md).toContain(`- sub1 placement only (same keys in both modes, kinds otherwise the same): ${KEY(5)}: side branch in ctxc, main run in stock`);
    expect(md).not.toContain("**different**");
  });

  it("after the next prompt's reply (the rewrite's plain leaf too), and the other way round (side in stock): placement only", () => {
    const stock = turns(transcript(), 4, (i, t) => i === 2 && t.mirror(KEY(2)));
    const ctxc = turns(transcript(), 4, (i, t) => i === 3 && t.sideMirror(KEY(2), true));
    expect(verdictOf(pairOf(stock, ctxc))).toMatchObject({ verdict: "placementOnly", moved: [{ key: KEY(2), sideIn: "ctxc" }] });
    expect(verdictOf(pairOf(ctxc, stock))).toMatchObject({ verdict: "placementOnly", moved: [{ key: KEY(2), sideIn: "stock" }] });
    // Two mirrors merged at once (two keys in one prompt), both in the main run in the other mode.
    const s2 = turns(transcript(), 3, (i, t) => i === 1 && (t.mirror(KEY(1)), t.mirror(`${KEY(1)}:1`)));
    const c2 = turns(transcript(), 3, (i, t) => i === 2 && t.sideMirror([KEY(1), `${KEY(1)}:1`]));
    const v = verdictOf(pairOf(s2, c2));
    expect(v).toMatchObject({ verdict: "placementOnly", unmatched: [] });
    expect(v.moved.map((m) => m.key).sort()).toEqual([KEY(1), `${KEY(1)}:1`]);
  });

  it("a side-branch mirror whose key the other mode never wrote (within its turns): different, and said so", () => {
    const stock = turns(transcript(), 8);
    const ctxc = transcript();
    turns(ctxc, 5);
    ctxc.user("q6").sideMirror(KEY(5)).assistant("a6").user("q7").assistant("a7");
    const p = pairOf(stock, ctxc);
    const c = check(p);
    expect(c.same).toBe(false);
    expect(c.placement!.sub1).toMatchObject({ verdict: "different", moved: [], unmatched: [{ key: KEY(5), sideIn: "ctxc" }] });
    expect(c.detail.sub1).toMatch(/^DIFFERENT/);
    expect(c.differences!.sub1!.ctxc.map((e) => e.kind)).toContain("leaf");
    expect(placementLines(c.placement)).toContain(`  sub1 side-branch mirror only in ctxc: ${KEY(5)}`);
  });

  it("a moved mirror beside a content difference, a side leaf control with no mirror: different; a side mirror in both at one place: the same", () => {
    // A moved mirror, and a runtime-context message only ctxc wrote.
    const stock = turns(transcript(), 4, (i, t) => i === 2 && t.mirror(KEY(2)));
    const ctxc = transcript();
    turns(ctxc, 2);
    ctxc.user("q3").sideMirror(KEY(2)).custom().assistant("a3").user("q4").assistant("a4");
    expect(verdictOf(pairOf(stock, ctxc))).toMatchObject({ verdict: "different", moved: [{ key: KEY(2), sideIn: "ctxc" }] });
    // A side leaf control with no keyed mirror before it, the mirror in the main run of both.
    const plain = turns(transcript(), 4, (i, t) => i === 2 && t.mirror(KEY(2)));
    const lone = turns(transcript(), 4, (i, t) => (i === 2 ? t.mirror(KEY(2)) : i === 3 ? t.loneSideLeaf() : t));
    const lonePair = pairOf(plain, lone);
    expect(verdictOf(lonePair)).toMatchObject({ verdict: "different", moved: [], unmatched: [] });
    expect(check(lonePair).same).toBe(false);
    // The same mirror on a side branch in both, at the same place: the same.
    const sideDuring3 = () => {
      const t = turns(transcript(), 2);
      t.user("q3").sideMirror(KEY(2)).assistant("a3");
      return t;
    };
    const [a, b] = [sideDuring3(), sideDuring3()];
    const same = check(pairOf(a, b));
    expect(same).toMatchObject({ same: true });
    expect(same.placement!.sub1!.verdict).toBe("same");
    expect(placementLines(same.placement)).toEqual([]);
  });
});

describe("real-gateway write check: OpenClaw's heartbeat turns", () => {
  it("the marks: the poll (a delivery hint before it too) and the heartbeat prompt's runtime context; not a user text that mentions the poll, not another runtime context", () => {
    const t = transcript().heartbeat().heartbeat("Deliver to telegram:7\n[OpenClaw heartbeat poll]").user("what is [OpenClaw heartbeat poll] for?").custom("event").custom([{ type: "text", text: HEARTBEAT_PROMPT }]);
    const added = addedEntries(t.text(), new Set([...idsOf(t.text())].slice(0, 3)));
    expect(added.kinds.slice(0, 6)).toEqual(["message:user", "custom_message:openclaw.runtime-context", "message:assistant", "message:user", "custom_message:openclaw.runtime-context", "message:assistant"]);
    expect(added.marks).toEqual([{ heartbeat: true }, { heartbeat: true }, {}, { heartbeat: true }, { heartbeat: true }, {}, {}, {}, { heartbeat: true }]);
  });

  it("a heartbeat turn in stock's window only (the 5.12 run of 2026-12-05 10:23): heartbeat only, named, and the check holds", () => {
    const stock = turns(transcript(), 6, (i, t) => i === 3 && t.heartbeat());
    const ctxc = turns(transcript(), 8);
    const p = pairOf(stock, ctxc);
    expect(compareAppended(p.kinds.stock, p.kinds.ctxc).same, "kinds alone: different").toBe(false);
    const c = check(p);
    expect(c.same).toBe(true);
    expect(c.differences).toBeUndefined();
    expect(c.placement!.sub1).toMatchObject({ verdict: "heartbeatOnly", heartbeatTurns: { stock: 1, ctxc: 0 }, moved: [], unmatched: [] });
    expect(c.detail.sub1).toMatch(/^HEARTBEAT ONLY \(.*equal without OpenClaw's heartbeat turns, stock 1, ctxc 0\)$/);
    expect(placementLines(c.placement)[0]).toBe("  sub1 OpenClaw heartbeat turns set aside (its 30-minute timer; heartbeat-turns.ts): stock 1, ctxc 0, the rest the same");
    const md = renderRealGatewaySection({ openclaw: "2026.5.12", node: "22.16.0", date: "2026-12-05T12:00:00Z", durationS: 60, modes: [], transcriptCheck: c });
    expect(md).toContain("same kinds and order of appended entries but for OpenClaw's heartbeat turns (HEARTBEAT ONLY)");
    expect(md).not.toContain("**different**");
    // In both modes, at different turns: heartbeat only; at the same turn: the same.
    expect(verdictOf(pairOf(turns(transcript(), 6, (i, t) => i === 2 && t.heartbeat()), turns(transcript(), 6, (i, t) => i === 4 && t.heartbeat())))).toMatchObject({ verdict: "heartbeatOnly", heartbeatTurns: { stock: 1, ctxc: 1 } });
    const at3 = () => turns(transcript(), 6, (i, t) => i === 3 && t.heartbeat());
    expect(verdictOf(pairOf(at3(), at3())).verdict).toBe("same");
  });

  it("a heartbeat turn beside a moved mirror: heartbeat only with the placement named; beside a content difference: different, the heartbeat turns still counted", () => {
    const stock = turns(transcript(), 5, (i, t) => (i === 2 ? t.mirror(KEY(2)) : i === 4 ? t.heartbeat() : t));
    const ctxc = turns(transcript(), 5, (i, t) => i === 3 && t.sideMirror(KEY(2), true));
    const v = verdictOf(pairOf(stock, ctxc));
    expect(v).toMatchObject({ verdict: "heartbeatOnly", heartbeatTurns: { stock: 1, ctxc: 0 }, moved: [{ key: KEY(2), sideIn: "ctxc" }] });
    expect(check(pairOf(stock, ctxc)).detail.sub1).toMatch(/^HEARTBEAT ONLY .*, and keyed mirror placement: .*side branch in ctxc, main run in stock\)$/);
    // A runtime context only ctxc wrote (not a heartbeat's) beside stock's heartbeat turn: still a difference.
    const other = turns(transcript(), 5, (i, t) => i === 3 && t.custom("event"));
    const c = check(pairOf(turns(transcript(), 5, (i, t) => i === 2 && t.heartbeat()), other));
    expect(c.same).toBe(false);
    expect(c.placement!.sub1).toMatchObject({ verdict: "different", heartbeatTurns: { stock: 1, ctxc: 0 } });
    expect(c.differences!.sub1!.ctxc.map((e) => e.kind)).toContain("custom_message:openclaw.runtime-context");
    expect(placementLines(c.placement)[0]).toBe("  sub1 OpenClaw heartbeat turns set aside (its 30-minute timer; heartbeat-turns.ts): stock 1, ctxc 0");
    // Without a heartbeat anywhere, a lone runtime context is a difference as before (no heartbeatTurns).
    const plain = check(pairOf(turns(transcript(), 5), other));
    expect(plain.same).toBe(false);
    expect(plain.placement!.sub1!.heartbeatTurns).toBeUndefined();
  });

  it("a message that met stock's heartbeat run (the 5.12 run of 2026-12-06 02:47): its lone 'still shutting down' reply set aside with the heartbeat turn, counted and named; without a heartbeat in that mode it stays a difference", () => {
    // As the run wrote it: the notice is the mode's first appended entry, the heartbeat turn right after.
    const stock = turns(transcript().busy().heartbeat(), 4);
    const ctxc = turns(transcript(), 6);
    const p = pairOf(stock, ctxc);
    expect(p.marks.stock.sub1[0]).toEqual({ busy: true });
    expect(p.marks.ctxc.sub1.some((m) => m.busy)).toBe(false);
    const c = check(p);
    expect(c.same).toBe(true);
    expect(c.placement!.sub1).toMatchObject({ verdict: "heartbeatOnly", heartbeatTurns: { stock: 1, ctxc: 0 }, busyNotices: { stock: 1, ctxc: 0 } });
    expect(c.detail.sub1).toMatch(/^HEARTBEAT ONLY \(.*stock 1, ctxc 0 \(with the "still shutting down" replies to messages that met one, stock 1, ctxc 0\)\)$/);
    expect(placementLines(c.placement)[0]).toBe(
      "  sub1 OpenClaw heartbeat turns set aside (its 30-minute timer; heartbeat-turns.ts): stock 1, ctxc 0 and the \"still shutting down\" replies to messages that met one: stock 1, ctxc 0, the rest the same",
    );
    // The same notice with no heartbeat turn in that mode: a run of the harness's own outlived its reply — different.
    const lone = check(pairOf(turns(transcript().busy(), 4), ctxc));
    expect(lone.same).toBe(false);
    expect(lone.placement!.sub1).toMatchObject({ verdict: "different" });
    expect(lone.placement!.sub1!.busyNotices).toBeUndefined();
    // Any other text in that place is not a notice: the heartbeat turn alone is set aside, and the check fails.
    const other = check(pairOf(turns(transcript().assistant("⚠️ Previous run is still shutting down.").heartbeat(), 4), ctxc));
    expect(other.same).toBe(false);
    expect(other.placement!.sub1).toMatchObject({ verdict: "different", heartbeatTurns: { stock: 1, ctxc: 0 } });
  });
});
