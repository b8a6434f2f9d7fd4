/**
 * The dependency direction (README, "How it works"): `native-free-workers/` runs in worker threads and never
 * imports main-thread code from `src/`; `native-free-workers/protocol/` is the contract both threads share and
 * imports nothing of ours outside itself. Read from the import statements of the sources, so a broken direction
 * fails here even when it happens to build.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Repo-relative targets of the relative imports (static, `export … from`, dynamic) of `file`. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

function violations(dir: string, allowed: (target: string) => boolean): string[] {
  return sources(dir).flatMap((file) => importsOf(file).filter((t) => !allowed(t)).map((t) => `${file} imports ${t}`));
}

describe("thread boundary", () => {
  it("finds the imports it checks (the reader is not blind)", () => {
    expect(importsOf("native-free-workers/compile.ts")).toContain("native-free-workers/protocol/errors.js");
    expect(importsOf("src/compiler.ts").some((t) => t.startsWith("native-free-workers/protocol/"))).toBe(true);
  });

  it("native-free-workers/ never imports src/", () => {
    expect(violations("native-free-workers", (t) => !t.startsWith("src/"))).toEqual([]);
  });

  it("native-free-workers/protocol/ imports nothing of ours outside itself", () => {
    expect(violations("native-free-workers/protocol", (t) => t.startsWith("native-free-workers/protocol/"))).toEqual([]);
  });
});
