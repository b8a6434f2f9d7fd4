/**
 * The image records the repair pass (repair-pass.ts) has already judged clean, per transcript: the first
 * `records` image records of the worker's read state `generation`. The release's judge
 * (`isCorruptedImageContentBlock`: a base64 decode and an image-signature sniff of the block) is a function
 * of the block alone, and a read state's complete lines never change (a state only grows by appended
 * lines; a rewrite starts a new generation), so a continued read need not send, nor the main thread
 * judge, those lines again: on a transcript with images that was most of a later turn's pass (bench
 * openclaw-repair-later: the judge ~90 % of its main-thread ms at 28 MB).
 */

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
