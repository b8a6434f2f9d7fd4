/**
 * One build, start to finish, inside a worker: read and index the transcript, resolve the active
 * branch, build the system prompt, fit the budget while counting tokens, encode the buffer.
 * Runs in-process too (tests, the CLI's --no-pool fallback); it only needs a file path and options.
 */
import { closeSync, constants, fstatSync, openSync, type Stats } from "node:fs";
import { HeaderFlag, type ContextMeta } from "../src/buffer-layout.js";
import type { CompileTask } from "../src/compile-task.js";
import { CtxcError, Errors } from "../src/errors.js";
import { fitBudget } from "./assemble/fit-budget.js";
import { encodeContext } from "./assemble/encode-context.js";
import { materialize, parsedMessage, type MaterializedMessage } from "./assemble/materialize.js";
import { RangeReader } from "./assemble/range-reader.js";
import { buildSystemPrompt } from "./bootstrap/system-prompt.js";
import { countMessageTokens } from "./tokenize/message-tokens.js";
import { createTokenCounter } from "./tokenize/token-counter.js";
import { resolveActiveBranch } from "./transcript/active-branch.js";
import { DiagnosticLog } from "./transcript/diagnostics.js";
import { readLines } from "./transcript/line-reader.js";
import { TranscriptIndex } from "./transcript/transcript-index.js";

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return "directory";
  if (stats.isFIFO()) return "FIFO";
  if (stats.isSocket()) return "socket";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "device";
  return "special file";
}

/**
 * Opens the transcript read-only. O_NONBLOCK so that a FIFO does not block the worker until a writer
 * shows up; it is then refused as not a regular file.
 */
export function openTranscript(path: string): { fd: number; stats: Stats } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw Errors.fromTranscriptIo(path, err as NodeJS.ErrnoException);
  }
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    closeSync(fd);
    throw Errors.transcriptNotAFile(path, fileKind(stats));
  }
  return { fd, stats };
}

export async function compile(task: CompileTask): Promise<ArrayBuffer> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + (now - mark);
    mark = now;
  };

  const diagnostics = new DiagnosticLog(task.maxDiagnostics);
  const index = new TranscriptIndex(diagnostics);
  const { fd, stats } = openTranscript(task.transcript);
  try {
    let read;
    try {
      read = readLines(
        fd,
        0,
        1,
        { chunkBytes: task.chunkBytes, maxLineBytes: task.maxLineBytes, until: stats.size },
        {
          onLine: (bytes, offset, lineNo) => index.ingestLine(bytes, offset, lineNo),
          onOversize: (offset, lineNo, length) =>
            diagnostics.add(
              "LINE_TOO_LONG",
              lineNo,
              offset,
              `line of ${length} bytes exceeds maxLineBytes (${task.maxLineBytes}); skipped`,
            ),
        },
      );
    } catch (err) {
      if (err instanceof CtxcError) throw err;
      throw Errors.fromTranscriptIo(task.transcript, err as NodeJS.ErrnoException);
    }
    if (read.torn) {
      diagnostics.add(
        "TORN_TAIL",
        read.torn.lineNo,
        read.torn.offset,
        `last line (${read.torn.length} bytes) has no newline yet; excluded until it is complete`,
      );
    }
    lap("readParse");

    const branch = resolveActiveBranch(index, diagnostics);
    lap("resolve");

    const counter = createTokenCounter(task.tokenizer);
    const system = task.workspaceDir
      ? await buildSystemPrompt(task.workspaceDir, task.bootstrap, diagnostics)
      : { text: "", files: [] };
    const systemTokens = system.text === "" ? 0 : counter.count(system.text);
    lap("bootstrap");

    const reader = new RangeReader(fd, task.transcript);
    const materialized: (MaterializedMessage | undefined)[] = new Array(branch.items.length);
    let readMs = 0;
    const measure = (i: number): number => {
      const t0 = performance.now();
      const m = materialize(branch.items[i]!, reader);
      readMs += performance.now() - t0;
      m.tokens = countMessageTokens(parsedMessage(m), counter);
      materialized[i] = m;
      return m.tokens;
    };
    const fit = fitBudget(branch.items, systemTokens, task.budget, measure);
    if (fit.overBudget) {
      diagnostics.add(
        "BUDGET_TOO_SMALL",
        0,
        0,
        `budget ${task.budget} is smaller than the system prompt and compaction summary; all other messages dropped`,
      );
    }
    const messages = fit.kept.map((i) => materialized[i]!);
    lap("tokenize");
    timings.readBack = readMs;
    timings.tokenize! -= readMs;

    const meta: ContextMeta = {
      thinkingLevel: branch.thinkingLevel,
      model: branch.model,
      tokenizer: counter.name,
      budget: task.budget,
      transcript: {
        path: task.transcript,
        bytes: read.end,
        lines: read.nextLineNo - 1,
        entries: index.records.length,
        sessionId: typeof index.header?.id === "string" ? index.header.id : undefined,
        cwd: typeof index.header?.cwd === "string" ? index.header.cwd : undefined,
        leafId: branch.leafId as string | null,
      },
      bootstrapFiles: system.files,
      diagnosticCounts: diagnostics.counts,
      timings,
    };
    const buffer = encodeContext({
      flags: (task.budget !== null ? HeaderFlag.budgetApplied : 0) | (counter.exact ? HeaderFlag.exactTokens : 0),
      meta,
      systemPrompt: system.text,
      systemTokens,
      messages,
      diagnostics: diagnostics.finish(),
      droppedCount: fit.dropped,
      droppedTokensEstimate: fit.droppedEstimate,
    });
    return buffer;
  } finally {
    closeSync(fd);
  }
}
