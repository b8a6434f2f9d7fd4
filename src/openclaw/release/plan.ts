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
import { KNOWN_SHAPES, REPRODUCED_SHAPES, shapeOf, type InterceptionName } from "./shapes.js";

/**
 * Shapes of pi's SessionManager class text (class start to `static create`) the 2026.5.12 wrapper
 * (preload-runtime.ts `sessionManagerFromCtxc`, which sets the fields pi's `setSessionFile` sets) was
 * checked against: pi 0.74.0 and 0.75.1 have the same; 0.75.4+ normalise paths in the constructor.
 */
export const KNOWN_PI_SESSION_MANAGER: ReadonlySet<string> = new Set(["a8860d75a694"]);

/** What the preload installs for one OpenClaw release (passed to the hooks, also through `module.register`'s data). */
export interface ReleasePlan {
  version: string;
  /** file: URL of the built preload-runtime.js. */
  runtimeUrl: string;
  /** Real chunk file: URL → rewritten source, served as one data: module to every importer. */
  chunks: Record<string, string>;
  /** 2026.5.12: the chunk importing pi's SessionManager, whose import is redirected to a wrapper. */
  pi?: { parentUrl: string };
  /** Interceptions served, e.g. `session open (loadEntriesFromFileWithSnapshot)`. */
  served: string[];
  /** Interceptions left stock, each with why. */
  stock: string[];
  /** How the locator went: ms, files read. */
  located: { ms: number; filesRead: number; fullScan: boolean };
}

const LABELS: Record<InterceptionName, string> = {
  prewarmSessionFile: "prewarm",
  repairSessionFileIfNeeded: "repair check",
  readTranscriptLeafInfo: "leaf scan",
  loadEntriesFromFile: "session open (loadEntriesFromFile)",
  loadEntriesFromFileWithSnapshot: "session open (loadEntriesFromFileWithSnapshot)",
  resolveBootstrapFilesForRun: "bootstrap files",
  buildBootstrapContextForFiles: "bootstrap context",
  findTranscriptMessageByIdempotencyKey: "idempotency-key lookup",
  readRecentUserAssistantTextFromSessionTranscript: "recent-conversation read",
  "SessionManager.rewriteFile": "rewrite as append (SessionManager.rewriteFile)",
  rememberAppendedSessionEntry: "append follower (rememberAppendedSessionEntry)",
  rememberWrittenSessionEntries: "write follower (rememberWrittenSessionEntries)",
};

/** Interceptions that only keep ctxc's entry cache in step for the rewrite: served with it, never alone. */
const REWRITE_FOLLOWERS: ReadonlySet<InterceptionName> = new Set(["rememberAppendedSessionEntry", "rememberWrittenSessionEntries"]);
/** Interceptions whose handler decodes lines as the chunk's `parseJsonlEntries` does (its normaliser is a helper). */
const PARSES: ReadonlySet<InterceptionName> = new Set(["loadEntriesFromFile", "loadEntriesFromFileWithSnapshot", "SessionManager.rewriteFile", "rememberAppendedSessionEntry"]);

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

/** The shape of pi's SessionManager class (constructor to `static create`) in the pi that `importer` imports, or why not. */
function piSessionManagerShape(importer: string): string {
  try {
    // Node's lookup for a bare import: node_modules of each directory up from the importer (pi's
    // package exports have no `require` condition, so createRequire cannot resolve it).
    let dir = dirname(importer);
    let pkg: string | undefined;
    for (;;) {
      const candidate = join(dir, "node_modules", "@earendil-works", "pi-coding-agent");
      if (existsSync(join(candidate, "package.json"))) {
        pkg = candidate;
        break;
      }
      if (dirname(dir) === dir) return "pi not found";
      dir = dirname(dir);
    }
    const source = readFileSync(join(pkg, "dist", "core", "session-manager.js"), "utf8");
    const at = source.indexOf("export class SessionManager {");
    const end = source.indexOf("\n    static create(", at);
    if (at === -1 || end === -1) return "no SessionManager class";
    const version = (JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version?: string }).version;
    return `${shapeOf(source.slice(at, end))} ${version}`;
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
    }
    if (take.length === 0) {
      stock.push(`${LABELS[name]} (${why})`);
      continue;
    }
    for (const t of take) byChunk.set(t.fn.file, [...(byChunk.get(t.fn.file) ?? []), t]);
    served.push(LABELS[name]);
  }
  const chunks: Record<string, string> = {};
  for (const [file, list] of byChunk) {
    const source = found.sources.get(file)!;
    const why = cannotRewrite(source, list);
    const url = pathToFileURL(file).href;
    if (why) {
      for (const { fn } of list) {
        served.splice(served.indexOf(LABELS[fn.name as InterceptionName]), 1);
        stock.push(`${LABELS[fn.name as InterceptionName]} (${why})`);
      }
      continue;
    }
    chunks[url] = rewriteChunk(source, url, runtimeUrl, list, exportScans);
  }
  let pi: ReleasePlan["pi"];
  if (found.piSessionManagerImporter && prewarm) {
    const [shape, version] = piSessionManagerShape(found.piSessionManagerImporter).split(" ");
    if (KNOWN_PI_SESSION_MANAGER.has(shape!)) {
      pi = { parentUrl: pathToFileURL(found.piSessionManagerImporter).href };
      served.unshift(`session open (pi ${version} SessionManager.open)`);
    } else {
      stock.push(`session open (pi ${version ?? ""} SessionManager shape ${shape} unchecked)`);
    }
  } else if (!served.some((s) => s.startsWith("session open"))) {
    stock.push("session open (no checked loadEntriesFromFile, loadEntriesFromFileWithSnapshot or pi import)");
  }
  if (served.every((s) => s === LABELS.prewarmSessionFile)) return `${where}: no interception point has a checked shape (${stock.join("; ")})`;
  return { version: found.version, runtimeUrl, chunks, pi, served, stock, located: { ms: Math.round(found.ms), filesRead: found.filesRead, fullScan: found.fullScan } };
}

/** Locates and plans in one go (register.ts `planPreload`). */
export function planForRoot(root: string, version: string, runtimeUrl: string, exportScans = false): ReleasePlan | string {
  return planRelease(locateRelease(root, version), runtimeUrl, exportScans);
}

/** Every located definition with a checked shape, by name (for tests and the docs table). */
export function checkedFunctions(found: LocatedRelease): Map<string, LocatedFunction[]> {
  return new Map([...found.functions].map(([n, defs]) => [n, defs.filter((d) => knownShape(d))] as const).filter(([, d]) => d.length > 0));
}
