/**
 * The worker's session reads continue from what they kept of an earlier read of the same file
 * (native-free-workers/openclaw/session-buffer.ts, SessionReadCache): after every kind of change a
 * transcript sees — appends of any size, torn tails, in-place rewrites, replacement by rename,
 * truncation, over-long lines — a cached read must decode to exactly what a fresh read of the same
 * bytes decodes to, and it must have parsed only the appended part when the change was an append.
 */
import { appendFileSync, readFileSync, renameSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { SessionReadCache, encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { closeOpenClawPool, decodeSession, openSessionAsync, type SessionContinuation } from "../../src/openclaw/index.js";
import { decodeRecords } from "../../src/openclaw/release/file-entries.js";
import { APPENDED, headEdit, longLine, SKIP_OVER } from "../support/check-windows.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-session-incr");
let fileNo = 0;
afterAll(() => closeOpenClawPool());

function newPath(): string {
  return join(dir, `s${++fileNo}.jsonl`);
}

/** Everything a caller can observe of a session buffer, except where the read started, where its state came from and which read state it was. */
function observable(buffer: ArrayBuffer) {
  const s = decodeSession(buffer);
  const { readFrom: _readFrom, index: _index, generation: _generation, ...meta } = s.meta;
  // A session that is not "loaded" gets a fresh header with a random id (as pi starts one): not compared.
  return { meta, status: s.status, header: s.status === "loaded" ? s.getHeader() : null, entries: s.getEntries(), leaf: s.getLeafId() };
}

/** Reads `path` through `cache` and fresh; they must agree. Returns where the cached read started. */
function readBoth(path: string, cache: SessionReadCache, options = {}): number {
  const cached = encodeSessionBuffer(path, options, cache);
  const fresh = encodeSessionBuffer(path, options);
  expect(observable(cached)).toEqual(observable(fresh));
  return decodeSession(cached).meta.readFrom;
}

/** Splits `text` into `parts` pieces at random line boundaries (and, when `torn`, mid-line too). */
function pieces(text: string, parts: number, seed: number, torn: boolean): string[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const cuts = new Set<number>();
  const lineEnds: number[] = [];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineEnds.push(i + 1);
  while (cuts.size < parts - 1 && cuts.size < lineEnds.length) {
    cuts.add(torn && rnd() < 0.3 ? Math.floor(rnd() * text.length) : lineEnds[Math.floor(rnd() * lineEnds.length)]!);
  }
  const sorted = [0, ...[...cuts].sort((a, b) => a - b), text.length];
  const out: string[] = [];
  for (let i = 1; i < sorted.length; i++) if (sorted[i]! > sorted[i - 1]!) out.push(text.slice(sorted[i - 1], sorted[i]));
  return out;
}

describe("session reads continue from the kept state", () => {
  const cases = [
    { seed: 1, entries: 120, compactions: 2 },
    { seed: 2, entries: 200, branchProbability: 0.3, unicode: "heavy" as const },
    { seed: 3, entries: 60, includeAllEntryTypes: true },
    { seed: 4, entries: 150, compactions: 3, unicode: "mixed" as const },
  ];
  for (const c of cases) {
    it(`append by append, line-aligned and torn (seed ${c.seed})`, () => {
      const { text } = generateTranscript(c);
      for (const torn of [false, true]) {
        const path = newPath();
        const cache = new SessionReadCache();
        writeFileSync(path, "");
        let written = 0;
        let continued = 0;
        for (const piece of pieces(text, 25, c.seed * 7 + (torn ? 1 : 0), torn)) {
          appendFileSync(path, piece);
          const from = readBoth(path, cache);
          // A read continues exactly from the last complete line the previous read ended on.
          if (from > 0) continued++;
          expect(from).toBeLessThanOrEqual(written);
          written += Buffer.byteLength(piece);
        }
        expect(continued).toBeGreaterThan(10);
      }
    });
  }

  it("an append-only read parses from the old end, not from 0", () => {
    const { text } = generateTranscript({ seed: 9, entries: 100 });
    const path = newPath();
    const cache = new SessionReadCache();
    writeFileSync(path, text);
    expect(readBoth(path, cache)).toBe(0);
    const size = Buffer.byteLength(text);
    appendFileSync(path, `${JSON.stringify({ type: "custom", customType: "x", id: "zz1", parentId: null, timestamp: "2026-01-01T00:00:00.000Z" })}\n`);
    expect(readBoth(path, cache)).toBe(size);
  });

  it("rewrites, replacement, truncation and option changes start over", () => {
    const { text } = generateTranscript({ seed: 10, entries: 80 });
    const path = newPath();
    const cache = new SessionReadCache();
    writeFileSync(path, text);
    readBoth(path, cache);
    // Same size, one byte changed near the start (in place): the head check catches it.
    const headEdit = text.replace('"type":"session"', '"type":"sessioN"');
    expect(headEdit.length).toBe(text.length);
    writeFileSync(path, headEdit);
    expect(readBoth(path, cache)).toBe(0);
    // A change just before the old end (in place), then an append.
    writeFileSync(path, text);
    readBoth(path, cache);
    const lastLineStart = text.lastIndexOf("\n", text.length - 2) + 1;
    const tailEdit = text.slice(0, lastLineStart) + text.slice(lastLineStart).replace(/"id":"/, '"id":"Q');
    writeFileSync(path, tailEdit.slice(0, -1) + "\n" + `{"type":"label","id":"lb1","parentId":null,"targetId":"x","timestamp":"2026-01-01T00:00:00.000Z"}\n`);
    expect(readBoth(path, cache)).toBe(0);
    // Replaced by rename (OpenClaw's repair and compaction rewrite this way).
    readBoth(path, cache);
    const other = newPath();
    writeFileSync(other, text + text.slice(text.indexOf("\n") + 1));
    renameSync(other, path);
    expect(readBoth(path, cache)).toBe(0);
    // Truncated.
    readBoth(path, cache);
    truncateSync(path, Math.floor(Buffer.byteLength(text) / 2));
    expect(readBoth(path, cache)).toBe(0);
    // Another maxLineBytes: lines skipped before may not be now.
    writeFileSync(path, text);
    readBoth(path, cache);
    expect(readBoth(path, cache, { maxLineBytes: 200 })).toBe(0);
  });

  it("a change inside the file's first 4 KiB after a line skipped as too long, then an append: found (the head window holds the bytes as read, the skipped line's too), the read starts over", () => {
    const { file, edited } = headEdit(generateTranscript({ seed: 9, entries: 40 }).text);
    const path = newPath();
    const cache = new SessionReadCache();
    writeFileSync(path, file);
    expect(readBoth(path, cache, { maxLineBytes: SKIP_OVER })).toBe(0);
    writeFileSync(path, edited);
    appendFileSync(path, APPENDED);
    expect(readBoth(path, cache, { maxLineBytes: SKIP_OVER })).toBe(0);
  });

  it("a change inside a line skipped as too long, just before the old end, then an append: found (the tail window holds the bytes as read, the skipped line's too), the read starts over", () => {
    const { text } = generateTranscript({ seed: 9, entries: 40 });
    const leaf = [...text.matchAll(/"id":"([^"]+)"/g)].at(-1)![1]!;
    const long = longLine("long1", leaf, 6000);
    const path = newPath();
    const cache = new SessionReadCache();
    writeFileSync(path, text + long + "\n");
    // Skipped (LINE_TOO_LONG), and it ends the file: the window before the end is its bytes.
    expect(readBoth(path, cache, { maxLineBytes: 4000 })).toBe(0);
    // In place, same size: the long line becomes two entries of under 4,000 bytes each (a fresh read keeps them).
    const split = `"}\n{"type":"custom","customType":"x","id":"split2","parentId":"long1","timestamp":"2026-01-01T00:00:01.000Z","data":"`;
    const at = text.length + long.indexOf("y") + 3000;
    const edited = text + long + "\n";
    writeFileSync(path, edited.slice(0, at) + split + edited.slice(at + split.length));
    // Then an append: the file grew, so only the byte checks can tell.
    appendFileSync(path, APPENDED);
    expect(readBoth(path, cache, { maxLineBytes: 4000 })).toBe(0);
  });

  it("damaged transcripts and over-long lines: the same diagnostics and repair verdict as a fresh read", () => {
    const kinds = ["junk-tail", "bit-flip", "duplicate-line", "reorder-lines", "truncate"] as const;
    for (const [i, kind] of kinds.entries()) {
      const { text } = generateTranscript({ seed: 40 + i, entries: 90, toolResultBytes: { min: 100, max: 3000 } });
      const bad = damage(text, kind, i);
      const path = newPath();
      const cache = new SessionReadCache();
      writeFileSync(path, "");
      for (const piece of pieces(bad, 12, i + 1, true)) {
        appendFileSync(path, piece);
        readBoth(path, cache, { maxLineBytes: 1500 });
      }
    }
  });

  it("the cache keeps at most maxBytes of entry bytes (least recently used go first)", () => {
    const cache = new SessionReadCache(150_000);
    const paths: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = newPath();
      writeFileSync(p, generateTranscript({ seed: 60 + i, targetBytes: 60_000 }).text);
      paths.push(p);
      encodeSessionBuffer(p, {}, cache);
    }
    expect(cache.size).toBeLessThan(4);
    // The most recent one is kept and continues.
    appendFileSync(paths[3]!, "\n");
    expect(decodeSession(encodeSessionBuffer(paths[3]!, {}, cache)).meta.readFrom).toBeGreaterThan(0);
    // The oldest one was evicted and starts over.
    expect(decodeSession(encodeSessionBuffer(paths[0]!, {}, cache)).meta.readFrom).toBe(0);
  });

  it("the worker pool continues too (openSessionAsync)", async () => {
    const { text } = generateTranscript({ seed: 70, entries: 60 });
    const path = newPath();
    writeFileSync(path, text);
    const first = await openSessionAsync(path);
    expect(first.meta.readFrom).toBe(0);
    appendFileSync(path, `{"type":"label","id":"lb9","parentId":null,"targetId":"x","timestamp":"2026-01-01T00:00:00.000Z"}\n`);
    const second = await openSessionAsync(path);
    expect(second.meta.readFrom).toBe(Buffer.byteLength(text));
    expect(second.getEntries()).toEqual(decodeSession(encodeSessionBuffer(path)).getEntries());
  });
});

describe("a caller that kept the records of an earlier read gets only the ones appended since", () => {
  /** Entries of a buffer's records, in order (decoded as the session open decodes them). */
  const recordsOf = (buffer: ArrayBuffer) => decodeRecords(decodeSession(buffer), 0).entries;
  /** Whether the file's bytes from `from` are whole JSON-object lines, each with its "\n" (SessionMeta.contiguous). */
  function linesOnly(path: string, from: number): boolean {
    const tail = readFileSync(path).subarray(from).toString("utf8");
    if (from === 0 && tail.startsWith("\uFEFF")) return false;
    const lines = tail.split("\n");
    if (lines.pop() !== "") return false;
    return lines.every((l) => {
      try {
        const v = JSON.parse(l) as unknown;
        return typeof v === "object" && v !== null && !Array.isArray(v);
      } catch {
        return false;
      }
    });
  }
  /** Reads `path` continuing `from`; checks the buffer against a fresh whole read; returns the session. */
  function read(path: string, cache: SessionReadCache, from?: SessionContinuation, whole = false) {
    const s = decodeSession(encodeSessionBuffer(path, {}, cache, from, whole));
    const all = recordsOf(encodeSessionBuffer(path));
    expect(s.firstRecord).toBe(whole ? 0 : s.meta.base);
    expect(s.firstRecord + s.recordCount).toBe(all.length);
    expect(recordsOf(s.buffer)).toEqual(all.slice(s.firstRecord));
    expect(s.meta.contiguous).toBe(linesOnly(path, s.meta.base > 0 ? from!.bytes : 0));
    return s;
  }
  const keep = (s: ReturnType<typeof read>): SessionContinuation => ({ generation: s.meta.generation!, records: s.firstRecord + s.recordCount, bytes: s.meta.bytes });
  const entry = (id: string) => `${JSON.stringify({ type: "custom", customType: "x", id, parentId: null, timestamp: "2026-01-01T00:00:00.000Z" })}\n`;

  it("appends: only the new records, checked against the caller's count and bytes; anything else a whole read", () => {
    const { text } = generateTranscript({ seed: 80, entries: 90, compactions: 1 });
    const path = newPath();
    const cache = new SessionReadCache();
    writeFileSync(path, text);
    const first = read(path, cache);
    expect(first.meta.base).toBe(0);
    appendFileSync(path, entry("n1") + entry("n2"));
    const second = read(path, cache, keep(first));
    expect([second.meta.base, second.recordCount]).toEqual([keep(first).records, 2]);
    expect(second.meta.contiguous).toBe(true);
    // The same, every record sent (a caller scanning all bytes) but the base still reported.
    expect(read(path, cache, keep(first), true).meta.base).toBe(keep(first).records);
    // Not this worker's read, a count or an offset off the record boundaries: a whole read.
    expect(read(path, cache, { ...keep(first), generation: "another" }).meta.base).toBe(0);
    expect(read(path, cache, { ...keep(first), records: keep(first).records - 1 }).meta.base).toBe(0);
    expect(read(path, cache, { ...keep(first), bytes: keep(first).bytes - 5 }).meta.base).toBe(0);
    expect(read(path, cache, { ...keep(first), bytes: keep(first).bytes + 5 }).meta.base).toBe(0);
    // A blank line among the appended ones: still continued, no longer contiguous.
    const third = read(path, cache, keep(second));
    appendFileSync(path, "\n" + entry("n3"));
    const fourth = read(path, cache, keep(third));
    expect([fourth.meta.base, fourth.recordCount, fourth.meta.contiguous]).toEqual([keep(third).records, 1, false]);
  });

  it("torn tail then completed, same-size rewrite, replacement by rename, truncation: a new read state, whole reads", () => {
    const { text } = generateTranscript({ seed: 81, entries: 120 });
    const path = newPath();
    const cache = new SessionReadCache();
    writeFileSync(path, text);
    let last = read(path, cache);
    // Torn tail: the read continues the caller's records and includes the torn line (pi parses it) …
    appendFileSync(path, entry("t1").trimEnd());
    const torn = read(path, cache, keep(last));
    expect([torn.meta.base, torn.meta.contiguous]).toEqual([keep(last).records, false]);
    // … but a torn read is not kept: once completed, the next read starts over.
    appendFileSync(path, "\n" + entry("t2"));
    last = read(path, cache, keep(torn));
    expect(last.meta.base).toBe(0);
    expect(last.meta.generation).not.toBe(torn.meta.generation);
    // Same size, a byte changed in the middle (beyond the append check's head and tail windows): the
    // times moved without the file growing, so it starts over.
    const now = readFileSync(path, "utf8");
    const mid = now.indexOf('"id":"', now.length >> 1) + 6;
    writeFileSync(path, now.slice(0, mid) + (now[mid] === "Z" ? "Y" : "Z") + now.slice(mid + 1));
    const later = new Date(Date.now() + 5_000);
    utimesSync(path, later, later);
    const rewritten = read(path, cache, keep(last));
    expect(rewritten.meta.base).toBe(0);
    // Replaced by rename, another first line: a new read state.
    const other = newPath();
    const lines = readFileSync(path, "utf8").split("\n");
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    writeFileSync(other, [JSON.stringify({ ...header, cwd: "/moved" }), ...lines.slice(1)].join("\n") + entry("r1"));
    renameSync(other, path);
    const renamed = read(path, cache, keep(rewritten));
    expect(renamed.meta.base).toBe(0);
    // Replaced by rename with the very same lines plus one: compared whole and kept (header-rebase.ts), the
    // caller's records granted, only the new line sent.
    const again = newPath();
    writeFileSync(again, readFileSync(path, "utf8") + entry("r2"));
    renameSync(again, path);
    const same = read(path, cache, keep(renamed));
    expect([same.meta.index, same.meta.base, same.meta.generation]).toEqual(["rebased", keep(renamed).records, renamed.meta.generation]);
    // Truncated to a line boundary (the caller's bytes are past the end).
    truncateSync(path, Buffer.byteLength(text));
    expect(read(path, cache, keep(renamed)).meta.base).toBe(0);
  });
});
