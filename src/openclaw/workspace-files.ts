/**
 * OpenClaw's `loadWorkspaceBootstrapFiles(dir)` — the read under every release's `resolveBootstrapFilesForRun`
 * (straight, or through the per-session `getOrLoadBootstrapFiles` snapshot cache) — answered by ctxc's worker.
 *
 * Why this function and not `resolveBootstrapFilesForRun` itself (which 2026.5.12 serves whole): from
 * 2026.5.18 that function grew rules ctxc would otherwise have to copy per release — the workspace-setup
 * filter around the hook step (`isWorkspaceSetupCompleted`, `filterCompletedWorkspaceBootstrapFile`),
 * 2026.7.35's memory-artifact provenance filter before and after the hooks, `~` paths from hooks, the
 * `commitment-only` run kind — and `buildBootstrapContextForFiles` takes per-agent limits. Serving only
 * the read leaves every one of those rules the release's own code, in the release's order, on the
 * release's main thread (they are cheap but for the setup state read and the provenance checks); what
 * moves is the part that hops: stock reads the 7–8 files one after another, each through
 * `openRootFile` (a realpath walk of the root and the file: several awaited fs calls) and a sync
 * open/fstat/read, plus a `readdir` for MEMORY.md — 41 awaited fs calls per run on 2026.7.35
 * (bench/openclaw-workspace-read.ts counts them), one after another on the main thread. The
 * worker reads them all in one request (native-free-workers/bootstrap/bootstrap-files.ts, the same guards:
 * symlinks must stay inside the workspace, regular files only, no hard links, ≤ 2 MiB, MEMORY.md only when
 * a directory entry is named exactly so) and keeps each file's text keyed by its identity.
 *
 * Exact where served: the same `{name, path, content?, missing}` records, in the same order, with the same
 * keys (test/matrix/workspace-files.test.ts, against each release's own function, and through each
 * release's own `resolveBootstrapFilesForRun` and `buildBootstrapContextForFiles`). Stock runs, with one
 * `fallback` line, when the release's constants differ from the worker's (file names, the 2 MiB bound), for
 * a directory that is not a plain absolute path (`~`, relative: stock's `resolveUserPath` decides), and when
 * the worker met an fs error it does not classify the way stock does (`io`: EACCES, EIO, and the transient
 * EAGAIN/EINTR that 2026.7.1+ retries; `changed`: a file swapped while opening).
 */
import { isAbsolute } from "node:path";
import { BOOTSTRAP_FILE_NAMES, MAX_BOOTSTRAP_FILE_BYTES } from "../../native-free-workers/bootstrap/bootstrap-files.js";
import type { BootstrapReply } from "../../native-free-workers/openclaw-worker.js";
import { runInOpenClawPool } from "./pool.js";
import { resolveHelpers, type Handler, type PreloadDeps } from "./preload-deps.js";
import { WORKSPACE_FILE_CONSTANTS } from "./release/shapes.js";

const WHERE = "loadWorkspaceBootstrapFiles";

/**
 * Why the release's constants are not the worker's, or null. A constant is not part of a function's shape
 * (only bodies are hashed), so it is compared here, on the values the chunk holds.
 */
export function constantsMismatch(helpers: Record<string, unknown>): string | null {
  const names = WORKSPACE_FILE_CONSTANTS.slice(0, -1).map((c) => helpers[c]);
  if (names.some((n, i) => n !== BOOTSTRAP_FILE_NAMES[i])) return `file names ${JSON.stringify(names)}, ctxc reads ${JSON.stringify(BOOTSTRAP_FILE_NAMES)}`;
  const max = helpers.MAX_WORKSPACE_BOOTSTRAP_FILE_BYTES;
  if (max !== MAX_BOOTSTRAP_FILE_BYTES) return `size bound ${String(max)}, ctxc's ${MAX_BOOTSTRAP_FILE_BYTES}`;
  return null;
}

async function loadWorkspaceBootstrapFiles(deps: PreloadDeps, original: (dir: unknown) => Promise<unknown>, [dir]: unknown[], helpers: Record<string, () => unknown>): Promise<unknown> {
  // Per call (nine getters): the bundler may copy the function into more than one chunk.
  const checked = constantsMismatch(resolveHelpers(helpers));
  if (checked) {
    deps.stepAside(`${WHERE} runs stock: ${checked}`);
    return original(dir);
  }
  if (typeof dir !== "string" || !isAbsolute(dir) || dir !== dir.trim()) {
    deps.stepAside(`${WHERE} runs stock: not a plain absolute path (${JSON.stringify(dir)})`);
    return original(dir);
  }
  let reply: BootstrapReply;
  try {
    // No session key, full mode, every name: the raw list stock returns (the release's own code filters it).
    reply = (await runInOpenClawPool({ op: "bootstrap", options: { workspaceDir: dir, runKind: "default", contextMode: "full", excludeHeartbeat: false } })) as BootstrapReply;
  } catch (err) {
    deps.fallback(WHERE, err);
    return original(dir);
  }
  const odd = reply.diagnostics.find((d) => d.reason === "io" || d.reason === "changed");
  if (odd) {
    deps.stepAside(`${WHERE} runs stock: ${odd.name} ${odd.reason}${odd.code ? ` (${odd.code})` : ""} — stock classifies it itself (${dir})`);
    return original(dir);
  }
  deps.counters.workspaceReadsServed++;
  return reply.files;
}

/** The handler (preload-runtime.ts `handlers`). */
export function workspaceFilesHandlers(deps: PreloadDeps): Record<string, Handler> {
  return { loadWorkspaceBootstrapFiles: (original, args, helpers) => loadWorkspaceBootstrapFiles(deps, original, args, helpers) };
}
