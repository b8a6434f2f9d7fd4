/**
 * The preload's generated wrapper modules (src/openclaw/preload-hooks.ts) are the one place where ctxc
 * writes JavaScript, and the only outside input in them is module URLs: the OpenClaw install's path
 * (and the ctxc install's) — never a transcript path or transcript bytes, which reach only the runtime's
 * functions as data at call time. Each URL enters the source through JSON.stringify, which yields a
 * complete, single-line JS string literal for every string (quotes and backslashes escaped, line
 * terminators — \n, \r, U+2028/U+2029 — escaped or valid inside a literal since ES2019), so no path can end
 * the literal and become code.
 *
 * Shown here with installs under hostile directory names (quotes, newlines, `*\/`, `${`, backticks,
 * `+`/`%`/`?`/`#`, unicode, a right-to-left override): through both hook routes (in-thread data: URLs,
 * off-thread ctxc-openclaw: URLs + load), the generated module (1) has the token skeleton of the one
 * generated for a plain path — only the contents of string literals differ; (2) imports and re-exports
 * exactly the real module at that path; (3) runs none of the code the names spell.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createPreloadHooks, wrapperSource, type PreloadHookData } from "../../src/openclaw/preload-hooks.js";
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

const KINDS = ["pi", "transcript", "bootstrap"] as const;
type Kind = (typeof KINDS)[number];

/** An install under `name`: the real modules (tagging their exports) and a runtime whose wrappers tag what they wrap. */
function install(name: string): { data: PreloadHookData; real: Record<Kind, string> } {
  const base = join(root, name, "node_modules");
  const dist = join(base, "openclaw", "dist");
  const ctxc = join(base, "ctxc", "dist");
  mkdirSync(dist, { recursive: true });
  mkdirSync(ctxc, { recursive: true });
  const real = { pi: join(dist, "pi.mjs"), transcript: join(dist, "transcript.mjs"), bootstrap: join(dist, "bootstrap.mjs") };
  writeFileSync(real.pi, `export const SessionManager = "real-sm";\nexport const CURRENT_SESSION_VERSION = 3;\nexport const at = import.meta.url;\n`);
  writeFileSync(real.transcript, `export const b = "real-b";\nexport const B = "real-B";\nexport const other = "kept";\nexport const at = import.meta.url;\n`);
  writeFileSync(real.bootstrap, `export const o = "real-o";\nexport const n = "real-n";\nexport const other = "kept";\nexport const at = import.meta.url;\n`);
  writeFileSync(join(dist, "internal-hooks.mjs"), `export const m = "trigger";\nexport const n = "create";\n`);
  writeFileSync(join(dist, "session-key.mjs"), `export const u = "agent-of";\n`);
  const runtime = join(ctxc, "preload-runtime.mjs");
  writeFileSync(
    runtime,
    [
      `export const wrapSessionManager = (x) => ["wrapped", x];`,
      `export const wrapPrewarm = (x) => ["wrapped", x];`,
      `export const wrapRepair = (x) => ["wrapped", x];`,
      `export const wrapResolveBootstrapFiles = (x, deps) => ["wrapped", x, deps.triggerInternalHook, deps.createInternalHookEvent, deps.resolveAgentIdFromSessionKey];`,
      `export const wrapBuildBootstrapContext = (x) => ["wrapped", x];`,
      "",
    ].join("\n"),
  );
  const data: PreloadHookData = {
    parentUrl: pathToFileURL(join(dist, "selection.js")).href,
    runtimeUrl: pathToFileURL(runtime).href,
    targets: { pi: "pi", transcript: "transcript", bootstrap: "bootstrap" },
    bootstrapDeps: { internalHooks: "./internal-hooks.mjs", sessionKey: "./session-key.mjs" },
  };
  return { data, real };
}

/** The source with every JSON/JS double-quoted string literal's contents blanked: what is code, not data. */
function skeleton(source: string): string {
  return source.replace(/"(?:[^"\\\n\r]|\\[\s\S])*"/g, '""');
}

const plain = install("plain");
const plainSkeleton = Object.fromEntries(KINDS.map((k) => [k, skeleton(wrapperSource(k, pathToFileURL(plain.real[k]).href, plain.data))])) as Record<Kind, string>;

/** What the wrapper of `kind` must export for the install `real`. */
function expected(kind: Kind, real: Record<Kind, string>): Record<string, unknown> {
  const at = pathToFileURL(real[kind]).href;
  switch (kind) {
    case "pi":
      return { SessionManager: ["wrapped", "real-sm"], CURRENT_SESSION_VERSION: 3, at };
    case "transcript":
      return { b: ["wrapped", "real-b"], B: ["wrapped", "real-B"], other: "kept", at };
    case "bootstrap":
      return { o: ["wrapped", "real-o", "trigger", "create", "agent-of"], n: ["wrapped", "real-n"], other: "kept", at };
  }
}

const dataUrl = (source: string) => `data:text/javascript,${encodeURIComponent(source)}`;

describe("preload wrapper modules: paths are data, never code", () => {
  it("JSON.stringify keeps each hostile name one literal: the code skeleton is the plain path's", () => {
    for (const name of HOSTILE) {
      const { data, real } = install(name);
      for (const kind of KINDS) {
        const url = pathToFileURL(real[kind]).href;
        expect(skeleton(wrapperSource(kind, url, data)), `${kind} under ${JSON.stringify(name)}`).toBe(plainSkeleton[kind]);
        // Unencoded too (a hook may hand over any string): still one literal each.
        const raw = `file://${real[kind]}`;
        expect(skeleton(wrapperSource(kind, raw, { ...data, runtimeUrl: `file://${name}` })), `${kind}, raw ${JSON.stringify(name)}`).toBe(plainSkeleton[kind]);
      }
    }
  });

  for (const inline of [true, false]) {
    it(`${inline ? "in-thread (data: URL)" : "off-thread (ctxc-openclaw: URL + load)"}: the module loads the real exports from the hostile path and runs nothing else`, async () => {
      for (const [i, name] of IMPORTABLE.entries()) {
        const { data, real } = install(name);
        const hooks = createPreloadHooks(data, inline);
        for (const kind of KINDS) {
          const next = (specifier: string) => ({ url: pathToFileURL(real[specifier as Kind]).href });
          const resolved = (await hooks.resolve(kind, { parentURL: data.parentUrl }, next)) as { url: string };
          let url = resolved.url;
          if (!inline) {
            expect(url.startsWith("ctxc-openclaw:")).toBe(true);
            const loaded = (await hooks.load(url, {}, () => ({ source: "never" }))) as { source: string };
            expect(skeleton(loaded.source)).toBe(plainSkeleton[kind]);
            url = dataUrl(loaded.source);
          }
          const mod = (await import(url)) as Record<string, unknown>;
          expect({ ...mod }, `${kind} under ${JSON.stringify(name)} (#${i})`).toEqual(expected(kind, real));
        }
      }
      expect((globalThis as Record<string, unknown>)[PWNED]).toBeUndefined();
    });
  }
});
