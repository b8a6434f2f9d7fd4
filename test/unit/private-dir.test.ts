/**
 * checkPrivateDir, the public helper behind `cacheDir` (and, later, the OpenClaw preload's cache under
 * OpenClaw's state dir): creates a missing directory 0700 with its missing parents, accepts it again
 * with the same identity, and refuses — without creating anything — what another user could read, plant
 * files in or swap. The compiler-level behaviour (reports, CACHE_DIR_REFUSED) is in
 * test/reliability/persistent-index-security.test.ts.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPrivateDir } from "../../src/index.js";
import { checkPrivateDir as fromOpenClaw } from "../../src/openclaw/index.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("private-dir");
/** Cases that hand a file or directory to another user (chown) need root; elsewhere they are skipped. */
const AS_ROOT = process.getuid?.() === 0;

describe("checkPrivateDir", () => {
  it("creates a missing directory and its missing parents 0700; a second check finds the same directory", () => {
    const path = join(dir, "state", "ctxc", "index");
    const first = checkPrivateDir(path);
    expect(first).toMatchObject({ ok: true, path });
    for (const d of [join(dir, "state"), join(dir, "state", "ctxc"), path]) expect(lstatSync(d).mode & 0o7777).toBe(0o700);
    const again = checkPrivateDir(path, false);
    expect(again).toEqual(first);
    expect(fromOpenClaw).toBe(checkPrivateDir);
  });

  it("with create false, a missing directory is refused, not created", () => {
    const path = join(dir, "missing");
    expect(checkPrivateDir(path, false)).toEqual({ ok: false, path, reason: "cannot be examined (ENOENT)" });
    expect(existsSync(path)).toBe(false);
  });

  it.skipIf(!AS_ROOT)("refuses a symlink, another user's directory, one others can write, and creates nothing under a parent others can write", () => {
    const real = join(dir, "real");
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(dir, "link"));
    expect(checkPrivateDir(join(dir, "link"))).toMatchObject({ ok: false, reason: "is a symbolic link" });

    const foreign = join(dir, "foreign");
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 65534, 65534);
    expect(checkPrivateDir(foreign)).toMatchObject({ ok: false, reason: `is owned by uid 65534, not by the current user (uid ${process.getuid!()})` });

    const open = join(dir, "open");
    mkdirSync(open);
    chmodSync(open, 0o775);
    expect(checkPrivateDir(open)).toMatchObject({ ok: false, reason: "is writable by group or others (mode 0775)" });
    const under = join(open, "a", "b");
    expect(checkPrivateDir(under)).toMatchObject({ ok: false, reason: `its parent ${open} is writable by group or others and not sticky (mode 0775)` });
    expect(existsSync(join(open, "a"))).toBe(false);
  });
});
