/**
 * ctxc — a worker-thread context compiler for AI-agent gateways. The public API, all of it.
 */
export { createCompiler } from "./compiler.js";
export type { Compiler, CompilerOptions, CompilerStats } from "./compiler.js";
export { decodeContext, CompiledContext } from "./decode-context.js";
export type { AgentMessage, ContextTokens, MessageInfo } from "./decode-context.js";
export type { BuildOptions, RunKind, TokenizerName } from "./options.js";
export type { BuildPhase, BuildProgress } from "../native-free-workers/protocol/progress.js";
export { DEFAULTS } from "./options.js";
export { CtxcError } from "../native-free-workers/protocol/errors.js";
export type { CtxcErrorCode } from "../native-free-workers/protocol/errors.js";
export type { ContextMeta, Diagnostic, DiagnosticCode } from "../native-free-workers/protocol/buffer-layout.js";
export { LAYOUT_VERSION } from "../native-free-workers/protocol/buffer-layout.js";
export { checkPrivateDir } from "../native-free-workers/session/private-dir.js";
export type { PrivateDirVerdict } from "../native-free-workers/session/private-dir.js";
