/**
 * Where the preload keeps its index by default: `<OpenClaw state dir>/ctxc/index`, the state dir found
 * exactly as OpenClaw finds it — compared here with the release's own `resolveStateDir` (the reference
 * install, 2026.5.12, and the release under test in the matrix, `CTXC_OPENCLAW_ROOT`: scripts/matrix.sh), located in its
 * dist/ by what the function is, on environments that take every branch: override (with `~`, relative,
 * blank), OPENCLAW_HOME (with `~`, a placeholder), HOME / USERPROFILE, `.openclaw` / legacy `.clawdbot`
 * present or not, OPENCLAW_TEST_FAST. And over the unpacked dist/ of every published release
 * (`CTXC_OPENCLAW_DIST`, scripts/matrix.sh): every JSONL-era release has these functions word for word as
 * the reference has them, so what is checked against two releases holds for all the preload serves.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { locateRelease } from "../../src/openclaw/release/locate.js";
import { openClawStateDir, preloadIndexDir } from "../../src/openclaw/state-dir.js";
import { OPENCLAW_REFERENCE_DIR, parseChunkExports } from "../reference/openclaw-reference.js";
import { releaseRoot } from "../support/openclaw-release.js";
import { rewrittenCopyWriter } from "../../bench/lib/rewritten-copy.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-state-dir");

/** The release's own `resolveStateDir(env)`, found by its signature in dist/. */
async function releaseResolveStateDir(root: string): Promise<(env: Record<string, string | undefined>) => string> {
  const distDir = join(root, "dist");
  for (const name of readdirSync(distDir)) {
    if (!name.endsWith(".js") || rewrittenCopyWriter(name) !== undefined) continue;
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

const version = (root: string): string => JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
// Releases the preload serves (a SQLite-era one runs stock: no index, and its state-dir code moved).
const roots = [OPENCLAW_REFERENCE_DIR, ...(releaseRoot() ? [releaseRoot()!] : [])].filter((root) => !locateRelease(root, version(root)).sqlite);

describe("the preload's index dir follows OpenClaw's state dir", () => {
  for (const root of roots) {
    it(`equals OpenClaw's resolveStateDir (${version(root)})`, async () => {
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
        // Android's Termux without HOME (2026.5.26+ looks at $PREFIX; the earlier releases do not).
        ...(stateDirCode(root)["home-dir resolveTermuxHome"] ? [{ PREFIX: "/data/data/com.termux/files/usr", ANDROID_DATA: "/data" }, { PREFIX: "/data/data/com.termux/files/usr/", ANDROID_DATA: "/data", OPENCLAW_HOME: "~/oc" }] : []),
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

/**
 * The source text of `function NAME(…) {…}` in `source` (braces matched; these bodies hold no braces in
 * strings), with the bundler's renames (`normalize$1`) undone.
 */
function functionText(source: string, name: string): string | undefined {
  const start = source.search(new RegExp(`\\bfunction ${name}\\(`));
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = source.indexOf("{", start); i < source.length; i++) {
    if (source[i] === "{") depth++;
    else if (source[i] === "}" && --depth === 0) return source.slice(start, i + 1).replace(/\$\d+\b/g, "");
  }
  return undefined;
}

/** The state-dir resolution of the release at `root`: the paths chunk's resolveStateDir and the home-dir helpers it calls. */
function stateDirCode(root: string): Record<string, string | undefined> {
  const distDir = join(root, "dist");
  const out: Record<string, string | undefined> = {};
  for (const name of readdirSync(distDir)) {
    if (!name.endsWith(".js") || rewrittenCopyWriter(name) !== undefined) continue;
    const source = readFileSync(join(distDir, name), "utf8");
    if (source.includes("function resolveStateDir(env = process.env, homedir = envHomedir(env))")) {
      for (const f of ["resolveStateDir", "envHomedir", "newStateDir", "legacyStateDirs", "resolveUserPath"]) out[`paths ${f}`] = functionText(source, f);
    }
    if (name.startsWith("home-dir-")) {
      for (const f of ["resolveTermuxHome", "resolveRawOsHomeDir", "resolveRawHomeDir", "resolveEffectiveHomeDir", "resolveRequiredHomeDir", "expandHomePrefix", "resolveHomeRelativePath"]) out[`home-dir ${f}`] = functionText(source, f);
    }
  }
  return out;
}

describe("every JSONL-era release resolves the state dir as the reference does", () => {
  const distRoot = process.env.CTXC_OPENCLAW_DIST;
  if (!distRoot) {
    it.skip("needs CTXC_OPENCLAW_DIST (scripts/matrix.sh sets it after scripts/install-releases.sh)", () => {});
    return;
  }
  it("word for word in every unpacked dist/, in three versions that ctxc's one follows", () => {
    // Grouped by the text of the functions: which releases share which version.
    const groups = new Map<string, string[]>();
    for (const v of readdirSync(distRoot)) {
      const root = join(distRoot, v, "package");
      if (!existsSync(join(root, "package.json")) || locateRelease(root, v).sqlite) continue;
      const key = JSON.stringify(stateDirCode(root));
      groups.set(key, [...(groups.get(key) ?? []), v]);
    }
    const versions = [...groups.entries()].map(([key, releases]) => ({ code: JSON.parse(key) as Record<string, string | undefined>, releases }));
    expect(versions).toHaveLength(3);
    const [a, b, c] = ["2026.5.12", "2026.5.26", "2026.7.1"].map((first) => versions.find((x) => x.releases.includes(first))!);
    expect(a!.code).toEqual(stateDirCode(OPENCLAW_REFERENCE_DIR));
    const changed = (x: Record<string, string | undefined>, y: Record<string, string | undefined>) => [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => x[k] !== y[k]).sort();
    // 2026.5.26: HOME, then USERPROFILE, then Termux's $PREFIX/../home (new), then the OS home.
    expect(changed(a!.code, b!.code)).toEqual(["home-dir resolveRawOsHomeDir", "home-dir resolveTermuxHome"]);
    expect(b!.code["home-dir resolveRawOsHomeDir"]).toBe(a!.code["home-dir resolveRawOsHomeDir"]!.replace("?? normalizeSafe(homedir)", "?? resolveTermuxHome(env) ?? normalizeSafe(homedir)"));
    // 2026.7.1: no home and no cwd throws its own error instead of process.cwd()'s — a throw either way.
    expect(changed(b!.code, c!.code)).toEqual(["home-dir resolveRequiredHomeDir"]);
    expect(c!.code["home-dir resolveRequiredHomeDir"]).toMatch(/tryProcessCwd\(\);\n\tif \(resolved\) return path\.resolve\(resolved\);\n\tthrow new Error/);
    expect(a!.releases.length + b!.releases.length + c!.releases.length).toBeGreaterThan(10);
  });
});
