/**
 * Where the preload keeps its index by default: `<OpenClaw state dir>/ctxc/index`, the state dir found
 * exactly as OpenClaw finds it — compared here with the release's own `resolveStateDir` (the reference
 * install, 2026.5.12, and the release under test in the matrix, `CTXC_OPENCLAW_ROOT`: scripts/matrix.sh), located in its
 * dist/ by what the function is, on environments that take every branch: override (with `~`, relative,
 * blank), OPENCLAW_HOME (with `~`, a placeholder), HOME / USERPROFILE, `.openclaw` / legacy `.clawdbot`
 * present or not, OPENCLAW_TEST_FAST.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { openClawStateDir, preloadIndexDir } from "../../src/openclaw/state-dir.js";
import { OPENCLAW_REFERENCE_DIR, parseChunkExports } from "../reference/openclaw-reference.js";
import { releaseRoot } from "../support/openclaw-release.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-state-dir");

/** The release's own `resolveStateDir(env)`, found by its signature in dist/. */
async function releaseResolveStateDir(root: string): Promise<(env: Record<string, string | undefined>) => string> {
  const distDir = join(root, "dist");
  for (const name of readdirSync(distDir)) {
    if (!name.endsWith(".js")) continue;
    const source = readFileSync(join(distDir, name), "utf8");
    if (!source.includes("function resolveStateDir(env = process.env, homedir = envHomedir(env))")) continue;
    const alias = parseChunkExports(source).resolveStateDir;
    if (!alias) continue;
    return (await import(pathToFileURL(join(distDir, name)).href))[alias];
  }
  throw new Error(`no resolveStateDir in ${distDir}`);
}

function home(name: string, present: string[]): string {
  const h = join(dir, name);
  mkdirSync(h);
  for (const p of present) mkdirSync(join(h, p));
  return h;
}

const roots = [OPENCLAW_REFERENCE_DIR, ...(releaseRoot() ? [releaseRoot()!] : [])];

describe("the preload's index dir follows OpenClaw's state dir", () => {
  for (const root of roots) {
    it(`equals OpenClaw's resolveStateDir (${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version})`, async () => {
      const resolveStateDir = await releaseResolveStateDir(root);
      const none = home(`none-${roots.indexOf(root)}`, []);
      const legacy = home(`legacy-${roots.indexOf(root)}`, [".clawdbot"]);
      const both = home(`both-${roots.indexOf(root)}`, [".clawdbot", ".openclaw"]);
      const envs: Record<string, string | undefined>[] = [
        { HOME: none },
        { HOME: legacy },
        { HOME: both },
        { HOME: legacy, OPENCLAW_TEST_FAST: "1" },
        { HOME: none, OPENCLAW_STATE_DIR: "  ~/state " },
        { HOME: none, OPENCLAW_STATE_DIR: "~" },
        { HOME: none, OPENCLAW_STATE_DIR: "relative/state" },
        { HOME: none, OPENCLAW_STATE_DIR: "   " },
        { HOME: none, OPENCLAW_STATE_DIR: "~other/x" },
        { HOME: none, OPENCLAW_HOME: legacy },
        { HOME: none, OPENCLAW_HOME: "~/sub" },
        { HOME: none, OPENCLAW_HOME: "~", OPENCLAW_STATE_DIR: "~/s" },
        { HOME: "undefined", USERPROFILE: legacy },
        { HOME: " null ", OPENCLAW_HOME: "~/sub" },
        { OPENCLAW_HOME: "~/sub" },
        { USERPROFILE: both },
      ];
      for (const env of envs) expect(openClawStateDir(env), JSON.stringify(env)).toBe(resolveStateDir(env));
    });
  }

  it("CTXC_OPENCLAW_INDEX=off turns it off; CTXC_OPENCLAW_INDEX_DIR moves it; else <state dir>/ctxc/index, in a state dir that exists", () => {
    const state = join(dir, "state");
    mkdirSync(state);
    expect(preloadIndexDir({ OPENCLAW_STATE_DIR: state, CTXC_OPENCLAW_INDEX: "off" })).toEqual({ off: "CTXC_OPENCLAW_INDEX=off", log: false });
    expect(preloadIndexDir({ OPENCLAW_STATE_DIR: state, CTXC_OPENCLAW_INDEX_DIR: " /var/cache/ctxc " })).toEqual({ dir: "/var/cache/ctxc" });
    expect(preloadIndexDir({ OPENCLAW_STATE_DIR: state })).toEqual({ dir: join(state, "ctxc", "index") });
    expect(preloadIndexDir({ OPENCLAW_STATE_DIR: state, CTXC_OPENCLAW_INDEX: "on" })).toEqual({ dir: join(state, "ctxc", "index") });
    const missing = preloadIndexDir({ OPENCLAW_STATE_DIR: join(dir, "no-state") });
    expect(missing).toMatchObject({ log: true });
    expect("off" in missing && missing.off).toMatch(/state dir .*no-state does not exist \(yet\)/);
    // The moved directory is used (and created) wherever it is.
    expect(preloadIndexDir({ OPENCLAW_STATE_DIR: join(dir, "no-state"), CTXC_OPENCLAW_INDEX_DIR: join(dir, "x") })).toEqual({ dir: join(dir, "x") });
  });
});
