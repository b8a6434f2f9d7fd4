/**
 * The release's image judge as a worker rebuilds it (native-free-workers/protocol/image-judge.ts): OpenClaw
 * 2026.6.5+'s repair pass judges every image block of a transcript with its `isCorruptedImageContentBlock`
 * (a JSON.parse of the line, a base64 pass and a signature sniff per block), on the main thread; ctxc's
 * workers run the same code instead (issue #11, an agent's first turn ever: every image line is judged once).
 *
 * What makes it the same code, checked here at gateway start:
 * - the judge and the helpers it calls are taken as source text from the chunk whose repair pass ctxc
 *   serves; their bodies are part of that pass's checked shape (shapes.ts SHAPE_DEPS), so a release whose
 *   judge calls anything else has an unknown pass shape and none of this runs;
 * - the one binding they import (`sanitizeInlineImageBase64`: the base64 and image-signature rules) is the
 *   release's own module file, which the worker imports as it is: its text and that of every module it
 *   imports must be a checked module shape (shapes.ts KNOWN_JUDGE_MODULES: pure functions and constants,
 *   no I/O, no state another caller could change), and ctxc rewrites none of them;
 * - every chunk serving the pass gives the same judge.
 * Anything else: the main thread judges, as before, and the log's stock line says why.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { KNOWN_JUDGE_MODULES, shapeOf } from "./shapes.js";
import { findFunctions, type LocatedRelease } from "./locate.js";
import type { ImageJudgeImport, ImageJudgeSpec } from "../../../native-free-workers/protocol/image-judge.js";

/** The judge's own functions in its chunk (the judge last), as 2026.6.5–2026.7.35 define it. */
const JUDGE_FUNCTIONS = ["isImageMimeType", "containsNonAscii", "isCorruptedImageContentBlock"] as const;
/** What those functions import from other chunks. */
const JUDGE_IMPORTS = ["sanitizeInlineImageBase64"] as const;
/** Modules read at most for one judge's imports (2026.6.5–2026.7.35: two, the data-URL module and base64). */
const MAX_MODULES = 4;

/** A worker's judge without its name (src/openclaw/judged-images.ts names it once the release is set). */
export type WorkerJudgePlan = Omit<ImageJudgeSpec, "name">;

/** `import { a as b, c } from "./x.js";` at column 0: its members (local → exported) and specifier. */
const IMPORT_LINE = /^import \{([^}]*)\} from "([^"]+)";$/gm;

function importsOf(source: string): { members: Map<string, string>; from: string }[] {
  return [...source.matchAll(IMPORT_LINE)].map(([, list, from]) => ({
    from: from!,
    members: new Map(
      list!
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean)
        .map((m) => {
          const [exported, local] = m.split(/\s+as\s+/) as [string, string | undefined];
          return [local ?? exported, exported] as const;
        }),
    ),
  }));
}

/**
 * The checked shape of the module at `url` and every module it imports, or why it is not one a worker may
 * import: a bare or `node:` import, a side-effect-only or dynamic import, a re-export, or more modules than
 * a judge's rules take.
 */
function moduleClosureShape(url: string): string {
  const texts: string[] = [];
  const seen = new Set<string>();
  const visit = (at: string): string | null => {
    if (seen.has(at)) return null;
    seen.add(at);
    if (seen.size > MAX_MODULES) return `imports more than ${MAX_MODULES} modules`;
    const source = readFileSync(fileURLToPath(at), "utf8");
    const file = at.slice(at.lastIndexOf("/") + 1);
    if (/^import\s+["']|^export\s+\*|^export\s+\{[^}]*\}\s+from|\bimport\s*\(|\brequire\s*\(/m.test(source)) return `${file} has a side-effect, re-exporting or dynamic import`;
    const imports = importsOf(source);
    if (source.split("\n").filter((l) => l.startsWith("import ")).length !== imports.length) return `${file} has an import ctxc does not read`;
    // Chunk names carry a build hash: the same module in another build has the same text without it.
    texts.push(source.replace(/-[\w-]{8}(\.m?js")/g, "$1"));
    for (const { from } of imports) {
      if (!from.startsWith("./")) return `${file} imports ${from}`;
      const why = visit(new URL(from, at).href);
      if (why) return why;
    }
    return null;
  };
  const why = visit(url);
  return why ?? shapeOf(texts.join("\n"));
}

/** The judge of one chunk whose served repair pass judges images, or why a worker cannot run it. */
function judgeOfChunk(source: string, file: string, rewritten: ReadonlySet<string>): WorkerJudgePlan | string {
  const functions: string[] = [];
  for (const name of JUDGE_FUNCTIONS) {
    const defs = findFunctions(source, name, file);
    if (defs.length !== 1) return `${defs.length} definitions of ${name}`;
    functions.push(source.slice(defs[0]!.start, defs[0]!.end));
  }
  const imports: ImageJudgeImport[] = [];
  for (const wanted of JUDGE_IMPORTS) {
    const hits = importsOf(source).flatMap(({ members, from }) => [...members].filter(([local]) => local.replace(/\$\d+$/, "") === wanted).map(([local, exported]) => ({ local, exported, from })));
    if (hits.length !== 1 || !hits[0]!.from.startsWith("./")) return `${wanted} is not imported once from a chunk`;
    const { local, exported, from } = hits[0]!;
    const url = new URL(from, pathToFileURL(file)).href;
    if (rewritten.has(url)) return `${from} is rewritten by ctxc`;
    const shape = moduleClosureShape(url);
    if (!KNOWN_JUDGE_MODULES[shape]) return shape.length === 12 ? `${from} module shape ${shape} unchecked` : shape;
    imports.push({ local, url, exported });
  }
  // Every name the judge's functions use from the chunk is one of these (their bodies are the checked pass
  // shape's); an import they do not use would only be dead weight.
  if (!imports.every((i) => functions.some((f) => f.includes(`${i.local}(`)))) return "an import the judge does not call";
  return { entry: JUDGE_FUNCTIONS[JUDGE_FUNCTIONS.length - 1]!, functions, imports };
}

/**
 * The judge the workers run for the served repair passes in `files` (the chunks whose pass shape judges
 * images), or why they cannot (then the main thread judges). `rewritten`: file: URLs of the chunks ctxc
 * rewrites.
 */
export function workerJudgePlan(found: LocatedRelease, files: readonly string[], rewritten: ReadonlySet<string>): WorkerJudgePlan | string {
  let plan: WorkerJudgePlan | undefined;
  for (const file of new Set(files)) {
    const got = judgeOfChunk(found.sources.get(file)!, file, rewritten);
    if (typeof got === "string") return got;
    if (plan && JSON.stringify(plan) !== JSON.stringify(got)) return "the chunks serving the repair pass have different judges";
    plan = got;
  }
  return plan ?? "no repair pass judges images";
}
