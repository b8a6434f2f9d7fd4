/**
 * Differential tests: ctxc/openclaw's resolveBootstrapFilesForRun / buildBootstrapContextForFiles (reads in
 * the worker pool) against OpenClaw 2026.5.12's real functions, called with the SAME params, on generated
 * workspaces: run kinds, lightweight mode, session keys, config-driven HEARTBEAT.md exclusion, every cap
 * and truncation edge. Plus: unchanged files are not read again.
 */
import fc from "fast-check";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildBootstrapContextForFiles,
  closeOpenClawPool,
  renderProjectContext,
  resolveBootstrapContextForRun,
  resolveBootstrapFilesForRun,
} from "../../src/openclaw/index.js";
import type { ResolveBootstrapFilesForRunParams } from "../../src/openclaw/index.js";
import { loadOpenClawBootstrap, type OpenClawBootstrap } from "../reference/openclaw-reference.js";
import { tempDir } from "../support/tmp.js";
import { HANG_MS } from "../support/hang-guard.js";

let oc: OpenClawBootstrap;
const root = fs.realpathSync(tempDir("oc-bootstrap"));
let wsNo = 0;

beforeAll(async () => {
  oc = await loadOpenClawBootstrap();
}, HANG_MS);
afterAll(() => closeOpenClawPool());

const NAMES = ["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md", "BOOTSTRAP.md", "MEMORY.md"];

function workspace(files: Record<string, string>): string {
  const dir = path.join(root, `ws-${++wsNo}`);
  fs.mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

type Params = Omit<ResolveBootstrapFilesForRunParams, "warn" | "onDiagnostic" | "onReads">;

/** Both implementations, same params; files, context files and warnings must be equal. */
async function expectSame(params: Params) {
  const ourWarn: string[] = [];
  const theirWarn: string[] = [];
  const ours = await resolveBootstrapFilesForRun({ ...params, warn: (m) => ourWarn.push(m) });
  const theirs = await oc.resolveBootstrapFilesForRun({ ...(params as Parameters<OpenClawBootstrap["resolveBootstrapFilesForRun"]>[0]), warn: (m) => theirWarn.push(m) });
  expect(ours).toEqual(theirs);
  const ourCtx = buildBootstrapContextForFiles(ours, { config: params.config, warn: (m) => ourWarn.push(m) });
  const theirCtx = oc.buildBootstrapContextForFiles(theirs, { config: params.config, warn: (m) => theirWarn.push(m) });
  expect(ourCtx).toEqual(theirCtx);
  expect(ourWarn).toEqual(theirWarn);
  return { files: ours, context: ourCtx };
}

const SESSION_KEYS = [undefined, "agent:main:main", "agent:main:cron:nightly", "agent:main:subagent:abc", "subagent:xyz", "agent:ops:telegram:1"];
const RUN_KINDS = [undefined, "default", "heartbeat", "cron"] as const;
const MODES = [undefined, "full", "lightweight"] as const;

describe("resolveBootstrapFilesForRun / buildBootstrapContextForFiles vs OpenClaw", () => {
  it("every run kind × context mode × session key", async () => {
    const ws = workspace(Object.fromEntries(NAMES.map((n) => [n, `# ${n}\n\nbody of ${n}\n`])));
    const seen = new Set<string>();
    for (const runKind of RUN_KINDS)
      for (const contextMode of MODES)
        for (const sessionKey of SESSION_KEYS) {
          const { files } = await expectSame({ workspaceDir: ws, runKind, contextMode, sessionKey });
          seen.add(files.map((f) => f.name).join(","));
        }
    // the matrix really covers the distinct file sets: all, minimal, HEARTBEAT only, none
    expect(seen).toContain(NAMES.join(","));
    expect(seen).toContain("AGENTS.md,SOUL.md,TOOLS.md,IDENTITY.md,USER.md");
    expect(seen).toContain("HEARTBEAT.md");
    expect(seen).toContain("");
  });

  it("sessionId stands in for sessionKey", async () => {
    const ws = workspace({ "AGENTS.md": "a", "HEARTBEAT.md": "h" });
    await expectSame({ workspaceDir: ws, sessionId: "agent:main:cron:job" });
  });

  it("config: caps and HEARTBEAT.md exclusion", async () => {
    const ws = workspace({ "AGENTS.md": "x".repeat(500), "HEARTBEAT.md": "- check mail\n", "SOUL.md": "s".repeat(90) });
    const configs: Params["config"][] = [
      {},
      { agents: { defaults: { heartbeat: { includeSystemPromptSection: false } } } },
      { agents: { defaults: { heartbeat: { every: "0" } } } },
      { agents: { defaults: { heartbeat: { every: "" } } } },
      { agents: { defaults: { heartbeat: { every: "1h30m" } } } },
      { agents: { defaults: { heartbeat: { every: "banana" } } } },
      { agents: { list: [{ id: "main" }, { id: "ops", heartbeat: { every: "5m" } }] } },
      { agents: { list: [{ id: "Ops Team", default: true }] } },
      { agents: { defaults: { bootstrapMaxChars: 100, bootstrapTotalMaxChars: 250 } } },
      { agents: { defaults: { bootstrapMaxChars: -1, bootstrapTotalMaxChars: "big" } } },
      { agents: { defaults: { bootstrapMaxChars: 1, bootstrapTotalMaxChars: 1 } } },
    ];
    let dropped = 0;
    for (const config of configs)
      for (const runKind of RUN_KINDS)
        for (const extra of [{}, { agentId: "ops" }, { sessionKey: "agent:ops:x:y" }, { sessionKey: "agent:main:x:y" }]) {
          const { files } = await expectSame({ workspaceDir: ws, config, runKind, ...extra });
          if (!files.some((f) => f.name === "HEARTBEAT.md")) dropped++;
        }
    expect(dropped).toBeGreaterThan(0); // the config cases really exercise the exclusion
  });

  it("every per-file and total cap edge, and truncation", async () => {
    const sizes = [0, 1, 63, 64, 65, 99, 100, 101, 249, 250, 251, 11_999, 12_000, 12_001, 30_000, 60_001];
    const configs = [undefined, { agents: { defaults: { bootstrapMaxChars: 100, bootstrapTotalMaxChars: 250 } } }, { agents: { defaults: { bootstrapMaxChars: 20, bootstrapTotalMaxChars: 70 } } }];
    for (let i = 0; i < sizes.length; i++) {
      // rotate sizes over the files so each size meets each position and cap
      const files: Record<string, string> = {};
      NAMES.forEach((n, j) => {
        const size = sizes[(i + j) % sizes.length]!;
        files[n] = j % 3 === 0 ? `${"é".repeat(size >> 1)}😀${"z".repeat(size >> 1)}` : j % 3 === 1 ? "w".repeat(size) + " \n\n  " : "line\r\n".repeat(Math.ceil(size / 6));
      });
      const ws = workspace(files);
      for (const config of configs) await expectSame({ workspaceDir: ws, config });
    }
  });

  it("property: random workspaces, caps and run params", async () => {
    const fileArb = fc.option(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: "grapheme", maxLength: 200 }),
        fc.integer({ min: 0, max: 14_000 }).map((n) => "k".repeat(n)),
        fc.constantFrom("", "   \n\t", "\uFEFF# bom\r\n", "\n\n\n\nx\n\n\n"),
      ),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(...NAMES.map(() => fileArb)),
        fc.option(fc.integer({ min: 1, max: 15_000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 70_000 }), { nil: undefined }),
        fc.constantFrom(...RUN_KINDS),
        fc.constantFrom(...MODES),
        fc.constantFrom(...SESSION_KEYS),
        async (contents, maxChars, totalChars, runKind, contextMode, sessionKey) => {
          const files: Record<string, string> = {};
          NAMES.forEach((n, i) => {
            if (contents[i] !== undefined) files[n] = contents[i]!;
          });
          const config = { agents: { defaults: { bootstrapMaxChars: maxChars, bootstrapTotalMaxChars: totalChars } } };
          await expectSame({ workspaceDir: workspace(files), config, runKind, contextMode, sessionKey });
        },
      ),
      { numRuns: 60, seed: 20260512 },
    );
  });

  it("rendering matches OpenClaw's system prompt blocks", async () => {
    const ws = workspace({ "AGENTS.md": "agents", "SOUL.md": "soul", "HEARTBEAT.md": "beat", "MEMORY.md": "mem" });
    const { contextFiles } = await resolveBootstrapContextForRun({ workspaceDir: ws });
    const { stable, dynamic } = renderProjectContext(contextFiles);
    const prompt = oc.buildConfiguredAgentSystemPrompt({ workspaceDir: ws, contextFiles });
    expect(prompt).toContain(stable);
    expect(prompt).toContain(dynamic);
    expect(stable.indexOf("## " + path.join(ws, "SOUL.md"))).toBeGreaterThan(stable.indexOf("## " + path.join(ws, "AGENTS.md")));
  });
});

describe("reads happen in the worker, once per unchanged file", () => {
  it("a second run reads nothing; a changed file is read again", async () => {
    const ws = workspace({ "AGENTS.md": "a1", "SOUL.md": "s1", "USER.md": "u1" });
    const reads: number[] = [];
    const run = () => resolveBootstrapFilesForRun({ workspaceDir: ws, onReads: (n) => reads.push(n) });
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    fs.writeFileSync(path.join(ws, "SOUL.md"), "s2 changed");
    const third = await run();
    expect(third.find((f) => f.name === "SOUL.md")?.content).toBe("s2 changed");
    expect(reads).toEqual([3, 0, 1]);
  });

  it("unreadable files are reported (OpenClaw only marks them missing)", async () => {
    const ws = workspace({ "AGENTS.md": "a" });
    fs.mkdirSync(path.join(ws, "SOUL.md"));
    const diagnostics: string[] = [];
    const files = await resolveBootstrapFilesForRun({ workspaceDir: ws, onDiagnostic: (d) => diagnostics.push(`${d.name}:${d.reason}`) });
    expect(files.find((f) => f.name === "SOUL.md")?.missing).toBe(true);
    expect(diagnostics).toEqual(["SOUL.md:not-a-file"]);
    await expectSame({ workspaceDir: ws });
  });
});
