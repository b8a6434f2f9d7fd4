/**
 * Opt-in preload that moves OpenClaw 2026.5.12's transcript load and bootstrap-file reads into ctxc's
 * worker threads while OpenClaw keeps every write:
 *
 *     node --import <ctxc>/dist/src/openclaw/register.js <openclaw>/openclaw.mjs gateway run …
 *
 * It installs module customization hooks (preload-hooks.ts; in-thread `module.registerHooks` where Node has it) that redirect three imports of OpenClaw's
 * `runEmbeddedAttempt` chunk to wrappers (preload-runtime.ts). The chunk names carry build hashes, so
 * the hooks are installed only for OpenClaw exactly 2026.5.12 with those chunks present; anything else
 * leaves the gateway stock and says so in the log (CTXC_OPENCLAW_LOG, else stderr). docs/real-gateway.md.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import * as nodeModule from "node:module";
import { dirname, join } from "node:path";
import { isMainThread } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { createPreloadHooks, rewriteTranscriptChunk, type PreloadHookData } from "./preload-hooks.js";
import { configureOpenClawPool } from "./pool.js";
import { counters, preloadLog } from "./preload-runtime.js";

/** How long the preload's worker (and its transcript reads) stays alive without work. */
export const PRELOAD_POOL_IDLE_MS = 15 * 60_000;

/** The only OpenClaw build the hooks know. */
export const SUPPORTED_OPENCLAW_VERSION = "2026.5.12";
/** The chunk holding `runEmbeddedAttempt` in 2026.5.12, and the specifiers it imports that ctxc wraps. */
export const OPENCLAW_2026_5_12 = {
  parent: "dist/selection-61FIEezO.js",
  targets: {
    "@earendil-works/pi-coding-agent": "pi",
    "./compaction-successor-transcript-DUIN9Udw.js": "transcript",
    "./bootstrap-files-BUEAiWga.js": "bootstrap",
  },
  files: ["dist/compaction-successor-transcript-DUIN9Udw.js", "dist/bootstrap-files-BUEAiWga.js", "dist/internal-hooks-C8Y435Ix.js", "dist/session-key-DFEyR49L.js"],
  bootstrapDeps: { internalHooks: "./internal-hooks-C8Y435Ix.js", sessionKey: "./session-key-DFEyR49L.js" },
  /** Home of the internal `readTranscriptLeafInfo` (rewritten, see preload-hooks.ts). */
  transcriptChunk: "dist/transcript-D34ZH8ZQ.js",
} as const;

/** The OpenClaw package root above `entry` (the script node runs, e.g. openclaw.mjs or a bin symlink), or null. */
export function findOpenClawRoot(entry: string | undefined): string | null {
  if (!entry) return null;
  let dir: string;
  try {
    dir = dirname(realpathSync(entry));
  } catch {
    return null;
  }
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "openclaw") return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Hook data for the OpenClaw at `root`, or why the preload stays off. */
export function planPreload(root: string | null): PreloadHookData | string {
  if (!root) return "no openclaw package found above the entry script";
  let version: unknown;
  try {
    version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown }).version;
  } catch (err) {
    return `cannot read ${join(root, "package.json")}: ${(err as Error).message}`;
  }
  if (version !== SUPPORTED_OPENCLAW_VERSION) return `openclaw ${String(version)} at ${root} (supported: ${SUPPORTED_OPENCLAW_VERSION})`;
  const spec = OPENCLAW_2026_5_12;
  for (const f of [spec.parent, ...spec.files]) {
    if (!existsSync(join(root, f))) return `openclaw ${String(version)} at ${root} lacks ${f} (not the published build)`;
  }
  const runtimeUrl = new URL("./preload-runtime.js", import.meta.url).href;
  const plan: PreloadHookData = {
    parentUrl: pathToFileURL(join(root, spec.parent)).href,
    runtimeUrl,
    targets: { ...spec.targets },
    bootstrapDeps: { ...spec.bootstrapDeps },
  };
  // The leaf-scan rewrite is an extra: without its chunk (or its one function) the rest still applies.
  const chunk = join(root, spec.transcriptChunk);
  const source = existsSync(chunk) ? rewriteTranscriptChunk(readFileSync(chunk, "utf8"), runtimeUrl) : null;
  if (source !== null) plan.leafScan = { chunkUrl: pathToFileURL(chunk).href, source };
  return plan;
}

function install(): void {
  // Worker threads inherit `--import`; only the main thread runs OpenClaw's run path (and ctxc's own
  // pool workers must not install hooks).
  if (!isMainThread) return;
  const plan = planPreload(findOpenClawRoot(process.argv[1]));
  if (typeof plan === "string") {
    preloadLog("inactive", `${plan}; hooks not installed, OpenClaw runs stock`);
    return;
  }
  // In-thread synchronous hooks where Node has them (>= 22.15): no loader-thread round trip for each of
  // OpenClaw's thousands of module resolutions (see preload-hooks.ts). Otherwise the off-thread API.
  const api = nodeModule as {
    registerHooks?: (hooks: Pick<ReturnType<typeof createPreloadHooks>, "resolve">) => unknown;
    register?: (specifier: string, options?: { data?: unknown }) => void;
  };
  // A gateway is long-lived and a user's next turn often comes minutes later: keep the worker (and with
  // it the transcripts it has read, so the next turn parses only what was appended) for 15 idle minutes
  // instead of the library's 30 s. CTXC_OPENCLAW_IDLE_MS overrides.
  const idleMs = Number(process.env.CTXC_OPENCLAW_IDLE_MS ?? PRELOAD_POOL_IDLE_MS);
  void configureOpenClawPool({ idleTimeoutMs: Number.isInteger(idleMs) && idleMs > 0 ? idleMs : PRELOAD_POOL_IDLE_MS });
  let mechanism: string;
  try {
    if (typeof api.registerHooks === "function") {
      api.registerHooks({ resolve: createPreloadHooks(plan, true).resolve });
      mechanism = "module.registerHooks";
    } else if (typeof api.register === "function") {
      api.register(new URL("./preload-hooks.js", import.meta.url).href, { data: plan });
      mechanism = "module.register";
    } else {
      preloadLog("inactive", `node ${process.version} has neither module.registerHooks nor module.register; OpenClaw runs stock`);
      return;
    }
  } catch (err) {
    preloadLog("inactive", `installing the module hooks failed (${(err as Error).message}); OpenClaw runs stock`);
    return;
  }
  const leafScan = plan.leafScan && mechanism === "module.registerHooks" ? "transcript leaf scan served" : "transcript leaf scan stock";
  preloadLog("active", `openclaw ${SUPPORTED_OPENCLAW_VERSION}, node ${process.version}, ${mechanism}, ${leafScan}, pid ${process.pid}`);
  process.once("exit", () => {
    const c = counters;
    preloadLog("summary", `sessionsServed=${c.sessionsServed} leafInfoServed=${c.leafInfoServed} repairsSkipped=${c.repairsSkipped} bootstrapServed=${c.bootstrapServed} bootstrapContextServed=${c.bootstrapContextServed} fallbacks=${c.fallbacks}`);
  });
}

// Installing on import is the point of a `--import` preload; the test imports the helpers above with
// CTXC_OPENCLAW_PRELOAD=off.
if (process.env.CTXC_OPENCLAW_PRELOAD !== "off") install();
