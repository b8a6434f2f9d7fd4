#!/usr/bin/env node
/**
 * The `ctxc` command. It is a thin shell over the library: parse arguments, run one build through the
 * same compiler the API exposes, print. Every failure becomes one line with a code and a documented exit
 * status (cli-errors.ts), never a stack trace; `process.exitCode` lets pending output flush.
 */
import { readFileSync } from "node:fs";
import { parseCommand } from "./args.js";
import { runBenchCommand } from "./bench-command.js";
import { runBuild } from "./build-command.js";
import { ExitCode, exitCodeOf, formatError } from "./cli-errors.js";
import { HELP_PAGES } from "./help.js";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  switch (command.command) {
    case "help":
      process.stdout.write(`${HELP_PAGES[command.page]}\n`);
      return ExitCode.ok;
    case "version":
      process.stdout.write(`${packageVersion()}\n`);
      return ExitCode.ok;
    case "bench":
      return runBenchCommand(command.full);
    case "build":
      await runBuild(command);
      return ExitCode.ok;
  }
}

// A reader that goes away (`ctxc build … | head`) is not an error of ours: stop writing, keep the status.
// Any other stdout failure would otherwise surface as an uncaught 'error' event with a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") return;
  process.stderr.write(`ctxc: cannot write to stdout: ${err.code ?? err.message} [OUTPUT_UNWRITABLE]\n`);
  process.exitCode = ExitCode.output;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(formatError(err));
    process.exitCode = exitCodeOf(err);
  },
);
