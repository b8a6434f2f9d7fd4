/**
 * The workspace bootstrap read (`loadWorkspaceBootstrapFiles`, src/openclaw/workspace-files.ts) against ONE
 * release's own code (`CTXC_OPENCLAW_ROOT`): first the function itself on workspaces built every way a
 * workspace is (present, missing, empty, huge, non-UTF-8, symlinked in and out, hard-linked, a folder in a
 * file's place, MEMORY.md vs memory.md, the workspace itself missing or a symlink) and changed between calls;
 * then through the release's OWN `resolveBootstrapFilesForRun` and `buildBootstrapContextForFiles` — a copy of
 * its bootstrap chunks importing the workspace chunk as the preload serves it, next to the untouched
 * release — with the workspace setup completed or not (2026.5.18+ drops BOOTSTRAP.md then), `agent:bootstrap`
 * hooks that add, drop, re-add and edit files, per-agent limits, and every session and run kind. Each call
 * must return exactly what the release returns (the records, their key order, the context, the warnings).
 */
import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { rewrittenCopyPath } from "../../bench/lib/rewritten-copy.js";
import { locateRelease } from "../../src/openclaw/release/locate.js";
import { importIntercepted, releaseTestSetup, type Intercepted } from "../support/openclaw-release.js";

const { root, version, dir } = releaseTestSetup("matrix-workspace-files", { afterAll });

const NAMES = ["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md", "BOOTSTRAP.md", "MEMORY.md"];
const MiB2 = 2 * 1024 * 1024;
let n = 0;
/** A fresh workspace folder with `files` (name → text or bytes). */
function workspace(files: Record<string, string | Buffer> = {}): string {
  const ws = join(dir, `ws${++n}`);
  mkdirSync(ws, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(ws, name), text);
  return ws;
}
const all = (tag: string) => Object.fromEntries(NAMES.map((name) => [name, `# ${name} ${tag}\nline two\n`]));

/** `ours` and `theirs` the same values with the same keys in the same order. */
function same(ours: unknown, theirs: unknown, what: string): void {
  expect(ours, what).toEqual(theirs);
  expect(JSON.stringify(ours), what).toBe(JSON.stringify(theirs));
}

/** The `export { local as alias, … }` map of a chunk: local name → alias. */
function exportsOf(source: string): Map<string, string> {
  const list = /\nexport \{([^}]*)\};?\s*(\/\/# sourceMappingURL=\S+\s*)?$/.exec(source)?.[1] ?? "";
  return new Map(list.split(",").map((s) => s.trim().split(/\s+as\s+/) as [string, string]).map(([local, alias]) => [local, alias ?? local]));
}

const written: string[] = [];
afterAll(() => {
  for (const f of written.splice(0)) rmSync(f, { force: true });
});

describe.skipIf(!root)(`OpenClaw ${version}: the workspace bootstrap read vs the release's own`, () => {
  it("loadWorkspaceBootstrapFiles: the same records, on workspaces built every way and changed between calls", async (ctx) => {
    const x = await importIntercepted(root!, "loadWorkspaceBootstrapFiles");
    if (typeof x === "string") return ctx.skip(x);
    const outside = join(dir, "outside.md");
    writeFileSync(outside, "# outside the workspace\n");
    const cases: [string, string][] = [];
    cases.push(["every file", workspace(all("a"))]);
    cases.push(["empty folder", workspace()]);
    cases.push(["no folder", join(dir, "does-not-exist")]);
    cases.push([
      "odd bytes",
      workspace({
        "AGENTS.md": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("# agents\r\nline two\r\n")]),
        "SOUL.md": Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x00, 0x41, 0xe2, 0x82, 0x0a]),
        "TOOLS.md": "",
        "IDENTITY.md": "名前: ✓ \u2028 \ud83d\ude00 é\u0301\n",
        "USER.md": " \n\t\n",
      }),
    ]);
    cases.push(["2 MiB and one byte more", workspace({ "HEARTBEAT.md": "h".repeat(MiB2), "BOOTSTRAP.md": "b".repeat(MiB2 + 1), "AGENTS.md": "é".repeat(MiB2 / 2) })]);
    const links = workspace({ "real.md": "# a file inside\n", "AGENTS.md": "# agents\n" });
    symlinkSync(join(links, "real.md"), join(links, "USER.md"));
    symlinkSync("real.md", join(links, "SOUL.md"));
    symlinkSync(outside, join(links, "IDENTITY.md"));
    symlinkSync(join(links, "gone.md"), join(links, "TOOLS.md"));
    symlinkSync(join(links, "real.md"), join(links, "MEMORY.md"));
    mkdirSync(join(links, "HEARTBEAT.md"));
    linkSync(join(links, "AGENTS.md"), join(links, "BOOTSTRAP.md"));
    cases.push(["symlinks in and out, a folder, a hard link", links]);
    cases.push(["memory.md only", workspace({ "memory.md": "# lower case\n", "AGENTS.md": "x" })]);
    const real = workspace(all("through a link"));
    const viaLink = join(dir, "ws-link");
    symlinkSync(real, viaLink);
    cases.push(["the workspace is a symlink", viaLink]);

    const served = x.runtime.counters.workspaceReadsServed;
    for (const [what, ws] of cases) same(await x.ctxc(ws), await x.openclaw(ws), what);
    expect(x.runtime.counters.workspaceReadsServed).toBe(served + cases.length);

    // Changed between calls, as an operator or the agent edits its workspace.
    const ws = workspace(all("v1"));
    const check = async (what: string) => same(await x.ctxc(ws), await x.openclaw(ws), what);
    await check("first read");
    await check("unchanged");
    writeFileSync(join(ws, "AGENTS.md"), "# AGENTS.md v2, longer\n");
    await check("rewritten longer");
    // Same size, a later mtime (a same-size rewrite inside one timestamp tick is beyond both caches' keys).
    writeFileSync(join(ws, "TOOLS.md"), "# TOOLS.md v9\nline two\n");
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(ws, "TOOLS.md"), later, later);
    await check("same size, later mtime");
    unlinkSync(join(ws, "SOUL.md"));
    unlinkSync(join(ws, "MEMORY.md"));
    await check("deleted, MEMORY.md gone");
    writeFileSync(join(ws, "MEMORY.md"), "# memory again\n");
    unlinkSync(join(ws, "USER.md"));
    symlinkSync(outside, join(ws, "USER.md"));
    await check("MEMORY.md back, USER.md now a link out");
    writeFileSync(join(ws, "IDENTITY.md"), "i".repeat(MiB2 + 10));
    await check("grown past 2 MiB");
    writeFileSync(join(ws, "IDENTITY.md"), "small again\n");
    await check("shrunk back");
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: bootstrap files through the release's own functions, its read served`, () => {
  it("resolveBootstrapFilesForRun + buildBootstrapContextForFiles: setup completed or not, hooks, per-agent limits, session and run kinds", async (ctx) => {
    // Located before the intercepted copy is written next to the real chunk.
    const found = locateRelease(root!, version);
    const x = await importIntercepted(root!, "loadWorkspaceBootstrapFiles");
    if (typeof x === "string") return ctx.skip(x);
    const workspaceChunk = found.functions.get("loadWorkspaceBootstrapFiles")![0]!.file;
    const bootstrapChunk = found.functions.get("resolveBootstrapFilesForRun")![0]!.file;
    const dist = dirname(workspaceChunk);
    const cacheName = readdirSync(dist).find((f) => /^bootstrap-cache-[\w-]{8}\.js$/.test(f));
    const hooksName = readdirSync(dist).find((f) => /^internal-hooks-[\w-]{8}\.js$/.test(f) && readFileSync(join(dist, f), "utf8").includes("function registerInternalHook("));
    if (!hooksName) throw new Error("no internal-hooks chunk");
    // The served graph: the bootstrap chunks as the release ships them, but importing the workspace chunk
    // as the preload serves it (the copy importIntercepted wrote), as every importer gets it under the preload.
    const servedWorkspace = basename(rewrittenCopyPath(workspaceChunk, process.pid, "loadWorkspaceBootstrapFiles"));
    const copy = (file: string, replace: [string, string][]) => {
      let text = readFileSync(file, "utf8");
      for (const [from, to] of replace) text = text.replaceAll(`"./${from}"`, `"./${to}"`);
      const out = rewrittenCopyPath(file, process.pid, "served-graph");
      writeFileSync(out, text);
      written.push(out);
      return out;
    };
    const swaps: [string, string][] = [[basename(workspaceChunk), servedWorkspace]];
    if (cacheName) swaps.push([cacheName, basename(copy(join(dist, cacheName), swaps))]);
    const servedBootstrap = copy(bootstrapChunk, swaps);
    const aliases = exportsOf(readFileSync(bootstrapChunk, "utf8"));
    const pick = (mod: Record<string, unknown>, local: string) => mod[aliases.get(local)!] as (...a: unknown[]) => unknown;
    const ours = (await import(pathToFileURL(servedBootstrap).href)) as Record<string, unknown>;
    const theirs = (await import(pathToFileURL(bootstrapChunk).href)) as Record<string, unknown>;
    const hooksSource = readFileSync(join(dist, hooksName), "utf8");
    const hooks = (await import(pathToFileURL(join(dist, hooksName)).href)) as Record<string, unknown>;
    const register = hooks[exportsOf(hooksSource).get("registerInternalHook")!] as (key: string, fn: (e: { context: Record<string, unknown> }) => void) => void;
    const clear = hooks[exportsOf(hooksSource).get("clearInternalHooks")!] as () => void;

    const setupFilter = readFileSync(bootstrapChunk, "utf8").includes("filterCompletedWorkspaceBootstrapFile");
    const states: [string, (ws: string) => void][] = [
      ["no setup state", () => {}],
      ["setup pending", (ws) => writeState(ws, { bootstrapSeededAt: "2026-01-01T00:00:00Z" })],
      ["setup completed", (ws) => writeState(ws, { bootstrapSeededAt: "2026-01-01T00:00:00Z", setupCompletedAt: "2026-01-02T00:00:00Z" })],
      ["setup completed (legacy key)", (ws) => writeState(ws, { onboardingCompletedAt: "2026-01-02T00:00:00Z" })],
      ["setup completed blank", (ws) => writeState(ws, { setupCompletedAt: "  " })],
    ];
    const hookKinds: [string, ((e: { context: Record<string, unknown> }) => void) | undefined][] = [
      ["no hook", undefined],
      [
        "hook adds, drops and re-adds",
        (e) => {
          const files = e.context.bootstrapFiles as { name: string; path: string; content?: string; missing: boolean }[];
          const ws = e.context.workspaceDir as string;
          e.context.bootstrapFiles = [
            ...files.filter((f) => f.name !== "HEARTBEAT.md"),
            { name: "EXTRA.md", path: "notes/EXTRA.md", content: "# extra from a hook\n", missing: false },
            { name: "BOOTSTRAP.md", path: "BOOTSTRAP.md", content: "# bootstrap re-added by a hook\n", missing: false },
            { name: "BOOTSTRAP.md", path: join(ws, "sub", "BOOTSTRAP.md"), content: "# not the root one\n", missing: false },
            { name: "NOPATH.md", content: "no path", missing: false },
            { name: "AGENTS.md", path: join(ws, "AGENTS.md"), content: "# duplicate path, dropped\n", missing: false },
          ];
        },
      ],
      [
        "hook edits in place",
        (e) => {
          for (const f of e.context.bootstrapFiles as { name: string; content?: string }[]) if (f.name === "AGENTS.md") f.content = `${f.content ?? ""}\n(edited by a hook)`;
        },
      ],
    ];
    const config = {
      agents: {
        defaults: { bootstrapMaxChars: 900, bootstrapTotalMaxChars: 2600, heartbeat: { every: "30m" } },
        list: [{ id: "main", default: true }, { id: "ops", bootstrapMaxChars: 150, bootstrapTotalMaxChars: 500 }],
      },
    };
    const runs: Record<string, unknown>[] = [
      { sessionKey: "agent:main:main" },
      { sessionKey: "agent:main:main", config, agentId: "main" },
      { sessionKey: "agent:ops:main", config, agentId: "ops" },
      { sessionKey: "agent:main:subagent:s1", config },
      { sessionKey: "agent:main:cron:c1" },
      { sessionId: "only-a-session-id" },
      { sessionKey: "agent:main:main", contextMode: "lightweight", runKind: "heartbeat" },
      { sessionKey: "agent:main:main", contextMode: "lightweight", runKind: "default" },
      { sessionKey: "agent:main:main", runKind: "commitment-only", config },
      { sessionKey: "agent:main:main", config: { agents: { defaults: { heartbeat: { every: "0" } } } } },
    ];
    const served = x.runtime.counters.workspaceReadsServed;
    let calls = 0;
    const bootstrapSeen = new Map<string, boolean>();
    for (const [stateName, writeStateOf] of states) {
      for (const [hookName, hook] of hookKinds) {
        clear();
        if (hook) register("agent:bootstrap", hook);
        const ws = workspace({ ...all(stateName), "AGENTS.md": "# agents\n" + "a".repeat(1200) + "\nend\n" });
        mkdirSync(join(ws, "sub"));
        writeStateOf(ws);
        for (const [i, run] of runs.entries()) {
          const what = `${stateName}, ${hookName}, run ${i} ${JSON.stringify(run)}`;
          const warnings: [string[], string[]] = [[], []];
          const params = (k: 0 | 1) => ({ workspaceDir: ws, ...run, warn: (m: string) => warnings[k].push(m) });
          const a = await pick(ours, "resolveBootstrapFilesForRun")(params(0));
          const b = await pick(theirs, "resolveBootstrapFilesForRun")(params(1));
          calls++;
          same(a, b, what);
          same(pick(ours, "buildBootstrapContextForFiles")(a, params(0)), pick(theirs, "buildBootstrapContextForFiles")(b, params(1)), what);
          expect(warnings[0], what).toEqual(warnings[1]);
          if (i === 0 && !hook) bootstrapSeen.set(stateName, (b as { name: string }[]).some((f) => f.name === "BOOTSTRAP.md"));
        }
      }
    }
    clear();
    // The dimensions were real: the setup filter dropped the root BOOTSTRAP.md where the release has it.
    expect(bootstrapSeen.get("no setup state")).toBe(true);
    expect(bootstrapSeen.get("setup completed")).toBe(!setupFilter);
    expect(bootstrapSeen.get("setup completed blank")).toBe(true);
    // Every resolve read through ctxc (sub-agent, cron and lightweight runs read too: the filters come after).
    expect(x.runtime.counters.workspaceReadsServed - served).toBe(calls);
  });
});

/** The workspace setup state as each release reads it: 2026.7.35's file name, and the older one (read as legacy there). */
function writeState(ws: string, state: Record<string, string>): void {
  const text = `${JSON.stringify({ version: 1, ...state }, null, 2)}\n`;
  mkdirSync(join(ws, ".openclaw"), { recursive: true });
  writeFileSync(join(ws, ".openclaw", "workspace-state.json"), text);
  writeFileSync(join(ws, "openclaw-workspace-state.json"), text);
}
