/**
 * Warm after a restart (issue 11 item 4), end to end: each "gateway" is a child process started with
 * the real `--import dist/src/openclaw/register.js` preload, whose entry script sits in an OpenClaw
 * package (the 2026.5.12 reference install's dist/, linked from a temporary package root, so the
 * preload finds and plans it as it finds `openclaw.mjs`). The child reads transcripts through the
 * preload's own worker pool (the same module instance the preload configured: `openSessionAsync` is
 * what the prewarm and repair handlers call) and writes what it got; the next child is the restart.
 *
 * - By default the index lives in `<OpenClaw state dir>/ctxc/index` (0700, files 0600): the first read
 *   after a restart parses only the bytes appended while the gateway was down (meta.readFrom / bytes),
 *   and every read — of files that grew, were rewritten in place, replaced or truncated meanwhile —
 *   returns exactly what a cold read returns.
 * - `CTXC_OPENCLAW_INDEX=off`: no index, nothing created; `CTXC_OPENCLAW_INDEX_DIR`: moved there.
 * - A state dir others can write, another user's, or where the directory cannot be created: one
 *   `ctxc-openclaw index:` line says why, the reads run without the index, and the results are the same.
 *   A state dir that does not exist yet is not created (it is OpenClaw's): the same, with its own line.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { parseCtxcSummary } from "../../bench/real-gateway/log-parse.js";
import { encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { CACHE_DEFAULTS } from "../../native-free-workers/protocol/defaults.js";
import { decodeSession } from "../../src/openclaw/index.js";
import { OPENCLAW_REFERENCE_DIR } from "../reference/openclaw-reference.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-restart");
const dist = join(import.meta.dirname, "..", "..", "dist");
const AS_ROOT = process.getuid?.() === 0;

/** A package root the preload takes for OpenClaw 2026.5.12: the reference install's dist/, linked. */
const root = join(dir, "openclaw");
mkdirSync(root);
symlinkSync(join(OPENCLAW_REFERENCE_DIR, "dist"), join(root, "dist"));
writeFileSync(join(root, "package.json"), readFileSync(join(OPENCLAW_REFERENCE_DIR, "package.json")));
const CHILD = join(root, "ctxc-restart-child.mjs");
writeFileSync(
  CHILD,
  `import { writeFileSync } from "node:fs";
const [apiUrl, out, ...paths] = process.argv.slice(2);
const api = await import(apiUrl);
const reads = [];
for (const path of paths) {
  const s = await api.openSessionAsync(path);
  const loaded = s.status === "loaded";
  reads.push({ meta: s.meta, status: s.status, header: loaded ? s.getHeader() : null, entries: s.getEntries(), leaf: s.getLeafId(), branch: s.getBranch(), context: loaded ? s.buildSessionContext() : null });
}
writeFileSync(out, JSON.stringify({ index: api.openClawPoolIndex(), reads }));
await api.closeOpenClawPool();
`,
);

interface ChildRead {
  meta: ReturnType<typeof decodeSession>["meta"];
  [key: string]: unknown;
}

let runNo = 0;
/** One gateway run: the child with the preload reads `paths`; returns what it read and the log lines. */
function gateway(env: Record<string, string>, paths: string[]): { index: { dir: string; refused: string | null } | null; reads: ChildRead[]; log: string[] } {
  const out = join(dir, `run${++runNo}.json`);
  const log = join(dir, `run${runNo}.log`);
  const childEnv: Record<string, string | undefined> = { ...process.env, CTXC_OPENCLAW_LOG: log, CTXC_OPENCLAW_PRELOAD: "" };
  for (const name of ["OPENCLAW_STATE_DIR", "OPENCLAW_HOME", "OPENCLAW_TEST_FAST", "CTXC_OPENCLAW_INDEX", "CTXC_OPENCLAW_INDEX_DIR"]) delete childEnv[name];
  execFileSync(
    process.execPath,
    ["--import", pathToFileURL(join(dist, "src", "openclaw", "register.js")).href, CHILD, pathToFileURL(join(dist, "src", "openclaw", "index.js")).href, out, ...paths],
    { env: { ...childEnv, ...env }, encoding: "utf8", timeout: 120_000 },
  );
  return { ...JSON.parse(readFileSync(out, "utf8")), log: readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

/** What a cold read (no state, no index) of `path` returns, as the child reports it. */
function cold(path: string): unknown {
  const s = decodeSession(encodeSessionBuffer(path));
  const loaded = s.status === "loaded";
  const read = { meta: s.meta, status: s.status, header: loaded ? s.getHeader() : null, entries: s.getEntries(), leaf: s.getLeafId(), branch: s.getBranch(), context: loaded ? s.buildSessionContext() : null };
  return withoutOrigin(JSON.parse(JSON.stringify(read)) as ChildRead);
}

/** A read without where it started and where its state came from (a cold read differs only there). */
function withoutOrigin(read: ChildRead): unknown {
  const { readFrom: _readFrom, index: _index, generation: _generation, ...meta } = read.meta;
  return { ...read, meta };
}

/** The counters of the child's `summary` line (written at its exit), by name. */
function summaryOf(log: string[]): Record<string, number> {
  const counters = parseCtxcSummary(log);
  expect(counters, log.join("\n")).not.toBeNull();
  return counters!;
}

let fileNo = 0;
function transcript(text: string): string {
  const path = join(dir, `t${++fileNo}.jsonl`);
  writeFileSync(path, text);
  return path;
}

const cut = (text: string, at: number) => text.indexOf("\n", Math.floor(text.length * at)) + 1;

describe("the preload keeps the session reads' index under OpenClaw's state dir", () => {
  it("after a restart the first read parses only what was appended meanwhile; grown, rewritten, replaced, truncated and damaged files read exactly as cold", () => {
    const state = join(dir, "state-default");
    mkdirSync(state, { mode: 0o700 }); // OpenClaw's: the preload creates only ctxc/index inside it
    const big = generateTranscript({ seed: 81, entries: 400, branchProbability: 0.15, compactions: 2, unicode: "mixed", toolResultBytes: { min: 200, max: 3000 } }).text;
    const damaged = damage(generateTranscript({ seed: 82, entries: 200 }).text, "non-object-lines", 3);
    const grow = transcript(big.slice(0, cut(big, 0.6)));
    const rewrite = transcript(big);
    const replace = transcript(big);
    const truncate = transcript(big);
    const grownDamaged = transcript(damaged.slice(0, cut(damaged, 0.5)));
    const paths = [grow, rewrite, replace, truncate, grownDamaged];

    const first = gateway({ OPENCLAW_STATE_DIR: state }, paths);
    const indexDir = join(state, "ctxc", "index");
    expect(first.index).toEqual({ dir: indexDir, refused: null });
    expect(first.log.find((l) => l.includes("ctxc-openclaw active:"))).toContain(`index ${indexDir}`);
    expect(first.reads.map((r) => r.meta.index)).toEqual(["none", "none", "none", "none", "none"]);
    for (const d of [state, join(state, "ctxc"), indexDir]) expect(statSync(d).mode & 0o777, d).toBe(0o700);
    const files = readdirSync(indexDir);
    expect(files).toHaveLength(paths.length);
    for (const f of files) expect(statSync(join(indexDir, f)).mode & 0o777, f).toBe(0o600);
    // No saved state yet: the summary line counts nothing restored and nothing rejected.
    expect(summaryOf(first.log)).toMatchObject({ indexRestored: 0, indexRestoredBytes: 0, indexRejected: 0, fallbacks: 0 });

    // While the gateway is down.
    const sizeBefore = { grow: statSync(grow).size, grownDamaged: statSync(grownDamaged).size };
    appendFileSync(grow, big.slice(cut(big, 0.6)));
    appendFileSync(grownDamaged, damaged.slice(cut(damaged, 0.5)));
    const middle = big.indexOf('"role":"assistant"', Math.floor(big.length / 2));
    writeFileSync(rewrite, big.slice(0, middle) + '"role":"assistanT"' + big.slice(middle + 18));
    writeFileSync(`${replace}.new`, big);
    renameSync(`${replace}.new`, replace);
    truncateSync(truncate, Buffer.byteLength(big.slice(0, cut(big, 0.3))));

    const second = gateway({ OPENCLAW_STATE_DIR: state }, paths);
    const [g, rw, rp, tr, gd] = second.reads;
    expect(g!.meta.index).toBe("disk");
    expect(g!.meta.readFrom).toBe(sizeBefore.grow);
    expect(g!.meta.bytes - g!.meta.readFrom).toBe(statSync(grow).size - sizeBefore.grow);
    expect(gd!.meta.index).toBe("disk");
    expect(gd!.meta.readFrom).toBe(sizeBefore.grownDamaged);
    expect(gd!.meta.diagnostics.length).toBeGreaterThan(0);
    for (const r of [rw, rp, tr]) {
      expect(r!.meta.index).toBe("disk-stale");
      expect(r!.meta.readFrom).toBe(0);
    }
    for (const [i, path] of paths.entries()) expect(withoutOrigin(second.reads[i]!), path).toEqual(cold(path));
    // The summary line says the same: two reads continued from the index (the bytes they did not parse
    // again: where each continued), three found their saved state stale.
    expect(summaryOf(second.log)).toMatchObject({ indexRestored: 2, indexRestoredBytes: sizeBefore.grow + sizeBefore.grownDamaged, indexRejected: 3 });
    // Each changed file's state was saved anew: the next restart continues all of them. The grown ones
    // from their earlier save: less than CACHE_DEFAULTS.indexResaveBytes was appended since.
    expect(statSync(grow).size - sizeBefore.grow).toBeLessThan(CACHE_DEFAULTS.indexResaveBytes);
    const third = gateway({ OPENCLAW_STATE_DIR: state }, paths);
    expect(third.reads.map((r) => r.meta.index)).toEqual(["disk", "disk", "disk", "disk", "disk"]);
    expect(third.reads.map((r) => r.meta.readFrom)).toEqual([sizeBefore.grow, statSync(rewrite).size, statSync(replace).size, statSync(truncate).size, sizeBefore.grownDamaged]);
    expect(summaryOf(third.log)).toMatchObject({ indexRestored: 5, indexRestoredBytes: third.reads.reduce((a, r) => a + r.meta.readFrom, 0), indexRejected: 0 });
  });

  it("~/.openclaw without OPENCLAW_STATE_DIR; CTXC_OPENCLAW_INDEX_DIR moves it; CTXC_OPENCLAW_INDEX=off turns it off", () => {
    const text = generateTranscript({ seed: 83, entries: 200 }).text;
    const home = join(dir, "home");
    mkdirSync(join(home, ".openclaw"), { recursive: true });
    const path = transcript(text.slice(0, cut(text, 0.5)));
    const before = statSync(path).size;
    const run = (env: Record<string, string>) => gateway({ HOME: home, ...env }, [path]).reads[0]!;

    expect(run({}).meta.index).toBe("none");
    expect(readdirSync(join(home, ".openclaw", "ctxc", "index"))).toHaveLength(1);
    const moved = join(dir, "moved-index");
    expect(run({ CTXC_OPENCLAW_INDEX_DIR: moved }).meta.index).toBe("none");
    expect(readdirSync(moved)).toHaveLength(1);

    appendFileSync(path, text.slice(cut(text, 0.5)));
    const off = gateway({ HOME: home, OPENCLAW_STATE_DIR: join(dir, "state-off"), CTXC_OPENCLAW_INDEX: "off" }, [path]);
    expect(off.index).toBeNull();
    expect(off.log.find((l) => l.includes("ctxc-openclaw active:"))).toContain("index off (CTXC_OPENCLAW_INDEX=off)");
    expect(off.reads[0]!.meta.index).toBe("none");
    expect(off.reads[0]!.meta.readFrom).toBe(0);
    expect(existsSync(join(dir, "state-off"))).toBe(false);
    expect(withoutOrigin(off.reads[0]!)).toEqual(cold(path));

    const warm = run({});
    expect(warm.meta.index).toBe("disk");
    expect(warm.meta.readFrom).toBe(before);
    expect(withoutOrigin(warm)).toEqual(cold(path));
  });

  it("a state dir others can write, another user's, one where the index cannot be created, or none yet: one line says why, no index, the same results", () => {
    const text = generateTranscript({ seed: 84, entries: 150, compactions: 1 }).text;
    const path = transcript(text);
    const open = join(dir, "state-open");
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777); // mkdirSync's mode is reduced by the umask
    const blocked = join(dir, "state-blocked");
    mkdirSync(blocked, { mode: 0o700 });
    writeFileSync(join(blocked, "ctxc"), ""); // a file where the index's parent directory would go
    const cases: [string, string, RegExp][] = [
      ["writable by others", open, /index: .*state-open\/ctxc\/index its parent .*state-open is writable by group or others and not sticky \(mode 0777\); refused, the session reads run without the persistent index/],
      ["cannot be created", blocked, /index: .*state-blocked\/ctxc\/index cannot be (created|examined) \(ENOTDIR\); refused, the session reads run without the persistent index/],
      ["missing (OpenClaw's to create)", join(dir, "state-missing"), /index: OpenClaw's state dir .*state-missing does not exist \(yet\); the session reads run without the persistent index/],
    ];
    if (AS_ROOT) {
      const foreign = join(dir, "state-foreign");
      mkdirSync(foreign, { mode: 0o755 });
      chownSync(foreign, 65534, 65534);
      cases.push(["another user's", foreign, /index: .*state-foreign\/ctxc\/index its parent .*state-foreign is owned by uid 65534 \(neither root nor the current user\); refused/]);
    }
    for (const [name, state, reason] of cases) {
      const listing = existsSync(state) && statSync(state).isDirectory() ? readdirSync(state) : null;
      for (let run = 0; run < 2; run++) {
        const got = gateway({ OPENCLAW_STATE_DIR: state }, [path]);
        const lines = got.log.filter((l) => l.includes("ctxc-openclaw index:"));
        expect(lines, name).toHaveLength(1);
        expect(lines[0], name).toMatch(reason);
        const missing = name.startsWith("missing");
        expect(got.log.find((l) => l.includes("ctxc-openclaw active:")), name).toContain(missing ? "index off" : "index refused");
        expect(got.reads[0]!.meta.index, name).toBe(missing ? "none" : "refused");
        expect(summaryOf(got.log), name).toMatchObject({ indexRestored: 0, indexRejected: missing ? 0 : 1 });
        expect(got.reads[0]!.meta.readFrom, name).toBe(0);
        expect(withoutOrigin(got.reads[0]!), name).toEqual(cold(path));
      }
      // Nothing was created there.
      expect(existsSync(state) && statSync(state).isDirectory() ? readdirSync(state) : null, name).toEqual(listing);
    }
  });
});
