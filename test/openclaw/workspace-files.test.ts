/**
 * The `loadWorkspaceBootstrapFiles` handler's own decisions (src/openclaw/workspace-files.ts); whether what
 * it serves equals each release's read is test/matrix/workspace-files.test.ts. Here: a workspace is served
 * from ctxc's worker; the chunk constants that differ from the worker's (file names, the 2 MiB bound), a
 * directory that is not a plain absolute path, and an fs error stock classifies itself (a symlink loop:
 * ELOOP) each run the original with one `fallback` line.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeOpenClawPool } from "../../src/openclaw/pool.js";
import { constantsMismatch, workspaceFilesHandlers } from "../../src/openclaw/workspace-files.js";
import { recordingDeps } from "../support/preload-deps.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("workspace-files");
afterAll(() => closeOpenClawPool());

const CONSTANTS: Record<string, unknown> = {
  DEFAULT_AGENTS_FILENAME: "AGENTS.md",
  DEFAULT_SOUL_FILENAME: "SOUL.md",
  DEFAULT_TOOLS_FILENAME: "TOOLS.md",
  DEFAULT_IDENTITY_FILENAME: "IDENTITY.md",
  DEFAULT_USER_FILENAME: "USER.md",
  DEFAULT_HEARTBEAT_FILENAME: "HEARTBEAT.md",
  DEFAULT_BOOTSTRAP_FILENAME: "BOOTSTRAP.md",
  DEFAULT_MEMORY_FILENAME: "MEMORY.md",
  MAX_WORKSPACE_BOOTSTRAP_FILE_BYTES: 2 * 1024 * 1024,
};

function setup(constants: Record<string, unknown> = CONSTANTS) {
  const { deps, counters, log } = recordingDeps({ workspaceReadsServed: 0 });
  const calls: unknown[] = [];
  const original = async (d: unknown) => {
    calls.push(d);
    return "stock's answer";
  };
  const helpers = Object.fromEntries(Object.entries(constants).map(([k, v]) => [k, () => v]));
  const read = (d: unknown) => workspaceFilesHandlers(deps).loadWorkspaceBootstrapFiles!(original, [d], helpers) as Promise<unknown>;
  return { counters, log, calls, read };
}

describe("loadWorkspaceBootstrapFiles handler", () => {
  it("serves a workspace from the worker: every name in lookup order, MEMORY.md only when present", async () => {
    const ws = join(dir, "plain");
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, "AGENTS.md"), "# agents\n");
    writeFileSync(join(ws, "MEMORY.md"), "# memory\n");
    const { counters, calls, log, read } = setup();
    const files = (await read(ws)) as { name: string; path: string; content?: string; missing: boolean }[];
    expect(files.map((f) => f.name)).toEqual(["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md", "BOOTSTRAP.md", "MEMORY.md"]);
    expect(files[0]).toEqual({ name: "AGENTS.md", path: join(ws, "AGENTS.md"), content: "# agents\n", missing: false });
    expect(Object.keys(files[1]!)).toEqual(["name", "path", "missing"]);
    expect(files[1]!.missing).toBe(true);
    expect([calls, log, counters.workspaceReadsServed]).toEqual([[], [], 1]);
  });

  it("the release's constants must be the worker's: a renamed file or another size bound runs stock", async () => {
    expect(constantsMismatch(CONSTANTS)).toBeNull();
    for (const change of [{ DEFAULT_SOUL_FILENAME: "PERSONA.md" }, { DEFAULT_MEMORY_FILENAME: "memory.md" }, { MAX_WORKSPACE_BOOTSTRAP_FILE_BYTES: 4 * 1024 * 1024 }, { DEFAULT_USER_FILENAME: undefined }]) {
      const { counters, calls, log, read } = setup({ ...CONSTANTS, ...change });
      expect(await read(dir)).toBe("stock's answer");
      expect(calls).toEqual([dir]);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatch(/loadWorkspaceBootstrapFiles runs stock: (file names|size bound)/);
      expect(counters.workspaceReadsServed).toBe(0);
    }
  });

  it("a directory that is not a plain absolute path is stock's to resolve", async () => {
    for (const d of ["~/ws", "relative/ws", ` ${dir}`, `${dir}\n`, undefined, 7]) {
      const { calls, log, read } = setup();
      expect(await read(d)).toBe("stock's answer");
      expect(calls).toEqual([d]);
      expect(log[0]).toMatch(/not a plain absolute path/);
    }
  });

  it("an fs error stock classifies itself (a symlink loop) runs stock", async () => {
    const ws = join(dir, "loop");
    mkdirSync(ws, { recursive: true });
    symlinkSync(join(ws, "AGENTS.md"), join(ws, "AGENTS.md"));
    const loop = setup();
    expect(await loop.read(ws)).toBe("stock's answer");
    expect(loop.log).toEqual([expect.stringMatching(/AGENTS\.md io \(ELOOP\)/)]);
    expect(loop.counters.fallbacks).toBe(0);
    expect(loop.calls).toEqual([ws]);
  });
});
