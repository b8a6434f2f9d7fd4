/**
 * The names of the rewritten chunk copies the matrix tests write next to a release's real chunks
 * (bench/lib/rewritten-copy.ts): every scanner of a release's dist/ skips exactly these, so they must be
 * told apart from every real chunk name, and the writer's pid read back (orphans of dead processes removed).
 */
import { describe, expect, it } from "vitest";
import { rewrittenCopyPath, rewrittenCopyWriter } from "../../bench/lib/rewritten-copy.js";

describe("rewritten chunk copies", () => {
  it("a copy's name gives back its writer's pid, for every name the intercepted imports and the session-manager pairs use", () => {
    for (const [real, pid, name] of [["/r/dist/session-manager-buX5IgDX.js", 4242, "loadEntriesFromFile"], ["/r/dist/a-1_b-C2d3.mjs", 7, "stock"], ["/r/dist/x-AbCdEfGh.js", 123456, "servedfirst"]] as const) {
      const copy = rewrittenCopyPath(real, pid, name);
      expect(copy.startsWith(real.replace(/\.m?js$/, "")), copy).toBe(true);
      expect(rewrittenCopyWriter(copy), copy).toBe(pid);
    }
    // As openclaw-session-manager.ts named its pairs before (still in a shared release cache).
    expect(rewrittenCopyWriter("session-manager-buX5IgDX.ctxc-stock-2990.js")).toBe(2990);
    expect(rewrittenCopyWriter("session-manager-buX5IgDX.ctxc-served-first17074-17074.js")).toBe(17074);
  });

  it("no real chunk name is taken for a copy", () => {
    for (const f of ["session-manager-buX5IgDX.js", "keyed-async-queue-Ab-d_123.js", "paths-ctxc-1234.js", "ctxc-test-12-x.js.map", "index.js", "a.ctxc-test-12-x.json", "a.ctxc-other-12.js"]) {
      expect(rewrittenCopyWriter(f), f).toBeUndefined();
    }
  });
});
