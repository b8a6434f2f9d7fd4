/**
 * Transcript lines for the repair-pass tests (test/matrix/reads.test.ts, worker-judge.test.ts): messages,
 * images with real and broken payloads, tool results; how a pass's result and bytes are compared with the
 * release's own; and the release's image-rule pass as ctxc serves it, with the release's judge counted.
 */
import { appendFileSync, readFileSync, statSync } from "node:fs";
import { expect } from "vitest";
import { importIntercepted, poolSettled } from "./openclaw-release.js";
import { DAMAGE_KINDS, damage } from "../../bench/fixtures/transcript-generator.js";
import { generatedTranscript, wideCorpus } from "./generated.js";

export const line = (o: Record<string, unknown>) => JSON.stringify(o);
export const HEADER = line({ type: "session", version: 3, id: "s-1", timestamp: "2026-01-05T08:00:00.000Z", cwd: "/w" });
export const msg = (id: string, parentId: string | null, message: Record<string, unknown>) => line({ type: "message", id, parentId, timestamp: "2026-01-05T08:00:01.000Z", message });
export const file = (...lines: string[]) => [HEADER, ...lines].join("\n") + "\n";

// Image payloads: real signatures (the release sniffs the decoded bytes), and broken ones.
export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]).toString("base64");
export const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(40, 3)]).toString("base64");
export const image = (data: string, mime: Record<string, unknown> = { mimeType: "image/png" }) => ({ type: "image", data, ...mime });
export const user = (id: string, parentId: string | null, content: unknown) => msg(id, parentId, { role: "user", content, timestamp: 1 });
export const assistant = (id: string, parentId: string, extra: Record<string, unknown>, content: unknown[]) =>
  msg(id, parentId, { role: "assistant", stopReason: "toolUse", model: "m", timestamp: 1, ...extra, content });
export const call = (callId: string, name = "bash") => ({ type: "toolCall", id: callId, name, arguments: {} });
export const result = (id: string, parentId: string, ids: Record<string, unknown>) => msg(id, parentId, { role: "toolResult", toolName: "bash", content: [{ type: "text", text: "ok" }], isError: false, timestamp: 1, ...ids });
export const CHATGPT = { api: "openai-chatgpt-responses", provider: "openai" };
export const CODEX = { api: "openai-codex-responses", provider: "openai-codex" };
export const MIRROR = { role: "assistant", provider: "openclaw", model: "delivery-mirror", api: "openai-responses", stopReason: "stop", content: [{ type: "text", text: "sent" }], timestamp: 1 };

/** Files each release's pass judges by the rules that differ between releases. */
export function repairCorpus(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const add = (name: string, ...lines: string[]) => out.push({ name, text: file(...lines) });
  add("image: good png", user("u", null, [{ type: "text", text: "look" }, image(PNG)]));
  add("image: good jpeg under mediaType, padded upper-case mime", user("u", null, [image(JPEG, { mediaType: " IMAGE/JPEG " })]));
  add("image: good, in a tool result", assistant("a", "s-1", {}, [call("c1")]), result("r", "a", { toolCallId: "c1", content: [image(PNG)] }));
  add("image: not base64", user("u", null, [image("%%%not base64%%%")]));
  add("image: base64 of text, not an image", user("u", null, [image(Buffer.from("hello, not an image at all").toString("base64"))]));
  add("image: non-ASCII data", user("u", null, [image(PNG + "é")]));
  add("image: corrupted in an assistant turn", assistant("a", "s-1", { stopReason: "stop" }, [image("@@@")]));
  add("image: corrupted but no image mime (not checked)", user("u", null, [image("@@@", { mimeType: "text/plain" })]));
  add("image: corrupted, mime under media_type", user("u", null, [image("@@@", { media_type: "image/gif" })]));
  add("user: empty content array", user("u", null, []));
  add("user: only non-text blocks", user("u", null, [image(PNG)]));
  add("chatgpt call with its result", assistant("a", "s-1", CHATGPT, [call("c1")]), result("r", "a", { toolCallId: "c1" }));
  add("chatgpt call without a result", assistant("a", "s-1", CHATGPT, [call("c1")]));
  add("chatgpt call, result id padded under tool_call_id", assistant("a", "s-1", CHATGPT, [call("c1")]), result("r", "a", { tool_call_id: " c1 " }));
  add("chatgpt call, errored turn (not a candidate)", assistant("a", "s-1", { ...CHATGPT, stopReason: "error" }, [call("c1")]));
  add("codex call with its result", assistant("a", "s-1", CODEX, [call("c1")]), result("r", "a", { toolCallId: "c1" }));
  add("codex call without a result", assistant("a", "s-1", CODEX, [call("c1")]));
  add("codex call, result under call_id", assistant("a", "s-1", CODEX, [call("c1")]), result("r", "a", { call_id: "c1" }));
  add("message call then a delivery mirror, no result", assistant("a", "s-1", { api: "openai-responses", provider: "openai" }, [call("m1", " Message ")]), msg("m", "a", MIRROR));
  add("message call then a delivery mirror, with result", assistant("a", "s-1", { api: "openai-responses", provider: "openai" }, [call("m1", "message")]), result("r", "a", { toolUseId: "m1" }), msg("m", "r", MIRROR));
  add("message call then a custom entry then a mirror", assistant("a", "s-1", { api: " openai-codex-responses " }, [call("m1", "message")]), line({ type: "custom", id: "c", parentId: "a", customType: "x" }), msg("m", "c", { ...MIRROR, model: "gateway-injected" }));
  add("message call then a user turn", assistant("a", "s-1", { api: "azure-openai-responses" }, [call("m1", "message")]), user("u", "a", "next"), msg("m", "u", MIRROR));
  add("message call at the end", assistant("a", "s-1", { api: "openai-responses" }, [call("m1", "message")]));
  const many = Array.from({ length: 4100 }, (_, i) => result(`r${i}`, i ? `r${i - 1}` : "s-1", { toolCallId: `id-${i}` }));
  add("4,100 tool results (over the repair cache's id limit)", ...many);
  add("4,096 tool results", ...many.slice(0, 4096));
  return out;
}

/** Every file of the general corpus too: generated, damaged, torn. */
export function generalCorpus(): { name: string; text: string }[] {
  const out = [1, 2].map((seed) => ({ name: `generated ${seed}`, text: generatedTranscript({ seed, entries: 160, branchProbability: 0.15, compactions: 2, includeAllEntryTypes: true, unicode: "mixed" }).text }));
  out.push({ name: "generated, nothing to repair", text: generatedTranscript({ seed: 1, entries: 160, branchProbability: 0.15, compactions: 2 }).text });
  out.push({ name: "no final newline", text: HEADER + "\n" + line({ type: "custom", id: "a", parentId: null, customType: "x" }) });
  out.push({ name: "blank lines", text: `\n${HEADER}\n\n  \n${line({ type: "custom", id: "a", parentId: null, customType: "x" })}\n\n` });
  out.push({ name: "empty", text: "" });
  const base = generatedTranscript({ seed: 5, entries: 80, branchProbability: 0.1, compactions: 1 }).text;
  DAMAGE_KINDS.forEach((kind, i) => out.push({ name: `damaged: ${kind}`, text: damage(base, kind, 50 + i) }));
  // With CTXC_WIDE_SEEDS=<first>:<count> (by hand): a generated transcript per seed and its damaged forms.
  for (const c of wideCorpus()) out.push({ name: c.name, text: c.text });
  return out;
}

/** A file's bytes with the parts of OpenClaw's inserted tool results that are random (id) or the time of the repair. */
export function repairedText(path: string): string {
  return readFileSync(path, "utf8")
    .split("\n")
    .map((l) => (l.includes('"id":"repair-') ? l.replace(/repair-[0-9a-f-]{36}/, "repair-X").replace(/"timestamp":("[^"]*"|\d+)/g, '"timestamp":0') : l))
    .join("\n");
}

export type Snap = { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint };
/** The file's snapshot as OpenClaw takes it (bigint stat), e.g. the lock's trusted snapshot. */
export function snapOf(p: string): Snap {
  const st = statSync(p, { bigint: true });
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}
/** A snapshot, as "the file's current stat" or not (the two copies differ in inode and times). */
export function isCurrent(snap: Snap | undefined, path: string): string | undefined {
  if (snap === undefined) return undefined;
  const st = snapOf(path);
  return snap.dev === st.dev && snap.ino === st.ino && snap.size === st.size && snap.mtimeNs === st.mtimeNs && snap.ctimeNs === st.ctimeNs ? "current" : "stale";
}
/** OpenClaw's repair cache (2026.6.9+), as the release's helpers hold it. */
export type RepairCache = Map<string, { snapshot: Snap; toolResultIds: Set<string>; endsWithNewline: boolean }>;
/** A pass's result and the release's repair cache for `path`, with what differs between the two copies (backup path, inode, times) said as same or not. */
export function passView(cache: RepairCache | undefined): (r: Record<string, unknown>, path: string) => Record<string, unknown> {
  return (r, path) => ({
    ...r,
    backupPath: r.backupPath === undefined ? undefined : "(backup)",
    validatedSnapshot: isCurrent(r.validatedSnapshot as Snap | undefined, path),
    cache: cache && (cache.has(path) ? { ...cache.get(path)!, snapshot: isCurrent(cache.get(path)!.snapshot, path), toolResultIds: [...cache.get(path)!.toolResultIds] } : "none"),
  });
}
/** A tool-result id of exactly `bytes` UTF-8 bytes (two-byte "é"s after a unique prefix), for files at the byte bound. */
export function idOfBytes(i: number, bytes: number): string {
  const prefix = `r${String(i).padStart(6, "0")}-`;
  const rest = bytes - prefix.length;
  return prefix + "é".repeat(Math.floor(rest / 2)) + "x".repeat(rest % 2);
}
/** A chain of tool results with these ids (each under the key and padding of `shape`, as the v2 id rule reads them). */
export function results(ids: string[], from = 0, parent: string | null = "s-1", shape: (id: string) => Record<string, unknown> = (id) => ({ toolCallId: id })): string[] {
  return ids.map((id, i) => result(`b${from + i}`, i ? `b${from + i - 1}` : parent!, shape(id)));
}

/**
 * The release's image-rule pass as ctxc serves it (its handler for the release), with the release's judge
 * counted — the function the pass's helpers give, also to be noted as the warm-up's —, how results are
 * compared, or why the release has none.
 */
export async function countedImagePass(root: string, version: string) {
  const x = await importIntercepted(root, "repairSessionFileIfNeeded");
  if (typeof x === "string") return x;
  const judge = x.helpers.isCorruptedImageContentBlock as ((block: unknown) => boolean) | undefined;
  if (!judge) return `${version} has no image rule`;
  const cache = x.helpers.sessionRepairCache as Map<string, unknown> | undefined;
  const rt = x.runtime;
  const [, minor, patch] = version.split(".").map(Number) as [number, number, number];
  const name = !cache ? "repairPass605" : minor === 6 && patch < 11 ? "repairPass609" : "repairPass611";
  let judged = 0;
  const spied: Record<string, () => unknown> = Object.fromEntries(Object.keys(x.helpers).map((k) => [k, () => x.helpers[k]]));
  const counted = (block: { type?: unknown }) => {
    if (block?.type === "image") judged++;
    return judge(block);
  };
  spied.isCorruptedImageContentBlock = () => counted;
  return {
    rt,
    cache,
    counted,
    theirs: x.openclaw as (params: Record<string, unknown>) => Promise<unknown>,
    judged: () => judged,
    ours: (params: Record<string, unknown>) => rt.handlers[name]!(x.openclaw, [params], spied) as Promise<Record<string, unknown>>,
    view: (r: Record<string, unknown>, path: string) => ({ ...r, backupPath: r.backupPath === undefined ? undefined : "(backup)", validatedSnapshot: isCurrent(r.validatedSnapshot as Snap | undefined, path), cached: cache?.has(path) ?? false }),
  };
}

/** {@link countedImagePass}'s setup, and a test file's `pair` (two copies of a transcript). */
type ImagePass = Exclude<Awaited<ReturnType<typeof countedImagePass>>, string>;
type Pair = (text: string) => [string, string];
/** Image blocks the main thread's judge sees: while the warm-up judges ahead, and in each of the scenario's passes. */
export interface JudgedCounts {
  ahead: number;
  passes: readonly number[];
}

/** User messages `prefix<from>…` with a text block and an image of `data` each. */
const imageTurns = (prefix: string) => (from: number, n: number, data = PNG) =>
  Array.from({ length: n }, (_, i) => user(`${prefix}${from + i}`, null, [{ type: "text", text: `see ${from + i}` }, image(data)]));
/** A header, over 4,096 tool results (OpenClaw's repair cache never keeps the file: every pass is ctxc's check), then `lines`. */
const uncachedFile = (...lines: string[]) => file(...results(Array.from({ length: 4100 }, (_, i) => `id-${i}`)), ...lines);

/**
 * The first-start warm-up on transcript `path` (nothing in the index: a whole read), its judge the pass's —
 * chunkEvaluated notes the chunk's; here the counted one — and no line judged before it in this process.
 * Returns what it added to each of the runtime's warm-up counters.
 */
async function firstStartWarmUp({ rt, counted }: ImagePass, path: string): Promise<ImagePass["rt"]["warmUpStats"]> {
  rt.noteImageJudge(counted);
  rt.forgetJudgedLines();
  const before = { ...rt.warmUpStats };
  await rt.runRestartWarmUp([{ path, savedMs: Date.now(), size: statSync(path).size, unindexed: true }], {});
  return Object.fromEntries(Object.entries(rt.warmUpStats).map(([k, v]) => [k, v - before[k as keyof typeof before]])) as typeof before;
}

/**
 * The first-start warm-up on a transcript it builds (nothing to repair: 25 image lines), then the passes of
 * the turns after it — the first turn's, a plain turn, a good image appended, a corrupted one (OpenClaw's
 * pass repairs it), a turn after that repair — each the same result, bytes and cache as OpenClaw's pass, with
 * the main thread's judge seeing `judged` image blocks. The release named and the pool set up by the caller,
 * which also undoes what this notes (the warm-up's judge, the judged lines) afterwards.
 */
export async function warmUpBuiltThenPasses(setup: ImagePass, pair: Pair, judged: JudgedCounts): Promise<void> {
  const images = imageTurns("k");
  const [a, b] = pair(uncachedFile(...images(0, 20), ...images(20, 5, JPEG)));
  // Nothing to repair, so it builds.
  const warmUp = await firstStartWarmUp(setup, a);
  expect(warmUp.warmedUp, "built").toBe(1);
  expect(setup.judged(), "image lines judged ahead on the main thread").toBe(judged.ahead);
  expect(warmUp.builtImagesJudged, "counted for the warmup: line").toBe(25);
  const lines = [[], [user("p1", null, "hello")], images(40, 1), images(60, 1, "@@@"), [user("p2", null, "again")]];
  const names = ["the first turn's pass, OpenClaw's verdict", "a plain turn", "a good image appended", "a corrupted image appended: OpenClaw's pass repairs", "after that repair"];
  await judgedSteps(names.map((name, i) => [name, lines[i]!, judged.passes[i]!]), setup, [a, b]);
}

/**
 * The first-start warm-up on a transcript OpenClaw's repair pass will rewrite (it judges all 31 image lines,
 * also those after the line the pass repairs, and skips the build), one more image appended, then the passes:
 * the repair's (OpenClaw rewrites the file), the next on the file as rewritten (the added image line and the
 * one the rewrite changed are new), a plain turn, a good and a corrupted image appended (OpenClaw's pass
 * repairs), a turn after that repair — each the same result, bytes and cache as OpenClaw's pass, with the
 * main thread's judge seeing `judged` image blocks. The caller names the release and undoes what this notes.
 */
export async function warmUpRewrittenThenPasses(setup: ImagePass, pair: Pair, judged: JudgedCounts): Promise<void> {
  const images = imageTurns("j");
  const errored = assistant("e1", "s-1", { stopReason: "error" }, []);
  // Images before and after the errored assistant turn the pass rewrites, and one image message the rewrite
  // changes (its blank text block); on 2026.7.35 the header rewrite drops OpenClaw's cache all the same.
  const changed = user("j99", null, [{ type: "text", text: "  " }, image(PNG)]);
  const [a, b] = pair(uncachedFile(...images(0, 20), errored, ...images(20, 10), changed));
  // Its whole read says the repair pass will rewrite the file; it judges the image lines.
  const warmUp = await firstStartWarmUp(setup, a);
  expect(warmUp.repairs, "the warm-up skipped the build: the repair rewrites the file").toBe(1);
  expect(setup.judged(), "image lines judged ahead on the main thread").toBe(judged.ahead);
  expect(warmUp.imagesJudged, "counted for the warmup: line (every image message, also after the errored turn)").toBe(31);
  // The file changed after the warm-up: one more good image, never judged.
  for (const p of [a, b]) appendFileSync(p, images(40, 1)[0]! + "\n");
  const lines = [[], [], [user("p1", null, "hello")], [...images(50, 1), ...images(60, 1, "@@@")], [user("p2", null, "again")]];
  const names = [
    "first pass: OpenClaw's repair rewrites the file",
    "next pass, the file as rewritten: the image line added after the warm-up and the rewritten one are new",
    "a plain turn",
    "a good image and a corrupted one appended: OpenClaw's pass repairs",
    "after that repair",
  ];
  await judgedSteps(names.map((name, i) => [name, lines[i]!, judged.passes[i]!]), setup, [a, b]);
}

/**
 * Each step: its lines appended to both files, then one pass of ctxc's handler and of OpenClaw's own
 * (`samePass`), judging exactly the step's count of image blocks.
 */
export async function judgedSteps(steps: [string, string[], number][], { rt, ours, theirs, view, judged }: ImagePass, [a, b]: [string, string]): Promise<void> {
  for (const [what, lines, expected] of steps) {
    if (lines.length) for (const p of [a, b]) appendFileSync(p, lines.join("\n") + "\n");
    const before = judged();
    await samePass(what, [ours, theirs], view, [a, b]);
    expect(judged() - before, what).toBe(expected);
    // The pass's unawaited check that tells the worker what the main thread judged (repair-pass.ts `tellJudged`)
    // reads before the next append: after it, it would judge the appended image lines itself, its answer dropped.
    await poolSettled(rt, what);
  }
}

/** One pass of ctxc's handler on `a` and of OpenClaw's own on its copy `b`: the same result (as `view` shows it) and the same bytes after. */
export async function samePass(what: string, [ours, theirs]: [(p: Record<string, unknown>) => Promise<unknown>, (p: Record<string, unknown>) => Promise<unknown>], view: (r: Record<string, unknown>, path: string) => unknown, [a, b]: [string, string]): Promise<void> {
  expect(view((await ours({ sessionFile: a })) as Record<string, unknown>, a), what).toEqual(view((await theirs({ sessionFile: b })) as Record<string, unknown>, b));
  expect(repairedText(a), what).toEqual(repairedText(b));
}
