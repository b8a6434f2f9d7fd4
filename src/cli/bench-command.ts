/**
 * `ctxc bench`: runs the benchmark suite (the same as `npm run bench:quick`, without rebuilding) in a
 * child Node process, so its timing is not disturbed by the CLI's own process, and passes its output
 * through.
 *
 * The suite is not shipped in the package, on purpose: it measures ctxc against pi's own loader
 * (`@earendil-works/pi-coding-agent`, with its AI-provider SDKs) and uses js-tiktoken and tinybench —
 * making those runtime dependencies would put them in every gateway that installs ctxc, for a command
 * that only maintainers run. So an installed package answers BENCH_UNAVAILABLE (exit 4) and says where
 * the suite runs; a source checkout runs it.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CliErrors } from "./cli-errors.js";

/** dist/src/cli/bench-command.js → dist/bench/run.js */
const RUNNER = fileURLToPath(new URL("../../bench/run.js", import.meta.url));
/** What the suite imports beyond ctxc's own dependencies (devDependencies in package.json). */
const BENCH_DEPENDENCIES = ["tinybench", "js-tiktoken", "@earendil-works/pi-coding-agent"];

function missingDependency(): string | undefined {
  return BENCH_DEPENDENCIES.find((name) => {
    try {
      import.meta.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

export function runBenchCommand(full: boolean): Promise<number> {
  if (!existsSync(RUNNER)) return Promise.reject(CliErrors.benchUnavailable(`${RUNNER} is not here`));
  const missing = missingDependency();
  if (missing) return Promise.reject(CliErrors.benchUnavailable(`the development dependency ${missing} is not installed`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", RUNNER, full ? "--full" : "--quick"], { stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}
