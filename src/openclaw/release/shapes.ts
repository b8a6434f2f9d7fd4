/**
 * The OpenClaw functions the preload intercepts, and the shapes (bodies) of them it has checked.
 *
 * Why shapes and not versions or file names: the bundler keeps function names but renames chunk files
 * and export aliases with every build, and a function's body only changes when OpenClaw changes what it
 * does. A shape is the sha-256 of the function's source text with the bundler's `$N` de-duplication
 * suffixes removed (`fs$1` → `fs`), so the same code in another build has the same shape. A body ctxc
 * has not been checked against (test/matrix/) is an unknown shape: that interception stays stock and
 * the log says so.
 */
import { createHash } from "node:crypto";

/** What ctxc does in place of one OpenClaw function (the handler of that name in preload-runtime.ts). */
export type InterceptionName =
  | "prewarmSessionFile"
  | "repairSessionFileIfNeeded"
  | "readTranscriptLeafInfo"
  | "loadEntriesFromFile"
  | "loadEntriesFromFileWithSnapshot"
  | "resolveBootstrapFilesForRun"
  | "buildBootstrapContextForFiles"
  | "loadWorkspaceBootstrapFiles"
  | "findTranscriptMessageByIdempotencyKey"
  | "readRecentUserAssistantTextFromSessionTranscript"
  | "SessionManager.rewriteFile"
  | "rememberAppendedSessionEntry"
  | "rememberWrittenSessionEntries"
  | "SessionManager.writeFullFile"
  | "SessionManager.getSerializedFileLinesForRewrite"
  | "readSessionFileDigest"
  | "SessionManager.setLoadedSessionFile"
  | "acquireEmbeddedAttemptSessionFileOwner"
  | "readSessionFileFingerprint"
  | "resolveNormalizedSessionFile"
  | "resolveNormalizedTargetPath"
  | "readLockSnapshot";

/** One checked body of an intercepted function. */
export interface KnownShape {
  /** Releases in which this body was first checked (for the log and docs). */
  seenIn: string;
  /**
   * Names of bindings of the same chunk the generated delegate hands to ctxc's handler (helpers the
   * handler calls so the result is built by OpenClaw's own code: its entry normaliser, its snapshot
   * cache, its hook functions). Each must be a top-level binding of the chunk.
   */
  helpers?: readonly string[];
  /** The handler in preload-runtime.ts `handlers` when not the function's name (a release variant of the rules). */
  handler?: string;
}

/**
 * Functions of the same chunk whose bodies are part of a function's shape: the rules it applies. A
 * repair pass with the same top-level body but a new rule in `repairUserEntryWithBlankTextContent`
 * is a different pass.
 */
export const SHAPE_DEPS: Readonly<Record<string, readonly string[]>> = {
  // Answered by its synchronous twin, whose body must be the same stat (src/openclaw/file-fingerprint.ts).
  readSessionFileFingerprint: ["readSessionFileFingerprintSync"],
  repairSessionFileIfNeeded: [
    "isStructurallyInvalidMessageEntry",
    "isAssistantEntryWithEmptyContent",
    "rewriteAssistantEntryWithEmptyContent",
    "repairUserEntryWithBlankTextContent",
    "insertMissingCodeModeToolResults",
    // 2026.6.1+ moved the code-mode call check to the chatgpt pair; 2026.6.5+ add images; 2026.6.9+ the
    // cache; 2026.6.11+ the delivery-mirror results (src/openclaw/repair-pass.ts).
    "isCodeModeToolCallRepairCandidate",
    "collectPersistedToolResultIds",
    "isSessionHeader",
    "repairSessionLines",
    "hasEntryRepairs",
    "repairEntryWithCorruptedImageBlocks",
    "isCorruptedImageContentBlock",
    "isImageMimeType",
    "containsNonAscii",
    "tryIncrementalSessionRepair",
    "readSessionRepairSnapshot",
    "isSameSessionRepairSnapshot",
    "rememberSessionRepair",
    // Its byte rule, which the handler applies from the worker's sum (repair-pass.ts `rememberAsStock`).
    "countToolResultIdBytes",
    "insertMissingMessageToolDeliveryMirrorResults",
    "isResponsesMessageToolRepairCandidate",
    "isTranscriptOnlyDeliveryMirrorEntry",
    "isOpenAIResponsesReplayApi",
    "normalizeTrimmedString",
    "isMessageToolCallName",
    "findNextSessionMessageEntry",
  ],
  readTranscriptLeafInfo: ["lineHasNonSessionEntry", "lineParentLinkedEntryId"],
  // The guarded per-file read (2026.7.1 added a retry of transient errors) and its cache identity.
  loadWorkspaceBootstrapFiles: ["readWorkspaceFileWithGuards", "workspaceFileIdentity", "isTransientWorkspaceReadError"],
  parseJsonlEntries: ["normalizeLoadedFileEntry"],
  // What the snapshot handler leaves to OpenClaw's cache code, and (files over its cache bound) does as it does.
  loadEntriesFromFileWithSnapshot: ["rememberSessionEntries", "copyFileEntries", "hasCacheableSessionHeader", "hasReadableSessionHeader", "trimSessionEntriesCache"],
  findTranscriptMessageByIdempotencyKey: ["streamSessionTranscriptLinesReverse", "readMessageIdempotencyKey", "decodeTrimmedLine"],
  readRecentUserAssistantTextFromSessionTranscript: [
    "parseRecentConversationText",
    "normalizeRecentTranscriptLimit",
    "normalizeTranscriptTimestamp",
    "isBeforeTranscriptTimestamp",
    "isAtOrAfterTranscriptTimestamp",
  ],
  writeJsonlEntriesSync: ["serializeJsonlEntries", "serializeJsonlLines", "serializeJsonlLine"],
  // The append handler does what these do (writeFullFile's content, rememberWrittenSessionEntries' cache
  // and snapshot, parseJsonlEntries' re-parse) without the whole-file write, read and parse.
  // …and what release/remember-frozen.ts answers for OpenClaw's rememberSessionEntries (its body and helpers).
  "SessionManager.rewriteFile": [
    "SessionManager.writeFullFile",
    "rememberWrittenSessionEntries",
    "parseJsonlEntries",
    "normalizeLoadedFileEntry",
    "rememberSessionEntries",
    "copyFileEntries",
    "hasCacheableSessionHeader",
    "hasReadableSessionHeader",
    "trimSessionEntriesCache",
  ],
  // What the follower relies on: persistRecord appended exactly `serializedAppend` after `beforeAppendSnapshot`.
  rememberAppendedSessionEntry: ["SessionManager.persistRecord"],
  // The index the handler continues is buildIndex's fold over the partition (release/loaded-index.ts); the
  // constructor's fields decide which of the manager's properties the body creates. The fold of an opaque
  // record calls the release's own parsers and resolvers, on a view holding only the index's maps: what they
  // read of the manager is pinned here.
  "SessionManager.setLoadedSessionFile": [
    "SessionManager.constructor",
    "SessionManager.buildIndex",
    "partitionSessionFileEntries",
    "isIndexedSessionEntry",
    "isSessionEntryType",
    "isJsonRecord",
    "migrateToCurrentVersion",
    "parseOpaqueLeafEntry",
    "parseParentLinkedOpaqueEntry",
    "SessionManager.resolveOpaqueLeafControl",
    "SessionManager.resolveOpaqueAppendParentId",
    "SessionManager.resolveOpaqueLeafTargetId",
    "SessionManager.resolveCanonicalParentId",
  ],
};

/**
 * The 2026.6.9+ repair pass's image judge and incremental cache, used to leave that cache as stock does,
 * and the bounds its `rememberSessionRepair` drops a state over (the worker then sends no ids).
 */
const REPAIR_CACHE_HELPERS = [
  "isCorruptedImageContentBlock",
  "sessionRepairCache",
  "readSessionRepairSnapshot",
  "isSameSessionRepairSnapshot",
  "rememberSessionRepair",
  "MAX_CACHED_REPAIR_TOOL_RESULT_IDS",
  "MAX_CACHED_REPAIR_TOOL_RESULT_ID_BYTES",
] as const;

/** The session-manager chunk's bindings the rewrite handler calls (release/append-rewrite.ts `RewriteHelpers`). */
const REWRITE_HELPERS = [
  "writeJsonlEntriesSync",
  "serializeJsonlLine",
  "rememberWrittenSessionEntries",
  "rememberSessionEntries",
  "publishRememberedSessionFileSnapshot",
  "invalidateSessionFileRepairCache",
  "readSessionFileSnapshot",
  "sessionEntriesCache",
  "trimSessionEntriesCache",
  "copyFileEntries",
  "MAX_CACHED_SESSION_BYTES",
] as const;

/**
 * The workspace chunk's constants `loadWorkspaceBootstrapFiles` reads by (its file names in lookup order,
 * then its size bound): handed to the handler, which compares them with the worker's (workspace-files.ts) —
 * a constant is not part of a function's shape.
 */
export const WORKSPACE_FILE_CONSTANTS = [
  "DEFAULT_AGENTS_FILENAME",
  "DEFAULT_SOUL_FILENAME",
  "DEFAULT_TOOLS_FILENAME",
  "DEFAULT_IDENTITY_FILENAME",
  "DEFAULT_USER_FILENAME",
  "DEFAULT_HEARTBEAT_FILENAME",
  "DEFAULT_BOOTSTRAP_FILENAME",
  "DEFAULT_MEMORY_FILENAME",
  "MAX_WORKSPACE_BOOTSTRAP_FILE_BYTES",
] as const;

/**
 * Checked shapes per function. How each was checked: test/matrix/*.test.ts runs the release's own
 * function and ctxc's handler on the same generated transcripts (see docs/openclaw.md, "Releases").
 */
export const KNOWN_SHAPES: Readonly<Record<InterceptionName, Readonly<Record<string, KnownShape>>>> = {
  prewarmSessionFile: {
    // `await sessionManagerCache.prewarmSessionFile(sessionFile)` — every JSONL-era release.
    "fcd5c28eb5ec": { seenIn: "2026.5.12–2026.7.35" },
  },
  repairSessionFileIfNeeded: {
    // Whole-file read + parse, `{repaired: false, droppedLines: 0}` when nothing changes; the rules per
    // release are in src/openclaw/repair-pass.ts (the handler named here).
    "03d2a5e2829d": { seenIn: "2026.5.12" },
    "366b162197f6": { seenIn: "2026.5.18–2026.5.28" },
    "43b44e347081": { seenIn: "2026.6.1", handler: "repairPass601" },
    "9632120b9259": { seenIn: "2026.6.5–2026.6.8", handler: "repairPass605", helpers: ["isCorruptedImageContentBlock"] },
    "382dd7b50c13": { seenIn: "2026.6.9–2026.6.10", handler: "repairPass609", helpers: [...REPAIR_CACHE_HELPERS] },
    "e927c264afec": { seenIn: "2026.6.11–2026.7.35", handler: "repairPass611", helpers: [...REPAIR_CACHE_HELPERS] },
  },
  readTranscriptLeafInfo: {
    // The forward scan of 2026.5.12–2026.6.8. 2026.6.9+ scans backwards with leaf-control entries and
    // returns `appendMode`, which ctxc's worker does not compute: stock there.
    "f1716190f140": { seenIn: "2026.5.12–2026.6.8" },
  },
  loadEntriesFromFile: {
    "b1d5b6fc0220": { seenIn: "2026.5.28" },
    "73b35d972bea": { seenIn: "2026.6.1–2026.6.8" },
    "09e5a2f7acfc": { seenIn: "2026.6.9–2026.7.35" },
  },
  loadEntriesFromFileWithSnapshot: {
    // With its deps (SHAPE_DEPS): the cache's bound and rules, which the handler relies on.
    "b6f8dd1bcb8e": {
      seenIn: "2026.6.9–2026.7.35",
      helpers: ["readSessionFileSnapshot", "isSameSessionFileSnapshot", "sessionEntriesCache", "rememberSessionEntries", "copyFileEntries", "trimSessionEntriesCache", "MAX_CACHED_SESSION_BYTES"],
    },
  },
  resolveBootstrapFilesForRun: {
    // Later releases changed the session filter and the hook step; ctxc's rules are 2026.5.12's.
    "59b7cc1c91a3": { seenIn: "2026.5.12", helpers: ["createInternalHookEvent", "triggerInternalHook", "resolveAgentIdFromSessionKey"] },
  },
  buildBootstrapContextForFiles: {
    "bc43b0c45836": { seenIn: "2026.5.12" },
  },
  loadWorkspaceBootstrapFiles: {
    // The read under resolveBootstrapFilesForRun (src/openclaw/workspace-files.ts), with its guarded
    // per-file read (SHAPE_DEPS); the chunk's constants (file names, the 2 MiB bound) are checked by the
    // handler. 2026.6.33 closes the fd after a failed read too; 2026.6.34 retries EAGAIN/EINTR (any fs
    // error but a missing file is left to stock by the handler, so the retry stays stock's).
    "ade545d1c487": { seenIn: "2026.5.12–2026.6.11", helpers: WORKSPACE_FILE_CONSTANTS },
    "522feb3b8449": { seenIn: "2026.6.33", helpers: WORKSPACE_FILE_CONSTANTS },
    "09b7f440e77e": { seenIn: "2026.6.34–2026.7.35", helpers: WORKSPACE_FILE_CONSTANTS },
  },
  findTranscriptMessageByIdempotencyKey: {
    // Backward scan of every line until message.idempotencyKey (trimmed) matches; a new key parses the whole file.
    "1e8b93b52d66": { seenIn: "2026.5.26–2026.7.35" },
  },
  readRecentUserAssistantTextFromSessionTranscript: {
    // Backward stream of every line through parseRecentConversationText until `limit` entries pass the
    // time window (src/openclaw/recent-lines.ts). The stream itself is another chunk's, the same in
    // every JSONL release (31383ed88333).
    "30f9e0bc05b5": { seenIn: "2026.6.11–2026.7.35", helpers: ["parseRecentConversationText", "normalizeRecentTranscriptLimit"] },
  },
  "SessionManager.rewriteFile": {
    // Serialise every entry, writeFileSync, then re-read, compare and re-parse (rememberWrittenSessionEntries).
    // Served as an append when only appended entries differ (release/append-rewrite.ts).
    // The same rewriteFile, writeFullFile and rememberWrittenSessionEntries; 2026.7.1 adds the normaliser to the re-parse.
    "c229ac1f209a": { seenIn: "2026.6.9–2026.6.35", helpers: REWRITE_HELPERS },
    "a00053b8c9de": { seenIn: "2026.7.1–2026.7.35", helpers: REWRITE_HELPERS },
  },
  rememberAppendedSessionEntry: {
    // Followed (not replaced): ctxc's entry cache takes the appended line when the file grew by exactly it.
    "af80c480ee54": { seenIn: "2026.6.9–2026.6.35", helpers: ["sessionEntriesCache"] },
    "3e3b15e1ce96": { seenIn: "2026.7.1–2026.7.35", helpers: ["sessionEntriesCache"] },
  },
  rememberWrittenSessionEntries: {
    // Stock's body (invalidate the repair cache, snapshot, re-read, compare, snapshot, remember) with the
    // re-parse answered from the entries the recorded write serialised (release/write-follower.ts).
    "3f20c8c374f2": {
      seenIn: "2026.6.9–2026.7.35",
      helpers: ["sessionEntriesCache", "readSessionFileSnapshot", "isSameSessionFileSnapshot", "rememberSessionEntries", "invalidateSessionFileRepairCache", "MAX_CACHED_SESSION_BYTES"],
    },
  },
  // The two producers of the whole-file writes the follower answers: their bodies, recording the entries
  // written (`writeJsonlEntriesSync(file, getPersistedFileEntries(…))`; `getPersistedFileEntries().map(serializeJsonlLine)`).
  "SessionManager.writeFullFile": {
    "02abf0fca8f0": { seenIn: "2026.6.9–2026.7.35", helpers: ["writeJsonlEntriesSync"] },
  },
  "SessionManager.getSerializedFileLinesForRewrite": {
    "a142f2fc644a": { seenIn: "2026.6.9–2026.7.35", helpers: ["serializeJsonlLine"] },
  },
  readSessionFileDigest: {
    // The session-file fence's sha-256 of an 8–32 MB transcript: `createReadStream` → `hash.update` per chunk
    // → hex; any stream error → undefined (src/openclaw/session-digest.ts). Byte-identical in every release
    // that has it.
    "b9075bf1a700": { seenIn: "2026.6.6–2026.7.35" },
  },
  "SessionManager.setLoadedSessionFile": {
    // Partition + buildIndex of every loaded entry, answered by continuing the index built for the same
    // entries last time when the load only appends to them (release/loaded-index.ts).
    // `SessionManager`: the restart warm-up runs the release's getPersistedFileEntries on a throwaway (loaded-index.ts `warmPersistedEntriesCode`).
    // `parseOpaqueLeafEntry` / `parseParentLinkedOpaqueEntry` (and SessionManager's resolvers): the fold of an appended opaque record.
    "1745bb1aca3c": { seenIn: "2026.6.9–2026.7.35", helpers: ["existsSync", "isIndexedSessionEntry", "isSessionTranscriptSideAppendEntry", "SessionManager", "parseOpaqueLeafEntry", "parseParentLinkedOpaqueEntry"] },
  },
  acquireEmbeddedAttemptSessionFileOwner: {
    // The session-resource-loader stage's first call (an in-process owner map): its own body runs untouched;
    // ctxc starts the turn's worker reads there (repair-pass.ts `startTurnReads`), ahead of the lock and stats.
    "1e78716a5a2a": { seenIn: "2026.5.27–2026.7.35" },
  },
  readSessionFileFingerprint: {
    // The session lock's bigint stat of the transcript (`{exists: false}` on ENOENT, else the error), answered
    // by its synchronous twin in the same chunk (SHAPE_DEPS): no fs hop (src/openclaw/file-fingerprint.ts).
    "a44d4934de39": { seenIn: "2026.5.27–2026.7.35", helpers: ["readSessionFileFingerprintSync"] },
  },
  resolveNormalizedSessionFile: {
    // The session write lock's realpath of the transcript's folder (the resolved path if it fails), answered
    // synchronously: no fs hop (src/openclaw/lock-fs.ts).
    "1e1a56508539": { seenIn: "2026.5.12–2026.7.35" },
  },
  resolveNormalizedTargetPath: {
    // fs-safe's sidecar lock: `mkdir -p` of the target's folder, then its realpath. Answered synchronously when the
    // folder exists (the mkdir a no-op); a folder to create stays OpenClaw's (src/openclaw/lock-fs.ts).
    "052ebe14584f": { seenIn: "2026.5.12–2026.7.35" },
  },
  readLockSnapshot: {
    // fs-safe's lock-file snapshot (lstat + utf8 read + JSON object), on each release and contended attempt,
    // answered synchronously (src/openclaw/lock-fs.ts). The earlier body turns any failure into "no snapshot".
    adf6c3f7fc90: { seenIn: "2026.5.12–2026.5.19", handler: "readLockSnapshotAnyFailureNull" },
    dfd6e137bf92: { seenIn: "2026.5.20–2026.7.35" },
  },
};

/**
 * A call inside an OpenClaw function answered by a ctxc handler, the function otherwise untouched: for a body of
 * a listed shape, the one match of `pattern` in it (bundler `$N` suffixes allowed) is replaced by a call of the
 * handler `handler` as `__ctxcHandlers[handler](() => <the call>, [<argument>], {})` (release/rewrite.ts). Each
 * `bindings` entry names a capture group that must be the chunk's binding of that declaration (`NAME` stands for it).
 */
export interface CallSite {
  /** The function the call is in. */
  in: string;
  /** For the log's `active:` / `stock:` lines. */
  label: string;
  /** The call (what the replacement takes the place of): its groups name what `call` and `args` write back. */
  pattern: RegExp;
  /** The call as the replacement writes it back inside the thunk, with `$1`, `$2` for the groups. */
  call: string;
  /** The handler's arguments (a list's items), with `$1`, `$2` for the groups. */
  args: string;
  handler: string;
  bindings: Readonly<Record<number, string>>;
  /**
   * Checked shapes of the function → releases; or, for a call whose answer does not depend on the function around
   * it, why the pattern alone pins it: then any body with exactly one match is served (a function such as
   * `runEmbeddedAttempt`, thousands of lines that change in every release, would otherwise be pinned to none).
   */
  shapes: Readonly<Record<string, string>> | { anyBody: string };
  /**
   * Functions elsewhere in the chunk that use what the handler answers (its object's methods), each with its
   * checked shapes: the site is served only where every definition found has one (as REPRODUCED_SHAPES for a handler).
   */
  usedBy?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export const CALL_SITES: readonly CallSite[] = [
  {
    // `await fs.mkdir(sessionDir, { recursive: true })` before the lock file: skipped where the folder exists
    // (a no-op there), else the call itself (src/openclaw/lock-fs.ts `mkdirUnlessFolder`).
    in: "acquireSessionWriteLock",
    label: "lock folder mkdir (in acquireSessionWriteLock)",
    pattern: /\b(fs(?:\$\d+)?)\.mkdir\((sessionDir(?:\$\d+)?), \{ recursive: true \}\)/g,
    call: "$1.mkdir($2, { recursive: true })",
    args: "$2",
    handler: "mkdirUnlessFolder",
    bindings: { 1: 'import NAME from "node:fs/promises";' },
    shapes: {
      "262ceb4c02f7": "2026.5.12",
      f2569f792c5e: "2026.5.18–2026.5.20",
      "7757c54c1a92": "2026.5.22",
      "2305fc55cde3": "2026.5.26–2026.5.28",
      "799fb6278866": "2026.6.1–2026.6.35",
      ed1ffe22b1b9: "2026.7.1–2026.7.35",
    },
  },
  {
    // fs-safe's lock manager, in `acquire` right after the lock file was opened (`wx`) and its payload written:
    // `stat: await handle.stat()`, the new lock file's fstat kept to recognise it at release — answered with
    // fstatSync of the handle's descriptor (src/openclaw/lock-fs.ts `statOfLockHandle`). The manager's body (its
    // shape) pins `handle` as the `let` the `wx` open assigned; the failed attempt's `handle.stat()` is left.
    in: "createSidecarLockManager",
    label: "lock file stat (in fs-safe's lock acquire)",
    pattern: /(?<=\bstat: await )(handle(?:\$\d+)?)\.stat\(\)/g,
    call: "$1.stat()",
    args: "$1",
    handler: "statOfLockHandle",
    bindings: {},
    shapes: { "64d50b12a4b9": "2026.5.12–2026.7.35" },
  },
  {
    // fs-safe's lock manager, in `acquire`: `handle = await fs.open(lockPath, "wx")`, the new lock file, then
    // `await handle.writeFile(raw, "utf8")` its payload — two fs hops before the session lock is held. Answered by
    // `openSync(lockPath, "wx")` at the call and a handle whose `writeFile`, `stat` and `close` are the same calls
    // made synchronously on that descriptor (src/openclaw/lock-fs.ts `openLockFile`): the same file, mode and
    // bytes. The manager's body (its shape) pins every use of the handle inside `acquire`; the releases' own
    // uses (`close`) are pinned by `usedBy`.
    in: "createSidecarLockManager",
    label: "lock file create and payload write (in fs-safe's lock acquire)",
    pattern: /(?<=\bhandle = await )(fs(?:\$\d+)?)\.open\((lockPath), "wx"\)/g,
    call: '$1.open($2, "wx")',
    args: "$2",
    handler: "openLockFile",
    bindings: { 1: 'import NAME from "node:fs/promises";' },
    shapes: { "64d50b12a4b9": "2026.5.12–2026.7.35" },
    usedBy: { releaseHeldLock: { "552b03540e23": "2026.5.12–2026.7.35" }, releaseAllLocksSync: { "10acbe34fe88": "2026.5.12–2026.7.35" } },
  },
  {
    // The embedded run's `const hadSessionFile = await fs.stat(params.sessionFile).then(() => true).catch(() => false);`
    // in the session-resource-loader stage — one more fs hop behind the gateway's busy main thread — answered by a
    // statSync at the call (src/openclaw/file-fingerprint.ts `sessionFileStat`). The pattern holds the whole
    // statement, the boolean made of it included, so no other code of the run sees the stat.
    in: "runEmbeddedAttempt",
    label: "session file check (hadSessionFile, in runEmbeddedAttempt)",
    pattern: /(?<=\bconst hadSessionFile = await )(fs(?:\$\d+)?)\.stat\((params\.sessionFile)\)(?=\.then\(\(\) => true\)\.catch\(\(\) => false\);)/g,
    call: "$1.stat($2)",
    args: "$2",
    handler: "sessionFileStat",
    bindings: { 1: 'import NAME from "node:fs/promises";' },
    shapes: { anyBody: "the statement turns the stat into exists-or-not by itself (2026.5.12–2026.7.35)" },
  },
];

/**
 * Bodies of an intercepted function that were read and are left stock on purpose: the log's `stock:` line
 * gives this reason instead of "unchecked" (docs/openclaw.md §5).
 */
export const STOCK_SHAPES: Readonly<Partial<Record<InterceptionName, Readonly<Record<string, string>>>>> = {
  // From 2026.5.18 the release's own composition runs (the workspace-setup filter around the hook step;
  // 2026.7.33+ the memory-artifact filter too) over ctxc's read of the files (loadWorkspaceBootstrapFiles).
  resolveBootstrapFilesForRun: {
    "1347f3666f65": "2026.5.18–2026.7.1: the release's own filters and hooks run; the file read under them is served (loadWorkspaceBootstrapFiles)",
    d3d14fa00861: "2026.7.33–2026.7.35: the release's own filters and hooks run; the file read under them is served (loadWorkspaceBootstrapFiles)",
  },
  // Pure (no file I/O: nothing to move off the main thread), with per-agent limits from 2026.5.18.
  buildBootstrapContextForFiles: {
    d695751a5f75: "2026.5.18–2026.7.35: no file I/O to move; the release's own per-agent limits and truncation run",
  },
  // `writeJsonlEntriesSync(file, fileEntries)` alone. `persist` appends each entry as it comes; this runs only
  // after entries were removed from the end (a sessions-yield abort, a mid-turn precheck error: not an
  // append), when a plugin blocks a run (one message, then this), and on open for empty or migrated files.
  "SessionManager.rewriteFile": {
    "08b6e9f6fb62": "2026.5.28: no per-turn rewrite — persist appends; rewriteFile only after removals or a blocked run",
    "16560bdd8327": "2026.6.1–2026.6.8: no per-turn rewrite — persist appends; rewriteFile only after removals or a blocked run",
  },
};

/**
 * Functions ctxc does not intercept but whose behaviour a handler reproduces, so their shape must be a
 * checked one too (they may live in another chunk): the handler is served only when every definition
 * found has a listed shape.
 */
export const REPRODUCED_SHAPES: Readonly<Record<string, { for: InterceptionName; shapes: Readonly<Record<string, string>> }>> = {
  // `serializeJsonlEntries` + `writeFileSync(…, "utf-8")`: the bytes the append must equal. 2026.6.33 adds a
  // TypeError when JSON.stringify returns undefined (the handler then takes stock's path anyway).
  // The guards of each workspace file read (realpath walk inside the root, regular file, no hard link, size
  // bound; then the fd read) and MEMORY.md's exact-name check: what the worker's read reproduces.
  openRootFile: { for: "loadWorkspaceBootstrapFiles", shapes: { f1b83ffa1950: "2026.5.12–2026.7.35" } },
  exactWorkspaceEntryExists: { for: "loadWorkspaceBootstrapFiles", shapes: { "62d8ff9b1243": "2026.5.12–2026.7.35" } },
  writeJsonlEntriesSync: { for: "SessionManager.rewriteFile", shapes: { "0edc30228151": "2026.6.9–2026.6.11", "7f4e6b9e6f80": "2026.6.33–2026.7.35" } },
};

/**
 * How `parseJsonlEntries` (the per-line parse behind the load functions) turns a parsed line into an
 * entry: as is, or through the chunk's own `normalizeLoadedFileEntry` (2026.7.1+). ctxc decodes each
 * line itself (the same `JSON.parse` of the same bytes) and applies the chunk's normaliser.
 */
export const KNOWN_PARSE_SHAPES: Readonly<Record<string, { seenIn: string; normalizer?: string }>> = {
  "91e31a3c1657": { seenIn: "2026.6.1–2026.6.35" },
  "ceaea5f755d1": { seenIn: "2026.7.1–2026.7.35", normalizer: "normalizeLoadedFileEntry" },
};

/**
 * Modules a worker may import to run the repair pass's image judge (release/worker-judge.ts): the shape of
 * the module the judge imports `sanitizeInlineImageBase64` from, with every module it imports (texts with
 * the chunk names' build hashes removed). Each was read to be pure — functions and constants, no I/O, no
 * state another caller could change — so the same verdict comes from it in any thread.
 */
export const KNOWN_JUDGE_MODULES: Readonly<Record<string, { seenIn: string }>> = {
  // inline-image-data-url + base64 (its canonicalizeBase64 builds one string).
  "7bf58426db30": { seenIn: "2026.6.5–2026.6.35" },
  // base64's canonicalizeBase64 in 8 KiB pieces, padding added to unpadded payloads.
  "592bee08fbc2": { seenIn: "2026.7.1" },
  // …and the pad bits of the last data character checked; the Sets marked pure for the bundler.
  "b117fee10347": { seenIn: "2026.7.33–2026.7.35" },
};

/** The shape of a function's source text, followed by its deps' (see the file comment). */
export function shapeOf(source: string): string {
  return createHash("sha256").update(source.replace(/\$\d+\b/g, "")).digest("hex").slice(0, 12);
}
