/**
 * The `fileDigest` worker op (native-free-workers/openclaw/file-digest.ts): the sha-256 of every byte of a
 * file, read in a bounded buffer, equal to a one-shot hash of the whole file for any chunk size and any
 * pattern of short reads; every failure a coded reply (never a throw), saying whether OpenClaw's read
 * stream would fail on the same file. Through the worker's entry too (the reply crosses the pool as is).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync, readSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DigestMemo, digestFile, digestFileSliced } from "../../native-free-workers/openclaw/file-digest.js";
import handle from "../../native-free-workers/openclaw-worker.js";
import type { FileDigestReply } from "../../native-free-workers/protocol/file-digest.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("file-digest");
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
let n = 0;
const file = (bytes: Buffer | string) => {
  const p = join(dir, `f${++n}`);
  writeFileSync(p, bytes);
  return p;
};

describe("digestFile", () => {
  it("equals a one-shot hash for sizes around every chunk boundary, for several chunk sizes", () => {
    const data = randomBytes(3 * 4096 + 17);
    for (const chunk of [1, 7, 4096, 65536]) {
      for (const size of [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 2 * chunk + 1, data.length].filter((s) => s >= 0 && s <= data.length)) {
        const bytes = data.subarray(0, size);
        const got = digestFile(file(bytes), chunk);
        expect(got, `chunk ${chunk} size ${size}`).toEqual({ sha256: sha(bytes), bytes: size });
      }
    }
  });

  it("non-ASCII text, hashed as its UTF-8 bytes (multi-byte characters split across chunks)", () => {
    const text = "héllo wörld ✓ 日本語 🎉\n".repeat(500);
    const got = digestFile(file(text), 5);
    expect(got).toEqual({ sha256: sha(Buffer.from(text, "utf8")), bytes: Buffer.byteLength(text) });
  });

  it("short reads (a filesystem returning fewer bytes than asked) change nothing", () => {
    const data = randomBytes(100_003);
    const p = file(data);
    let calls = 0;
    const stingy = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
      calls++;
      return readSync(fd, buffer, offset, Math.min(length, 1 + (calls % 13)), position);
    };
    expect(digestFile(p, 4096, stingy)).toEqual({ sha256: sha(data), bytes: data.length });
    expect(calls).toBeGreaterThan(data.length / 14);
  });

  it("reads with one buffer of the chunk size: every read goes into the same buffer, never longer than the chunk", () => {
    const data = randomBytes(50_000);
    const buffers = new Set<ArrayBufferLike>();
    const spy = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
      buffers.add(buffer.buffer);
      expect(length).toBeLessThanOrEqual(1024);
      return readSync(fd, buffer, offset, length, position);
    };
    expect(digestFile(file(data), 1024, spy)).toEqual({ sha256: sha(data), bytes: data.length });
    expect(buffers.size).toBe(1);
  });

  it("a missing path, a path through a file, a directory: coded replies, which a stream fails on too", () => {
    const missing = digestFile(join(dir, "nope.jsonl"));
    expect(missing).toMatchObject({ error: { ctxcError: true, code: "TRANSCRIPT_NOT_FOUND" }, streamFails: true });
    const through = digestFile(join(file("x"), "child"));
    expect(through).toMatchObject({ error: { code: "TRANSCRIPT_NOT_FOUND" }, streamFails: true });
    const sub = join(dir, "a-directory");
    mkdirSync(sub);
    expect(digestFile(sub)).toMatchObject({ error: { code: "TRANSCRIPT_NOT_A_FILE" }, streamFails: true });
  });

  it("a FIFO: refused without blocking (no writer), and not claimed as a stream failure (stock reads it its own way)", () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(digestFile(fifo)).toMatchObject({ error: { code: "TRANSCRIPT_NOT_A_FILE" }, streamFails: false });
  });

  it("a read failing mid-file: a coded reply (a stream's error), the file closed", () => {
    const p = file(randomBytes(10_000));
    let calls = 0;
    let fdSeen = -1;
    const failing = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
      fdSeen = fd;
      if (++calls === 3) throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO", errno: -5, syscall: "read" });
      return readSync(fd, buffer, offset, length, position);
    };
    const got = digestFile(p, 1000, failing);
    expect(got).toMatchObject({ error: { code: "TRANSCRIPT_UNREADABLE", errno: "EIO" }, streamFails: true });
    // Closed: the descriptor number is free again (the next open may reuse it, and reading it now fails).
    expect(() => readSync(fdSeen, Buffer.alloc(1), 0, 1, 0)).toThrow();
  });

  it("a file appended to between two digests: each call hashes the file as it is then", () => {
    const p = file("one\n");
    const first = digestFile(p) as { sha256: string };
    writeFileSync(p, "one\ntwo\n");
    const second = digestFile(p) as { sha256: string };
    expect(first.sha256).toBe(sha("one\n"));
    expect(second.sha256).toBe(sha("one\ntwo\n"));
  });
});

describe("the worker's fileDigest op", () => {
  it("answers the digest, and a coded reply (not a thrown WireError) for a missing file; the worker keeps serving", async () => {
    const data = randomBytes(70_000);
    const p = file(data);
    expect(await handle({ op: "fileDigest", path: p })).toEqual({ sha256: sha(data), bytes: data.length });
    const missing = (await handle({ op: "fileDigest", path: join(dir, "gone") })) as FileDigestReply;
    expect(missing).toMatchObject({ error: { code: "TRANSCRIPT_NOT_FOUND" }, streamFails: true });
    expect(await handle({ op: "fileDigest", path: p })).toEqual({ sha256: sha(data), bytes: data.length });
  });
});

describe("digestFileSliced (what the worker serves: the thread given back between slices)", () => {
  it("equals the one-go digest and a one-shot hash for any slice and chunk size, pausing between slices", async () => {
    const data = randomBytes(5 * 4096 + 123);
    for (const [chunk, slice] of [[4096, 4096], [4096, 3 * 4096], [1000, 2500], [65536, 65536]] as const) {
      for (const size of [0, 1, chunk, slice, slice + 1, data.length].filter((s) => s <= data.length)) {
        const bytes = data.subarray(0, size);
        const p = file(bytes);
        let pauses = 0;
        const got = await digestFileSliced(p, { chunkBytes: chunk, sliceBytes: slice, pause: async () => void pauses++ });
        expect(got, `chunk ${chunk} slice ${slice} size ${size}`).toEqual({ sha256: sha(bytes), bytes: size });
        expect(got).toEqual(digestFile(p, chunk));
        // One pause per full slice hashed (a slice ends on the read that reaches its size).
        expect(pauses, `chunk ${chunk} slice ${slice} size ${size}`).toBe(countSlices(size, chunk, slice));
      }
    }
  });

  it("a file appended to during a pause: the appended bytes are hashed (read before the end is reached), as stock's stream reads on until a read returns 0", async () => {
    const first = randomBytes(10_000);
    const more = randomBytes(7_000);
    const p = file(first);
    let appended = false;
    const got = await digestFileSliced(p, {
      chunkBytes: 4096,
      sliceBytes: 4096,
      pause: async () => {
        if (!appended) appendFileSync(p, more);
        appended = true;
      },
    });
    expect(got).toEqual({ sha256: sha(Buffer.concat([first, more])), bytes: first.length + more.length });
  });

  it("bytes appended after the last read (the end reached) are not hashed: the digest of the file as it was then", async () => {
    const data = randomBytes(9_000);
    const p = file(data);
    const got = await digestFileSliced(p, { chunkBytes: 4096, sliceBytes: 1 << 30, pause: async () => undefined });
    appendFileSync(p, "later");
    expect(got).toEqual({ sha256: sha(data), bytes: data.length });
  });

  it("reports each slice's running time to `ran` (a number per slice and one at the end), and fails as the one-go driver does", async () => {
    const p = file(randomBytes(20_000));
    const ran: number[] = [];
    await digestFileSliced(p, { chunkBytes: 4096, sliceBytes: 8192, pause: async () => undefined, ran: (ms) => ran.push(ms) });
    expect(ran).toHaveLength(countSlices(20_000, 4096, 8192) + 1);
    expect(ran.every((ms) => ms >= 0)).toBe(true);
    expect(await digestFileSliced(join(dir, "missing"))).toEqual(digestFile(join(dir, "missing")));
    let calls = 0;
    const failing = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
      if (++calls === 3) throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO", errno: -5, syscall: "read" });
      return readSync(fd, buffer, offset, length, position);
    };
    expect(await digestFileSliced(p, { chunkBytes: 1000, sliceBytes: 1000, read: failing })).toMatchObject({ error: { code: "TRANSCRIPT_UNREADABLE" }, streamFails: true });
  });
});

/** Pauses digestFileSliced makes: after each read that brings the bytes hashed to the next multiple of a slice or past it. */
function countSlices(size: number, chunk: number, slice: number): number {
  let pauses = 0;
  let end = slice;
  for (let bytes = Math.min(chunk, size); bytes > 0; bytes = bytes >= size ? 0 : Math.min(bytes + chunk, size)) {
    if (bytes >= end) {
      pauses++;
      end = bytes + slice;
    }
  }
  return pauses;
}

describe("digests with the worker's kept bytes and hash states (DigestMemo)", () => {
  /** A small deterministic generator (xorshift), so a failing sequence can be replayed. */
  function rng(seed: number): (n: number) => number {
    let x = seed >>> 0 || 1;
    return (n) => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x % n;
    };
  }
  const bytesOf = (r: (n: number) => number, n: number) => Buffer.from(Array.from({ length: n }, () => r(256)));

  it("equals a one-shot hash of the file after every change: appends, same-size rewrites anywhere, truncation, replacement by rename", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = rng(seed);
      const memo = new DigestMemo(120_000, 50_000);
      const paths = [file(bytesOf(r, 5000)), file(bytesOf(r, 20_000)), file(Buffer.alloc(0))];
      const ops: string[] = [];
      for (let step = 0; step < 60; step++) {
        const p = paths[r(paths.length)]!;
        const now = readFileSync(p);
        const op = r(6);
        if (op === 0) appendFileSync(p, bytesOf(r, 1 + r(3000)));
        else if (op === 1 && now.length > 0) {
          // The same size, one byte changed anywhere (a rewrite in place the stat may not show).
          const at = r(now.length);
          now[at] = (now[at]! + 1 + r(255)) % 256;
          writeFileSync(p, now);
        } else if (op === 2) writeFileSync(p, now.subarray(0, r(now.length + 1)));
        else if (op === 3) {
          // Replaced by a rename: same prefix, then other bytes.
          const tmp = `${p}.tmp`;
          writeFileSync(tmp, Buffer.concat([now.subarray(0, r(now.length + 1)), bytesOf(r, r(2000))]));
          renameSync(tmp, p);
        } // else unchanged
        ops.push(`${op}@${p.slice(-3)}`);
        const want = readFileSync(p);
        const got = await digestFileSliced(p, { chunkBytes: 1000, sliceBytes: 3000, pause: async () => undefined, memo });
        expect(got, `seed ${seed}, ops ${ops.join(" ")}`).toEqual({ sha256: sha(want), bytes: want.length });
        // Kept when within the file bound, and never more than the total bound.
        if (want.length <= 50_000 && memo.lru.get(p)) expect(memo.lru.get(p)!.length).toBe(want.length);
        expect(memo.lru.bytes).toBeLessThanOrEqual(120_000);
      }
    }
  });

  it("keeps the hashed bytes and state of a digested file, and nothing for a file over the bound", async () => {
    const memo = new DigestMemo(1_000_000, 10_000);
    const small = file(randomBytes(9_000));
    const big = file(randomBytes(12_000));
    await digestFileSliced(small, { chunkBytes: 1000, memo });
    await digestFileSliced(big, { chunkBytes: 1000, memo });
    expect(memo.lru.get(small)!.length).toBe(9_000);
    expect(memo.lru.get(big)).toBeUndefined();
    // Grown past the bound: dropped.
    appendFileSync(small, randomBytes(2_000));
    expect(await digestFileSliced(small, { chunkBytes: 1000, memo })).toEqual({ sha256: sha(readFileSync(small)), bytes: 11_000 });
    expect(memo.lru.get(small)).toBeUndefined();
  });

  it("a read failing mid-file drops what was kept; the next digest hashes the file whole and right", async () => {
    const memo = new DigestMemo();
    const p = file(randomBytes(10_000));
    await digestFileSliced(p, { chunkBytes: 1000, memo });
    let calls = 0;
    const failing = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
      if (++calls === 4) throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO", errno: -5, syscall: "read" });
      return readSync(fd, buffer, offset, length, position);
    };
    expect(await digestFileSliced(p, { chunkBytes: 1000, memo, read: failing })).toMatchObject({ error: { code: "TRANSCRIPT_UNREADABLE" } });
    expect(memo.lru.get(p)).toBeUndefined();
    appendFileSync(p, "more");
    expect(await digestFileSliced(p, { chunkBytes: 1000, memo })).toEqual({ sha256: sha(readFileSync(p)), bytes: 10_004 });
  });

  it("a file appended to during a pause, with kept bytes: hashed with what was appended, as without them", async () => {
    const memo = new DigestMemo();
    const first = randomBytes(10_000);
    const p = file(first);
    await digestFileSliced(p, { chunkBytes: 4096, memo });
    const more = randomBytes(7_000);
    let appended = false;
    const got = await digestFileSliced(p, {
      chunkBytes: 4096,
      sliceBytes: 1024,
      memo,
      pause: async () => {
        if (!appended) appendFileSync(p, more);
        appended = true;
      },
    });
    expect(appended).toBe(true);
    expect(got).toEqual({ sha256: sha(Buffer.concat([first, more])), bytes: 17_000 });
  });
});
