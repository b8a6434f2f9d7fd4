/**
 * release/pi-open.ts: which `SessionManager.open` arguments ctxc's pi wrapper answers itself, per pi
 * variant. (Against each release's own pi: test/matrix/pi-session-open.test.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { piWrapperSource } from "../../src/openclaw/preload-hooks.js";
import { piOpenSessionDir } from "../../src/openclaw/release/pi-open.js";

const dir = mkdtempSync(join(tmpdir(), "ctxc-pi-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pi open arguments", () => {
  it("pi 0.74–0.75.4: paths as given; an empty sessionDir stays empty; a missing one is pi's (it creates it)", () => {
    expect(piOpenSessionDir("/s/a.jsonl", undefined)).toEqual({ sessionDir: undefined });
    expect(piOpenSessionDir("~/a.jsonl", "")).toEqual({ sessionDir: "" });
    expect(piOpenSessionDir("file:///s/a.jsonl", dir)).toEqual({ sessionDir: dir });
    expect(piOpenSessionDir("/s/a.jsonl", join(dir, "missing"))).toMatch(/sessionDir does not exist/);
    expect(piOpenSessionDir(42, undefined)).toMatch(/not a string/);
  });

  it("pi 0.75.5: ~ and file: URLs (path or sessionDir) are pi's; an empty sessionDir means the file's folder", () => {
    const o = { normalisesPaths: true };
    for (const p of ["~", "~/a.jsonl", "file:///s/a.jsonl"]) expect(piOpenSessionDir(p, undefined, o), p).toMatch(/~ or file: URL/);
    expect(piOpenSessionDir("/s/a.jsonl", "~/sessions", o)).toMatch(/~ or file: URL/);
    // Not what normalizePath expands: a `~` inside a name, a relative path, a URL without `//`.
    for (const p of ["/s/~/a.jsonl", "~x/a.jsonl", "rel/a.jsonl", "file:a.jsonl"]) expect(piOpenSessionDir(p, undefined, o), p).toEqual({ sessionDir: undefined });
    expect(piOpenSessionDir("/s/a.jsonl", "", o)).toEqual({ sessionDir: undefined });
    expect(piOpenSessionDir("/s/a.jsonl", dir, o)).toEqual({ sessionDir: dir });
  });

  it("the pi wrapper module passes the variant to wrapSessionManager only when pi normalises paths", () => {
    expect(piWrapperSource("file:///pi.js", "file:///rt.js")).toContain("wrapSessionManager(real.SessionManager);");
    expect(piWrapperSource("file:///pi.js", "file:///rt.js", true)).toContain("wrapSessionManager(real.SessionManager, { normalisesPaths: true });");
  });
});
