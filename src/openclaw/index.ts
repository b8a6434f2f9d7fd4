/**
 * `ctxc/openclaw`: ctxc as a drop-in for the OpenClaw 2026.5 stages that read files on the gateway's
 * main thread — bootstrap files, session load — and as a ContextEngine plugin. docs/openclaw.md has the wiring.
 */
export {
  resolveBootstrapFilesForRun,
  buildBootstrapContextForFiles,
  resolveBootstrapContextForRun,
  renderProjectContext,
} from "./bootstrap.js";
export type {
  BootstrapFile,
  ContextFile,
  BootstrapDiagnostic,
  ProjectContextSections,
  OpenClawBootstrapConfig,
  ResolveBootstrapFilesForRunParams,
} from "./bootstrap.js";
export { openSession, openSessionAsync, readSessionMetaAsync, decodeSession, OpenClawSession } from "./session.js";
export type { OpenSessionOptions, OpenSessionAsyncOptions, SessionEntry, SessionHeaderEntry, SessionContext } from "./session.js";
export type { SessionContinuation, SessionMeta, SessionStatus } from "../../native-free-workers/protocol/session-buffer-layout.js";
export { createCtxcContextEngine, registerCtxcContextEngine } from "./context-engine.js";
export type {
  CtxcContextEngine,
  CtxcContextEngineOptions,
  AssembleResult,
  CompactResult,
  CompactParams,
  EngineMessage,
  OpenClawPluginApiLike,
} from "./context-engine.js";
export { configureOpenClawPool, closeOpenClawPool, openClawPoolIndex } from "./pool.js";
export type { OpenClawPoolOptions } from "./pool.js";
export { shouldExcludeHeartbeat } from "./heartbeat-config.js";
// For a cache under OpenClaw's state dir (issue 11): the same private-directory rules as `cacheDir`.
export { checkPrivateDir } from "../../native-free-workers/session/private-dir.js";
export type { PrivateDirVerdict } from "../../native-free-workers/session/private-dir.js";
