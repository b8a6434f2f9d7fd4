/**
 * Hostile inputs for every read the preload serves, against ONE release's own functions (`CTXC_OPENCLAW_ROOT`,
 * as test/matrix/interceptions.test.ts): bytes the generator's damage kinds do not make (invalid UTF-8,
 * escaped lone surrogates, raw and escaped NULs, Unicode spaces around lines, prototype-ish and duplicate
 * keys, integer-like keys, numbers `JSON.parse` rounds, a line past every chunk size, deep nesting, ids
 * and parentIds of every JSON type), and a file changed between turns in the ways a second writer or an
 * operator changes it (renamed over with the same size and mtime, rewritten in place with the mtime put
 * back, deleted, made a directory or a symlink, appended to between ctxc's read and the open). Each call
 * must return what the release's own function returns on a copy of the same bytes (or throw the same), and
 * what a caller does to what it got must not reach the next call. Issues #6/#11 (full audit).
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generatedTranscript } from "../support/generated.js";
import { importIntercepted, importInterceptedAll, releasePi as releasePiOf, releaseTestSetup, type Intercepted } from "../support/openclaw-release.js";
import { wreckEntries } from "../support/wreck-entries.js";
import { HEADER, SERVED, T, attempt, bytes, expectSame, hostileCorpus, line, type Plain } from "../support/hostile-corpus.js";

const { root, version, dir, pair } = releaseTestSetup("matrix-hostile", { afterAll });

/** This release's served session opens of 2026.5.28+ (`loadEntriesFromFile*`), by name: none before. */
async function servedOpens(): Promise<[string, Intercepted][]> {
  const out: [string, Intercepted][] = [];
  for (const name of ["loadEntriesFromFile", "loadEntriesFromFileWithSnapshot"]) {
    const x = await importIntercepted(root!, name);
    if (typeof x !== "string") out.push([name, x]);
  }
  return out;
}

/** The entries of an open's answer (`loadEntriesFromFileWithSnapshot` returns them with the snapshot). */
const entriesOf = (name: string, v: unknown) => (name === "loadEntriesFromFile" ? v : (v as { entries?: unknown } | undefined)?.entries);

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: hostile bytes vs the release's own reads`, () => {
  it("session open (loadEntriesFromFile / loadEntriesFromFileWithSnapshot): the same entries or the same error on every hostile file, nothing a caller changes reaching the next open", async (ctx) => {
    const opens = await servedOpens();
    if (opens.length === 0) return ctx.skip("no loadEntriesFromFile* in this release");
    for (const [name, x] of opens) {
      const rt = x.runtime;
      const cache = x.helpers.sessionEntriesCache as Map<string, { entries: unknown[] }> | undefined;
      for (const c of hostileCorpus()) {
        const [a, b] = pair(c.text);
        for (let turn = 0; turn < 2; turn++) {
          cache?.delete(resolve(a));
          cache?.delete(resolve(b));
          await rt.prepareSession(a);
          const served = rt.counters.sessionsServed;
          const ours = await attempt(() => x.ctxc(a));
          const theirs = await attempt(() => x.openclaw(b));
          const label = `${name}: ${c.name}, turn ${turn}`;
          // Served wherever ctxc's read has no diagnostic (the others are OpenClaw's own, logged).
          if (SERVED.has(c.name)) expect(rt.counters.sessionsServed - served, label).toBe(1);
          expect(ours.error, label).toBe(theirs.error);
          const [mine, stock] = [entriesOf(name, ours.value) as Plain[] | undefined, entriesOf(name, theirs.value) as Plain[] | undefined];
          expectSame(label, mine, stock);
          // 2026.6.9+: the snapshot is of another file (its inode, times) but the same size; entries frozen alike.
          const size = (v: unknown) => (v as { snapshot?: { size?: bigint } } | undefined)?.snapshot?.size;
          expect(size(ours.value), label).toBe(size(theirs.value));
          expect(mine?.map((e) => Object.isFrozen(e)), label).toEqual(stock?.map((e) => Object.isFrozen(e)));
          const entries = mine;
          // What the caller owns (2026.5.28–6.8: every entry; 2026.6.9+: the array and its header clone).
          if (entries) {
            wreckEntries(entries.filter((e) => !Object.isFrozen(e)));
            entries.push({ leaked: true });
            if (entries[1]) entries[1] = { leaked: true };
          }
        }
      }
    }
  });

  it("repair check, leaf scan, idempotency lookup, recent-conversation read, fence digest: the same answers (and file bytes) on every hostile file", { timeout: 600_000 }, async () => {
    const calls: [string, (f: string) => unknown[]][] = [
      ["repairSessionFileIfNeeded", (f) => [{ sessionFile: f }]],
      ["readTranscriptLeafInfo", (f) => [f]],
      ["findTranscriptMessageByIdempotencyKey", (f) => [f, "no-such-key"]],
      ["readRecentUserAssistantTextFromSessionTranscript", (f) => [f, { limit: 3 }]],
      ["readRecentUserAssistantTextFromSessionTranscript", (f) => [f, { minTimestampMs: 1, limit: 50 }]],
      ["readSessionFileDigest", (f) => [f]],
    ];
    const strip = (v: unknown) => {
      if (typeof v !== "object" || v === null || !("repaired" in v)) return v;
      const r = v as Plain;
      return { ...r, backupPath: r.backupPath === undefined ? undefined : "(backup)", validatedSnapshot: r.validatedSnapshot === undefined ? undefined : "(snapshot)" };
    };
    for (const [name, args] of calls) {
      const x = await importIntercepted(root!, name);
      if (typeof x === "string") continue;
      for (const c of hostileCorpus()) {
        const [a, b] = pair(c.text);
        const ours = await attempt(() => x.ctxc(...args(a)));
        const theirs = await attempt(() => x.openclaw(...args(b)));
        const label = `${name}: ${c.name}`;
        expect(ours.error, label).toBe(theirs.error);
        expect(strip(ours.value), label).toEqual(strip(theirs.value));
        expect(readFileSync(a).equals(readFileSync(b)), label).toBe(true);
      }
    }
  });
});

const CHANGED_TEXT = generatedTranscript({ seed: 21, entries: 120, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "mixed" }).text;
/** The same file with one id character in the middle changed: the same size, other bytes. */
const flipped = (now: string) => {
  const at = now.indexOf('"id":"', now.length >> 1) + 6;
  return now.slice(0, at) + (now[at] === "Z" ? "Y" : "Z") + now.slice(at + 1);
};
/** Puts back `p`'s mtime as `st` had it, to the nanosecond (utimes takes seconds as a double: exact for a whole-ms mtime only, so set one first with {@link wholeMs}). */
const keepTimes = (p: string, st: { atime: Date; mtime: Date }) => utimesSync(p, st.atime, st.mtime);
/** Gives `p` a whole-millisecond mtime (a minute ago), so {@link keepTimes} can restore it exactly. */
const wholeMs = (p: string) => {
  const was = new Date(Date.now() - 60_000);
  utimesSync(p, was, was);
};
/** Each change, applied to one path (ctxc's side and stock's side get the same). */
const CHANGES: { name: string; apply: (p: string) => void }[] = [
  {
    name: "renamed over by a file of the same size and mtime (new inode)",
    apply: (p) => {
      const st = statSync(p);
      writeFileSync(p + ".new", flipped(readFileSync(p, "utf8")));
      keepTimes(p + ".new", st);
      renameSync(p + ".new", p);
    },
  },
  {
    name: "rewritten in place to the same size, mtime put back",
    apply: (p) => {
      const st = statSync(p);
      writeFileSync(p, flipped(readFileSync(p, "utf8")));
      keepTimes(p, st);
    },
  },
  {
    // (A same-length change in the middle, outside the worker's 4 KiB head and tail windows, is not
    // seen: the append check's documented limit — docs/openclaw.md §5, "What the append check sees".)
    name: "truncated and regrown longer, a same-length change in the last line",
    apply: (p) => {
      const now = readFileSync(p, "utf8");
      const at = now.lastIndexOf('"id":"') + 6;
      writeFileSync(p, now.slice(0, at) + (now[at] === "Z" ? "Y" : "Z") + now.slice(at + 1) + line({ type: "custom", id: "more", parentId: null, customType: "x" }) + "\n");
    },
  },
  { name: "deleted", apply: (p) => rmSync(p) },
  {
    name: "made a directory",
    apply: (p) => {
      rmSync(p);
      mkdirSync(p);
    },
  },
  {
    name: "made a symlink to another transcript",
    apply: (p) => {
      const other = `${p}.other`;
      writeFileSync(other, generatedTranscript({ seed: 22, entries: 40 }).text);
      rmSync(p);
      symlinkSync(other, p);
    },
  },
];

describe.skipIf(!root)(`OpenClaw ${version}: the idempotency-key lookup on keys the bytes spell another way`, () => {
  it("findTranscriptMessageByIdempotencyKey: the same answer for keys with a replacement character (invalid UTF-8 in the file), lone surrogates, escapes and Unicode", async (ctx) => {
    const x = await importIntercepted(root!, "findTranscriptMessageByIdempotencyKey");
    if (typeof x === "string") return ctx.skip(x);
    const keyed = (id: string, rawKey: string | number[]) =>
      bytes(`{"type":"message","id":"${id}","parentId":null,"timestamp":"${T}","message":{"role":"user","content":"hi","timestamp":1,"idempotencyKey":"`, rawKey, `"}}\n`);
    const text = Buffer.concat([
      bytes(HEADER, "\n"),
      keyed("m1", ["k".charCodeAt(0), 0xff]), // stock decodes the byte to U+FFFD
      keyed("m2", ["c".charCodeAt(0), 0xe2, 0x82]), // a cut sequence: U+FFFD
      keyed("m3", ["s".charCodeAt(0), 0xed, 0xa0, 0x80]), // an encoded surrogate: three U+FFFD
      keyed("m4", "\\ud800"),
      keyed("m5", "\\ud83d\\ude00 \\u00e9"),
      keyed("m6", "caf\u00e9 ✓"),
    ]);
    const [a] = pair(text);
    for (const key of ["k\uFFFD", "c\uFFFD", "s\uFFFD\uFFFD\uFFFD", "\ud800", "\ud83d\ude00 \u00e9", "😀 é", "café ✓", "caf\u00e9 ✓", "k", "\uFFFD"]) {
      expect(await x.ctxc(a, key), JSON.stringify(key)).toEqual(await x.openclaw(a, key));
    }
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: bootstrap files with hostile bytes and entries`, () => {
  it("resolveBootstrapFilesForRun + buildBootstrapContextForFiles: the same files, context and warnings as the release's own", async (ctx) => {
    const both = await importInterceptedAll(root!, "resolveBootstrapFilesForRun", "buildBootstrapContextForFiles");
    if (typeof both === "string") return ctx.skip(both);
    const [files, context] = both as [Intercepted, Intercepted];
    const ws = join(dir, "hostile-ws");
    const outside = join(dir, "outside.md");
    mkdirSync(ws, { recursive: true });
    writeFileSync(outside, "# outside the workspace\n");
    writeFileSync(join(ws, "AGENTS.md"), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("# agents\r\nline two\r\n")]));
    writeFileSync(join(ws, "SOUL.md"), Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x00, 0x41, 0xe2, 0x82, 0x0a]));
    mkdirSync(join(ws, "TOOLS.md"));
    symlinkSync(outside, join(ws, "IDENTITY.md"));
    writeFileSync(join(ws, "USER.md"), "");
    writeFileSync(join(ws, "HEARTBEAT.md"), "x".repeat(2 * 1024 * 1024 + 1));
    writeFileSync(join(ws, "BOOTSTRAP.md"), "é".repeat(40_000) + "\u2028end");
    symlinkSync(join(ws, "USER.md"), join(ws, "MEMORY.md"));
    const served = files.runtime.counters.bootstrapServed;
    for (const config of [undefined, { agents: { defaults: { bootstrapMaxChars: 500, bootstrapTotalMaxChars: 1200 } } }]) {
      const warnings: [string[], string[]] = [[], []];
      const params = (k: 0 | 1) => ({ workspaceDir: ws, sessionKey: "agent:main:main", config, warn: (m: string) => warnings[k].push(m) });
      const ours = await files.ctxc(params(0));
      const theirs = await files.openclaw(params(1));
      expect(ours, JSON.stringify(config)).toEqual(theirs);
      expect(context.ctxc(ours, params(0)), JSON.stringify(config)).toEqual(context.openclaw(theirs, params(1)));
      expect(warnings[0]).toEqual(warnings[1]);
    }
    expect(files.runtime.counters.bootstrapServed).toBe(served + 2);
  });

  it("a bootstrap file rewritten between runs to the same size with its mtime put back (rsync -t --inplace, cp -p over it): the new content, as the release reads it", async (ctx) => {
    const files = await importIntercepted(root!, "resolveBootstrapFilesForRun");
    if (typeof files === "string") return ctx.skip(files);
    const ws = join(dir, "rewritten-ws");
    mkdirSync(ws, { recursive: true });
    const agents = join(ws, "AGENTS.md");
    writeFileSync(agents, "# agents: version A\n");
    // A whole-millisecond mtime, so that putting it back restores the stat's mtime exactly (utimes takes no nanoseconds).
    const was = new Date(Date.now() - 60_000);
    utimesSync(agents, was, was);
    const params = { workspaceDir: ws, sessionKey: "agent:main:main" };
    const content = (out: unknown) => (out as { name: string; content?: string }[]).find((f) => f.name === "AGENTS.md")?.content;
    expect(content(await files.ctxc(params))).toBe("# agents: version A\n");
    const before = statSync(agents, { bigint: true });
    writeFileSync(agents, "# agents: version B\n");
    utimesSync(agents, was, was);
    const after = statSync(agents, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
    const served = files.runtime.counters.bootstrapServed;
    expect(content(await files.ctxc(params))).toBe(content(await files.openclaw(params)));
    expect(files.runtime.counters.bootstrapServed).toBe(served + 1);
  });
});

describe.skipIf(!root)(`OpenClaw ${version}: a transcript changed between turns vs the release's own open`, () => {
  it("loadEntriesFromFile*: after each change the open equals the release's own open of the changed file", async (ctx) => {
    const opens = await servedOpens();
    if (opens.length === 0) return ctx.skip("no loadEntriesFromFile* in this release");
    for (const [name, x] of opens) {
      const rt = x.runtime;
      for (const change of CHANGES) {
        const [a, b] = pair(CHANGED_TEXT);
        [a, b].forEach(wholeMs);
        await rt.prepareSession(a);
        await attempt(() => x.ctxc(a));
        await attempt(() => x.openclaw(b));
        change.apply(a);
        change.apply(b);
        await rt.prepareSession(a);
        const ours = await attempt(() => x.ctxc(a));
        // A fresh path for stock: its own entry cache must not answer for it (2026.6.9+ keys it by stat).
        const fresh = join(dir, `fresh-${name}-${CHANGES.indexOf(change)}.jsonl`);
        let theirs = await attempt(() => x.openclaw(b));
        try {
          copyFileSync(b, fresh);
          theirs = await attempt(() => x.openclaw(fresh));
        } catch {
          /* b is not a file now: its own answer stands */
        }
        expect(ours.error, `${name}: ${change.name}`).toBe(theirs.error);
        expectSame(`${name}: ${change.name}`, entriesOf(name, ours.value), entriesOf(name, theirs.value));
      }
      // Appended by another writer between ctxc's read and the open: the open is of the file as it is then.
      const [a, b] = pair(CHANGED_TEXT);
      await rt.prepareSession(a);
      const more = line({ type: "custom", id: "racer", parentId: null, customType: "x" }) + "\n";
      appendFileSync(a, more);
      appendFileSync(b, more);
      expectSame(`${name}: appended after the read`, entriesOf(name, x.ctxc(a)), entriesOf(name, x.openclaw(b)));
    }
  });
});

/** The release's own pi and its open wrapped as the preload wraps it (2026.5.12–5.27), or why not. */
const releasePi = () => releasePiOf<PiClass>(root!, version);
type Manager = { getHeader(): unknown; getEntries(): unknown[]; getLeafId(): unknown; getSessionId(): string; getCwd(): string };
type PiClass = { open(path: string): Manager };
/** What the run path reads from a manager, as data. */
const view = (sm: Manager) => ({ id: sm.getSessionId(), cwd: sm.getCwd(), header: sm.getHeader(), entries: sm.getEntries(), leaf: sm.getLeafId() });

describe.skipIf(!root)(`OpenClaw ${version}: pi's SessionManager.open (2026.5.12–5.27) on hostile bytes and changed files`, () => {
  it("a transcript changed between turns: each open equals pi's own open of the changed file", async (ctx) => {
    const x = await releasePi();
    if (typeof x === "string") return ctx.skip(x);
    const { runtime, Wrapped, pi } = x;
    const prewarm = runtime.wrapPrewarm(async () => {});
    for (const change of CHANGES) {
      const [a] = pair(CHANGED_TEXT);
      wholeMs(a);
      await prewarm(a);
      Wrapped.open(a);
      change.apply(a);
      await prewarm(a);
      const ours = await attempt(() => view(Wrapped.open(a)));
      // pi's own open of a copy of what is there now (pi may write the path it opens).
      let theirs: { value?: unknown; error?: string };
      try {
        const [copy] = pair(readFileSync(a));
        theirs = await attempt(() => view(pi.open(copy)));
      } catch {
        theirs = await attempt(() => view(pi.open(a)));
      }
      expect(ours.error, change.name).toBe(theirs.error);
      let now = "";
      try {
        now = readFileSync(a, "latin1");
      } catch {
        /* deleted, or not a file: pi's session is a new one */
      }
      const fresh = !!theirs.value && !now.includes((theirs.value as { id: string }).id);
      if (!fresh && !ours.error) expectSame(change.name, ours.value, theirs.value);
    }
  });

  it("the same manager as pi's open; what a caller changes in one open's entries never reaches the next", async (ctx) => {
    const x = await releasePi();
    if (typeof x === "string") return ctx.skip(x);
    const { runtime, Wrapped, pi } = x;
    const prewarm = runtime.wrapPrewarm(async () => {});
    for (const c of hostileCorpus()) {
      const [a, b] = pair(c.text);
      for (let turn = 0; turn < 2; turn++) {
        await prewarm(a);
        const served = runtime.counters.sessionsServed;
        const ours = await attempt(() => view(Wrapped.open(a)));
        const theirs = await attempt(() => view(pi.open(b)));
        const label = `${c.name}, turn ${turn}`;
        if (SERVED.has(c.name)) expect(runtime.counters.sessionsServed - served, label).toBe(1);
        expect(ours.error, label).toBe(theirs.error);
        // A file pi starts afresh gets a new random id on each side.
        const fresh = !!theirs.value && !(typeof c.text === "string" ? c.text : c.text.toString("latin1")).includes((theirs.value as { id: string }).id);
        if (!fresh) expectSame(label, ours.value, theirs.value);
        if (ours.value) wreckEntries((ours.value as { entries: Plain[] }).entries);
      }
    }
  });
});
