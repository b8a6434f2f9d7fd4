/**
 * The non-hook parts of the OpenClaw preload (src/openclaw/preload-runtime.ts, register.ts) against
 * pi's real SessionManager (devDependency, same 0.74.0 OpenClaw 2026.5.12 uses): the manager built from
 * ctxc's worker read has pi's state and writes through pi; every case ctxc must not serve falls back
 * to pi's own open and is logged; the version guard keeps other OpenClaw versions stock.
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SessionManager } from "@earendil-works/pi-coding-agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { closeOpenClawPool } from "../../src/openclaw/index.js";
import { OPENCLAW_REFERENCE_DIR } from "../reference/openclaw-reference.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";

const dir = tempDir("oc-preload");
const logFile = join(dir, "preload.log");
process.env.CTXC_OPENCLAW_PRELOAD = "off";
process.env.CTXC_OPENCLAW_LOG = logFile;
const runtime = await import("../../src/openclaw/preload-runtime.js");
const register = await import("../../src/openclaw/register.js");
afterAll(() => closeOpenClawPool());

const file = tempFileWriter(dir, "s");
let n = 0;
function copy(p: string): string {
  const c = join(dir, `c${++n}.jsonl`);
  copyFileSync(p, c);
  return c;
}
const logLines = () => readFileSync(logFile, "utf8").split("\n").filter(Boolean);

/** Everything OpenClaw's run path reads from the manager, as plain data. */
function state(sm: SessionManager) {
  return {
    id: sm.getSessionId(),
    cwd: sm.getCwd(),
    dir: sm.getSessionDir(),
    persisted: sm.isPersisted(),
    header: sm.getHeader(),
    entries: sm.getEntries(),
    leaf: sm.getLeafId(),
    branch: sm.getBranch(),
    context: sm.buildSessionContext(),
  };
}

const text = generateTranscript({ seed: 7, targetBytes: 150_000, compactions: 2, branchProbability: 0.1 }).text;
const Wrapped = runtime.wrapSessionManager(SessionManager);
const prewarm = runtime.wrapPrewarm(async () => {});

beforeAll(() => writeFileSync(logFile, ""));

describe("preload: SessionManager.open from ctxc's worker read", () => {
  it("builds a pi SessionManager with the state pi's open gives, and pi's appends land in the file", async () => {
    const a = file(text);
    const b = copy(a);
    const served = runtime.counters.sessionsServed;
    await prewarm(a);
    const ours = Wrapped.open(a);
    expect(runtime.counters.sessionsServed).toBe(served + 1);
    expect(ours).toBeInstanceOf(SessionManager);
    const theirs = SessionManager.open(b);
    expect({ ...state(ours), dir: null }).toEqual({ ...state(theirs), dir: null });
    expect(ours.getSessionFile()).toBe(a);
    // A write after the open goes through pi's _persist to the same file, right after the seeded bytes.
    const leaf = ours.getLeafId();
    ours.appendMessage({ role: "user", content: "hello", timestamp: 1 } as never);
    const after = readFileSync(a, "utf8");
    expect(after.startsWith(text)).toBe(true);
    const added = after.slice(text.length).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ type: "message", parentId: leaf, message: { role: "user", content: "hello" } });
    // pi re-reading the written file sees the new entry as leaf.
    expect(SessionManager.open(copy(a)).getLeafId()).toBe(added[0]!.id);
  });

  it("a file changing between opens — appended, torn then completed, rewritten in the middle, replaced, truncated: each open is pi's fresh open, and nothing a turn changed reaches the next", async () => {
    const a = file(text);
    let k = 0;
    const entry = () => JSON.stringify({ type: "custom", customType: "x", data: { k: ++k }, id: `grow${k}`, parentId: null, timestamp: new Date(k).toISOString() }) + "\n";
    const open = async (name: string, continued = false) => {
      await prewarm(a);
      const served = runtime.counters.sessionsServed;
      const wasContinued = runtime.counters.sessionsContinued;
      const ours = Wrapped.open(a);
      expect(runtime.counters.sessionsServed, name).toBe(served + 1);
      // Only the appended records decoded: the rest are the kept entries of the previous open.
      expect(runtime.counters.sessionsContinued, name).toBe(wasContinued + (continued ? 1 : 0));
      expect({ ...state(ours), dir: null }, name).toEqual({ ...state(SessionManager.open(copy(a))), dir: null });
      // Every served entry serialises to its line, byte for byte (pi's appends and stock's rewrites rely on it).
      const lines = readFileSync(a, "utf8").split("\n").filter((l) => l.trim() !== "");
      expect([ours.getHeader(), ...ours.getEntries()].map((e) => JSON.stringify(e)), name).toEqual(lines);
      // What is kept between turns is the worker's buffers (bytes), holding every record; nothing decoded
      // is shared: each open gets new objects …
      const kept = runtime.keptBuffers.getKeptBuffers(a);
      expect(kept?.records, name).toBe(lines.length);
      expect(kept?.parts.reduce((n, p) => n + p.recordCount, 0), name).toBe(lines.length);
      expect(runtime.entryCache.getCachedEntries(a), name).toBeUndefined();
      // … and what this turn changes in place (fields, nested content, added and deleted keys) stays in this turn.
      for (const e of ours.getEntries() as unknown as Record<string, unknown>[]) {
        e.changed = true;
        delete e.timestamp;
        const m = e.message as Record<string, unknown> | undefined;
        if (m && Array.isArray(m.content)) (m.content as unknown[]).push({ type: "text", text: "pushed" });
        else if (m) m.content = "changed";
        if (e.data && typeof e.data === "object") (e.data as Record<string, unknown>).k = "changed";
      }
      const message = ours.buildSessionContext().messages.at(-1) as unknown as Record<string, unknown> | undefined;
      if (message) message.role = "changed";
      (ours.getHeader() as unknown as Record<string, unknown>).cwd = "/changed";
    };
    await open("first");
    appendFileSync(a, entry() + entry());
    await open("appended", true);
    appendFileSync(a, entry().trimEnd());
    await open("torn tail", true);
    appendFileSync(a, "\n" + entry());
    await open("torn tail completed");
    const now = readFileSync(a, "utf8");
    const at = now.indexOf('"id":"', now.length >> 1) + 6;
    writeFileSync(a, now.slice(0, at) + (now[at] === "Z" ? "Y" : "Z") + now.slice(at + 1));
    const later = new Date(Date.now() + 5_000);
    utimesSync(a, later, later);
    await open("rewritten in the middle, same size");
    writeFileSync(a + ".new", readFileSync(a, "utf8") + entry());
    renameSync(a + ".new", a);
    // The same lines plus one under another inode: compared whole and kept by the worker (header-rebase.ts), only the new line read.
    await open("replaced by rename", true);
    writeFileSync(a, text);
    await open("truncated back to the seed");
    appendFileSync(a, entry());
    await open("appended after the truncation", true);
  });

  it("falls back to pi's open (and logs why) when the file changed after the worker read it", async () => {
    const a = file(text);
    await prewarm(a);
    const extra = JSON.stringify({ type: "custom", customType: "x", data: {}, id: "zz999999", parentId: null, timestamp: new Date(0).toISOString() });
    appendFileSync(a, extra + "\n");
    const before = runtime.counters.fallbacks;
    const sm = Wrapped.open(a);
    expect(runtime.counters.fallbacks).toBe(before + 1);
    expect(sm.getLeafId()).toBe("zz999999");
    expect(logLines().at(-1)).toMatch(/fallback: SessionManager\.open: file changed since the worker read it/);
  });

  it("leaves v2 files (pi migrates and rewrites them) and files without a header to pi", async () => {
    const v2 = file(generateTranscript({ seed: 3, entries: 40, headerVersion: 2 }).text);
    await prewarm(v2);
    Wrapped.open(v2);
    expect(logLines().at(-1)).toMatch(/v1\/v2 migration/);
    const bad = file('{"type":"message","id":"a","parentId":null}\n');
    await prewarm(bad);
    const sm = Wrapped.open(bad);
    expect(logLines().at(-1)).toMatch(/status invalid-header/);
    // pi's own behaviour on that file happened (fresh session, header written).
    expect(sm.getEntries()).toEqual([]);
    expect(JSON.parse(readFileSync(bad, "utf8").split("\n")[0]!)).toMatchObject({ type: "session", id: sm.getSessionId() });
  });

  it("without a prewarm, open is pi's own", () => {
    const a = file(text);
    const sm = Wrapped.open(a);
    expect(logLines().at(-1)).toMatch(/no ctxc read prepared/);
    expect(state(sm)).toEqual(state(SessionManager.open(copy(a))));
  });

  it("the proxy keeps pi's class identity", () => {
    expect(SessionManager.inMemory() instanceof Wrapped).toBe(true);
    expect(Wrapped.inMemory).toBe(SessionManager.inMemory);
  });
});

describe("preload: OpenClaw's repair pass", () => {
  it("is skipped when ctxc's worker finds nothing it would change, and the read is reused by prewarm + open", async () => {
    const path = file(text);
    let calls = 0;
    const repair = runtime.wrapRepair(async (_params: { sessionFile: string }) => {
      calls++;
      return { repaired: true };
    });
    const before = runtime.counters.repairsSkipped;
    expect(await repair({ sessionFile: path })).toEqual({ repaired: false, droppedLines: 0 });
    expect(calls).toBe(0);
    expect(runtime.counters.repairsSkipped).toBe(before + 1);
    await prewarm(path);
    expect(state(Wrapped.open(path) as unknown as SessionManager)).toEqual(state(SessionManager.open(copy(path))));
  });

  it("runs OpenClaw's own pass (and its write) when there is something to repair", async () => {
    const lines = text.split("\n");
    const path = file([lines[0], '{"type":"message","id":"zz","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"user","content":"  "}}', ...lines.slice(1)].join("\n"));
    const seen: string[] = [];
    const repair = runtime.wrapRepair(async (params: { sessionFile: string }) => {
      seen.push(params.sessionFile);
      return { repaired: true };
    });
    expect(await repair({ sessionFile: path })).toEqual({ repaired: true });
    expect(seen).toEqual([path]);
    expect(logLines().some((l) => l.includes("repair pass runs: a blank user message"))).toBe(true);
  });
});

/**
 * The session read asked for together with the repair check (repair-pass.ts, prepared-reads.ts
 * `prefetchWarmSession`; issue #11), with the real pool and worker: a warm turn asks the worker for the
 * check and the read at once and the prewarm asks nothing; a first turn reads nothing ahead; a read the
 * file or the kept buffers (what a warm read continues on 2026.5.12) moved past is not used but asked
 * again, and the open stays pi's own result. Requests are counted by the pool's tickets, never timed. On
 * each release's own pass and loaders: test/matrix/reads.test.ts.
 */
describe("preload: the session read asked with the repair check", () => {
  let stockRuns = 0;
  const repair = runtime.wrapRepair(async () => {
    stockRuns++;
    return { repaired: false, droppedLines: 0 };
  });

  it("first turn: the check alone; warm turns: check and read together, nothing asked by the prewarm; a read the file or the kept buffers moved past is asked again; every open pi's own", async () => {
    const { text } = generateTranscript({ seed: 1, entries: 160, branchProbability: 0.15, compactions: 2 });
    // Nothing for the repair pass to change (no errored turns, every call with its result): every open served.
    const path = file(text);
    let parent = (JSON.parse(text.trim().split("\n").at(-1)!) as { id: string }).id;
    let k = 0;
    const append = (n = 2) => {
      for (let i = 0; i < n; i++) {
        const id = `p${++k}`;
        appendFileSync(path, JSON.stringify({ type: "message", id, parentId: parent, timestamp: "2026-01-05T09:00:00.000Z", message: { role: "user", content: `q${k}`, timestamp: 1 } }) + "\n");
        parent = id;
      }
    };
    /**
     * One stage (pass, `between`, prewarm, open); the requests each part asked the worker for. `between` is
     * a change after the pass: it runs once the read asked with the check is back (the pass awaits only the
     * check), so that read is of the file before the change whatever the worker thread's timing.
     */
    const stage = async (name: string, between?: () => void) => {
      const [served, fallbacks, runs] = [runtime.counters.sessionsServed, runtime.counters.fallbacks, stockRuns];
      const t0 = runtime.openClawPoolTicket();
      expect(await repair({ sessionFile: path }), name).toEqual({ repaired: false, droppedLines: 0 });
      const t1 = runtime.openClawPoolTicket();
      if (between) {
        await runtime.readSettled(path);
        between();
      }
      await prewarm(path);
      const t2 = runtime.openClawPoolTicket();
      const ours = Wrapped.open(path) as unknown as SessionManager;
      expect(state(ours), name).toEqual(state(SessionManager.open(copy(path))));
      expect([runtime.counters.sessionsServed - served, runtime.counters.fallbacks - fallbacks, stockRuns - runs], `${name}: served, no fallback, the check answered`).toEqual([1, 0, 0]);
      return [t1 - t0, t2 - t1];
    };

    expect(await stage("first turn")).toEqual([1, 1]);
    for (let i = 0; i < 3; i++) {
      append();
      expect(await stage(`warm turn ${i}`)).toEqual([2, 0]);
    }
    // Appended after the pass: the read asked with the check is of the file before; the prewarm reads again.
    append();
    expect(await stage("appended after the pass", () => append(1))).toEqual([2, 1]);
    // The kept buffers dropped after the pass (what the read continues is gone): not used — without the
    // check, the open would find only the appended records and leave the file to pi (a fallback).
    append();
    expect(await stage("kept buffers dropped after the pass", () => runtime.keptBuffers.clearKeptBuffers())).toEqual([2, 1]);
    // And warm again.
    append();
    expect(await stage("warm turn after")).toEqual([2, 0]);
  });
});

describe("preload: bootstrap files", () => {
  it("reads in ctxc's worker, runs OpenClaw's agent:bootstrap hook, then drops HEARTBEAT.md and sanitises paths", async () => {
    const ws = join(dir, "ws");
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, "AGENTS.md"), "agents rules");
    writeFileSync(join(ws, "HEARTBEAT.md"), "beat");
    const seen: unknown[] = [];
    const resolveFiles = runtime.wrapResolveBootstrapFiles(async () => { throw new Error("original must not run"); }, {
      createInternalHookEvent: (type, action, sessionKey, context) => ({ type, action, sessionKey, context }),
      triggerInternalHook: async (event) => {
        const e = event as { context: { bootstrapFiles: { name: string; path: string }[] } };
        seen.push(e.context.bootstrapFiles.map((f) => f.name));
        e.context.bootstrapFiles = [...e.context.bootstrapFiles, { name: "EXTRA.md", path: "EXTRA.md", content: "x", missing: false } as never, { name: "AGENTS.md", path: join(ws, "AGENTS.md"), missing: false } as never];
      },
      resolveAgentIdFromSessionKey: () => "main",
    });
    // Heartbeat guidance off for the default agent: OpenClaw drops HEARTBEAT.md, after the hook.
    const files = await resolveFiles({ workspaceDir: ws, sessionKey: "agent:main:main", config: { agents: { list: [{ id: "main", heartbeat: { includeSystemPromptSection: false } }] } } as never });
    expect(seen[0]).toContain("HEARTBEAT.md");
    expect(files.map((f) => f.name)).not.toContain("HEARTBEAT.md");
    expect(files.find((f) => f.name === "AGENTS.md")).toMatchObject({ content: "agents rules", missing: false });
    expect(files.find((f) => f.name === "EXTRA.md")!.path).toBe(join(ws, "EXTRA.md"));
    expect(files.filter((f) => f.name === "AGENTS.md")).toHaveLength(1);
  });

  it("falls back to OpenClaw's function when ctxc rejects the call", async () => {
    const resolveFiles = runtime.wrapResolveBootstrapFiles(async () => [{ name: "ORIG", path: "/x", missing: true }], {
      createInternalHookEvent: () => { throw new Error("not reached"); },
      triggerInternalHook: async () => {},
      resolveAgentIdFromSessionKey: () => undefined,
    });
    expect(await resolveFiles({ workspaceDir: 42 as never })).toEqual([{ name: "ORIG", path: "/x", missing: true }]);
    expect(logLines().at(-1)).toMatch(/fallback: resolveBootstrapFilesForRun: .*workspaceDir/);
  });
});

describe("preload: release guard", () => {
  it("stays off, saying why, for a package that is not a located OpenClaw, and for a missing package", () => {
    const root = join(dir, "oc");
    mkdirSync(join(root, "dist"), { recursive: true });
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "openclaw", version: "2026.5.11" }));
    writeFileSync(join(root, "openclaw.mjs"), "");
    expect(register.findOpenClawRoot(join(root, "openclaw.mjs"))).toBe(root);
    // No chunk defines any interception point: the gateway runs stock and the line says what is missing.
    expect(register.planPreload(root)).toMatch(/^openclaw 2026\.5\.11 at .*: no interception point has a checked shape \(.*no prewarmSessionFile/);
    // A chunk with the functions' names but other bodies (an unknown build) is refused the same way.
    writeFileSync(join(root, "dist", "selection-AAAAAAAA.js"), "async function prewarmSessionFile(sessionFile) {\n\treturn 1;\n}\nasync function runEmbeddedAttempt(params) {\n}\n");
    expect(register.planPreload(root)).toMatch(/prewarmSessionFile shape [0-9a-f]{12} unchecked/);
    // SQLite transcripts (2026.7.2-beta.1+): named as the reason.
    writeFileSync(join(root, "dist", "session-manager-BBBBBBBB.js"), "var SessionManager = class SessionManager {\n\tstatic open(target, cwdOverride) {\n\t\tconst entries = loadTranscriptEventsSync(target);\n\t}\n};\n");
    expect(register.planPreload(root)).toMatch(/keeps transcripts in SQLite, not JSONL files \(SessionManager.open reads transcripts through loadTranscriptEventsSync/);
    expect(register.planPreload(register.findOpenClawRoot(join(dir, "nowhere.mjs")))).toMatch(/no openclaw package/);
  });

  it("plans OpenClaw 2026.5.12 (the reference install) by what its functions are", () => {
    const plan = register.planPreload(OPENCLAW_REFERENCE_DIR);
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.version).toBe("2026.5.12");
    expect(plan.served).toEqual(["session open (pi 0.74.0 SessionManager.open)", "prewarm", "repair check", "leaf scan", "bootstrap files", "bootstrap context", "workspace bootstrap read (loadWorkspaceBootstrapFiles)", "lock path realpath (resolveNormalizedSessionFile)", "lock folder check and realpath (resolveNormalizedTargetPath)", "lock-file snapshot (readLockSnapshot)", "lock folder mkdir (in acquireSessionWriteLock)", "lock file stat (in fs-safe's lock acquire)", "lock file create and payload write (in fs-safe's lock acquire)", "session file check (hadSessionFile, in runEmbeddedAttempt)"]);
    expect(plan.stock).toEqual([]); // (no idempotency-key lookup in this release: nothing to list)
    expect(plan.pi?.parentUrl).toMatch(/\/dist\/selection-[\w-]{8}\.js$/);
    // Seven chunks rewritten: prewarm + repair share one, the leaf scan has one, the two bootstrap functions one,
    // the workspace read (for the release's other callers of it) one, the session write lock's and fs-safe's lock one
    // each, and the run's (its hadSessionFile stat; the chunk that imports pi, served under its own URL).
    expect(Object.keys(plan.chunks)).toHaveLength(7);
    for (const source of Object.values(plan.chunks)) expect(source).not.toMatch(/import\.meta\.(url|dirname|filename)/);
  });
});

describe("preload: module hooks", () => {
  const hooks = () => import("../../src/openclaw/preload-hooks.js");
  const realDir = join(dir, "fake-openclaw", "dist");
  mkdirSync(realDir, { recursive: true });
  const parentUrl = pathToFileURL(join(realDir, "selection-61FIEezO.js")).href;
  const realPi = join(realDir, "fake-pi.mjs");
  // A stand-in for pi's module: the wrapper must re-export everything and shadow only SessionManager.
  writeFileSync(realPi, "export class SessionManager { static open() { return 'pi-open'; } }\nexport const CURRENT_SESSION_VERSION = 3;\n");
  const data = {
    version: "test",
    runtimeUrl: new URL("../../dist/src/openclaw/preload-runtime.js", import.meta.url).href,
    chunks: {},
    pi: { parentUrl },
    served: [],
    stock: [],
    located: { ms: 0, filesRead: 0, fullScan: false },
  };
  const next = (specifier: string) => ({ url: specifier === "@earendil-works/pi-coding-agent" ? pathToFileURL(realPi).href : `file:///elsewhere/${specifier}` });
  const source = (url: string) => Buffer.from(url.slice("data:text/javascript;base64,".length), "base64").toString();

  it("in-thread (registerHooks): only the chunk's own pi import goes to a data: wrapper, which loads and re-exports", async () => {
    const { createPreloadHooks } = await hooks();
    const { resolve } = createPreloadHooks(data, true);
    // Another importer, or another specifier from the chunk: untouched.
    expect(resolve("@earendil-works/pi-coding-agent", { parentURL: "file:///other.js" }, next)).toEqual(next("@earendil-works/pi-coding-agent"));
    expect(resolve("./x.js", { parentURL: parentUrl }, next)).toEqual(next("./x.js"));
    const r = resolve("@earendil-works/pi-coding-agent", { parentURL: parentUrl }, next) as { url: string; format: string };
    expect(r.url.startsWith("data:text/javascript;base64,")).toBe(true);
    expect(r.format).toBe("module");
    const mod = (await import(r.url)) as { SessionManager: { open: (p: string) => unknown }; CURRENT_SESSION_VERSION: number };
    expect(mod.CURRENT_SESSION_VERSION).toBe(3);
    // The shadowed class is the Proxy from preload-runtime: with nothing prepared, open falls back to pi's.
    expect(mod.SessionManager.open(join(dir, "none.jsonl"))).toBe("pi-open");
    expect(logLines().at(-1)).toMatch(/fallback: SessionManager.open: no ctxc read prepared/);
  });

  it("in-thread: every import that resolves to a rewritten chunk gets the one served module, whose own imports resolve as the chunk's", async () => {
    const { createPreloadHooks } = await hooks();
    const chunkUrl = pathToFileURL(join(realDir, "transcript-D34ZH8ZQ.js")).href;
    const { resolve } = createPreloadHooks({ ...data, chunks: { [chunkUrl]: "export const x = 1;\n" } }, true);
    const toChunk = () => ({ url: chunkUrl });
    const a = resolve("./transcript-D34ZH8ZQ.js", { parentURL: "file:///oc/dist/a.js" }, toChunk) as { url: string };
    const b = resolve("../transcript-D34ZH8ZQ.js", { parentURL: "file:///oc/dist/ext/b.js" }, toChunk) as { url: string };
    expect(a.url).toBe(b.url);
    expect(source(a.url)).toBe("export const x = 1;\n");
    // Anything else resolves as before.
    expect(resolve("./other.js", { parentURL: "file:///oc/dist/a.js" }, next)).toEqual(next("./other.js"));
    // From inside the served module, specifiers resolve relative to the real chunk.
    let seenParent: string | undefined;
    resolve("./redact-R2-EdHUS.js", { parentURL: a.url }, (s: string, c?: unknown) => {
      seenParent = (c as { parentURL: string }).parentURL;
      return { url: s };
    });
    expect(seenParent).toBe(chunkUrl);
  });

  it("off-thread (module.register): async next, ctxc-openclaw: URLs and a load hook that serves the same sources", async () => {
    const { createPreloadHooks, piWrapperSource } = await hooks();
    const chunkUrl = pathToFileURL(join(realDir, "transcript-D34ZH8ZQ.js")).href;
    const { resolve, load } = createPreloadHooks({ ...data, chunks: { [chunkUrl]: "export const y = 2;\n" } });
    const r = (await resolve("@earendil-works/pi-coding-agent", { parentURL: parentUrl }, async (s) => next(s))) as { url: string };
    expect(r.url).toMatch(/^ctxc-openclaw:pi\?real=/);
    const loaded = (await load(r.url, {}, async () => ({ source: "never" }))) as { source: string };
    expect(loaded.source).toBe(piWrapperSource(pathToFileURL(realPi).href, data.runtimeUrl));
    const c = (await resolve("./t.js", { parentURL: "file:///oc/dist/a.js" }, async () => ({ url: chunkUrl }))) as { url: string };
    expect(c.url).toMatch(/^ctxc-openclaw:chunk\?real=/);
    expect(((await load(c.url, {}, async () => ({ source: "never" }))) as { source: string }).source).toBe("export const y = 2;\n");
    expect(await load("file:///a.js", {}, async () => ({ source: "next" }))).toEqual({ source: "next" });
  });
});
