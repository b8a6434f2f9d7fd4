/**
 * The image lines of a transcript OpenClaw's repair pass will rewrite, judged ahead in the first-start
 * warm-up's idle time (issue #11, a first start on 2026.6.5+).
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
 */
import { readRepairCheckAsync } from "./session.js";
import { judgeName, lineHasCorruptedImage } from "./judged-images.js";

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
 * Judges the image lines of `path`'s worker read (a whole one: the warm-up's) that the judge has not found
 * clean before; resolves to how many lines it judged or found judged (0 without a judge, a release named,
 * or a complete read). Never rejects: anything failing only leaves the judging to the pass, as before.
 */
export async function judgeImagesAhead(path: string, slicing: PrejudgeSlicing): Promise<number> {
  const judge = imageJudge;
  const name = judge && judgeName(judge);
  if (!judge || name === undefined) return 0;
  try {
    const reply = await readRepairCheckAsync(path, { images: true, allImages: true });
    if (!reply.complete) return 0;
    const between = slicing.startSlices();
    let judged = 0;
    for (const line of reply.imageLines) {
      await between();
      if (slicing.stopped()) break;
      // A corrupted line is not kept: the pass finds it again. One that does not parse as the pass parses
      // image lines is left to it too.
      slicing.block(() => {
        try {
          lineHasCorruptedImage(judge, line);
        } catch {
          // the pass parses it itself
        }
      });
      judged++;
    }
    return judged;
  } catch {
    return 0;
  }
}
