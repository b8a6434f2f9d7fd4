/**
 * Where the preload keeps ctxc's persistent index of the session reads: `<OpenClaw state dir>/ctxc/index`
 * by default, beside the gateway's own state, so a restarted gateway finds it again; moved with
 * `CTXC_OPENCLAW_INDEX_DIR=PATH`, turned off with `CTXC_OPENCLAW_INDEX=off` (docs/openclaw.md A6).
 *
 * The state dir is resolved as OpenClaw resolves it — the same in every JSONL-era release checked
 * (`resolveStateDir` of `dist/paths-*.js` over `dist/home-dir-*.js`; test/matrix/state-dir.test.ts
 * compares with the release's own function, and checks the text across every JSONL-era dist/: three
 * versions, differing only where noted below): `OPENCLAW_STATE_DIR`
 * (trimmed, a leading `~` expanded to OpenClaw's home), else `<home>/.openclaw` when it exists (or with
 * `OPENCLAW_TEST_FAST=1`), else the legacy `<home>/.clawdbot` when that exists, else `<home>/.openclaw`;
 * home is `OPENCLAW_HOME` (a leading `~` expanded to the OS home), else `HOME`, `USERPROFILE`, (since
 * 2026.5.26, on Termux) `$PREFIX/../home`, the OS home, else the cwd — the 2026.5.12–5.22 releases lack
 * the Termux step, which only matters on Android with HOME unset. With no home and no cwd (deleted)
 * every version throws (2026.7.1+ with its own message): so does this; the preload catches it. Following OpenClaw exactly matters beyond finding the place: creating
 * `~/.openclaw` where OpenClaw still uses `~/.clawdbot` would move OpenClaw's own state dir at its next start.
 */
import { existsSync } from "node:fs";
import { homedir as osHomedir } from "node:os";
import { join, resolve } from "node:path";

type Env = Record<string, string | undefined>;

/** OpenClaw's home-dir `normalize`: a shell placeholder ("undefined", "null") or blank counts as unset. */
function homeValue(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return !trimmed || trimmed === "undefined" || trimmed === "null" ? undefined : trimmed;
}

function osHomeValue(homedir: () => string): string | undefined {
  try {
    return homeValue(homedir());
  } catch {
    return undefined;
  }
}

const LEADING_TILDE = /^~(?=$|[\\/])/;

/** OpenClaw's `resolveTermuxHome` (2026.5.26+): on Android's Termux without HOME, `$PREFIX/../home`. */
function termuxHome(env: Env): string | undefined {
  const prefix = homeValue(env.PREFIX);
  if (!prefix || !homeValue(env.ANDROID_DATA)) return undefined;
  if (!/(?:^|\/)com\.termux\/files\/usr\/?$/u.test(prefix.replace(/\\/gu, "/"))) return undefined;
  return resolve(prefix, "..", "home");
}

/** OpenClaw's `resolveRequiredHomeDir` (home-dir-*.js). */
function openClawHome(env: Env, homedir: () => string): string {
  const osHome = homeValue(env.HOME) ?? homeValue(env.USERPROFILE) ?? termuxHome(env) ?? osHomeValue(homedir);
  const explicit = homeValue(env.OPENCLAW_HOME);
  let raw: string | undefined = explicit ?? osHome;
  if (explicit && (explicit === "~" || explicit.startsWith("~/") || explicit.startsWith("~\\"))) raw = osHome ? explicit.replace(LEADING_TILDE, osHome) : undefined;
  return raw ? resolve(raw) : resolve(process.cwd());
}

/** OpenClaw's state directory, resolved as OpenClaw's `resolveStateDir(env)` does (see above). */
export function openClawStateDir(env: Env = process.env, homedir: () => string = () => openClawHome(env, osHomedir)): string {
  // As OpenClaw's: the OS-home fallback is itself OpenClaw's home resolution (its `envHomedir(env)`).
  const home = () => openClawHome(env, homedir);
  const override = env.OPENCLAW_STATE_DIR?.trim();
  if (override) return resolve(override.startsWith("~") ? override.replace(LEADING_TILDE, home()) : override);
  const current = join(home(), ".openclaw");
  if (env.OPENCLAW_TEST_FAST === "1" || existsSync(current)) return current;
  const legacy = join(home(), ".clawdbot");
  return existsSync(legacy) ? legacy : current;
}

/**
 * The preload's index directory from its settings, or why there is none (`log`: worth the one `index:`
 * line). The default is only used inside a state dir that exists: the preload never creates OpenClaw's
 * own directory (a `--version` run would leave one behind; OpenClaw creates it with its first real run).
 */
export function preloadIndexDir(env: Env = process.env): { dir: string } | { off: string; log: boolean } {
  if (env.CTXC_OPENCLAW_INDEX?.trim() === "off") return { off: "CTXC_OPENCLAW_INDEX=off", log: false };
  const moved = env.CTXC_OPENCLAW_INDEX_DIR?.trim();
  if (moved) return { dir: resolve(moved) };
  const state = openClawStateDir(env);
  if (!existsSync(state)) {
    return { off: `OpenClaw's state dir ${state} does not exist (yet); the session reads run without the persistent index (ctxc does not create OpenClaw's directory)`, log: true };
  }
  return { dir: join(state, "ctxc", "index") };
}
