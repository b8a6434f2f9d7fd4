/**
 * One build inside a worker, as an async generator that yields between chunks and between messages,
 * so the worker can pause a long build and serve another agent's (see compile-worker.ts).
 *
 * Stages, one function each: continue from the session's saved state or start over and say why
 * (`startSession`), read and index only the records after the saved end (`readAppended`), resolve the
 * active branch, build the system prompt, fit the budget while counting tokens newest-first, reusing
 * cached counts (`fitMessages`), and encode the one buffer (`encode`). The transcript is reached only
 * through a {@link TranscriptSource} (sources/source.ts), so another store plugs in without touching this.
 */
import { HeaderFlag, type ContextMeta } from "./protocol/buffer-layout.js";
import { sessionKeyOf, type CompileTask } from "./protocol/compile-task.js";
import { DiagnosticLog } from "./protocol/diagnostic-log.js";
import { CACHE_DEFAULTS } from "./protocol/defaults.js";
import { CtxcError, Errors } from "./protocol/errors.js";
import { storeProgress } from "./protocol/progress.js";
import { encodeContext } from "./assemble/encode-context.js";
import { fitBudget, type FitResult } from "./assemble/fit-budget.js";
import { inTranscript, materialize, materializeParsed, parsedMessage, releaseBytes, type MaterializedMessage } from "./assemble/materialize.js";
import { buildSystemPrompt, countSystemTokens } from "./bootstrap/system-prompt.js";
import { resolveActiveBranch, type ActiveBranch } from "./pi/active-branch.js";
import type { SessionCache } from "./session/session-cache.js";
import { indexDirFor, type IndexSource } from "./session/persistent-index.js";
import { SessionState, type RebuildReason } from "./session/session-state.js";
import type { RecordReader, TranscriptSource } from "./sources/source.js";
import type { ReadLinesResult } from "./io/line-reader.js";
import type { KeyBatch } from "./protocol/key-batch.js";
import { batchFits, replayBatch, type ScannedLineSink } from "./session/range-merge.js";
import { Emits, type EntryRecord } from "./pi/entry-record.js";
import { PiJsonlSource } from "./sources/pi-jsonl/pi-jsonl-source.js";
import { SqliteSource } from "./sources/sqlite/sqlite-source.js";
import { countMessageTokens } from "./tokenize/message-tokens.js";
import { createTokenCounter, type TokenCounter } from "./tokenize/token-counter.js";

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

/** Save the persistent index again once this many bytes were appended since the last save (shared with the OpenClaw session read). */
const RESAVE_BYTES = CACHE_DEFAULTS.indexResaveBytes;

/** What the stages of one build share. */
interface Build {
  readonly task: CompileTask;
  readonly sessions: SessionCache;
  readonly jobId: number;
  readonly source: TranscriptSource;
  /** Diagnostics of this build (the session's parse diagnostics are kept on the state). */
  readonly diagnostics: DiagnosticLog;
  /** The session state this build reads into, once there is one. */
  state: SessionState | undefined;
  /** The persistent index directory this build may use (null: none, or refused — see startSession). */
  indexDir: string | null;
  /** Reads the context's stretch back (fitting the budget, encoding), once there is a session. */
  records: RecordReader | null;
  /** Reading started: from here on a failure may be the file changing under the build. */
  reading: boolean;
  /** Milliseconds per stage. */
  readonly timings: Record<string, number>;
  mark: number;
}

/** Adds the time since the last lap to `stage`. */
function lap(build: Build, stage: string): void {
  const now = performance.now();
  build.timings[stage] = (build.timings[stage] ?? 0) + (now - build.mark);
  build.mark = now;
}

/** Yields while another build of the same transcript is reading it on this worker. */
async function* acquire(state: SessionState, jobId: number): AsyncGenerator<void, void> {
  while (state.owner !== null && state.owner !== jobId) yield;
  state.owner = jobId;
}

/** The transcript's source: an OpenClaw agent database when the task names a session, else a JSONL file. */
function openSource(task: CompileTask, sessions: SessionCache): TranscriptSource {
  try {
    return task.session !== null ? SqliteSource.open(task.transcript, task.session) : PiJsonlSource.open(task.transcript);
  } catch (err) {
    sessions.delete(sessionKeyOf(task)); // gone or no longer a file: whatever comes back there is new
    throw err;
  }
}

/** One build; `split`: let another lane scan the second part of a cold build (see {@link RangeSplit}). */
export async function* compileSteps(task: CompileTask, sessions: SessionCache, jobId: number, split?: RangeSplit): AsyncGenerator<void, ArrayBuffer> {
  const source = openSource(task, sessions);
  const build: Build = {
    task, sessions, jobId, source, diagnostics: new DiagnosticLog(task.maxDiagnostics),
    state: undefined, indexDir: null, records: null, reading: false, timings: {}, mark: performance.now(),
  };
  let reader: RecordReader | null = null;
  try {
    const { rebuilt, index } = yield* startSession(build);
    const session = build.state!;
    const startedAt = session.end;
    // The index reads single rows back (an id whose hash is taken, a setting's value) through its own
    // reader, without read-ahead, while indexing and resolving; unset when the build ends. `records`
    // reads the context's stretch back, newest first, in growing windows.
    const records = (build.records = source.recordReader(session));
    session.index.reader = reader = source.recordReader(session, true);
    const readTo = yield* readAppended(build, session, split);
    session.keepReadTimes(source.stats);
    session.index.table.fit(); // no rows are added after the read: the state kept drops its spare capacity
    lap(build, "readParse");

    const complete = (r: EntryRecord) => session.index.complete(r, records);
    const resolved = resolveActiveBranch(session.index, build.diagnostics, session.branchMemo, complete);
    session.branchMemo = resolved.memo;
    lap(build, "resolve");

    const counter = createTokenCounter(task.tokenizer);
    const system = task.workspaceDir
      ? await buildSystemPrompt(task.workspaceDir, task.bootstrap, build.diagnostics)
      : { text: "", files: [] };
    const systemTokens = countSystemTokens(system.text, counter);
    lap(build, "bootstrap");

    const fitted = yield* fitMessages(build, resolved.branch, systemTokens, counter, { records, single: reader }, complete);
    lap(build, "assemble");

    saveIndexIfDue(build, session, rebuilt);
    session.owner = null;
    sessions.trim();
    const report: BuildReport = {
      rebuilt, bytesParsed: session.end - startedAt, messagesTokenized: fitted.messagesTokenized,
      tokensCounted: fitted.tokensCounted, cacheBytes: sessions.bytes, cachedSessions: sessions.size, index,
    };
    // Copies the kept messages from the transcript into the buffer (after the timings it carries).
    const buffer = encode(build, session, records, { branch: resolved.branch, system, systemTokens, counter, fitted, report });
    source.checkUnchanged(session, readTo); // the ranges read back must be the bytes that were indexed
    return buffer;
  } catch (err) {
    throw settleFailure(build, err);
  } finally {
    if (build.state && build.state.owner === jobId) build.state.owner = null;
    // Its descriptor is closed next; another build waiting on this state sets its own.
    if (build.state && build.state.index.reader === reader) build.state.index.reader = null;
    build.records?.release(); // see RecordReader.release: the build's closures may outlive it
    reader?.release();
    source.close();
  }
}

/**
 * Stage 1: the session state to continue from (this worker's, or the persistent index's), verified
 * against the open transcript; or a new one, and why the build starts over.
 */
async function* startSession(build: Build): AsyncGenerator<void, { rebuilt: RebuildReason | null; index: IndexSource }> {
  const { task, sessions, source, diagnostics } = build;
  let rebuilt: RebuildReason | null = null;
  let index: IndexSource = "memory";
  const key = sessionKeyOf(task);
  let state = sessions.get(key);
  const cache = indexDirFor(task);
  build.indexDir = cache && "dir" in cache && source.persistentIndex ? cache.dir : null;
  if (cache && "refused" in cache) {
    if (task.cacheDirRequired) throw Errors.cacheDirRefused(task.cacheDir!, cache.refused);
    diagnostics.add("INDEX_IGNORED", 0, 0, `persistent index not used: cacheDir ${task.cacheDir} ${cache.refused}`);
    if (!state) index = "refused";
  }
  if (!state && build.indexDir) {
    const loaded = source.loadSaved(build.indexDir, key, task.maxDiagnostics);
    index = loaded.source;
    if (loaded.state) {
      state = loaded.state;
      state.savedEnd = state.end;
      sessions.set(state);
    } else if (index !== "none") {
      diagnostics.add("INDEX_IGNORED", 0, 0, `persistent index for this transcript was ${index === "disk-stale" ? "stale (the transcript changed)" : (loaded.reason ?? "unreadable")}; rebuilt from scratch`);
    }
  } else if (!state && index !== "refused") {
    index = "none";
  }
  build.state = state;
  if (state) {
    yield* acquire(state, build.jobId);
    // A state just loaded from disk was verified against this transcript by loadSaved.
    rebuilt = (index === "disk" ? null : source.verify(state)) ?? state.indexedWith(task.maxLineBytes);
    if (rebuilt) {
      state.owner = null;
      sessions.delete(key);
      state = build.state = undefined;
    }
  } else {
    rebuilt = "cold";
  }
  if (!state) {
    state = build.state = new SessionState(key, source.stats, task.maxDiagnostics, (log) => source.createIndex(log));
    state.maxLineBytes = task.maxLineBytes;
    state.owner = build.jobId;
    sessions.set(state);
  }
  if (state.tokenizer !== task.tokenizer) {
    if (state.tokenizer !== "" && rebuilt === null) rebuilt = "tokenizer";
    state.resetTokens(task.tokenizer);
  }
  return { rebuilt, index };
}

/**
 * A cold build whose second part another lane scans (issue 14): the build indexes the lines before the
 * first line start at or after `at` itself, then replays the other lane's scan of the rest
 * (session/range-merge.ts). At the cut the build asks {@link take}: the batch; null to read the rest
 * itself (the other lane never started, or failed); undefined while the scan is still running (the
 * build yields, so the lane serves its other builds meanwhile, and asks again). A batch that is not of
 * this file as this build opened it is dropped, and the build reads the rest itself.
 */
export interface RangeSplit {
  at: number;
  take(source: TranscriptSource): KeyBatch | null | undefined;
}

/** How long a build waiting at its cut sleeps between two asks (the other lane's scan takes tens of ms). */
const SPLIT_POLL_MS = 1;

/** What a build does with each line it consumes, read here or scanned by another lane. */
function appendSink(build: Build, session: SessionState): ScannedLineSink {
  const { task } = build;
  return {
    onLine: (bytes, offset, lineNo) => {
      session.index.ingestLine(bytes, offset, lineNo);
      session.end = offset + bytes.length + 1;
      session.nextLineNo = lineNo + 1;
    },
    onScanned: (keys, offset, length, lineNo) => {
      if (!session.index.ingestScanned(keys, length, offset, lineNo)) return false;
      session.end = offset + length + 1;
      session.nextLineNo = lineNo + 1;
      return true;
    },
    onRun: (batch, from, firstLineNo, rowOf, firstRangeRow, kept) => {
      const stop = session.index.ingestRun(batch, from, firstLineNo, rowOf, firstRangeRow, kept);
      if (stop <= from) return stop;
      session.end = batch.offset[stop - 1]! + batch.length[stop - 1]! + 1;
      session.nextLineNo = firstLineNo + stop;
      return stop;
    },
    get table() {
      return session.index.table;
    },
    onOversize: (offset, lineNo, length) => {
      if (task.lineTooLong === "fail") throw Errors.lineTooLong(task.transcript, lineNo, offset, length, task.maxLineBytes);
      session.parseDiagnostics.add("LINE_TOO_LONG", lineNo, offset, `line of ${length} bytes exceeds maxLineBytes (${task.maxLineBytes}); skipped`);
      session.end = offset + length + 1;
      session.nextLineNo = lineNo + 1;
    },
  };
}

/**
 * Stage 2: reads and indexes the records after the state's end (all of them on a cold build), one chunk
 * per step; with a {@link RangeSplit}, a cold build's records past the cut come from the other lane's scan.
 * Returns how far the source was read (a torn tail included).
 */
async function* readAppended(build: Build, session: SessionState, split: RangeSplit | undefined): AsyncGenerator<void, number> {
  const { task, source } = build;
  const sink = appendSink(build, session);
  const ranges = session.end === 0 ? source.ranges : undefined;
  const cut = split && ranges ? ranges.recordStartAtOrAfter(split.at) : null;
  if (split && cut === null) split.take(source); // not split after all (a warm build, no line past the cut): the scan is not needed
  let read = yield* readSteps(build, session, sink, cut ?? undefined);
  if (cut !== null) {
    const { stats } = source;
    lap(build, "readParse");
    let batch: KeyBatch | null | undefined;
    while ((batch = split!.take(source)) === undefined) {
      yield;
      await new Promise((wake) => setTimeout(wake, SPLIT_POLL_MS));
    }
    lap(build, "splitWait"); // timings only: a split build's result is the single pass's, to the byte
    if (batch && session.end === cut && batchFits(batch, cut, stats.size, stats.dev, stats.ino)) {
      try {
        replayBatch(batch, session.nextLineNo, sink, (offset, length) => ranges!.read(offset, offset + length));
      } catch (err) {
        if (err instanceof CtxcError) throw err;
        throw Errors.fromTranscriptIo(task.transcript, err as NodeJS.ErrnoException);
      }
      source.snapshot(session);
      source.checkUnchanged(session, batch.readTo);
      lap(build, "splitReplay");
      read = { readTo: batch.readTo, torn: batch.torn && { ...batch.torn, lineNo: session.nextLineNo } };
    } else {
      read = yield* readSteps(build, session, sink, undefined);
    }
  }
  const { torn } = read;
  if (torn) {
    build.diagnostics.add("TORN_TAIL", torn.lineNo, torn.offset, `last line (${torn.length} bytes) has no newline yet; excluded until it is complete`);
  }
  return read.readTo;
}

/** Reads the records from the state's end (up to `stopAt`, a record start, when given), one chunk per step. */
async function* readSteps(
  build: Build,
  session: SessionState,
  sink: ScannedLineSink,
  stopAt: number | undefined,
): AsyncGenerator<void, { readTo: number; torn: ReadLinesResult["torn"] }> {
  const { task, source } = build;
  const startedAt = session.end;
  const options = { chunkBytes: task.chunkBytes, maxRecordBytes: task.maxLineBytes, stopAt };
  const reader = source.readAppended(session.end, session.nextLineNo, options, sink, session);
  build.reading = true;
  const size = source.stats.size;
  try {
    // Each step keeps the state verifiable (even if this build is paused and dropped) from the bytes it read.
    while (reader.step()) {
      storeProgress(task.progress, "read", (session.end - startedAt) >> 10, (size - startedAt) >> 10);
      yield;
      source.checkUnchanged(session, reader.readTo); // while paused, the file may have been truncated or rewritten
    }
  } catch (err) {
    if (err instanceof CtxcError) throw err;
    // The index reads some lines back (ids); a file rewritten during the step can make those bytes fail
    // to parse. A change the guard sees is the error then, not the bytes it left.
    changedSince(source, session, reader.readTo);
    throw Errors.fromTranscriptIo(task.transcript, err as NodeJS.ErrnoException);
  }
  return { readTo: reader.readTo, torn: reader.result().torn };
}

/** Throws the change check's TRANSCRIPT_CHANGED if it finds one; any other failure of the check is not the error to report. */
function changedSince(source: TranscriptSource, session: SessionState, readTo: number): void {
  try {
    source.checkUnchanged(session, readTo);
  } catch (err) {
    if (err instanceof CtxcError && err.code === "TRANSCRIPT_CHANGED") throw err;
  }
}

interface Fitted {
  fit: FitResult;
  /** The kept messages, oldest first, with their bytes and token counts. */
  messages: MaterializedMessage[];
  messagesTokenized: number;
  tokensCounted: number;
}

/**
 * Stage 5: fits the budget, newest first, counting only what is not counted yet; then reads back the
 * kept messages that cannot stay in the transcript until encode (pi's shapes: summaries, custom messages).
 * `records` reads the context's stretch in growing windows; `single` reads exactly the ranges asked for.
 */
async function* fitMessages(
  build: Build,
  branch: ActiveBranch,
  systemTokens: number,
  counter: TokenCounter,
  { records, single }: { records: RecordReader; single: RecordReader },
  complete: (r: EntryRecord) => void,
): AsyncGenerator<void, Fitted> {
  const { task } = build;
  const index = build.state!.index;
  const completeMessage = (record: EntryRecord, message: Record<string, unknown>) => index.completeMessage(record, message);
  const materialized: (MaterializedMessage | undefined)[] = new Array(branch.items.length);
  let messagesTokenized = 0;
  let tokensCounted = 0;
  let fresh = false;
  const measure = (i: number): number => {
    const record = branch.items[i]!.record;
    fresh = record.tokens < 0;
    if (!fresh) return record.tokens;
    if (record.emits !== Emits.message) complete(record); // a message is completed from its parsed value below
    const m = (materialized[i] = materializeParsed(branch.items[i]!, records, completeMessage));
    record.tokens = countMessageTokens(parsedMessage(m), counter);
    // Counted: held to the end, the parsed values were 1–2× the context's bytes more, and the bytes read
    // back once more; encode copies them from the transcript into the buffer instead.
    releaseBytes(m);
    messagesTokenized++;
    storeProgress(task.progress, "tokenize", branch.items.length - i, branch.items.length);
    tokensCounted += record.tokens;
    return record.tokens;
  };
  // A dropped message is reported with pi's estimate, which needs its body: read only for the dropped
  // messages of the context's stretch of the branch, never for the rest of the file.
  const estimate = (i: number): number => {
    const record = branch.items[i]!.record;
    complete(record);
    return record.estimate;
  };
  const fit = yield* fitBudget(branch.items, systemTokens, task.budget, measure, () => fresh, estimate);
  if (fit.overBudget) {
    build.diagnostics.add("BUDGET_TOO_SMALL", 0, 0, `budget ${task.budget} is smaller than the system prompt and compaction summary; all other messages dropped`);
  }
  lap(build, "tokenize");
  const messages = new Array<MaterializedMessage>(fit.kept.length);
  for (let k = fit.kept.length - 1; k >= 0; k--) {
    // A message forwarded as it is stays in the transcript: encode copies it into the buffer, reading the
    // stretch newest first through `records`. The few read here (a warm build's summaries and custom
    // messages: counted before, re-made each build) are read exactly: through `records` they had walked
    // its windows down the whole stretch once more before encode walked it again.
    const i = fit.kept[k]!;
    const m = materialized[i] ?? inTranscript(branch.items[i]!) ?? materialize(branch.items[i]!, single, completeMessage);
    m.tokens = branch.items[i]!.record.tokens;
    messages[k] = m;
  }
  materialized.length = 0; // held by the closures above, which may outlive the build (RecordReader.release)
  return { fit, messages, messagesTokenized, tokensCounted };
}

/** Stage 6a: saves the persistent index when enough was appended since the last save (or it was never saved). */
function saveIndexIfDue(build: Build, session: SessionState, rebuilt: RebuildReason | null): void {
  const { indexDir } = build;
  if (!indexDir || !(session.savedEnd < 0 || session.end - session.savedEnd >= RESAVE_BYTES || rebuilt === "tokenizer")) return;
  try {
    build.source.save(indexDir, session);
    session.savedEnd = session.end;
  } catch (err) {
    build.diagnostics.add("INDEX_WRITE_FAILED", 0, 0, `could not write the persistent index in ${indexDir}: ${(err as Error).message}`);
  }
}

interface Assembled {
  branch: ActiveBranch;
  system: { text: string; files: ContextMeta["bootstrapFiles"] };
  systemTokens: number;
  counter: TokenCounter;
  fitted: Fitted;
  report: BuildReport;
}

/** Stage 6b: the META section and the one context buffer, the kept messages' bytes copied into it. */
function encode(build: Build, session: SessionState, records: RecordReader, a: Assembled): ArrayBuffer {
  const { task } = build;
  const combined = DiagnosticLog.combine([session.parseDiagnostics, build.diagnostics], task.maxDiagnostics);
  const header = session.index.header;
  const meta: ContextMeta = {
    thinkingLevel: a.branch.thinkingLevel,
    model: a.branch.model,
    tokenizer: a.counter.name,
    budget: task.budget,
    transcript: {
      path: task.transcript,
      bytes: session.end,
      lines: session.nextLineNo - 1,
      entries: session.index.count,
      sessionId: typeof header?.id === "string" ? header.id : undefined,
      cwd: typeof header?.cwd === "string" ? header.cwd : undefined,
      leafId: a.branch.leafId as string | null,
    },
    bootstrapFiles: a.system.files,
    diagnosticCounts: combined.counts,
    build: a.report,
    timings: build.timings,
  };
  return encodeContext({
    flags: (task.budget !== null ? HeaderFlag.budgetApplied : 0) | (a.counter.exact ? HeaderFlag.exactTokens : 0),
    meta,
    systemPrompt: a.system.text,
    systemTokens: a.systemTokens,
    messages: a.fitted.messages,
    reader: records,
    diagnostics: combined.list,
    droppedCount: a.fitted.fit.dropped,
    droppedTokensEstimate: a.fitted.fit.droppedEstimate,
  });
}

/** The error a failed build reports, after making sure the session state cannot be continued wrongly. */
function settleFailure(build: Build, err: unknown): unknown {
  const { state, task, sessions } = build;
  // Bytes rewritten under the build can make a message range fail to parse: report the change, not a bug.
  if (!(err instanceof CtxcError) && build.reading && state) {
    try {
      build.source.checkUnchanged(state, state.end);
    } catch (changed) {
      err = changed;
    }
  }
  // The state may hold lines of two versions of the file: never continue from it.
  if (err instanceof CtxcError && err.code === "TRANSCRIPT_CHANGED" && state && sessions.get(sessionKeyOf(task)) === state) {
    sessions.delete(sessionKeyOf(task));
  }
  return err;
}
