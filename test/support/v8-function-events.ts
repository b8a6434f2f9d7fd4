/**
 * Runs a child script under V8's function events (`--log-function-events`) and returns them in order, for the
 * tests that check what V8 compiled or first ran around a marker (the restart warm-up's warm-code tests).
 * V8 may write one log per isolate (`<pid>-<n>-v8.log`): the one that holds `marker` is the script's.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One function event: its kind (`first-execution`, `baseline`, …) and the function's name. */
export interface FunctionEvent {
  kind: string;
  name: string;
}

/** Runs `file` (in `dir`) with the Node running the test; its stdout and the function events of the log naming `marker`. */
export function runWithFunctionEvents(dir: string, file: string, marker: string): { stdout: string; events: FunctionEvent[] } {
  const stdout = execFileSync(process.execPath, ["--log-function-events", `--logfile=${join(dir, "v8.log")}`, file], { cwd: dir, encoding: "utf8" });
  const log = readdirSync(dir)
    .filter((f) => f.endsWith("v8.log"))
    .map((f) => readFileSync(join(dir, f), "latin1"))
    .find((text) => text.includes(marker));
  if (log === undefined) throw new Error(`no V8 log in ${dir} names ${marker}`);
  const events: FunctionEvent[] = [];
  for (const line of log.split("\n")) {
    const f = line.split(",");
    if (f[0] === "function") events.push({ kind: f[1]!, name: f.slice(7).join(",") });
  }
  return { stdout, events };
}
