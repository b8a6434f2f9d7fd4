/**
 * The repair pass's image judge run in ctxc's workers (issue #11; src/openclaw/release/worker-judge.ts,
 * native-free-workers/openclaw/image-judge.ts), for ONE OpenClaw release (`CTXC_OPENCLAW_ROOT`, with the
 * Node it needs): built from the located release, it gives the release's own judge's verdict on every line
 * of a wide corpus of image blocks; and the pass, the restart and the warm-up with it return, write and
 * cache what OpenClaw's pass does, while the main thread judges only the lines the workers do not find
 * clean. Skipped without a release, and on releases without the image rule (before 2026.6.5).
 */
import { appendFileSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { sessionIndexFile } from "../../native-free-workers/openclaw/session-index.js";
import { locateRelease } from "../../src/openclaw/release/locate.js";
import { planRelease } from "../../src/openclaw/release/plan.js";
import type { ImageJudgeSpec } from "../../native-free-workers/protocol/image-judge.js";
import { importIntercepted, poolSettled, releaseTestSetup, RUNTIME_URL } from "../support/openclaw-release.js";
import { countedImagePass, file, generalCorpus, image, JPEG, PNG, repairCorpus, repairedText, results, samePass, passView, type RepairCache, user, warmUpBuiltThenPasses, warmUpRewrittenThenPasses } from "../support/repair-lines.js";
import { rng, wideSeeds, wideTimeout } from "../support/seeded-random.js";

const { root, version, dir, pair } = releaseTestSetup("matrix-worker-judge", { afterAll });

/**
 * The release's image pass with its judge counted (test/support/repair-lines.ts), the workers' judge as the
 * preload builds it (plan → name), and that judge configured on the runtime's pool; or why not.
 */
async function workersJudging() {
  const setup = await countedImagePass(root!, version);
  if (typeof setup === "string") return setup;
  const plan = planRelease(locateRelease(root!, version), RUNTIME_URL);
  if (typeof plan === "string") return plan;
  if (!plan.imageJudge) return `no workers' judge: ${plan.stock.find((s) => s.startsWith("image judging")) ?? "none planned"}`;
  const { rt } = setup;
  rt.setJudgeRelease(version);
  // Named as the main thread names the judge its passes get — here the counted wrapper of the chunk's (the
  // name is only a key; that the chunk's own judge has the workers' text and name is a test below).
  const spec: ImageJudgeSpec = { ...plan.imageJudge, name: rt.judgeNameOfSource(String(setup.counted))! };
  await rt.configureOpenClawPool({ imageJudge: spec });
  return { ...setup, spec, planned: plan.imageJudge, judge: setup.counted };
}

async function stopJudging(rt: Exclude<Awaited<ReturnType<typeof workersJudging>>, string>["rt"]): Promise<void> {
  rt.setJudgeRelease(undefined);
  rt.noteImageJudge(undefined);
  rt.forgetJudgedLines();
  await rt.configureOpenClawPool({ imageJudge: null, indexDir: null });
}

// Payloads: each signature the release sniffs, and bytes it does not.
const bytesB64 = (head: number[] | string, n = 40, fill = 7) => Buffer.concat([typeof head === "string" ? Buffer.from(head, "latin1") : Buffer.from(head), Buffer.alloc(n, fill)]).toString("base64");
const PAYLOADS: Record<string, string> = {
  png: PNG,
  jpeg: JPEG,
  gif87: bytesB64("GIF87a"),
  gif89: bytesB64("GIF89a", 41),
  webp: bytesB64("RIFF\0\0\0\0WEBPVP8 ", 42),
  bmp: bytesB64("BM", 43),
  heic: bytesB64("\0\0\0\x18ftypheic\0\0\0\0mif1", 20),
  heifOnly: bytesB64("\0\0\0\x18ftypmif1\0\0\0\0msf1", 20),
  avif: bytesB64("\0\0\0\x18ftypavif\0\0\0\0avif", 20),
  text: Buffer.from("hello, not an image at all").toString("base64"),
  shortPng: Buffer.from([0x89, 0x50, 0x4e]).toString("base64"),
  oneByte: Buffer.from([0xff]).toString("base64"),
};
// How a payload is written: as is, and every way the base64 rules look at.
const ENCODINGS: Record<string, (b64: string) => string> = {
  asIs: (s) => s,
  unpadded: (s) => s.replace(/=+$/, ""),
  extraPad: (s) => s + "=",
  threePads: (s) => s.replace(/=*$/, "==="),
  padBitsSet: (s) => (s.endsWith("==") ? s.slice(0, -3) + "B==" : s.endsWith("=") ? s.slice(0, -2) + "B=" : s),
  lineBreaks: (s) => s.replace(/(.{16})/g, "$1\n"),
  spacesTabs: (s) => ` ${s.slice(0, 8)}\t${s.slice(8)} `,
  urlSafe: (s) => s.replace(/\+/g, "-").replace(/\//g, "_") + "-_",
  dataUrl: (s) => `data:image/png;base64,${s}`,
  nonAscii: (s) => s + "é",
  innerPad: (s) => s.slice(0, 4) + "=" + s.slice(4),
  percent: (s) => s.slice(0, 6) + "%" + s.slice(6),
  empty: () => "",
  blank: () => " \n\t ",
  lone: (s) => s.slice(0, (s.replace(/=+$/, "").length & ~3) + 1),
};
const MIMES: Record<string, unknown>[] = [
  { mimeType: "image/png" },
  { mimeType: " IMAGE/JPEG " },
  { mediaType: "image/gif" },
  { media_type: "image/webp" },
  { mimeType: "image/" },
  { mimeType: "image/svg+xml" },
  { mimeType: "text/plain", mediaType: "image/png" },
  { mimeType: "text/plain" },
  { mimeType: 42, media_type: "image/bmp" },
  {},
];

/** Blocks beside a good image in one message: the line is an image record whatever this block is. */
function corpusBlocks(): unknown[] {
  const out: unknown[] = [];
  for (const payload of Object.values(PAYLOADS)) for (const encode of Object.values(ENCODINGS)) out.push(image(encode(payload)));
  for (const mime of MIMES) for (const data of [PNG, "@@@", ""]) out.push(image(data, mime));
  out.push({ type: "image", data: 42, mimeType: "image/png" }, { type: "Image", data: "@@@", mimeType: "image/png" }, { type: "image", source: { data: "@@@" }, mimeType: "image/png" });
  out.push(null, 7, "image", [image("@@@")], { type: "text", text: "@@@" });
  return out;
}

/** Random blocks: a signature, a length, then random edits from the characters the base64 rules tell apart. */
function randomBlocks(seed: number, n: number): unknown[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const heads = Object.values(PAYLOADS).map((p) => Buffer.from(p, "base64").subarray(0, 24));
  const edits = ["", " ", "\n", "=", "==", "-", "_", "+", "/", "é", "%", "A", "\u00a0", "\t"];
  return Array.from({ length: n }, () => {
    let data = Buffer.concat([pick(heads), Buffer.from(Array.from({ length: Math.floor(r() * 60) }, () => Math.floor(r() * 256)))]).toString("base64");
    for (let k = Math.floor(r() * 3); k > 0; k--) {
      const at = Math.floor(r() * (data.length + 1));
      data = data.slice(0, at) + pick(edits) + data.slice(at + (r() < 0.3 ? 1 : 0));
    }
    if (r() < 0.3) data = data.replace(/=+$/, "");
    return image(data, pick(MIMES));
  });
}

describe.skipIf(!root)(`OpenClaw ${version}: the workers' image judge is the release's`, () => {
  it("built from the located release (the judge's text is the function the chunk runs, its name the main thread's), it finds clean exactly the lines the release's judge finds clean, over every payload, encoding and mime key the rules look at and random edits; the pass's lines stop at the first it does not", { timeout: wideTimeout(300_000, 2_000) }, async (ctx) => {
    const w = await workersJudging();
    if (typeof w === "string") return ctx.skip(w);
    const { rt, spec, judge } = w;
    try {
      const { readRepairCheckAsync } = rt;
      const seeds = wideSeeds() ?? [1, 2, 3];
      const blocks = [...corpusBlocks(), ...seeds.flatMap((s) => randomBlocks(s, 120))];
      const lines = blocks.map((b, i) => user(`i${i}`, null, [{ type: "text", text: `look ${i}` }, b, image(PNG)]));
      const path = join(dir, "corpus.jsonl");
      writeFileSync(path, file(...lines));
      // The release's verdict, on the main thread, as the pass judges a line.
      const corrupted = (l: string) => (JSON.parse(l) as { message: { content: unknown[] } }).message.content.some((b) => judge(b as { type?: unknown }));
      const expected = lines.filter(corrupted);
      expect(expected.length, "the corpus has corrupted lines").toBeGreaterThan(50);
      expect(lines.length - expected.length, "and clean ones").toBeGreaterThan(50);
      const all = await readRepairCheckAsync(path, { images: true, allImages: true, judge: spec.name });
      expect(all.imageLinesJudgedInWorker, "every line judged in the worker").toBe(lines.length);
      expect(all.imageLines, "sent: exactly the lines the release's judge finds corrupted").toEqual(expected);
      // The pass's lines: judged in order, the run of clean ones left out, from the first it does not find clean on.
      const first = lines.findIndex(corrupted);
      const pass = await readRepairCheckAsync(path, { images: true, judge: spec.name });
      expect([pass.imageLinesFrom, pass.imageLines], "the pass's lines").toEqual([first, lines.slice(first)]);
      // A judge of another name (another release, Node or body) is not the workers': every line is sent.
      const other = await readRepairCheckAsync(path, { images: true, allImages: true, judge: `${spec.name} (other)` });
      expect([other.imageLinesJudgedInWorker, other.imageLines.length]).toEqual([0, lines.length]);
      // Clean files in the workers' order: each line alone, every clean block of the corpus.
      const clean = lines.filter((l) => !corrupted(l));
      const cleanPath = join(dir, "clean.jsonl");
      writeFileSync(cleanPath, file(...clean));
      const c = await readRepairCheckAsync(cleanPath, { images: true, judge: spec.name });
      expect([c.imageLinesFrom, c.imageLines.length, c.imageRecordsSettled]).toEqual([clean.length, 0, clean.length]);
    } finally {
      await stopJudging(rt);
    }
  });

  it("the text the workers evaluate is the chunk's own judge, named as the main thread names it; a judge the workers cannot build is reported, and its lines go to the main thread", { timeout: 120_000 }, async (ctx) => {
    const w = await workersJudging();
    if (typeof w === "string") return ctx.skip(w);
    const { rt, spec } = w;
    try {
      // The chunk's own function as the served pass gets it (its helpers), not the counted wrapper.
      const x = await importIntercepted(root!, "repairSessionFileIfNeeded");
      if (typeof x === "string") throw new Error(x);
      const own = x.helpers.isCorruptedImageContentBlock;
      expect(String(own), "the judge's text").toBe(w.planned.functions.at(-1));
      // The name the passes ask the workers by (judged-images.ts judgeName: of the chunk's function's text) is the one the preload gives the workers' judge.
      expect(rt.judgeNameOfSource(String(own)), "its name").toBe(rt.workerJudgeSpec(w.planned)!.name);
      expect(await rt.startOpenClawPool(), "built in every worker").toEqual([]);
      // A worker started by a check itself (as after an idle exit: no \`ready\` first) judges it once its judge is built.
      await rt.closeOpenClawPool();
      const fresh = join(dir, "fresh-worker.jsonl");
      writeFileSync(fresh, file(user("u1", null, [image(PNG)]), user("u2", null, [image(JPEG)]), user("u3", null, [image("@@@")])));
      const first = await rt.readRepairCheckAsync(fresh, { images: true, judge: spec.name });
      expect([first.imageLinesJudgedInWorker, first.imageLinesFrom, first.imageLines.length], "a fresh worker's first check").toEqual([3, 2, 1]);
      // An export the module does not have: the workers say why; every line goes to the main thread.
      await rt.configureOpenClawPool({ imageJudge: { ...spec, imports: spec.imports.map((i) => ({ ...i, exported: "nope" })) } });
      const failed = await rt.startOpenClawPool();
      expect(failed.join("\n")).toMatch(/exports no function sanitizeInlineImageBase64 as nope/);
      const path = join(dir, "unbuilt.jsonl");
      writeFileSync(path, file(user("u1", null, [image(PNG)]), user("u2", null, [image(JPEG)])));
      const { readRepairCheckAsync } = rt;
      const r = await readRepairCheckAsync(path, { images: true, judge: spec.name });
      expect([r.imageLinesJudgedInWorker, r.imageLinesFrom, r.imageLines.length]).toEqual([0, 0, 2]);
      // Source that does not evaluate: the same.
      await rt.configureOpenClawPool({ imageJudge: { ...spec, functions: ["function isCorruptedImageContentBlock(block) {"] } });
      expect((await rt.startOpenClawPool()).join("\n")).toMatch(/SyntaxError/);
    } finally {
      await stopJudging(rt);
    }
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: the repair pass with the workers judging`, () => {
  it("repairSessionFileIfNeeded as the preload serves it (the chunk's own judge, the release named, the workers given the planned judge): the same result, file bytes and repair cache as OpenClaw's pass on every file of the repair and general corpora (the release's rules, generated, damaged, torn; CTXC_WIDE_SEEDS adds more), and the main thread judges only lines the workers do not find clean", { timeout: wideTimeout(600_000, 3_000) }, async (ctx) => {
    const x = await importIntercepted(root!, "repairSessionFileIfNeeded");
    if (typeof x === "string") return ctx.skip(x);
    const judge = x.helpers.isCorruptedImageContentBlock as ((block: unknown) => boolean) | undefined;
    if (!judge) return ctx.skip(`${version} has no image rule`);
    const plan = planRelease(locateRelease(root!, version), RUNTIME_URL);
    if (typeof plan === "string" || !plan.imageJudge) return ctx.skip("no workers' judge planned");
    const rt = x.runtime;
    rt.setJudgeRelease(version);
    // As preload-install.ts configures the pool: the judge named from its planned text.
    await rt.configureOpenClawPool({ imageJudge: rt.workerJudgeSpec(plan.imageJudge)! });
    const view = passView(x.helpers.sessionRepairCache as RepairCache | undefined);
    const corrupted = (l: string) => (JSON.parse(l) as { message: { content: unknown[] } }).message.content.some((b) => judge(b));
    try {
      rt.forgetJudgedLines();
      let inWorkers = 0;
      for (const c of [...repairCorpus(), ...generalCorpus()]) {
        const [a, b] = pair(c.text);
        const [sent, workers] = [rt.counters.imageLinesJudged, rt.counters.imageLinesJudgedInWorkers];
        const ours = view((await x.ctxc({ sessionFile: a })) as Record<string, unknown>, a);
        const theirs = view((await x.openclaw({ sessionFile: b })) as Record<string, unknown>, b);
        expect(ours, c.name).toEqual(theirs);
        expect(repairedText(a), c.name).toEqual(repairedText(b));
        inWorkers += rt.counters.imageLinesJudgedInWorkers - workers;
        // What reached the main thread's judge: at most the file's lines from the first corrupted image line on.
        const imageLines = c.text.split("\n").filter((l) => l.includes('"image"') && l.includes('"message"'));
        const firstBad = imageLines.findIndex((l) => {
          try {
            return corrupted(l);
          } catch {
            return true;
          }
        });
        expect(rt.counters.imageLinesJudged - sent, `${c.name}: lines sent to the main thread`).toBeLessThanOrEqual(firstBad === -1 ? 0 : imageLines.length - firstBad);
      }
      expect(inWorkers, "the corpus's image lines judged in the workers").toBeGreaterThan(5);
    } finally {
      rt.setJudgeRelease(undefined);
      rt.forgetJudgedLines();
      await rt.configureOpenClawPool({ imageJudge: null });
    }
  });

  it("repairSessionFileIfNeeded turn after turn, and after a restart: the same result, bytes and cache as OpenClaw's pass; the main thread judges only a torn line and a corrupted one, the workers the rest, each once per read state; what they judged outlives the restart (the persistent index)", { timeout: 600_000 }, async (ctx) => {
    const w = await workersJudging();
    if (typeof w === "string") return ctx.skip(w);
    const { rt, ours, theirs, view, judged, cache, spec } = w;
    const indexPath = join(dir, "judged-index");
    mkdirSync(indexPath, { mode: 0o700 });
    await rt.configureOpenClawPool({ indexDir: indexPath, imageJudge: spec });
    try {
      const images = (from: number, n: number, data = PNG) => Array.from({ length: n }, (_, i) => user(`i${from + i}`, null, [{ type: "text", text: `look ${from + i}` }, image(data)]));
      // Over 4,096 tool results: OpenClaw never caches the file, so every pass is ctxc's check.
      const [a, b] = pair(file(...results(Array.from({ length: 4100 }, (_, i) => `id-${i}`)), ...images(0, 30)));
      const saved = () => (JSON.parse(readFileSync(sessionIndexFile(realpathSync(indexPath), a), "utf8")) as { judgedImages?: { records?: number } }).judgedImages?.records;
      // [what, lines appended, restart first, judged on the main thread, judged in the workers, records saved as judged (-1: not checked)]
      const steps: [string, string[] | "torn" | "newline", boolean, number, number, number][] = [
        ["first pass: every image, in the workers", [], false, 0, 30, 30],
        ["two more images: only those", images(30, 2), false, 0, 2, 32],
        ["a plain turn: none", [user("p1", null, "hello")], false, 0, 0, 32],
        ["an image line without its newline: not settled, so the main thread judges it", "torn", false, 1, 0, 32],
        ["completed: the workers judge it", "newline", false, 0, 1, 33],
        ["after a restart, one image appended while down: only it, in the workers", images(40, 1), true, 0, 1, 34],
        ["a corrupted image: the workers find it not clean, the main thread judges it and OpenClaw's pass repairs", images(50, 1, "@@@"), false, 1, 1, -1],
        ["after the repair (a new read state): the workers answer every line from what they found clean", [user("p2", null, "again")], false, 0, 34, -1],
      ];
      rt.forgetJudgedLines();
      for (const [what, lines, restart, onMain, inWorkers, records] of steps) {
        if (restart) {
          await rt.closeOpenClawPool();
          rt.forgetJudgedLines();
          if (cache) for (const p of [a, b]) cache.delete(p);
        }
        const text = lines === "torn" ? images(35, 1)[0]! : lines === "newline" ? "\n" : lines.length ? lines.join("\n") + "\n" : "";
        if (text) for (const p of [a, b]) appendFileSync(p, text);
        const [before, workers, sent] = [judged(), rt.counters.imageLinesJudgedInWorkers, rt.counters.imageLinesJudged];
        await samePass(what, [ours, theirs], view, [a, b]);
        expect([judged() - before, rt.counters.imageLinesJudged - sent, rt.counters.imageLinesJudgedInWorkers - workers], `${what}: [main thread's judge, lines sent to it, judged in the workers]`).toEqual([onMain, onMain, inWorkers]);
        if (records >= 0) await vi.waitFor(() => expect(saved(), what).toBe(records), { timeout: 30_000, interval: 50 });
        await poolSettled(rt, what);
      }
    } finally {
      await stopJudging(rt);
    }
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: the warm-up judges ahead in the workers`, () => {
  it("a transcript the warm-up builds (a first start): the workers judge its image lines, the main thread none; the first pass then judges none anywhere — the same result, bytes and cache as OpenClaw's pass", { timeout: 600_000 }, async (ctx) => {
    const w = await workersJudging();
    if (typeof w === "string") return ctx.skip(w);
    const { rt } = w;
    const workersBefore = rt.counters.imageLinesJudgedInWorkers;
    try {
      // None ahead on the main thread; of the passes, only the corrupted image appended reaches it.
      await warmUpBuiltThenPasses(w, pair, { ahead: 0, passes: [0, 0, 0, 1, 0] });
      expect(rt.counters.imageLinesJudgedInWorkers - workersBefore, "the passes' lines judged in the workers: the appended good one, the corrupted one, then the repaired file's 26 clean ones").toBe(28);
    } finally {
      await stopJudging(rt);
    }
  });

  it("a transcript OpenClaw's repair will rewrite: the workers judge every image line ahead (also after the line the pass repairs), so the passes after the rewrites judge only what changed since on the main thread — none but a corrupted image; the same result, bytes and cache as OpenClaw's pass", { timeout: 600_000 }, async (ctx) => {
    const w = await workersJudging();
    if (typeof w === "string") return ctx.skip(w);
    try {
      // None ahead on the main thread; the added and the rewritten image lines are judged in the workers, only the corrupted one on it.
      await warmUpRewrittenThenPasses(w, pair, { ahead: 0, passes: [0, 0, 0, 1, 0] });
    } finally {
      await stopJudging(w.rt);
    }
  });
});
