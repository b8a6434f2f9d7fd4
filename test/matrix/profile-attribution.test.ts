/**
 * The real-gateway profile summary (bench/real-gateway/profile-summary.ts) against one release's own
 * dist/ (CTXC_OPENCLAW_ROOT, as every matrix test): the session-fence code that reads the transcript
 * is counted as transcript work.
 *
 * - The digest's `data` callback (2026.6.6 → 2026.7.x: `readSessionFileDigest` streams the file through
 *   sha256) is named after `readSessionFileDigest` from the release's source, as a profile frame at
 *   that position would be.
 * - Every fs call on the session file in the fence's chunk (the one defining
 *   `readSessionFileFenceSnapshot`) sits in a function the transcript categories list, or in one that is
 *   knowingly left out below — so a release that adds a reader fails here until it is listed.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as TS from "typescript";
import { describe, expect, it } from "vitest";
import { rewrittenCopyWriter } from "../../bench/lib/rewritten-copy.js";
import { anonymousResolver } from "../../bench/real-gateway/enclosing-function.js";
import { CATEGORIES } from "../../bench/real-gateway/profile-summary.js";

const root = process.env.CTXC_OPENCLAW_ROOT;
const ts = createRequire(import.meta.url)("typescript") as typeof TS;

/**
 * Functions of the fence's chunk that touch the session file and are not transcript reads of their own:
 * the attempt itself (it opens the SessionManager — listed functions below it), the new-session header
 * write, the lock controller's write wrapper (its readFileSync shares the frame with the write it wraps),
 * and the trajectory pointer (another file, written through a descriptor).
 */
const NOT_TRANSCRIPT_READS = new Set(["runEmbeddedAttempt", "prepareSessionManagerForRun", "withOwnedSessionFileWrite", "writeTrajectoryPointerBestEffort"]);


const FS_CALL = /(^|\.)(readFile|readFileSync|createReadStream|open|openSync|read|readSync|stat|statSync|lstat|lstatSync)$/;

/** Named function around each fs call whose first argument names the session file, in `source`. */
function sessionFileReaders(source: string, file: string): Set<string> {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const out = new Set<string>();
  const named = (n: TS.Node): string => {
    for (let x: TS.Node | undefined = n.parent; x; x = x.parent) {
      if (ts.isFunctionLike(x) && x.name && ts.isIdentifier(x.name)) return x.name.text;
      // `const NAME = () => …` and `{ NAME: async () => … }`: V8 names these after the binding.
      if ((ts.isArrowFunction(x) || ts.isFunctionExpression(x)) && (ts.isVariableDeclaration(x.parent) || ts.isPropertyAssignment(x.parent)) && ts.isIdentifier(x.parent.name)) return x.parent.name.text;
    }
    return "(module top level)";
  };
  const visit = (n: TS.Node): void => {
    if (ts.isCallExpression(n) && FS_CALL.test(n.expression.getText(sf)) && /sessionFile\b/.test(n.arguments[0]?.getText(sf) ?? "")) out.add(named(n));
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The digest's `data` callback in `file`, as a profile frame gives it, is named readSessionFileDigest. */
function expectDigestCallbackNamed(file: string, dist: string): void {
  const source = readFileSync(file, "utf8");
  const fn = source.indexOf("async function readSessionFileDigest(");
  const onData = source.indexOf('.on("data", ', fn);
  expect(onData, "the stream's data handler").toBeGreaterThan(fn);
  // V8's position of an arrow with parenthesised parameters: its "(".
  const at = onData + '.on("data", '.length;
  expect(source[at]).toBe("(");
  const before = source.slice(0, at);
  const line = before.split("\n").length - 1;
  const column = at - (before.lastIndexOf("\n") + 1);
  expect(anonymousResolver([dist], [])(pathToFileURL(file).href, line, column)).toBe("readSessionFileDigest");
}

describe("profile attribution of the session fence", () => {
  if (!root) {
    it.skip("needs CTXC_OPENCLAW_ROOT (scripts/matrix.sh)", () => {});
    return;
  }
  const dist = join(root, "dist");
  const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
  const [, minor = 0, patch = 0] = version.split(/[.-]/).map(Number);
  // Not the rewritten copies other matrix tests write beside a chunk while they run (bench/lib/openclaw-intercepted.ts).
  const chunks = readdirSync(dist).filter((f) => f.endsWith(".js") && rewrittenCopyWriter(f) === undefined).map((f) => join(dist, f));
  const defining = (needle: string) => chunks.filter((f) => readFileSync(f, "utf8").includes(needle));
  const transcriptNames = new Set(CATEGORIES.filter(([c]) => c.startsWith("transcript")).flatMap(([, fns]) => [...fns]));

  it(`${version}: the digest's data callback is charged to readSessionFileDigest`, () => {
    const files = defining("async function readSessionFileDigest(");
    // 2026.6.6 added the digest; 2026.8 moved transcripts into SQLite.
    const expected = (minor === 6 && patch >= 6) || minor === 7;
    expect(files.length > 0, version).toBe(expected);
    for (const file of files) expectDigestCallbackNamed(file, dist);
  });

  it(`${version}: every reader of the session file in the fence's chunk is a listed transcript function`, () => {
    const files = defining("async function readSessionFileFenceSnapshot(");
    if (!existsSync(dist) || files.length === 0) {
      // The fence (fingerprint + snapshot) came with 2026.5.22 and left with the JSONL files.
      expect(minor === 5 ? patch < 22 : minor >= 8, version).toBe(true);
      return;
    }
    const readers = [...new Set(files.flatMap((f) => [...sessionFileReaders(readFileSync(f, "utf8"), f)]))];
    expect(readers.length).toBeGreaterThan(0);
    expect(readers.filter((r) => !transcriptNames.has(r) && !NOT_TRANSCRIPT_READS.has(r)).sort(), version).toEqual([]);
  });
});
