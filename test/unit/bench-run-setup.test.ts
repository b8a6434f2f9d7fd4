/**
 * bench/lib/run-setup.ts: which OpenClaw release a bench runs (`--openclaw` version or folder, else
 * CTXC_OPENCLAW_ROOT, else the default), the Node check against the release's engines (the matrix's own
 * rule, scripts/lib/pick-node.mjs, whose pick the message must name), and a built bench's `--help` and
 * the one-line exit 1 it gives on misuse (run as the benches run: in a child process).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cachedNode, DEFAULT_OPENCLAW, findRelease, nodeMismatch } from "../../bench/lib/run-setup.js";
import { runNode } from "../support/child.js";
import { tempDir } from "../support/tmp.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const dir = tempDir("bench-run-setup");

/** An OpenClaw package.json at `root` (version, engines.node when given). */
function fakeRelease(root: string, version: string, engines?: string): string {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "openclaw", version, ...(engines ? { engines: { node: engines } } : {}) }));
  return root;
}
/** A repo folder with releases installed under .cache/openclaw and Node binaries under .cache/node (empty files). */
function fakeRepo(name: string, releases: Record<string, string | undefined>, nodes: string[]): string {
  const repo = join(dir, name);
  for (const [v, engines] of Object.entries(releases)) fakeRelease(join(repo, ".cache", "openclaw", v, "node_modules", "openclaw"), v, engines);
  for (const v of nodes) {
    mkdirSync(join(cachedNode(v, repo), ".."), { recursive: true });
    writeFileSync(cachedNode(v, repo), "");
  }
  return repo;
}

describe("findRelease: --openclaw, then CTXC_OPENCLAW_ROOT, then the default", () => {
  const repo = fakeRepo("releases", { "2026.7.35": undefined, "2026.5.12": undefined }, []);
  const elsewhere = fakeRelease(join(dir, "elsewhere", "openclaw"), "2026.6.11");

  it("a version flag names the release installed under .cache/openclaw", () => {
    expect(findRelease("2026.5.12", elsewhere, repo)).toEqual({ root: join(repo, ".cache", "openclaw", "2026.5.12", "node_modules", "openclaw"), version: "2026.5.12" });
  });
  it("a folder flag is the package itself, its version read from it", () => {
    expect(findRelease(elsewhere, undefined, repo)).toEqual({ root: elsewhere, version: "2026.6.11" });
  });
  it("without the flag CTXC_OPENCLAW_ROOT, without both the default", () => {
    expect(findRelease(undefined, elsewhere, repo)).toEqual({ root: elsewhere, version: "2026.6.11" });
    expect(findRelease(undefined, undefined, repo)).toMatchObject({ version: DEFAULT_OPENCLAW });
  });
  it("a release not installed: one line in the user's words, with what is installed", () => {
    const missing = findRelease("2026.1.1", undefined, repo);
    expect(missing).toMatch(/^--openclaw 2026\.1\.1: no OpenClaw package at .*2026\.1\.1\/node_modules\/openclaw \(installed: 2026\.5\.12, 2026\.7\.35; scripts\/install-releases\.sh/);
    expect(findRelease(undefined, join(dir, "nowhere"), repo)).toMatch(/^CTXC_OPENCLAW_ROOT=.*nowhere: no OpenClaw package/);
    expect(findRelease(undefined, undefined, join(dir, "empty"))).toMatch(/^--openclaw 2026\.7\.35 \(the default\): no OpenClaw package .*\(installed: none;/);
  });
});

describe("nodeMismatch: the running Node against the release's engines, as the matrix picks", () => {
  const engines = ">=22.22.3 <23 || >=24.15.0 <25 || >=25.9.0";
  const repo = fakeRepo("nodes", { "2026.7.35": engines, "2026.5.12": ">=22.16.0", "9.9.9": ">=99" }, ["22.16.0", "24.22.3"]);
  const release = (v: string) => findRelease(v, undefined, repo) as Exclude<ReturnType<typeof findRelease>, string>;

  it("an accepted Node passes, an engines-less release takes any", async () => {
    expect(await nodeMismatch(release("2026.7.35"), "--openclaw 2026.7.35", "24.22.3", repo)).toBeUndefined();
    expect(await nodeMismatch(release("2026.5.12"), "--openclaw 2026.5.12", "22.16.0", repo)).toBeUndefined();
    const bare = fakeRelease(join(dir, "bare", "openclaw"), "2026.6.1");
    expect(await nodeMismatch({ root: bare, version: "2026.6.1" }, "--openclaw x", "18.0.0", repo)).toBeUndefined();
  });
  it("a refused Node: the range, this Node, and the installed Node pick-node.mjs picks for it", async () => {
    const picked = execFileSync(process.execPath, [join(REPO, "scripts", "lib", "pick-node.mjs"), join(release("2026.7.35").root, "package.json"), "22.16.0", "24.22.3"], { encoding: "utf8" }).trim();
    const line = await nodeMismatch(release("2026.7.35"), "--openclaw 2026.7.35", "20.20.2", repo);
    expect(line).toContain(`--openclaw 2026.7.35: OpenClaw 2026.7.35 asks for Node ${engines} (its engines field); this is Node v20.20.2: run it with ${cachedNode(picked, repo)} `);
    expect(picked).toBe("24.22.3");
  });
  it("no installed Node fits: says how to fetch one", async () => {
    expect(await nodeMismatch(release("9.9.9"), "--openclaw 9.9.9", "24.22.3", repo)).toMatch(/asks for Node >=99 .*none installed fits \(22\.16\.0, 24\.22\.3\): scripts\/fetch-node\.sh VERSION/);
  });
});

describe("a built bench on misuse: one line on stderr, exit 1, before anything runs", () => {
  const bench = (name: string) => join(REPO, "dist", "bench", `${name}.js`);

  it("--help prints the bench's own doc comment (its usage line included) and exits 0", async () => {
    const r = await runNode([bench("openclaw-rewrite"), "--help", "--bogus"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Main-thread cost of OpenClaw's end-of-turn flush/);
    expect(r.stdout).toContain("node dist/bench/openclaw-rewrite.js [--openclaw 2026.7.35|ROOT] [--sizes 1,10,28] [--runs 7]\n");
    expect(r.stdout).not.toMatch(/^\s*\*/m);
  });
  it("an unknown flag, a flag without its value", async () => {
    for (const [args, line] of [
      [["--bogus"], "openclaw-digest: Unknown option '--bogus' (--help lists them)\n"],
      [["--sizes"], "openclaw-digest: Option '--sizes <value>' argument missing (--help lists them)\n"],
    ] as const) {
      const r = await runNode([bench("openclaw-digest"), ...args]);
      expect([r.code, r.stderr]).toEqual([1, line]);
    }
  });
  it("--openclaw names no installed release", async () => {
    const r = await runNode([bench("openclaw-rewrite"), "--openclaw", "2026.1.1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^openclaw-rewrite: --openclaw 2026\.1\.1: no OpenClaw package at \S+ \(installed: [^)]*\)\n$/);
    expect(r.stdout).toBe("");
  });
  it("the running Node is one the release refuses (CTXC_OPENCLAW_ROOT's)", async () => {
    const root = fakeRelease(join(dir, "future", "openclaw"), "2099.1.1", ">=99");
    const r = await runNode([bench("openclaw-turns")], { env: { CTXC_OPENCLAW_ROOT: root } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^openclaw-turns: CTXC_OPENCLAW_ROOT=${root}: OpenClaw 2099\\.1\\.1 asks for Node >=99 \\(its engines field\\); this is Node ${process.version}: `));
  });
  it("a figure that needs the GC, node without --expose-gc", async () => {
    const file = join(dir, "t.jsonl");
    writeFileSync(file, "");
    const r = await runNode([bench("cold-heap"), file, "1000"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("cold-heap: needs node --expose-gc; usage: node --expose-gc --single-threaded-gc dist/bench/cold-heap.js <transcript> <budget> [runs]\n");
  });
});
