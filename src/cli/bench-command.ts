/**
 * `ctxc bench`: runs the quick benchmark suite (the same as `npm run bench:quick`, without rebuilding)
 * in a child Node process, so its timing is not disturbed by the CLI's own process, and passes its
 * output through. The suite lives in dist/bench/run.js, which only exists in a source checkout.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Errors } from "../../native-free-workers/protocol/errors.js";

/** dist/src/cli/bench-command.js → dist/bench/run.js */
const RUNNER = fileURLToPath(new URL("../../bench/run.js", import.meta.url));

export function runBenchCommand(full: boolean): Promise<number> {
  if (!existsSync(RUNNER)) {
    return Promise.reject(Errors.invalidOption("bench", `the benchmark suite is not built (${RUNNER} is missing); run it from a source checkout after \`npm run build\``));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", RUNNER, full ? "--full" : "--quick"], { stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}
