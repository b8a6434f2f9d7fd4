/**
 * Command-line parsing for `ctxc`, with node:util parseArgs. Turns argv into BuildOptions (validated
 * again by the same code the API uses) plus the CLI's own output choices.
 *
 * parseArgs runs non-strict and this file does the strict checks itself, because parseArgs' own
 * messages speak its language, not the user's: `--budget -5` would be "argument is ambiguous" (the
 * value is taken here and then rejected as a number out of range), an unknown flag would come back as
 * a paragraph about `--`. Every rejection here names the flag as typed and what it accepts.
 */
import { parseArgs } from "node:util";
import type { BuildOptions } from "../index.js";
import { RUN_KINDS, TOKENIZERS } from "../options.js";
import { CliErrors } from "./cli-errors.js";
import { FORMATS, LIMITS, type OutputFormat } from "./limits.js";

export type { OutputFormat } from "./limits.js";

export interface BuildCommand {
  command: "build";
  build: BuildOptions;
  format: OutputFormat;
  out: string | null;
  threads: number;
  cacheDir: string | undefined;
  /** `--cache-required`: compiler option cacheDirRequired (a refused --cache DIR fails the build). */
  cacheRequired: boolean;
  /** Build a file with no header and no entries instead of failing with NOT_A_TRANSCRIPT. */
  allowEmpty: boolean;
  /** Write binary (`--format buffer`) to a terminal. */
  force: boolean;
  /** Nothing on stderr but errors. */
  quiet: boolean;
}

export type Command =
  | BuildCommand
  | { command: "bench"; full: boolean }
  /** `page` is a command name, or "" for the overview. */
  | { command: "help"; page: string }
  | { command: "version" };

interface StringOption {
  type: "string";
  /** What the value is, for "--out needs a value (a file path)". */
  value: string;
}
interface BooleanOption {
  type: "boolean";
  short?: string;
}
type OptionSpec = StringOption | BooleanOption;

const help: BooleanOption = { type: "boolean", short: "h" };

/** The options each command accepts ("" = before any command). */
const COMMAND_OPTIONS: Readonly<Record<string, Readonly<Record<string, OptionSpec>>>> = {
  "": { help, version: { type: "boolean", short: "v" } },
  help: { help },
  bench: { help, full: { type: "boolean" } },
  build: {
    help,
    workspace: { type: "string", value: "a directory" },
    session: { type: "string", value: "a session id or session key" },
    budget: { type: "string", value: "a token count or none" },
    tokenizer: { type: "string", value: TOKENIZERS.join(", ") },
    "run-kind": { type: "string", value: RUN_KINDS.join(", ") },
    format: { type: "string", value: FORMATS.join(", ") },
    out: { type: "string", value: "a file path" },
    cache: { type: "string", value: "a directory" },
    "cache-required": { type: "boolean" },
    threads: { type: "string", value: "a number of threads" },
    "allow-empty": { type: "boolean" },
    force: { type: "boolean", short: "f" },
    quiet: { type: "boolean", short: "q" },
  },
};

export const COMMANDS = ["build", "bench", "help"] as const;

/** Every option of every command, for parseArgs (which command may use which is checked afterwards). */
const ALL_OPTIONS = Object.assign({}, ...Object.values(COMMAND_OPTIONS)) as Record<string, OptionSpec>;

type Values = Record<string, string | boolean | undefined>;

function integer(flag: string, raw: string, range: { min: number; max: number }, alternative = ""): number {
  const accepts = `a whole number from ${range.min} to ${range.max}${alternative}`;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) throw CliErrors.badValue("build", flag, accepts, raw);
  return value;
}

function oneOf<T extends string>(flag: string, raw: string | undefined, accepted: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!accepted.includes(raw as T)) throw CliErrors.badValue("build", flag, `one of ${accepted.join(", ")}`, raw);
  return raw as T;
}

/** Checks each option token against the command's own options; returns the values. */
function checkOptions(command: string, tokens: NonNullable<ReturnType<typeof parseArgs>["tokens"]>): Values {
  const accepted = COMMAND_OPTIONS[command]!;
  const values: Values = {};
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(accepted, token.name) ? accepted[token.name]! : undefined;
    // -h/-v/--help/--version mean the same before and after a command.
    const global = Object.hasOwn(COMMAND_OPTIONS[""]!, token.name) ? COMMAND_OPTIONS[""]![token.name]! : undefined;
    const known = spec ?? global;
    if (!known) throw CliErrors.unknownOption(command, token.rawName);
    if (known.type === "boolean") {
      if (token.inlineValue) throw CliErrors.noValueAllowed(command, token.rawName);
      values[token.name] = true;
      continue;
    }
    // A separate value that is itself a flag (`--out --quiet`) means the value was forgotten, and an
    // empty one (`--cache ""`) would silently mean "none"; a lone dash-number (`--budget -5`) is a
    // value, rejected later with the range it should be in.
    if (token.value === undefined || token.value === "" || (!token.inlineValue && /^--/.test(token.value))) {
      throw CliErrors.missingValue(command, token.rawName, known.value);
    }
    if (values[token.name] !== undefined) throw CliErrors.repeated(command, token.rawName);
    values[token.name] = token.value;
  }
  return values;
}

function buildCommand(values: Values, files: string[]): BuildCommand {
  if (files.length !== 1) throw CliErrors.arguments("build", "one transcript FILE", files.length);
  const str = (name: string) => values[name] as string | undefined;
  const budget = str("budget");
  return {
    command: "build",
    build: {
      transcript: files[0]!,
      session: str("session"),
      workspaceDir: str("workspace"),
      budget: budget === undefined || budget === "none" ? null : integer("--budget", budget, LIMITS.budget, ', or "none"'),
      tokenizer: oneOf("--tokenizer", str("tokenizer"), TOKENIZERS),
      runKind: oneOf("--run-kind", str("run-kind"), RUN_KINDS),
    },
    format: oneOf("--format", str("format"), FORMATS) ?? FORMATS[0],
    out: str("out") ?? null,
    threads: str("threads") === undefined ? 1 : integer("--threads", str("threads")!, LIMITS.threads),
    cacheDir: str("cache"),
    cacheRequired: values["cache-required"] === true,
    allowEmpty: values["allow-empty"] === true,
    force: values.force === true,
    quiet: values.quiet === true,
  };
}

export function parseCommand(argv: string[]): Command {
  const { tokens } = parseArgs({ args: argv, options: ALL_OPTIONS, allowPositionals: true, strict: false, tokens: true });
  const positionals = tokens.filter((t) => t.kind === "positional").map((t) => t.value);
  const [name = "", ...rest] = positionals;
  if (name !== "" && !(COMMANDS as readonly string[]).includes(name)) throw CliErrors.unknownCommand(name, COMMANDS);
  const values = checkOptions(name, tokens);
  if (values.version) return { command: "version" };
  if (values.help) return { command: "help", page: name };
  if (name === "") return { command: "help", page: "" };
  if (name === "help") {
    if (rest.length > 1) throw CliErrors.arguments("help", "at most one COMMAND", rest.length);
    const page = rest[0] ?? "";
    if (page !== "" && !(COMMANDS as readonly string[]).includes(page)) throw CliErrors.unknownCommand(page, COMMANDS);
    return { command: "help", page };
  }
  if (name === "bench") {
    if (rest.length > 0) throw CliErrors.arguments("bench", "no arguments", rest.length);
    return { command: "bench", full: values.full === true };
  }
  return buildCommand(values, rest);
}
