/**
 * Workspace bootstrap context (AGENTS.md, SOUL.md, …) for ctxc workers.
 *
 * Behaviour-compatible, clean-room re-implementation of OpenClaw 2026.5.12's
 * `resolveBootstrapFilesForRun` → `buildBootstrapContextForFiles` → system-prompt
 * "Project Context" rendering. Pure JS (node:fs / node:path / node:os only), safe to
 * run inside worker threads. Verified against the real functions by
 * `test/differential/bootstrap-files.test.ts`.
 *
 * Pipeline:
 *   resolveBootstrapFiles(opts)   → BootstrapFile[]   (what is on disk, filtered for the run)
 *   buildBootstrapContext(files)  → ContextFile[]     (per-file + total char caps applied)
 *   renderProjectContext(files)   → string            (the `# Project Context` prompt text)
 */
import { constants as fsConstants } from "node:fs";
import { lstat, open, readdir, realpath } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DEFAULTS } from "../protocol/defaults.js";
import type { RunKind } from "../protocol/run-kinds.js";

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/** Workspace bootstrap files in OpenClaw's lookup order (this is also the order of the output). */
export const BOOTSTRAP_FILE_NAMES = [
  "AGENTS.md",
  "SOUL.md",
  "TOOLS.md",
  "IDENTITY.md",
  "USER.md",
  "HEARTBEAT.md",
  "BOOTSTRAP.md",
  "MEMORY.md",
] as const;

/** One of the recognised bootstrap file names (exact case). */
export type BootstrapFileName = (typeof BOOTSTRAP_FILE_NAMES)[number];

/** Files kept for sub-agent and cron sessions (selected by session key, see {@link ResolveBootstrapFilesOptions.sessionKey}). */
export const MINIMAL_BOOTSTRAP_FILE_NAMES: ReadonlySet<BootstrapFileName> = new Set<BootstrapFileName>([
  "AGENTS.md",
  "TOOLS.md",
  "SOUL.md",
  "IDENTITY.md",
  "USER.md",
]);

/** Files larger than this many bytes are treated as missing (OpenClaw's workspace read guard: 2 MiB). */
export const MAX_BOOTSTRAP_FILE_BYTES = 2 * 1024 * 1024;

/** Default caps, identical to OpenClaw's defaults. */
export const DEFAULT_BOOTSTRAP_CAPS: Readonly<BootstrapCaps> = Object.freeze({
  maxCharsPerFile: DEFAULTS.bootstrapMaxChars,
  maxCharsTotal: DEFAULTS.bootstrapTotalMaxChars,
  minCharsLeft: DEFAULTS.bootstrapMinCharsLeft,
});

/** The heartbeat prompt block OpenClaw strips from context-file content when rendering. */
export const DEFAULT_HEARTBEAT_PROMPT_CONTEXT_BLOCK =
  "Default heartbeat prompt:\n`Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or repeat old tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK.`";

const HEAD_RATIO = 0.75;
const TAIL_RATIO = 0.25;
/** Below this many content chars next to the full marker, the compact marker is used. */
const MIN_TRIMMED_CONTENT_CHARS = 16;

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** Character budgets for the injected bootstrap context. All counts are UTF-16 code units (JS `string.length`). */
export interface BootstrapCaps {
  /**
   * Per-file cap. A file whose content (after `trimEnd()`) is longer is cut to 75 % head + 25 % tail
   * around a `[...truncated, read <NAME> for full content...]` marker, the whole result fitting in this many chars.
   * OpenClaw config: `agents.defaults.bootstrapMaxChars`. Default 12,000.
   */
  maxCharsPerFile: number;
  /**
   * Budget shared by all files, consumed in lookup order (including `[MISSING] …` stubs). The last file that
   * does not fit is cut to the remaining budget (ending in `…`).
   * OpenClaw config: `agents.defaults.bootstrapTotalMaxChars`. Default 60,000.
   */
  maxCharsTotal: number;
  /**
   * When fewer chars than this remain in the total budget, the next present file and everything after it is
   * dropped (with a warning). Missing-file stubs do not check this threshold. Not configurable in OpenClaw. Default 64.
   */
  minCharsLeft: number;
}

/**
 * Kind of run the context is built for. `"default"`, `"heartbeat"` and `"cron"` are OpenClaw's
 * `BootstrapContextRunKind`; `"subagent"` is a ctxc addition (OpenClaw passes `"default"` for sub-agents and
 * recognises them by session key).
 * - `"cron"` / `"subagent"`: only AGENTS/TOOLS/SOUL/IDENTITY/USER ({@link MINIMAL_BOOTSTRAP_FILE_NAMES}). OpenClaw
 *   applies this filter because such runs carry a cron / sub-agent session key; ctxc also applies it for the
 *   run kind alone (OpenClaw's `runKind: "cron"` with a non-cron session key would keep every file).
 * - `"heartbeat"`: no filter by itself — a heartbeat run gets every file unless `contextMode: "lightweight"`
 *   (OpenClaw's `heartbeat.lightContext: true`), in which case only HEARTBEAT.md is kept.
 * - With `contextMode: "lightweight"` every run kind other than `"heartbeat"` gets no files at all.
 */
export type { RunKind };

/** OpenClaw's bootstrap context mode (`BootstrapContextMode`). `"full"` (default) injects every file. */
export type ContextMode = "full" | "lightweight";

/**
 * One workspace bootstrap file as found on disk — same shape as OpenClaw's `WorkspaceBootstrapFile`
 * (`resolveBootstrapFilesForRun` output). `content` is absent exactly when `missing` is true.
 */
export interface BootstrapFile {
  /** Bootstrap file name, e.g. `"AGENTS.md"`. Used in truncation markers. */
  name: string;
  /** Absolute path `<workspaceDir>/<name>` (lexical, symlinks not resolved). */
  path: string;
  /** File text decoded as UTF-8 exactly as stored: BOM and CRLF kept, invalid bytes become U+FFFD. */
  content?: string;
  /**
   * True when the file could not be used: absent, not a regular file (directory, FIFO…), a symlink leaving the
   * workspace, a hard link (link count > 1), larger than {@link MAX_BOOTSTRAP_FILE_BYTES}, or unreadable.
   */
  missing: boolean;
}

/** One injected context file — same shape as OpenClaw's `EmbeddedContextFile` (`buildBootstrapContextForFiles` output). */
export interface ContextFile {
  /** Path shown in the `## <path>` heading. */
  path: string;
  /** Capped content, or `[MISSING] Expected at: <path>`. */
  content: string;
}

/** Identity of a file as read; two equal identities mean the bytes need not be read again. */
export interface FileIdentity {
  /** Canonical (symlink-resolved) path that was opened. */
  realPath: string;
  /** `stat.dev` of the opened file. */
  dev: number;
  /** `stat.ino` of the opened file. */
  ino: number;
  /** Size in bytes. */
  size: number;
  /** Modification time (ms, fractional). */
  mtimeMs: number;
  /**
   * Status-change time (ms, fractional). Why beside the mtime: a file rewritten to the same size whose mtime
   * is then put back (`rsync -t --inplace`, `cp -p`, `touch -r`) keeps size and mtime, and the cache served
   * the old body where OpenClaw reads the new (test/matrix/hostile.test.ts); no one can set the ctime back.
   */
  ctimeMs: number;
}

/** A cached file body with the identity it was read under. */
export interface CachedBootstrapFile {
  /** Identity at the time `content` was read. */
  identity: FileIdentity;
  /** Decoded file text. */
  content: string;
}

/**
 * Content cache keyed by {@link BootstrapFile.path}; a plain `Map` fits. When the opened file's identity equals
 * the cached one the bytes are not read again (OpenClaw keeps the same kind of cache, module-global). Entries
 * are removed when a file becomes unusable. Keep one per worker; it is not shared across threads.
 */
export interface BootstrapFileCache {
  get(path: string): CachedBootstrapFile | undefined;
  set(path: string, entry: CachedBootstrapFile): unknown;
  delete(path: string): unknown;
}

/** Why a file that exists (or might) ended up `missing: true`. Plain absence (ENOENT/ENOTDIR) is not reported. */
export type BootstrapDiagnosticReason =
  /** Exists but is not a regular file (directory, FIFO, socket…). */
  | "not-a-file"
  /** Symlink whose target resolves outside the workspace. */
  | "outside-workspace"
  /** Regular file with more than one hard link (rejected by OpenClaw's guard). */
  | "hardlink"
  /** Larger than {@link MAX_BOOTSTRAP_FILE_BYTES}. */
  | "too-large"
  /** Swapped between the pre-open check and the open. */
  | "changed"
  /** Any other fs error (EACCES, ELOOP, EIO…). */
  | "io";

/** A read problem that OpenClaw silently turns into `missing: true`; ctxc also reports it. */
export interface BootstrapDiagnostic {
  /** Bootstrap file name. */
  name: string;
  /** Lexical path that was looked up. */
  path: string;
  /** Classification. */
  reason: BootstrapDiagnosticReason;
  /** Node error code when the problem came from an fs call (e.g. `"EACCES"`). */
  code?: string;
  /** Human-readable detail. */
  detail: string;
}

/** Options of {@link resolveBootstrapFiles} (mirrors `resolveBootstrapFilesForRun` params). */
export interface ResolveBootstrapFilesOptions {
  /** Workspace directory. Trimmed, a leading `~` expands to `$OPENCLAW_HOME`/`$HOME`, then `path.resolve`d. */
  workspaceDir: string;
  /** See {@link RunKind}. Default `"default"`. */
  runKind?: RunKind;
  /** See {@link ContextMode}. Default `"full"`. */
  contextMode?: ContextMode;
  /**
   * Session key. Sub-agent keys (`subagent:…` or `agent:<id>:subagent:…`) and cron keys (`agent:<id>:cron:…`),
   * case-insensitive, keep only AGENTS/TOOLS/SOUL/IDENTITY/USER ({@link MINIMAL_BOOTSTRAP_FILE_NAMES}).
   */
  sessionKey?: string;
  /** Used in place of `sessionKey` for the sub-agent/cron check when `sessionKey` is absent (as OpenClaw does). */
  sessionId?: string;
  /**
   * Drop HEARTBEAT.md. OpenClaw does this (for non-heartbeat runs of the default agent) when a config is passed and
   * heartbeat guidance is off for that agent (`heartbeat.includeSystemPromptSection: false`, or a zero/empty
   * `heartbeat.every`, or another agent owns heartbeats). ctxc leaves that config evaluation to the caller. Default false.
   */
  excludeHeartbeat?: boolean;
  /** Content cache, see {@link BootstrapFileCache}. */
  cache?: BootstrapFileCache;
  /** Receives read problems that turned a file into `missing: true` (never throws). */
  onDiagnostic?: (diagnostic: BootstrapDiagnostic) => void;
}

/** Result of {@link resolveBootstrapFilesDetailed}. */
export interface ResolvedBootstrapFiles {
  /** Same as {@link resolveBootstrapFiles}. */
  files: BootstrapFile[];
  /** Identity of each present file, keyed by {@link BootstrapFile.path}; `null` for missing ones. */
  identities: Record<string, FileIdentity | null>;
  /** Everything that was also passed to `onDiagnostic`. */
  diagnostics: BootstrapDiagnostic[];
}

/** The two project-context blocks as they appear in OpenClaw's system prompt. */
export interface ProjectContextSections {
  /**
   * Stable block (every file except HEARTBEAT.md): `# Project Context` … placed before `## Silent Replies`, above
   * the prompt-cache boundary. `""` when there are no stable files.
   */
  stable: string;
  /**
   * HEARTBEAT.md block, placed right after the cache boundary. Heading `# Dynamic Project Context` when a stable
   * block exists, otherwise `# Project Context`. `""` when there is no HEARTBEAT.md.
   */
  dynamic: string;
}

/** Subset of an OpenClaw config that affects bootstrap caps. */
export interface BootstrapCapsConfig {
  agents?: { defaults?: { bootstrapMaxChars?: unknown; bootstrapTotalMaxChars?: unknown } };
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

function positiveIntOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

/** Caps from an OpenClaw config (`agents.defaults.bootstrapMaxChars` / `bootstrapTotalMaxChars`; positive finite numbers, floored). */
export function resolveBootstrapCaps(config?: BootstrapCapsConfig): BootstrapCaps {
  const d = config?.agents?.defaults;
  return {
    maxCharsPerFile: positiveIntOr(d?.bootstrapMaxChars, DEFAULT_BOOTSTRAP_CAPS.maxCharsPerFile),
    maxCharsTotal: positiveIntOr(d?.bootstrapTotalMaxChars, DEFAULT_BOOTSTRAP_CAPS.maxCharsTotal),
    minCharsLeft: DEFAULT_BOOTSTRAP_CAPS.minCharsLeft,
  };
}

function nonEmptyTrimmed(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const t = value.trim();
  return t ? t : undefined;
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** First `max` UTF-16 units of `s`, one less if that would split a surrogate pair. */
export function truncateUtf16Safe(s: string, max: number): string {
  const limit = Math.max(0, Math.floor(max));
  if (s.length <= limit) return s;
  let end = limit;
  if (end > 0 && isHigh(s.charCodeAt(end - 1)) && isLow(s.charCodeAt(end))) end -= 1;
  return s.slice(0, end);
}

function errCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : undefined;
}

function errMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function resolveHomeDir(): string | undefined {
  const norm = (v: string | undefined) => {
    const t = v?.trim();
    return !t || t === "undefined" || t === "null" ? undefined : t;
  };
  const osHome = () => {
    try {
      return norm(process.env.HOME) ?? norm(process.env.USERPROFILE) ?? norm(os.homedir());
    } catch {
      return norm(process.env.HOME) ?? norm(process.env.USERPROFILE);
    }
  };
  const explicit = norm(process.env.OPENCLAW_HOME);
  let raw: string | undefined;
  if (!explicit) raw = osHome();
  else if (explicit === "~" || explicit.startsWith("~/") || explicit.startsWith("~\\")) {
    const fallback = osHome();
    raw = fallback ? explicit.replace(/^~(?=$|[\\/])/, fallback) : undefined;
  } else raw = explicit;
  return raw ? path.resolve(raw) : undefined;
}

/** OpenClaw's `resolveUserPath`: trim, expand a leading `~` (followed by end or a separator), `path.resolve`. */
function resolveWorkspaceDir(input: string): string {
  const trimmed = (input ?? "").trim();
  if (!trimmed) return "";
  if (trimmed.startsWith("~")) {
    const home = resolveHomeDir() ?? path.resolve(process.cwd());
    return path.resolve(trimmed.replace(/^~(?=$|[\\/])/, home));
  }
  return path.resolve(trimmed);
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === "" || (rel.split(path.sep)[0] !== ".." && !path.isAbsolute(rel));
}

function parseAgentSessionRest(key: string): string | undefined {
  const raw = key.trim().toLowerCase();
  if (!raw) return undefined;
  const parts = raw.split(":").filter(Boolean);
  if (parts.length < 3 || parts[0] !== "agent") return undefined;
  const agentId = parts[1]?.trim();
  const rest = parts.slice(2).join(":");
  return agentId && rest ? rest : undefined;
}

/** True for OpenClaw sub-agent session keys (`subagent:…`, `agent:<id>:subagent:…`; case-insensitive). */
export function isSubagentSessionKey(key: string | undefined): boolean {
  const raw = nonEmptyTrimmed(key);
  if (!raw) return false;
  if (raw.toLowerCase().startsWith("subagent:")) return true;
  return parseAgentSessionRest(raw)?.trim().startsWith("subagent:") === true;
}

/** True for OpenClaw cron session keys (`agent:<id>:cron:…`; case-insensitive). */
export function isCronSessionKey(key: string | undefined): boolean {
  const raw = nonEmptyTrimmed(key);
  if (!raw) return false;
  return parseAgentSessionRest(raw)?.trim().startsWith("cron:") === true;
}

/** True when both identities describe the same unchanged file. */
export function sameFileIdentity(a: FileIdentity | null | undefined, b: FileIdentity | null | undefined): boolean {
  if (!a || !b) return a === b;
  return a.realPath === b.realPath && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** True when two {@link ResolvedBootstrapFiles.identities} snapshots describe the same files (context can be reused). */
export function sameIdentities(
  a: Record<string, FileIdentity | null>,
  b: Record<string, FileIdentity | null>,
): boolean {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  return ak.every((k, i) => k === bk[i] && sameFileIdentity(a[k], b[k]));
}

// ---------------------------------------------------------------------------
// Reading (OpenClaw's guarded workspace read)
// ---------------------------------------------------------------------------

type ReadOutcome =
  | { ok: true; content: string; identity: FileIdentity }
  | { ok: false; reason?: BootstrapDiagnosticReason; code?: string; detail?: string };

const OPEN_FLAGS = fsConstants.O_RDONLY | (typeof fsConstants.O_NOFOLLOW === "number" ? fsConstants.O_NOFOLLOW : 0);

async function readGuarded(
  filePath: string,
  rootReal: string,
  maxBytes: number,
  cache: BootstrapFileCache | undefined,
): Promise<ReadOutcome> {
  const fail = (reason: BootstrapDiagnosticReason, detail: string, code?: string): ReadOutcome => ({
    ok: false,
    reason,
    detail,
    code,
  });
  const fromError = (error: unknown): ReadOutcome => {
    const code = errCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false };
    return fail("io", errMessage(error), code);
  };
  // 1. Canonical path: symlinks are followed but must stay inside the (canonical) workspace root.
  let canonical: string;
  try {
    const st = await lstat(filePath);
    if (st.isSymbolicLink()) {
      canonical = path.resolve(await realpath(filePath));
      if (!isInside(rootReal, canonical)) {
        return fail("outside-workspace", `symlink resolves outside workspace root: ${canonical}`);
      }
    } else {
      canonical = path.join(rootReal, path.basename(filePath));
    }
  } catch (error) {
    return fromError(error);
  }
  // 2. Pre-open checks on the canonical path, open without following links, re-check the opened fd.
  const check = (st: { isFile(): boolean; nlink: number; size: number }): ReadOutcome | undefined => {
    if (!st.isFile()) return fail("not-a-file", `not a regular file: ${canonical}`);
    if (st.nlink > 1) return fail("hardlink", `hard-linked file rejected (nlink=${st.nlink}): ${canonical}`);
    if (st.size > maxBytes) return fail("too-large", `file is ${st.size} bytes (limit ${maxBytes}): ${canonical}`);
    return undefined;
  };
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    const pre = await lstat(canonical);
    const preFail = check(pre);
    if (preFail) return preFail;
    fh = await open(canonical, OPEN_FLAGS);
    const st = await fh.stat();
    const postFail = check(st);
    if (postFail) return postFail;
    if (st.ino !== pre.ino || (st.dev !== pre.dev && !(process.platform === "win32" && (st.dev === 0 || pre.dev === 0)))) {
      return fail("changed", `file changed while opening: ${canonical}`);
    }
    const identity: FileIdentity = { realPath: canonical, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    const cached = cache?.get(filePath);
    if (cached && sameFileIdentity(cached.identity, identity)) return { ok: true, content: cached.content, identity };
    const content = await fh.readFile({ encoding: "utf8" });
    cache?.set(filePath, { identity, content });
    return { ok: true, content, identity };
  } catch (error) {
    return fromError(error);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------
// resolveBootstrapFiles
// ---------------------------------------------------------------------------

/**
 * Reads the workspace bootstrap files for a run, like OpenClaw's `resolveBootstrapFilesForRun` (without plugin
 * hooks). Lookup order {@link BOOTSTRAP_FILE_NAMES}; every name yields an entry (`missing: true` when unusable)
 * except MEMORY.md, which is only listed when a directory entry named exactly `MEMORY.md` exists (case-sensitive,
 * even on case-insensitive file systems; `memory.md` is ignored). Never throws for fs errors.
 */
export async function resolveBootstrapFilesDetailed(opts: ResolveBootstrapFilesOptions): Promise<ResolvedBootstrapFiles> {
  const dir = resolveWorkspaceDir(opts.workspaceDir);
  const contextMode = opts.contextMode ?? "full";
  const runKind = opts.runKind ?? "default";
  const sessionKey = opts.sessionKey ?? opts.sessionId;
  const minimal =
    runKind === "subagent" || runKind === "cron" || isSubagentSessionKey(sessionKey) || isCronSessionKey(sessionKey);

  let names: BootstrapFileName[] = [...BOOTSTRAP_FILE_NAMES];
  if (minimal) names = names.filter((n) => MINIMAL_BOOTSTRAP_FILE_NAMES.has(n));
  if (contextMode === "lightweight") names = runKind === "heartbeat" ? names.filter((n) => n === "HEARTBEAT.md") : [];
  if (opts.excludeHeartbeat) names = names.filter((n) => n !== "HEARTBEAT.md");

  if (names.includes("MEMORY.md")) {
    let entries: string[] = [];
    try {
      entries = await readdir(dir);
    } catch {
      entries = [];
    }
    if (!entries.includes("MEMORY.md")) names = names.filter((n) => n !== "MEMORY.md");
  }

  let rootReal = dir;
  try {
    rootReal = path.resolve(await realpath(dir));
  } catch {
    // Workspace missing: every file will be reported missing.
  }

  const diagnostics: BootstrapDiagnostic[] = [];
  const identities: Record<string, FileIdentity | null> = {};
  const outcomes = await Promise.all(
    names.map((name) => readGuarded(path.join(dir, name), rootReal, MAX_BOOTSTRAP_FILE_BYTES, opts.cache)),
  );
  const files: BootstrapFile[] = names.map((name, i) => {
    const filePath = path.resolve(path.join(dir, name));
    const outcome = outcomes[i]!;
    if (outcome.ok) {
      identities[filePath] = outcome.identity;
      return { name, path: filePath, content: outcome.content, missing: false };
    }
    opts.cache?.delete(filePath);
    identities[filePath] = null;
    if (outcome.reason) {
      const diagnostic: BootstrapDiagnostic = { name, path: filePath, reason: outcome.reason, detail: outcome.detail ?? outcome.reason };
      if (outcome.code) diagnostic.code = outcome.code;
      diagnostics.push(diagnostic);
      try {
        opts.onDiagnostic?.(diagnostic);
      } catch {
        // A throwing callback must not break context building.
      }
    }
    return { name, path: filePath, missing: true };
  });
  return { files, identities, diagnostics };
}

/** {@link resolveBootstrapFilesDetailed} returning only the files (the `resolveBootstrapFilesForRun` shape). */
export async function resolveBootstrapFiles(opts: ResolveBootstrapFilesOptions): Promise<BootstrapFile[]> {
  return (await resolveBootstrapFilesDetailed(opts)).files;
}

// ---------------------------------------------------------------------------
// buildBootstrapContext
// ---------------------------------------------------------------------------

interface Trimmed {
  content: string;
  truncated: boolean;
  originalLength: number;
}

/** Head/tail truncation of one file to `maxChars` (OpenClaw `trimBootstrapContent` semantics). */
function trimContent(raw: string, fileName: string, maxChars: number): Trimmed {
  const text = raw.trimEnd();
  const total = text.length;
  if (total <= maxChars) return { content: text, truncated: false, originalLength: total };

  const fullMarker = (head: number, tail: number) =>
    `\n[...truncated, read ${fileName} for full content...]\n…(truncated ${fileName}: kept ${head}+${tail} chars of ${total})…\n`;
  const compactMarker = (head: number, tail: number) => `[…truncated ${head}+${tail}/${total}]`;
  // The full marker is multi-line and is joined to head/tail with one "\n" each; the compact one is glued on.
  const seps = (head: number, tail: number, marker: string) =>
    marker.includes("\n") ? (head > 0 ? 1 : 0) + (tail > 0 ? 1 : 0) : 0;

  const probe = fullMarker(0, 0);
  const markerFor = maxChars - probe.length - seps(1, 1, probe) >= MIN_TRIMMED_CONTENT_CHARS ? fullMarker : compactMarker;

  // Fixed-point on the marker length (its digits depend on head/tail), at most 3 rounds.
  let head = 0;
  let tail = 0;
  let marker = markerFor(0, 0);
  for (let round = 0; round < 3; round++) {
    const budget = Math.max(0, maxChars - marker.length - seps(head, tail, marker));
    const nextHead = Math.floor(budget * HEAD_RATIO);
    const nextTail = Math.floor(budget * TAIL_RATIO);
    const nextMarker = markerFor(nextHead, nextTail);
    if (nextHead === head && nextTail === tail && nextMarker.length === marker.length) break;
    head = nextHead;
    tail = nextTail;
    marker = nextMarker;
  }
  // Shave overflow from the tail first, then the head.
  let length = head + tail + marker.length + seps(head, tail, marker);
  while (length > maxChars && (head > 0 || tail > 0)) {
    const over = length - maxChars;
    if (tail > 0) tail = Math.max(0, tail - over);
    else head = Math.max(0, head - over);
    marker = markerFor(head, tail);
    length = head + tail + marker.length + seps(head, tail, marker);
  }
  if (head === 0 && tail === 0 && total > 0) {
    const one = markerFor(1, 0);
    if (1 + one.length + seps(1, 0, one) <= maxChars) {
      head = 1;
      marker = one;
    }
  }
  // NB: plain code-unit slices — a surrogate pair can be split here, exactly like OpenClaw.
  const headText = text.slice(0, head);
  const tailText = tail > 0 ? text.slice(-tail) : "";
  const joiner = marker.includes("\n") ? "\n" : "";
  const out = [headText, marker, tailText].filter((p) => p.length > 0).join(joiner);
  return { content: out.length > maxChars ? truncateUtf16Safe(out, maxChars) : out, truncated: true, originalLength: total };
}

function clampToBudget(text: string, budget: number): string {
  if (budget <= 0) return "";
  if (text.length <= budget) return text;
  if (budget <= 3) return truncateUtf16Safe(text, budget);
  return `${truncateUtf16Safe(text, budget - 1)}…`;
}

/**
 * Applies the caps, like OpenClaw's `buildBootstrapContextForFiles` (given a config, use
 * `resolveBootstrapCaps(config)`). In input order: entries without a usable `path` are skipped with a warning;
 * missing files become `[MISSING] Expected at: <path>` (cut to the remaining budget); present files are
 * `trimEnd()`ed, truncated to `min(maxCharsPerFile, remaining)` and then clamped to the remaining budget;
 * files that end up empty (empty or whitespace-only) are omitted. Stops once the budget is spent or, before a
 * present file, fewer than `minCharsLeft` chars remain. Invalid cap values fall back to the defaults.
 */
export function buildBootstrapContext(
  files: readonly BootstrapFile[],
  caps?: Partial<BootstrapCaps>,
  warn?: (msg: string) => void,
): ContextFile[] {
  const maxChars = positiveIntOr(caps?.maxCharsPerFile, DEFAULT_BOOTSTRAP_CAPS.maxCharsPerFile);
  const totalChars = positiveIntOr(caps?.maxCharsTotal, DEFAULT_BOOTSTRAP_CAPS.maxCharsTotal);
  const minLeft =
    typeof caps?.minCharsLeft === "number" && Number.isFinite(caps.minCharsLeft) && caps.minCharsLeft >= 0
      ? caps.minCharsLeft
      : DEFAULT_BOOTSTRAP_CAPS.minCharsLeft;
  let remaining = Math.max(1, totalChars);
  const out: ContextFile[] = [];
  for (const file of files) {
    if (remaining <= 0) break;
    const filePath = nonEmptyTrimmed(file.path);
    if (!filePath) {
      warn?.(`skipping bootstrap file "${file.name}" — missing or invalid "path" field (hook may have used "filePath" instead)`);
      continue;
    }
    if (file.missing) {
      const stub = clampToBudget(`[MISSING] Expected at: ${filePath}`, remaining);
      if (!stub) break;
      remaining = Math.max(0, remaining - stub.length);
      out.push({ path: filePath, content: stub });
      continue;
    }
    if (remaining < minLeft) {
      warn?.(`remaining bootstrap budget is ${remaining} chars (<${minLeft}); skipping additional bootstrap files`);
      break;
    }
    const fileMax = Math.max(1, Math.min(maxChars, remaining));
    const trimmed = trimContent(file.content ?? "", file.name, fileMax);
    const fitted = clampToBudget(trimmed.content, remaining);
    if (!fitted) continue;
    if (trimmed.truncated || fitted.length < trimmed.content.length) {
      warn?.(
        `workspace bootstrap file ${file.name} is ${trimmed.originalLength} chars (limit ${fileMax}); truncating in injected context`,
      );
    }
    remaining = Math.max(0, remaining - fitted.length);
    out.push({ path: filePath, content: fitted });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

const CONTEXT_FILE_ORDER: ReadonlyMap<string, number> = new Map([
  ["agents.md", 10],
  ["soul.md", 20],
  ["identity.md", 30],
  ["user.md", 40],
  ["tools.md", 50],
  ["bootstrap.md", 60],
  ["memory.md", 70],
]);

function normalizedContextPath(p: string): string {
  return p.trim().replace(/\\/g, "/");
}

function contextBasename(p: string): string {
  const n = normalizedContextPath(p);
  return (n.split("/").pop() ?? n).trim().toLowerCase();
}

function isDynamicContextFile(p: string): boolean {
  return contextBasename(p) === "heartbeat.md";
}

/**
 * Prompt order: agents → soul → identity → user → tools → bootstrap → memory (basename, case-insensitive),
 * then anything else; ties by basename then full path (`localeCompare`). Files with a blank path are dropped.
 */
export function sortContextFiles(files: readonly ContextFile[]): ContextFile[] {
  return files
    .filter((f) => typeof f.path === "string" && f.path.trim().length > 0)
    .toSorted((a, b) => {
      const ab = contextBasename(a.path);
      const bb = contextBasename(b.path);
      const ao = CONTEXT_FILE_ORDER.get(ab) ?? Number.MAX_SAFE_INTEGER;
      const bo = CONTEXT_FILE_ORDER.get(bb) ?? Number.MAX_SAFE_INTEGER;
      if (ao !== bo) return ao - bo;
      if (ab !== bb) return ab.localeCompare(bb);
      return normalizedContextPath(a.path).localeCompare(normalizedContextPath(b.path));
    });
}

/** Content as injected: the default heartbeat prompt block is removed and runs of 3+ `\n` become `\n\n`. */
export function sanitizeContextContent(content: string): string {
  return content.replaceAll(DEFAULT_HEARTBEAT_PROMPT_CONTEXT_BLOCK, "").replace(/\n{3,}/g, "\n\n");
}

/**
 * Raw lines of one project-context block before OpenClaw's final `filter(Boolean).join("\n")`
 * (blank separator lines included). Sorted input expected.
 */
export function projectContextLines(files: readonly ContextFile[], heading: string, dynamic: boolean): string[] {
  if (files.length === 0) return [];
  const lines = [heading, ""];
  if (dynamic) {
    lines.push("The following frequently-changing project context files are kept below the cache boundary when possible:", "");
  } else {
    lines.push("The following project context files have been loaded:");
    if (files.some((f) => contextBasename(f.path) === "soul.md")) {
      lines.push("SOUL.md: persona/tone. Follow it unless higher-priority instructions override.");
    }
    lines.push("");
  }
  for (const f of files) lines.push(`## ${f.path}`, "", sanitizeContextContent(f.content), "");
  return lines;
}

/**
 * The stable and dynamic blocks exactly as they appear in OpenClaw's system prompt. OpenClaw drops every empty
 * line when it assembles the prompt, so there are no blank lines between heading, intro, `## <path>` and content
 * (blank lines inside a file's content survive, capped at one).
 */
export function renderProjectContextSections(files: readonly ContextFile[]): ProjectContextSections {
  const ordered = sortContextFiles(files);
  const stableFiles = ordered.filter((f) => !isDynamicContextFile(f.path));
  const dynamicFiles = ordered.filter((f) => isDynamicContextFile(f.path));
  const join = (lines: string[]) => lines.filter(Boolean).join("\n");
  return {
    stable: join(projectContextLines(stableFiles, "# Project Context", false)),
    dynamic: join(
      projectContextLines(dynamicFiles, stableFiles.length > 0 ? "# Dynamic Project Context" : "# Project Context", true),
    ),
  };
}

/**
 * Project-context text as OpenClaw renders it: the stable block, then (newline-separated) the dynamic
 * HEARTBEAT.md block. In OpenClaw's full prompt the two are separated by `## Silent Replies` and the cache
 * boundary; use {@link renderProjectContextSections} to splice them separately. `""` for no files.
 */
export function renderProjectContext(files: readonly ContextFile[]): string {
  const { stable, dynamic } = renderProjectContextSections(files);
  return [stable, dynamic].filter(Boolean).join("\n");
}
