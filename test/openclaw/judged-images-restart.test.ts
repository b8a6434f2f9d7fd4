/**
 * What the repair pass's image judge found clean outlives a restart (issue #11: the first turn after a
 * restart judged every image line of the transcript again). The worker keeps, per read state, how many
 * image records a named judge (RepairCheckOptions.judge) was told judged clean, saves it with the state in
 * the persistent index, and after a restart — a new SessionReadCache on the same index: a new generation,
 * so the main thread's `imagesFrom` no longer fits — leaves out those lines for the same judge only:
 * - the same judge: only the image lines appended since are sent, and they are the lines of a fresh read;
 * - another judge name (another release or Node), a file changed other than by appends, a damaged
 *   `judgedImages` field, or no judge named: every image line, as before;
 * - a state told more after its last save is saved again, though it grew by less than the resave bytes.
 * The release's own pass across a restart is test/matrix/reads.test.ts.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SessionReadCache, readRepairCheck } from "../../native-free-workers/openclaw/session-buffer.js";
import { sessionIndexFile, type SessionIndexDir } from "../../native-free-workers/openclaw/session-index.js";
import { checkPrivateDir } from "../../native-free-workers/session/private-dir.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("judged-images-restart");
let n = 0;

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const HEADER = line({ type: "session", version: 3, id: "s-1", timestamp: "2026-01-05T08:00:00.000Z", cwd: "/w" });
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]).toString("base64");
const images = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => line({ type: "message", id: `i${from + i}`, parentId: null, timestamp: "t", message: { role: "user", content: [{ type: "text", text: `look ${from + i}` }, { type: "image", data: PNG, mimeType: "image/png" }], timestamp: 1 } }));
const plain = (id: string) => line({ type: "message", id, parentId: null, timestamp: "t", message: { role: "user", content: "hello", timestamp: 1 } });

function indexDir(): SessionIndexDir {
  const path = join(dir, `index${++n}`);
  mkdirSync(path, { mode: 0o700 });
  const verdict = checkPrivateDir(path);
  if (!verdict.ok) throw new Error(verdict.reason);
  return { dir: verdict.path, check: { identity: { dev: verdict.dev, ino: verdict.ino } } };
}

const J = "openclaw 2026.7.35, node v24.22.3, judge 0123456789abcdef";

/**
 * A transcript with 12 image lines judged clean before the restart: the first pass (every line), a second
 * (reports them judged: the worker saves that), then 3 image lines and a plain one appended while down.
 */
function judgedBeforeRestart() {
  const index = indexDir();
  const path = join(dir, `t${++n}.jsonl`);
  writeFileSync(path, [HEADER, ...images(0, 12)].join("\n") + "\n");
  const before = new SessionReadCache(undefined, index);
  const first = readRepairCheck(path, {}, before, { images: true, judge: J });
  expect([first.imageLines.length, first.imageLinesFrom, first.imageRecordsSettled]).toEqual([12, 0, 12]);
  const second = readRepairCheck(path, {}, before, { images: true, judge: J, imagesFrom: { generation: first.meta.generation!, records: 12 } });
  expect([second.imageLines.length, second.imageLinesFrom]).toEqual([0, 12]);
  appendFileSync(path, [...images(12, 3), plain("p")].join("\n") + "\n");
  return { index, path };
}

/** The image lines a fresh read (nothing kept, no index) sends. */
const freshLines = (path: string) => readRepairCheck(path, {}, new SessionReadCache(), { images: true }).imageLines;

describe("image lines judged clean before a restart", () => {
  it("are not sent again to the same judge after it: only those appended since, as a fresh read has them", () => {
    const { index, path } = judgedBeforeRestart();
    const after = readRepairCheck(path, {}, new SessionReadCache(undefined, index), { images: true, judge: J });
    expect(after.meta.index).toBe("disk");
    expect([after.imageLinesFrom, after.imageRecordsSettled]).toEqual([12, 15]);
    expect(after.imageLines).toEqual(freshLines(path).slice(12));
    // An imagesFrom of the process before (another generation) does not fit; the saved count still does.
    const stale = readRepairCheck(path, {}, new SessionReadCache(undefined, index), { images: true, judge: J, imagesFrom: { generation: "gone", records: 14 } });
    expect(stale.imageLinesFrom).toBe(12);
  });

  it("are sent again to another judge, without a judge named, and when the file changed other than by appends", () => {
    const { index, path } = judgedBeforeRestart();
    expect(readRepairCheck(path, {}, new SessionReadCache(undefined, index), { images: true, judge: `${J}x` }).imageLines).toEqual(freshLines(path));
    expect(readRepairCheck(path, {}, new SessionReadCache(undefined, index), { images: true }).imageLines).toEqual(freshLines(path));
    // The same length, one byte of an early image changed: the index's digest no longer matches.
    const text = readFileSync(path, "utf8");
    const at = text.indexOf("look 3");
    writeFileSync(path, text.slice(0, at) + "Look 3" + text.slice(at + 6));
    const changed = readRepairCheck(path, {}, new SessionReadCache(undefined, index), { images: true, judge: J });
    expect(changed.meta.index).not.toBe("disk");
    expect([changed.imageLinesFrom, changed.imageLines]).toEqual([0, freshLines(path)]);
  });

  it("a damaged judgedImages field: the saved state is not used", () => {
    const { index, path } = judgedBeforeRestart();
    const saved = sessionIndexFile(index.dir, path);
    const data = JSON.parse(readFileSync(saved, "utf8")) as Record<string, unknown>;
    expect(data.judgedImages).toEqual({ judge: J, records: 12 });
    for (const bad of [{ judge: J, records: -1 }, { judge: J, records: 1.5 }, { judge: 7, records: 3 }, { judge: "x".repeat(513), records: 3 }, "12"]) {
      writeFileSync(saved, JSON.stringify({ ...data, judgedImages: bad }), { mode: 0o600 });
      const after = readRepairCheck(path, {}, new SessionReadCache(undefined, index), { images: true, judge: J });
      expect(after.meta.index, JSON.stringify(bad)).toBe("disk-corrupt");
      expect(after.imageLines, JSON.stringify(bad)).toEqual(freshLines(path));
    }
  });

  it("are saved as soon as they are told, and counted no further than the state's settled image records", () => {
    const { index, path } = judgedBeforeRestart();
    const cache = new SessionReadCache(undefined, index);
    const after = readRepairCheck(path, {}, cache, { images: true, judge: J });
    // Told: all 15 judged (a few hundred bytes appended, far under the resave bytes): saved at once.
    readRepairCheck(path, {}, cache, { images: true, judge: J, imagesFrom: { generation: after.meta.generation!, records: 15 } });
    const restarted = new SessionReadCache(undefined, index);
    const again = readRepairCheck(path, {}, restarted, { images: true, judge: J });
    expect([again.imageLinesFrom, again.imageLines]).toEqual([15, []]);
    // A count past the settled records is not taken: the saved one is.
    const over = readRepairCheck(path, {}, restarted, { images: true, judge: J, imagesFrom: { generation: again.meta.generation!, records: 99 } });
    expect(over.imageLinesFrom).toBe(15);
  });
});
