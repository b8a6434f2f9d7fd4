/**
 * What the repair check tells the 2026.6.9+ pass (src/openclaw/repair-pass.ts) about the tool-result ids
 * and the file it read: the count and UTF-8 bytes of the id set always, the ids only within the release's
 * bounds (none over them: OpenClaw would not cache them, so the main thread builds no set), and the
 * bigint fstat taken before the read — also for reads continued after appends and restored from the
 * persistent index, and through the worker. The differential side (the same result and repair cache as
 * the release's own pass) is test/matrix/reads.test.ts.
 */
import { appendFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeOpenClawPool, configureOpenClawPool } from "../../src/openclaw/index.js";
import { readRepairCheckAsync } from "../../src/openclaw/session.js";
import { readRepairCheck, SessionReadCache } from "../../native-free-workers/openclaw/session-buffer.js";
import { RepairCheck } from "../../native-free-workers/openclaw/repair-check.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";

const dir = tempDir("repair-check-bounds");
afterAll(() => closeOpenClawPool());

const file = tempFileWriter(dir, "f");
const line = (o: Record<string, unknown>) => JSON.stringify(o);
const HEADER = line({ type: "session", version: 3, id: "s-1", timestamp: "2026-01-05T08:00:00.000Z", cwd: "/w" });
/** A tool result whose id is under `key` (the v2 rule takes the first non-blank trimmed one of six keys). */
const result = (i: number, id: string, key = "toolCallId") =>
  line({ type: "message", id: `r${i}`, parentId: i ? `r${i - 1}` : null, timestamp: "t", message: { role: "toolResult", toolName: "bash", content: [{ type: "text", text: "ok" }], [key]: id } });
const transcript = (ids: string[]) => [HEADER, ...ids.map((id, i) => result(i, id))].join("\n") + "\n";
const bytesOf = (ids: Iterable<string>) => [...ids].reduce((sum, id) => sum + Buffer.byteLength(id, "utf8"), 0);
const LIMITS = { count: 4096, bytes: 512 * 1024 };

describe("the repair check's tool-result ids against the release's bounds", () => {
  it("within both bounds: every distinct id in file order, with their count and UTF-8 bytes", () => {
    const ids = Array.from({ length: 300 }, (_, i) => `call-${i}-ü€😀`);
    const path = file([HEADER, ...ids.map((id, i) => result(i, id)), result(300, ` ${ids[5]} `, "call_id"), result(301, ids[7]!, "tool_use_id")].join("\n") + "\n");
    const facts = readRepairCheck(path, {}, new SessionReadCache(), { images: false, idLimits: LIMITS }).meta.repairFacts!;
    expect(facts.toolResultIds).toEqual(ids);
    expect(facts.toolResultIdCount).toBe(300);
    expect(facts.toolResultIdBytes).toBe(bytesOf(ids));
    expect(facts.toolResultIdBytes).toBeGreaterThan(ids.join("").length); // multi-byte: not string length
  });

  it("over the id count or the byte bound: no ids, the count and bytes all the same; at the bounds: all of them", () => {
    const byCount = Array.from({ length: 4097 }, (_, i) => `id-${i}`);
    const over = readRepairCheck(file(transcript(byCount)), {}, new SessionReadCache(), { images: false, idLimits: LIMITS }).meta.repairFacts!;
    expect([over.toolResultIds, over.toolResultIdCount, over.toolResultIdBytes]).toEqual([[], 4097, bytesOf(byCount)]);
    const at = readRepairCheck(file(transcript(byCount.slice(0, 4096))), {}, new SessionReadCache(), { images: false, idLimits: LIMITS }).meta.repairFacts!;
    expect(at.toolResultIds).toEqual(byCount.slice(0, 4096));
    // 512 ids of 1 KiB (two-byte characters) are exactly the byte bound; one byte more is over it.
    const big = Array.from({ length: 512 }, (_, i) => `${String(i).padStart(4, "0")}` + "é".repeat(510));
    expect(bytesOf(big)).toBe(LIMITS.bytes);
    const atBytes = readRepairCheck(file(transcript(big)), {}, new SessionReadCache(), { images: false, idLimits: LIMITS }).meta.repairFacts!;
    expect(atBytes.toolResultIds.length).toBe(512);
    const overBytes = readRepairCheck(file(transcript([...big, "x"])), {}, new SessionReadCache(), { images: false, idLimits: LIMITS }).meta.repairFacts!;
    expect([overBytes.toolResultIds, overBytes.toolResultIdCount, overBytes.toolResultIdBytes]).toEqual([[], 513, LIMITS.bytes + 1]);
    // Without bounds (a release without them): at most 4,097, as before.
    const unbounded = readRepairCheck(file(transcript([...byCount, "more-1", "more-2"])), {}, new SessionReadCache(), { images: false }).meta.repairFacts!;
    expect([unbounded.toolResultIds.length, unbounded.toolResultIdCount]).toEqual([4097, 4099]);
  });

  it("counts continue over appends (the kept read state) and survive the persistent index's save and restore", () => {
    const first = Array.from({ length: 4000 }, (_, i) => `id-${i}`);
    const path = file(transcript(first));
    const cache = new SessionReadCache();
    expect(readRepairCheck(path, {}, cache, { images: false, idLimits: LIMITS }).meta.repairFacts!.toolResultIds.length).toBe(4000);
    // 200 more, 100 of them repeats: 4,100 distinct.
    appendFileSync(path, Array.from({ length: 200 }, (_, i) => result(4000 + i, i % 2 ? `id-${i}` : `new-${i}`)).join("\n") + "\n");
    const grown = readRepairCheck(path, {}, cache, { images: false, idLimits: LIMITS });
    expect(grown.meta.readFrom).toBeGreaterThan(0);
    const all = new Set([...first, ...Array.from({ length: 200 }, (_, i) => (i % 2 ? `id-${i}` : `new-${i}`))]);
    expect(grown.meta.repairFacts).toMatchObject({ toolResultIds: [], toolResultIdCount: all.size, toolResultIdBytes: bytesOf(all) });
    const fresh = readRepairCheck(path, {}, new SessionReadCache(), { images: false, idLimits: LIMITS });
    expect(fresh.meta.repairFacts).toEqual(grown.meta.repairFacts);
    // The index keeps the check's state; restored, it says the same.
    const check = new RepairCheck();
    for (const id of ["a", "bé", "a"]) check.entry({ type: "message", message: { role: "toolResult", toolCallId: id } });
    expect(RepairCheck.restore(check.saved()).facts(LIMITS)).toEqual(check.facts(LIMITS));
    expect(check.facts(LIMITS)).toMatchObject({ toolResultIds: ["a", "bé"], toolResultIdCount: 2, toolResultIdBytes: 4 });
  });
});

describe("the repair check's image lines after an earlier pass judged some", () => {
  const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]).toString("base64");
  const withImage = (i: number, data = PNG) =>
    line({ type: "message", id: `u${i}`, parentId: null, timestamp: "t", message: { role: "user", content: [{ type: "text", text: `look ${i}` }, { type: "image", data, mimeType: "image/png" }] } });

  it("sends only the image records after those judged, for the same read state; all of them otherwise", () => {
    const path = file([HEADER, withImage(0), withImage(1), result(2, "c"), withImage(3)].join("\n") + "\n");
    const cache = new SessionReadCache();
    const first = readRepairCheck(path, {}, cache, { images: true });
    expect([first.imageLines.length, first.imageLinesFrom, first.imageRecordsSettled]).toEqual([3, 0, 3]);
    appendFileSync(path, [withImage(4), withImage(5, "@@")].join("\n") + "\n");
    const generation = first.meta.generation!;
    const next = readRepairCheck(path, {}, cache, { images: true, imagesFrom: { generation, records: 3 } });
    expect(next.meta.generation).toBe(generation);
    expect(next.meta.repairFacts!.imageRecords).toHaveLength(5);
    expect([next.imageLinesFrom, next.imageRecordsSettled]).toEqual([3, 5]);
    expect(next.imageLines).toEqual([withImage(4), withImage(5, "@@")]);
    // Another state (a fresh read: a new generation), or more than it has settled: every line.
    for (const imagesFrom of [{ generation, records: 3 }, { generation: "other", records: 2 }]) {
      const fresh = readRepairCheck(path, {}, new SessionReadCache(), { images: true, imagesFrom });
      expect([fresh.imageLines.length, fresh.imageLinesFrom], JSON.stringify(imagesFrom)).toEqual([5, 0]);
    }
    expect(readRepairCheck(path, {}, cache, { images: true, imagesFrom: { generation, records: 6 } }).imageLinesFrom).toBe(0);
  });

  it("does not count a torn last line as settled: once complete it may read otherwise", () => {
    const path = file([HEADER, withImage(0), withImage(1)].join("\n"));
    const cache = new SessionReadCache();
    const torn = readRepairCheck(path, {}, cache, { images: true });
    expect([torn.imageLines.length, torn.imageRecordsSettled]).toEqual([2, 1]);
    appendFileSync(path, "\n" + withImage(2) + "\n");
    const after = readRepairCheck(path, {}, cache, { images: true, imagesFrom: { generation: torn.meta.generation!, records: torn.imageRecordsSettled } });
    expect(after.imageLinesFrom).toBeLessThanOrEqual(1);
    expect(after.imageLines).toEqual(after.meta.repairFacts!.imageRecords.slice(after.imageLinesFrom).map((i) => [HEADER, withImage(0), withImage(1), withImage(2)][i]));
  });
});

describe("the repair check's snapshot (OpenClaw's bigint stat of the file read)", () => {
  const statOf = (p: string) => {
    const st = statSync(p, { bigint: true });
    return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
  };

  it("is the file's bigint stat when asked for, null for a missing file, absent when not asked for", () => {
    const path = file(transcript(["a", "b"]));
    const check = readRepairCheck(path, {}, new SessionReadCache(), { images: false, snapshot: true });
    expect(check.snapshot).toEqual(statOf(path));
    expect(check.snapshot!.size).toBe(BigInt(check.meta.bytes));
    expect(readRepairCheck(join(dir, "missing.jsonl"), {}, new SessionReadCache(), { images: false, snapshot: true }).snapshot).toBeNull();
    expect("snapshot" in readRepairCheck(path, {}, new SessionReadCache(), { images: false })).toBe(false);
    // After an append, the next (continued) read's snapshot is the new stat.
    const cache = new SessionReadCache();
    readRepairCheck(path, {}, cache, { images: false, snapshot: true });
    appendFileSync(path, result(2, "c") + "\n");
    const grown = readRepairCheck(path, {}, cache, { images: false, snapshot: true });
    expect(grown.meta.readFrom).toBeGreaterThan(0);
    expect(grown.snapshot).toEqual(statOf(path));
  });

  it("crosses the worker boundary as bigints, with the bounds applied there", async () => {
    await configureOpenClawPool({ threads: 1, indexDir: null });
    const ids = Array.from({ length: 5000 }, (_, i) => `id-${i}`);
    const path = file(transcript(ids));
    const check = await readRepairCheckAsync(path, { images: false, snapshot: true, idLimits: LIMITS });
    expect(check.snapshot).toEqual(statOf(path));
    expect(typeof check.snapshot!.mtimeNs).toBe("bigint");
    expect(check.meta.repairFacts).toMatchObject({ toolResultIds: [], toolResultIdCount: 5000, toolResultIdBytes: bytesOf(ids) });
  });
});
