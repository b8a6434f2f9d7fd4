/**
 * Differential tests: ctxc/openclaw's openSession against pi's real SessionManager.open on generated
 * branched + compacted transcripts (v3 and v2 headers), every read method the run path calls, plus
 * the read-only guarantee (pi rewrites v2 files and wipes files with a bad header; ctxc never writes).
 */
import { execFile, execFileSync } from "node:child_process";
import { appendFileSync, copyFileSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { closeOpenClawPool, openSession, openSessionAsync, decodeSession } from "../../src/openclaw/index.js";
import { CtxcError } from "../../native-free-workers/protocol/errors.js";
import { findActivePathCycle, piSession } from "../reference/pi-reference.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";
import { HANG_MS } from "../support/hang-guard.js";

const run = promisify(execFile);
const dir = tempDir("oc-session");
let fileNo = 0;
afterAll(() => closeOpenClawPool());

const write = tempFileWriter(dir, "s");

/** pi on a private copy: SessionManager.open may rewrite the file it opens. */
function pi(path: string) {
  const copy = join(dir, `pi-${++fileNo}.jsonl`);
  copyFileSync(path, copy);
  return piSession(copy);
}

type Session = ReturnType<typeof openSession>;
type Pi = ReturnType<typeof piSession>;

/** Every read method, compared. */
function expectSameSession(ours: Session, ref: Pi): void {
  const entries = ref.getEntries();
  expect(ours.getEntries()).toEqual(entries);
  expect(ours.entryCount).toBe(entries.length);
  expect(ours.getHeader()).toEqual(ref.getHeader());
  expect(ours.getSessionId()).toBe(ref.getSessionId());
  expect(ours.getCwd()).toBe(ref.getCwd());
  expect(ours.getLeafId()).toBe(ref.getLeafId());
  expect(ours.getLeafEntry()).toEqual(ref.getLeafEntry());
  expect(ours.getBranch()).toEqual(ref.getBranch());
  if (!findActivePathCycle(entries)) expect(ours.buildSessionContext()).toEqual(ref.buildSessionContext());
  expect(ours.getSessionName()).toBe(ref.getSessionName());
  const ids = new Set(entries.map((e) => e.id));
  for (const id of ids) {
    expect(ours.getEntry(id)).toEqual(ref.getEntry(id));
    expect(ours.getLabel(id)).toBe(ref.getLabel(id));
  }
  expect(ours.getEntry("nope-not-an-id")).toBeUndefined();
  // getBranch(fromId) from a sample of entries (branch points included), and getChildren of them.
  const sample = entries.filter((_, i) => i % 7 === 0);
  for (const e of sample) {
    expect(ours.getBranch(e.id)).toEqual(ref.getBranch(e.id));
    expect(ours.getChildren(e.id)).toEqual(ref.getChildren(e.id));
  }
}

describe("openSession vs pi SessionManager.open", () => {
  const cases: { name: string; opts: Parameters<typeof generateTranscript>[0] }[] = [];
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    cases.push({
      name: `seed ${seed}, v${seed % 2 ? 3 : 2}, branched + compacted`,
      opts: {
        seed,
        entries: 120 + seed * 40,
        branchProbability: 0.25,
        compactions: 1 + (seed % 3),
        includeAllEntryTypes: true,
        headerVersion: seed % 2 ? 3 : 2,
        unicode: seed % 3 === 0 ? "heavy" : "mixed",
        toolResultBytes: { min: 50, max: 2_000 },
      },
    });
  }
  cases.push({ name: "ends with a compaction", opts: { seed: 11, entries: 90, compactions: 2, endWithCompaction: true, branchProbability: 0.3 } });
  cases.push({ name: "no branches, no compaction", opts: { seed: 12, entries: 60, branchProbability: 0 } });

  for (const c of cases) {
    it(c.name, () => {
      const { text } = generateTranscript(c.opts);
      const path = write(text);
      const ref = pi(path);
      if (c.opts.includeAllEntryTypes) {
        // the generator really produced what the case is about
        expect(ref.getEntries().some((e) => e.type === "compaction")).toBe(true);
        expect(ref.getEntries().some((e) => e.type === "label")).toBe(true);
      }
      expectSameSession(openSession(path), ref);
    });
  }

  it("v2 transcripts: the migrated view (hookMessage → custom, header version 3) without rewriting the file", () => {
    const { text } = generateTranscript({ seed: 21, entries: 80, headerVersion: 2, includeAllEntryTypes: true });
    const lines = text.trimEnd().split("\n");
    // a v2-era hookMessage entry, which pi's migration renames to `custom`
    const last = JSON.parse(lines.at(-1)!) as { id: string };
    lines.push(
      JSON.stringify({
        type: "message",
        id: "h00k0001",
        parentId: last.id,
        timestamp: "2026-01-05T09:00:00.000Z",
        message: { role: "hookMessage", customType: "x", content: "hook says hi", display: true, timestamp: 1 },
      }),
    );
    const path = write(`${lines.join("\n")}\n`);
    const before = readFileSync(path);
    const mtime = statSync(path).mtimeMs;
    const ours = openSession(path);
    const ref = pi(path);
    expectSameSession(ours, ref);
    expect(ours.getHeader()?.version).toBe(3);
    expect((ours.getLeafEntry()?.message as { role: string }).role).toBe("custom");
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(mtime);
  });

  it("v1 transcripts (no ids): same entries as pi's migration up to the generated ids", () => {
    const t = (n: number) => `2026-01-05T08:00:0${n}.000Z`;
    const lines = [
      { type: "session", id: "v1-session", timestamp: t(0), cwd: "/w" },
      { type: "message", timestamp: t(1), message: { role: "user", content: "a", timestamp: 1 } },
      { type: "message", timestamp: t(2), message: { role: "assistant", content: [{ type: "text", text: "b" }], provider: "p", model: "m", timestamp: 2 } },
      { type: "compaction", timestamp: t(3), summary: "sum", firstKeptEntryIndex: 2, tokensBefore: 10 },
      { type: "message", timestamp: t(4), message: { role: "user", content: "c", timestamp: 4 } },
    ];
    const path = write(`${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const before = readFileSync(path);
    const ours = openSession(path);
    const ref = pi(path);
    // pi's ids are random: map both sides' ids to positions before comparing.
    const normalize = (entries: readonly { id: string; parentId: string | null }[]) => {
      const pos = new Map<unknown, number>(entries.map((e, i) => [e.id, i]));
      return entries.map((e) => ({
        ...e,
        id: pos.get(e.id),
        parentId: e.parentId === null ? null : pos.get(e.parentId),
        ...("firstKeptEntryId" in e ? { firstKeptEntryId: pos.get(e.firstKeptEntryId) } : {}),
      }));
    };
    expect(normalize(ours.getEntries())).toEqual(normalize(ref.getEntries()));
    expect(ours.buildSessionContext()).toEqual(ref.buildSessionContext());
    expect(ours.getHeader()).toEqual(ref.getHeader());
    expect(ours.getBranch().length).toBe(ref.getBranch().length);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("a last line without a newline is read, as pi reads it", () => {
    const { text } = generateTranscript({ seed: 31, entries: 40 });
    const path = write(text.trimEnd());
    expectSameSession(openSession(path), pi(path));
  });

  it("a BOM, blank lines and malformed lines are skipped like pi", () => {
    const { text } = generateTranscript({ seed: 32, entries: 50, branchProbability: 0.2 });
    const lines = text.trimEnd().split("\n");
    lines.splice(10, 0, "", "{not json", "   ");
    const path = write(`\uFEFF${lines.join("\n")}\r\n`);
    const ours = openSession(path);
    expectSameSession(ours, pi(path));
    expect(ours.meta.diagnostics.map((d) => d.code)).toEqual(["MALFORMED_LINE"]);
  });

  it("openSessionAsync (worker) gives the same session as openSession", async () => {
    const { text } = generateTranscript({ seed: 41, entries: 200, branchProbability: 0.2, compactions: 2 });
    const path = write(text);
    const a = await openSessionAsync(path);
    const b = openSession(path);
    expect(a.getEntries()).toEqual(b.getEntries());
    expect(a.buildSessionContext()).toEqual(b.buildSessionContext());
    expect(a.getLeafId()).toBe(b.getLeafId());
    expectSameSession(a, pi(path));
    // the buffer crossed threads: it can be decoded again elsewhere
    expect(decodeSession(a.buffer).getBranch()).toEqual(b.getBranch());
  });

  it("entryCount with session-type lines mid-file and in a continued read: the buffer's count, and counted in a buffer without it", async () => {
    const { text } = generateTranscript({ seed: 43, entries: 60, branchProbability: 0.2 });
    const lines = text.trimEnd().split("\n");
    const session = (id: string) => JSON.stringify({ type: "session", version: 3, id, timestamp: "2026-01-02T00:00:00.000Z", cwd: "/mid" });
    lines.splice(30, 0, session("mid-1"));
    const path = write(lines.join("\n") + "\n");
    const ours = await openSessionAsync(path);
    expectSameSession(ours, pi(path));
    expect(ours.meta.sessionRecords).toBe(2);
    // A buffer made before the encoder wrote the count (same bytes, the key renamed in place): counted.
    const old = Buffer.from(ours.buffer.slice(0));
    const key = old.indexOf('"sessionRecords":2');
    expect(key).toBeGreaterThan(0);
    old.write('"sessionRecordz"', key);
    const older = decodeSession(old.buffer.slice(old.byteOffset, old.byteOffset + old.length));
    expect(older.meta.sessionRecords).toBeUndefined();
    expect(older.entryCount).toBe(ours.entryCount);
    // A continued read holds only the appended records: its count is theirs.
    appendFileSync(path, session("mid-2") + "\n" + JSON.stringify({ type: "custom", customType: "x", id: "after", parentId: null, timestamp: "2026-01-03T00:00:00.000Z" }) + "\n");
    const more = await openSessionAsync(path, { continueFrom: { generation: ours.meta.generation!, records: ours.recordCount, bytes: ours.meta.bytes } });
    expect(more.firstRecord).toBe(ours.recordCount);
    expect(more.recordCount).toBe(2);
    expect(more.meta.sessionRecords).toBe(1);
    expect(more.entryCount).toBe(1);
    expectSameSession(openSession(path), pi(path));
  });
});

describe("files pi would overwrite", () => {
  const bad: [string, string, string][] = [
    ["empty file", "", "empty"],
    ["torn header", '{"type":"sess', "empty"],
    ["header without id", '{"type":"session","version":3}\n{"type":"message","id":"a","parentId":null,"timestamp":"x","message":{"role":"user","content":"hi"}}\n', "invalid-header"],
    ["no header at all", '{"type":"message","id":"a","parentId":null,"timestamp":"x","message":{"role":"user","content":"hi"}}\n', "invalid-header"],
  ];
  for (const [name, text, status] of bad) {
    it(`${name}: a fresh in-memory session like pi's, and the file untouched`, async () => {
      const path = write(text);
      const mtime = statSync(path).mtimeMs;
      const ours = openSession(path);
      const asyncOurs = await openSessionAsync(path);
      const ref = pi(path);
      expect(ours.status).toBe(status);
      expect(asyncOurs.status).toBe(ours.status);
      for (const s of [ours, asyncOurs]) {
        expect(s.getEntries()).toEqual(ref.getEntries());
        expect(s.getLeafId()).toBe(ref.getLeafId());
        expect(s.getLeafEntry()).toBe(ref.getLeafEntry());
        expect(s.getBranch()).toEqual(ref.getBranch());
        expect(s.buildSessionContext()).toEqual(ref.buildSessionContext());
        expect(s.getCwd()).toBe(ref.getCwd());
        const h = s.getHeader()!;
        const rh = ref.getHeader()!;
        expect(Object.keys(h).sort()).toEqual(Object.keys(rh).sort());
        expect({ ...h, id: "", timestamp: "" }).toEqual({ ...rh, id: "", timestamp: "" });
        expect(typeof s.getSessionId()).toBe("string");
        expect(s.getSessionId()).toBe(h.id);
      }
      // pi rewrote its copy; ours is as it was
      expect(readFileSync(path, "utf8")).toBe(text);
      expect(statSync(path).mtimeMs).toBe(mtime);
      expect(() => openSession(path, { onInvalid: "error" })).toThrow(
        expect.objectContaining({ code: "INVALID_SESSION" }) as unknown as Error,
      );
    });
  }

  it("a missing file: fresh session (pi does not write either), or TRANSCRIPT_NOT_FOUND on request", async () => {
    const path = join(dir, "does-not-exist.jsonl");
    const ours = openSession(path);
    expect(ours.status).toBe("missing");
    expect(ours.getEntries()).toEqual([]);
    expect(ours.getLeafId()).toBeNull();
    expect(ours.getSessionFile()).toBe(path);
    await expect(openSessionAsync(path, { onInvalid: "error" })).rejects.toMatchObject({ code: "TRANSCRIPT_NOT_FOUND" });
  });

  it("a directory is a coded error", () => {
    let err: unknown;
    try {
      openSession(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CtxcError);
    expect((err as CtxcError).code).toBe("TRANSCRIPT_NOT_A_FILE");
  });

  // A named pipe with no writer: a plain open() blocks until a writer comes (forever). openSession is
  // synchronous, so it runs in a child process that is killed on a hang, instead of hanging this worker.
  const mkfifo = (() => {
    try {
      execFileSync("mkfifo", ["--version"], { stdio: "ignore" });
      return null;
    } catch (err) {
      return `mkfifo is not available: ${(err as Error).message}`;
    }
  })();
  if (mkfifo) console.warn(`FIFO test skipped: ${mkfifo}`);

  it.skipIf(mkfifo !== null)("a FIFO is a coded error (TRANSCRIPT_NOT_A_FILE) within a second, sync and in the worker", async () => {
    const fifo = join(dir, "pipe.jsonl");
    execFileSync("mkfifo", [fifo]);
    const index = fileURLToPath(new URL("../../dist/src/openclaw/index.js", import.meta.url));
    const script = `
      const { openSession, openSessionAsync, closeOpenClawPool } = await import(${JSON.stringify(index)});
      const started = performance.now();
      let sync;
      try { openSession(${JSON.stringify(fifo)}); sync = "no error"; } catch (e) { sync = e.code; }
      const ms = performance.now() - started;
      const worker = await openSessionAsync(${JSON.stringify(fifo)}).then(() => "no error", (e) => e.code);
      await closeOpenClawPool();
      console.log(JSON.stringify({ sync, worker, withinASecond: ms < 1000 }));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { timeout: HANG_MS });
    expect(JSON.parse(stdout)).toEqual({ sync: "TRANSCRIPT_NOT_A_FILE", worker: "TRANSCRIPT_NOT_A_FILE", withinASecond: true });
  });
});

describe("laziness and options", () => {
  it("decodes only the branch for buildSessionContext", () => {
    const { text } = generateTranscript({ seed: 51, entries: 300, branchProbability: 0.3 });
    const path = write(text);
    const s = openSession(path);
    const parse = JSON.parse;
    let calls = 0;
    JSON.parse = ((...args: Parameters<typeof JSON.parse>) => {
      calls++;
      return parse(...args);
    }) as typeof JSON.parse;
    try {
      s.buildSessionContext();
    } finally {
      JSON.parse = parse;
    }
    const branch = s.getBranch().length;
    expect(calls).toBeLessThanOrEqual(branch + 1); // + the header (cwd) at most
    expect(branch).toBeLessThan(s.entryCount);
  });

  it("sessionDir and cwdOverride as in SessionManager.open(path, sessionDir, cwdOverride)", () => {
    const { text } = generateTranscript({ seed: 52, entries: 10 });
    const path = write(text);
    expect(openSession(path).getSessionDir()).toBe(dir);
    const s = openSession(path, { sessionDir: "/elsewhere", cwdOverride: "/cwd" });
    expect(s.getSessionDir()).toBe("/elsewhere");
    expect(s.getCwd()).toBe("/cwd");
    expect(s.isPersisted()).toBe(false);
  });
});
