/**
 * When to split a cold build's byte pass over two lanes (issue 14), main-thread side. Five agents going
 * cold at once on two lanes split 3/2: the lane with three ran ~430 ms of CPU while the other finished
 * its two at ~230 ms and sat idle. A cold build placed on a lane that will then hold more builds than
 * another lane has its second part — from {@link SPLIT_AT} of the file on — scanned by that other lane
 * (native-free-workers/split-handoff.ts), which runs the scan between its own slices, ahead of them.
 * The owner reads the first part, then replays the other lane's batch (session/range-merge.ts); if it
 * reaches the cut before the scan started, it takes the scan back and reads on itself, so a split never
 * leaves a build waiting on a lane that is busy.
 */
import { statSync } from "node:fs";
import { MessageChannel } from "node:worker_threads";
import type { Job, Lane } from "./lane.js";

/** Smaller transcripts are not split: their byte pass is a few ms, less than the hand-over's worth. */
export const SPLIT_MIN_BYTES = 4 * 1024 * 1024;
/**
 * Where the cut goes, as a share of the file: the owner reads the part before it. Below one half, so the
 * lane with more builds gives away more than half of a build's byte pass (~40 % of a cold build's CPU):
 * with three builds against two, two splits then move about as much work as the imbalance.
 */
export const SPLIT_AT = 0.3;

/**
 * Splits `job` (a cold build of a JSONL transcript about to be queued on `lane`) when it will wait behind
 * another build there while another lane holds no more builds than `lane` does now: that lane gets the
 * scan of its second part. Returns the lane that scans, or null when the build is not split.
 */
export function splitColdBuild(job: Job, lane: Lane, lanes: readonly Lane[]): Lane | null {
  if (lane.load === 0 || job.task.session !== null) return null;
  let other: Lane | null = null;
  for (const l of lanes) if (l !== lane && l.load <= lane.load && (!other || l.load < other.load)) other = l;
  if (!other) return null;
  let size: number;
  try {
    size = statSync(job.task.transcript).size;
  } catch {
    return null; // the build reports what is wrong with the file
  }
  if (size < SPLIT_MIN_BYTES) return null;
  const at = Math.floor(size * SPLIT_AT);
  const { port1, port2 } = new MessageChannel();
  const claim = new SharedArrayBuffer(4);
  job.split = { at, claim, port: port2 };
  other.scanRange({ path: job.task.transcript, at, chunkBytes: job.task.chunkBytes, maxLineBytes: job.task.maxLineBytes, claim, port: port1 });
  return other;
}
