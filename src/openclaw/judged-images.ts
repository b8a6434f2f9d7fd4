/**
 * The image records the repair pass (repair-pass.ts) has already judged clean, per transcript: the first
 * `records` image records of the worker's read state `generation`. The release's judge
 * (`isCorruptedImageContentBlock`: a base64 decode and an image-signature sniff of the block) is a function
 * of the block alone, and a read state's complete lines never change (a state only grows by appended
 * lines; a rewrite starts a new generation), so a continued read need not send, nor the main thread
 * judge, those lines again: on a transcript with images that was most of a later turn's pass (bench
 * openclaw-repair-later: the judge ~90 % of its main-thread ms at 28 MB). What the judge found clean also
 * outlives a restart, in the worker's persistent index ({@link judgeName}): the first pass after it judges
 * only the image lines appended since the index was saved (issue #11, the first turn after a restart).
 */

import { createHash } from "node:crypto";
import type { WorkerJudgePlan } from "./release/worker-judge.js";
import type { ImageJudgeSpec } from "../../native-free-workers/protocol/image-judge.js";

/**
 * The release (preload-install.ts, at gateway start) and the names given to its judge: after a restart the worker
 * leaves out the lines this judge found clean before (kept in its persistent index under the name:
 * RepairCheckOptions.judge), so the name must change whenever the verdict could — another OpenClaw release
 * (the judge's base64 and signature rules live in other chunks), another Node (their Buffer decoding), or
 * another judge body.
 */
let release: string | undefined;
const names = new WeakMap<object, string>();

/** Names the release whose judge the passes call (preload-install.ts); undefined: none (nothing kept across restarts). */
export function setJudgeRelease(version: string | undefined): void {
  release = version;
}

/**
 * The name the worker keeps `judge`'s verdicts under across restarts, or undefined when no release was
 * named (the chunks loaded other than by the preload: nothing is kept across restarts then).
 */
export function judgeName(judge: unknown): string | undefined {
  if (release === undefined || typeof judge !== "function") return undefined;
  let name = names.get(judge);
  if (name === undefined) names.set(judge, (name = judgeNameOfSource(String(judge))!));
  return name;
}

/**
 * The name of the judge whose source text is `source` (what `String(judge)` gives): the workers' judge
 * (release/worker-judge.ts) is built from the same text, so it is kept under the same name. Undefined when
 * no release was named.
 */
export function judgeNameOfSource(source: string): string | undefined {
  return release === undefined ? undefined : `openclaw ${release}, node ${process.version}, judge ${createHash("sha256").update(source).digest("hex").slice(0, 16)}`;
}

/**
 * The workers' judge for `plan` (release/worker-judge.ts), named as the main thread names the same function:
 * by its entry's source text. Undefined when no release was named (nothing would ask for it by name).
 */
export function workerJudgeSpec(plan: WorkerJudgePlan): ImageJudgeSpec | undefined {
  const entry = plan.functions.find((f) => f.startsWith(`function ${plan.entry}(`));
  const name = entry === undefined ? undefined : judgeNameOfSource(entry);
  return name === undefined ? undefined : { ...plan, name };
}

/** What one transcript's earlier passes judged (RepairCheckOptions.imagesFrom). */
export interface JudgedImages {
  generation: string;
  records: number;
}

/** Transcripts remembered at most (a gateway's agents' files; the oldest is forgotten first). */
const MAX_FILES = 64;
const judged = new Map<string, JudgedImages>();

/** What was judged of `file`'s images, for the next check's request. */
export function judgedImagesOf(file: string): JudgedImages | undefined {
  return judged.get(file);
}

/** The first `records` image records of read state `generation` of `file` were all judged clean. */
export function rememberJudgedImages(file: string, generation: string | null, records: number): void {
  judged.delete(file);
  if (generation === null) return;
  judged.set(file, { generation, records });
  if (judged.size > MAX_FILES) judged.delete(judged.keys().next().value!);
}

/**
 * Image lines a named judge found clean, by their text (SHA-256 of the judge's name and the line), in this
 * process: what outlives the read state — OpenClaw's own whole-file writes (its repair pass's rewrite, the
 * header rewrite of a session's first turn, 2026.7.35) start a new generation, whose records the
 * generation-keyed record above cannot speak for, yet they re-serialise every untouched line byte for byte.
 * The verdict is a function of the line alone (its parse's blocks, judged by the release's pure judge under
 * a name that changes with release, Node and judge body: {@link judgeName}), so a line judged clean once
 * need not be judged again in any read of any file. Issue #11, a first start: the first-start warm-up judges
 * the lines of a transcript the repair pass will rewrite in idle time (image-prejudge.ts), and the pass
 * after the rewrites finds them here instead of judging every image line of the file in the turn.
 */
const cleanLines = new Map<string, true>();
/** Lines remembered at most (~90 per 28 MB seeded transcript; the oldest is forgotten first). */
const MAX_CLEAN_LINES = 16_384;

const lineKey = (name: string, line: string): string => createHash("sha256").update(name).update("\n").update(line).digest("base64");

/**
 * Whether `line` — an image record's line, as the worker sends it (RepairCheckReply.imageLines) — has a
 * block `judge` finds corrupted: the release's verdict (its parse as stock parses its lines, each block
 * judged; throws as that parse throws), answered from {@link cleanLines} when this judge found the same
 * line clean before. Without a judge name (no release named: preload-install.ts) nothing is kept.
 */
export function lineHasCorruptedImage(judge: (block: unknown) => boolean, line: string): boolean {
  const name = judgeName(judge);
  const key = name === undefined ? undefined : lineKey(name, line);
  if (key !== undefined && cleanLines.has(key)) return false;
  const content = (JSON.parse(line) as { message: { content: unknown[] } }).message.content;
  if (content.some((block) => judge(block))) return true;
  if (key !== undefined) {
    cleanLines.set(key, true);
    if (cleanLines.size > MAX_CLEAN_LINES) cleanLines.delete(cleanLines.keys().next().value!);
  }
  return false;
}

/** A restarted process keeps none of it (tests: a gateway restart in process). */
export function forgetJudgedLines(): void {
  cleanLines.clear();
}
