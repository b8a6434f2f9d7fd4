/**
 * Finds, in an installed OpenClaw's `dist/`, the functions the preload intercepts — by what they are
 * (a top-level `function NAME(` and the shape of its body, shapes.ts), never by a chunk's file name or
 * export alias, which change with every build.
 *
 * Cost: it runs once at gateway start, so it reads as little as it can. Chunk names are derived from
 * the first module in the chunk and move when OpenClaw moves code, so they are only a hint for WHERE to
 * look first: the files whose name stem is one of {@link HINT_STEMS} (a dozen of ~5,000, a few MB) are
 * read and searched; only if a needed function is not among them is the rest of `dist/` searched
 * (~1 s, and the log says how long). What is found is decided by the content alone.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CALL_SITES, KNOWN_PARSE_SHAPES, KNOWN_SHAPES, REPRODUCED_SHAPES, SHAPE_DEPS, shapeOf, type InterceptionName, type KnownShape } from "./shapes.js";

/** Name stems (file name before `-<hash>.js`) of the chunks that held these functions so far. */
export const HINT_STEMS = [
  "selection",
  "session-manager",
  "transcript",
  "transcript-write-context",
  "session-accessor",
  "bootstrap-files",
  // loadWorkspaceBootstrapFiles, and the guards its read reproduces (shapes.ts REPRODUCED_SHAPES).
  "workspace",
  "root-file",
  "root-memory-files",
  "compaction-successor-transcript",
  "attempt.model-diagnostic-events",
  "builtin-openclaw",
  // The session write lock's fs reads (src/openclaw/lock-fs.ts): OpenClaw's and fs-safe's.
  "session-write-lock",
  "sidecar-lock",
] as const;

/** Functions searched for, beyond the intercepted ones: the run path (for pi's SessionManager import). */
const RUN_PATH = "runEmbeddedAttempt";
/** Each name once: a name listed twice (the run path holds a call site) would be located, and rewritten, twice. */
const SEARCHED: readonly string[] = [
  ...new Set([...(Object.keys(KNOWN_SHAPES) as InterceptionName[]), ...Object.keys(REPRODUCED_SHAPES), ...CALL_SITES.flatMap((c) => [c.in, ...Object.keys(c.usedBy ?? {})]), RUN_PATH, "parseJsonlEntries"]),
];
/** Needed to say anything: the run path and the prewarm that starts ctxc's read. */
const NEEDED: readonly string[] = [RUN_PATH, "prewarmSessionFile"];

/** One top-level function definition in a chunk, or one method of a top-level class (`Class.method`). */
export interface LocatedFunction {
  /** `NAME`, or `Class.method` for a method (then `start` is the offset of the method's name). */
  name: string;
  /** Absolute path of the chunk. */
  file: string;
  async: boolean;
  generator: boolean;
  /** Offset of `function` (or `async function`) in the chunk source, and just past the closing `}`. */
  start: number;
  end: number;
  shape: string;
}

/** What {@link locateRelease} found. */
export interface LocatedRelease {
  root: string;
  version: string;
  /** Every definition of each searched name (the bundler may copy a function into several chunks). */
  functions: Map<string, LocatedFunction[]>;
  /** Sources of the chunks read, by absolute path (the planner rewrites from these, without re-reading). */
  sources: Map<string, string>;
  /** The chunk of `runEmbeddedAttempt` when it imports `SessionManager` from pi (2026.5.12–2026.5.27). */
  piSessionManagerImporter?: string;
  /** Set when the release keeps transcripts in SQLite: what showed it. */
  sqlite?: string;
  filesRead: number;
  /** Whether the hint files were not enough and all of dist/ was searched. */
  fullScan: boolean;
  ms: number;
}

const CHUNK = /\.m?js$/;
const PI_IMPORT = /^import \{[^}]*\bSessionManager\b[^}]*\} from "@earendil-works\/pi-coding-agent";$/m;
/** How SessionManager.open reads transcripts in SQLite releases (2026.7.2-beta.1+: marker files; 2026.8.1+: events). */
const SQLITE_OPEN = /static open\([^)]*\) \{[^\n]*\n(?:[^\n]*\n){0,8}?[^\n]*(loadSqliteMarkedSessionFile|loadTranscriptEventsSync|loadTranscriptReadSnapshotSync)\(/;

/** The shape of a definition's text followed by its deps' (the rules it applies) in the same chunk. */
function shapeWithDeps(source: string, name: string, file: string, text: string): string {
  const deps = (SHAPE_DEPS[name] ?? []).map((d) => {
    const def = findFunctions(source, d, file)[0];
    return def ? source.slice(def.start, def.end) : `(no ${d})`;
  });
  return shapeOf([text, ...deps].join("\n"));
}

/** Whether `source` may define `name` (a cheap test before {@link findFunctions}). */
export function mayDefine(source: string, name: string): boolean {
  const dot = name.indexOf(".");
  return dot === -1 ? source.includes(`function ${name}(`) : source.includes(`class ${name.slice(0, dot)} {`) && source.includes(`\t${name.slice(dot + 1)}(`);
}

/**
 * The method `Class.method` of a top-level class (`var Class = class Class {` or `class Class {` at
 * column 0, its members one tab in, each closed by a one-tab `}`); instance methods only, as bundled.
 */
function findMethods(source: string, name: string, file: string): LocatedFunction[] {
  const [cls, method] = name.split(".") as [string, string];
  const out: LocatedFunction[] = [];
  for (const opener of [`\nvar ${cls} = class ${cls} {\n`, `\nclass ${cls} {\n`]) {
    const at = source.indexOf(opener);
    if (at === -1) continue;
    const classEnd = source.indexOf("\n}", at + opener.length);
    const m = new RegExp(`\\n\\t${method}\\([^)\\n]*\\) \\{\\n`, "g");
    m.lastIndex = at;
    const hit = m.exec(source);
    if (!hit || (classEnd !== -1 && hit.index > classEnd)) continue;
    const start = hit.index + 2;
    const close = source.indexOf("\n\t}\n", start);
    if (close === -1) continue;
    const end = close + 3;
    out.push({ name, file, async: false, generator: false, start, end, shape: shapeWithDeps(source, name, file, source.slice(start, end)) });
  }
  return out;
}

/** Top-level definitions of `name` in `source` (bundled chunks put them at column 0, closed by a column-0 `}`). */
export function findFunctions(source: string, name: string, file: string): LocatedFunction[] {
  if (name.includes(".")) return findMethods(source, name, file);
  const out: LocatedFunction[] = [];
  // Generators (`async function* NAME(`) are found too: as deps of a shape (they are never rewritten).
  for (const needle of [`function ${name}(`, `function* ${name}(`]) {
    for (let at = source.indexOf(needle); at !== -1; at = source.indexOf(needle, at + needle.length)) {
      const isAsync = source.startsWith("async ", at - 6) && (at === 6 || source[at - 7] === "\n");
      const start = isAsync ? at - 6 : at;
      if (start !== 0 && source[start - 1] !== "\n") continue; // nested or a mention, not a top-level definition
      const close = source.indexOf("\n}\n", at);
      if (close === -1) continue;
      const end = close + 2;
      // The rules it applies are part of the shape: the bodies of its deps in the same chunk, in order.
      out.push({ name, file, async: isAsync, generator: needle.startsWith("function*"), start, end, shape: shapeWithDeps(source, name, file, source.slice(start, end)) });
    }
  }
  return out;
}

/** The checked shape `fn` has, if any. */
export function knownShape(fn: LocatedFunction): KnownShape | undefined {
  return (KNOWN_SHAPES as Record<string, Record<string, KnownShape>>)[fn.name]?.[fn.shape];
}

/** The entry normaliser `parseJsonlEntries` applies in `file` (null: none; undefined: unknown parse shape). */
export function parseNormalizer(found: LocatedRelease, file: string): string | null | undefined {
  const parse = found.functions.get("parseJsonlEntries")?.find((f) => f.file === file);
  if (!parse) return null; // 2026.5.28 parses inline in loadEntriesFromFile (a shape of its own)
  const known = KNOWN_PARSE_SHAPES[parse.shape];
  return known ? (known.normalizer ?? null) : undefined;
}

/** Locates the intercepted functions in the OpenClaw package at `root` (its package.json already read). */
export function locateRelease(root: string, version: string): LocatedRelease {
  const t0 = performance.now();
  const dist = join(root, "dist");
  const names = readdirSync(dist).filter((f) => CHUNK.test(f));
  const stemOf = (f: string) => f.replace(/-[\w-]{8}\.m?js$/, "");
  const hinted = names.filter((f) => (HINT_STEMS as readonly string[]).includes(stemOf(f)));
  const found: LocatedRelease = { root, version, functions: new Map(), sources: new Map(), filesRead: 0, fullScan: false, ms: 0 };

  const search = (file: string, source: string, wanted: readonly string[]) => {
    let hit = false;
    for (const name of wanted) {
      if (!mayDefine(source, name)) continue;
      const defs = findFunctions(source, name, file);
      if (defs.length === 0) continue;
      hit = true;
      found.functions.set(name, [...(found.functions.get(name) ?? []), ...defs]);
    }
    if (hit) found.sources.set(file, source);
    if (!found.sqlite && SQLITE_OPEN.test(source)) {
      found.sqlite = `SessionManager.open reads transcripts through ${SQLITE_OPEN.exec(source)![1]} (${file.slice(root.length + 1)})`;
    }
  };

  for (const f of hinted) {
    const file = join(dist, f);
    search(file, readFileSync(file, "utf8"), SEARCHED);
    found.filesRead++;
  }
  const missing = NEEDED.filter((n) => !found.functions.has(n));
  if (missing.length > 0 && !found.sqlite) {
    // The hints missed: search everything else, as bytes first (cheap), decoding only the files that hit.
    found.fullScan = true;
    const needles = missing.map((n) => Buffer.from(`function ${n}(`));
    for (const f of names) {
      if (hinted.includes(f)) continue;
      const file = join(dist, f);
      const bytes = readFileSync(file);
      found.filesRead++;
      if (needles.some((n) => bytes.includes(n))) search(file, bytes.toString("utf8"), SEARCHED);
    }
  }
  const run = found.functions.get(RUN_PATH)?.[0];
  if (run && PI_IMPORT.test(found.sources.get(run.file)!)) found.piSessionManagerImporter = run.file;
  found.ms = performance.now() - t0;
  return found;
}
