/**
 * Public options and their defaults, validated in one place for the API and the CLI alike.
 */
import { resolve } from "node:path";
import type { CompileTask } from "../native-free-workers/protocol/compile-task.js";
import { DEFAULTS } from "../native-free-workers/protocol/defaults.js";
import { Errors } from "../native-free-workers/protocol/errors.js";
import type { BuildProgress } from "../native-free-workers/protocol/progress.js";
import { isRunKind, RUN_KINDS, type RunKind } from "../native-free-workers/protocol/run-kinds.js";
import { TOKENIZERS, validateTokenizer, type TokenizerName } from "../native-free-workers/protocol/tokenizers.js";
import { positiveInteger } from "../native-free-workers/protocol/validate.js";

export type { RunKind, TokenizerName };
export { DEFAULTS, RUN_KINDS, TOKENIZERS, validateTokenizer };

/** Options of one build. */
export interface BuildOptions {
  /**
   * Path of the session transcript (pi session format JSONL), or of an OpenClaw 2026.8+ agent database
   * (`agents/<id>/agent/openclaw-agent.sqlite`) together with `session`.
   */
  transcript: string;
  /**
   * With a SQLite session store as `transcript`: the session to compile, by session id or session key
   * (`agent:main:main`). Read with Node's built-in `node:sqlite` (Node >= 22.13; SQLITE_UNAVAILABLE on
   * an older Node), read-only, incrementally by row order. Omitted: `transcript` is a JSONL file.
   */
  session?: string;
  /** Workspace directory whose bootstrap files (AGENTS.md, SOUL.md, …) form the system prompt. */
  workspaceDir?: string;
  /**
   * Token budget for system prompt + messages. Omitted or null: nothing is dropped and `messages`
   * equals pi's `buildSessionContext(...).messages`.
   */
  budget?: number | null;
  /** Tokenizer for the counts. Default: the compiler's (`o200k_base`). */
  tokenizer?: TokenizerName;
  /** OpenClaw run kind: `default`, `heartbeat` (lightweight: HEARTBEAT.md only), `cron`, `subagent`. Default `default`. */
  runKind?: RunKind;
  /** Per-file cap on bootstrap file characters (OpenClaw's bootstrapMaxChars). Default 12,000. */
  bootstrapMaxChars?: number;
  /** Cap on all bootstrap characters together (OpenClaw's bootstrapTotalMaxChars). Default 60,000. */
  bootstrapTotalMaxChars?: number;
  /** Lines longer than this many bytes are skipped with a LINE_TOO_LONG diagnostic. Default 256 MiB. */
  maxLineBytes?: number;
  /**
   * A line above `maxLineBytes`: `"skip"` it with a LINE_TOO_LONG diagnostic (default: a damaged record
   * costs that record), or `"fail"` the build with error code LINE_TOO_LONG (for gateways that would
   * rather refuse a session than answer without one of its entries).
   */
  lineTooLong?: "skip" | "fail";
  /** At most this many diagnostics are listed (all are counted). Default 1,000. */
  maxDiagnostics?: number;
  /**
   * Fairness key: builds of one agent share a queue, and agents take turns on a worker between slices.
   * Default: the transcript path (each session its own queue).
   */
  agentId?: string;
  /** Cancels the build (queued or running); it then rejects with code ABORTED. */
  signal?: AbortSignal;
  /** Rejects with code TIMEOUT when the build takes longer. */
  timeoutMs?: number;
  /** Called about every 100 ms while the build runs (reading: KiB; tokenizing: messages). */
  onProgress?: (progress: BuildProgress) => void;
}

function lineTooLongOption(value: unknown): "skip" | "fail" {
  if (value === undefined || value === "skip" || value === "fail") return value ?? "skip";
  throw Errors.invalidOption("lineTooLong", `expected "skip" or "fail", got ${JSON.stringify(value)}`);
}

/** Validates build options and turns them into the plain task a worker runs. */
export function normalizeBuildOptions(options: BuildOptions, defaultTokenizer: TokenizerName = DEFAULTS.tokenizer): CompileTask {
  if (typeof options !== "object" || options === null) throw Errors.invalidOption("options", "expected an object");
  if (typeof options.transcript !== "string" || options.transcript === "") {
    throw Errors.invalidOption("transcript", "expected a file path");
  }
  if (options.workspaceDir !== undefined && typeof options.workspaceDir !== "string") {
    throw Errors.invalidOption("workspaceDir", "expected a directory path");
  }
  if (options.session !== undefined && (typeof options.session !== "string" || options.session === "")) {
    throw Errors.invalidOption("session", "expected a session id or session key");
  }
  const budget = options.budget === undefined || options.budget === null ? null : options.budget;
  if (budget !== null && (typeof budget !== "number" || !Number.isInteger(budget) || budget < 0)) {
    throw Errors.invalidOption("budget", `expected a non-negative integer or null, got ${JSON.stringify(budget)}`);
  }
  const runKind = options.runKind ?? "default";
  if (!isRunKind(runKind)) {
    throw Errors.invalidOption("runKind", `expected one of ${RUN_KINDS.join(", ")}, got ${JSON.stringify(runKind)}`);
  }
  return {
    transcript: resolve(options.transcript),
    session: options.session ?? null,
    workspaceDir: options.workspaceDir === undefined ? null : resolve(options.workspaceDir),
    budget,
    tokenizer: validateTokenizer(options.tokenizer ?? defaultTokenizer),
    bootstrap: {
      maxCharsPerFile: positiveInteger("bootstrapMaxChars", options.bootstrapMaxChars, DEFAULTS.bootstrapMaxChars),
      maxCharsTotal: positiveInteger("bootstrapTotalMaxChars", options.bootstrapTotalMaxChars, DEFAULTS.bootstrapTotalMaxChars),
      minCharsLeft: DEFAULTS.bootstrapMinCharsLeft,
      runKind,
    },
    cacheDir: null,
    cacheDirCheck: null,
    cacheDirRequired: false,
    maxLineBytes: positiveInteger("maxLineBytes", options.maxLineBytes, DEFAULTS.maxLineBytes),
    chunkBytes: DEFAULTS.buildChunkBytes,
    lineTooLong: lineTooLongOption(options.lineTooLong),
    maxDiagnostics: positiveInteger("maxDiagnostics", options.maxDiagnostics, DEFAULTS.maxDiagnostics),
  };
}
