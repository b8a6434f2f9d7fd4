/**
 * Both ends of a split cold build's hand-over between two lanes (issue 14), worker side: the scanning
 * lane's `scanRange` request, and the owning build's {@link RangeSplit} that waits for its batch. The
 * main thread pairs them (src/split-cold.ts): one MessageChannel, whose ends the two requests carry,
 * and one claim cell, so the second part is scanned exactly once — by the other lane if it got there
 * first, else by the owner itself.
 */
import { receiveMessageOnPort } from "node:worker_threads";
import { claimOpen, keyBatchTransferList, ScanClaim, type KeyBatch, type ScanRangeRequest, type SplitWire } from "./protocol/key-batch.js";
import { openTranscript } from "./io/open-file.js";
import { closeSync } from "node:fs";
import { scanRange } from "./pi/range-scan.js";
import type { RangeSplit } from "./compile.js";

/** The scanning lane: claims the scan, runs it, posts the batch (moved) or null. Never throws. */
export function scanForOwner(request: ScanRangeRequest): void {
  const { port } = request;
  try {
    if (claimOpen(request.claim, ScanClaim.scanning) !== ScanClaim.open) return;
    let batch: KeyBatch | null = null;
    try {
      const { fd, stats } = openTranscript(request.path);
      try {
        batch = scanRange(fd, request.at, {
          until: stats.size, chunkBytes: request.chunkBytes, maxLineBytes: request.maxLineBytes, dev: stats.dev, ino: stats.ino,
        });
      } finally {
        closeSync(fd);
      }
    } catch {
      batch = null; // the owner reads the rest itself and meets the same error, coded, if it is one
    }
    port.postMessage(batch, batch ? keyBatchTransferList(batch) : []);
  } finally {
    port.close();
  }
}

/** The owning build's side: at the cut, take the rest back if the scan never started, else wait for its batch. */
export function ownerSplit(wire: SplitWire): RangeSplit {
  return {
    at: wire.at,
    take() {
      const was = claimOpen(wire.claim, ScanClaim.takenBack);
      if (was === ScanClaim.open || was === ScanClaim.failed) return done(null);
      const received = receiveMessageOnPort(wire.port);
      return received ? done(received.message as KeyBatch | null) : undefined;
    },
  };
  function done(batch: KeyBatch | null): KeyBatch | null {
    wire.port.close();
    return batch;
  }
}
