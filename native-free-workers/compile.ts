/**
 * One build inside a worker, as an async generator that yields between chunks and between messages,
 * so the worker can pause a long build and serve another agent's (see compile-worker.ts).
 *
 * Steps: check the session's saved state against the file (append? or rebuild, and why), read and
 * index only the bytes after the saved end, resolve the active branch, build the system prompt, fit
 * the budget while counting tokens newest-first (reusing cached counts), encode the one buffer.
 */
import { closeSync, constants, fstatSync, openSync, type Stats } from "node:fs";
import { HeaderFlag, type ContextMeta } from "./protocol/buffer-layout.js";
import type { CompileTask } from "./protocol/compile-task.js";
import { CtxcError, Errors } from "./protocol/errors.js";
import { encodeContext } from "./assemble/encode-context.js";
import { fitBudget } from "./assemble/fit-budget.js";
import { materialize, parsedMessage, type MaterializedMessage } from "./assemble/materialize.js";
import { RangeReader } from "./assemble/range-reader.js";
import { buildSystemPrompt, countSystemTokens } from "./bootstrap/system-prompt.js";
import { ChangeGuard } from "./session/change-guard.js";
import type { SessionCache } from "./session/session-cache.js";
import { loadState, saveState, type IndexSource } from "./session/persistent-index.js";
import { SessionState, type RebuildReason } from "./session/session-state.js";
import { storeProgress } from "./protocol/progress.js";
import { countMessageTokens } from "./tokenize/message-tokens.js";
import { createTokenCounter } from "./tokenize/token-counter.js";
import { resolveActiveBranch } from "./transcript/active-branch.js";
import { DiagnosticLog } from "./transcript/diagnostics.js";
import { LineReader } from "./transcript/line-reader.js";

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

/** Per-build facts reported in the META section (`meta.build`) and summed by `compiler.stats()`. */
export interface BuildReport {
  /** Why the build started from scratch, or null for a warm (append-only) build. */
  rebuilt: RebuildReason | null;
  /** Transcript bytes read and parsed by this build (only the appended part on a warm build). */
  bytesParsed: number;
  /** Messages tokenized by this build (cached counts are reused). */
  messagesTokenized: number;
  /** Tokens counted by this build. */
  tokensCounted: number;
  /** Approximate bytes of session state this worker holds after the build. */
  cacheBytes: number;
  /** Sessions this worker holds. */
  cachedSessions: number;
  /** Where the session state came from. */
  index: IndexSource;
}

/** Save the persistent index again once this many bytes were appended since the last save. */
const RESAVE_BYTES = 256 * 1024;

/** Yields while another build of the same transcript is reading it on this worker. */
async function* acquire(state: SessionState, jobId: number): AsyncGenerator<void, void> {
  while (state.owner !== null && state.owner !== jobId) yield;
  state.owner = jobId;
}

export async function* compileSteps(task: CompileTask, sessions: SessionCache, jobId: number): AsyncGenerator<void, ArrayBuffer> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + (now - mark);
    mark = now;
  };

  let opened: { fd: number; stats: Stats };
  try {
    opened = openTranscript(task.transcript);
  } catch (err) {
    sessions.delete(task.transcript); // gone or no longer a file: whatever comes back there is new
    throw err;
  }
  const { fd, stats } = opened;
  let state: SessionState | undefined;
  let guard: ChangeGuard | undefined;
  try {
    // 1. Continue from the saved state, or start over and say why.
    let rebuilt: RebuildReason | null = null;
    let source: IndexSource = "memory";
    const diagnostics = new DiagnosticLog(task.maxDiagnostics);
    state = sessions.get(task.transcript);
    if (!state && task.cacheDir) {
      const loaded = loadState(task.cacheDir, task.transcript, fd, stats, task.maxDiagnostics);
      source = loaded.source;
      if (loaded.state) {
        state = loaded.state;
        state.savedEnd = state.end;
        sessions.set(state);
      } else if (source !== "none") {
        diagnostics.add("INDEX_IGNORED", 0, 0, `persistent index for this transcript was ${source === "disk-stale" ? "stale (the transcript changed)" : "unreadable"}; rebuilt from scratch`);
      }
    } else if (!state) {
      source = "none";
    }
    if (state) {
      yield* acquire(state, jobId);
      // A state just loaded from disk was verified against this fd by loadState.
      rebuilt = (source === "disk" ? null : state.verify(fd, stats)) ?? state.indexedWith(task.maxLineBytes);
      if (rebuilt) {
        state.owner = null;
        sessions.delete(task.transcript);
        state = undefined;
      }
    } else {
      rebuilt = "cold";
    }
    if (!state) {
      state = new SessionState(task.transcript, stats, task.maxDiagnostics);
      state.maxLineBytes = task.maxLineBytes;
      state.owner = jobId;
      sessions.set(state);
    }
    if (state.tokenizer !== task.tokenizer) {
      if (state.tokenizer !== "" && rebuilt === null) rebuilt = "tokenizer";
      state.resetTokens(task.tokenizer);
    }

    // 2. Read and index the appended bytes (all of them on a cold build).
    const session = state;
    const startedAt = session.end;
    const reader = new LineReader(
      fd,
      session.end,
      session.nextLineNo,
      { chunkBytes: task.chunkBytes, maxLineBytes: task.maxLineBytes, until: stats.size },
      {
        onLine: (bytes, offset, lineNo) => {
          session.observeLine(offset, bytes.length, bytes);
          session.index.ingestLine(bytes, offset, lineNo);
          session.end = offset + bytes.length + 1;
          session.nextLineNo = lineNo + 1;
        },
        onOversize: (offset, lineNo, length) => {
          session.observeLine(offset, length, null);
          if (task.lineTooLong === "fail") throw Errors.lineTooLong(task.transcript, lineNo, offset, length, task.maxLineBytes);
          session.parseDiagnostics.add(
            "LINE_TOO_LONG",
            lineNo,
            offset,
            `line of ${length} bytes exceeds maxLineBytes (${task.maxLineBytes}); skipped`,
          );
          session.end = offset + length + 1;
          session.nextLineNo = lineNo + 1;
        },
      },
    );
    guard = new ChangeGuard(fd, task.transcript, stats);
    try {
      while (reader.step()) {
        session.snapshot(fd); // keep the state verifiable even if this build is paused and dropped
        storeProgress(task.progress, "read", (session.end - startedAt) >> 10, (stats.size - startedAt) >> 10);
        yield;
        guard.check(session, reader.readTo); // while paused, the file may have been truncated or rewritten
      }
    } catch (err) {
      if (err instanceof CtxcError) throw err;
      throw Errors.fromTranscriptIo(task.transcript, err as NodeJS.ErrnoException);
    }
    session.snapshot(fd);
    const read = reader.result();
    if (read.torn) {
      diagnostics.add(
        "TORN_TAIL",
        read.torn.lineNo,
        read.torn.offset,
        `last line (${read.torn.length} bytes) has no newline yet; excluded until it is complete`,
      );
    }
    lap("readParse");

    // 3. The active branch and what it puts into the context.
    const resolved = resolveActiveBranch(session.index, diagnostics, session.branchMemo);
    session.branchMemo = resolved.memo;
    const branch = resolved.branch;
    lap("resolve");

    // 4. System prompt from the workspace's bootstrap files.
    const counter = createTokenCounter(task.tokenizer);
    const system = task.workspaceDir
      ? await buildSystemPrompt(task.workspaceDir, task.bootstrap, diagnostics)
      : { text: "", files: [] };
    const systemTokens = countSystemTokens(system.text, counter);
    lap("bootstrap");

    // 5. Fit the budget, newest first, counting only what is not counted yet.
    const rangeReader = new RangeReader(fd, task.transcript);
    const materialized: (MaterializedMessage | undefined)[] = new Array(branch.items.length);
    let messagesTokenized = 0;
    let tokensCounted = 0;
    let fresh = false;
    const measure = (i: number): number => {
      const record = branch.items[i]!.record;
      fresh = record.tokens < 0;
      if (!fresh) return record.tokens;
      const m = (materialized[i] = materialize(branch.items[i]!, rangeReader));
      record.tokens = countMessageTokens(parsedMessage(m), counter);
      messagesTokenized++;
      storeProgress(task.progress, "tokenize", branch.items.length - i, branch.items.length);
      tokensCounted += record.tokens;
      return record.tokens;
    };
    const fit = yield* fitBudget(branch.items, systemTokens, task.budget, measure, () => fresh);
    if (fit.overBudget) {
      diagnostics.add(
        "BUDGET_TOO_SMALL",
        0,
        0,
        `budget ${task.budget} is smaller than the system prompt and compaction summary; all other messages dropped`,
      );
    }
    lap("tokenize");
    const messages = new Array<MaterializedMessage>(fit.kept.length);
    for (let k = fit.kept.length - 1; k >= 0; k--) {
      // newest first, like the budget walk, so read-back windows are reused
      const i = fit.kept[k]!;
      const m = materialized[i] ?? materialize(branch.items[i]!, rangeReader);
      m.tokens = branch.items[i]!.record.tokens;
      messages[k] = m;
    }
    guard.check(session, reader.readTo); // the ranges read back must be the bytes that were indexed
    lap("assemble");

    // 6. Save the persistent index when it is worth it, then encode.
    if (task.cacheDir && (session.savedEnd < 0 || session.end - session.savedEnd >= RESAVE_BYTES || rebuilt === "tokenizer")) {
      try {
        saveState(task.cacheDir, session);
        session.savedEnd = session.end;
      } catch (err) {
        diagnostics.add("INDEX_WRITE_FAILED", 0, 0, `could not write the persistent index in ${task.cacheDir}: ${(err as Error).message}`);
      }
    }
    session.owner = null;
    sessions.trim();
    const report: BuildReport = {
      rebuilt,
      bytesParsed: session.end - startedAt,
      messagesTokenized,
      tokensCounted,
      cacheBytes: sessions.bytes,
      cachedSessions: sessions.size,
      index: source,
    };
    const combined = DiagnosticLog.combine([session.parseDiagnostics, diagnostics], task.maxDiagnostics);
    const meta: ContextMeta = {
      thinkingLevel: branch.thinkingLevel,
      model: branch.model,
      tokenizer: counter.name,
      budget: task.budget,
      transcript: {
        path: task.transcript,
        bytes: session.end,
        lines: session.nextLineNo - 1,
        entries: session.index.records.length,
        sessionId: typeof session.index.header?.id === "string" ? session.index.header.id : undefined,
        cwd: typeof session.index.header?.cwd === "string" ? session.index.header.cwd : undefined,
        leafId: branch.leafId as string | null,
      },
      bootstrapFiles: system.files,
      diagnosticCounts: combined.counts,
      build: report,
      timings,
    };
    const buffer = encodeContext({
      flags: (task.budget !== null ? HeaderFlag.budgetApplied : 0) | (counter.exact ? HeaderFlag.exactTokens : 0),
      meta,
      systemPrompt: system.text,
      systemTokens,
      messages,
      diagnostics: combined.list,
      droppedCount: fit.dropped,
      droppedTokensEstimate: fit.droppedEstimate,
    });
    return buffer;
  } catch (err) {
    // Bytes rewritten under the build can make a message range fail to parse: report the change, not a bug.
    if (!(err instanceof CtxcError) && guard && state) {
      try {
        guard.check(state, state.end);
      } catch (changed) {
        err = changed;
      }
    }
    // The state may hold lines of two versions of the file: never continue from it.
    if (err instanceof CtxcError && err.code === "TRANSCRIPT_CHANGED" && state && sessions.get(task.transcript) === state) {
      sessions.delete(task.transcript);
    }
    throw err;
  } finally {
    if (state && state.owner === jobId) state.owner = null;
    closeSync(fd);
  }
}
