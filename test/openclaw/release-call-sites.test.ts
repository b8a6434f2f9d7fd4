/**
 * Call sites as interception points (release/shapes.ts `CALL_SITES`, release/plan.ts `callSiteProblem`,
 * release/rewrite.ts): in a body of a checked shape, the one matching call is handed to ctxc's handler as a thunk
 * with its argument, the function otherwise untouched; a body of another shape, a call found twice or not at all,
 * or a callee that is not the declared binding leave it stock with the reason. Checked on a chunk laid out as the
 * bundler lays out OpenClaw's (the matrix runs the real ones: test/matrix/lock-fs.test.ts).
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { findFunctions } from "../../src/openclaw/release/locate.js";
import { callSiteProblem, unpinnedUse } from "../../src/openclaw/release/plan.js";
import { rewriteChunk } from "../../src/openclaw/release/rewrite.js";
import { CALL_SITES, type CallSite } from "../../src/openclaw/release/shapes.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("release-call-sites");

const chunk = (body: string[], fsImport = `import fs from "node:fs/promises";`) =>
  [
    `import path from "node:path";`,
    fsImport,
    `async function acquireSessionWriteLock(params) {`,
    `\tconst sessionFile = path.resolve(params.sessionFile);`,
    `\tconst sessionDir = path.dirname(sessionFile);`,
    ...body,
    `\treturn { lockPath: \`\${sessionFile}.lock\` };`,
    `}`,
    `export { acquireSessionWriteLock as t };`,
    ``,
  ].join("\n");
const ONE = chunk([`\tawait fs.mkdir(sessionDir, { recursive: true });`]);

/** The lock's call site with `shape` checked. */
const siteFor = (shape: string): CallSite => ({ ...CALL_SITES[0]!, shapes: { [shape]: "test" } });

describe("release plan and rewrite: call sites", () => {
  it("accepts the one call in a checked body whose callee is the declared binding; says why otherwise", () => {
    const fn = findFunctions(ONE, "acquireSessionWriteLock", "/x/session-write-lock-a.js")[0]!;
    expect(callSiteProblem(siteFor(fn.shape), fn, ONE)).toBeNull();
    expect(callSiteProblem(siteFor("000000000000"), fn, ONE)).toBe(`acquireSessionWriteLock shape ${fn.shape} unchecked`);
    const twice = chunk([`\tawait fs.mkdir(sessionDir, { recursive: true });`, `\tawait fs.mkdir(sessionDir, { recursive: true });`]);
    const f2 = findFunctions(twice, "acquireSessionWriteLock", "/x/a.js")[0]!;
    expect(callSiteProblem(siteFor(f2.shape), f2, twice)).toBe("2 matches of the call in acquireSessionWriteLock");
    const none = chunk([`\tawait fs.mkdir(sessionDir);`]);
    const f0 = findFunctions(none, "acquireSessionWriteLock", "/x/a.js")[0]!;
    expect(callSiteProblem(siteFor(f0.shape), f0, none)).toBe("0 matches of the call in acquireSessionWriteLock");
    // `fs` bound to something else than node:fs/promises (here a module of the same surface).
    const other = chunk([`\tawait fs.mkdir(sessionDir, { recursive: true });`], `import fs from "./fs-wrapper.js";`);
    const fo = findFunctions(other, "acquireSessionWriteLock", "/x/a.js")[0]!;
    expect(callSiteProblem(siteFor(fo.shape), fo, other)).toBe('fs is not `import fs from "node:fs/promises";`');
    // A bundler-suffixed binding is the same call when declared so.
    const suffixed = chunk([`\tawait fs$1.mkdir(sessionDir, { recursive: true });`], `import fs$1 from "node:fs/promises";`);
    const fs1 = findFunctions(suffixed, "acquireSessionWriteLock", "/x/a.js")[0]!;
    expect(fs1.shape).toBe(fn.shape);
    expect(callSiteProblem(siteFor(fs1.shape), fs1, suffixed)).toBeNull();
  });

  it("hands the call to the handler as a thunk with its argument; the rest of the function runs as it was", async () => {
    const runtime = join(dir, "runtime.mjs");
    writeFileSync(
      runtime,
      `export const calls = [];\nexport const handlers = { mkdirUnlessFolder: (original, args, helpers) => { calls.push(args); return args[0].endsWith("skip") ? undefined : original(); } };\n`,
    );
    const fn = findFunctions(ONE, "acquireSessionWriteLock", "/x/a.js")[0]!;
    const file = join(dir, "chunk.mjs");
    const url = pathToFileURL(file).href;
    const served = rewriteChunk(ONE, url, pathToFileURL(runtime).href, [{ fn, handler: "mkdirUnlessFolder", helpers: [], callSite: CALL_SITES[0] }]);
    expect(served).toContain("await __ctxcHandlers.mkdirUnlessFolder(() => fs.mkdir(sessionDir, { recursive: true }), [sessionDir], {});");
    expect(served).not.toContain("$openclaw");
    writeFileSync(file, served);
    const mod = (await import(url)) as { t: (p: { sessionFile: string }) => Promise<{ lockPath: string }> };
    const { calls } = (await import(pathToFileURL(runtime).href)) as { calls: unknown[][] };
    // The handler runs the call: the folder is made.
    const made = join(dir, "made", "deeper");
    expect(await mod.t({ sessionFile: join(made, "s.jsonl") })).toEqual({ lockPath: join(made, "s.jsonl.lock") });
    expect(statSync(made).isDirectory()).toBe(true);
    // The handler answers without it: nothing made, the function goes on.
    const skipped = join(dir, "skip");
    expect(await mod.t({ sessionFile: join(skipped, "s.jsonl") })).toEqual({ lockPath: join(skipped, "s.jsonl.lock") });
    expect(existsSync(skipped)).toBe(false);
    expect(calls).toEqual([[made], [skipped]]);
  });

  it("the lock file's stat: only `stat: await handle.stat()` is handed over (with the handle), the failed attempt's stat left", async () => {
    const site = CALL_SITES.find((c) => c.handler === "statOfLockHandle")!;
    const manager = (lines: string[]) =>
      [
        `import fs$1 from "node:fs/promises";`,
        `function createSidecarLockManager(key) {`,
        `\tasync function acquire(options) {`,
        `\t\tlet handle = null;`,
        `\t\ttry {`,
        `\t\t\thandle = await fs$1.open(options.lockPath, "wx");`,
        `\t\t\tawait handle.writeFile("{}", "utf8");`,
        ...lines,
        `\t\t} catch (err) {`,
        `\t\t\tconst failedSnapshot = { payload: null };`,
        `\t\t\tif (handle) failedSnapshot.stat = await handle.stat();`,
        `\t\t\tthrow err;`,
        `\t\t}`,
        `\t}`,
        `\treturn { acquire };`,
        `}`,
        `export { createSidecarLockManager as t };`,
        ``,
      ].join("\n");
    const source = manager([`\t\t\tconst snapshot = { stat: await handle.stat() };`, `\t\t\treturn { handle, snapshot };`]);
    const fn = findFunctions(source, "createSidecarLockManager", "/x/sidecar-lock-a.js")[0]!;
    const checked = { ...site, shapes: { [fn.shape]: "test" } };
    expect(callSiteProblem(checked, fn, source)).toBeNull();
    const bare = manager([`\t\t\tconst stat = await handle.stat();`, `\t\t\treturn { handle, stat };`]);
    const fb = findFunctions(bare, "createSidecarLockManager", "/x/a.js")[0]!;
    expect(callSiteProblem({ ...site, shapes: { [fb.shape]: "test" } }, fb, bare)).toBe("0 matches of the call in createSidecarLockManager");
    const runtime = join(dir, "stat-runtime.mjs");
    writeFileSync(runtime, `export const seen = [];\nexport const handlers = { statOfLockHandle: (original, args) => { seen.push(args[0]); return { answered: true }; } };\n`);
    const file = join(dir, "manager.mjs");
    const served = rewriteChunk(source, pathToFileURL(file).href, pathToFileURL(runtime).href, [{ fn, handler: "statOfLockHandle", helpers: [], callSite: checked }]);
    expect(served).toContain("const snapshot = { stat: await __ctxcHandlers.statOfLockHandle(() => handle.stat(), [handle], {}) };");
    expect(served).toContain("failedSnapshot.stat = await handle.stat();");
    writeFileSync(file, served);
    const mod = (await import(pathToFileURL(file).href)) as { t: (key: string) => { acquire: (o: object) => Promise<{ handle: { fd: number; close: () => Promise<void> }; snapshot: unknown }> } };
    const got = await mod.t("k").acquire({ lockPath: join(dir, "x.lock") });
    expect(got.snapshot).toEqual({ stat: { answered: true } });
    const { seen } = (await import(pathToFileURL(runtime).href)) as { seen: unknown[] };
    expect(seen).toEqual([got.handle]);
    await got.handle.close();
  });

  it("the run's hadSessionFile stat: pinned by its whole statement in any body of the run; only the stat handed over, the boolean made of it as it was", async () => {
    const site = CALL_SITES.find((c) => c.handler === "sessionFileStat")!;
    expect("anyBody" in site.shapes).toBe(true);
    const run = (lines: string[], fsImport = `import fs$1 from "node:fs/promises";`) =>
      [`import path from "node:path";`, fsImport, `async function runEmbeddedAttempt(params) {`, `	const before = params.n + 1;`, ...lines, `}`, `export { runEmbeddedAttempt as t };`, ``].join("\n");
    const statement = `\tconst hadSessionFile = await fs$1.stat(params.sessionFile).then(() => true).catch(() => false);`;
    const source = run([statement, `\treturn { before, hadSessionFile };`]);
    const fn = findFunctions(source, "runEmbeddedAttempt", "/x/selection-a.js")[0]!;
    // Any shape: another body around the same statement is served too.
    expect(callSiteProblem(site, fn, source)).toBeNull();
    const other = run([`\tconst extra = await Promise.resolve(2);`, statement, `\treturn { before, extra, hadSessionFile };`]);
    const fx = findFunctions(other, "runEmbeddedAttempt", "/x/a.js")[0]!;
    expect(fx.shape).not.toBe(fn.shape);
    expect(callSiteProblem(site, fx, other)).toBeNull();
    // The statement, not the stat alone: a stat whose result is used otherwise, or the statement twice, stays stock.
    const used = run([`\tconst st = await fs$1.stat(params.sessionFile);`, `\treturn st.size;`]);
    expect(callSiteProblem(site, findFunctions(used, "runEmbeddedAttempt", "/x/a.js")[0]!, used)).toBe("0 matches of the call in runEmbeddedAttempt");
    const otherUse = run([`\tconst hadSessionFile = await fs$1.stat(params.sessionFile).then(() => true).catch(() => null);`, `\treturn hadSessionFile;`]);
    expect(callSiteProblem(site, findFunctions(otherUse, "runEmbeddedAttempt", "/x/a.js")[0]!, otherUse)).toBe("0 matches of the call in runEmbeddedAttempt");
    const twice = run([`\tif (params.n) {`, `\t${statement}`, `\t}`, statement]);
    expect(callSiteProblem(site, findFunctions(twice, "runEmbeddedAttempt", "/x/a.js")[0]!, twice)).toBe("2 matches of the call in runEmbeddedAttempt");
    const wrapped = run([statement], `import fs$1 from "./fs-wrapper.js";`);
    expect(callSiteProblem(site, findFunctions(wrapped, "runEmbeddedAttempt", "/x/a.js")[0]!, wrapped)).toBe('fs$1 is not `import fs$1 from "node:fs/promises";`');
    // Rewritten: the stat as a thunk with its path; true / false still made by the statement from the handler's promise.
    const runtime = join(dir, "session-stat-runtime.mjs");
    writeFileSync(runtime, `export const seen = [];\nexport const handlers = { sessionFileStat: (original, args) => { seen.push(args[0]); return args[0].endsWith("missing") ? Promise.reject(new Error("no")) : original(); } };\n`);
    const file = join(dir, "run.mjs");
    const served = rewriteChunk(source, pathToFileURL(file).href, pathToFileURL(runtime).href, [{ fn, handler: "sessionFileStat", helpers: [], callSite: site }]);
    expect(served).toContain("const hadSessionFile = await __ctxcHandlers.sessionFileStat(() => fs$1.stat(params.sessionFile), [params.sessionFile], {}).then(() => true).catch(() => false);");
    writeFileSync(file, served);
    const mod = (await import(pathToFileURL(file).href)) as { t: (p: object) => Promise<{ before: number; hadSessionFile: boolean }> };
    expect(await mod.t({ n: 1, sessionFile: file })).toEqual({ before: 2, hadSessionFile: true });
    expect(await mod.t({ n: 2, sessionFile: join(dir, "missing") })).toEqual({ before: 3, hadSessionFile: false });
    const { seen } = (await import(pathToFileURL(runtime).href)) as { seen: unknown[] };
    expect(seen).toEqual([file, join(dir, "missing")]);
  });

  it("two call sites in one function are both rewritten (the second found in the body the first lengthened); the answer's users are pinned in the site's chunk only", async () => {
    const open = CALL_SITES.find((c) => c.handler === "openLockFile")!;
    const stat = CALL_SITES.find((c) => c.handler === "statOfLockHandle")!;
    const source = [
      `import fs$1 from "node:fs/promises";`,
      `function createSidecarLockManager(key) {`,
      `\tasync function acquire(options) {`,
      `\t\tlet handle = null;`,
      `\t\tconst lockPath = options.lockPath;`,
      `\t\thandle = await fs$1.open(lockPath, "wx");`,
      `\t\tawait handle.writeFile("{}", "utf8");`,
      // Within the last characters of the function: past its end as the bundle had it, once the first site is rewritten.
      `\t\treturn { handle, snapshot: { stat: await handle.stat() } };`,
      `\t}`,
      `\treturn { acquire };`,
      `}`,
      `export { createSidecarLockManager as t };`,
      ``,
    ].join("\n");
    const text = `\n${source}`; // a binding is checked as a line of its own
    const fn = findFunctions(text, "createSidecarLockManager", "/x/sidecar-lock-a.js")[0]!;
    const checkedOpen = { ...open, shapes: { [fn.shape]: "test" } };
    const checkedStat = { ...stat, shapes: { [fn.shape]: "test" } };
    expect(callSiteProblem(checkedOpen, fn, text)).toBeNull();
    expect(callSiteProblem(checkedStat, fn, text)).toBeNull();
    const runtime = join(dir, "two-sites-runtime.mjs");
    writeFileSync(runtime, `export const seen = [];\nexport const handlers = { openLockFile: (original, args) => { seen.push(["open", args[0]]); return original(); }, statOfLockHandle: (original, args) => { seen.push(["stat"]); return original(); } };\n`);
    const file = join(dir, "two-sites.mjs");
    const served = rewriteChunk(text, pathToFileURL(file).href, pathToFileURL(runtime).href, [
      { fn, handler: "openLockFile", helpers: [], callSite: checkedOpen },
      { fn, handler: "statOfLockHandle", helpers: [], callSite: checkedStat },
    ]);
    expect(served).toContain(`handle = await __ctxcHandlers.openLockFile(() => fs$1.open(lockPath, "wx"), [lockPath], {});`);
    expect(served).toContain("return { handle, snapshot: { stat: await __ctxcHandlers.statOfLockHandle(() => handle.stat(), [handle], {}) } };\n\t}\n\treturn { acquire };\n}");
    writeFileSync(file, served);
    const mod = (await import(pathToFileURL(file).href)) as { t: (key: string) => { acquire: (o: object) => Promise<{ handle: { close: () => Promise<void> }; snapshot: { stat: { size: number } } }> } };
    const got = await mod.t("k").acquire({ lockPath: join(dir, "two-sites.lock") });
    expect(got.snapshot.stat.size).toBe(2);
    await got.handle.close();
    const { seen } = (await import(pathToFileURL(runtime).href)) as { seen: unknown[] };
    expect(seen).toEqual([["open", join(dir, "two-sites.lock")], ["stat"]]);
    // usedBy: the definitions in the site's chunk must have a listed shape; another chunk's namesake is not looked at.
    const user = (file: string, shape: string) => ({ name: "releaseHeldLock", file, shape, async: true, generator: false, start: 0, end: 1 });
    const found = (defs: ReturnType<typeof user>[]) => ({ functions: new Map([["releaseHeldLock", defs]]) }) as unknown as Parameters<typeof unpinnedUse>[0];
    const site = { ...open, usedBy: { releaseHeldLock: { aaaaaaaaaaaa: "test" } } };
    const at = { ...fn, file: "/x/sidecar-lock-a.js" };
    expect(unpinnedUse(found([user("/x/sidecar-lock-a.js", "aaaaaaaaaaaa"), user("/x/other.js", "bbbbbbbbbbbb")]), site, at)).toBeNull();
    expect(unpinnedUse(found([user("/x/sidecar-lock-a.js", "cccccccccccc")]), site, at)).toBe("releaseHeldLock shape cccccccccccc unchecked");
    expect(unpinnedUse(found([user("/x/other.js", "aaaaaaaaaaaa")]), site, at)).toBe("no releaseHeldLock");
  });
});
