/**
 * The one string hash (native-free-workers/protocol/string-hash.ts) and its two users. The values are
 * pinned: the persistent session index saves id hashes, and a transcript's worker follows from its path's
 * hash, so a changed hash would silently invalidate saved indexes.
 */
import { describe, expect, it } from "vitest";
import { fnv1a } from "../../native-free-workers/protocol/string-hash.js";
import { idHash } from "../../native-free-workers/pi/record-table.js";
import { shardOf } from "../../src/openclaw/pool.js";

/** The FNV-1a definition written out in BigInt arithmetic (no Math.imul), over UTF-16 code units. */
function reference(text: string): number {
  let h = 2166136261n;
  for (let i = 0; i < text.length; i++) h = ((h ^ BigInt(text.charCodeAt(i))) * 16777619n) % 2n ** 32n;
  return Number(h);
}

describe("fnv1a", () => {
  it("gives the published FNV-1a 32-bit values for ASCII strings", () => {
    // The FNV reference test vectors (offset basis for "", then "a" and "foobar").
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("hashes UTF-16 code units, not UTF-8 bytes (pinned: the saved index depends on it)", () => {
    expect(fnv1a("é")).toBe(0x6c0b6c44); // one code unit 0xe9 = the FNV-1a of the single byte 0xe9
    expect(fnv1a("😀")).toBe(0xcb31c4b8); // two surrogate code units
    expect(fnv1a("/home/u/.openclaw/agents/main/sessions/s1.jsonl")).toBe(0x69f14303);
  });

  it("equals the definition computed another way, unsigned, on varied strings", () => {
    const texts = ["", "x", "sess-0001", "0123456789abcdef".repeat(40), "\u0000\uffff\ud800", ...Array.from({ length: 200 }, (_, i) => `id-${i * 7919}-${String.fromCharCode(32 + (i % 500))}`)];
    for (const t of texts) {
      const h = fnv1a(t);
      expect(h).toBe(reference(t));
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });
});

describe("the hash's users", () => {
  it("record-table's idHash is fnv1a (all 32 bits when CTXC_ID_HASH_BITS is unset)", () => {
    expect(process.env.CTXC_ID_HASH_BITS).toBeUndefined();
    for (const id of ["", "e1", "a1b2c3d4", "😀"]) expect(idHash(id)).toBe(fnv1a(id));
  });

  it("the pool's shardOf takes a path's fnv1a modulo the thread count", () => {
    const path = "/home/u/.openclaw/agents/main/sessions/s1.jsonl";
    expect(shardOf({ op: "session", path }, 2)).toBe(0x69f14303 % 2);
    expect(shardOf({ op: "repairCheck", path, check: { images: false } }, 3)).toBe(0x69f14303 % 3);
    expect(shardOf({ op: "session", path: "foobar" }, 7)).toBe(0xbf9cf968 % 7);
  });
});
