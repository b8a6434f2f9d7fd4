/**
 * The compact entry index (pi/record-table.ts, pi/transcript-index.ts): ids are kept as hashes and an
 * equal hash is settled by reading the id back from the transcript. Here the hash has ONE bit
 * (CTXC_ID_HASH_BITS, set before the index module loads), so every lookup meets collisions, and pi's
 * `byId` semantics must still hold exactly: for every entry, `find(id)` and the parent the walk takes
 * equal a plain Map built the way pi builds it (the last entry of an id wins), whatever is far back,
 * named later in the file, duplicated, or not a string.
 */
import { describe, expect, it } from "vitest";
import { damage, generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { DiagnosticLog } from "../../native-free-workers/protocol/diagnostic-log.js";
import { piEntries } from "../reference/pi-reference.js";
import { chain, msg, user } from "../support/transcript-builder.js";

process.env.CTXC_ID_HASH_BITS = "1";
const { TranscriptIndex } = await import("../../native-free-workers/pi/transcript-index.js");
const { idHash } = await import("../../native-free-workers/pi/record-table.js");

/** Indexes `text` line by line as a build does, counting the reads back. */
function index(text: string) {
  const bytes = Buffer.from(text);
  const idx = new TranscriptIndex(new DiagnosticLog(1000));
  let reads = 0;
  idx.reader = { read: (s: number, e: number) => (reads++, bytes.subarray(s, e)), release() {} };
  let offset = 0;
  let lineNo = 1;
  for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, offset)) {
    idx.ingestLine(bytes.subarray(offset, nl), offset, lineNo++);
    offset = nl + 1;
  }
  return { idx, reads: () => reads };
}

/** pi's `byId` and parent lookup over its own parsed entries (one per index row for these files). */
function piModel(text: string) {
  const entries = piEntries(text) as unknown as Record<string, unknown>[];
  const byId = new Map<unknown, number>();
  entries.forEach((e, i) => byId.set(e.id, i));
  const parentOf = (i: number) => (entries[i]!.parentId ? byId.get(entries[i]!.parentId) : null);
  return { entries, byId, parentOf };
}

function expectSameLinks(text: string): number {
  const { idx, reads } = index(text);
  const pi = piModel(text);
  expect(idx.count).toBe(pi.entries.length);
  for (let r = 0; r < idx.count; r++) {
    const id = pi.entries[r]!.id;
    expect(idx.idOf(r)).toStrictEqual(id);
    if (id !== undefined) expect(idx.find(id), `find(${JSON.stringify(id)})`).toBe(pi.byId.get(id));
    expect(idx.parentOf(r), `parent of row ${r}`).toBe(pi.parentOf(r));
  }
  return reads();
}

describe("compact index with a one-bit id hash (every lookup collides)", () => {
  it("the seam is in force", () => {
    const hashes = new Set(["a", "b", "c", "e1", "e2", "sess-0001"].map(idHash));
    expect([...hashes].every((h) => h === 0 || h === 1)).toBe(true);
  });

  it.each([
    { seed: 3, entries: 300, branchProbability: 0.3, compactions: 3 },
    { seed: 4, entries: 200, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true },
  ])("generated transcripts: every id and parent as pi's map gives them (seed $seed)", (opts) => {
    const { text } = generateTranscript(opts);
    expect(expectSameLinks(text)).toBeGreaterThan(0); // collisions were settled by reading ids back
  });

  it("duplicate ids and dangling parents (damaged files) resolve as pi's map does", () => {
    const { text } = generateTranscript({ seed: 5, entries: 250, branchProbability: 0.2, compactions: 2 });
    expectSameLinks(damage(text, "duplicate-ids", 5));
    expectSameLinks(damage(text, "dangling-parent", 6));
  });

  it("a parent far back, a parent named later in the file, a later duplicate, ids that are not strings", () => {
    const entries = [];
    for (let i = 1; i <= 300; i++) entries.push(msg(user(`m${i}`)));
    const lines = chain(entries);
    lines.push({ type: "message", id: "far", parentId: "e3", message: user("branch from far back") }); // beyond the kept recent ids
    lines.push({ type: "message", id: "fwd", parentId: "later", message: user("parent comes later") });
    lines.push({ type: "message", id: "later", parentId: "far", message: user("named by the one before") });
    lines.push({ type: "message", id: "e3", parentId: "e2", message: user("takes e3's id: 'far' now hangs here") });
    lines.push({ type: "message", id: 7, parentId: "e299", message: user("numeric id") });
    lines.push({ type: "message", id: "n", parentId: 7, message: user("numeric parent") });
    lines.push({ type: "message", id: "self", parentId: "self", message: user("its own parent") });
    lines.push({ type: "message", id: "z", parentId: "nowhere", message: user("dangling") });
    const text = lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
    expectSameLinks(text);
    const { idx } = index(text);
    const row = (id: unknown) => idx.find(id)!;
    expect(idx.parentOf(row("far"))).toBe(row("e3")); // the later e3
    expect(idx.parentOf(row("fwd"))).toBe(row("later"));
    expect(idx.parentOf(row("n"))).toBe(row(7));
    expect(idx.parentOf(row("self"))).toBe(row("self"));
    expect(idx.parentOf(row("z"))).toBeUndefined();
    expect(idx.parentIdOf(row("z"))).toBe("nowhere");
  });
});
