/**
 * Names an anonymous OpenClaw frame of a V8 CPU profile after the named function that encloses it in
 * the source, so its samples are charged where the work belongs (profile-summary.ts).
 *
 * Why: a callback OpenClaw hands to node — 2026.6.6+'s session-fence digest
 * (`readSessionFileDigest`: `createReadStream(sessionFile).on("data", (chunk) => hash.update(chunk))`)
 * — runs on a stack that starts in node's stream machinery, so no named OpenClaw frame is above it and
 * the profile summary counted seconds of transcript hashing as "other". The profile gives each frame's
 * script URL and the position V8 reports for the function (line/column, 0-based, of its parameter
 * list); the module's source tells which function that is and what encloses it.
 *
 * Sources are parsed with TypeScript's parser (already a dev dependency; a real parser, because a
 * bundle's regexes, template literals and nested arrows defeat brace counting). A position is only
 * resolved when a function really starts there in the source read, so a source that is not the one
 * that ran (another build, a changed install) leaves the frame anonymous instead of misnaming it.
 *
 * Where the source is:
 * - `file:` URLs: the module file itself (OpenClaw's install; the harness's runs keep it in place).
 * - `data:` URLs: chunks ctxc's preload served rewritten (src/openclaw/release/rewrite.ts). V8 keeps
 *   only the URL's first 1024 characters, so the source is recovered as the file in the release's
 *   `dist/` (from the profile's own `file:` frames) whose text starts like the decoded prefix; the
 *   rewrite put one line (the handlers import) before it and three lines (a delegate) before each
 *   intercepted function, so the frame's line in the file is `line - 1 - 3k` for some k: the one k at
 *   which a function starts at that position is taken, none or several leave the frame anonymous.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as TS from "typescript";
import { rewrittenCopyWriter } from "../lib/rewritten-copy.js";

/** Loaded on first use: most profiles' summaries are of runs without anonymous OpenClaw frames to name. */
let ts: typeof TS | undefined;
const typescript = (): typeof TS => (ts ??= createRequire(import.meta.url)("typescript") as typeof TS);

/** A parsed module, by V8's position of each function (offset): its own name and the nearest named function around it (null: none). */
interface ParsedModule {
  own: Map<number, string | null>;
  enclosing: Map<number, string | null>;
  lineStarts: readonly number[];
}

/** The name V8 gives a function-like node itself, as far as the source shows it (null: anonymous). */
function ownName(t: typeof TS, node: TS.Node): string | null {
  const text = (n: TS.Node | undefined) => (n && (t.isIdentifier(n) || t.isPrivateIdentifier(n) || t.isStringLiteral(n)) ? n.text : null);
  if (t.isFunctionDeclaration(node) || t.isFunctionExpression(node) || t.isMethodDeclaration(node) || t.isGetAccessor(node) || t.isSetAccessor(node)) {
    const own = text(node.name);
    if (own) return own;
  }
  if (t.isConstructorDeclaration(node)) return text((node.parent as TS.ClassLikeDeclaration).name) ?? null;
  // `const NAME = (…) => …`, `{ NAME: function () {} }`, class fields `NAME = () => …`: V8 infers these names.
  const p = node.parent;
  if ((t.isArrowFunction(node) || t.isFunctionExpression(node)) && p && (t.isVariableDeclaration(p) || t.isPropertyAssignment(p) || t.isPropertyDeclaration(p)) && p.initializer === node) return text(p.name);
  return null;
}

/** Parses `source` and maps each function's V8 positions to its nearest named ancestor function. */
function parseModule(source: string, fileName: string): ParsedModule {
  const t = typescript();
  const sf = t.createSourceFile(fileName, source, t.ScriptTarget.Latest, true, t.ScriptKind.JS);
  const own = new Map<number, string | null>();
  const enclosing = new Map<number, string | null>();
  const visit = (node: TS.Node, around: string | null): void => {
    let inner = around;
    if (t.isFunctionLike(node) && "body" in node && node.body) {
      // V8's position is the parameter list's "(" (a function declaration, a method, `(chunk) => …`)
      // or, for `x => …`, the parameter itself; the node's start is kept too (`async` arrows).
      const name = ownName(t, node);
      const paren = node.getChildren(sf).find((c) => c.kind === t.SyntaxKind.OpenParenToken);
      const positions = [node.getStart(sf), paren ? paren.getStart(sf) : node.parameters[0]?.getStart(sf)];
      for (const at of positions) {
        if (at === undefined || at < 0 || enclosing.has(at)) continue;
        enclosing.set(at, around);
        own.set(at, name);
      }
      inner = name ?? around;
    }
    t.forEachChild(node, (c) => visit(c, inner));
  };
  visit(sf, null);
  return { own, enclosing, lineStarts: sf.getLineStarts() };
}

/** The enclosing (or own) name of the function V8 places at (line, column), 0-based; undefined when no function starts there. */
function lookup(m: ParsedModule, line: number, column: number, which: "enclosing" | "own" = "enclosing"): string | null | undefined {
  const start = m.lineStarts[line];
  if (start === undefined || column < 0) return undefined;
  return m[which].get(start + column);
}

/** Resolves anonymous frames of one profile: (url, line, column) → enclosing function name, or undefined. */
export type AnonymousResolver = (url: string, line: number, column: number) => string | undefined;

/** A profile frame's script position (V8's callFrame: 0-based line and column). */
export interface FramePosition {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** Where the rewrite put the chunk's own first line: after the one-line handlers import. */
const REWRITE_HEAD_LINES = 1;
/** Lines of one delegate the rewrite inserts before an intercepted function (rewrite.ts). */
const DELEGATE_LINES = 3;
/** Most interceptions tried in one chunk (the preload intercepts a handful per chunk). */
const MAX_DELEGATES = 64;
/** The suffix the rewrite gives an intercepted original: its "(" moves right by this much on its line. */
const ORIGINAL_SUFFIX = "$openclaw";

/**
 * A resolver for one profile. `distDirs`: the OpenClaw `dist/` directories its `file:` frames come from,
 * where a rewritten (`data:`) chunk's original is looked up; `frames`: the profile's frames, whose named
 * ones in a rewritten chunk pin how many delegates lie before them. Parsed modules are cached by path
 * for the process (the harness summarises one profile over several windows).
 */
export function anonymousResolver(distDirs: readonly string[], frames: readonly FramePosition[]): AnonymousResolver {
  const anchorsByUrl = new Map<string, Array<{ line: number; k: number }>>();
  /** Named frames of a rewritten chunk that sit where exactly one k puts a function of their name: (line, k), by line. */
  const anchors = (url: string, m: ParsedModule) => {
    let a = anchorsByUrl.get(url);
    if (a) return a;
    a = [];
    for (const f of frames) {
      if (f.url !== url || f.functionName === "") continue;
      const original = f.functionName.endsWith(ORIGINAL_SUFFIX);
      const fn = original ? f.functionName.slice(0, -ORIGINAL_SUFFIX.length) : f.functionName;
      const column = original ? f.columnNumber - ORIGINAL_SUFFIX.length : f.columnNumber;
      const ks = candidateLines(f.lineNumber).filter(([, at]) => lookup(m, at, column, "own") === fn).map(([k]) => k);
      // A delegate (the original name on inserted lines) sits three lines before its original, one k lower.
      if (ks.length === 1) a.push({ line: f.lineNumber, k: ks[0]! });
    }
    a.sort((x, y) => x.line - y.line);
    anchorsByUrl.set(url, a);
    return a;
  };
  return (url, line, column) => {
    if (url.startsWith("file:")) {
      const m = moduleAt(fileURLToPath(url));
      const name = m && lookup(m, line, column);
      return name ?? undefined;
    }
    if (url.startsWith("data:")) {
      const m = rewrittenOriginal(url, distDirs);
      if (!m) return undefined;
      // Delegates only add lines, so k never falls going down the chunk: the named frames above and
      // below bound it.
      const a = anchors(url, m);
      const lo = Math.max(0, ...a.filter((x) => x.line <= line).map((x) => x.k));
      const hi = Math.min(MAX_DELEGATES, ...a.filter((x) => x.line >= line).map((x) => x.k));
      const found = new Set<string | null>();
      for (const [k, at] of candidateLines(line)) {
        if (k < lo || k > hi) continue;
        const name = lookup(m, at, column);
        if (name !== undefined) found.add(name);
      }
      // Several candidate lines holding a function at that column: which one ran is not known, unless
      // they all lie in the same named function.
      return found.size === 1 ? ([...found][0] ?? undefined) : undefined;
    }
    return undefined;
  };
}

/** [k, line in the original] for each number k of delegates the rewrite may have put before `line` of a rewritten chunk. */
function candidateLines(line: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let k = 0; k <= MAX_DELEGATES; k++) {
    const at = line - REWRITE_HEAD_LINES - DELEGATE_LINES * k;
    if (at < 0) break;
    out.push([k, at]);
  }
  return out;
}

const modules = new Map<string, ParsedModule | null>();

/** The parsed module file at `path`, or null when it is not there (a removed install). */
function moduleAt(path: string): ParsedModule | null {
  let m = modules.get(path);
  if (m === undefined) {
    m = existsSync(path) ? parseModule(readFileSync(path, "utf8"), path) : null;
    modules.set(path, m);
  }
  return m;
}

const originals = new Map<string, ParsedModule | null>();

/** The original of a rewritten chunk served from `url` (see the file comment), or null when none or several match. */
function rewrittenOriginal(url: string, distDirs: readonly string[]): ParsedModule | null {
  const known = originals.get(url);
  if (known !== undefined) return known;
  let found: ParsedModule | null = null;
  const comma = url.indexOf(",");
  if (/;base64,/.test(url.slice(0, comma + 1))) {
    // The URL is cut at 1024 characters: decode whole base64 quads only, and drop a UTF-8 character
    // cut there (decoded as U+FFFD).
    const b64 = url.slice(comma + 1);
    const text = Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), "base64").toString("utf8").replace(/\uFFFD+$/, "");
    const body = text.slice(text.indexOf("\n") + 1);
    // The rewritten text equals the original up to the first delegate (or the URL's cut): the module
    // sharing the longest start with it, if one alone does. Too short a common start (an import line
    // or two) would match many chunks.
    if (text.startsWith("import { handlers as __ctxcHandlers }")) {
      let best = MIN_COMMON_START;
      let matches: string[] = [];
      for (const dir of distDirs) {
        for (const [path, head] of heads(dir)) {
          const n = commonStart(head, body);
          if (n > best) [best, matches] = [n, [path]];
          else if (n === best) matches.push(path);
        }
      }
      if (matches.length === 1) found = moduleAt(matches[0]!);
    }
  }
  originals.set(url, found);
  return found;
}

/** Characters a rewritten chunk's prefix must share with its original (more than a couple of import lines). */
const MIN_COMMON_START = 199;

/** Length of the common start of `a` and `b`. */
function commonStart(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Bytes of each module's start compared with a rewritten chunk's prefix (more than the ~750 a 1024-character URL holds). */
const HEAD_BYTES = 2048;
const headsByDir = new Map<string, Map<string, string>>();

/** The first {@link HEAD_BYTES} of each script in `dir` (read once: a release's dist/ holds thousands). */
function heads(dir: string): Map<string, string> {
  let m = headsByDir.get(dir);
  if (m) return m;
  m = new Map();
  const buf = Buffer.alloc(HEAD_BYTES);
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    // Not the rewritten copies matrix tests write next to a chunk for their run (bench/lib/openclaw-intercepted.ts).
    if (!/\.m?js$/.test(f) || rewrittenCopyWriter(f) !== undefined) continue;
    const path = join(dir, f);
    const fd = openSync(path, "r");
    try {
      const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
      m.set(path, buf.toString("utf8", 0, n).replace(/\uFFFD+$/, ""));
    } finally {
      closeSync(fd);
    }
  }
  headsByDir.set(dir, m);
  return m;
}
