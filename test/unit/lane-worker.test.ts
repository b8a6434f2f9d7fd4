/**
 * A lane's worker (src/lane-worker.ts) starts under the Node options a gateway or a script may run with —
 * per-process flags (`--expose-gc`, which Node refuses in a worker's `execArgv`) and `--input-type=module
 * -e` (with which a worker whose entry is a module file fails to start) — and an idle lane does not keep
 * the process alive: a script that builds and never calls `close()` exits. Each in a child process.
 * And it loads the compiler's default tokenizer before it takes its first request.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type { Worker } from "node:worker_threads";
import { LaneWorker } from "../../src/lane-worker.js";
import { Lane } from "../../src/lane.js";
import { WORKER_FILE } from "../../src/worker-file.js";
import { resolveBackend } from "../../native-free-workers/tokenize/token-counter.js";
import type { TokenizerName } from "../../native-free-workers/protocol/tokenizers.js";
import { assistant, chain, jsonl, msg, user } from "../support/transcript-builder.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";

const dir = tempDir("lane-worker");
const write = tempFileWriter(dir, "t");
const index = pathToFileURL(join(import.meta.dirname, "..", "..", "dist", "src", "index.js")).href;

/** Builds `path` twice (cold, then warm after an append) in a child `node <flags> -e`, without closing. */
function buildInChild(flags: string[], path: string): { messages: number[]; kinds: (string | null)[] } {
  const script = `
    import { createCompiler } from ${JSON.stringify(index)};
    import { appendFileSync } from "node:fs";
    const c = createCompiler({ threads: 2 });
    const a = await c.build({ transcript: ${JSON.stringify(path)} });
    appendFileSync(${JSON.stringify(path)}, ${JSON.stringify(jsonl([msg(user("and one more"), { id: "late", parentId: "m2", timestamp: "2026-01-05T08:00:09.000Z" })]))});
    const b = await c.build({ transcript: ${JSON.stringify(path)} });
    console.log(JSON.stringify({ messages: [a.messageCount, b.messageCount], kinds: [a.meta.build.rebuilt, b.meta.build.rebuilt] }));`;
  const out = execFileSync(process.execPath, [...flags, "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
  return JSON.parse(out.trim().split("\n").pop()!) as { messages: number[]; kinds: (string | null)[] };
}

describe("lane worker", () => {
  const lines = chain([msg(user("hello"), { id: "m1" }), msg(assistant([{ type: "text", text: "hi" }]), { id: "m2" })]);

  it("starts under --input-type=module -e and under --expose-gc; builds cold then warm; the idle lanes let the process exit", () => {
    for (const flags of [[], ["--expose-gc"]]) {
      const path = write(jsonl(lines));
      expect(buildInChild(flags, path)).toEqual({ messages: [2, 3], kinds: ["cold", null] });
    }
  });

  /** The encoder a counter of `name` runs most, as the worker names it. */
  const primary = (name: TokenizerName) => `${resolveBackend(name) === "tiktoken" ? "tiktoken" : "gpt-tokenizer"}:${name}`;

  it("loads the compiler's default tokenizer before its first request; none for estimate or when not asked", async () => {
    const cases: [TokenizerName | undefined, string[]][] = [
      ["o200k_base", [primary("o200k_base")]],
      ["cl100k_base", [primary("cl100k_base")]],
      ["estimate", []],
      [undefined, []],
    ];
    for (const [preloadTokenizer, expected] of cases) {
      const worker = new LaneWorker(WORKER_FILE, undefined, preloadTokenizer === undefined ? undefined : { preloadTokenizer });
      try {
        // The first request the worker takes: the encoder is already there (loaded at start, not by this request).
        expect(await worker.send({ op: "encoders" }), String(preloadTokenizer)).toEqual({ encoders: expected });
      } finally {
        await worker.close();
      }
    }
  });

  it("a lane's worker, and one that replaces it, start with the lane's tokenizer loaded", async () => {
    const lane = new Lane({ sliceMs: 50, maxCacheBytes: 1 << 20, preloadTokenizer: "cl100k_base" });
    // Reaching into the lane: its worker is private (the lane queues requests; this one runs with nothing queued).
    const worker = (lane as unknown as { worker: LaneWorker }).worker;
    try {
      expect(await worker.send({ op: "encoders" })).toEqual({ encoders: [primary("cl100k_base")] });
      // The thread dies (as on a crash or an out-of-memory exit); the next request starts a new one.
      const thread = (worker as unknown as { worker: Worker }).worker;
      await thread.terminate();
      expect(await worker.send({ op: "encoders" })).toEqual({ encoders: [primary("cl100k_base")] });
      expect((worker as unknown as { worker: Worker }).worker).not.toBe(thread);
    } finally {
      await lane.close();
    }
  });
});
