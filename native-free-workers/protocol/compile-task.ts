/**
 * The plain-data job the main thread sends to a worker: what to compile and how. Built from the public
 * {@link BuildOptions} by `normalizeBuildOptions`; kept free of functions so it crosses threads as is.
 */
import type { RunKind } from "./run-kinds.js";
import type { TokenizerName } from "./tokenizers.js";

export interface CompileTask {
  /** Absolute path of the transcript: a pi JSONL file, or an OpenClaw agent database when `session` is set. */
  transcript: string;
  /**
   * The session to compile from a SQLite session store (OpenClaw 2026.8+, `openclaw-agent.sqlite`): a
   * session id or a session key. Null: `transcript` is a JSONL file.
   */
  session: string | null;
  /** Absolute path of the workspace whose bootstrap files form the system prompt, or null for none. */
  workspaceDir: string | null;
  /** Token budget for system prompt + messages, or null for no limit. */
  budget: number | null;
  tokenizer: TokenizerName;
  bootstrap: {
    maxCharsPerFile: number;
    maxCharsTotal: number;
    minCharsLeft: number;
    runKind: RunKind;
  };
  /** Directory of the persistent session index (compiler option `cacheDir`), or null. */
  cacheDir: string | null;
  /**
   * How createCompiler found `cacheDir` (native-free-workers/session/private-dir.ts): private, with the
   * identity each build re-checks with one lstat; or refused, with why (no index is read or written, and
   * each build reports it). Null without a cacheDir.
   */
  cacheDirCheck: { identity: { dev: number; ino: number } } | { refused: string } | null;
  /** Compiler option `cacheDirRequired`: a refused cacheDir fails the build with CACHE_DIR_REFUSED. */
  cacheDirRequired: boolean;
  maxLineBytes: number;
  /** What a line above `maxLineBytes` does: skipped with a diagnostic, or fails the build. */
  lineTooLong: "skip" | "fail";
  /**
   * Optional progress cells the worker updates as it goes (Int32: phase, done, total; see
   * protocol/progress.ts). Shared memory, so reporting costs the worker a few stores, no messages.
   */
  progress?: SharedArrayBuffer;
  chunkBytes: number;
  maxDiagnostics: number;
}

/**
 * The key a worker keeps a session's state under: the transcript path, plus the session for a store
 * that holds many (a NUL cannot occur in a path, so keys of the two kinds never collide).
 */
export function sessionKeyOf(task: Pick<CompileTask, "transcript" | "session">): string {
  return task.session === null ? task.transcript : `${task.transcript}\0${task.session}`;
}
