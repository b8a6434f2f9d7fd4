/**
 * The `fileDigest` worker op (native-free-workers/openclaw/file-digest.ts): the sha-256 of every byte of a
 * file, read in a bounded buffer, equal to a one-shot hash of the whole file for any chunk size and any
 * pattern of short reads; every failure a coded reply (never a throw), saying whether OpenClaw's read
 * stream would fail on the same file. Through the worker's entry too (the reply crosses the pool as is).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digestFile } from "../../native-free-workers/openclaw/file-digest.js";
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
