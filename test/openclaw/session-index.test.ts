/**
 * The session reads' persistent index (native-free-workers/openclaw/session-index.ts): after a restart
 * — here a new SessionReadCache, or a new worker pool, on the same index directory — the first read of
 * a transcript continues from the saved state, parsing only what was appended since, and decodes to
 * exactly what a fresh read of the same bytes decodes to. When the file changed in any other way while
 * nothing ran (rewritten in place — also in the middle, where neither check window looks —, replaced,
 * truncated), or the index file is not ours to trust (another transcript's, another version, garbage),
 * the saved state is ignored, the read starts over, and the next save replaces the file. The preload
 * end to end (a child process with `--import`) is test/openclaw/preload-restart.test.ts.
 */
import { appendFileSync, chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readSync, renameSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DAMAGE_KINDS, damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import type { ReadFn } from "../../native-free-workers/io/line-reader.js";
import { SessionReadCache, encodeSessionBuffer, readMayHoldKey, readRecentLines } from "../../native-free-workers/openclaw/session-buffer.js";
import { sessionIndexFile, type SessionIndexDir } from "../../native-free-workers/openclaw/session-index.js";
import { CACHE_DEFAULTS } from "../../native-free-workers/protocol/defaults.js";
import { checkPrivateDir } from "../../native-free-workers/session/private-dir.js";
import { closeOpenClawPool, configureOpenClawPool, decodeSession, openClawPoolIndex, openSessionAsync } from "../../src/openclaw/index.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-session-index");
let fileNo = 0;
afterAll(async () => {
  await configureOpenClawPool({ indexDir: null });
  await closeOpenClawPool();
});

function newPath(text?: string): string {
  const path = join(dir, `s${++fileNo}.jsonl`);
  if (text !== undefined) writeFileSync(path, text);
  return path;
}

/** An index directory as the pool hands it to a worker (checked private here, as pool.ts does). */
function indexDir(name: string): SessionIndexDir {
  const verdict = checkPrivateDir(join(dir, name));
  if (!verdict.ok) throw new Error(verdict.reason);
  return { dir: verdict.path, check: { identity: { dev: verdict.dev, ino: verdict.ino } } };
}

/** Everything a caller can observe of a session buffer, except where the read started and its state came from. */
function observable(buffer: ArrayBuffer) {
  const s = decodeSession(buffer);
  const { readFrom: _readFrom, index: _index, generation: _generation, ...meta } = s.meta;
  return { meta, status: s.status, header: s.status === "loaded" ? s.getHeader() : null, entries: s.getEntries(), leaf: s.getLeafId(), branch: s.getBranch(), context: s.status === "loaded" ? s.buildSessionContext() : null };
}

/** A read as a restarted worker does it: a new cache on `index`. Checked against a fresh read; returns its meta. */
function readAfterRestart(path: string, index: SessionIndexDir, options = {}) {
  const buffer = encodeSessionBuffer(path, options, new SessionReadCache(undefined, index));
  expect(observable(buffer)).toEqual(observable(encodeSessionBuffer(path, options)));
  return decodeSession(buffer).meta;
}

/** `text` cut at the line boundary nearest its middle. */
function halves(text: string): [string, string] {
  const cut = text.indexOf("\n", Math.floor(text.length / 2)) + 1;
  return [text.slice(0, cut), text.slice(cut)];
}

describe("after a restart, a session read continues from the persistent index", () => {
  const shapes = [
    { seed: 1, entries: 240, compactions: 2 },
    { seed: 2, entries: 300, branchProbability: 0.3, unicode: "heavy" as const },
    { seed: 3, entries: 120, includeAllEntryTypes: true },
    { seed: 4, entries: 200, compactions: 3, unicode: "mixed" as const, toolResultBytes: { min: 100, max: 6000 } },
  ];
  for (const shape of shapes) {
    it(`parses only the appended bytes and equals a fresh read (seed ${shape.seed})`, () => {
      const index = indexDir(`grow-${shape.seed}`);
      const [before, after] = halves(generateTranscript(shape).text);
      const path = newPath(before);
      expect(readAfterRestart(path, index).index).toBe("none");
      appendFileSync(path, after);
      const meta = readAfterRestart(path, index);
      expect(meta.index).toBe("disk");
      expect(meta.readFrom).toBe(Buffer.byteLength(before));
      expect(meta.bytes - meta.readFrom).toBe(Buffer.byteLength(after));
    });
  }

  it("the idempotency and recent-lines reads say where their state came from too (the preload's indexRestored counts them when they come first)", () => {
    const index = indexDir("other-reads");
    const [before, after] = halves(generateTranscript({ seed: 5, entries: 200 }).text);
    const path = newPath(before);
    expect(readAfterRestart(path, index).index).toBe("none");
    appendFileSync(path, after);
    const key = readMayHoldKey(path, {}, new SessionReadCache(undefined, index), "no-such-key");
    expect(key).toMatchObject({ mayHold: false, index: "disk", readFrom: Buffer.byteLength(before) });
    const cache = new SessionReadCache(undefined, index);
    const recent = readRecentLines(path, {}, cache, { skip: 0, max: 4 });
    expect(recent).toMatchObject({ index: "disk", readFrom: Buffer.byteLength(before) });
    // The same worker's next read continues its memory, not the index.
    expect(readRecentLines(path, {}, cache, { skip: 4, max: 4 })).toMatchObject({ index: "memory" });
    // A file rewritten while nothing ran (one entry changed in the middle): the saved state is stale.
    const at = before.indexOf('"role":"assistant"', Math.floor(before.length / 2));
    expect(at).toBeGreaterThan(0);
    writeFileSync(path, before.slice(0, at) + '"role":"assistanT"' + before.slice(at + 18) + after);
    expect(readMayHoldKey(path, {}, new SessionReadCache(undefined, index), "no-such-key")).toMatchObject({ index: "disk-stale", readFrom: 0 });
  });

  it("damaged transcripts (every damage kind of the generator, in the saved part and in the appended part): the same entries, diagnostics, repair verdict and leaf info", () => {
    const index = indexDir("damaged");
    const { text } = generateTranscript({ seed: 20, entries: 160, branchProbability: 0.2, compactions: 1 });
    for (const [i, kind] of DAMAGE_KINDS.entries()) {
      const bad = damage(text, kind, i);
      const [before, after] = halves(bad);
      const path = newPath(before);
      readAfterRestart(path, index, { maxLineBytes: 4000 });
      appendFileSync(path, after);
      const meta = readAfterRestart(path, index, { maxLineBytes: 4000 });
      // Saved whole lines only: the part read before the restart ends on a newline, so it was kept and saved.
      expect(meta.index, kind).toBe("disk");
      expect(meta.readFrom, kind).toBe(Buffer.byteLength(before));
    }
  });

  it("a read that finishes a line appended after its fstat is not kept (its times are older than the line): the next read continues from the index, not from nothing — the same result", () => {
    const index = indexDir("append-during-read");
    const [before, after] = halves(generateTranscript({ seed: 6, entries: 200, compactions: 1 }).text);
    const lines = after.split(/(?<=\n)/);
    const path = newPath(before);
    const cache = new SessionReadCache(undefined, index);
    expect(decodeSession(encodeSessionBuffer(path, {}, cache)).meta.index).toBe("none");
    // One more line, its newline not written yet; times set back, so the newline's write surely moves them.
    appendFileSync(path, lines[0]!.slice(0, -1));
    utimesSync(path, new Date(2026, 0, 1), new Date(2026, 0, 1));
    // The newline lands between the read's fstat and its first read call (a writer racing the read), and
    // the read finishes that line past the size its fstat gave.
    let raced = false;
    const racing: ReadFn = (fd, buffer, offset, length, position) => {
      if (!raced) appendFileSync(path, "\n");
      raced = true;
      return readSync(fd, buffer, offset, length, position);
    };
    const during = decodeSession(encodeSessionBuffer(path, { read: racing }, cache)).meta;
    expect([raced, during.index, during.bytes, during.file!.size]).toEqual([true, "memory", statSync(path).size, statSync(path).size - 1]);
    // The file is now exactly as long as that read; its times moved after the fstat. Continued from the
    // index saved by the first read (the racing read's state was not kept), never from 0.
    const next = decodeSession(encodeSessionBuffer(path, {}, cache));
    expect([next.meta.index, next.meta.readFrom]).toEqual(["disk", Buffer.byteLength(before)]);
    const fresh = decodeSession(encodeSessionBuffer(path, {}));
    expect([next.getEntries(), next.getLeafId()]).toEqual([fresh.getEntries(), fresh.getLeafId()]);
    // And kept from there: the read after it continues in memory.
    appendFileSync(path, lines.slice(1).join(""));
    expect(decodeSession(encodeSessionBuffer(path, {}, cache)).meta.index).toBe("memory");
  });

  it("saves again only after CACHE_DEFAULTS.indexResaveBytes more were read (a restart re-parses at most that much beyond the appends)", () => {
    const index = indexDir("resave");
    const { text } = generateTranscript({ seed: 5, targetBytes: 3 * CACHE_DEFAULTS.indexResaveBytes });
    const lines = text.split(/(?<=\n)/);
    const path = newPath(lines.slice(0, 10).join(""));
    const cache = new SessionReadCache(undefined, index);
    encodeSessionBuffer(path, {}, cache);
    const savedAt = Buffer.byteLength(lines.slice(0, 10).join(""));
    // A few small appends: the worker continues in memory, the index stays where it was.
    for (const line of lines.slice(10, 13)) {
      appendFileSync(path, line);
      expect(decodeSession(encodeSessionBuffer(path, {}, cache)).meta.index).toBe("memory");
    }
    expect(readAfterRestart(path, index).readFrom).toBe(savedAt);
    // Past the threshold: saved at the new end.
    appendFileSync(path, lines.slice(13).join(""));
    encodeSessionBuffer(path, {}, cache);
    expect(readAfterRestart(path, index).readFrom).toBe(Buffer.byteLength(text));
  });

  it("a file changed while nothing ran — in place at the start, in the middle, before the end; replaced; truncated; read with another maxLineBytes — starts over, and the next read saves it anew", () => {
    const index = indexDir("changed");
    // Larger than both check windows together, so a change in the middle is seen by neither.
    const { text } = generateTranscript({ seed: 30, entries: 200, toolResultBytes: { min: 500, max: 2000 } });
    expect(Buffer.byteLength(text)).toBeGreaterThan(8 * 4096);
    const middle = text.indexOf('"role":"user"', Math.floor(text.length / 2));
    const edits: [string, (path: string) => void, object?][] = [
      ["head", (p) => writeFileSync(p, text.replace('"type":"session"', '"type":"sessioN"'))],
      ["middle (neither window: the entry bytes' digest)", (p) => writeFileSync(p, text.slice(0, middle) + '"role":"usEr"' + text.slice(middle + 13))],
      ["tail", (p) => {
        const last = text.lastIndexOf("\n", text.length - 2) + 1;
        writeFileSync(p, text.slice(0, last) + text.slice(last).replace(/"id":"./, '"id":"Q'));
      }],
      ["replaced (same bytes, new inode)", (p) => (writeFileSync(`${p}.new`, text), renameSync(`${p}.new`, p))],
      // At a line boundary: a torn last line is never kept (nor saved), so the next read would start over again.
      ["truncated", (p) => truncateSync(p, Buffer.byteLength(text.slice(0, text.indexOf("\n", Math.floor(text.length / 3)) + 1)))],
      ["another maxLineBytes", () => undefined, { maxLineBytes: 1000 }],
    ];
    for (const [name, edit, options] of edits) {
      const path = newPath(text);
      readAfterRestart(path, index);
      const size = statSync(path).size;
      edit(path);
      if (name.startsWith("middle") || name === "head" || name === "tail") expect(statSync(path).size, name).toBe(size);
      const meta = readAfterRestart(path, index, options);
      expect(meta.index, name).toBe("disk-stale");
      expect(meta.readFrom, name).toBe(0);
      // The read saved the state of the file as it is now: the next restart continues from it.
      appendFileSync(path, "\n");
      const again = readAfterRestart(path, index, options);
      expect(again.index, name).toBe("disk");
      expect(again.readFrom, name).toBe(meta.bytes);
    }
  });

  it("an index file that is not this transcript's, of another version, or garbage is ignored and replaced", () => {
    const index = indexDir("foreign");
    const a = newPath(generateTranscript({ seed: 40, entries: 80 }).text);
    const b = newPath(generateTranscript({ seed: 41, entries: 80 }).text);
    readAfterRestart(a, index);
    readAfterRestart(b, index);
    const fileA = sessionIndexFile(index.dir, a);
    const fileB = sessionIndexFile(index.dir, b);
    const original = readFileSync(fileB, "utf8");
    const plants: [string, string][] = [
      ["another transcript's", readFileSync(fileA, "utf8")],
      ["another version", original.replace(/"version":1/, '"version":7')],
      ["a bad record", original.replace(/"fileOffset":\[\d+/, '"fileOffset":[-5')],
      ["garbage", original.slice(0, 200)],
    ];
    for (const [name, planted] of plants) {
      writeFileSync(fileB, planted);
      chmodSync(fileB, 0o600);
      expect(readAfterRestart(b, index).index, name).toBe("disk-corrupt");
      // Replaced by this transcript's state, private.
      expect(readFileSync(fileB, "utf8"), name).not.toBe(planted);
      expect(statSync(fileB).mode & 0o777).toBe(0o600);
      expect(readAfterRestart(b, index).index, name).toBe("disk");
    }
    // A symlink in its place (to a file of ours that would pass every other check): not followed, not
    // read, and the save replaces the link itself, leaving its target alone.
    const target = join(dir, "planted-target.json");
    copyFileSync(fileB, target);
    const targetBytes = readFileSync(target, "utf8");
    renameSync(fileB, `${fileB}.moved`);
    symlinkSync(target, fileB);
    expect(readAfterRestart(b, index).index).toBe("disk-corrupt");
    expect(lstatSync(fileB).isSymbolicLink()).toBe(false);
    expect(readFileSync(target, "utf8")).toBe(targetBytes);
  });

  it("a saved head or tail window narrower than the file allows (an index saved before 2026-12-07, whose window could end short at a line skipped as too long) is not taken over: the read starts over and saves full windows", () => {
    const index = indexDir("narrow");
    for (const window of ["head", "tail"] as const) {
      const text = generateTranscript({ seed: 52, entries: 80 }).text;
      const path = newPath(text);
      readAfterRestart(path, index);
      const file = sessionIndexFile(index.dir, path);
      const saved = JSON.parse(readFileSync(file, "utf8")) as { identity: Record<string, unknown> };
      expect(saved.identity[`${window}Length`], window).toBe(4096);
      const bytes = Buffer.from(text);
      const narrow = window === "head" ? bytes.subarray(0, 100) : bytes.subarray(bytes.length - 100);
      const identity = { ...saved.identity, [`${window}Length`]: 100, [`${window}Sha256`]: createHash("sha256").update(narrow).digest("hex") };
      writeFileSync(file, JSON.stringify({ ...saved, identity }));
      chmodSync(file, 0o600);
      expect(readAfterRestart(path, index).index, window).toBe("disk-stale");
      expect(readAfterRestart(path, index).index, window).toBe("disk");
    }
  });

  it("an index directory that is no longer private is not used: reported as refused, nothing written, the same result", () => {
    const index = indexDir("swapped");
    const path = newPath(generateTranscript({ seed: 50, entries: 60 }).text);
    // Group-writable since it was checked.
    chmodSync(index.dir, 0o770);
    expect(readAfterRestart(path, index).index).toBe("refused");
    expect(readdirSync(index.dir)).toEqual([]);
    // Swapped for a symlink (to a private directory of ours).
    const real = join(dir, "swapped-real");
    mkdirSync(real, { mode: 0o700 });
    renameSync(index.dir, `${index.dir}.old`);
    symlinkSync(real, index.dir);
    expect(readAfterRestart(path, index).index).toBe("refused");
    expect(readdirSync(real)).toEqual([]);
  });
});

describe("a new worker pool on the same indexDir", () => {
  it("continues each transcript from the index; a refused indexDir is reported by openClawPoolIndex and reads run without it", async () => {
    const indexPath = join(dir, "pool-index");
    await configureOpenClawPool({ indexDir: indexPath });
    expect(openClawPoolIndex()).toEqual({ dir: indexPath, refused: null });
    expect(statSync(indexPath).mode & 0o777).toBe(0o700);
    const [before, after] = halves(generateTranscript({ seed: 60, entries: 200, compactions: 1 }).text);
    const path = newPath(before);
    expect((await openSessionAsync(path)).meta.index).toBe("none");
    await closeOpenClawPool(); // the restart: the next call starts a new pool, whose worker has nothing in memory
    appendFileSync(path, after);
    const restarted = await openSessionAsync(path);
    expect(restarted.meta.index).toBe("disk");
    expect(restarted.meta.readFrom).toBe(Buffer.byteLength(before));
    expect(observable(restarted.buffer)).toEqual(observable(encodeSessionBuffer(path)));

    const open = join(dir, "open-index");
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    await configureOpenClawPool({ indexDir: open });
    expect(openClawPoolIndex()?.refused).toMatch(/writable by group or others \(mode 0777\)/);
    const refused = await openSessionAsync(path);
    expect(refused.meta.index).toBe("refused");
    expect(observable(refused.buffer)).toEqual(observable(encodeSessionBuffer(path)));
    expect(readdirSync(open)).toEqual([]);
    await configureOpenClawPool({ indexDir: null });
    expect(openClawPoolIndex()).toBeNull();
    expect((await openSessionAsync(path)).meta.index).toBe("none");
    expect(existsSync(sessionIndexFile(indexPath, path))).toBe(true);
  });
});
