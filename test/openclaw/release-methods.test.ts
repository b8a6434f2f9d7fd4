/**
 * Class methods as interception points (release/locate.ts `findFunctions` with `Class.method`,
 * release/rewrite.ts): found by name inside the right top-level class only, and served with a delegate
 * that hands ctxc's handler the instance and OpenClaw's original bound to it — checked on a chunk laid
 * out as the bundler lays out OpenClaw's (the matrix runs the real ones: test/matrix/rewrite-append.test.ts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { findFunctions } from "../../src/openclaw/release/locate.js";
import { rewriteChunk } from "../../src/openclaw/release/rewrite.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("release-methods");

const CHUNK = [
  `const sessionEntriesCache = new Map();`,
  `var Other = class Other {`,
  `\trewriteFile(options) {`,
  `\t\treturn "other";`,
  `\t}`,
  `};`,
  `var SessionManager = class SessionManager {`,
  `\tconstructor(file) {`,
  `\t\tthis.sessionFile = file;`,
  `\t}`,
  `\twriteFullFile() {`,
  `\t\treturn "content";`,
  `\t}`,
  `\trewriteFile(options) {`,
  `\t\tif (!this.sessionFile) return;`,
  `\t\treturn { by: "openclaw", file: this.sessionFile, options, content: this.writeFullFile() };`,
  `\t}`,
  `\tstatic open(file) {`,
  `\t\treturn new SessionManager(file);`,
  `\t}`,
  `};`,
  `export { SessionManager as t, Other as o };`,
  ``,
].join("\n");

describe("release locator and rewrite: class methods", () => {
  it("finds Class.method in that class only, from its name to its closing brace", () => {
    const [fn, more] = findFunctions(CHUNK, "SessionManager.rewriteFile", "/x/session-manager-a.js");
    expect(more).toBeUndefined();
    expect(CHUNK.slice(fn!.start, fn!.end)).toBe(
      `rewriteFile(options) {\n\t\tif (!this.sessionFile) return;\n\t\treturn { by: "openclaw", file: this.sessionFile, options, content: this.writeFullFile() };\n\t}`,
    );
    expect(findFunctions(CHUNK, "Missing.rewriteFile", "/x/a.js")).toEqual([]);
    expect(findFunctions(CHUNK, "SessionManager.persistRecord", "/x/a.js")).toEqual([]);
    // The same body elsewhere in the file is the same shape; another body is another.
    const other = findFunctions(CHUNK, "Other.rewriteFile", "/x/a.js")[0]!;
    expect(other.shape).not.toBe(fn!.shape);
  });

  it("serves the method through the handler with the instance, the arguments, the chunk's helpers and the original bound", async () => {
    const runtime = join(dir, "runtime.mjs");
    writeFileSync(
      runtime,
      `export const calls = [];\nexport const handlers = { "SessionManager.rewriteFile": (original, args, helpers, self) => { calls.push({ args, self, cache: helpers.sessionEntriesCache() }); return { ctxc: true, stock: original(...args) }; } };\n`,
    );
    const fn = findFunctions(CHUNK, "SessionManager.rewriteFile", "/x/a.js")[0]!;
    const file = join(dir, "chunk.mjs");
    const url = pathToFileURL(file).href;
    writeFileSync(file, rewriteChunk(CHUNK, url, pathToFileURL(runtime).href, [{ fn, handler: "SessionManager.rewriteFile", helpers: ["sessionEntriesCache"] }]));
    const mod = (await import(url)) as { t: { open(f: string): { rewriteFile(o?: unknown): unknown } }; o: new () => { rewriteFile(): unknown } };
    const { calls } = (await import(pathToFileURL(runtime).href)) as { calls: { args: unknown[]; self: unknown; cache: unknown }[] };
    const sm = mod.t.open("/s.jsonl");
    expect(sm.rewriteFile({ publishSnapshot: false })).toEqual({ ctxc: true, stock: { by: "openclaw", file: "/s.jsonl", options: { publishSnapshot: false }, content: "content" } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.self).toBe(sm);
    expect(calls[0]!.args).toEqual([{ publishSnapshot: false }]);
    expect(calls[0]!.cache).toBeInstanceOf(Map);
    // The other class's method of the same name is untouched.
    expect(new mod.o().rewriteFile()).toBe("other");
    expect(calls).toHaveLength(1);
  });
});
