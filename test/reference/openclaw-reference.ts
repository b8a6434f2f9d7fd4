/**
 * Loads OpenClaw's real bootstrap functions from the reference install in `test/.reference/`
 * (created by `test/reference/install-reference.sh`, git-ignored) for differential tests.
 *
 * OpenClaw ships as a bundle of hashed chunks (`dist/bootstrap-files-<hash>.js`, …) whose exports are
 * minified aliases (`export { resolveBootstrapFilesForRun as o, … }`). We locate each chunk by its
 * file-name prefix and map real names to aliases by parsing the chunk's final `export { … }` statement.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** `test/.reference/node_modules/openclaw`, or `$CTXC_OPENCLAW_DIR` when set. */
export const OPENCLAW_REFERENCE_DIR =
  process.env.CTXC_OPENCLAW_DIR ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", ".reference", "node_modules", "openclaw");

/** Loose structural types of the reference functions (OpenClaw 2026.5.12). */
export interface OpenClawBootstrapFile {
  name: string;
  path: string;
  content?: string;
  missing: boolean;
}
export interface OpenClawContextFile {
  path: string;
  content: string;
}
export interface OpenClawBootstrap {
  /** Installed OpenClaw version. */
  version: string;
  resolveBootstrapFilesForRun(params: {
    workspaceDir: string;
    config?: unknown;
    sessionKey?: string;
    sessionId?: string;
    agentId?: string;
    warn?: (message: string) => void;
    contextMode?: "full" | "lightweight";
    runKind?: "default" | "heartbeat" | "cron";
  }): Promise<OpenClawBootstrapFile[]>;
  buildBootstrapContextForFiles(
    files: OpenClawBootstrapFile[],
    params: { config?: unknown; warn?: (message: string) => void },
  ): OpenClawContextFile[];
  /** Lower-level builder used by `buildBootstrapContextForFiles` (explicit caps). */
  buildBootstrapContextFiles(
    files: OpenClawBootstrapFile[],
    opts?: { warn?: (message: string) => void; maxChars?: number; totalMaxChars?: number },
  ): OpenClawContextFile[];
  /** The full system-prompt builder (`buildConfiguredAgentSystemPrompt`); only `workspaceDir` + `contextFiles` are needed. */
  buildConfiguredAgentSystemPrompt(params: { workspaceDir: string; contextFiles?: OpenClawContextFile[]; [k: string]: unknown }): string;
  /** `"\n<!-- OPENCLAW_CACHE_BOUNDARY -->\n"` — separates stable and dynamic prompt parts. */
  SYSTEM_PROMPT_CACHE_BOUNDARY: string;
}

/** Parses the last `export { a as b, … }` statement of a bundled chunk into `{ localName: alias }`. */
export function parseChunkExports(source: string): Record<string, string> {
  const matches = [...source.matchAll(/export\s*\{([^}]*)\}\s*;?/g)];
  const last = matches.at(-1);
  const map: Record<string, string> = {};
  if (!last) return map;
  for (const part of last[1]!.split(",")) {
    const m = part.trim().match(/^([\w$]+)(?:\s+as\s+([\w$]+))?$/);
    if (m) map[m[1]!] = m[2] ?? m[1]!;
  }
  return map;
}

/** Finds the chunk in `dist/` whose name starts with `prefix` and which exports all `names`; returns name → value. */
async function loadFromChunk(distDir: string, prefix: string, names: string[]): Promise<Record<string, unknown>> {
  const candidates = readdirSync(distDir).filter(
    // Rolldown chunk names: `<name>-<8-char hash>.js` (the hash may contain "-" and "_").
    (f) => f.startsWith(prefix) && /^[A-Za-z0-9_-]{8}\.js$/.test(f.slice(prefix.length)),
  );
  for (const file of candidates) {
    const full = path.join(distDir, file);
    const exportsMap = parseChunkExports(readFileSync(full, "utf8"));
    if (!names.every((n) => n in exportsMap)) continue;
    const mod = (await import(pathToFileURL(full).href)) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const n of names) out[n] = mod[exportsMap[n]!];
    return out;
  }
  throw new Error(`no ${prefix}*.js chunk in ${distDir} exports ${names.join(", ")}`);
}

/** True when the reference install exists. */
export function hasOpenClawReference(): boolean {
  return existsSync(path.join(OPENCLAW_REFERENCE_DIR, "package.json"));
}

let loaded: Promise<OpenClawBootstrap> | undefined;

/** Loads (once) OpenClaw's real bootstrap + prompt-rendering functions from the reference install. */
export function loadOpenClawBootstrap(): Promise<OpenClawBootstrap> {
  loaded ??= (async () => {
    if (!hasOpenClawReference()) {
      throw new Error(`OpenClaw reference not installed at ${OPENCLAW_REFERENCE_DIR}; run test/reference/install-reference.sh`);
    }
    const distDir = path.join(OPENCLAW_REFERENCE_DIR, "dist");
    const { version } = JSON.parse(readFileSync(path.join(OPENCLAW_REFERENCE_DIR, "package.json"), "utf8")) as {
      version: string;
    };
    const [files, helpers, prompt, boundary] = await Promise.all([
      loadFromChunk(distDir, "bootstrap-files-", ["resolveBootstrapFilesForRun", "buildBootstrapContextForFiles"]),
      loadFromChunk(distDir, "pi-embedded-helpers-", ["buildBootstrapContextFiles"]),
      loadFromChunk(distDir, "system-prompt-config-", ["buildConfiguredAgentSystemPrompt"]),
      loadFromChunk(distDir, "system-prompt-cache-boundary-", ["SYSTEM_PROMPT_CACHE_BOUNDARY"]),
    ]);
    return { version, ...files, ...helpers, ...prompt, ...boundary } as unknown as OpenClawBootstrap;
  })();
  return loaded;
}
