/**
 * From what the locator found (locate.ts) to what the preload serves: which chunks are served rewritten
 * (rewrite.ts), whether pi's SessionManager import is wrapped (2026.5.12), and — for the log — what is
 * served and what stays stock and why. Or, when nothing can be served, the one-line reason.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { knownShape, locateRelease, parseNormalizer, type LocatedFunction, type LocatedRelease } from "./locate.js";
import { cannotRewrite, rewriteChunk, type ChunkInterception } from "./rewrite.js";
import { workerJudgePlan, type WorkerJudgePlan } from "./worker-judge.js";
import { CALL_SITES, KNOWN_SHAPES, REPRODUCED_SHAPES, STOCK_SHAPES, shapeOf, type CallSite, type InterceptionName } from "./shapes.js";

/** What the pi wrapper (preload-runtime.ts `wrapSessionManager`) must do as one pi SessionManager does. */
export interface PiSessionManagerVariant {
  /** pi versions this shape was checked in (for the log and docs). */
  seenIn: string;
  /**
   * pi 0.75.5+: `open` and the constructor pass paths through pi's `resolvePath` / `normalizePath` (`~`
   * and `file://` URLs expanded) and an empty `sessionDir` means the file's folder: the wrapper serves
   * only paths those leave as `path.resolve` does, and leaves the rest to pi.
   */
  normalisesPaths?: boolean;
}

/**
 * Shapes of pi's SessionManager open (piSessionManagerShape: the class text from its start to `static
 * create`, `static open`, `loadEntriesFromFile`, and the path helpers it imports) the wrapper
 * (preload-runtime.ts `sessionManagerFromCtxc`, which sets the fields pi's `setSessionFile` sets) was
 * checked against (test/matrix/pi-session-open.test.ts, with each release's own pi).
 */
export const KNOWN_PI_SESSION_MANAGER: Readonly<Record<string, PiSessionManagerVariant>> = {
  "8ed5d2072b66": { seenIn: "pi 0.74.0–0.75.4" },
  "c20182421ebd": { seenIn: "pi 0.75.5", normalisesPaths: true },
};

/** What the preload installs for one OpenClaw release (passed to the hooks, also through `module.register`'s data). */
export interface ReleasePlan {
  version: string;
  /** file: URL of the built preload-runtime.js. */
  runtimeUrl: string;
  /** Real chunk file: URL → rewritten source, served as one data: module to every importer. */
  chunks: Record<string, string>;
  /** 2026.5.12–2026.5.27: the chunk importing pi's SessionManager, whose import is redirected to a wrapper. */
  pi?: { parentUrl: string; normalisesPaths?: boolean };
  /** Interceptions served, e.g. `session open (loadEntriesFromFileWithSnapshot)`. */
  served: string[];
  /** Interceptions left stock, each with why. */
  stock: string[];
  /** How the locator went: ms, files read. */
  located: { ms: number; filesRead: number; fullScan: boolean };
  /** 2026.6.5+: the repair pass's image judge, for the workers to run (worker-judge.ts); absent: the main thread judges. */
  imageJudge?: WorkerJudgePlan;
}

const LABELS: Record<InterceptionName, string> = {
  prewarmSessionFile: "prewarm",
  repairSessionFileIfNeeded: "repair check",
  readTranscriptLeafInfo: "leaf scan",
  loadEntriesFromFile: "session open (loadEntriesFromFile)",
  loadEntriesFromFileWithSnapshot: "session open (loadEntriesFromFileWithSnapshot)",
  resolveBootstrapFilesForRun: "bootstrap files",
  buildBootstrapContextForFiles: "bootstrap context",
  loadWorkspaceBootstrapFiles: "workspace bootstrap read (loadWorkspaceBootstrapFiles)",
  findTranscriptMessageByIdempotencyKey: "idempotency-key lookup",
  readRecentUserAssistantTextFromSessionTranscript: "recent-conversation read",
  "SessionManager.rewriteFile": "rewrite as append (SessionManager.rewriteFile)",
  rememberAppendedSessionEntry: "append follower (rememberAppendedSessionEntry)",
  rememberWrittenSessionEntries: "write follower (rememberWrittenSessionEntries)",
  "SessionManager.writeFullFile": "whole-file write recorder (SessionManager.writeFullFile)",
  "SessionManager.getSerializedFileLinesForRewrite": "header-rewrite recorder (SessionManager.getSerializedFileLinesForRewrite)",
  readSessionFileDigest: "session-fence digest (readSessionFileDigest)",
  "SessionManager.setLoadedSessionFile": "re-load index (SessionManager.setLoadedSessionFile)",
  acquireEmbeddedAttemptSessionFileOwner: "turn reads started early (acquireEmbeddedAttemptSessionFileOwner)",
  readSessionFileFingerprint: "session-file fingerprint (readSessionFileFingerprint)",
  resolveNormalizedSessionFile: "lock path realpath (resolveNormalizedSessionFile)",
  resolveNormalizedTargetPath: "lock folder check and realpath (resolveNormalizedTargetPath)",
  readLockSnapshot: "lock-file snapshot (readLockSnapshot)",
};

/** The repair pass's image judging, run in the workers (worker-judge.ts). */
export const JUDGE_LABEL = "image judging in the workers (isCorruptedImageContentBlock)";

/** Whether `plan` serves the interception `name`. */
export function planServes(plan: Pick<ReleasePlan, "served">, name: InterceptionName): boolean {
  return plan.served.includes(LABELS[name]);
}

/** Interceptions that only keep ctxc's entry cache in step for the rewrite: served with it, never alone. */
const REWRITE_FOLLOWERS: ReadonlySet<InterceptionName> = new Set([
  "rememberAppendedSessionEntry",
  "rememberWrittenSessionEntries",
  "SessionManager.writeFullFile",
  "SessionManager.getSerializedFileLinesForRewrite",
]);
/** Interceptions whose handler decodes lines as the chunk's `parseJsonlEntries` does (its normaliser is a helper). */
const PARSES: ReadonlySet<InterceptionName> = new Set([
  "loadEntriesFromFile",
  "loadEntriesFromFileWithSnapshot",
  "SessionManager.rewriteFile",
  "rememberAppendedSessionEntry",
  "rememberWrittenSessionEntries",
]);

/** Why what `name`'s handler reproduces (shapes.ts REPRODUCED_SHAPES) is not checked in `found`, or null. */
function unreproduced(found: LocatedRelease, name: InterceptionName): string | null {
  for (const [fn, { for: user, shapes }] of Object.entries(REPRODUCED_SHAPES)) {
    if (user !== name) continue;
    const defs = found.functions.get(fn) ?? [];
    if (defs.length === 0) return `no ${fn}`;
    const odd = defs.find((d) => !shapes[d.shape]);
    if (odd) return `${fn} shape ${odd.shape} unchecked`;
  }
  return null;
}

/** The `@earendil-works/pi-coding-agent` package folder Node resolves a bare import from `importer` to, or undefined. */
export function piPackageDir(importer: string): string | undefined {
  // Node's lookup for a bare import: node_modules of each directory up from the importer (pi's
  // package exports have no `require` condition, so createRequire cannot resolve it).
  for (let dir = dirname(importer); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "@earendil-works", "pi-coding-agent");
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The text of `export function NAME(` … column-0 `}` in `source`, or a marker that it is missing (pi's unbundled ESM). */
function piFunction(source: string, name: string): string {
  const at = source.indexOf(`\nexport function ${name}(`);
  const end = source.indexOf("\n}\n", at);
  return at === -1 || end === -1 ? `(no ${name})` : source.slice(at, end + 2);
}

/**
 * The shape of pi's SessionManager open in the pi that `importer` imports, and pi's version, or why
 * not: the class text from its start to `static create` (constructor, setSessionFile, _buildIndex, …),
 * `static open`, the module's `loadEntriesFromFile`, and the bodies of the path helpers the module
 * imports from `../utils/paths.js` (0.75.5+: normalizePath, resolvePath).
 */
export function piSessionManagerShape(importer: string): { shape: string; version: string } | string {
  try {
    const pkg = piPackageDir(importer);
    if (!pkg) return "pi not found";
    const source = readFileSync(join(pkg, "dist", "core", "session-manager.js"), "utf8");
    const at = source.indexOf("export class SessionManager {");
    const end = source.indexOf("\n    static create(", at);
    const open = source.indexOf("\n    static open(", end);
    const openEnd = source.indexOf("\n    }\n", open);
    if (at === -1 || end === -1 || open === -1 || openEnd === -1) return "no SessionManager class";
    const parts = [source.slice(at, end), source.slice(open, openEnd + 6), piFunction(source, "loadEntriesFromFile")];
    const paths = /^import \{([^}]*)\} from "\.\.\/utils\/paths\.js";$/m.exec(source);
    if (paths) {
      const helpers = readFileSync(join(pkg, "dist", "utils", "paths.js"), "utf8");
      for (const name of paths[1]!.split(",").map((n) => n.trim()).filter(Boolean)) parts.push(piFunction(helpers, name));
    }
    const version = (JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version?: string }).version ?? "";
    return { shape: shapeOf(parts.join("\n")), version };
  } catch (err) {
    return `pi not found (${(err as Error).message.split("\n")[0]})`;
  }
}

/** The plan for the located release, or why the gateway runs stock. */
export function planRelease(found: LocatedRelease, runtimeUrl: string, exportScans = false): ReleasePlan | string {
  const where = `openclaw ${found.version} at ${found.root}`;
  if (found.sqlite) return `${where} keeps transcripts in SQLite, not JSONL files (${found.sqlite}); ctxc serves JSONL transcripts only`;
  const served: string[] = [];
  const stock: string[] = [];
  const byChunk = new Map<string, ChunkInterception[]>();
  /** Chunks whose served repair pass judges image blocks (2026.6.5+). */
  const judgingPasses: string[] = [];
  // Session open answers from the read prewarm starts: without prewarm it would only ever fall back.
  const prewarm = (found.functions.get("prewarmSessionFile") ?? []).some((f) => knownShape(f));
  for (const name of Object.keys(KNOWN_SHAPES) as InterceptionName[]) {
    const defs = found.functions.get(name) ?? [];
    if (!prewarm && (name === "loadEntriesFromFile" || name === "loadEntriesFromFileWithSnapshot")) {
      if (defs.length > 0) stock.push(`${LABELS[name]} (prewarmSessionFile unchecked, so no ctxc read is prepared)`);
      continue;
    }
    // Not in this release (e.g. the idempotency lookup before 2026.5.26): nothing to serve, nothing to say —
    // except prewarm, without which nothing else is served (the refusal below names it).
    if (defs.length === 0) {
      if (name === "prewarmSessionFile") stock.push(`${LABELS[name]} (no ${name})`);
      continue;
    }
    if (REWRITE_FOLLOWERS.has(name) && !served.includes(LABELS["SessionManager.rewriteFile"])) continue;
    const left = defs.map((d) => STOCK_SHAPES[name]?.[d.shape]);
    if (left.every(Boolean)) {
      stock.push(`${LABELS[name]} (${left[0]})`);
      continue;
    }
    const notReproduced = unreproduced(found, name);
    if (notReproduced) {
      stock.push(`${LABELS[name]} (${notReproduced})`);
      continue;
    }
    const take: ChunkInterception[] = [];
    let why: string | undefined;
    for (const fn of defs) {
      const known = knownShape(fn);
      if (!known) {
        why = `${name} shape ${fn.shape} unchecked`;
        continue;
      }
      const helpers = [...(known.helpers ?? [])];
      if (PARSES.has(name)) {
        const normalizer = parseNormalizer(found, fn.file);
        if (normalizer === undefined) {
          why = `${name}: parseJsonlEntries shape unchecked`;
          continue;
        }
        if (normalizer) helpers.push(normalizer);
      }
      take.push({ fn, handler: known.handler ?? name, helpers });
      if (name === "repairSessionFileIfNeeded" && helpers.includes("isCorruptedImageContentBlock")) judgingPasses.push(fn.file);
    }
    if (take.length === 0) {
      stock.push(`${LABELS[name]} (${why})`);
      continue;
    }
    for (const t of take) byChunk.set(t.fn.file, [...(byChunk.get(t.fn.file) ?? []), t]);
    served.push(LABELS[name]);
  }
  for (const site of CALL_SITES) {
    const defs = found.functions.get(site.in) ?? [];
    if (defs.length === 0) continue;
    const why = defs.map((fn) => callSiteProblem(site, fn, found.sources.get(fn.file)!) ?? unpinnedUse(found, site, fn)).find(Boolean);
    if (why) {
      stock.push(`${site.label} (${why})`);
      continue;
    }
    for (const fn of defs) byChunk.set(fn.file, [...(byChunk.get(fn.file) ?? []), { fn, handler: site.handler, helpers: [], callSite: site }]);
    served.push(site.label);
  }
  const chunks: Record<string, string> = {};
  for (const [file, list] of byChunk) {
    const source = found.sources.get(file)!;
    const why = cannotRewrite(source, list);
    const url = pathToFileURL(file).href;
    if (why) {
      for (const { fn, callSite } of list) {
        const label = callSite?.label ?? LABELS[fn.name as InterceptionName];
        if (served.includes(label)) served.splice(served.indexOf(label), 1);
        stock.push(`${label} (${why})`);
      }
      continue;
    }
    chunks[url] = rewriteChunk(source, url, runtimeUrl, list, exportScans);
  }
  let piPlan: ReleasePlan["pi"];
  if (found.piSessionManagerImporter && prewarm) {
    const pi = piSessionManagerShape(found.piSessionManagerImporter);
    const variant = typeof pi === "string" ? undefined : KNOWN_PI_SESSION_MANAGER[pi.shape];
    if (typeof pi === "string") {
      stock.push(`session open (${pi})`);
    } else if (variant) {
      piPlan = { parentUrl: pathToFileURL(found.piSessionManagerImporter).href, ...(variant.normalisesPaths ? { normalisesPaths: true } : {}) };
      served.unshift(`session open (pi ${pi.version} SessionManager.open)`);
    } else {
      stock.push(`session open (pi ${pi.version} SessionManager shape ${pi.shape} unchecked)`);
    }
  } else if (!served.some((s) => s.startsWith("session open"))) {
    stock.push("session open (no checked loadEntriesFromFile, loadEntriesFromFileWithSnapshot or pi import)");
  }
  if (served.every((s) => s === LABELS.prewarmSessionFile)) return `${where}: no interception point has a checked shape (${stock.join("; ")})`;
  let imageJudge: WorkerJudgePlan | undefined;
  const rewritten = new Set(Object.keys(chunks));
  const judging = judgingPasses.filter((f) => rewritten.has(pathToFileURL(f).href));
  if (judging.length > 0) {
    const judge = workerJudgePlan(found, judging, rewritten);
    if (typeof judge === "string") stock.push(`${JUDGE_LABEL} (${judge}; the repair pass judges image lines on the main thread)`);
    else {
      imageJudge = judge;
      served.push(JUDGE_LABEL);
    }
  }
  return { version: found.version, runtimeUrl, chunks, pi: piPlan, served, stock, located: { ms: Math.round(found.ms), filesRead: found.filesRead, fullScan: found.fullScan }, ...(imageJudge ? { imageJudge } : {}) };
}

/**
 * Why a function that uses the site's answer (`usedBy`) is not checked in `found`, or null: its definitions in
 * the chunk of the site's function `fn` (another chunk's function of that name never sees the answer).
 */
export function unpinnedUse(found: LocatedRelease, site: CallSite, fn: LocatedFunction): string | null {
  for (const [name, shapes] of Object.entries(site.usedBy ?? {})) {
    const defs = (found.functions.get(name) ?? []).filter((d) => d.file === fn.file);
    if (defs.length === 0) return `no ${name}`;
    const odd = defs.find((d) => !shapes[d.shape]);
    if (odd) return `${name} shape ${odd.shape} unchecked`;
  }
  return null;
}

/** Why `site` cannot be served in `fn` (a definition of `site.in` in `source`), or null. */
export function callSiteProblem(site: CallSite, fn: LocatedFunction, source: string): string | null {
  if (!("anyBody" in site.shapes) && !site.shapes[fn.shape]) return `${site.in} shape ${fn.shape} unchecked`;
  const matches = [...source.slice(fn.start, fn.end).matchAll(site.pattern)];
  if (matches.length !== 1) return `${matches.length} matches of the call in ${site.in}`;
  for (const [group, declaration] of Object.entries(site.bindings)) {
    const name = matches[0]![Number(group)]!;
    const declared = declaration.replace("NAME", name);
    if (!source.includes(`\n${declared}\n`)) return `${name} is not \`${declared}\``;
  }
  return null;
}

/** Locates and plans in one go (preload-install.ts `planPreload`). */
export function planForRoot(root: string, version: string, runtimeUrl: string, exportScans = false): ReleasePlan | string {
  return planRelease(locateRelease(root, version), runtimeUrl, exportScans);
}
