/**
 * The entry cache grows a file's entries by what was appended at O(appended) (entry-cache.ts
 * `extendedEntries`; issue #11: a copy of all ~15,000 entries of a 28 MB transcript per appended line,
 * per continued open and per rewrite-as-append). Asserted: the result is always the kept entries up to
 * the holder's count followed by the new ones; a list the cache made and nobody grew since is grown in
 * place, anything else (a decoded list, a list grown past the holder's count meanwhile) is copied and
 * left as it was; and over a growing file the continued opens keep answering every line's parse, with
 * the contract's exactness, while the copies they handed out keep their length.
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { SessionReadCache, encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { decodeSession } from "../../src/openclaw/index.js";
import { continuationFor, keptEntriesFor } from "../../src/openclaw/kept-entries.js";
import { dropCachedEntries, extendedEntries, getCachedEntries } from "../../src/openclaw/entry-cache.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("oc-cache-extend");

describe("extendedEntries", () => {
  it("copies a list it did not make, and leaves it as it was", () => {
    const decoded = Object.freeze([{ a: 1 }, { a: 2 }]);
    const grown = extendedEntries(decoded, 2, [{ a: 3 }]);
    expect(grown).not.toBe(decoded);
    expect(grown).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(decoded).toHaveLength(2);
  });

  it("grows its own list in place while it ends at the holder's count", () => {
    const own = extendedEntries([{ a: 1 }], 1, [{ a: 2 }]);
    const again = extendedEntries(own, 2, [{ a: 3 }, { a: 4 }]);
    expect(again).toBe(own);
    expect(again).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]);
  });

  it("a holder whose count the list has grown past gets a copy of its part plus its entries; the list stays", () => {
    const own = extendedEntries([{ a: 1 }], 1, [{ a: 2 }]);
    extendedEntries(own, 2, [{ a: 3 }]); // another extension meanwhile
    const mine = extendedEntries(own, 2, [{ b: 3 }]);
    expect(mine).not.toBe(own);
    expect(mine).toEqual([{ a: 1 }, { a: 2 }, { b: 3 }]);
    expect(own).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });
});

describe("continued opens over a growing file", () => {
  const parsedLines = (path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown);
  const exactly = (path: string, entries: readonly unknown[]) => readFileSync(path, "utf8") === entries.map((e) => `${JSON.stringify(e)}\n`).join("");
  const entry = (id: string, pad = "") => `{${pad}"type":"custom","customType":"x","id":"${id}","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z"}\n`;

  it("every open answers every line's parse and the contract's exactness; what earlier opens handed out keeps its length", () => {
    const cache = new SessionReadCache();
    const path = join(dir, "grow.jsonl");
    writeFileSync(path, generateTranscript({ seed: 5, targetBytes: 150_000, branchProbability: 0.1, compactions: 1 }).text);
    dropCachedEntries(path);
    const read = () => decodeSession(encodeSessionBuffer(path, {}, cache, continuationFor(path)));
    const first = keptEntriesFor(path, read());
    if (typeof first === "string") throw new Error(first);
    const handedOut: unknown[][] = [first.entries.slice()];
    const lists = new Set<readonly unknown[]>();
    // A non-canonical line (the space) in the middle: exactness turns false and stays so.
    for (const [i, pad] of ["", "", " ", "", ""].entries()) {
      appendFileSync(path, entry(`g${i}`, pad));
      const kept = keptEntriesFor(path, read());
      if (typeof kept === "string") throw new Error(kept);
      expect(kept.reused).toBe(handedOut.at(-1)!.length);
      expect(kept.entries).toEqual(parsedLines(path));
      expect(getCachedEntries(path)!.serializedExactly).toBe(exactly(path, kept.entries));
      lists.add(kept.entries);
      handedOut.push(kept.entries.slice());
    }
    // The first continuation copies the decoded list once; the later ones grow that copy.
    expect(lists.size).toBe(1);
    expect(handedOut.map((e) => e.length)).toEqual(handedOut.map((_, i) => handedOut[0]!.length + i));
  });
});
