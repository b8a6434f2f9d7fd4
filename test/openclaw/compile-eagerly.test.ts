/**
 * The preload loads its module graph with V8's eager compilation (src/openclaw/compile-eagerly.ts), so a
 * gateway's first turn does not compile ctxc's functions. Checked on the real `--import
 * dist/src/openclaw/register.js` in a child process, by V8's own function events (`--log-function-events`:
 * a `parse-function` event is a function compiled at its first call): a ctxc function first called after
 * start-up is not compiled then, the application's own code still is (lazy compilation is back on once the
 * preload is loaded), and `CTXC_OPENCLAW_EAGER_COMPILE=off` gives the lazy compilation back to ctxc's too.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { eagerCompileWanted } from "../../src/openclaw/compile-eagerly.js";
import { tempDir } from "../support/tmp.js";

const dist = join(import.meta.dirname, "..", "..", "dist");
const layeredMap = pathToFileURL(join(dist, "src", "openclaw", "release", "layered-map.js")).href;

/** The functions compiled at their first call in the child's main isolate, as "<script file> <function>". */
function lazilyCompiled(env: Record<string, string>): string[] {
  const dir = tempDir("ctxc-eager-");
  const child = join(dir, "child.mjs");
  // `fork` runs for the first time here, after the preload; `appFunction` is the application's own code.
  writeFileSync(child, `const { LayeredMap } = await import(${JSON.stringify(layeredMap)});\nfunction appFunction(m) { m.set(1, 2); return m.fork().size; }\nappFunction(new LayeredMap());\n`);
  execFileSync(process.execPath, ["--log-function-events", `--logfile=${join(dir, "v8.log")}`, "--import", pathToFileURL(join(dist, "src", "openclaw", "register.js")).href, child], {
    cwd: dir,
    env: { ...process.env, CTXC_OPENCLAW_LOG: join(dir, "ctxc.log"), ...env },
    stdio: "ignore",
  });
  const log = readdirSync(dir)
    .filter((f) => f.endsWith("v8.log"))
    .map((f) => readFileSync(join(dir, f), "latin1"))
    .find((text) => text.includes("appFunction"));
  expect(log).toBeDefined();
  const scripts = new Map<string, string>();
  const compiled: string[] = [];
  for (const line of log!.split("\n")) {
    const f = line.split(",");
    if (f[0] === "script-details" && !scripts.has(f[1]!)) scripts.set(f[1]!, f[2]!.split("/").pop()!);
    else if (f[0] === "function" && f[1] === "parse-function") compiled.push(`${scripts.get(f[2]!) ?? "?"} ${f.slice(7).join(",")}`);
  }
  return compiled;
}

describe("the preload's eager compilation", () => {
  it("ctxc's functions are compiled at start-up, the application's still at their first call", () => {
    const compiled = lazilyCompiled({});
    expect(compiled).toContain("child.mjs appFunction");
    expect(compiled.filter((c) => c.startsWith("layered-map.js "))).toEqual([]);
  });

  it("CTXC_OPENCLAW_EAGER_COMPILE=off: ctxc's functions compile at their first call", () => {
    const compiled = lazilyCompiled({ CTXC_OPENCLAW_EAGER_COMPILE: "off" });
    expect(compiled).toContain("child.mjs appFunction");
    expect(compiled).toContain("layered-map.js fork");
  });

  it("only on the main thread, with the preload on, and never over the process's own lazy setting", () => {
    expect(eagerCompileWanted(true, {}, [])).toBe(true);
    expect(eagerCompileWanted(true, { NODE_OPTIONS: "--max-old-space-size=4096 --lazy-feedback-allocation" }, ["--expose-gc"])).toBe(true);
    expect(eagerCompileWanted(false, {}, [])).toBe(false);
    expect(eagerCompileWanted(true, { CTXC_OPENCLAW_PRELOAD: "off" }, [])).toBe(false);
    expect(eagerCompileWanted(true, { CTXC_OPENCLAW_EAGER_COMPILE: "off" }, [])).toBe(false);
    for (const flag of ["--no-lazy", "--lazy", "--no_lazy", "--max-lazy", "--lazy=false"]) {
      expect(eagerCompileWanted(true, {}, [flag])).toBe(false);
      expect(eagerCompileWanted(true, { NODE_OPTIONS: `--expose-gc ${flag}` }, [])).toBe(false);
    }
  });
});
