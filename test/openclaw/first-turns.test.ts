/**
 * The agents' first turns (issue #11: the `session-resource-loader` p99 worse with ctxc than stock) —
 * which worker reads happen, in what order, and that the results stay stock's:
 * - the repair check's read sends no buffer and stops once the pass is known to rewrite the file; the
 *   session read after it continues the same read state (nothing read twice) and equals a fresh read;
 * - a buffer without the FIELDS pass gives the same entries (each line parsed whole);
 * - the pool runs the read a session open waits on before other requests, smaller files first; one digest
 *   at a time per worker, and a request handed over behind a digest is answered between its slices;
 * - after OpenClaw's pass rewrote a file, the read of the new bytes starts at once and the prewarm uses it.
 * Behaviour only, never timing.
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SessionManager } from "@earendil-works/pi-coding-agent";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { closeOpenClawPool, configureOpenClawPool, openSessionAsync } from "../../src/openclaw/index.js";
import { AHEAD, costOf, LAST_READS_MAX, nextOf, noteRead, Priority, runInOpenClawPool } from "../../src/openclaw/pool.js";
import { decodeSession, openSession, readRepairCheckAsync, readSessionMetaAsync } from "../../src/openclaw/session.js";
import { entriesFromBuffer } from "../../src/openclaw/buffer-entries.js";
import { encodeSessionBuffer, readRepairCheck, SessionReadCache } from "../../native-free-workers/openclaw/session-buffer.js";
import { NO_FIELDS, SessionHeader, SessionSection } from "../../native-free-workers/protocol/session-buffer-layout.js";
import { DIGEST_SLICE_BYTES } from "../../native-free-workers/protocol/file-digest.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";

const dir = tempDir("first-turns");
process.env.CTXC_OPENCLAW_LOG = join(dir, "preload.log");
const runtime = await import("../../src/openclaw/preload-runtime.js");
afterAll(() => closeOpenClawPool());

const file = tempFileWriter(dir, "f");
let n = 0;

/** ~1 MB (many 64 KiB chunks), branched, compacted, every entry type, images; nothing for the repair pass to change. */
const clean = generateTranscript({ seed: 21, targetBytes: 1_000_000, compactions: 3, branchProbability: 0.1, imageProbability: 0.2 }).text;
const BLANK_USER = '{"type":"message","id":"zz","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"user","content":"  "}}';
/** `clean` with a blank user message (every release's pass rewrites it) after line `at`. */
function needsRepair(at: number): string {
  const lines = clean.split("\n");
  return [...lines.slice(0, at), BLANK_USER, ...lines.slice(at)].join("\n");
}
/** Each entry as JSON (the lazy entries' own fields are materialised by the stringify). */
const json = (entries: unknown[]) => entries.map((e) => JSON.stringify(e));

describe("the repair check's worker read", () => {
  it("stops once the pass is known to rewrite the file; the next read continues there and equals a fresh read", () => {
    const path = file(needsRepair(20));
    const size = readFileSync(path).length;
    const cache = new SessionReadCache();
    const check = readRepairCheck(path, {}, cache, { images: true });
    expect(check.complete).toBe(false);
    expect(check.meta.repairFacts!.common).toBe("a blank user message");
    expect(check.meta.bytes).toBeLessThan(size);
    expect(check.imageLines).toEqual([]);
    // The file unchanged (OpenClaw's pass did not write after all): the session read continues the same state.
    const s = decodeSession(encodeSessionBuffer(path, {}, cache));
    expect(s.meta.generation).toBe(check.meta.generation);
    expect(s.meta.readFrom).toBe(check.meta.bytes);
    expect(s.meta.bytes).toBe(size);
    const fresh = openSession(path);
    expect(s.getEntries()).toEqual(fresh.getEntries());
    // A session read sends no repair facts (only a repair check needs them); the continued state's check
    // says what a fresh read's check says.
    expect(s.meta.repairFacts).toBeNull();
    expect(readRepairCheck(path, {}, cache, { images: false }).meta.repairFacts).toEqual(readRepairCheck(path, {}, new SessionReadCache(), { images: false }).meta.repairFacts);
    expect(s.meta.leafInfo).toEqual(fresh.meta.leafInfo);
    // A check of the state that stopped reads nothing more: the verdict is already settled.
    const again = readRepairCheck(path, {}, new SessionReadCache(), { images: false });
    expect(again.complete).toBe(false);
    expect(again.meta.repairFacts!.common).toBe("a blank user message");
  });

  it("reads a clean file whole, sends the lines of its image records, and the session read after it reads nothing again", () => {
    const path = file(clean);
    const lines = clean.split("\n").filter((l) => l.trim() !== "");
    const cache = new SessionReadCache();
    const check = readRepairCheck(path, {}, cache, { images: true });
    expect(check.complete).toBe(true);
    expect(check.meta.repairFacts!.common).toBeNull();
    expect(check.meta.bytes).toBe(Buffer.byteLength(clean));
    const images = check.meta.repairFacts!.imageRecords;
    expect(images.length).toBeGreaterThan(0); // else the image lines prove nothing
    expect(check.imageLines).toEqual(images.map((i) => lines[i]));
    expect(readRepairCheck(path, {}, new SessionReadCache(), { images: false }).imageLines).toEqual([]);
    const s = decodeSession(encodeSessionBuffer(path, {}, cache));
    expect(s.meta.generation).toBe(check.meta.generation);
    expect(s.meta.readFrom).toBe(Buffer.byteLength(clean));
    expect(s.getEntries()).toEqual(openSession(path).getEntries());
  });

  it("in the worker: the same answer as in-thread, and the prewarm's read continues it", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const path = file(needsRepair(400));
    const inThread = readRepairCheck(path, {}, new SessionReadCache(), { images: true });
    const check = await readRepairCheckAsync(path, { images: true });
    expect({ ...check.meta, generation: null }).toEqual({ ...inThread.meta, generation: null });
    expect(check.complete).toBe(inThread.complete);
    const s = await openSessionAsync(path);
    expect(s.meta.generation).toBe(check.meta.generation);
    expect(s.meta.readFrom).toBe(check.meta.bytes);
  });
});

describe("a session buffer without the FIELDS pass", () => {
  it("says no members were located for any record, and gives the same entries as one with them", () => {
    const path = file(clean);
    const without = decodeSession(encodeSessionBuffer(path, {}, undefined, undefined, false, { fields: false, canonical: true }));
    const withFields = decodeSession(encodeSessionBuffer(path, {}, undefined, undefined, false, { fields: true, canonical: true }));
    const view = new DataView(without.buffer);
    const at = view.getUint32(SessionHeader.sectionTable + SessionSection.FIELDS * 8, true);
    const words = Array.from({ length: without.recordCount }, (_, i) => view.getUint32(at + i * 4, true));
    expect(new Set(words)).toEqual(new Set([NO_FIELDS]));
    const lines = clean.split("\n").filter((l) => l.trim() !== "");
    expect(json(entriesFromBuffer(without))).toEqual(lines.map((l) => JSON.stringify(JSON.parse(l))));
    expect(json(entriesFromBuffer(without))).toEqual(json(entriesFromBuffer(withFields)));
  });
});

describe("the pool's order", () => {
  it("picks the read a session open waits on first, then the smallest, then the earliest", () => {
    const q = (priority: Priority, cost: number, seq: number, digest = false) => ({ priority, cost, seq, digest });
    expect(nextOf([q(Priority.other, 10, 0), q(Priority.open, 28, 1), q(Priority.other, 1, 2)])).toBe(1);
    expect(nextOf([q(Priority.other, 28, 0), q(Priority.other, 10, 1), q(Priority.other, 10, 2)])).toBe(1);
    expect(nextOf([q(Priority.open, 5, 3), q(Priority.open, 5, 2)])).toBe(1);
    expect(nextOf([])).toBe(-1);
  });

  it("hands over only requests whose lane (digests, the rest) has room", () => {
    const q = (priority: Priority, cost: number, seq: number, digest = false) => ({ priority, cost, seq, digest });
    const waiting = [q(Priority.open, 1, 0, true), q(Priority.other, 50, 1), q(Priority.open, 2, 2, true)];
    expect(nextOf(waiting)).toBe(0);
    expect(nextOf(waiting, { digests: true, others: false })).toBe(1);
    expect(nextOf(waiting, { digests: false, others: true })).toBe(0);
    expect(nextOf([q(Priority.open, 1, 0, true)], { digests: true, others: false })).toBe(-1);
  });

  it("orders a digest by the file's size, whatever its worker has read of the file", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const path = file(clean);
    await readSessionMetaAsync(path);
    expect(costOf({ op: "sessionMeta", path })).toBe(0);
    expect(costOf({ op: "fileDigest", path })).toBe(statSync(path).size);
  });

  it("answers a request handed over behind a running digest before the digest ends (it runs between slices), each answer the file's", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    // Three slices of random bytes (DIGEST_SLICE_BYTES = 4 MiB): the digest pauses at least twice.
    const bytes = randomBytes(3 * DIGEST_SLICE_BYTES + 1000);
    const big = file(bytes);
    const small = file(clean);
    const done: string[] = [];
    const track = <T>(name: string, p: Promise<T>) => p.then((v) => (done.push(name), v));
    const all = await Promise.all([
      track("digest", runInOpenClawPool({ op: "fileDigest", path: big }, Priority.open)),
      track("second digest", runInOpenClawPool({ op: "fileDigest", path: small }, Priority.open)),
      track("meta", runInOpenClawPool({ op: "sessionMeta", path: small })),
    ]);
    // All three are handed over at once (two in the digest lane, one in the other): the worker answers the
    // meta request in the first digest's pause, and runs the second digest after the first.
    expect(done).toEqual(["meta", "digest", "second digest"]);
    expect(all[0]).toEqual({ sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length });
    expect(all[1]).toEqual({ sha256: createHash("sha256").update(readFileSync(small)).digest("hex"), bytes: statSync(small).size });
    expect(all[2]).toMatchObject({ status: "loaded", bytes: statSync(small).size });
  });

  it("runs waiting requests in that order on the worker (completion order), each answer the file's", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const big = file(clean + clean.split("\n").slice(1).join("\n"));
    const mid = file(clean);
    const small = file(generateTranscript({ seed: 22, entries: 40 }).text);
    const done: string[] = [];
    const track = <T>(name: string, p: Promise<T>) => p.then((v) => (done.push(name), v));
    // The first AHEAD go to the worker at once; the rest wait for the pool's pick.
    expect(AHEAD).toBe(2);
    // All through the pool directly: the same promise hops from reply to callback, so callbacks run in reply order.
    const all = await Promise.all([
      track("first", runInOpenClawPool({ op: "repairCheck", path: big, check: { images: false } })),
      track("second", runInOpenClawPool({ op: "repairCheck", path: mid, check: { images: false } })),
      track("check big", runInOpenClawPool({ op: "sessionMeta", path: big })),
      track("check small", runInOpenClawPool({ op: "sessionMeta", path: small })),
      track("open mid", runInOpenClawPool({ op: "session", path: mid }, Priority.open)),
    ]);
    expect(done).toEqual(["first", "second", "open mid", "check small", "check big"]);
    expect(decodeSession(all[4] as ArrayBuffer).getEntries()).toEqual(openSession(mid).getEntries());
  });

  it("orders a file its worker has read by what that read reported, without a stat; a file never read by its size", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const path = file(clean);
    const size = statSync(path).size;
    // Never read: the stat's size, less what a continued read's caller has.
    expect(costOf({ op: "sessionMeta", path })).toBe(size);
    expect(costOf({ op: "session", path, continueFrom: { generation: "g", records: 1, bytes: 1000 } })).toBe(size - 1000);
    // A check that stopped early: the rest of the file is what a read still has to do.
    const stopped = await readRepairCheckAsync(file(needsRepair(30)), { images: false });
    expect(stopped.complete).toBe(false);
    expect(costOf({ op: "session", path: stopped.meta.path })).toBe(stopped.meta.file!.size - stopped.meta.bytes);
    // Read whole: nothing left; the answer stands after the file is gone (no stat behind it).
    await readSessionMetaAsync(path);
    renameSync(path, `${path}.gone`);
    expect(costOf({ op: "repairCheck", path, check: { images: false } })).toBe(0);
    // A new pool's workers start empty: known no more (a stat, and the file is gone).
    await closeOpenClawPool();
    renameSync(`${path}.gone`, path);
    expect(costOf({ op: "sessionMeta", path })).toBe(size);
  });

  it("remembers the last reads of at most LAST_READS_MAX paths, the least recently read dropped first (then ordered by a stat)", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const [older, refreshed] = [file(clean), file(clean)];
    const size = statSync(older).size;
    const read = { file: { size: size + 100 }, bytes: size }; // as reported: 100 bytes left to read
    noteRead(refreshed, read);
    noteRead(older, read);
    for (let i = 0; i < LAST_READS_MAX - 2; i++) noteRead(join(dir, `never-${i}`), read);
    noteRead(refreshed, read); // read again: now the most recent
    noteRead(join(dir, "one-more"), read); // over the bound: the least recently read (older) is dropped
    expect(costOf({ op: "sessionMeta", path: refreshed })).toBe(100);
    expect(costOf({ op: "sessionMeta", path: older })).toBe(size); // no longer known: its size, by a stat
    await closeOpenClawPool();
  });

  it("runs a file its worker has read before a smaller file no worker has read", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const big = file(clean);
    const small = file(generateTranscript({ seed: 23, entries: 40 }).text);
    const busy = file(clean);
    await readSessionMetaAsync(big);
    const done: string[] = [];
    const track = <T>(name: string, p: Promise<T>) => p.then((v) => (done.push(name), v));
    const all = await Promise.all([
      track("first", runInOpenClawPool({ op: "sessionMeta", path: busy })),
      track("second", runInOpenClawPool({ op: "repairCheck", path: busy, check: { images: false } })),
      track("check small", runInOpenClawPool({ op: "sessionMeta", path: small })),
      track("check big", runInOpenClawPool({ op: "sessionMeta", path: big })),
    ]);
    expect(done).toEqual(["first", "second", "check big", "check small"]);
    expect(all[3]).toMatchObject({ status: "loaded", readFrom: statSync(big).size, bytes: statSync(big).size });
  });

  it("a closed pool fails the requests still waiting (coded), and the next request starts a new pool", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const path = file(clean);
    const reads = [1, 2, 3, 4].map(() => openSessionAsync(path).then(() => "ok", (e: { code?: string }) => e.code ?? "uncoded"));
    await closeOpenClawPool();
    const outcomes = await Promise.all(reads);
    // Those already with the worker may finish or fail as piscina ends them; the waiting ones fail, coded.
    expect(outcomes.slice(AHEAD).every((o) => o !== "ok" && o !== "uncoded")).toBe(true);
    expect((await openSessionAsync(path)).getEntries()).toEqual(openSession(path).getEntries());
  });
});

describe("the first turn of a file OpenClaw's repair pass rewrites", () => {
  it("starts the read of the new bytes as the pass returns; the prewarm uses that read, and the open equals pi's", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const path = file(needsRepair(30));
    const Wrapped = runtime.wrapSessionManager(SessionManager);
    // Stands in for OpenClaw's pass: the file replaced (tmp + rename) without the blank message.
    const repair = runtime.wrapRepair(async (params: { sessionFile: string }) => {
      writeFileSync(`${params.sessionFile}.tmp`, clean);
      renameSync(`${params.sessionFile}.tmp`, params.sessionFile);
      return { repaired: true, droppedLines: 0 };
    });
    expect(await repair({ sessionFile: path })).toEqual({ repaired: true, droppedLines: 0 });
    // Nothing else asks for a read: the one that settles was started by the pass's return.
    let read: ReturnType<typeof runtime.settledRead>;
    for (let turn = 0; turn < 1_000_000 && read === undefined; turn++) {
      await new Promise((r) => setImmediate(r));
      read = runtime.settledRead(path);
    }
    expect(read).toBeDefined();
    await runtime.wrapPrewarm(async () => {})(path); // that read, of the file as it is: used, not asked again
    expect(runtime.settledRead(path)).toBe(read);
    const copy = join(dir, `copy${++n}.jsonl`);
    copyFileSync(path, copy);
    const sm = Wrapped.open(path) as unknown as SessionManager;
    expect(sm.getEntries()).toEqual(SessionManager.open(copy).getEntries());
    expect(sm.buildSessionContext()).toEqual(SessionManager.open(copy).buildSessionContext());
  });

  it("the prewarm waits for the read the pass started instead of asking again", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const path = file(needsRepair(30));
    const repair = runtime.wrapRepair(async (params: { sessionFile: string }) => {
      writeFileSync(`${params.sessionFile}.tmp`, clean);
      renameSync(`${params.sessionFile}.tmp`, params.sessionFile);
      return { repaired: true, droppedLines: 0 };
    });
    await repair({ sessionFile: path });
    await runtime.wrapPrewarm(async () => {})(path);
    // The read the open gets is the first read of the new file (from byte 0); a second read asked by the
    // prewarm would have continued that one (from its end).
    const read = runtime.settledRead(path);
    if (!read || read instanceof Error) throw new Error(`no read: ${String(read)}`);
    expect(read.meta.readFrom).toBe(0);
    expect(read.meta.bytes).toBe(Buffer.byteLength(clean));
    expect(read.meta.index).toBe("none");
  });

  it("a check that stopped, then a file rewritten in place: the session read starts over and equals a fresh read", () => {
    const path = file(needsRepair(30));
    const cache = new SessionReadCache();
    expect(readRepairCheck(path, {}, cache, { images: false }).complete).toBe(false);
    // In place, longer than where the check stopped, the same head: only the times say it changed.
    const rewritten = clean.replace('"role":"user"', '"role":"user" ');
    writeFileSync(path, rewritten);
    const s = decodeSession(encodeSessionBuffer(path, {}, cache));
    expect(s.meta.readFrom).toBe(0);
    expect(s.getEntries()).toEqual(openSession(path).getEntries());
  });
});
