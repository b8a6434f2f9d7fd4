/**
 * The preload's generated modules (src/openclaw/preload-hooks.ts: the pi wrapper; src/openclaw/release/
 * rewrite.ts: the served chunks) are the one place where ctxc writes JavaScript, and the only outside
 * input ctxc puts in them is module URLs and paths: the OpenClaw install's (and the ctxc install's) —
 * never a transcript path or transcript bytes, which reach only the runtime's functions as data at call
 * time. Each enters the source through JSON.stringify, which yields a complete, single-line JS string
 * literal for every string (quotes and backslashes escaped, line terminators — \n, \r, U+2028/U+2029 —
 * escaped or valid inside a literal since ES2019), so no path can end the literal and become code. (The
 * rest of a served chunk is OpenClaw's own code, as the install holds it.)
 *
 * Shown here with installs under hostile directory names (quotes, newlines, `*\/`, `${`, backticks,
 * `+`/`%`/`?`/`#`, unicode, a right-to-left override): through both hook routes (in-thread data: URLs,
 * off-thread ctxc-openclaw: URLs + load), each generated module (1) has the token skeleton of the one
 * generated for a plain path — only the contents of string literals differ; (2) loads exactly the real
 * module at that path (the pi wrapper re-exports it; a served chunk keeps its exports, its
 * `import.meta.url`/`dirname`/`filename` are the real chunk's, its function goes through the runtime's
 * handler); (3) runs none of the code the names spell.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createPreloadHooks, piWrapperSource, type PreloadHookData } from "../../src/openclaw/preload-hooks.js";
import { findFunctions } from "../../src/openclaw/release/locate.js";
import { rewriteChunk } from "../../src/openclaw/release/rewrite.js";
import { tempDir } from "../support/tmp.js";

const root = tempDir("hostile-paths");
const PWNED = "__ctxcPwned";

const HOSTILE = [
  'q"uote\'single',
  '";globalThis.__ctxcPwned=1;"',
  "new\nline\r\u2028\u2029end",
  "*/globalThis.__ctxcPwned=1;/*",
  "${globalThis.__ctxcPwned=1}`tick`",
  "back\\slash\\u0022",
  "plus+%22%0A?real=x&y#frag",
  "ünïcødé ✓ 🎉 中文 \u202eevil",
];
/** Node refuses to import any file: URL with an encoded backslash (its own rule), so OpenClaw could not load from there either. */
const IMPORTABLE = HOSTILE.filter((name) => !name.includes("\\"));

/** A chunk as the bundler writes one: a top-level function, its export alias, uses of import.meta. */
const CHUNK = [
  "async function prewarmSessionFile(sessionFile) {",
  '\treturn "orig:" + sessionFile;',
  "}",
  "const at = import.meta.url;",
  "const dir = import.meta.dirname;",
  "const file = import.meta.filename;",
  "export { prewarmSessionFile as b, at, dir, file };",
  "//# sourceMappingURL=chunk.js.map",
  "",
].join("\n");

interface Install {
  data: PreloadHookData;
  pi: string;
  chunk: string;
  parent: string;
}

/** An install under `name`: a fake pi, a chunk served rewritten, and a runtime whose handlers tag what they wrap. */
function install(name: string): Install {
  const base = join(root, name, "node_modules");
  const dist = join(base, "openclaw", "dist");
  const ctxc = join(base, "ctxc", "dist");
  mkdirSync(dist, { recursive: true });
  mkdirSync(ctxc, { recursive: true });
  const pi = join(dist, "pi.mjs");
  const chunk = join(dist, "chunk.mjs");
  writeFileSync(pi, `export const SessionManager = "real-sm";\nexport const CURRENT_SESSION_VERSION = 3;\nexport const at = import.meta.url;\n`);
  writeFileSync(chunk, CHUNK);
  const runtime = join(ctxc, "preload-runtime.mjs");
  writeFileSync(
    runtime,
    [
      `export const wrapSessionManager = (x) => ["wrapped", x];`,
      `export const handlers = { prewarmSessionFile: async (original, args) => ["wrapped", await original(...args)] };`,
      "",
    ].join("\n"),
  );
  const runtimeUrl = pathToFileURL(runtime).href;
  const chunkUrl = pathToFileURL(chunk).href;
  const [fn] = findFunctions(CHUNK, "prewarmSessionFile", chunk);
  const data: PreloadHookData = {
    version: "test",
    runtimeUrl,
    chunks: { [chunkUrl]: rewriteChunk(CHUNK, chunkUrl, runtimeUrl, [{ fn: fn!, handler: "prewarmSessionFile", helpers: [] }]) },
    pi: { parentUrl: pathToFileURL(join(dist, "selection.js")).href },
    served: [],
    stock: [],
    located: { ms: 0, filesRead: 0, fullScan: false },
  };
  return { data, pi, chunk, parent: data.pi!.parentUrl };
}

/** The source with every JSON/JS double-quoted string literal's contents blanked: what is code, not data. */
function skeleton(source: string): string {
  return source.replace(/"(?:[^"\\\n\r]|\\[\s\S])*"/g, '""').replace(/\/\/# sourceMappingURL=\S*/g, "//# sourceMappingURL=");
}

const plain = install("plain");
const plainPi = skeleton(piWrapperSource(pathToFileURL(plain.pi).href, plain.data.runtimeUrl));
const plainChunk = skeleton(Object.values(plain.data.chunks)[0]!);

const dataUrl = (source: string) => `data:text/javascript,${encodeURIComponent(source)}`;

describe("preload generated modules: paths are data, never code", () => {
  it("JSON.stringify keeps each hostile name one literal: the code skeleton is the plain path's", () => {
    for (const name of HOSTILE) {
      const { data, pi } = install(name);
      expect(skeleton(piWrapperSource(pathToFileURL(pi).href, data.runtimeUrl)), `pi under ${JSON.stringify(name)}`).toBe(plainPi);
      // Unencoded too (a hook may hand over any string): still one literal each.
      expect(skeleton(piWrapperSource(`file://${pi}`, `file://${name}`)), `pi, raw ${JSON.stringify(name)}`).toBe(plainPi);
      const source = Object.values(data.chunks)[0]!;
      expect(skeleton(source), `chunk under ${JSON.stringify(name)}`).toBe(plainChunk);
      // The sourceMappingURL stays one comment line: a URL, whose serialisation escapes line breaks.
      expect(source.match(/\/\/# sourceMappingURL=.*$/m)![0]).not.toMatch(/[\r\u2028\u2029]/);
    }
  });

  for (const inline of [true, false]) {
    it(`${inline ? "in-thread (data: URL)" : "off-thread (ctxc-openclaw: URL + load)"}: each module loads the real code from the hostile path and runs nothing else`, async () => {
      for (const [i, name] of IMPORTABLE.entries()) {
        const { data, pi, chunk, parent } = install(name);
        const hooks = createPreloadHooks(data, inline);
        const serve = async (specifier: string, parentURL: string, real: string) => {
          const resolved = (await hooks.resolve(specifier, { parentURL }, () => ({ url: pathToFileURL(real).href }))) as { url: string };
          let url = resolved.url;
          if (!inline) {
            expect(url.startsWith("ctxc-openclaw:")).toBe(true);
            const loaded = (await hooks.load(url, {}, () => ({ source: "never" }))) as { source: string };
            url = dataUrl(loaded.source);
          }
          return (await import(url)) as Record<string, unknown>;
        };
        const piMod = await serve("@earendil-works/pi-coding-agent", parent, pi);
        expect({ ...piMod }, `pi under ${JSON.stringify(name)} (#${i})`).toEqual({ SessionManager: ["wrapped", "real-sm"], CURRENT_SESSION_VERSION: 3, at: pathToFileURL(pi).href });
        const chunkMod = await serve("./chunk.mjs", "file:///elsewhere/a.js", chunk);
        expect({ at: chunkMod.at, dir: chunkMod.dir, file: chunkMod.file }, `chunk under ${JSON.stringify(name)} (#${i})`).toEqual({ at: pathToFileURL(chunk).href, dir: join(root, name, "node_modules", "openclaw", "dist"), file: chunk });
        expect(await (chunkMod.b as (f: string) => Promise<unknown>)("s.jsonl")).toEqual(["wrapped", "orig:s.jsonl"]);
      }
      expect((globalThis as Record<string, unknown>)[PWNED]).toBeUndefined();
    });
  }
});
