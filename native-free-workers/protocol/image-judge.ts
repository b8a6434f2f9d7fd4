/**
 * The wire contract of the image judge a worker runs (native-free-workers/openclaw/image-judge.ts): OpenClaw
 * 2026.6.5+'s own `isCorruptedImageContentBlock`, rebuilt in the worker from the release's source text, so
 * the repair pass's image lines are judged off the gateway's main thread (issue #11: an agent's first turn
 * ever). src/openclaw/release/worker-judge.ts builds it from the located release; the pool hands it to each
 * worker at start (OpenClawWorkerData.imageJudge).
 */

/** One binding the judge's functions take from another chunk: `exported` of the module at `url`, named `local`. */
export interface ImageJudgeImport {
  local: string;
  /** file: URL of the release's chunk (never a chunk ctxc rewrites: the worker imports the file as it is). */
  url: string;
  exported: string;
}

/**
 * OpenClaw's judge as the worker rebuilds it: the source texts of the chunk's top-level functions it is made
 * of (its own and the helpers it calls, each exactly as in the release's chunk), evaluated in strict mode (an
 * ES module's) with the imported bindings in scope; `entry` is the judge.
 */
export interface ImageJudgeSpec {
  /**
   * The name its verdicts are kept under (RepairCheckOptions.judge; src/openclaw/judged-images.ts
   * `judgeName`): the same as the main thread's judge of the same release, Node and body, since it is the
   * same code — a check names it to have the worker judge.
   */
  name: string;
  entry: string;
  functions: string[];
  imports: ImageJudgeImport[];
}

/** How a worker's `ready` answer starts when it could not build the judge it was given (the reason follows). */
const NOT_BUILT = "ready; no image judge: ";

/** The `ready` op's answer (openclaw-worker.ts): "ready", or why the worker could not build the judge it was given. */
export function readyReply(judgeFailed: string | null): string {
  return judgeFailed === null ? "ready" : `${NOT_BUILT}${judgeFailed}`;
}

/** Why a worker's `ready` answer says it could not build its image judge, or undefined (built, or none given). */
export function judgeNotBuilt(reply: unknown): string | undefined {
  return typeof reply === "string" && reply.startsWith(NOT_BUILT) ? reply.slice(NOT_BUILT.length) : undefined;
}
