/**
 * Locator check over the unpacked dist/ of every stable and extended-stable OpenClaw release
 * (scripts/install-releases.sh → .cache/openclaw-dist/<version>/package/): `planPreload(root)` must return
 * a plan for every release that keeps transcripts in JSONL files and, for the releases that moved them
 * into SQLite, a one-line reason that names SQLite — the gateway then runs stock and the log says why.
 *
 * Run by scripts/matrix.sh with CTXC_OPENCLAW_DIST set to the folder of unpacked releases; skipped
 * without it (the main suite, or a machine where the installer has not run).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const distRoot = process.env.CTXC_OPENCLAW_DIST;

/** The first stable release whose transcripts live in SQLite (upstream PR #98236; 2026.7.2-beta.1 was the first beta). */
const FIRST_SQLITE = [2026, 8, 1];
const isSqliteEra = (version: string): boolean => {
  if (/^2026\.7\.2-beta\./.test(version)) return true; // the betas after 7.1 (7.33–7.35 are JSONL extended-stable)
  const v = version.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if (v[i] !== FIRST_SQLITE[i]) return v[i]! > FIRST_SQLITE[i]!;
  return true;
};

process.env.CTXC_OPENCLAW_PRELOAD = "off"; // import the helpers without installing hooks in the test process
const { planPreload } = await import("../../src/openclaw/register.js");
const { locateRelease } = await import("../../src/openclaw/release/locate.js");
const { workerJudgeSetting } = await import("../../src/openclaw/preload-install.js");
type PreloadHookData = import("../../src/openclaw/preload-hooks.js").PreloadHookData;

describe("release locator over every published dist/", () => {
  if (!distRoot) {
    it.skip("needs CTXC_OPENCLAW_DIST (scripts/matrix.sh sets it after scripts/install-releases.sh)", () => {});
    return;
  }
  const releases = existsSync(distRoot) ? readdirSync(distRoot).filter((v) => existsSync(join(distRoot, v, "package", "package.json"))) : [];

  it("finds unpacked releases of both eras", () => {
    expect(releases.filter((v) => !isSqliteEra(v)).length).toBeGreaterThan(0);
    expect(releases.filter(isSqliteEra).length).toBeGreaterThan(0);
  });

  for (const version of releases) {
    const root = join(distRoot, version, "package");
    const era = isSqliteEra(version) ? "SQLite" : "JSONL";
    it(`${version} (${era} transcripts)`, () => {
      // The folder really is that release (the locator reads its package.json).
      expect(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version).toBe(version);
      const plan = planPreload(root);
      if (era === "JSONL") {
        expect(plan, `expected a plan for ${version}`).toBeTypeOf("object");
        // The rewrite as an append: where rewriteFile re-reads and re-parses what it wrote (2026.6.9+), with
        // both entry-cache followers; earlier releases have another rewriteFile and stay stock, saying why.
        const { served, stock } = plan as { served: string[]; stock: string[] };
        const [minor, patch] = version.split(".").slice(1).map(Number) as [number, number];
        const rewrite = minor > 6 || (minor === 6 && patch >= 9);
        expect(served.filter((s) => /rewrite as append|follower/.test(s)).length, version).toBe(rewrite ? 3 : 0);
        // The repair pass's image judge (2026.6.5+) runs in the workers: its module's shape is checked in every such release.
        const judges = minor > 6 || (minor === 6 && patch >= 5);
        expect(served.includes("image judging in the workers (isCorruptedImageContentBlock)"), version).toBe(judges);
        expect(stock.filter((s) => s.startsWith("image judging")), version).toEqual([]);
        // The operator's switch: off leaves the judging on the main thread, and the log lines say so.
        const copy = { ...(plan as PreloadHookData), served: [...served], stock: [...stock] };
        expect(workerJudgeSetting(copy, {}), version).toBe(judges ? (plan as PreloadHookData).imageJudge : undefined);
        expect(workerJudgeSetting(copy, { CTXC_OPENCLAW_WORKER_JUDGE: "off" }), version).toBeUndefined();
        expect([copy.served.some((s) => s.startsWith("image judging")), copy.stock.some((s) => /^image judging .*CTXC_OPENCLAW_WORKER_JUDGE=off/.test(s))], version).toEqual([false, judges]);
        if (!rewrite) expect(stock.some((s) => s.startsWith("rewrite as append (SessionManager.rewriteFile) (")), version).toBe(minor > 5 || patch >= 28);
        // The workspace bootstrap read is served in every JSONL release; from 2026.5.18 the composition above it
        // and the context builder run as the release's own, each named in the log's stock line with why.
        expect(served, version).toContain("workspace bootstrap read (loadWorkspaceBootstrapFiles)");
        // The session write lock's fs reads (OpenClaw's realpath and inline mkdir, fs-safe's folder check, lock-file snapshot and new lock file's stat), in every JSONL release.
        expect(served, version).toContain("lock path realpath (resolveNormalizedSessionFile)");
        expect(served, version).toContain("lock folder check and realpath (resolveNormalizedTargetPath)");
        expect(served, version).toContain("lock-file snapshot (readLockSnapshot)");
        expect(served, version).toContain("lock folder mkdir (in acquireSessionWriteLock)");
        expect(served, version).toContain("lock file stat (in fs-safe's lock acquire)");
        expect(served, version).toContain("lock file create and payload write (in fs-safe's lock acquire)");
        // The run's hadSessionFile stat, pinned by its statement in every JSONL release's runEmbeddedAttempt.
        expect(served, version).toContain("session file check (hadSessionFile, in runEmbeddedAttempt)");
        const own = minor > 5 || patch >= 18;
        expect(served.includes("bootstrap files"), version).toBe(!own);
        if (own) expect(stock.join("\n"), version).toMatch(/bootstrap files \(2026\.\d+\.\d+–2026\.7\.\d+: the release's own filters and hooks run/);
        if (own) expect(stock.join("\n"), version).toMatch(/bootstrap context \(2026\.5\.18–2026\.7\.35: no file I\/O to move/);
        // 2026.5.28–6.8: a rewriteFile that never runs per turn, left stock by its shape (shapes.ts STOCK_SHAPES).
        if (!rewrite && (minor > 5 || patch >= 28)) expect(stock.join("\n"), version).toMatch(/rewriteFile\) \(2026\.[56]\.\d+(–2026\.6\.8)?: no per-turn rewrite/);
        // 2026.5.12–5.27 open sessions through pi: served for the pi each release pins (unpacked beside its
        // dist/ by the installer, where Node finds it): 0.74.0–0.75.4 as such, 0.75.5 with its path rules.
        const pinned = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> }).dependencies?.["@earendil-works/pi-coding-agent"];
        if (pinned) expect(served, version).toContain(`session open (pi ${pinned} SessionManager.open)`);
        else expect(served.some((s) => s.startsWith("session open (pi ")), version).toBe(false);
        // The session-file fence's digest (2026.6.6+) is served in every release that has it; in the others it
        // is absent — not found by the locator, and neither served nor listed as stock (nothing to say).
        const digest = minor > 6 || (minor === 6 && patch >= 6);
        const located = locateRelease(root, version).functions.get("readSessionFileDigest") ?? [];
        expect(located.length, version).toBe(digest ? 1 : 0);
        if (digest) expect(served, version).toContain("session-fence digest (readSessionFileDigest)");
        else expect([...served, ...stock].filter((s) => s.includes("readSessionFileDigest")), version).toEqual([]);
      } else {
        expect(plan).toBeTypeOf("string");
        expect(plan as string).toMatch(/sqlite/i);
        expect(plan as string).not.toMatch(/\n/);
      }
    });
  }
});
