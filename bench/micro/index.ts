/** All micro benchmarks, in one call. */
import { availableParallelism } from "node:os";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateTranscript } from "../fixtures/transcript-generator.js";
import { createCompiler } from "../../src/index.js";
import { transcriptOfSize } from "../lib/data.js";
import { DATA_DIR } from "../lib/paths.js";
import type { MicroResult } from "../lib/tinybench-util.js";
import { benchBuffer } from "./buffer.js";
import { messageTexts, transcriptLines } from "./corpus.js";
import { SIMDJSON_NOTE, benchParser } from "./parser.js";
import { benchPool } from "./pool.js";
import { benchReader } from "./reader.js";
import { benchTokenizers } from "./tokenizer.js";
import { benchTransfer } from "./transfer.js";

export interface MicroSuite {
  transcriptBytes: number;
  reader: MicroResult[];
  parser: MicroResult[];
  parserNote: string;
  tokenizer: MicroResult[];
  tokenizerCorpusBytes: number;
  buffer: { budget: string; results: MicroResult[] }[];
  transfer: MicroResult[];
  pool: MicroResult[];
}

export async function runMicro(opts: { quick: boolean; log: (s: string) => void }): Promise<MicroSuite> {
  const t0 = performance.now();
  const log = opts.log;
  opts = { ...opts, log: (s) => log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}`) };
  const timeMs = opts.quick ? 150 : 2000;
  const file = await transcriptOfSize(10);
  opts.log(`micro: reader (${(file.bytes / 1e6).toFixed(1)} MB)`);
  const reader = await benchReader(file.path, timeMs);
  const lines = transcriptLines(file.path);
  opts.log("micro: parser");
  const parser = await benchParser(file.path, lines, timeMs);
  const texts = messageTexts(lines, opts.quick ? 200_000 : 2_000_000);
  opts.log("micro: tokenizers");
  const tokenizer = await benchTokenizers(texts, timeMs);
  const compiler = createCompiler({ threads: 1 });
  const buffer: MicroSuite["buffer"] = [];
  let transfer: MicroResult[] = [];
  try {
    for (const budget of [120_000, null]) {
      opts.log(`micro: buffer (budget ${budget ?? "none"})`);
      const ctx = await compiler.build({ transcript: file.path, budget });
      buffer.push({ budget: budget === null ? "none" : String(budget), results: await benchBuffer(ctx, timeMs) });
      if (budget === null) {
        opts.log("micro: transfer vs structured clone");
        transfer = await benchTransfer(ctx, timeMs);
      }
    }
  } finally {
    await compiler.close();
  }
  opts.log("micro: pool start-up");
  const tiny = join(DATA_DIR, "tiny.jsonl");
  writeFileSync(tiny, generateTranscript({ seed: 7, entries: 20 }).text);
  const threads = [...new Set([1, availableParallelism()])];
  const pool = await benchPool(tiny, threads, opts.quick ? 200 : 1500);
  return {
    transcriptBytes: file.bytes,
    reader,
    parser,
    parserNote: SIMDJSON_NOTE,
    tokenizer,
    tokenizerCorpusBytes: texts.reduce((n, t) => n + Buffer.byteLength(t), 0),
    buffer,
    transfer,
    pool,
  };
}
