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

/**
 * The release (register.ts, at gateway start) and the names given to its judge: after a restart the worker
 * leaves out the lines this judge found clean before (kept in its persistent index under the name:
 * RepairCheckOptions.judge), so the name must change whenever the verdict could — another OpenClaw release
 * (the judge's base64 and signature rules live in other chunks), another Node (their Buffer decoding), or
 * another judge body.
 */
let release: string | undefined;
const names = new WeakMap<object, string>();

/** Names the release whose judge the passes call (register.ts); undefined: none (nothing kept across restarts). */
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
  if (name === undefined) names.set(judge, (name = `openclaw ${release}, node ${process.version}, judge ${createHash("sha256").update(String(judge)).digest("hex").slice(0, 16)}`));
  return name;
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
