/**
 * The worker's kept read state moved onto a transcript rewritten with another first line and every other
 * line as it was (native-free-workers/openclaw/header-rebase.ts; 2026.7.35's header rewrite), and the
 * continuation a caller sends by file identity instead of a generation (SessionContinuation.file).
 *
 * What must hold: every read after such a rewrite — the session buffer, the repair check's facts and image
 * lines, the recent-conversation lines, the idempotency answer — equals a fresh read of the same bytes;
 * it parsed only what follows the old lines (`readFrom`, `index: "rebased"`) exactly when the rewrite
 * left them as they were; and any other change (a byte of the body, a blank or malformed line in the kept
 * file, another header version, a header with a `message`, a torn tail) reads the file again from 0.
 */
import { appendFileSync, closeSync, openSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { SessionReadCache, encodeSessionBuffer, readMayHoldKey, readRecentLines, readRepairCheck } from "../../native-free-workers/openclaw/session-buffer.js";
import { fileBytes } from "../../native-free-workers/openclaw/header-rebase.js";
import { decodeSession } from "../../src/openclaw/index.js";
import type { RepairCheckOptions, SessionContinuation, SessionMeta } from "../../native-free-workers/protocol/session-buffer-layout.js";
import { checkPrivateDir } from "../../native-free-workers/session/private-dir.js";
import type { SessionIndexDir } from "../../native-free-workers/openclaw/session-index.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-header-rebase");
let fileNo = 0;
const newPath = () => join(dir, `h${++fileNo}.jsonl`);

/** The meta without what says how the read was made (where it started, from what state, which state). */
function sameReadMeta(meta: SessionMeta) {
  const { readFrom: _r, index: _i, generation: _g, ...rest } = meta;
  return rest;
}

function observable(buffer: ArrayBuffer) {
  const s = decodeSession(buffer);
  // A session that is not "loaded" gets a fresh header with a random id (as pi starts one): not compared.
  return { meta: sameReadMeta(s.meta), status: s.status, header: s.status === "loaded" ? s.getHeader() : null, entries: s.getEntries(), leaf: s.getLeafId() };
}

const CHECK: RepairCheckOptions = { images: true, allImages: true };

/** Every kind of read of `path` through `cache` against a fresh read; returns the session read's meta. */
function readAllWays(path: string, cache: SessionReadCache): SessionMeta {
  const check = readRepairCheck(path, {}, cache, CHECK);
  // A check stops once its verdict is settled unless its state had read further (a complete read
  // continued): the fresh read to compare with is made as complete as the kept one.
  const freshCache = new SessionReadCache();
  if (check.complete) encodeSessionBuffer(path, {}, freshCache);
  const fresh = readRepairCheck(path, {}, freshCache, CHECK);
  if (check.complete) expect({ ...check, meta: sameReadMeta(check.meta) }).toEqual({ ...fresh, meta: sameReadMeta(fresh.meta) });
  // Stopped at a settled verdict: how far each read went is its state's (the pass uses only the verdict).
  else expect([check.meta.repair, check.meta.repairFacts?.common, fresh.complete]).toEqual([fresh.meta.repair, fresh.meta.repairFacts?.common, false]);
  const first = check.meta;
  const buffer = encodeSessionBuffer(path, {}, cache);
  expect(observable(buffer)).toEqual(observable(encodeSessionBuffer(path, {})));
  const query = { skip: 0, max: 12 };
  const strip = (r: ReturnType<typeof readRecentLines>) => (typeof r === "string" ? r : { ...r, index: undefined, readFrom: undefined });
  expect(strip(readRecentLines(path, {}, cache, query))).toEqual(strip(readRecentLines(path, {}, undefined, query)));
  const key = (r: ReturnType<typeof readMayHoldKey>) => (typeof r === "string" ? r : { ...r, index: undefined, readFrom: undefined });
  expect(key(readMayHoldKey(path, {}, cache, "idem-1", true))).toEqual(key(readMayHoldKey(path, {}, undefined, "idem-1", true)));
  return first;
}

/** `text` with its first line replaced by `header`'s JSON. */
function withHeader(text: string, change: (h: Record<string, unknown>) => Record<string, unknown>): string {
  const nl = text.indexOf("\n");
  return `${JSON.stringify(change(JSON.parse(text.slice(0, nl)) as Record<string, unknown>))}${text.slice(nl)}`;
}

const CASES = [
  { seed: 11, entries: 160, compactions: 2, imageProbability: 0.2 },
  { seed: 12, entries: 220, branchProbability: 0.3, unicode: "heavy" as const },
  { seed: 13, entries: 90, includeAllEntryTypes: true, imageProbability: 0.3 },
];

describe("a rewrite that changed only the first line", () => {
  for (const c of CASES) {
    it(`moves the kept state by a compare, by rename or in place, shorter or longer header, with lines appended (seed ${c.seed})`, () => {
      const { text } = generateTranscript(c);
      // Whole lines to append (a later turn's entries).
      const more = `${generateTranscript({ ...c, seed: c.seed + 100, entries: 20 }).text.split("\n").slice(1, -1).join("\n")}\n`;
      const headers: ((h: Record<string, unknown>) => Record<string, unknown>)[] = [
        (h) => ({ ...h, cwd: "/a/much/longer/working/directory/than/before/for/this/agent" }),
        (h) => ({ ...h, id: "s", cwd: "/" }),
        (h) => ({ ...h }), // the same bytes written again
      ];
      for (const [k, header] of headers.entries()) {
        for (const how of ["rename", "in place"] as const) {
          const path = newPath();
          const cache = new SessionReadCache();
          writeFileSync(path, text);
          expect(readAllWays(path, cache).readFrom).toBe(0);
          const next = withHeader(text, header);
          if (how === "rename") {
            writeFileSync(`${path}.tmp`, next);
            renameSync(`${path}.tmp`, path);
          } else writeFileSync(path, next);
          const bodyEnd = Buffer.byteLength(next);
          const rebased = readAllWays(path, cache);
          expect(rebased.index, `header ${k}, ${how}`).toBe("rebased");
          expect(rebased.readFrom, `header ${k}, ${how}: nothing parsed again`).toBe(bodyEnd);
          // The rebased state's check windows are the file's: an append continues it.
          appendFileSync(path, more);
          const continued = readAllWays(path, cache);
          expect([continued.index, continued.readFrom]).toEqual(["memory", bodyEnd]);
          // Rewritten with lines appended since the kept read (2026.7.35: the turn's entries after the header):
          // the old lines compared, the new ones parsed.
          const grownPath = newPath();
          const grownCache = new SessionReadCache();
          writeFileSync(grownPath, text);
          readAllWays(grownPath, grownCache);
          writeFileSync(grownPath, next + more);
          const grown = readAllWays(grownPath, grownCache);
          // (The same header again: an append, as any.)
          expect([grown.index, grown.readFrom], `header ${k}, ${how}, grown`).toEqual([k === 2 ? "memory" : "rebased", bodyEnd]);
        }
      }
    });
  }

  it("the check windows after a rebase: the last bytes rewritten in place (same size) are caught, as are the first", () => {
    const { text } = generateTranscript({ seed: 21, entries: 80 });
    for (const where of ["head", "tail"] as const) {
      const path = newPath();
      const cache = new SessionReadCache();
      writeFileSync(path, text);
      readAllWays(path, cache);
      const next = withHeader(text, (h) => ({ ...h, cwd: "/moved" }));
      writeFileSync(path, next);
      expect(readAllWays(path, cache).index).toBe("rebased");
      // A letter changed inside the last (or the first body) line, and a line appended: the size grew, so
      // only the check windows can tell this from an append.
      const lines = next.split("\n");
      const i = where === "tail" ? lines.length - 2 : 1;
      const at = lines[i]!.search(/"[a-z]{3,}/);
      const ch = lines[i]![at + 1] === "x" ? "y" : "x";
      lines[i] = lines[i]!.slice(0, at + 1) + ch + lines[i]!.slice(at + 2);
      writeFileSync(path, `${lines.join("\n")}${lines[lines.length - 2]}\n`);
      const again = readAllWays(path, cache);
      expect(again.readFrom, where).toBe(0);
    }
  });

  it("reads the file again from 0 when anything but the first line changed, or the kept file was not all entry lines", () => {
    const { text } = generateTranscript({ seed: 31, entries: 70 });
    const nl = text.indexOf("\n");
    const lines = text.split("\n");
    const bodyChanged = (t: string) => {
      const ls = t.split("\n");
      ls[5] = ls[5]!.replace(/"id":"/, '"id":"z');
      return ls.join("\n");
    };
    const cases: { name: string; before: string; after: (t: string) => string }[] = [
      { name: "a body line changed too", before: text, after: (t) => bodyChanged(withHeader(t, (h) => ({ ...h, cwd: "/x" }))) },
      { name: "a line removed", before: text, after: (t) => withHeader(t, (h) => ({ ...h, cwd: "/x" })).split("\n").filter((_l, j) => j !== 7).join("\n") },
      { name: "another header version", before: text, after: (t) => withHeader(t, (h) => ({ ...h, version: 2 })) },
      { name: "a header with a message", before: text, after: (t) => withHeader(t, (h) => ({ ...h, message: { role: "user", content: "hi" } })) },
      { name: "a header that is not a session", before: text, after: (t) => withHeader(t, (h) => ({ ...h, type: "custom" })) },
      { name: "a header with an empty id", before: text, after: (t) => withHeader(t, (h) => ({ ...h, id: "" })) },
      { name: "a BOM before the new header", before: text, after: (t) => `\uFEFF${withHeader(t, (h) => ({ ...h, cwd: "/x" }))}` },
      { name: "the kept file had a blank line", before: `${lines.slice(0, 4).join("\n")}\n\n${lines.slice(4).join("\n")}`, after: (t) => withHeader(t, (h) => ({ ...h, cwd: "/x" })) },
      { name: "the kept file had a malformed line", before: `${lines.slice(0, 4).join("\n")}\n{oops\n${lines.slice(4).join("\n")}`, after: (t) => withHeader(t, (h) => ({ ...h, cwd: "/x" })) },
      { name: "the kept file had a torn tail", before: text.slice(0, text.length - 40), after: (t) => withHeader(t, (h) => ({ ...h, cwd: "/x" })) },
      { name: "the new file is shorter than the old lines", before: text, after: (t) => withHeader(t, (h) => ({ ...h, cwd: "/x" })).slice(0, nl + 200) },
    ];
    for (const k of cases) {
      const path = newPath();
      const cache = new SessionReadCache();
      writeFileSync(path, k.before);
      readAllWays(path, cache);
      writeFileSync(path, k.after(k.before));
      const got = readAllWays(path, cache);
      expect(got.index, k.name).not.toBe("rebased");
      expect(got.readFrom, k.name).toBe(0);
    }
  });

  it("the rebased state is what the persistent index saves: a restarted worker continues from it, image verdicts and all", () => {
    const { text } = generateTranscript({ seed: 61, entries: 120, imageProbability: 0.3 });
    const verdict = checkPrivateDir(join(dir, "index"));
    if (!verdict.ok) throw new Error(verdict.reason);
    const index: SessionIndexDir = { dir: verdict.path, check: { identity: { dev: verdict.dev, ino: verdict.ino } } };
    const path = newPath();
    writeFileSync(path, text);
    encodeSessionBuffer(path, {}, new SessionReadCache(undefined, index));
    const cache = new SessionReadCache(undefined, index);
    const next = withHeader(text, (h) => ({ ...h, cwd: "/restarted/elsewhere" }));
    writeFileSync(path, next);
    expect(readAllWays(path, cache).index).toBe("disk-stale"); // a new worker: nothing in memory, the saved state is the old file's
    const rewritten = withHeader(text, (h) => ({ ...h, cwd: "/and/again" }));
    writeFileSync(path, rewritten);
    expect(readAllWays(path, cache).index).toBe("rebased");
    // A restart: the first read continues from the index the rebase saved (nothing parsed).
    const restarted = new SessionReadCache(undefined, index);
    const first = decodeSession(encodeSessionBuffer(path, {}, restarted));
    expect([first.meta.index, first.meta.readFrom]).toEqual(["disk", Buffer.byteLength(rewritten)]);
    expect(observable(encodeSessionBuffer(path, {}, restarted))).toEqual(observable(encodeSessionBuffer(path, {})));
  });

  it("fileBytes rebuilds any range of a file that is its records back to back", () => {
    const { text } = generateTranscript({ seed: 41, entries: 40, unicode: "heavy" });
    const path = newPath();
    writeFileSync(path, text);
    const cache = new SessionReadCache();
    encodeSessionBuffer(path, {}, cache);
    const state = cache.take(resolve(path))!;
    const bytes = readFileSync(path);
    for (const [from, to] of [[0, 4096], [bytes.length - 4096, bytes.length], [0, bytes.length], [17, 18], [100, 5000]] as const) {
      expect(fileBytes(state.staging, state.records, from, to).equals(bytes.subarray(from, to)), `${from}-${to}`).toBe(true);
    }
  });
});

describe("a rewrite of the same bytes (OpenClaw flushing an unchanged file; ctxc's rewrite with nothing new)", () => {
  it("keeps the state's generation: a caller's records of it stay granted, also with lines appended after", () => {
    const { text } = generateTranscript({ seed: 53, entries: 80, imageProbability: 0.2 });
    const more = `${generateTranscript({ seed: 153, entries: 6 }).text.split("\n").slice(1, -1).join("\n")}\n`;
    for (const how of ["last byte written again", "whole file written again", "renamed over"] as const) {
      for (const grow of [false, true]) {
        const path = newPath();
        writeFileSync(path, text);
        const cache = new SessionReadCache();
        const kept = decodeSession(encodeSessionBuffer(path, {}, cache));
        const n = kept.recordCount;
        const generation = kept.meta.generation!;
        // The times move, the size and every byte stay (src/openclaw/release/append-rewrite.ts rewriteLastByte does the first).
        const before = statSync(path);
        utimesSync(path, new Date(before.mtimeMs - 5000), new Date(before.mtimeMs - 5000));
        if (how === "last byte written again") {
          const fd = openSync(path, "r+");
          writeSync(fd, Buffer.from("\n"), 0, 1, before.size - 1);
          closeSync(fd);
        } else if (how === "whole file written again") writeFileSync(path, text);
        else {
          writeFileSync(`${path}.tmp`, text);
          renameSync(`${path}.tmp`, path);
        }
        expect(statSync(path).mtimeMs, `${how}: the times moved`).not.toBe(before.mtimeMs);
        if (grow) appendFileSync(path, more);
        const got = decodeSession(encodeSessionBuffer(path, {}, cache, { generation, records: n, bytes: before.size }));
        const added = grow ? more.split("\n").length - 1 : 0;
        // Grown in place, the append check passes as for any append (the bytes it compares are as read); at the
        // same size with moved times, or another inode, the state is compared whole — and kept as it was.
        const index = grow && how !== "renamed over" ? "memory" : "rebased";
        expect([got.meta.index, got.meta.generation, got.meta.base, got.firstRecord, got.recordCount], `${how}${grow ? ", grown" : ""}`).toEqual([index, generation, n, n, added]);
        // And what it reads is a fresh read's.
        expect(readAllWays(path, cache).index).toBe("memory");
      }
    }
    // Another header (even one byte): a new generation, the caller's records not granted.
    const path = newPath();
    writeFileSync(path, text);
    const cache = new SessionReadCache();
    const kept = decodeSession(encodeSessionBuffer(path, {}, cache));
    writeFileSync(path, withHeader(text, (h) => ({ ...h, cwd: "/b" })));
    const got = decodeSession(encodeSessionBuffer(path, {}, cache, { generation: kept.meta.generation!, records: kept.recordCount, bytes: kept.meta.bytes }));
    expect([got.meta.index, got.meta.generation === kept.meta.generation, got.meta.base]).toEqual(["rebased", false, 0]);
  });
});

describe("a continuation by file identity (SessionContinuation.file)", () => {
  const identity = (meta: SessionMeta) => {
    const f = meta.file!;
    return { dev: f.dev, ino: f.ino, size: f.size, mtimeMs: f.mtimeMs, ctimeMs: f.ctimeMs };
  };
  it("is granted only to a read of that very file, whole, with as many records as lines: then no record is sent", () => {
    const { text } = generateTranscript({ seed: 51, entries: 60 });
    const path = newPath();
    writeFileSync(path, text);
    const cache = new SessionReadCache();
    const whole = decodeSession(encodeSessionBuffer(path, {}, cache));
    const n = whole.recordCount;
    const file = identity(whole.meta);
    const by = (c: Partial<SessionContinuation>): SessionContinuation => ({ generation: "", records: n, bytes: file.size, file, ...c });
    const granted = decodeSession(encodeSessionBuffer(path, {}, cache, by({})));
    expect(granted.meta.base).toBe(n);
    expect(granted.firstRecord).toBe(n);
    expect(granted.recordCount).toBe(0);
    // Every record all the same when asked for (`whole`), base still saying the caller has them.
    const all = decodeSession(encodeSessionBuffer(path, {}, cache, by({}), true));
    expect([all.meta.base, all.firstRecord, all.recordCount]).toEqual([n, 0, n]);
    // Another count, other bytes, another identity: not granted (every record sent).
    for (const wrong of [by({ records: n - 1 }), by({ records: n + 1 }), by({ bytes: file.size - 1 }), by({ file: { ...file, mtimeMs: file.mtimeMs + 1 } }), by({ file: { ...file, ino: file.ino + 1 } })]) {
      const got = decodeSession(encodeSessionBuffer(path, {}, cache, wrong));
      expect([got.meta.base, got.firstRecord, got.recordCount]).toEqual([0, 0, n]);
    }
    // The file grown since: its identity is no longer the caller's.
    appendFileSync(path, `${text.split("\n")[3]}\n`);
    const grown = decodeSession(encodeSessionBuffer(path, {}, cache, by({})));
    expect([grown.meta.base, grown.firstRecord]).toEqual([0, 0]);
  });

  it("is not granted when the file has a line that is not a record (the caller's entries may not be its records)", () => {
    const { text } = generateTranscript({ seed: 52, entries: 30 });
    const lines = text.split("\n");
    for (const body of [`${lines.slice(0, 3).join("\n")}\n\n${lines.slice(3).join("\n")}`, `${lines.slice(0, 3).join("\n")}\n5\n${lines.slice(3).join("\n")}`]) {
      const path = newPath();
      writeFileSync(path, body);
      const cache = new SessionReadCache();
      const whole = decodeSession(encodeSessionBuffer(path, {}, cache));
      const file = identity(whole.meta);
      for (const records of [whole.recordCount, whole.recordCount + 1]) {
        const got = decodeSession(encodeSessionBuffer(path, {}, cache, { generation: "", records, bytes: file.size, file }));
        expect(got.meta.base).toBe(0);
      }
    }
  });
});
