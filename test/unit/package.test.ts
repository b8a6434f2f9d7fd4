/**
 * The package's entry points as another project sees them, without packing (scripts/install-test.sh packs
 * and installs the real tarball in CI): every export resolves for `import` and `require`, CommonJS can
 * `require("ctxc")` (Node >= 20.19 loads ES modules from require), and the bin is runnable.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/tmp.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  files: string[];
};

/** A project whose node_modules/ctxc is this checkout, as `npm install <path>` would link it. */
function consumer(): string {
  const dir = tempDir("package");
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "ctxc"), "dir");
  writeFileSync(join(dir, "package.json"), '{"private":true}');
  return dir;
}

describe("package entry points", () => {
  it("every export has types, import and default conditions, and the files exist", () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath === "./package.json") continue;
      expect(Object.keys(target as object), subpath).toEqual(["types", "import", "default"]);
      const t = target as Record<string, string>;
      expect(t.default, subpath).toBe(t.import);
      for (const file of Object.values(t)) expect(existsSync(join(ROOT, file)), `${subpath} → ${file}`).toBe(true);
    }
  });

  it("require() from a CommonJS file loads ctxc and ctxc/openclaw and builds", (ctx) => {
    const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
    if (major === 20 && minor < 19) ctx.skip(`node ${process.version} cannot require() ES modules (20.19+ can)`);
    const dir = consumer();
    writeFileSync(
      join(dir, "use.cjs"),
      `const { createCompiler, CtxcError } = require("ctxc");
       const { openSession } = require("ctxc/openclaw");
       const file = ${JSON.stringify(join(ROOT, "examples/transcripts/session.jsonl"))};
       (async () => {
         const compiler = createCompiler({ threads: 1 });
         const ctx = await compiler.build({ transcript: file });
         await compiler.close();
         console.log(JSON.stringify({ messages: ctx.messageCount, branch: openSession(file).getBranch().length, error: typeof CtxcError }));
       })();`,
    );
    const out = JSON.parse(execFileSync(process.execPath, [join(dir, "use.cjs")], { cwd: dir, encoding: "utf8", timeout: 60_000 })) as Record<string, unknown>;
    expect(out.messages).toBeGreaterThan(0);
    expect(out.branch).toBeGreaterThan(0);
    expect(out.error).toBe("function");
  });

  it("the bin is an executable script that answers --version", () => {
    const bin = join(ROOT, pkg.bin.ctxc!);
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" }).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("ships no benchmark code and no source maps", () => {
    expect(pkg.files).not.toContain("dist");
    expect(pkg.files.some((f) => f.startsWith("dist/bench") || f === "bench")).toBe(false);
    expect(pkg.files).toContain("!dist/**/*.map");
  });
});
