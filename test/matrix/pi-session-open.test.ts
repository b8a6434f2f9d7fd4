/**
 * The pi-era session open (OpenClaw 2026.5.12–2026.5.27 import `SessionManager` from pi) for ONE release
 * (`CTXC_OPENCLAW_ROOT`): the release's OWN pi — the package Node resolves from the chunk holding the run
 * path — wrapped as the preload wraps it (plan.ts picks the variant by the shape of pi's open), against that
 * pi's own `SessionManager.open` on a copy of the same file. Generated transcripts (branched, compacted,
 * heavy unicode, v2 headers, every kind of damage, torn tails) and the arguments pi normalises from 0.75.5
 * (relative paths, `..` segments, `~`, file: URLs, an empty, missing or `~` sessionDir, cwd overrides):
 * everything the run path reads from the manager must be equal, pi's appends must land the same, and
 * ctxc serves exactly the opens it can answer as pi does (the others are pi's own, logged); after a gateway
 * restart (nothing kept, a new worker) the first opens of lines made to trip the first open's per-line
 * scalar decode (buffer-entries.ts `memoScalars`) and the later opens that reuse it. Releases whose
 * SessionManager is OpenClaw's own (2026.5.28+) skip with the reason.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { DAMAGE_KINDS, damage } from "../../bench/fixtures/transcript-generator.js";
import { generatedTranscript, wideCorpus } from "../support/generated.js";
import { releasePi as releasePiOf, releaseTestSetup } from "../support/openclaw-release.js";

const { root, version, dir, pair } = releaseTestSetup("matrix-pi-open", { afterAll });

/** The release's plan and its own pi, or why this release has no pi-era open. */
const releasePi = () => releasePiOf<PiClass>(root!, version);

type Manager = {
  getSessionId(): string;
  getCwd(): string;
  getSessionDir(): string;
  getSessionFile(): string | undefined;
  isPersisted(): boolean;
  getHeader(): unknown;
  getEntries(): unknown[];
  getLeafId(): string | null;
  getBranch(): unknown[];
  buildSessionContext(): unknown;
  appendMessage(m: unknown): string;
};
type PiClass = { open(path: string, sessionDir?: string, cwdOverride?: string): Manager };

/** Everything OpenClaw's run path reads from the manager, as data; side b's names written as side a's. */
function state(sm: Manager, rename: [string, string][] = [], walk = true) {
  const s = JSON.stringify({
    id: sm.getSessionId(),
    cwd: sm.getCwd(),
    dir: sm.getSessionDir(),
    file: sm.getSessionFile(),
    persisted: sm.isPersisted(),
    header: sm.getHeader(),
    entries: sm.getEntries(),
    leaf: sm.getLeafId(),
    // pi's own walk up the parents never ends on a parent cycle (damage "cycle"): compared without it there.
    branch: walk ? sm.getBranch() : null,
    context: walk ? sm.buildSessionContext() : null,
  });
  return JSON.parse(rename.reduce((t, [from, to]) => t.split(from).join(to), s)) as unknown;
}

/** `f()`'s result, or the error it threw (as its name and message). */
function attempt<T>(f: () => T): [T | undefined, string | undefined] {
  try {
    return [f(), undefined];
  } catch (err) {
    return [undefined, `${(err as Error).name}: ${(err as Error).message}`];
  }
}

/** The lines `sm.appendMessage` added to `file` (beyond `before` bytes), without the fresh id and time. */
function appended(sm: Manager, file: string, before: string) {
  sm.appendMessage({ role: "user", content: [{ type: "text", text: "next turn ✓" }], timestamp: 1 });
  const after = readFileSync(file, "utf8");
  expect(after.startsWith(before)).toBe(true);
  return after
    .slice(before.length)
    .split("\n")
    .filter(Boolean)
    .map((l) => ({ ...(JSON.parse(l) as Record<string, unknown>), id: "-", timestamp: "-" }));
}

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: pi's SessionManager.open served from ctxc's read vs the release's own pi`, () => {
  it("the same manager as pi's open for generated, damaged and torn transcripts; clean ones served", async (ctx) => {
    const x = await releasePi();
    if (typeof x === "string") return ctx.skip(x);
    const { runtime, Wrapped, pi } = x;
    const prewarm = runtime.wrapPrewarm(async () => {});
    const corpus: { name: string; text: string; clean: boolean; walk?: boolean }[] = [];
    for (const seed of [1, 2, 3]) {
      const text = generatedTranscript({ seed, entries: 160, branchProbability: 0.15, compactions: 2, includeAllEntryTypes: true, unicode: seed === 3 ? "heavy" : "mixed" }).text;
      corpus.push({ name: `generated ${seed}`, text, clean: true });
    }
    corpus.push({ name: "v2 header (pi migrates and rewrites)", text: generatedTranscript({ seed: 4, entries: 60, headerVersion: 2 }).text, clean: false });
    const base = generatedTranscript({ seed: 5, entries: 80, branchProbability: 0.1, compactions: 1 }).text;
    DAMAGE_KINDS.forEach((kind, i) => corpus.push({ name: `damaged: ${kind}`, text: damage(base, kind, 50 + i), clean: false, walk: kind !== "cycle" }));
    corpus.push({ name: "torn tail", text: base + base.split("\n")[3]!.slice(0, 40), clean: false });
    // `CTXC_WIDE_SEEDS=<first>:<count>` (by hand): the wider corpus (test/support/generated.ts).
    for (const c of wideCorpus()) corpus.push({ name: c.name, text: c.text, clean: c.damage === undefined, walk: c.damage !== "cycle" });
    for (const c of corpus) {
      const [a, b] = pair(c.text);
      const served = runtime.counters.sessionsServed;
      await prewarm(a);
      // pi's own open throws on some damage (a `null` line reaches _buildIndex): then ctxc's must throw the same.
      const [ours, oursErr] = attempt(() => Wrapped.open(a));
      const [theirs, theirsErr] = attempt(() => pi.open(b));
      expect(oursErr, c.name).toEqual(theirsErr);
      if (!ours || !theirs) {
        expect(runtime.counters.sessionsServed, c.name).toBe(served);
        continue;
      }
      // A file pi starts afresh (no usable header) gets a new random session id on each side: never ctxc's.
      const fresh = !c.text.includes(`"id":"${theirs.getSessionId()}"`);
      if (fresh) expect(runtime.counters.sessionsServed, c.name).toBe(served);
      else expect(state(ours, [], c.walk), c.name).toEqual(state(theirs, [[b, a]], c.walk));
      if (c.clean) expect(runtime.counters.sessionsServed, c.name).toBe(served + 1);
      // pi's own writes after the open: the same line appended to the same bytes (v2: pi's migrated rewrite).
      const beforeA = readFileSync(a, "utf8");
      if (!fresh) expect(appended(ours, a, beforeA), c.name).toEqual(appended(theirs, b, readFileSync(b, "utf8")));
    }
  });

  it("every argument form pi accepts: served exactly where ctxc's instance is pi's, pi's own open (logged) elsewhere", async (ctx) => {
    const x = await releasePi();
    if (typeof x === "string") return ctx.skip(x);
    const { runtime, Wrapped, pi, plan } = x;
    const normalises = plan.pi?.normalisesPaths === true;
    // pi 0.75.5 normalises paths (its constructor, setSessionFile and open); 0.74–0.75.4 take them as given.
    expect(normalises, x.piVersion).toBe(x.piVersion === "0.75.5");
    const prewarm = runtime.wrapPrewarm(async () => {});
    const home = process.env.HOME;
    process.env.HOME = dir; // `~` is os.homedir(): the temp folder, so `~/…` names the test's files
    const text = generatedTranscript({ seed: 9, entries: 120, branchProbability: 0.1, compactions: 1, unicode: "heavy" }).text;
    mkdirSync(join(dir, "sessions"), { recursive: true });
    type Case = { name: string; path: (f: string) => string; sessionDir?: (side: string) => string; cwd?: string; served: boolean; only?: boolean };
    const cases: Case[] = [
      { name: "absolute", path: (f) => f, served: true },
      { name: "relative to the process cwd", path: (f) => relative(process.cwd(), f), served: true },
      { name: "with . and .. segments", path: (f) => join(dir, "sessions", "..", ".", f.slice(dir.length + 1)), served: true },
      { name: "existing sessionDir", path: (f) => f, sessionDir: () => join(dir, "sessions"), served: true },
      { name: "relative sessionDir", path: (f) => f, sessionDir: () => relative(process.cwd(), join(dir, "sessions")), served: true },
      { name: "empty sessionDir", path: (f) => f, sessionDir: () => "", served: true },
      { name: "missing sessionDir (pi creates it)", path: (f) => f, sessionDir: (side) => join(dir, `new-${side}-${++made}`), served: false },
      { name: "cwd override", path: (f) => f, cwd: "/srv/other", served: true },
      { name: "relative cwd override", path: (f) => f, cwd: "work/sub", served: true },
      { name: "~ cwd override", path: (f) => f, cwd: "~", served: true },
      // Names only pi 0.75.5 resolves to the file (before, `~/…` is a relative path and a file: URL no path).
      { name: "~/ path", path: (f) => `~/${f.slice(dir.length + 1)}`, served: false, only: true },
      { name: "file: URL path", path: (f) => pathToFileURL(f).href, served: false, only: true },
      { name: "~/ sessionDir", path: (f) => f, sessionDir: () => "~/sessions", served: false, only: true },
    ];
    let made = 0;
    try {
      for (const c of cases) {
        if (c.only && !normalises) continue;
        const [a, b] = pair(text);
        const served = runtime.counters.sessionsServed;
        const fallbacks = runtime.counters.fallbacks;
        await prewarm(c.path(a));
        const dirA = c.sessionDir?.("a");
        const dirB = c.sessionDir?.("b");
        const ours = Wrapped.open(c.path(a), dirA, c.cwd);
        const theirs = pi.open(c.path(b), dirB, c.cwd);
        const rename: [string, string][] = [[b, a]];
        if (dirA && dirB && dirA !== dirB) rename.push([dirB, dirA]);
        expect(state(ours), c.name).toEqual(state(theirs, rename));
        expect(runtime.counters.sessionsServed - served, c.name).toBe(c.served ? 1 : 0);
        if (!c.served) expect(runtime.counters.fallbacks, c.name).toBe(fallbacks + 1);
        // pi's constructor made the missing folder on both sides (ctxc's open was pi's own there).
        if (dirA && dirB && dirA !== dirB) expect([existsSync(dirA), existsSync(dirB)], c.name).toEqual([true, true]);
        expect(appended(ours, a, readFileSync(a, "utf8")), c.name).toEqual(appended(theirs, b, readFileSync(b, "utf8")));
      }
      const log = readFileSync(process.env.CTXC_OPENCLAW_LOG!, "utf8");
      expect(log).toMatch(/fallback: SessionManager\.open: sessionDir does not exist/);
      if (normalises) expect(log).toMatch(/fallback: SessionManager\.open: path with ~ or file: URL/);
    } finally {
      process.env.HOME = home;
    }
  });

  it("after a restart: first and later opens of lines made to trip the per-line scalar decode (invalid and multi-byte UTF-8, escapes, odd numbers, members between scalars)", async (ctx) => {
    const x = await releasePi();
    if (typeof x === "string") return ctx.skip(x);
    const { runtime, Wrapped, pi } = x;
    const prewarm = runtime.wrapPrewarm(async () => {});
    // Raw bytes in a line: a lone continuation byte, a lone 0xFF, a lead byte before ASCII (each one U+FFFD,
    // the slice as long as its bytes), a truncated and a complete multi-byte sequence (the slice shorter).
    const raw = { cont: Buffer.from([0x80]), ff: Buffer.from([0xff]), lead: Buffer.from([0xe2, 0x41]), cut: Buffer.from([0xe2, 0x82]), euro: Buffer.from("€") };
    let k = 0;
    let parent: string | null = null;
    /** One custom entry whose members are `members` (raw JSON text each, bytes allowed), then id/parentId/timestamp. */
    const line = (members: (string | Buffer)[][], id?: Buffer | string): Buffer => {
      const own = id ?? `rs${++k}`;
      const parts: Buffer[] = [Buffer.from('{"type":"custom","customType":"trip"')];
      for (const [key, ...value] of members) parts.push(Buffer.from(`,${JSON.stringify(key)}:`), ...value.map((v) => (typeof v === "string" ? Buffer.from(v) : v)));
      parts.push(Buffer.from(',"id":"'), Buffer.from(own), Buffer.from(`","parentId":${JSON.stringify(parent)},"timestamp":"2026-01-0${1 + (k % 9)}T00:00:00.000Z"}\n`));
      parent = typeof own === "string" ? own : null;
      return Buffer.concat(parts);
    };
    const trips = (): Buffer[] => [
      line([["a", '"x"'], ["b", '"', raw.cont, '"'], ["c", '"', raw.ff, 'y"']]),
      line([["s", '"', raw.lead, '"']]),
      line([["s", '"', raw.cut, '"']]),
      line([["s", '"', raw.euro, 'x"'], ["n", "1"]]),
      line([["first", '"', raw.ff, '"'], ["last", '"z', raw.cont, '"']]),
      line([["e", '"\\u00e9\\"q\\\\"'], ["f", '"\\n', raw.euro, '"'], ["g", '""']]),
      line([["n0", "-0"], ["n1", "1e400"], ["n2", "-1E-7"], ["n3", "12345678901234567890"], ["n4", "0.1"], ["t", "true"], ["f", "false"], ["z", "null"]]),
      line([["small", '{"a":1}'], ["after", '"y"'], ["arr", "[1,2]"], ["more", "2"]]),
      line([["big", JSON.stringify({ text: "x".repeat(3000) })], ["after", '"y"']]),
      line([["obj", '{"role":"user","content":"é","n":-0}']]),
      line([], raw.ff),
      line([["only", "[]"]]),
    ];
    const header = Buffer.from(JSON.stringify({ type: "session", version: 3, id: "s-trip", timestamp: "2026-01-01T00:00:00.000Z", cwd: "/w" }) + "\n");
    const [a, b] = pair(Buffer.concat([header, ...trips()]));
    const restart = async () => {
      runtime.keptBuffers.clearKeptBuffers();
      await runtime.closeOpenClawPool();
    };
    const open = async (name: string, continued: boolean) => {
      const served = runtime.counters.sessionsServed;
      const kept = runtime.counters.sessionsContinued;
      await prewarm(a);
      const ours = Wrapped.open(a);
      const theirs = pi.open(b);
      expect(state(ours), name).toEqual(state(theirs, [[b, a]]));
      // -0 and every member by value and key order (state() goes through JSON, which reads -0 as 0).
      const [mine, stock] = [ours.getEntries(), theirs.getEntries()];
      expect(mine.length, name).toBe(stock.length);
      mine.forEach((e, i) => {
        expect(isDeepStrictEqual(e, stock[i]), `${name} entry ${i}`).toBe(true);
        expect(Object.keys(e as object), `${name} entry ${i}`).toEqual(Object.keys(stock[i] as object));
      });
      expect(runtime.counters.sessionsServed - served, name).toBe(1);
      expect(runtime.counters.sessionsContinued - kept, name).toBe(continued ? 1 : 0);
      return ours;
    };
    await restart();
    await open("first open after a restart", false);
    const more = Buffer.concat(trips());
    appendFileSync(a, more);
    appendFileSync(b, more);
    const later = await open("later open: the kept buffer's decoded scalars plus an appended buffer's", true);
    // The next open gets fresh objects even where the last one's were changed.
    for (const e of later.getEntries() as Record<string, unknown>[]) {
      e.id = "changed";
      delete e.timestamp;
    }
    await open("later open after the previous open's entries were changed", true);
    await restart();
    await open("first open after a second restart", false);
  });

  it("after a restart: session-type lines past the header (mid-file, then appended) are left to pi, and the opens between are served", async (ctx) => {
    const x = await releasePi();
    if (typeof x === "string") return ctx.skip(x);
    const { runtime, Wrapped, pi } = x;
    const prewarm = runtime.wrapPrewarm(async () => {});
    const { text } = generatedTranscript({ seed: 12, entries: 120, branchProbability: 0.1 });
    const session = (id: string) => JSON.stringify({ type: "session", version: 3, id, timestamp: "2026-01-02T00:00:00.000Z", cwd: "/mid" }) + "\n";
    let k = 0;
    const entry = () => JSON.stringify({ type: "custom", customType: "x", data: { k: ++k }, id: `sx${k}`, parentId: null, timestamp: new Date(k).toISOString() }) + "\n";
    const lines = text.trimEnd().split("\n");
    const [a] = pair(lines.slice(0, 60).join("\n") + "\n" + session("mid") + lines.slice(60).join("\n") + "\n");
    const [clean] = pair(text);
    const restart = async () => {
      runtime.keptBuffers.clearKeptBuffers();
      await runtime.closeOpenClawPool();
    };
    const open = async (path: string, name: string, served: boolean) => {
      const before = runtime.counters.sessionsServed;
      await prewarm(path);
      const ours = Wrapped.open(path);
      const [, b] = pair(readFileSync(path));
      expect(state(ours), name).toEqual(state(pi.open(b), [[b, path]]));
      expect(ours.getEntries().length, name).toBe(pi.open(b).getEntries().length);
      expect(runtime.counters.sessionsServed - before, name).toBe(served ? 1 : 0);
    };
    await restart();
    await open(a, "first open after a restart, a session line mid-file", false);
    await open(clean, "first open after a restart, the header the only session line", true);
    appendFileSync(clean, entry());
    await open(clean, "later open, an entry appended", true);
    appendFileSync(clean, session("appended") + entry());
    await open(clean, "later open, a session line appended (a continued read)", false);
    await restart();
    await open(clean, "first open after a second restart, a session line appended before it", false);
  });

  it("a file growing between opens (appended, torn then completed): each open equals pi's fresh open", async (ctx) => {
    const x = await releasePi();
    if (typeof x === "string") return ctx.skip(x);
    const { runtime, Wrapped, pi } = x;
    const prewarm = runtime.wrapPrewarm(async () => {});
    const [a] = pair(generatedTranscript({ seed: 11, entries: 100, branchProbability: 0.1 }).text);
    let k = 0;
    const entry = () => JSON.stringify({ type: "custom", customType: "x", data: { k: ++k, s: "ü😀" }, id: `grow${k}`, parentId: null, timestamp: new Date(k).toISOString() }) + "\n";
    const open = async (name: string, served: boolean) => {
      const before = runtime.counters.sessionsServed;
      await prewarm(a);
      const ours = Wrapped.open(a);
      const [, b] = pair(readFileSync(a));
      expect(state(ours), name).toEqual(state(pi.open(b), [[b, a]]));
      expect(runtime.counters.sessionsServed - before, name).toBe(served ? 1 : 0);
    };
    await open("first", true);
    appendFileSync(a, entry() + entry());
    await open("appended", true);
    const torn = entry();
    appendFileSync(a, torn.slice(0, 20));
    await open("torn tail (pi skips the line; ctxc leaves it to pi)", false);
    appendFileSync(a, torn.slice(20));
    await open("torn tail completed", true);
    writeFileSync(a, readFileSync(a, "utf8") + entry());
    await open("rewritten, longer", true);
  });
});
