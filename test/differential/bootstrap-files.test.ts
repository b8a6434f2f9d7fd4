/**
 * Differential tests: ctxc's bootstrap-files.ts against OpenClaw 2026.5.12's real functions
 * (loaded from test/.reference, see test/reference/install-reference.sh), on generated workspaces.
 */
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BOOTSTRAP_FILE_NAMES,
  DEFAULT_BOOTSTRAP_CAPS,
  DEFAULT_HEARTBEAT_PROMPT_CONTEXT_BLOCK,
  MAX_BOOTSTRAP_FILE_BYTES,
  MINIMAL_BOOTSTRAP_FILE_NAMES,
  buildBootstrapContext,
  isCronSessionKey,
  isSubagentSessionKey,
  renderProjectContext,
  renderProjectContextSections,
  resolveBootstrapCaps,
  resolveBootstrapFiles,
  resolveBootstrapFilesDetailed,
  sameIdentities,
  truncateUtf16Safe,
  type BootstrapDiagnostic,
  type BootstrapFile,
  type BootstrapFileCache,
  type CachedBootstrapFile,
  type ContextFile,
  type ContextMode,
  type RunKind,
} from "../../native-free-workers/bootstrap/bootstrap-files.js";
import { loadOpenClawBootstrap, type OpenClawBootstrap } from "../reference/openclaw-reference.js";
import { HANG_MS } from "../support/hang-guard.js";

let oc: OpenClawBootstrap;
let tmpRoot: string;
let wsCounter = 0;

beforeAll(async () => {
  oc = await loadOpenClawBootstrap();
  tmpRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ctxc-bootstrap-")));
}, HANG_MS);

afterAll(() => {
  if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
});

type Entry = string | { dir: true } | { symlink: string } | { hardlinkOf: string } | { fifo: true };

/** Creates a fresh workspace directory with the given entries (name → content/kind). */
function makeWorkspace(entries: Record<string, Entry>): string {
  const dir = path.join(tmpRoot, `ws-${++wsCounter}`);
  fs.mkdirSync(dir);
  for (const [name, entry] of Object.entries(entries)) {
    const p = path.join(dir, name);
    if (typeof entry === "string") fs.writeFileSync(p, entry);
    else if ("dir" in entry) fs.mkdirSync(p);
    else if ("symlink" in entry) fs.symlinkSync(entry.symlink, p);
    else if ("hardlinkOf" in entry) fs.linkSync(path.join(dir, entry.hardlinkOf), p);
    else execFileSync("mkfifo", [p]);
  }
  return dir;
}

interface RunOpts {
  runKind?: RunKind;
  contextMode?: ContextMode;
  sessionKey?: string;
}

/**
 * OpenClaw's output for the same request. ctxc's `runKind: "cron" | "subagent"` applies the minimal-file filter that
 * OpenClaw applies to cron / sub-agent *session keys*; OpenClaw itself passes runKind "default" for sub-agents.
 */
async function ocResolve(workspaceDir: string, opts: RunOpts = {}) {
  const { runKind, contextMode, sessionKey } = opts;
  const files = await oc.resolveBootstrapFilesForRun({
    workspaceDir,
    contextMode,
    sessionKey,
    runKind: runKind === "subagent" ? "default" : runKind,
  });
  return runKind === "cron" || runKind === "subagent"
    ? files.filter((f) => MINIMAL_BOOTSTRAP_FILE_NAMES.has(f.name as never))
    : files;
}

async function expectResolveMatches(workspaceDir: string, opts: RunOpts = {}) {
  const ours = await resolveBootstrapFiles({ workspaceDir, ...opts });
  const theirs = await ocResolve(workspaceDir, opts);
  expect(ours).toStrictEqual(theirs);
  return ours;
}

function ocBuild(files: BootstrapFile[], config?: unknown) {
  const warnings: string[] = [];
  const out = oc.buildBootstrapContextForFiles(files, { config, warn: (m) => warnings.push(m) });
  return { out, warnings };
}

function ourBuild(files: BootstrapFile[], caps?: Parameters<typeof buildBootstrapContext>[1]) {
  const warnings: string[] = [];
  const out = buildBootstrapContext(files, caps, (m) => warnings.push(m));
  return { out, warnings };
}

function capsConfig(maxChars?: unknown, totalMaxChars?: unknown) {
  return { agents: { defaults: { bootstrapMaxChars: maxChars, bootstrapTotalMaxChars: totalMaxChars } } };
}

function expectBuildMatches(files: BootstrapFile[], config?: ReturnType<typeof capsConfig>) {
  const theirs = ocBuild(files, config);
  const ours = ourBuild(files, config ? resolveBootstrapCaps(config) : undefined);
  expect(ours.out).toStrictEqual(theirs.out);
  expect(ours.warnings).toStrictEqual(theirs.warnings);
  return ours;
}

const present = (name: string, content: string, dir = "/ws"): BootstrapFile => ({ name, path: `${dir}/${name}`, content, missing: false });
const absent = (name: string, dir = "/ws"): BootstrapFile => ({ name, path: `${dir}/${name}`, missing: true });

// ---------------------------------------------------------------------------

describe("resolveBootstrapFiles vs OpenClaw resolveBootstrapFilesForRun", () => {
  it("matches for every present/missing combination of the eight files", async () => {
    for (let mask = 0; mask < 1 << BOOTSTRAP_FILE_NAMES.length; mask++) {
      const entries: Record<string, string> = {};
      BOOTSTRAP_FILE_NAMES.forEach((name, i) => {
        if (mask & (1 << i)) entries[name] = `# ${name}\ncontent ${mask}\n`;
      });
      const ws = makeWorkspace(entries);
      const files = await expectResolveMatches(ws);
      // Lookup order, MEMORY.md only when present.
      const expectedNames = BOOTSTRAP_FILE_NAMES.filter((n) => n !== "MEMORY.md" || "MEMORY.md" in entries);
      expect(files.map((f) => f.name)).toEqual(expectedNames);
      expect(files.filter((f) => !f.missing).map((f) => f.name)).toEqual(BOOTSTRAP_FILE_NAMES.filter((n) => n in entries));
      // And the built context matches too.
      expectBuildMatches(files);
    }
  });

  it("matches for every run kind × context mode × session key on sampled workspaces", async () => {
    const masks = [0, 0xff, 0x7f, 0x80 | 0x20, 0x01 | 0x04 | 0x40, 0x1f, 0xe0, 0x55, 0xaa];
    const runKinds: (RunKind | undefined)[] = [undefined, "default", "heartbeat", "cron", "subagent"];
    const modes: (ContextMode | undefined)[] = [undefined, "full", "lightweight"];
    const keys = [undefined, "agent:main:main", "agent:main:subagent:abc", "subagent:xyz", "agent:main:cron:job:run:1", "AGENT:Ops:CRON:nightly", " agent:main:telegram:dm:1 "];
    for (const mask of masks) {
      const entries: Record<string, string> = {};
      BOOTSTRAP_FILE_NAMES.forEach((name, i) => {
        if (mask & (1 << i)) entries[name] = `${name} body`;
      });
      const ws = makeWorkspace(entries);
      for (const runKind of runKinds) for (const contextMode of modes) for (const sessionKey of keys) {
        await expectResolveMatches(ws, { runKind, contextMode, sessionKey });
      }
    }
  });

  it("run kinds select the documented file sets", async () => {
    const ws = makeWorkspace(Object.fromEntries(BOOTSTRAP_FILE_NAMES.map((n) => [n, n])));
    const names = async (o: RunOpts) => (await resolveBootstrapFiles({ workspaceDir: ws, ...o })).map((f) => f.name);
    expect(await names({})).toEqual([...BOOTSTRAP_FILE_NAMES]);
    expect(await names({ runKind: "heartbeat" })).toEqual([...BOOTSTRAP_FILE_NAMES]);
    for (const runKind of ["cron", "subagent"] as const) {
      expect(await names({ runKind })).toEqual(["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md"]);
    }
    expect(await names({ sessionKey: "agent:main:subagent:1" })).toEqual(["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md"]);
    expect(await names({ runKind: "heartbeat", contextMode: "lightweight" })).toEqual(["HEARTBEAT.md"]);
    expect(await names({ runKind: "default", contextMode: "lightweight" })).toEqual([]);
    expect(await names({ runKind: "cron", contextMode: "lightweight" })).toEqual([]);
    expect(await names({ excludeHeartbeat: true } as RunOpts)).not.toContain("HEARTBEAT.md");
  });

  it("excludeHeartbeat matches OpenClaw when config turns heartbeat guidance off", async () => {
    const ws = makeWorkspace(Object.fromEntries(BOOTSTRAP_FILE_NAMES.map((n) => [n, n])));
    const config = { agents: { defaults: { heartbeat: { includeSystemPromptSection: false } } } };
    const theirs = await oc.resolveBootstrapFilesForRun({ workspaceDir: ws, config });
    expect(theirs.map((f) => f.name)).not.toContain("HEARTBEAT.md");
    expect(await resolveBootstrapFiles({ workspaceDir: ws, excludeHeartbeat: true })).toStrictEqual(theirs);
    // A heartbeat run keeps it regardless.
    const hb = await oc.resolveBootstrapFilesForRun({ workspaceDir: ws, config, runKind: "heartbeat" });
    expect(await resolveBootstrapFiles({ workspaceDir: ws, runKind: "heartbeat" })).toStrictEqual(hb);
  });

  it("keeps BOM and CRLF verbatim and decodes invalid UTF-8 like OpenClaw", async () => {
    const ws = makeWorkspace({
      "AGENTS.md": "\uFEFF# Agents\r\nline two\r\n\r\n",
      "SOUL.md": "\r\n\r\n",
      "TOOLS.md": "",
      "USER.md": "😀".repeat(3) + "\n",
    });
    fs.writeFileSync(path.join(ws, "IDENTITY.md"), Buffer.from([0x68, 0x69, 0xff, 0xfe, 0xc3, 0x0a]));
    const files = await expectResolveMatches(ws);
    expect(files[0]!.content).toBe("\uFEFF# Agents\r\nline two\r\n\r\n");
    const built = expectBuildMatches(files);
    // trimEnd() removes trailing CRLFs; empty / whitespace-only files are omitted entirely.
    expect(built.out.find((f) => f.path.endsWith("AGENTS.md"))!.content).toBe("\uFEFF# Agents\r\nline two");
    expect(built.out.some((f) => f.path.endsWith("SOUL.md") || f.path.endsWith("TOOLS.md"))).toBe(false);
  });

  it("treats directories, FIFOs, hard links, escaping/dangling symlinks and >2 MiB files as missing", async () => {
    const outside = makeWorkspace({ "secret.md": "outside" });
    const ws = makeWorkspace({
      "AGENTS.md": { dir: true },
      "notes.md": "inside target",
      "SOUL.md": { symlink: "notes.md" },
      "TOOLS.md": { symlink: path.join(outside, "secret.md") },
      "IDENTITY.md": { symlink: "does-not-exist.md" },
      "base.md": "linked",
      "USER.md": { hardlinkOf: "base.md" },
      "HEARTBEAT.md": { fifo: true },
      "BOOTSTRAP.md": "x".repeat(MAX_BOOTSTRAP_FILE_BYTES + 1),
      "MEMORY.md": { dir: true },
    });
    const diagnostics: BootstrapDiagnostic[] = [];
    const ours = await resolveBootstrapFilesDetailed({ workspaceDir: ws, onDiagnostic: (d) => diagnostics.push(d) });
    expect(ours.files).toStrictEqual(await oc.resolveBootstrapFilesForRun({ workspaceDir: ws }));
    expect(ours.files.map((f) => [f.name, f.missing])).toEqual([
      ["AGENTS.md", true],
      ["SOUL.md", false],
      ["TOOLS.md", true],
      ["IDENTITY.md", true],
      ["USER.md", true],
      ["HEARTBEAT.md", true],
      ["BOOTSTRAP.md", true],
      ["MEMORY.md", true],
    ]);
    expect(ours.files[1]!.content).toBe("inside target");
    expect(diagnostics).toStrictEqual(ours.diagnostics);
    expect(Object.fromEntries(diagnostics.map((d) => [d.name, d.reason]))).toEqual({
      "AGENTS.md": "not-a-file",
      "TOOLS.md": "outside-workspace",
      "USER.md": "hardlink",
      "HEARTBEAT.md": "not-a-file",
      "BOOTSTRAP.md": "too-large",
      "MEMORY.md": "not-a-file",
    });
    // A dangling symlink is plain absence (no diagnostic).
    expect(diagnostics.some((d) => d.name === "IDENTITY.md")).toBe(false);
    expectBuildMatches(ours.files);
  });

  it("file names are case-sensitive; lower-case memory.md is ignored", async () => {
    const ws = makeWorkspace({ "agents.md": "lower", "memory.md": "legacy", "Soul.md": "x" });
    const files = await expectResolveMatches(ws);
    expect(files.every((f) => f.missing)).toBe(true);
    expect(files.map((f) => f.name)).not.toContain("MEMORY.md");
  });

  it("handles a missing workspace, a symlinked workspace and a workspace path with ~ / whitespace", async () => {
    await expectResolveMatches(path.join(tmpRoot, "no-such-dir"));
    const ws = makeWorkspace({ "AGENTS.md": "a", "MEMORY.md": "m" });
    const link = path.join(tmpRoot, `link-${++wsCounter}`);
    fs.symlinkSync(ws, link);
    const viaLink = await expectResolveMatches(link);
    expect(viaLink[0]!.path).toBe(path.join(link, "AGENTS.md"));
    await expectResolveMatches(`  ${ws}/ `);
    const home = process.env.HOME;
    process.env.HOME = tmpRoot;
    try {
      const rel = `~/${path.basename(ws)}`;
      const files = await expectResolveMatches(rel);
      expect(files[0]!.path).toBe(path.join(ws, "AGENTS.md"));
    } finally {
      process.env.HOME = home;
    }
  });

  it.skipIf(process.getuid?.() === 0)("reports unreadable files (EACCES) and marks them missing", async () => {
    const ws = makeWorkspace({ "AGENTS.md": "secret" });
    fs.chmodSync(path.join(ws, "AGENTS.md"), 0o000);
    const diagnostics: BootstrapDiagnostic[] = [];
    const files = await resolveBootstrapFiles({ workspaceDir: ws, onDiagnostic: (d) => diagnostics.push(d) });
    expect(files).toStrictEqual(await oc.resolveBootstrapFilesForRun({ workspaceDir: ws }));
    expect(files[0]!.missing).toBe(true);
    expect(diagnostics[0]).toMatchObject({ name: "AGENTS.md", reason: "io", code: "EACCES" });
  });

  it("a throwing diagnostic callback does not escape", async () => {
    const ws = makeWorkspace({ "AGENTS.md": { dir: true } });
    const files = await resolveBootstrapFiles({
      workspaceDir: ws,
      onDiagnostic: () => {
        throw new Error("boom");
      },
    });
    expect(files[0]).toStrictEqual({ name: "AGENTS.md", path: path.join(ws, "AGENTS.md"), missing: true });
  });
});

describe("identities and cache", () => {
  it("returns identities and skips reading files whose identity is unchanged", async () => {
    const ws = makeWorkspace({ "AGENTS.md": "one", "SOUL.md": "soul" });
    const cache = new Map<string, CachedBootstrapFile>();
    const first = await resolveBootstrapFilesDetailed({ workspaceDir: ws, cache });
    const agentsPath = path.join(ws, "AGENTS.md");
    const id = first.identities[agentsPath]!;
    const st = fs.statSync(agentsPath);
    expect(id).toEqual({ realPath: agentsPath, dev: st.dev, ino: st.ino, size: 3, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });
    expect(first.identities[path.join(ws, "TOOLS.md")]).toBeNull();
    expect(cache.get(agentsPath)?.content).toBe("one");

    // Poison the cached body: an unchanged file must be served from the cache, not re-read.
    cache.set(agentsPath, { identity: id, content: "from-cache" });
    const second = await resolveBootstrapFilesDetailed({ workspaceDir: ws, cache });
    expect(second.files[0]!.content).toBe("from-cache");
    expect(sameIdentities(first.identities, second.identities)).toBe(true);

    // A changed file (size + mtime) is re-read and the cache refreshed.
    fs.writeFileSync(agentsPath, "changed!");
    fs.utimesSync(agentsPath, new Date(), new Date(Date.now() + 5000));
    const third = await resolveBootstrapFilesDetailed({ workspaceDir: ws, cache });
    expect(third.files[0]!.content).toBe("changed!");
    expect(sameIdentities(first.identities, third.identities)).toBe(false);
    expect(cache.get(agentsPath)?.content).toBe("changed!");

    // A file that becomes unusable is evicted.
    fs.rmSync(agentsPath);
    fs.mkdirSync(agentsPath);
    await resolveBootstrapFiles({ workspaceDir: ws, cache });
    expect(cache.has(agentsPath)).toBe(false);
  });

  it("accepts any Map-like cache", async () => {
    const ws = makeWorkspace({ "AGENTS.md": "a" });
    const store: Record<string, CachedBootstrapFile> = {};
    const cache: BootstrapFileCache = {
      get: (k) => store[k],
      set: (k, v) => (store[k] = v),
      delete: (k) => delete store[k],
    };
    await resolveBootstrapFiles({ workspaceDir: ws, cache });
    expect(Object.keys(store)).toEqual([path.join(ws, "AGENTS.md")]);
  });
});

describe("buildBootstrapContext vs OpenClaw buildBootstrapContextForFiles", () => {
  it("per-file cap: sizes at and around 12,000 chars", () => {
    for (const n of [0, 1, 63, 64, 11_999, 12_000, 12_001, 12_002, 12_100, 24_000, 100_000]) {
      const body = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
      const r = expectBuildMatches([present("AGENTS.md", body)]);
      if (n <= 12_000) expect(r.out).toEqual(n === 0 ? [] : [{ path: "/ws/AGENTS.md", content: body }]);
      else {
        const c = r.out[0]!.content;
        expect(c.length).toBeLessThanOrEqual(12_000);
        expect(c).toContain("\n[...truncated, read AGENTS.md for full content...]\n");
        expect(c).toMatch(/…\(truncated AGENTS\.md: kept \d+\+\d+ chars of \d+\)…/);
        expect(r.warnings).toEqual([`workspace bootstrap file AGENTS.md is ${n} chars (limit 12000); truncating in injected context`]);
      }
    }
    // Trailing whitespace does not count (trimEnd before measuring).
    const r = expectBuildMatches([present("AGENTS.md", "y".repeat(12_000) + "\n\n  \t")]);
    expect(r.out[0]!.content).toBe("y".repeat(12_000));
  });

  it("head is 75 % and tail 25 % around the marker", () => {
    const body = "H".repeat(20_000) + "T".repeat(20_000);
    const { out } = expectBuildMatches([present("SOUL.md", body)]);
    // The multi-line marker starts and ends with "\n" and is also joined with "\n": a blank line on each side.
    const m = out[0]!.content.match(/^(H+)\n\n\[\.\.\.truncated, read SOUL\.md for full content\.\.\.\]\n…\(truncated SOUL\.md: kept (\d+)\+(\d+) chars of 40000\)…\n\n(T+)$/);
    expect(m).not.toBeNull();
    const [, head, h, t, tail] = m!;
    expect(head!.length).toBe(Number(h));
    expect(tail!.length).toBe(Number(t));
    expect(Math.abs(head!.length - 3 * tail!.length)).toBeLessThanOrEqual(3);
  });

  it("total cap around 60,000 and the 64-char skip edge", () => {
    for (const last of [11_930, 11_935, 11_936, 11_937, 11_990, 12_000]) {
      const files = [
        present("AGENTS.md", "a".repeat(12_000)),
        present("SOUL.md", "b".repeat(12_000)),
        present("TOOLS.md", "c".repeat(12_000)),
        present("IDENTITY.md", "d".repeat(12_000)),
        present("USER.md", "e".repeat(last)),
        present("HEARTBEAT.md", "f".repeat(500)),
        absent("BOOTSTRAP.md"),
      ];
      const r = expectBuildMatches(files);
      const used = r.out.reduce((s, f) => s + f.content.length, 0);
      expect(used).toBeLessThanOrEqual(60_000);
    }
    // Remaining budget exactly 63 / 64 / 65 before a present file.
    for (const left of [62, 63, 64, 65, 66]) {
      const r = expectBuildMatches(
        [present("AGENTS.md", "a".repeat(1000 - left)), present("SOUL.md", "s".repeat(500)), absent("TOOLS.md"), present("USER.md", "u")],
        capsConfig(5000, 1000),
      );
      if (left < 64) {
        expect(r.out).toHaveLength(1);
        expect(r.warnings).toEqual([`remaining bootstrap budget is ${left} chars (<64); skipping additional bootstrap files`]);
      } else {
        expect(r.out[1]!.content.length).toBeLessThanOrEqual(left);
        expect(r.out[1]!.content).toMatch(/^s+\[…truncated \d+\+\d+\/500\]s*$/);
      }
    }
    // Missing stubs ignore the 64-char threshold and are clamped to the budget.
    expectBuildMatches([present("AGENTS.md", "a".repeat(990)), absent("SOUL.md"), absent("TOOLS.md")], capsConfig(5000, 1000));
    expectBuildMatches([present("AGENTS.md", "a".repeat(998)), absent("SOUL.md"), absent("TOOLS.md")], capsConfig(5000, 1000));
  });

  it("custom caps via config, including invalid values and tiny budgets", () => {
    const files = [present("AGENTS.md", "x".repeat(300) + "\nend"), absent("SOUL.md"), present("TOOLS.md", "t".repeat(120)), present("USER.md", "u".repeat(40))];
    const values: unknown[] = [undefined, 0, -5, Number.NaN, Number.POSITIVE_INFINITY, "100", 1, 2, 3, 4, 10, 20, 63, 64, 80, 97, 98, 99, 100, 150, 12.9, 1e6];
    for (const maxChars of values) for (const total of values) {
      expectBuildMatches(files, capsConfig(maxChars, total));
    }
    expect(resolveBootstrapCaps(capsConfig(500.7, "9"))).toEqual({ maxCharsPerFile: 500, maxCharsTotal: 60_000, minCharsLeft: 64 });
    expect(resolveBootstrapCaps()).toEqual(DEFAULT_BOOTSTRAP_CAPS);
  });

  it("surrogate pairs at every truncation boundary", () => {
    const emoji = "😀";
    for (const prefix of ["", "a", "ab", "abc"]) {
      const body = prefix + emoji.repeat(7_000) + prefix;
      expectBuildMatches([present("AGENTS.md", body)]);
      for (let cap = 1; cap <= 140; cap++) expectBuildMatches([present("AGENTS.md", body)], capsConfig(cap, 100_000));
      for (let total = 1; total <= 140; total++) expectBuildMatches([present("AGENTS.md", body), present("SOUL.md", body)], capsConfig(50, total));
    }
    // OpenClaw slices head/tail by code unit, so lone surrogates can appear; the final clamp is pair-safe.
    const { out } = expectBuildMatches([present("AGENTS.md", "a" + emoji.repeat(100))], capsConfig(150, 100_000));
    expect(out[0]!.content.length).toBeLessThanOrEqual(150);
  });

  it("skips entries with a blank path with OpenClaw's warning", () => {
    const r = expectBuildMatches([{ name: "AGENTS.md", path: "  ", content: "x", missing: false }, present("SOUL.md", "s")]);
    expect(r.warnings[0]).toContain('skipping bootstrap file "AGENTS.md"');
    expect(r.out).toEqual([{ path: "/ws/SOUL.md", content: "s" }]);
  });

  it("property: random files and caps match OpenClaw exactly", () => {
    const char = fc.constantFrom("a", "b", " ", "\n", "\r\n", "\t", "é", "😀", "\uD800", "\uDC00", "\uFEFF", "—");
    const fileArb = fc.record({
      name: fc.constantFrom(...BOOTSTRAP_FILE_NAMES),
      missing: fc.boolean(),
      parts: fc.array(char, { maxLength: 400 }),
      repeat: fc.integer({ min: 1, max: 60 }),
    });
    fc.assert(
      fc.property(
        fc.array(fileArb, { maxLength: 8 }),
        fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 8000 }), { nil: undefined }),
        (specs, maxChars, total) => {
          const files = specs.map((s): BootstrapFile =>
            s.missing ? absent(s.name) : present(s.name, s.parts.join("").repeat(s.repeat)),
          );
          expectBuildMatches(files, capsConfig(maxChars, total));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("end-to-end on a real workspace with large files", async () => {
    const ws = makeWorkspace({
      "AGENTS.md": "# A\r\n" + "agent rule\r\n".repeat(2_000),
      "SOUL.md": "\uFEFF" + "soul ".repeat(5_000),
      "TOOLS.md": "🛠️ tool\n".repeat(3_000),
      "IDENTITY.md": "",
      "USER.md": "user\n".repeat(4_000),
      "HEARTBEAT.md": "check inbox\n",
      "BOOTSTRAP.md": "b".repeat(30_000),
      "MEMORY.md": "m".repeat(5_000),
    });
    for (const config of [undefined, capsConfig(20_000, 70_000), capsConfig(500, 2_000)]) {
      const files = await expectResolveMatches(ws);
      expectBuildMatches(files, config);
    }
  });
});

// ---------------------------------------------------------------------------

/** OpenClaw's full system prompt for these context files, and the same prompt rebuilt from ctxc's sections. */
function promptPair(files: ContextFile[]) {
  const workspaceDir = "/ws";
  const real = oc.buildConfiguredAgentSystemPrompt({ workspaceDir, contextFiles: files });
  const base = oc.buildConfiguredAgentSystemPrompt({ workspaceDir, contextFiles: [] });
  const { stable, dynamic } = renderProjectContextSections(files);
  let rebuilt = base;
  if (stable) rebuilt = rebuilt.replace("\n## Silent Replies\n", `\n${stable}\n## Silent Replies\n`);
  if (dynamic) {
    const b = oc.SYSTEM_PROMPT_CACHE_BOUNDARY;
    rebuilt = rebuilt.replace(`${b}\n`, `${b}\n${dynamic}\n`);
  }
  return { real, rebuilt };
}

describe("renderProjectContext", () => {
  it("renders the exact OpenClaw text (unit)", () => {
    const files: ContextFile[] = [
      { path: "/ws/TOOLS.md", content: "tools\n\n\n\nx" },
      { path: "/ws/HEARTBEAT.md", content: "hb" },
      { path: "/ws/AGENTS.md", content: "agents" },
      { path: "/ws/SOUL.md", content: "soul" },
      { path: "/ws/MEMORY.md", content: "mem" },
      { path: "/ws/BOOTSTRAP.md", content: "boot" },
      { path: "/ws/USER.md", content: "user" },
      { path: "/ws/IDENTITY.md", content: "id" },
    ];
    expect(renderProjectContextSections(files)).toEqual({
      stable: [
        "# Project Context",
        "The following project context files have been loaded:",
        "SOUL.md: persona/tone. Follow it unless higher-priority instructions override.",
        "## /ws/AGENTS.md",
        "agents",
        "## /ws/SOUL.md",
        "soul",
        "## /ws/IDENTITY.md",
        "id",
        "## /ws/USER.md",
        "user",
        "## /ws/TOOLS.md",
        "tools\n\nx",
        "## /ws/BOOTSTRAP.md",
        "boot",
        "## /ws/MEMORY.md",
        "mem",
      ].join("\n"),
      dynamic: [
        "# Dynamic Project Context",
        "The following frequently-changing project context files are kept below the cache boundary when possible:",
        "## /ws/HEARTBEAT.md",
        "hb",
      ].join("\n"),
    });
    expect(renderProjectContext(files)).toBe(
      `${renderProjectContextSections(files).stable}\n${renderProjectContextSections(files).dynamic}`,
    );
  });

  it("edge cases (unit)", () => {
    expect(renderProjectContext([])).toBe("");
    // Only HEARTBEAT.md: it gets the plain "# Project Context" heading with the dynamic intro.
    expect(renderProjectContext([{ path: "/ws/HEARTBEAT.md", content: "hb" }])).toBe(
      "# Project Context\nThe following frequently-changing project context files are kept below the cache boundary when possible:\n## /ws/HEARTBEAT.md\nhb",
    );
    // No SOUL.md → no persona line; the default heartbeat prompt block is stripped; blank paths dropped.
    expect(
      renderProjectContext([
        { path: "/ws/AGENTS.md", content: `a\n${DEFAULT_HEARTBEAT_PROMPT_CONTEXT_BLOCK}\n\nb` },
        { path: "   ", content: "ignored" },
        { path: "/ws/[MISSING].md", content: "" },
      ]),
    ).toBe("# Project Context\nThe following project context files have been loaded:\n## /ws/AGENTS.md\na\n\nb\n## /ws/[MISSING].md");
  });

  it("matches OpenClaw's real system prompt builder", () => {
    const cases: ContextFile[][] = [
      [],
      [{ path: "/ws/HEARTBEAT.md", content: "only heartbeat" }],
      [{ path: "/ws/AGENTS.md", content: "a" }],
      [
        { path: "/ws/soul.md", content: "lower soul" },
        { path: "C:\\ws\\Agents.md", content: "windows" },
        { path: "/ws/zeta.md", content: "z" },
        { path: "/ws/alpha.md", content: "al" },
        { path: "/other/AGENTS.md", content: "second agents" },
        { path: "/ws/heartbeat.md", content: "hb\n\n\n\nhb" },
        { path: "/ws/HEARTBEAT.md", content: "HB" },
      ],
      [
        { path: "/ws/USER.md", content: `x${DEFAULT_HEARTBEAT_PROMPT_CONTEXT_BLOCK}y` },
        { path: "/ws/TOOLS.md", content: "\r\n\r\n\r\nCRLF\n\n\n" },
        { path: "/ws/MEMORY.md", content: "   " },
        { path: "/ws/BOOTSTRAP.md", content: "[MISSING] Expected at: /ws/BOOTSTRAP.md" },
      ],
    ];
    for (const files of cases) {
      const { real, rebuilt } = promptPair(files);
      expect(rebuilt).toBe(real);
    }
  });

  it("property: matches OpenClaw's prompt builder for random context files", () => {
    const names = ["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md", "BOOTSTRAP.md", "MEMORY.md", "notes.md", "agents.md"];
    const fileArb = fc.record({
      dir: fc.constantFrom("/ws", "/ws/sub", "/a b", "C:\\w"),
      name: fc.constantFrom(...names),
      content: fc.array(fc.constantFrom("x", "\n", "\n\n\n", " ", "## h", "😀"), { maxLength: 12 }).map((p) => p.join("")),
    });
    fc.assert(
      fc.property(fc.array(fileArb, { maxLength: 6 }), (specs) => {
        const files = specs.map((s) => ({ path: s.dir.includes("\\") ? `${s.dir}\\${s.name}` : `${s.dir}/${s.name}`, content: s.content }));
        const { real, rebuilt } = promptPair(files);
        expect(rebuilt).toBe(real);
      }),
      { numRuns: 150 },
    );
  });

  it("full pipeline on a workspace renders the same prompt as OpenClaw", async () => {
    const ws = makeWorkspace({ "AGENTS.md": "agents\n", "SOUL.md": "be kind", "HEARTBEAT.md": "ping", "MEMORY.md": "remember" });
    const theirs = oc.buildBootstrapContextForFiles(await oc.resolveBootstrapFilesForRun({ workspaceDir: ws }), {});
    const ours = buildBootstrapContext(await resolveBootstrapFiles({ workspaceDir: ws }));
    expect(ours).toStrictEqual(theirs);
    const { real, rebuilt } = promptPair(ours);
    expect(rebuilt).toBe(real);
    expect(renderProjectContextSections(ours).stable).toContain(`## ${ws}/TOOLS.md\n[MISSING] Expected at: ${ws}/TOOLS.md`);
  });
});

describe("helpers", () => {
  it("session key classification", () => {
    expect(isSubagentSessionKey("subagent:abc")).toBe(true);
    expect(isSubagentSessionKey("Agent:Main:SubAgent:1")).toBe(true);
    expect(isSubagentSessionKey("agent:main:main")).toBe(false);
    expect(isCronSessionKey("agent:ops:cron:nightly:run:7")).toBe(true);
    expect(isCronSessionKey("cron:nightly")).toBe(false);
    expect(isCronSessionKey(undefined)).toBe(false);
  });

  it("truncateUtf16Safe never splits a pair", () => {
    expect(truncateUtf16Safe("a😀b", 2)).toBe("a");
    expect(truncateUtf16Safe("a😀b", 3)).toBe("a😀");
    expect(truncateUtf16Safe("abc", 10)).toBe("abc");
  });
});
