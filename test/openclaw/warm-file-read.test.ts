/**
 * The restart warm-up's warming of Node's fs.promises file-handle code (src/openclaw/warm-file-read.ts, issue #11,
 * first turn after a restart): OpenClaw's prewarm (`sessionManagerCache.prewarmSessionFile`: open, 4 KiB read,
 * close) is a restarted ctxc process's first main-thread FileHandle sequence, and paid Node's first-call cost
 * inside the first turn. What the warm is for is V8's code, so that is what is checked, by V8's own function
 * events in a child process (`--log-function-events`): after the warm, the prewarm's sequence runs no function
 * for the first time; without it, it does (the check is not vacuous). And the warm leaves the file as it was.
 * The warm-up's results against the release's own functions: test/matrix/restart-warmup.test.ts.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/tmp.js";
import { runWithFunctionEvents } from "../support/v8-function-events.js";

const module = JSON.stringify(pathToFileURL(join(import.meta.dirname, "..", "..", "dist", "src", "openclaw", "warm-file-read.js")).href);

/** A child that (optionally) warms on one transcript, then runs the body of OpenClaw 2026.7.35's prewarm on another. */
const child = (transcript: string, other: string, warm: boolean) => `
import * as fsModule from "node:fs/promises";
const { warmFileReadCode } = await import(${module});
if (${warm}) { await warmFileReadCode(${JSON.stringify(other)}); await warmFileReadCode(${JSON.stringify(other)}); }
(function MARK_TURN() {})();
// sessionManagerCache.prewarmSessionFile's body (attempt.model-diagnostic-events chunk), the cache check aside.
const handle = await fsModule.open(${JSON.stringify(transcript)}, "r");
try {
  const buffer = Buffer.alloc(4096);
  await handle.read(buffer, 0, buffer.length, 0);
} finally {
  await handle.close();
}
(function MARK_END() {})();
`;

/** The names of the functions V8 ran for the first time during the prewarm's sequence. */
function firstRunInPrewarm(warm: boolean): string[] {
  const dir = tempDir("ctxc-warm-file-read-");
  const transcript = join(dir, "a.jsonl");
  const other = join(dir, "b.jsonl");
  writeFileSync(transcript, '{"type":"session"}\n'.repeat(400));
  writeFileSync(other, '{"type":"session"}\n');
  const before = statSync(other);
  const file = join(dir, "child.mjs");
  writeFileSync(file, child(transcript, other, warm));
  const { events } = runWithFunctionEvents(dir, file, "MARK_TURN");
  const after = statSync(other);
  expect([after.size, after.mtimeMs, readFileSync(other, "utf8")]).toEqual([before.size, before.mtimeMs, '{"type":"session"}\n']);
  const firstRun: string[] = [];
  let on = false;
  for (const e of events) {
    if (e.kind !== "first-execution") continue;
    if (e.name === "MARK_TURN") on = true;
    else if (e.name === "MARK_END") break;
    else if (on) firstRun.push(e.name);
  }
  return firstRun;
}

describe("the restart warm-up warms Node's fs.promises file-handle code OpenClaw's first prewarm runs", () => {
  it("after the warm (on another file, twice: once runs), the prewarm's open / read / close runs no function for the first time; the warmed file is untouched", () => {
    expect(firstRunInPrewarm(true)).toEqual([]);
  });

  it("without it, the prewarm's sequence runs Node's read code for the first time (the check above is not vacuous)", () => {
    const firstRun = firstRunInPrewarm(false);
    expect(firstRun).toContain("read");
    expect(firstRun).toContain("fsCall");
  });
});
