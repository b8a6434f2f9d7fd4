/**
 * The image lines a transcript's first repair pass would judge in a turn, judged ahead in the warm-up's
 * idle time (issue #11, 2026.6.5+): of a transcript OpenClaw's repair pass will rewrite (below), and of one
 * the warm-up built (`judgeImagesAhead`'s `rewritten: false`: its first pass checks the file as it is).
 *
 * Why: such a transcript's first turn runs the release's repair (a rewrite), and on 2026.7.35 the header
 * rewrite after it; both start a new worker read state, and the header rewrite drops the release's repair
 * cache, so the NEXT pass is ctxc's check of the file as rewritten — with every image line of a generation
 * no judge has seen, each parsed and judged by the release's `isCorruptedImageContentBlock` on the main
 * thread in that turn (bench openclaw-turns --repair, 28 MB: ~20–37 ms; the real gateway's first-start
 * profile: `ctxc repairPass` 65 ms over five agents). The rewrites re-serialise every untouched line byte
 * for byte, so a verdict kept by the line's text (judged-images.ts `lineHasCorruptedImage`) still answers
 * then. The warm-up has read the file whole anyway (it skips only the build): one more worker request, for
 * the check's image lines of that read, and the judging here, in slices between macrotasks, before any turn.
 *
 * Exact: the same judge, on the same lines, as the pass would call it; a line found corrupted is not kept
 * (the pass judges it again and stock repairs it). Nothing here changes what the pass returns or writes.
 *
 * Where the workers run the release's judge themselves (2026.6.5+, release/worker-judge.ts), the request
 * names it and the worker judges the lines there: only those it does not find clean come back to be judged
 * here, so on a first start the judging costs the main thread nothing.
 */
import { readRepairCheckAsync } from "./session.js";
import { judgedImagesOf, judgeName, lineHasCorruptedImage, rememberJudgedImages } from "./judged-images.js";

/** The release's `isCorruptedImageContentBlock`, when the loaded chunk's repair pass has the image rule (preload-runtime.ts `chunkEvaluated`). */
let imageJudge: ((block: unknown) => boolean) | undefined;

/** Notes the chunk's judge (undefined: a release without the image rule, or none loaded). */
export function noteImageJudge(judge: unknown): void {
  imageJudge = typeof judge === "function" ? (judge as (block: unknown) => boolean) : undefined;
}

/**
 * How the warm-up runs the judging: its slices (restart-warmup.ts `slicedPauses`, started once the read is
 * back: what to await between two lines — at once within a slice, the next macrotask after it), its
 * main-thread block counter, its stop.
 */
export interface PrejudgeSlicing {
  startSlices: () => () => Promise<void>;
  block: <T>(run: () => T) => T;
  stopped: () => boolean;
}

/**
 * Judges ahead the image lines of `path`'s worker read that the release's pass would judge in its first
 * turn; resolves to how many lines it judged (0 without a judge, a release named, or a complete read).
 * Never rejects: anything failing only leaves the judging to the pass, as before.
 *
 * - `rewritten`: OpenClaw's repair pass will rewrite the file first (see the file comment): every complete
 *   image line of the read, kept by its text for the pass after the rewrites.
 * - otherwise (a transcript the warm-up built: its pass checks the file as it is): the lines the pass would
 *   be sent — those not already judged clean by this judge (the worker leaves out what its read state and
 *   persistent index hold judged) — judged here, by their text, as the pass judges them; when all are
 *   clean, the read's settled image records are remembered as judged (judged-images.ts), as the pass
 *   remembers them after judging, so its check is sent none of them. Issue #11, the first turn on a FIRST
 *   start (nothing in the index): the real gateway's profile showed `ctxc repairPass` at 230 ms over five
 *   agents' first turns on transcripts with nothing to repair — all of it these lines' judging.
 */
export async function judgeImagesAhead(path: string, slicing: PrejudgeSlicing, { rewritten }: { rewritten: boolean }): Promise<number> {
  const judge = imageJudge;
  const name = judge && judgeName(judge);
  if (!judge || name === undefined) return 0;
  try {
    const seen = judgedImagesOf(path);
    // The judge named in both: a worker that runs it (image-judge.ts) judges the lines there and sends only those it does not find clean.
    const reply = await readRepairCheckAsync(path, rewritten ? { images: true, allImages: true, judge: name } : { images: true, judge: name, ...(seen ? { imagesFrom: seen } : {}) });
    if (!reply.complete) return 0;
    const between = slicing.startSlices();
    let judged = reply.imageLinesJudgedInWorker ?? 0;
    let clean = true;
    for (const line of reply.imageLines) {
      await between();
      if (slicing.stopped()) return judged;
      // A corrupted line is not kept: the pass finds it again. One that does not parse as the pass parses
      // image lines is left to it too.
      slicing.block(() => {
        try {
          if (lineHasCorruptedImage(judge, line)) clean = false;
        } catch {
          clean = false; // the pass parses it itself
        }
      });
      judged++;
    }
    // The pass's own bookkeeping after a check whose image lines were all clean (repair-pass.ts).
    if (!rewritten && clean) rememberJudgedImages(path, reply.meta.generation, reply.imageRecordsSettled);
    return judged;
  } catch {
    return 0;
  }
}
