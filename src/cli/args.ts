/**
 * Command-line parsing for `ctxc`, with node:util parseArgs. Turns argv into BuildOptions (validated
 * later by the same code the API uses) plus the CLI's own output choices.
 */
import { parseArgs } from "node:util";
import type { BuildOptions } from "../options.js";
import { Errors } from "../../native-free-workers/protocol/errors.js";

export const USAGE = `Usage: ctxc build FILE [options]
       ctxc bench [--full]

"ctxc bench" runs the quick benchmark suite (--full: the full one, minutes) from a source checkout
and regenerates bench/RESULTS.md.

Compiles a pi/OpenClaw session transcript (JSONL) and a workspace's bootstrap files into one context.

Options:
  --workspace DIR         workspace with AGENTS.md, SOUL.md, … (system prompt); default: none
  --budget N|none         token budget for system prompt + messages; default: none (nothing dropped)
  --tokenizer NAME        o200k_base (default) | cl100k_base | estimate (OpenClaw's chars/4)
  --run-kind KIND         default | heartbeat | cron | subagent (which bootstrap files); default: default
  --format FORMAT         json (default) | text | buffer (the binary context buffer)
  --out FILE              write to FILE instead of stdout
  --cache DIR             keep a persistent session index in DIR (later runs read only appended bytes)
  --threads N             worker threads; default 1
  -h, --help              show this help
  -v, --version           show the version

Exit codes: 0 ok, 1 the build failed (missing/unreadable transcript, …), 2 bad usage.`;

export type OutputFormat = "json" | "text" | "buffer";

export interface BuildCommand {
  command: "build";
  build: BuildOptions;
  format: OutputFormat;
  out: string | null;
  threads: number;
  cacheDir: string | undefined;
}

export type Command = BuildCommand | { command: "bench"; full: boolean } | { command: "help" } | { command: "version" };

function integer(name: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw Errors.invalidOption(name, `expected a whole number, got "${raw}"`);
  return Number(raw);
}

export function parseCommand(argv: string[]): Command {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      workspace: { type: "string" },
      budget: { type: "string" },
      tokenizer: { type: "string" },
      "run-kind": { type: "string" },
      format: { type: "string" },
      out: { type: "string" },
      threads: { type: "string" },
      cache: { type: "string" },
      full: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
  if (values.version) return { command: "version" };
  if (values.help || positionals.length === 0) return { command: "help" };
  const [command, ...rest] = positionals;
  if (command === "bench") {
    if (rest.length > 0) throw Errors.invalidOption("bench", `takes no arguments, got ${rest.length}`);
    return { command: "bench", full: values.full === true };
  }
  if (command !== "build") throw Errors.invalidOption("command", `unknown command "${command}" (try \`ctxc build FILE\`)`);
  if (rest.length !== 1) throw Errors.invalidOption("FILE", `expected one transcript file, got ${rest.length}`);
  const format = values.format ?? "json";
  if (format !== "json" && format !== "text" && format !== "buffer") {
    throw Errors.invalidOption("--format", `expected json, text or buffer, got "${format}"`);
  }
  const budget = values.budget === undefined || values.budget === "none" ? null : integer("--budget", values.budget);
  return {
    command: "build",
    build: {
      transcript: rest[0]!,
      workspaceDir: values.workspace,
      budget,
      tokenizer: values.tokenizer as BuildOptions["tokenizer"],
      runKind: values["run-kind"] as BuildOptions["runKind"],
    },
    format,
    out: values.out ?? null,
    threads: values.threads === undefined ? 1 : integer("--threads", values.threads),
    cacheDir: values.cache,
  };
}
