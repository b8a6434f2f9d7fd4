/**
 * Opt-in preload that moves the transcript reads (and, on 2026.5.12, the bootstrap-file reads) of any
 * OpenClaw release that keeps transcripts in JSONL files into ctxc's worker threads while OpenClaw keeps
 * every write:
 *
 *     node --import <ctxc>/dist/src/openclaw/register.js <openclaw>/openclaw.mjs gateway run …
 *
 * This module is the entry only: the preload itself is preload-install.ts (it locates the interception
 * points and installs the hooks on import), loaded here with V8's eager compilation on for its module graph
 * (compile-eagerly.ts: a gateway's first turn after a restart otherwise compiles ~75 of ctxc's functions).
 * docs/openclaw.md, docs/real-gateway.md.
 */
import { isMainThread } from "node:worker_threads";
import { eagerCompileWanted, importEagerly } from "./compile-eagerly.js";

const preload = await importEagerly(() => import("./preload-install.js"), eagerCompileWanted(isMainThread, process.env, process.execArgv));

// The helpers the tests and the real-gateway bench use (a static re-export would load the graph before the window opens).
export const { PRELOAD_POOL_IDLE_MS, findOpenClawRoot, planPreload } = preload;
