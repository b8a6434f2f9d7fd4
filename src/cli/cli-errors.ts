/**
 * The CLI's exit codes, and the few failures only a command line has. Library failures arrive as
 * `CtxcError`s with their own codes; what can only go wrong around a command — an output file, a
 * terminal that should not receive binary, a file that is not a transcript at all, a command this
 * installation lacks — is a {@link CliError}. Both print the same way, one line:
 * `ctxc: <what went wrong> [CODE]`, so scripts can match the code whatever raised it.
 */
import { CtxcError } from "../index.js";

/** Every exit status `ctxc` uses (documented in `ctxc help` and the README). */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** The build failed: the transcript is missing, unreadable, not a transcript, changed while read, … */
  failed: 1,
  /** Bad usage: unknown command or option, a bad option value, binary output to a terminal. */
  usage: 2,
  /** The result could not be written (`--out` in a missing directory, a directory, a symlink, another user's file). */
  output: 3,
  /** The command is not part of this installation (`ctxc bench` outside a source checkout). */
  unavailable: 4,
} as const;

export type ExitStatus = (typeof ExitCode)[keyof typeof ExitCode];

/** The codes of {@link CliError}. `INVALID_OPTION` is the library's code too: a bad flag is a bad option. */
export type CliErrorCode =
  /** A flag is unknown, lacks its value, or has a value outside what it accepts. */
  | "INVALID_OPTION"
  /** An unknown command, or the wrong number of arguments. */
  | "USAGE"
  /** `--format buffer` with stdout on a terminal (and no `--force`). */
  | "BINARY_TO_TERMINAL"
  /** The file has no valid session header and no entries (random bytes, an empty file, other JSON). */
  | "NOT_A_TRANSCRIPT"
  /** `--out` (or stdout) could not be written. */
  | "OUTPUT_UNWRITABLE"
  /** `ctxc bench` in an installed package: the suite ships only with the source. */
  | "BENCH_UNAVAILABLE";

const EXIT_OF: Record<CliErrorCode, ExitStatus> = {
  INVALID_OPTION: ExitCode.usage,
  USAGE: ExitCode.usage,
  BINARY_TO_TERMINAL: ExitCode.usage,
  NOT_A_TRANSCRIPT: ExitCode.failed,
  OUTPUT_UNWRITABLE: ExitCode.output,
  BENCH_UNAVAILABLE: ExitCode.unavailable,
};

export class CliError extends Error {
  override name = "CliError";
  readonly code: CliErrorCode;
  /** The command whose `--help` the message points to; usage errors only. */
  readonly helpFor: string | undefined;

  constructor(code: CliErrorCode, message: string, helpFor?: string) {
    super(message);
    this.code = code;
    this.helpFor = helpFor;
  }

  get exitCode(): ExitStatus {
    return EXIT_OF[this.code];
  }
}

/** Factory for every CLI failure (one place, one wording). `command` picks the `--help` the message points to. */
export const CliErrors = {
  /** `flag` as the user typed it (`--budget`), what it accepts, and what it got. */
  badValue: (command: string, flag: string, accepts: string, got: string) =>
    new CliError("INVALID_OPTION", `${flag}: expected ${accepts}, got ${JSON.stringify(got)}`, command),
  missingValue: (command: string, flag: string, what: string) =>
    new CliError("INVALID_OPTION", `${flag} needs a value (${what})`, command),
  unknownOption: (command: string, flag: string) =>
    new CliError("INVALID_OPTION", `unknown option ${flag} for 'ctxc ${command}'`, command),
  noValueAllowed: (command: string, flag: string) => new CliError("INVALID_OPTION", `${flag} takes no value`, command),
  repeated: (command: string, flag: string) => new CliError("INVALID_OPTION", `${flag} given more than once`, command),
  unknownCommand: (name: string, commands: readonly string[]) =>
    new CliError("USAGE", `unknown command "${name}" (commands: ${commands.join(", ")})`, ""),
  arguments: (command: string, expected: string, got: number) =>
    new CliError("USAGE", `'ctxc ${command}' expects ${expected}, got ${got} argument${got === 1 ? "" : "s"}`, command),
  binaryToTerminal: () =>
    new CliError(
      "BINARY_TO_TERMINAL",
      "--format buffer writes binary and stdout is a terminal; redirect it, use --out FILE, or pass --force",
      "build",
    ),
  notATranscript: (path: string, why: string) =>
    new CliError("NOT_A_TRANSCRIPT", `not a session transcript (${why}): ${path}; --allow-empty builds it anyway`),
  outputUnwritable: (path: string, why: string) => new CliError("OUTPUT_UNWRITABLE", `cannot write ${path}: ${why}`),
  benchUnavailable: (why: string) =>
    new CliError(
      "BENCH_UNAVAILABLE",
      `the benchmark suite runs from a source checkout of ctxc (\`npm ci && npm run bench:quick\`), not from an installed package: ${why}`,
    ),
};

/** The exit status for anything a command threw. */
export function exitCodeOf(err: unknown): ExitStatus {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof CtxcError && err.code === "INVALID_OPTION") return ExitCode.usage;
  return ExitCode.failed;
}

/**
 * The one or two lines printed for a failure: the error with its code, then — for usage errors only —
 * where the full usage is. A stack trace is never printed: an unexpected error is reported as INTERNAL.
 */
export function formatError(err: unknown): string {
  if (err instanceof CliError) {
    const help = err.helpFor === undefined ? "" : `\nTry 'ctxc ${err.helpFor ? `${err.helpFor} ` : ""}--help'.`;
    return `ctxc: ${err.message} [${err.code}]${help}\n`;
  }
  if (err instanceof CtxcError) return `ctxc: ${err.message} [${err.code}]\n`;
  const message = err instanceof Error ? err.message : String(err);
  return `ctxc: internal error: ${message}; please report it [INTERNAL]\n`;
}
