#!/usr/bin/env node
/**
 * The `ctxc` command. It is a thin shell over the library: parse arguments, run one build through the
 * same compiler the API exposes, print (run.ts). Every failure becomes one line with a code and a
 * documented exit status (cli-errors.ts), never a stack trace; `process.exitCode` lets pending output flush.
 */
import { ExitCode } from "./cli-errors.js";
import { runCli } from "./run.js";

// A reader that goes away (`ctxc build … | head`) is not an error of ours: stop writing, keep the status.
// Any other stdout failure would otherwise surface as an uncaught 'error' event with a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") return;
  process.stderr.write(`ctxc: cannot write to stdout: ${err.code ?? err.message} [OUTPUT_UNWRITABLE]\n`);
  process.exitCode = ExitCode.output;
});

void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
