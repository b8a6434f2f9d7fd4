/**
 * Differential tests of the main-thread transcript READS ctxc answers on the message path of later
 * releases (issue #11 item 2) — the repair pass of 2026.6.1+ with its image rule and repair cache — for
 * ONE OpenClaw release (`CTXC_OPENCLAW_ROOT`, with the Node it needs; scripts/matrix.sh), against that
 * release's own functions, as test/matrix/interceptions.test.ts does for the others; and the stage's pass,
 * prewarm and open together, turn after turn. Skipped without it.
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { sessionIndexFile } from "../../native-free-workers/openclaw/session-index.js";
import { generatedTranscript } from "../support/generated.js";
import { importIntercepted, importInterceptedAll, releaseTestSetup, RUNTIME_URL } from "../support/openclaw-release.js";
import { repairCorpus, generalCorpus, line, msg, file, PNG, image, user, assistant, call, result, CHATGPT, MIRROR, repairedText, snapOf, isCurrent, idOfBytes, results, countedImagePass, samePass, warmUpBuiltThenPasses, warmUpRewrittenThenPasses, passView, type RepairCache, type Snap } from "../support/repair-lines.js";

const { root, version, dir, pair } = releaseTestSetup("matrix-reads", { afterAll });




describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the repair pass vs the release's own`, () => {
  it("repairSessionFileIfNeeded: the same result, file bytes and repair cache as OpenClaw's pass, for every rule of the release", { timeout: 600_000 }, async (ctx) => {
    const x = await importIntercepted(root!, "repairSessionFileIfNeeded");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    const view = passView(x.helpers.sessionRepairCache as RepairCache | undefined);
    let skippedClean = 0;
    for (const c of [...repairCorpus(), ...generalCorpus()]) {
      const [a, b] = pair(c.text);
      const before = rt.counters.repairsSkipped;
      const ours = view((await x.ctxc({ sessionFile: a })) as Record<string, unknown>, a);
      const theirs = view((await x.openclaw({ sessionFile: b })) as Record<string, unknown>, b);
      expect(ours, c.name).toEqual(theirs);
      expect(repairedText(a), c.name).toEqual(repairedText(b));
      // Served exactly when stock changes nothing and reads the whole file (non-empty, with a header) —
      // but for the one file whose verdict depends on the result-id rule 2026.5.26 changed in another
      // chunk (the 5.18–5.28 shape covers both rules, so ctxc steps aside unless both agree).
      const clean = theirs.repaired === false && theirs.reason === undefined;
      const conservative = c.name === "codex call, result under call_id" && version < "2026.6";
      expect(rt.counters.repairsSkipped - before, c.name).toBe(clean && !conservative ? 1 : 0);
      if (clean) skippedClean++;
    }
    expect(skippedClean).toBeGreaterThan(5);
  });

  it("repairSessionFileIfNeeded: the same as OpenClaw's pass on a file growing between calls, with and without its repair cache", { timeout: 600_000 }, async (ctx) => {
    const x = await importIntercepted(root!, "repairSessionFileIfNeeded");
    if (typeof x === "string") return ctx.skip(x);
    const cache = x.helpers.sessionRepairCache as Map<string, { snapshot: Snap; toolResultIds: Set<string>; endsWithNewline: boolean }> | undefined;
    const view = (r: Record<string, unknown>, path: string) => ({
      repaired: r.repaired,
      droppedLines: r.droppedLines,
      validatedSnapshot: isCurrent(r.validatedSnapshot as Snap | undefined, path),
      cache: cache && (cache.has(path) ? [isCurrent(cache.get(path)!.snapshot, path), [...cache.get(path)!.toolResultIds], cache.get(path)!.endsWithNewline] : "none"),
    });
    const [a, b] = pair(generatedTranscript({ seed: 21, entries: 120 }).text);
    let parent = (JSON.parse(readFileSync(a, "utf8").trim().split("\n").at(-1)!) as { id: string }).id;
    const steps: [string, string][] = [
      ["a tool result", result("g1", parent, { toolCallId: "x1" })],
      ["a good image", user("g2", "g1", [image(PNG)])],
      ["a chatgpt call and its result", assistant("g3", "g2", CHATGPT, [call("c9")]) + "\n" + result("g4", "g3", { toolCallId: "c9" })],
      ["a corrupted image", user("g5", "g4", [image("@@")])],
      ["a plain turn", user("g6", "g5", "hello")],
    ];
    for (const [i, [what, lines]] of steps.entries()) {
      appendFileSync(a, lines + "\n");
      appendFileSync(b, lines + "\n");
      // Half the calls as the run path makes them after an append (the lock's trusted snapshot), half
      // after a rewrite (OpenClaw drops its repair cache).
      const trusted = i % 2 === 0;
      if (!trusted) for (const p of [a, b]) cache?.delete(p);
      const ours = view((await x.ctxc({ sessionFile: a, ...(trusted ? { trustedSnapshot: snapOf(a) } : {}) })) as Record<string, unknown>, a);
      const theirs = view((await x.openclaw({ sessionFile: b, ...(trusted ? { trustedSnapshot: snapOf(b) } : {}) })) as Record<string, unknown>, b);
      expect(ours, what).toEqual(theirs);
      expect(repairedText(a), what).toEqual(repairedText(b));
      parent = `g${i}`;
    }
  });
});


describe.skipIf(!root)(`OpenClaw ${version}: the repair pass on later turns (cache bounds, images judged once)`, () => {
  /** The pass's handler for this release (shapes.ts): 2026.6.9–6.10 `repairPass609`, 2026.6.11+ `repairPass611`. */
  const handlerName = () => {
    const [, minor, patch] = version.split(".").map(Number) as [number, number, number];
    return minor === 6 && patch < 11 ? "repairPass609" : "repairPass611";
  };

  it("repairSessionFileIfNeeded: the same result and repair cache as OpenClaw's pass at, under and over 4,096 ids and 512 KiB of ids, also as the file grows; no id set over them", { timeout: 600_000 }, async (ctx) => {
    const x = await importIntercepted(root!, "repairSessionFileIfNeeded");
    if (typeof x === "string") return ctx.skip(x);
    const cache = x.helpers.sessionRepairCache as Map<string, { snapshot: Snap; toolResultIds: Set<string>; endsWithNewline: boolean }> | undefined;
    if (!cache) return ctx.skip(`${version} has no repair cache`);
    const rt = x.runtime;
    const maxIds = x.helpers.MAX_CACHED_REPAIR_TOOL_RESULT_IDS as number;
    const maxBytes = x.helpers.MAX_CACHED_REPAIR_TOOL_RESULT_ID_BYTES as number;
    // The release's own rememberSessionRepair, counted: ctxc's handler with the chunk's helpers, spied on.
    const remembered: number[] = [];
    const spied: Record<string, () => unknown> = Object.fromEntries(Object.keys(x.helpers).map((k) => [k, () => x.helpers[k]]));
    const remember = x.helpers.rememberSessionRepair as (f: string, s: { toolResultIds: Set<string> }) => void;
    spied.rememberSessionRepair = () => (f: string, state: { toolResultIds: Set<string> }) => {
      remembered.push(state.toolResultIds.size);
      remember(f, state);
    };
    const ours = (params: Record<string, unknown>) => rt.handlers[handlerName()]!(x.openclaw, [params], spied) as Promise<Record<string, unknown>>;
    const view = (r: Record<string, unknown>, path: string) => ({
      ...r,
      validatedSnapshot: isCurrent(r.validatedSnapshot as Snap | undefined, path),
      cache: cache.has(path) ? [isCurrent(cache.get(path)!.snapshot, path), [...cache.get(path)!.toolResultIds], cache.get(path)!.endsWithNewline] : "none",
    });
    const plain = (n: number) => Array.from({ length: n }, (_, i) => `id-${i}`);
    // [name, ids, whether the release keeps them]: 2,048 × 256 bytes is exactly 512 KiB.
    const byBytes = Array.from({ length: 2048 }, (_, i) => idOfBytes(i, maxBytes / 2048));
    const files: [string, string, boolean][] = [
      ["no tool results", file(user("u", null, "hi")), true],
      ["at the id bound", file(...results(plain(maxIds))), true],
      ["one id over", file(...results(plain(maxIds + 1))), false],
      ["far over (9,000 ids)", file(...results(plain(9000))), false],
      ["at the byte bound (multi-byte ids)", file(...results(byBytes)), true],
      ["one byte over", file(...results([...byBytes.slice(0, -1), byBytes.at(-1)! + "x"])), false],
      ["over the byte bound with few ids (600 × 1 KiB)", file(...results(Array.from({ length: 600 }, (_, i) => idOfBytes(i, 1024)))), false],
      // Repeated and padded ids (under other keys): the set has exactly 4,096.
      ["4,099 results, 4,096 distinct ids, padded under tool_call_id", file(...results([...plain(maxIds), "id-1", "id-2", "id-3"], 0, "s-1", (id) => ({ tool_call_id: ` ${id} ` }))), true],
    ];
    for (const [name, text, kept] of files) {
      const [a, b] = pair(text);
      const [skipped, calls] = [rt.counters.repairsSkipped, remembered.length];
      const mine = view(await ours({ sessionFile: a }), a);
      const theirs = view((await x.openclaw({ sessionFile: b })) as Record<string, unknown>, b);
      expect(mine, name).toEqual(theirs);
      expect(theirs.validatedSnapshot, name).toBe("current");
      expect(theirs.cache !== "none", name).toBe(kept);
      expect(rt.counters.repairsSkipped - skipped, name).toBe(1);
      // Over a bound the release's function is not called (its set would be dropped): no set was built.
      expect(remembered.slice(calls), name).toEqual(kept ? [(theirs.cache as [unknown, string[], boolean])[1].length] : []);
    }

    // Growing between calls across the id bound: with the lock's trusted snapshot (stock's incremental path
    // while the file is cached: it drops the file once over), and once after a rewrite (OpenClaw drops its cache).
    const [a, b] = pair(file(...results(plain(maxIds - 2))));
    const at = maxIds - 2;
    const steps: [string, string[]][] = [
      ["to 4,095 ids", results(["g-0"], at, `b${at - 1}`)],
      ["to 4,097 ids", results(["g-1", "g-2"], at + 1, `b${at}`)],
      ["to 4,098 ids", results(["g-3"], at + 3, `b${at + 2}`)],
      ["a plain turn", [user("p", `b${at + 3}`, "hello")]],
    ];
    for (const [i, [what, lines]] of steps.entries()) {
      for (const p of [a, b]) appendFileSync(p, lines.join("\n") + "\n");
      const trusted = i !== 2;
      if (!trusted) for (const p of [a, b]) cache.delete(p);
      const mine = view(await ours({ sessionFile: a, ...(trusted ? { trustedSnapshot: snapOf(a) } : {}) }), a);
      const theirs = view((await x.openclaw({ sessionFile: b, ...(trusted ? { trustedSnapshot: snapOf(b) } : {}) })) as Record<string, unknown>, b);
      expect(mine, what).toEqual(theirs);
    }
    // And over the byte bound by growth: 2,047 ids of 256 bytes, then one of 257 (512 KiB + 1).
    const [c, d] = pair(file(...results(byBytes.slice(0, -1))));
    for (const [what, id] of [["at the byte bound", byBytes.at(-1)!], ["over it", idOfBytes(5000, 300)]] as const) {
      for (const p of [c, d]) appendFileSync(p, results([id], what === "over it" ? 4000 : 3000, "s-1").join("\n") + "\n");
      for (const p of [c, d]) cache.delete(p);
      const calls = remembered.length;
      const mine = view(await ours({ sessionFile: c }), c);
      const theirs = view((await x.openclaw({ sessionFile: d })) as Record<string, unknown>, d);
      expect(mine, what).toEqual(theirs);
      expect(theirs.cache !== "none", what).toBe(what !== "over it");
      expect(remembered.length - calls, what).toBe(what !== "over it" ? 1 : 0);
    }
  });

  it("repairSessionFileIfNeeded: images judged once per read state as the file grows (the release's judge, counted), the same result, bytes and cache as OpenClaw's pass", { timeout: 600_000 }, async (ctx) => {
    const x = await importIntercepted(root!, "repairSessionFileIfNeeded");
    if (typeof x === "string") return ctx.skip(x);
    const cache = x.helpers.sessionRepairCache as Map<string, unknown> | undefined;
    if (!cache) return ctx.skip(`${version} has no repair cache`);
    const rt = x.runtime;
    const judge = x.helpers.isCorruptedImageContentBlock as (block: unknown) => boolean;
    let judged = 0;
    const spied: Record<string, () => unknown> = Object.fromEntries(Object.keys(x.helpers).map((k) => [k, () => x.helpers[k]]));
    spied.isCorruptedImageContentBlock = () => (block: { type?: unknown }) => {
      if (block?.type === "image") judged++;
      return judge(block);
    };
    const ours = (params: Record<string, unknown>) => rt.handlers[handlerName()]!(x.openclaw, [params], spied) as Promise<Record<string, unknown>>;
    const view = (r: Record<string, unknown>, path: string) => ({ ...r, backupPath: r.backupPath === undefined ? undefined : "(backup)", validatedSnapshot: isCurrent(r.validatedSnapshot as Snap | undefined, path), cached: cache.has(path) });
    // Over 4,096 tool results: OpenClaw never caches the file, so every call is ctxc's path (as on a busy gateway's large transcripts).
    const images = (from: number, n: number, data = PNG) => Array.from({ length: n }, (_, i) => user(`i${from + i}`, null, [{ type: "text", text: `look ${from + i}` }, image(data)]));
    const [a, b] = pair(file(...results(Array.from({ length: 4100 }, (_, i) => `id-${i}`)), ...images(0, 30)));
    const steps: [string, string[], number][] = [
      ["first pass: every image", [], 30],
      ["two more images: only those", images(30, 2), 2],
      ["a plain turn: none", [user("p1", null, "hello")], 0],
      ["a torn image line, then completed", [], -1],
      ["a corrupted image: judged, and OpenClaw's pass repairs", images(40, 1, "@@@"), 1],
      ["after the repair (a new read state): every image again", images(50, 1), 34],
    ];
    for (const [what, lines, expected] of steps) {
      if (expected === -1) {
        // Appended without its newline: judged but not settled; completed, it is judged again.
        for (const p of [a, b]) appendFileSync(p, images(35, 1)[0]!);
        const [before, skipped] = [judged, rt.counters.repairsSkipped];
        expect(view(await ours({ sessionFile: a }), a), `${what}: torn`).toEqual(view((await x.openclaw({ sessionFile: b })) as Record<string, unknown>, b));
        expect(rt.counters.repairsSkipped - skipped, `${what}: torn`).toBe(1);
        expect(judged - before, `${what}: torn`).toBe(1);
        for (const p of [a, b]) appendFileSync(p, "\n");
        const again = judged;
        expect(view(await ours({ sessionFile: a }), a), `${what}: complete`).toEqual(view((await x.openclaw({ sessionFile: b })) as Record<string, unknown>, b));
        expect(judged - again, `${what}: complete`).toBeGreaterThanOrEqual(1);
        continue;
      }
      if (lines.length) for (const p of [a, b]) appendFileSync(p, lines.join("\n") + "\n");
      const before = judged;
      await samePass(what, [ours, x.openclaw], view, [a, b]);
      expect(judged - before, what).toBe(expected);
    }
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: the repair pass's image judge across a gateway restart`, () => {
  it("repairSessionFileIfNeeded after a restart: images judged clean before it are not judged again (the persistent index), the same result, bytes and cache as OpenClaw's pass; a corrupted image appended while down is still found", { timeout: 600_000 }, async (ctx) => {
    const setup = await countedImagePass(root!, version);
    if (typeof setup === "string") return ctx.skip(setup);
    const { rt, ours, theirs, cache, view, judged } = setup;
    // The runtime's own pool (the one its handlers ask): an index directory, and a restart = a new pool on it.
    const pool = rt;
    const indexPath = join(dir, "judged-index");
    mkdirSync(indexPath, { mode: 0o700 });
    await pool.configureOpenClawPool({ indexDir: indexPath });
    rt.setJudgeRelease(version);
    try {
      const images = (from: number, n: number, data = PNG) => Array.from({ length: n }, (_, i) => user(`i${from + i}`, null, [{ type: "text", text: `look ${from + i}` }, image(data)]));
      // Over 4,096 tool results: OpenClaw never caches the file, so every pass is ctxc's path.
      const [a, b] = pair(file(...results(Array.from({ length: 4100 }, (_, i) => `id-${i}`)), ...images(0, 30)));
      // The last field: how many image records the worker's saved index holds as judged once the step's pass told it.
      const steps: [string, string[], number, boolean, number][] = [
        ["first start, first pass: every image", [], 30, false, 30],
        ["a plain turn: none", [user("p1", null, "hello")], 0, false, 30],
        // The pass that judged tells the worker at once: a gateway stopped after this one turn keeps the verdicts.
        ["after a restart, two images appended while down: only those", images(30, 2), 2, true, 32],
        ["after another restart, a corrupted image appended while down: only it judged, and OpenClaw's pass repairs", images(40, 1, "@@@"), 1, true, -1],
      ];
      const saved = () => (JSON.parse(readFileSync(sessionIndexFile(realpathSync(indexPath), a), "utf8")) as { judgedImages?: { records?: number } }).judgedImages?.records;
      rt.forgetJudgedLines();
      for (const [what, lines, expected, restart, records] of steps) {
        // A restarted gateway's main thread remembers no verdict (judged-images.ts `lineHasCorruptedImage`).
        if (restart) {
          await pool.closeOpenClawPool();
          rt.forgetJudgedLines();
        }
        if (lines.length) for (const p of [a, b]) appendFileSync(p, lines.join("\n") + "\n");
        if (cache) for (const p of [a, b]) cache.delete(p); // a restarted gateway's repair cache is empty
        const [before, sent] = [judged(), rt.counters.imageLinesJudged];
        await samePass(what, [ours, theirs], view, [a, b]);
        expect(judged() - before, what).toBe(expected);
        // The summary's count of image lines handed to the main thread says the same (one image block a line here).
        expect(rt.counters.imageLinesJudged - sent, what).toBe(expected);
        // The report is not awaited by the pass: the stop comes after the worker saved it.
        if (records >= 0) await vi.waitFor(() => expect(saved(), what).toBe(records), { timeout: 30_000, interval: 50 });
      }
    } finally {
      rt.setJudgeRelease(undefined);
      await pool.configureOpenClawPool({ indexDir: null });
    }
  });

  it("repairSessionFileIfNeeded on a file OpenClaw's repair cache holds: the pass that judged tells the worker at once (no check follows while the cache holds the file), so the first pass after a restart judges only the images appended while down; the same result, bytes and cache as OpenClaw's pass", { timeout: 600_000 }, async (ctx) => {
    const setup = await countedImagePass(root!, version);
    if (typeof setup === "string") return ctx.skip(setup);
    const { rt, ours, theirs, cache, view, judged } = setup;
    if (!cache) return ctx.skip(`${version} has no repair cache`);
    const indexPath = join(dir, "judged-index-cached");
    mkdirSync(indexPath, { mode: 0o700 });
    await rt.configureOpenClawPool({ indexDir: indexPath });
    rt.setJudgeRelease(version);
    try {
      const images = (from: number, n: number) => Array.from({ length: n }, (_, i) => user(`i${from + i}`, null, [{ type: "text", text: `look ${from + i}` }, image(PNG)]));
      // A few tool results: the release's cache keeps the file after a pass that found nothing to repair.
      const [a, b] = pair(file(...results(["id-1", "id-2"]), ...images(0, 30)));
      rt.forgetJudgedLines();
      let before = judged();
      await samePass("first start, first pass: every image", [ours, theirs], view, [a, b]);
      expect(judged() - before).toBe(30);
      expect(cache.has(a), "the release's cache holds the file").toBe(true);
      // What the worker saves of the judged records (the pass does not wait for it).
      const saved = sessionIndexFile(realpathSync(indexPath), a);
      await vi.waitFor(() => expect((JSON.parse(readFileSync(saved, "utf8")) as { judgedImages?: unknown }).judgedImages).toMatchObject({ records: 30 }), { timeout: 30_000, interval: 50 });
      for (const p of [a, b]) appendFileSync(p, user("p1", null, "hello") + "\n");
      before = judged();
      await samePass("a plain turn: OpenClaw's incremental path", [ours, theirs], view, [a, b]);
      expect(judged() - before).toBe(0);
      // A restart: a new pool on the index, no verdict on the main thread, an empty repair cache.
      await rt.closeOpenClawPool();
      rt.forgetJudgedLines();
      for (const p of [a, b]) appendFileSync(p, images(30, 2).join("\n") + "\n");
      for (const p of [a, b]) cache.delete(p);
      before = judged();
      await samePass("after a restart, two images appended while down: only those", [ours, theirs], view, [a, b]);
      expect(judged() - before).toBe(2);
    } finally {
      rt.setJudgeRelease(undefined);
      await rt.configureOpenClawPool({ indexDir: null });
    }
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: image lines judged ahead by the first-start warm-up (a transcript the repair pass rewrites)`, () => {
  it("repairSessionFileIfNeeded after OpenClaw's repair rewrite: image lines the warm-up judged in idle time (also those after the line the pass repairs) are not judged again, the same result, bytes and cache as OpenClaw's pass; lines added or changed since, and a corrupted image, are judged", { timeout: 600_000 }, async (ctx) => {
    const setup = await countedImagePass(root!, version);
    if (typeof setup === "string") return ctx.skip(setup);
    const { rt } = setup;
    rt.setJudgeRelease(version);
    try {
      // All 31 judged ahead; then nothing while the check's verdict is settled (the repair), the added and the
      // rewritten image line after it, and the good and the corrupted one appended.
      await warmUpRewrittenThenPasses(setup, pair, { ahead: 31, passes: [0, 2, 0, 2, 0] });
    } finally {
      rt.noteImageJudge(undefined);
      rt.forgetJudgedLines();
      rt.setJudgeRelease(undefined);
    }
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: image lines judged ahead by the warm-up (a transcript it builds: nothing to repair)`, () => {
  it("repairSessionFileIfNeeded on a first start: the warm-up judged the image lines in idle time, so the turn's pass judges none — the same result, bytes and cache as OpenClaw's pass; lines appended since, and a corrupted image, are judged", { timeout: 600_000 }, async (ctx) => {
    const setup = await countedImagePass(root!, version);
    if (typeof setup === "string") return ctx.skip(setup);
    const { rt } = setup;
    rt.setJudgeRelease(version);
    try {
      // All 25 judged ahead; then only what is appended: the good image, the corrupted one.
      await warmUpBuiltThenPasses(setup, pair, { ahead: 25, passes: [0, 0, 1, 1, 0] });
    } finally {
      rt.noteImageJudge(undefined);
      rt.forgetJudgedLines();
      rt.setJudgeRelease(undefined);
    }
  });
});

/** Message timestamps in a transcript, sorted (to build windows that cut through it). */
function messageTimes(text: string): number[] {
  const out: number[] = [];
  for (const l of text.split("\n")) {
    try {
      const ts = (JSON.parse(l) as { message?: { timestamp?: unknown } }).message?.timestamp;
      if (typeof ts === "number") out.push(ts);
    } catch {
      // not JSON: no time
    }
  }
  return out.sort((a, b) => a - b);
}

describe.skipIf(!root)(`OpenClaw ${version}: the recent-conversation read vs the release's own`, () => {
  it("readRecentUserAssistantTextFromSessionTranscript: the same entries for every window and limit, on generated, damaged, torn and growing files", { timeout: 600_000 }, async (ctx) => {
    const x = await importIntercepted(root!, "readRecentUserAssistantTextFromSessionTranscript");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    const files: { name: string; text: string | Buffer }[] = [...generalCorpus()];
    files.push({ name: "generated, heavy unicode", text: generatedTranscript({ seed: 3, entries: 300, branchProbability: 0.2, compactions: 2, includeAllEntryTypes: true, unicode: "heavy" }).text });
    const odd = [
      user("u1", null, "first"),
      msg("m1", "u1", { ...MIRROR, timestamp: 5 }),
      msg("a1", "m1", { role: "assistant", content: [{ type: "text", text: "  visible  " }], timestamp: "not a number" }),
      line({ type: "message", id: "n", parentId: "a1", message: null }),
      line({ type: "message", id: "s", parentId: "n", message: "a string" }),
      "[1,2,3]",
      "42",
      "null",
      "{not json",
      msg("t1", "s", { role: "toolResult", toolCallId: "c", content: [{ type: "text", text: "tool" }], timestamp: 3 }),
      user("u2", "t1", [{ type: "image", data: PNG, mimeType: "image/png" }, { type: "text", text: " second " }]),
      msg("a2", "u2", { role: "assistant", content: [], timestamp: 9e15 }),
      msg("a3", "a2", { role: "assistant", content: [{ type: "text", text: "neg" }], timestamp: -1 }),
      "   ",
      user("u4", "a3", "crlf line") + "\r",
    ];
    files.push({ name: "odd messages", text: file(...odd) });
    // A byte-order mark mid-file: stock's trim makes the line JSON, pi's rule does not (ctxc steps aside).
    files.push({ name: "odd messages, a byte-order mark mid-file", text: file(...odd, "\uFEFF" + user("u5", "u4", "with a byte-order mark")) });
    files.push({ name: "torn tail, valid JSON", text: file(user("u1", null, "a")) + user("u2", "u1", "torn but whole") });
    files.push({ name: "torn tail, cut", text: file(user("u1", null, "a")) + user("u2", "u1", "cut").slice(0, 30) });
    let served = 0;
    for (const f of files) {
      const [a] = pair(f.text);
      const times = messageTimes(typeof f.text === "string" ? f.text : f.text.toString("utf8"));
      const mid = times[Math.floor(times.length / 2)] ?? 0;
      const late = times[Math.floor((times.length * 9) / 10)] ?? 0;
      const windows: Record<string, unknown>[] = [{}, { limit: 1 }, { limit: 3 }, { limit: 0 }, { limit: 2.7 }, { limit: 500 }, { minTimestampMs: late }, { minTimestampMs: late, limit: 50 }, { beforeTimestampMs: mid }, { beforeTimestampMs: late, minTimestampMs: mid, limit: 7 }, { minTimestampMs: Number.MAX_SAFE_INTEGER }];
      for (const w of windows) {
        const before = rt.counters.recentReadsServed;
        const ours = await x.ctxc(a, w);
        expect(ours, `${f.name} ${JSON.stringify(w)}`).toEqual(await x.openclaw(a, w));
        served += rt.counters.recentReadsServed - before;
      }
    }
    expect(served).toBeGreaterThan(files.length * 5);
    // Growing between calls: the worker continues its read; the answer follows the file.
    const [g] = pair(generatedTranscript({ seed: 31, entries: 200 }).text);
    let parent = (JSON.parse(readFileSync(g, "utf8").trim().split("\n").at(-1)!) as { id: string }).id;
    for (let i = 0; i < 4; i++) {
      appendFileSync(g, user(`g${i}`, parent, `grown ${i}`) + "\n" + (i === 2 ? "{torn" : ""));
      if (i === 2) appendFileSync(g, "\n");
      parent = `g${i}`;
      const before = rt.counters.recentReadsServed;
      for (const w of [{ limit: 2 }, { minTimestampMs: 1 }]) expect(await x.ctxc(g, w), `grown ${i}`).toEqual(await x.openclaw(g, w));
      expect(rt.counters.recentReadsServed).toBe(before + 2);
    }
    // Missing file and no file name: stock's answers.
    expect(await x.ctxc(`${g}.missing`, {})).toEqual(await x.openclaw(`${g}.missing`, {}));
    expect(await x.ctxc("  ", {})).toEqual(await x.openclaw("  ", {}));
  });

  it("a read OpenClaw's own append overtakes (between the worker's answer and the check) is asked for again: served, the release's answer for the grown file; a file that keeps growing goes to stock after a bounded number of reads", { timeout: 300_000 }, async (ctx) => {
    const x = await importIntercepted(root!, "readRecentUserAssistantTextFromSessionTranscript");
    if (typeof x === "string") return ctx.skip(x);
    const rt = x.runtime;
    const { ATTEMPTS } = await import(RUNTIME_URL.replace("preload-runtime.js", "recent-lines.js"));
    const [g] = pair(generatedTranscript({ seed: 37, entries: 240 }).text);
    let parent = (JSON.parse(readFileSync(g, "utf8").trim().split("\n").at(-1)!) as { id: string }).id;
    let n = 0;
    const grow = () => {
      appendFileSync(g, user(`w${n}`, parent, `written while the worker read ${n}`) + "\n");
      parent = `w${n++}`;
    };
    /**
     * Runs `read` with an append to the file right after each of the worker's recent-lines answers that
     * `when` picks — after the worker read, before the handler checks the file: the race of OpenClaw's
     * turn writes with a channel's inbound read, made deterministic. Returns the answers seen.
     */
    const racing = async <T>(when: (query: { skip: number }, answer: number) => boolean, read: () => Promise<T>): Promise<{ got: T; answers: number }> => {
      let answers = 0;
      const own = rt.observeOpenClawPool(undefined);
      rt.observeOpenClawPool({
        busy: () => own?.busy(),
        idle: () => own?.idle(),
        closed: () => own?.closed(),
        answered: (request, ticket, reply) => {
          own?.answered(request, ticket, reply);
          if (request.op === "recentLines" && request.path === g && when(request.query, answers++)) grow();
        },
      });
      try {
        return { got: await read(), answers };
      } finally {
        rt.observeOpenClawPool(own);
      }
    };
    const counts = () => [rt.counters.recentReadsServed, rt.counters.stockRuns, rt.counters.fallbacks, rt.counters.recentReadsAgain];
    const delta = (before: number[]) => counts().map((c, i) => c - before[i]!);
    // One overtaken read, for windows answered in one batch and in several (the grown line is in every answer).
    for (const w of [{ limit: 2 }, { minTimestampMs: 1, limit: 500 }, {}]) {
      const before = counts();
      const { got, answers } = await racing((_q, i) => i === 0, () => x.ctxc(g, w));
      expect(got, JSON.stringify(w)).toEqual(await x.openclaw(g, w));
      expect(JSON.stringify(got), "the appended entry is in the answer").toContain(`written while the worker read ${n - 1}`);
      expect(answers, "asked again after the first answer").toBeGreaterThan(1);
      expect(delta(before), `${JSON.stringify(w)}: served, nothing to stock, asked again once`).toEqual([1, 0, 0, 1]);
    }
    // Overtaken on a later batch: the answer starts again from the newest line (no entry twice, none missed).
    {
      const w = { minTimestampMs: 1, limit: 200 };
      const before = counts();
      const { got, answers } = await racing((q, i) => q.skip > 0 && i < 3, () => x.ctxc(g, w));
      expect(answers).toBeGreaterThan(2);
      expect(got).toEqual(await x.openclaw(g, w));
      expect(delta(before)).toEqual([1, 0, 0, 1]);
    }
    // Overtaken every time: stock's loop after ATTEMPTS reads (bounded), with stock's answer, counted and logged as a step aside.
    {
      const before = counts();
      const { got, answers } = await racing(() => true, () => x.ctxc(g, { limit: 3 }));
      expect(answers).toBe(ATTEMPTS);
      expect(got).toEqual(await x.openclaw(g, { limit: 3 }));
      expect(delta(before)).toEqual([0, 1, 0, ATTEMPTS - 1]);
      expect(readFileSync(process.env.CTXC_OPENCLAW_LOG!, "utf8")).toContain(`recent-conversation read runs: file changed since the worker read it (${ATTEMPTS} reads, each overtaken by a write) (${g})`);
    }
  });
});

/**
 * The transcript part of the `session-resource-loader` stage as the run path makes it — the repair pass, the
 * prewarm, the synchronous open — through ctxc's handlers, turn after turn on a growing file, against the
 * release's own pass and parse of a copy given the same changes. Issue #11: on a warm turn the session read
 * for the open is asked for together with the repair check (repair-pass.ts, prepared-reads.ts
 * `prefetchWarmSession`), so the prewarm asks the worker nothing; the read is used only while the file is
 * what it read — appended after the pass, or rewritten by the release's own repair, it is read again.
 * Worker requests are counted by the pool's tickets (one per request asked for), not timed.
 */
/** What a release's open returned: the entries (2026.6.9+: `{entries, snapshot}`; before: the array). */
const entriesOf = (loaded: unknown): Record<string, unknown>[] => (Array.isArray(loaded) ? loaded : (loaded as { entries: Record<string, unknown>[] }).entries);

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the stage's repair pass, prewarm and open, turn after turn`, () => {
  it("a warm turn asks the worker for the check and the session read together, the prewarm for nothing; a file changed after the pass or rewritten by the release's repair is read again; every result the release's own", { timeout: 600_000 }, async (ctx) => {
    // The open behind SessionManager.open: 2026.6.9+ its snapshot loader, 2026.5.28–6.8 the plain one (2026.5.12–5.27: pi's, test/openclaw).
    let got = await importInterceptedAll(root!, "repairSessionFileIfNeeded", "prewarmSessionFile", "loadEntriesFromFileWithSnapshot");
    if (typeof got === "string") got = await importInterceptedAll(root!, "repairSessionFileIfNeeded", "prewarmSessionFile", "loadEntriesFromFile");
    if (typeof got === "string") return ctx.skip(got);
    const [repair, prewarm, open] = got as [(typeof got)[number], (typeof got)[number], (typeof got)[number]];
    const rt = repair.runtime;
    const pool = { openClawPoolTicket: rt.openClawPoolTicket };
    const cache = repair.helpers.sessionRepairCache as Map<string, { snapshot: Snap; toolResultIds: Set<string>; endsWithNewline: boolean }> | undefined;
    const stageView = (r: Record<string, unknown>, path: string) => ({
      repaired: r.repaired,
      droppedLines: r.droppedLines,
      reason: r.reason,
      validatedSnapshot: isCurrent(r.validatedSnapshot as Snap | undefined, path),
      cache: cache && (cache.has(path) ? [isCurrent(cache.get(path)!.snapshot, path), [...cache.get(path)!.toolResultIds].sort(), cache.get(path)!.endsWithNewline] : "none"),
    });

    const { text } = generatedTranscript({ seed: 31, entries: 150, branchProbability: 0.1, compactions: 1 });
    const [a, b] = pair(text);
    let parent = (JSON.parse(text.trim().split("\n").at(-1)!) as { id: string }).id;
    let k = 0;
    const entry = () => {
      const id = `s${++k}`;
      const l = line({ type: "message", id, parentId: parent, timestamp: "2026-01-05T09:00:00.000Z", message: k % 2 ? { role: "user", content: `q${k} ü`, timestamp: 1 } : { role: "assistant", content: [{ type: "text", text: `a${k}` }], stopReason: "stop", model: "m", timestamp: 1 } });
      parent = id;
      return l + "\n";
    };
    const both = (more: string) => [a, b].forEach((p) => appendFileSync(p, more));
    // Clean to start with, as a gateway's files are on later turns: the release's own pass applied once.
    for (const p of [a, b]) await repair.openclaw({ sessionFile: p });
    expect(readFileSync(a, "utf8")).toBe(readFileSync(b, "utf8"));
    parent = (JSON.parse(readFileSync(a, "utf8").trim().split("\n").at(-1)!) as { id: string }).id;
    let fresh = 0;

    /**
     * One stage: the pass on both files (with the lock's trusted snapshot and the repair cache kept when
     * `cached`, else the cache dropped as after a rewrite), `between` (a change after the pass), then ctxc's
     * prewarm and open of `a`, compared with the release's parse of the same bytes. Returns the worker
     * requests asked for during ctxc's pass and during its prewarm.
     */
    const stage = async (name: string, { cached = false, trust = cached, between }: { cached?: boolean; trust?: boolean; between?: () => void } = {}) => {
      if (!cached) for (const p of [a, b]) cache?.delete(p);
      const trusted = (p: string) => (trust ? { trustedSnapshot: snapOf(p) } : {});
      // A read an earlier call left in flight (e.g. the session read asked beside a check) is not this stage's
      // to count, and while it is pending the pass asks none of its own: wait for it, as a turn's gap does.
      await rt.readSettled(a);
      const t0 = pool.openClawPoolTicket();
      const ours = stageView((await repair.ctxc({ sessionFile: a, ...trusted(a) })) as Record<string, unknown>, a);
      const t1 = pool.openClawPoolTicket();
      const theirs = stageView((await repair.openclaw({ sessionFile: b, ...trusted(b) })) as Record<string, unknown>, b);
      expect(ours, `${name}: the pass`).toEqual(theirs);
      expect(readFileSync(a, "utf8"), `${name}: the file after the pass`).toBe(readFileSync(b, "utf8"));
      if (between) {
        // After the read asked with the check is back (the pass awaits only the check): that read is of the
        // file before the change, whatever the worker thread's timing.
        await rt.readSettled(a);
        between();
      }
      await prewarm.ctxc(a);
      const t2 = pool.openClawPoolTicket();
      const [served, continued, fallbacks] = [rt.counters.sessionsServed, rt.counters.sessionsContinued, rt.counters.fallbacks];
      const loaded = entriesOf(open.ctxc(a));
      expect(rt.counters.sessionsServed, `${name}: the open served`).toBe(served + 1);
      expect(rt.counters.fallbacks, name).toBe(fallbacks);
      const copy = join(dir, `stage-fresh${++fresh}.jsonl`);
      copyFileSync(a, copy);
      expect(loaded, `${name}: the open`).toEqual(entriesOf(open.openclaw(copy)));
      const counts = { pass: t1 - t0, prewarm: t2 - t1, continued: rt.counters.sessionsContinued - continued };
      return ours.repaired === true ? { ...counts, repaired: true } : counts;
    };

    // First turn: ctxc holds nothing of the file — the check alone (no whole-file read ahead), the prewarm reads.
    expect(await stage("first turn")).toEqual({ pass: 1, prewarm: 1, continued: 0 });
    // Warm turns: the check and the session read asked for together; the prewarm finds it settled and used.
    for (let i = 0; i < 3; i++) {
      both(entry() + entry());
      expect(await stage(`warm turn ${i}`)).toEqual({ pass: 2, prewarm: 0, continued: 1 });
    }
    if (cache) {
      // The release's own incremental pass (its repair cache and the lock's trusted snapshot): the session read beside it.
      expect(cache.has(a)).toBe(true);
      both(entry() + entry());
      expect(await stage("warm turn, the release's incremental pass", { cached: true })).toEqual({ pass: 1, prewarm: 0, continued: 1 });
      // Grown, but no trusted snapshot (the compaction path's call): the release's incremental path gives up and
      // reads the whole file — answered by the worker's check instead, the cache left as that read leaves it.
      both(entry() + entry());
      const skipped = rt.counters.repairsSkipped;
      expect(await stage("grown, cached, no trusted snapshot", { cached: true, trust: false })).toEqual({ pass: 2, prewarm: 0, continued: 1 });
      expect(rt.counters.repairsSkipped, "answered by ctxc's check").toBe(skipped + 1);
      // A trusted snapshot that is not the file's now (another writer moved it): the same.
      both(entry());
      const stale = (p: string) => ({ trustedSnapshot: { ...snapOf(p), size: 1n } });
      const [x, y] = [await repair.ctxc({ sessionFile: a, ...stale(a) }), await repair.openclaw({ sessionFile: b, ...stale(b) })];
      expect(stageView(x as Record<string, unknown>, a), "a stale trusted snapshot").toEqual(stageView(y as Record<string, unknown>, b));
      expect(rt.counters.repairsSkipped).toBe(skipped + 2);
    }
    // Appended after the pass, before the prewarm: the read asked with the check is not used; read again.
    both(entry());
    const late = entry();
    expect(await stage("appended after the pass", { between: () => both(late) })).toEqual({ pass: 2, prewarm: 1, continued: 1 });
    // Something the pass repairs (a blank user message): the release's pass rewrites the file (by rename: a new
    // inode), the read asked with the check is of the old one — read again after the rewrite, whole. (Which of
    // the two asks that read depends on whether the one asked with the check was back before the rewrite.)
    both(entry() + line({ type: "message", id: "blank", parentId: parent, timestamp: "2026-01-05T09:00:00.000Z", message: { role: "user", content: "  ", timestamp: 1 } }) + "\n");
    const unrepaired = readFileSync(a, "utf8");
    const rewritten = (await stage("repaired by the release's pass")) as { pass: number; prewarm: number; continued: number; repaired?: boolean };
    expect(rewritten.repaired).toBe(true);
    expect(readFileSync(a, "utf8")).not.toBe(unrepaired);
    expect(rewritten.pass + rewritten.prewarm, "the check, the read asked with it, the read of the rewritten file").toBe(3);
    expect(rewritten.continued).toBe(0);
    // And warm again on the next turn.
    both(entry() + entry());
    expect(await stage("warm turn after the repair")).toEqual({ pass: 2, prewarm: 0, continued: 1 });
  });
});
