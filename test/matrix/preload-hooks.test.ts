/**
 * The preload end to end on ONE OpenClaw release (`CTXC_OPENCLAW_ROOT`, run with that release's Node by
 * the matrix runner): a child process started with `--import dist/src/openclaw/register.js`, whose entry
 * script sits inside the OpenClaw package (so the preload finds it as it finds `openclaw.mjs`), imports
 * OpenClaw's real chunks through the installed hooks — the served (rewritten, data: URL) modules with
 * their real import graphs — and runs the run path's session steps: `prewarmSessionFile(a)` then
 * `SessionManager.open(a)` (served by ctxc), and `SessionManager.open(b)` on a copy (never prepared, so
 * OpenClaw's own read). Everything the run path reads from the two managers must be equal, and the log
 * must show the `active` line and a summary with sessions served and no fallback. Then the gateway
 * restarts (a second child, the same index directory): its first read continues from the persistent
 * index (issue 11 item 4), and the sessions OpenClaw's SessionManager builds from it still equal OpenClaw's.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { generatedTranscript } from "../support/generated.js";
import { releaseRoot, releaseVersion } from "../support/openclaw-release.js";
import { tempDir } from "../support/tmp.js";

const root = releaseRoot();
const dist = join(import.meta.dirname, "..", "..", "dist");

/** The child: locates the chunks by function (as the preload does), imports them by their real URLs. */
const CHILD = `
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [locateUrl, runtimeUrl, a, b] = process.argv.slice(2);
const { locateRelease } = await import(locateUrl);
const found = locateRelease(import.meta.dirname, "e2e");
const exported = async (file, name) => {
  const src = readFileSync(file, "utf8");
  const alias = new RegExp("\\\\b" + name + " as ([\\\\w$]+)").exec(src.slice(src.lastIndexOf("export {")))?.[1];
  return (await import(pathToFileURL(file).href))[alias];
};
const load = found.functions.get("loadEntriesFromFileWithSnapshot")?.[0] ?? found.functions.get("loadEntriesFromFile")?.[0];
const { writeFileSync } = await import("node:fs");
if (!load) { writeFileSync(a + ".out.json", JSON.stringify({ skip: "SessionManager comes from pi in this release" })); process.exit(0); }
const SessionManager = await exported(load.file, "SessionManager");
const prewarm = await exported(found.functions.get("prewarmSessionFile")[0].file, "prewarmSessionFile");
const state = (sm) => ({ header: sm.getHeader(), entries: sm.getEntries(), leaf: sm.getLeafId(), branch: sm.getBranch(), context: sm.buildSessionContext(), cwd: sm.getCwd() });
// Where the first read of this run came from (the preload's own pool: the same module instance).
const { readSessionMetaAsync } = await import(new URL("./index.js", runtimeUrl).href);
const firstMeta = await readSessionMetaAsync(a);
const out = { turns: [], first: { index: firstMeta.index, readFrom: firstMeta.readFrom } };
for (let turn = 0; turn < 2; turn++) {
  await prewarm(a);
  const ours = SessionManager.open(a);
  const theirs = SessionManager.open(b);
  out.turns.push({ ours: state(ours), theirs: state(theirs) });
  // The next turn's file has grown (the same bytes appended to both copies).
  const { appendFileSync } = await import("node:fs");
  const more = JSON.stringify({ type: "custom", id: "grow" + process.pid + "-" + turn, parentId: ours.getLeafId(), timestamp: "2026-01-05T09:00:00.000Z", customType: "x" }) + "\\n";
  appendFileSync(a, more);
  appendFileSync(b, more);
}
out.counters = (await import(runtimeUrl)).counters;
writeFileSync(a + ".out.json", JSON.stringify(out));
`;

describe.skipIf(!root)(`OpenClaw ${root ? releaseVersion(root) : ""}: the preload through real module hooks`, () => {
  it("serves the rewritten chunks to OpenClaw's own imports; the session the run path opens equals OpenClaw's", () => {
    const dir = tempDir("matrix-hooks");
    const a = join(dir, "a.jsonl");
    const b = join(dir, "b.jsonl");
    writeFileSync(a, generatedTranscript({ seed: 21, entries: 300, branchProbability: 0.1, compactions: 2, unicode: "heavy" }).text);
    copyFileSync(a, b);
    const log = join(dir, "preload.log");
    const child = join(root!, `ctxc-e2e-${process.pid}.mjs`);
    const gateway = () =>
      execFileSync(
        process.execPath,
        ["--import", pathToFileURL(join(dist, "src", "openclaw", "register.js")).href, child, pathToFileURL(join(dist, "src", "openclaw", "release", "locate.js")).href, pathToFileURL(join(dist, "src", "openclaw", "preload-runtime.js")).href, a, b],
        { env: { ...process.env, CTXC_OPENCLAW_LOG: log, CTXC_OPENCLAW_PRELOAD: "", CTXC_OPENCLAW_INDEX_DIR: join(dir, "index") }, encoding: "utf8", timeout: 110_000 },
      );
    const sizeBefore = statSync(a).size;
    writeFileSync(child, CHILD);
    let restarted: { first: { index: string; readFrom: number }; turns: { ours: unknown; theirs: unknown }[]; counters: Record<string, number> } | undefined;
    try {
      gateway();
      if (existsSync(`${a}.out.json`) && !JSON.parse(readFileSync(`${a}.out.json`, "utf8")).skip) {
        const firstRun = readFileSync(`${a}.out.json`, "utf8");
        gateway();
        restarted = JSON.parse(readFileSync(`${a}.out.json`, "utf8"));
        writeFileSync(`${a}.out.json`, firstRun);
      }
    } finally {
      rmSync(child, { force: true });
    }
    const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
    // A SQLite-era release (2026.8+): the preload stands aside, says why in one line naming SQLite, and
    // OpenClaw runs stock (its store is read by `ctxc build --session`, test/matrix/sqlite-store.test.ts).
    const inactive = lines.find((l) => l.includes("ctxc-openclaw inactive:"));
    if (inactive?.includes("SQLite")) {
      expect(inactive).toMatch(/keeps transcripts in SQLite.*OpenClaw runs stock/);
      expect(lines.some((l) => l.includes("ctxc-openclaw active:"))).toBe(false);
      return;
    }
    expect(lines.some((l) => l.includes(`ctxc-openclaw active: openclaw ${releaseVersion(root!)}, node ${process.version}, module.registerHooks, serves `))).toBe(true);
    const out = JSON.parse(readFileSync(`${a}.out.json`, "utf8")) as { skip?: string; first: unknown; turns: { ours: unknown; theirs: unknown }[]; counters: Record<string, number> };
    if (out.skip) return;
    expect(out.turns).toHaveLength(2);
    for (const t of out.turns) expect(t.ours).toEqual(t.theirs);
    expect(out.counters.sessionsServed).toBeGreaterThanOrEqual(2);
    expect(out.counters.fallbacks).toBe(0);
    const summary = lines.find((l) => l.includes("ctxc-openclaw summary: sessionsServed="));
    expect(summary).toMatch(/fallbacks=0$/);
    expect(out.first).toEqual({ index: "none", readFrom: 0 });
    // The restart: the first read parsed only what the first run appended after its first read.
    expect(restarted!.first).toEqual({ index: "disk", readFrom: sizeBefore });
    for (const t of restarted!.turns) expect(t.ours).toEqual(t.theirs);
    expect(restarted!.counters.sessionsServed).toBeGreaterThanOrEqual(2);
    expect(restarted!.counters.fallbacks).toBe(0);
  });
});
