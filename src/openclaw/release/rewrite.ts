/**
 * Serves an OpenClaw chunk with some of its top-level functions answered by ctxc first.
 *
 * For each intercepted function `NAME` the chunk keeps OpenClaw's body, renamed `NAME$openclaw`, and
 * gets a delegate under the original name that calls ctxc's handler (preload-runtime.ts `handlers`)
 * with the original, the arguments, and the chunk's own helpers the handler needs:
 *
 *     async function repairSessionFileIfNeeded(...args) {
 *       return __ctxcHandlers.repairSessionFileIfNeeded(repairSessionFileIfNeeded$openclaw, args, {});
 *     }
 *     async function repairSessionFileIfNeeded$openclaw(params) { …OpenClaw's body… }
 *
 * Renaming in place (rather than wrapping an export) catches every caller: other chunks through the
 * export alias, which names the local binding, and callers inside the chunk. A class method
 * (`Class.method`) is renamed the same way inside the class body, and its delegate also hands the
 * handler the instance: `__ctxcHandlers["Class.method"]((...a) => this.method$openclaw(...a), args, {…}, this)`.
 *
 * The rewritten source is served from a `data:` URL (preload-hooks.ts), so what a module learns from
 * its own URL is replaced by the real chunk's: `import.meta.url`/`dirname`/`filename`, and the
 * `//# sourceMappingURL` comment (made absolute). `import.meta.resolve(…)` and dynamic `import()` need
 * nothing: their resolution goes through the resolve hook, which resolves a data: chunk's specifiers
 * as the real chunk's.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { LocatedFunction } from "./locate.js";
import type { CallSite } from "./shapes.js";

/** One function to intercept in a chunk. */
export interface ChunkInterception {
  fn: LocatedFunction;
  /** Name of the handler in preload-runtime.ts `handlers`. */
  handler: string;
  /** Top-level bindings of the chunk handed to the handler (see shapes.ts `helpers`). */
  helpers: readonly string[];
  /** A call inside `fn` answered by the handler, `fn` otherwise untouched (shapes.ts `CALL_SITES`). */
  callSite?: CallSite;
}

/** Why a chunk cannot be served rewritten, or null. */
export function cannotRewrite(source: string, interceptions: readonly ChunkInterception[]): string | null {
  for (const { fn, helpers, callSite } of interceptions) {
    if (callSite) continue; // nothing renamed; the plan checked the call (plan.ts callSiteProblem)
    const own = fn.name.slice(fn.name.indexOf(".") + 1);
    if (source.includes(`${own}$openclaw`)) return `${own}$openclaw already exists`;
    for (const h of helpers) {
      // A top-level declaration of the helper: function, const/let/var, or an import binding.
      const declared = new RegExp(`(^|\\n)((async )?function ${h}\\(|(const|let|var) ${h} =|import \\{[^}\\n]*\\b(\\w+ as )?${h}\\b[^}\\n]*\\} from )`).test(source);
      if (!declared) return `${fn.name}: no top-level ${h}`;
    }
  }
  // Anything of import.meta beyond url/dirname/filename/resolve would see the data: URL.
  const other = /import\.meta(?!\.(url|dirname|filename|resolve)\b)/.exec(source);
  if (other) return `uses import.meta in a way ctxc cannot carry over (${source.slice(other.index, other.index + 30)})`;
  return null;
}

/**
 * The chunk at `chunkUrl` (file: URL) with `interceptions` applied (see the file comment). `exportScans`
 * also exports each delegate as `__ctxc_NAME`, each original as `__openclaw_NAME` and each helper as
 * `__helper_NAME`, and the runtime module instance the chunk uses as `__ctxcRuntime` (the differential
 * tests call both functions, prepare ctxc's reads and inspect OpenClaw's caches).
 */
export function rewriteChunk(source: string, chunkUrl: string, runtimeUrl: string, interceptions: readonly ChunkInterception[], exportScans = false): string {
  const file = fileURLToPath(chunkUrl);
  // Splice from the end so earlier offsets stay valid.
  const sorted = [...interceptions].sort((a, b) => b.fn.start - a.fn.start);
  let out = source;
  // Per function (by start), how much the call sites already rewritten in it lengthened it: a function may hold several.
  const grown = new Map<number, number>();
  for (const { fn, handler, helpers, callSite } of sorted) {
    if (callSite) {
      // The one call, as a thunk the handler may run: `(() => fs.mkdir(dir, …), [dir], {})`.
      const end = fn.end + (grown.get(fn.start) ?? 0);
      const body = out.slice(fn.start, end);
      const patched = body.replace(callSite.pattern, (...m: string[]) => {
        const fill = (template: string) => template.replace(/\$(\d)/g, (_, g: string) => m[Number(g)]!);
        return `__ctxcHandlers.${handler}(() => ${fill(callSite.call)}, [${fill(callSite.args)}], {})`;
      });
      if (patched === body) throw new Error(`${callSite.in}: the call is not in ${file}`);
      out = out.slice(0, fn.start) + patched + out.slice(end);
      grown.set(fn.start, (grown.get(fn.start) ?? 0) + patched.length - body.length);
      continue;
    }
    const bag = `{ ${helpers.map((h) => `${h}: () => ${h}`).join(", ")} }`;
    if (fn.name.includes(".")) {
      const method = fn.name.slice(fn.name.indexOf(".") + 1);
      if (!out.startsWith(`${method}(`, fn.start)) throw new Error(`${fn.name} is not at ${fn.start} in ${file}`);
      const delegate = `${method}(...args) {\n\t\treturn __ctxcHandlers[${JSON.stringify(handler)}]((...a) => this.${method}$openclaw(...a), args, ${bag}, this);\n\t}\n\t`;
      out = out.slice(0, fn.start) + delegate + `${method}$openclaw(` + out.slice(fn.start + method.length + 1);
      continue;
    }
    const header = `${fn.async ? "async " : ""}function ${fn.name}(`;
    if (!out.startsWith(header, fn.start)) throw new Error(`${fn.name} is not at ${fn.start} in ${file}`);
    const delegate =
      `${fn.async ? "async " : ""}function ${fn.name}(...args) {\n` +
      `\treturn __ctxcHandlers.${handler}(${fn.name}$openclaw, args, ${bag});\n}\n`;
    out = out.slice(0, fn.start) + delegate + `${fn.async ? "async " : ""}function ${fn.name}$openclaw(` + out.slice(fn.start + header.length);
  }
  out = out
    .replaceAll("import.meta.url", JSON.stringify(chunkUrl))
    .replaceAll("import.meta.filename", JSON.stringify(file))
    .replaceAll("import.meta.dirname", JSON.stringify(dirname(file)))
    .replace(/\/\/# sourceMappingURL=(\S+)\s*$/, (_, map: string) => `//# sourceMappingURL=${new URL(map, chunkUrl).href}\n`);
  // One line (the profile's enclosing-function lookup takes what follows the first line as the original's text).
  const head = `import { handlers as __ctxcHandlers } from ${JSON.stringify(runtimeUrl)}; import * as __ctxcRuntime$ from ${JSON.stringify(runtimeUrl)};\n`;
  const helpers = [...new Set(interceptions.flatMap((i) => i.helpers))];
  // Once the chunk has evaluated (every binding initialised), the runtime learns its handlers and helpers
  // (preload-runtime.ts chunkEvaluated: the restart warm-up); a runtime without it is skipped, nothing thrown.
  const names = JSON.stringify(interceptions.map((i) => i.handler));
  const evaluated = `\n;try { __ctxcRuntime$.chunkEvaluated?.(${names}, { ${helpers.map((h) => `${h}: () => ${h}`).join(", ")} }); } catch {}\n`;
  const tail = exportScans
    ? `\nexport { ${[
        ...interceptions.filter(({ fn, callSite }) => !fn.name.includes(".") && !callSite).map(({ fn }) => `${fn.name} as __ctxc_${fn.name}, ${fn.name}$openclaw as __openclaw_${fn.name}`),
        ...helpers.map((h) => `${h} as __helper_${h}`),
      ].join(", ")} };\nexport * as __ctxcRuntime from ${JSON.stringify(runtimeUrl)};\n`
    : "";
  return head + out + evaluated + tail;
}
