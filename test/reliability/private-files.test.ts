/**
 * Every file ctxc creates is private from creation (issue 16, SECURITY.md): the persistent index's
 * directory 0700 (missing parents too) and its files 0600, the OpenClaw preload log 0600, and `--out` 0600
 * — also under a permissive umask (000), since the mode is given at creation and a umask can only take
 * bits away. Each case runs ctxc in a child process, where the umask can be set (vitest workers cannot);
 * what another user actually sees is checked as `nobody` (we run as root, which ignores permissions).
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { assistant, chain, jsonl, msg, user } from "../support/transcript-builder.js";
import { DIST_CLI, nobodyUnavailable, runNode } from "../support/child.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("private-files");
/** Cases that hand a file or directory to another user (chown) need root; elsewhere they are skipped. */
const AS_ROOT = process.getuid?.() === 0;
chmodSync(dir, 0o755); // reachable by `nobody`, who must still not read what is inside the private parts
const transcript = join(dir, "t.jsonl");
writeFileSync(transcript, jsonl(chain([msg(user("hello")), msg(assistant([{ type: "text", text: "hi" }]))])));
chmodSync(transcript, 0o644);
const RUNTIME = fileURLToPath(new URL("../../dist/src/openclaw/preload-runtime.js", import.meta.url));

const modeOf = (path: string) => lstatSync(path).mode & 0o7777;

describe("files ctxc creates are 0600, its directories 0700, whatever the umask", () => {
  for (const umask of [0o000, 0o022]) {
    const tag = umask.toString(8).padStart(3, "0");

    it(`persistent index (umask ${tag}): cacheDir and missing parents 0700, index file 0600, no temp file left`, async () => {
      const top = join(dir, `index-${tag}`);
      const cacheDir = join(top, "a", "cache");
      const r = await runNode([DIST_CLI, "build", transcript, "--cache", cacheDir, "--out", join(dir, `ignored-${tag}.json`)], { umask });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/INDEX_/);
      for (const d of [top, join(top, "a"), cacheDir]) expect(modeOf(d), d).toBe(0o700);
      const files = readdirSync(cacheDir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^[0-9a-f]{32}\.ctxc-index\.json$/);
      expect(modeOf(join(cacheDir, files[0]!))).toBe(0o600);
      // A rewrite (after a tokenizer change) replaces the file: still 0600, still one file.
      const again = await runNode([DIST_CLI, "build", transcript, "--cache", cacheDir, "--tokenizer", "estimate", "--out", join(dir, `ignored2-${tag}.json`)], { umask });
      expect(again.code).toBe(0);
      expect(readdirSync(cacheDir)).toEqual(files);
      expect(modeOf(join(cacheDir, files[0]!))).toBe(0o600);
    });

    it(`OpenClaw preload log (umask ${tag}): created 0600`, async () => {
      const log = join(dir, `preload-${tag}.log`);
      const script = `const { preloadLog } = await import(${JSON.stringify(RUNTIME)}); preloadLog("summary", "one"); preloadLog("summary", "two");`;
      const r = await runNode(["--input-type=module", "-e", script], { umask, env: { CTXC_OPENCLAW_LOG: log, CTXC_OPENCLAW_PRELOAD: "off" } });
      expect(r.stderr).toBe("");
      expect(modeOf(log)).toBe(0o600);
      expect(readFileSync(log, "utf8")).toMatch(/summary: one\n.*summary: two\n$/);
    });

    it(`--out FILE (umask ${tag}): a new file is created 0600`, async () => {
      const out = join(dir, `out-${tag}.json`);
      const r = await runNode([DIST_CLI, "build", transcript, "--out", out], { umask });
      expect(r.code).toBe(0);
      expect(modeOf(out)).toBe(0o600);
      expect(JSON.parse(readFileSync(out, "utf8")).messages).toHaveLength(2);
    });
  }

  it.skipIf(!AS_ROOT)("--out: an existing file of ours keeps its mode and is replaced; a symlink is not followed; another user's file is not written", async () => {
    const own = join(dir, "own.json");
    writeFileSync(own, "x".repeat(100_000));
    chmodSync(own, 0o640);
    expect((await runNode([DIST_CLI, "build", transcript, "--out", own])).code).toBe(0);
    expect(modeOf(own)).toBe(0o640);
    expect(JSON.parse(readFileSync(own, "utf8")).messages).toHaveLength(2); // truncated, not overwritten in part

    const target = join(dir, "victim.txt");
    writeFileSync(target, "keep me");
    const link = join(dir, "planted-link.json");
    symlinkSync(target, link);
    const viaLink = await runNode([DIST_CLI, "build", transcript, "--out", link]);
    expect(viaLink.code).not.toBe(0);
    expect(viaLink.stderr).toMatch(/symbolic link/);
    expect(viaLink.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(target, "utf8")).toBe("keep me");

    const planted = join(dir, "planted.json");
    writeFileSync(planted, "");
    chmodSync(planted, 0o666);
    chownSync(planted, 65534, 65534);
    const foreign = await runNode([DIST_CLI, "build", transcript, "--out", planted]);
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(/belongs to uid 65534/);
    expect(readFileSync(planted, "utf8")).toBe("");
  });

  const nobody = nobodyUnavailable();
  if (nobody) console.warn(`private-files: the as-nobody case is skipped: ${nobody}`);

  it.skipIf(nobody !== null)("another user (nobody) can list nothing in the cache and read no index, log or --out file", async () => {
    const cacheDir = join(dir, "seen-by-nobody", "cache");
    const log = join(dir, "seen-by-nobody.log");
    const out = join(dir, "seen-by-nobody.json");
    mkdirSync(join(dir, "seen-by-nobody"));
    chmodSync(join(dir, "seen-by-nobody"), 0o755);
    expect((await runNode([DIST_CLI, "build", transcript, "--cache", cacheDir, "--out", out])).code).toBe(0);
    const script = `const { preloadLog } = await import(${JSON.stringify(RUNTIME)}); preloadLog("summary", "x");`;
    await runNode(["--input-type=module", "-e", script], { env: { CTXC_OPENCLAW_LOG: log, CTXC_OPENCLAW_PRELOAD: "off" } });
    const index = join(cacheDir, readdirSync(cacheDir)[0]!);
    const probe = `
      const fs = await import("node:fs");
      const tryIt = (f) => { try { f(); return "ok"; } catch (e) { return e.code; } };
      console.log(JSON.stringify({
        list: tryIt(() => fs.readdirSync(${JSON.stringify(cacheDir)})),
        index: tryIt(() => fs.readFileSync(${JSON.stringify(index)})),
        log: tryIt(() => fs.readFileSync(${JSON.stringify(log)})),
        out: tryIt(() => fs.readFileSync(${JSON.stringify(out)})),
        transcript: tryIt(() => fs.readFileSync(${JSON.stringify(transcript)})),
      }));`;
    const r = await runNode(["--input-type=module", "-e", probe], { asNobody: true });
    expect(r.stderr).toBe("");
    // The transcript was left 0644 on purpose: the probe can read what it is allowed to.
    expect(JSON.parse(r.stdout)).toEqual({ list: "EACCES", index: "EACCES", log: "EACCES", out: "EACCES", transcript: "ok" });
    expect(existsSync(index) && statSync(index).uid).toBe(0);
  });
});
