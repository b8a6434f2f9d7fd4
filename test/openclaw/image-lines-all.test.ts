/**
 * The worker's answer to a repair check with `allImages` (RepairCheckOptions.allImages): the lines of every
 * complete image message of its read — those after a line the pass repairs too, where the check's own facts
 * stop — for the first-start warm-up to judge ahead (src/openclaw/image-prejudge.ts). Without it, the image
 * lines are the facts' records, as before. The release's pass with the judging ahead is
 * test/matrix/reads.test.ts.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SessionReadCache, readRepairCheck, readSessionMeta } from "../../native-free-workers/openclaw/session-buffer.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("image-lines-all");
const line = (o: Record<string, unknown>) => JSON.stringify(o);
const HEADER = line({ type: "session", version: 3, id: "s-1", timestamp: "2026-01-05T08:00:00.000Z", cwd: "/w" });
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]).toString("base64");
const user = (id: string, content: unknown) => line({ type: "message", id, parentId: null, timestamp: "t", message: { role: "user", content, timestamp: 1 } });
const image = (id: string, mime = "image/png") => user(id, [{ type: "text", text: `look ${id} é` }, { type: "image", data: PNG, mimeType: mime }]);
const errored = line({ type: "message", id: "e", parentId: null, timestamp: "t", message: { role: "assistant", content: [], stopReason: "error", timestamp: 1 } });

describe("repair check with allImages", () => {
  it("sends every complete image message's line, also after the line the pass repairs; not text that only names an image, a block the rule does not look at, a line that is not JSON; nothing from a read the check stopped or a torn tail", () => {
    const path = join(dir, "t.jsonl");
    const before = [image("i1"), user("t1", '"image" in a text'), image("i2")];
    const after = [image("i3"), image("n1", "text/plain"), '{"type":"message","message":{"content":[{"type":"image"', user("t2", [{ type: "text", text: 'say "image/png"' }]), image("i4")];
    writeFileSync(path, [HEADER, ...before, errored, ...after].join("\n") + "\n");
    // A check's own read stops after the chunk where its verdict was settled (the errored turn): no lines, all or not.
    expect(readRepairCheck(path, { chunkBytes: 64 }, new SessionReadCache(), { images: true, allImages: true })).toMatchObject({ complete: false, imageLines: [] });
    const cache = new SessionReadCache();
    readSessionMeta(path, {}, cache); // a whole read, as the warm-up's
    // The facts' own image records stop at the errored turn.
    const facts = readRepairCheck(path, {}, cache, { images: true });
    expect(facts.complete).toBe(true);
    expect(facts.imageLines).toEqual([image("i1"), image("i2")]);
    const all = readRepairCheck(path, {}, cache, { images: true, allImages: true, imagesFrom: { generation: facts.meta.generation!, records: 2 }, judge: "a judge" });
    expect(all).toMatchObject({ complete: true, imageLinesFrom: 0 });
    expect(all.imageLines).toEqual([image("i1"), image("i2"), image("i3"), image("i4")]);
    // Without `images`, no lines.
    expect(readRepairCheck(path, {}, cache, { images: false, allImages: true }).imageLines).toEqual([]);
    // A torn tail: the check does not read past its settled verdict, so nothing is sent (the pass judges as before).
    appendFileSync(path, image("torn"));
    expect(readRepairCheck(path, {}, cache, { images: true, allImages: true })).toMatchObject({ complete: false, imageLines: [] });
  });
});
