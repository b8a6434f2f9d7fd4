/**
 * What `ctxc ARGS…` does, given where its output goes: parse, dispatch, print, and turn every failure
 * into its one coded line and exit status (cli-errors.ts). main.ts is the bin around it (the process's
 * streams, `process.exitCode`); the tests run this in process with capturing streams, so the same code
 * answers without a Node start-up per case.
 */
import { readFileSync } from "node:fs";
import { parseCommand } from "./args.js";
import { runBenchCommand } from "./bench-command.js";
import { runBuild } from "./build-command.js";
import { ExitCode, exitCodeOf, formatError } from "./cli-errors.js";
import { HELP_PAGES } from "./help.js";

/** The part of a stream the CLI uses: writes, and whether it is a terminal (binary output, progress bar). */
export interface CliStream {
  write(chunk: string | Uint8Array): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const command = parseCommand(argv);
  switch (command.command) {
    case "help":
      io.stdout.write(`${HELP_PAGES[command.page]}\n`);
      return ExitCode.ok;
    case "version":
      io.stdout.write(`${packageVersion()}\n`);
      return ExitCode.ok;
    case "bench":
      return runBenchCommand(command.full);
    case "build":
      await runBuild(command, io);
      return ExitCode.ok;
  }
}

/** Runs one command; resolves to its exit status (a failure has been written to `io.stderr`), never rejects. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    io.stderr.write(formatError(err));
    return exitCodeOf(err);
  }
}
