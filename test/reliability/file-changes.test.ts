/**
 * The transcript changes while a build is under way (issue 6): truncated, rewritten in place, renamed
 * over, deleted, replaced by a directory. The build runs in 1 ms slices over a multi-MB file, so it is
 * paused many times (while reading lines, tokenizing, reading message ranges back) and the change lands
 * at one of those pauses, at a delay that varies per case. Each build must either fail with
 * TRANSCRIPT_CHANGED or equal pi on ONE consistent version of the file (the bytes before or after the
 * change), never a mix. The build after it must be correct for what is on disk then.
 */
import fs, { fstatSync, mkdirSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { compileSteps } from "../../native-free-workers/compile.js";
import { SessionCache } from "../../native-free-workers/session/session-cache.js";
import { normalizeBuildOptions } from "../../src/options.js";
import { createCompiler, CtxcError, decodeContext, type CompiledContext } from "../../src/index.js";
import { expectMatchesReference, referenceFor, Tally, type Reference } from "../support/reliability.js";
import { tempDir } from "../support/tmp.js";
import { HANG_MS } from "../support/hang-guard.js";

const dir = tempDir("file-changes");
const tally = new Tally("file-changes");
const compiler = createCompiler({ threads: 1, sliceMs: 1, tokenizer: "estimate" });
afterAll(async () => {
  tally.write();
  await compiler.close();
});

const V1 = Buffer.from(generateTranscript({ seed: 71, targetBytes: 6_000_000, compactions: 1, branchProbability: 0.05, unicode: "mixed", toolResultBytes: { min: 2_000, max: 60_000 } }).text);
const V2 = Buffer.from(generateTranscript({ seed: 72, targetBytes: 5_000_000, branchProbability: 0.05, unicode: "ascii", toolResultBytes: { min: 2_000, max: 60_000 } }).text);
const refV1 = referenceFor(V1);
const refV2 = referenceFor(V2);

type Mutation = "truncate" | "truncate-to-header" | "rewrite" | "rewrite-same-size" | "rewrite-shorter" | "rename-over" | "delete" | "directory";
const MUTATIONS: Mutation[] = ["truncate", "truncate-to-header", "rewrite", "rewrite-same-size", "rewrite-shorter", "rename-over", "delete", "directory"];

/** Applies the change; returns the bytes now at the path (null: no file there). */
function mutate(path: string, kind: Mutation, seed: number): Buffer | null {
  switch (kind) {
    case "truncate": {
      const size = Math.floor(V1.length * (0.2 + ((seed * 37) % 60) / 100));
      truncateSync(path, size);
      return V1.subarray(0, size);
    }
    case "truncate-to-header": {
      const size = V1.indexOf(10) + 1;
      truncateSync(path, size);
      return V1.subarray(0, size);
    }
    case "rewrite":
      writeFileSync(path, V2); // in place: same inode, O_TRUNC then write
      return V2;
    case "rewrite-same-size": {
      const same = Buffer.alloc(V1.length, 0x20);
      V2.copy(same, 0, 0, Math.min(V2.length, V1.length));
      same[same.length - 1] = 10;
      writeFileSync(path, same);
      return same;
    }
    case "rewrite-shorter":
      writeFileSync(path, V1.subarray(0, V1.length >> 1)); // a "repair" that drops the second half
      return V1.subarray(0, V1.length >> 1);
    case "rename-over": {
      const other = `${path}.new`;
      writeFileSync(other, V2);
      renameSync(other, path);
      return V2;
    }
    case "delete":
      rmSync(path);
      return null;
    case "directory":
      rmSync(path);
      mkdirSync(path);
      return null;
  }
}

const refs = new Map<Buffer, Reference>([[V1, refV1], [V2, refV2]]);
function ref(bytes: Buffer): Reference {
  let r = refs.get(bytes);
  if (!r) refs.set(bytes, (r = referenceFor(bytes)));
  return r;
}

/** Which consistent version `ctx` equals, or throws. */
function versionOf(ctx: CompiledContext, candidates: Buffer[]): number {
  const errors: unknown[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const bytes = candidates[i]!;
    if (ctx.meta.transcript.bytes > bytes.length) continue;
    try {
      expectMatchesReference(ctx, ref(bytes));
      return i;
    } catch (err) {
      errors.push(err);
    }
  }
  throw new Error(`the build equals none of the ${candidates.length} consistent versions: ${errors.map(String).join("\n")}`);
}

let n = 0;
const CONTENDER = join(dir, "contender.jsonl");
writeFileSync(CONTENDER, generateTranscript({ seed: 72, entries: 20 }).text);

describe("the file changes while a build is paused between slices", () => {
  for (const kind of MUTATIONS) {
    it(`${kind}: TRANSCRIPT_CHANGED or a build of one consistent version; the next build is right`, async () => {
      const outcomes: Record<string, number> = {};
      for (const delay of [0, 2, 8, 20, 45, 90]) {
        const t = tally.add(kind);
        const path = join(dir, `t${n++}.jsonl`);
        writeFileSync(path, V1);
        const building = compiler.build({ transcript: path, timeoutMs: HANG_MS }).then(
          (ctx) => ctx,
          (err: unknown) => err,
        );
        // Another agent's small builds keep asking for the worker, so the big build is paused between
        // slices (a build without contention runs to the end in one go) while the file changes.
        let settled = false;
        void building.finally(() => (settled = true));
        const contention = (async () => {
          while (!settled) await compiler.build({ transcript: CONTENDER, agentId: "contender" });
        })();
        await new Promise((resolve) => setTimeout(resolve, delay));
        const after = mutate(path, kind, n);
        const result = await building;
        await contention;
        let outcome: string;
        if (result instanceof CtxcError) {
          // A build still queued when the file is deleted (or replaced by a directory) opens what is
          // there then: the error of that, not a change mid-build.
          const goneBeforeOpen = kind === "delete" ? "TRANSCRIPT_NOT_FOUND" : kind === "directory" ? "TRANSCRIPT_NOT_A_FILE" : null;
          if (result.code !== goneBeforeOpen) expect(result.code).toBe("TRANSCRIPT_CHANGED");
          outcome = result.code;
        } else if (result instanceof Error) {
          throw result;
        } else {
          // writeFileSync truncates, then writes: a build that opens the file in between sees the new
          // version while it is being written — a prefix of it ending at a complete line (empty at first),
          // exactly as with any concurrent writer. That is a consistent version too; a mix is not.
          const inPlace = kind === "rewrite" || kind === "rewrite-same-size" || kind === "rewrite-shorter";
          const seen = (result as CompiledContext).meta.transcript.bytes;
          const partial = after && inPlace && seen < after.length && (seen === 0 || after[seen - 1] === 10) ? [after.subarray(0, seen)] : [];
          const candidates = after ? [V1, after, ...partial] : [V1];
          const version = versionOf(result as CompiledContext, candidates);
          outcome = version === 0 ? "old version" : version === 1 ? "new version" : "prefix of the new version (mid-rewrite)";
        }
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;

        // The next build is of what is on disk now.
        if (after) {
          const next = await compiler.build({ transcript: path });
          expectMatchesReference(next, ref(after));
        } else {
          const err = await compiler.build({ transcript: path }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(CtxcError);
          expect((err as CtxcError).code).toBe(kind === "delete" ? "TRANSCRIPT_NOT_FOUND" : "TRANSCRIPT_NOT_A_FILE");
        }
        t.survived(outcome);
        rmSync(path, { recursive: true, force: true });
      }
      // Not a timing assertion: just what happened, for the figures.
      expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(6);
    });
  }

});

/** A build in this process (compileSteps), so a test can patch `fs.readSync` under it. */
async function build(path: string, sessions = new SessionCache(1 << 30)) {
  const steps = compileSteps(normalizeBuildOptions({ transcript: path, tokenizer: "estimate", budget: null }), sessions, 1);
  for (;;) {
    const step = await steps.next();
    if (step.done) return decodeContext(step.value);
  }
}
/** A build as compared (the path aside: each version is built from its own file). */
const view = (ctx: CompiledContext) => ({ transcript: { ...ctx.meta.transcript, path: "" }, diagnostics: ctx.diagnostics, messages: [...ctx.messages] });
const coldView = (bytes: Buffer) => {
  const p = join(dir, `forced-cold${n++}.jsonl`);
  writeFileSync(p, bytes);
  return build(p).then(view);
};

/**
 * Builds `path` with `change` forced around the first read of a line chunk at or past `at` (`before`
 * and `after` that read, same inode): the build fails with TRANSCRIPT_CHANGED or equals one of
 * `versions`, and the next build with the same worker state equals `versions[1]` (the file as it is now).
 */
async function expectForcedChange(path: string, at: number, versions: unknown[], change: { before?: () => void; after?: () => void }) {
  const realReadSync = fs.readSync;
  const { ino } = statSync(path);
  let fired = false;
  (fs as { readSync: unknown }).readSync = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
    const hit = !fired && position >= at && length >= 16_384 && fstatSync(fd).ino === ino;
    if (hit) change.before?.();
    const got = realReadSync(fd, buffer, offset, length, position);
    if (hit) {
      fired = true;
      change.after?.();
    }
    return got;
  };
  syncBuiltinESMExports();
  const sessions = new SessionCache(1 << 30);
  let result: unknown;
  try {
    result = await build(path, sessions).then(view, (err: unknown) => err);
  } finally {
    (fs as { readSync: unknown }).readSync = realReadSync;
    syncBuiltinESMExports();
  }
  expect(fired, "the change landed during the read of the lines").toBe(true);
  expect(statSync(path).ino).toBe(ino);
  if (result instanceof CtxcError) expect(result.code).toBe("TRANSCRIPT_CHANGED");
  else expect(versions, `a build around the change at ${at}`).toContainEqual(result);
  expect(view(await build(path, sessions))).toEqual(versions[1]);
}

/**
 * The same change forced at one exact moment, in this process (compileSteps, `fs.readSync` patched): the
 * worker thread's reads race the test's writes above, so a change can land between the change check and
 * the next read, which the timed cases hit only now and then (under load). Here the file is truncated
 * right before one read of the lines and rewritten with its first half (same inode) right after it: that
 * read finds the end of the file where the build had not finished reading, and every check after it sees
 * bytes equal to what was read, so only that read knows the file shrank.
 */
describe("the file is rewritten shorter around one read of the lines (forced)", () => {
  const full = Buffer.from(generateTranscript({ seed: 73, targetBytes: 900_000, compactions: 1, branchProbability: 0.05, unicode: "mixed" }).text);
  const shorter = full.subarray(0, full.length >> 1); // ends inside a line: a torn tail

  it("TRANSCRIPT_CHANGED or a cold build of one version, never the old lines cut where the truncated file ended", async () => {
    const versions = [await coldView(full), await coldView(shorter)];
    for (const at of [0.1, 0.25, 0.4].map((f) => Math.floor(full.length * f))) {
      const path = join(dir, `forced${n++}.jsonl`);
      writeFileSync(path, full);
      // The first read of a line chunk at or past `at`: the file is empty for that read, then the first half.
      await expectForcedChange(path, at, versions, { before: () => truncateSync(path, 0), after: () => writeFileSync(path, shorter) });
    }
  });
});

/**
 * A rewrite in place that keeps the first 4 KB (the head the append check compares), forced right after
 * one read of the lines (same inode, a later mtime, as a real rewrite has). The lines of that read are
 * the old bytes; the check's bytes before the consumed end must be those same old bytes, so the change
 * check after the read compares them with the file and finds the rewrite. Read back from the file after
 * the rewrite instead, they were the new bytes: every later check passed, the build went on reading the
 * new file after the old lines (a mix of both versions), and the next warm build continued that mix.
 */
describe("the file is rewritten in place past its first 4 KB right after one read of the lines (forced)", () => {
  const old = Buffer.from(generateTranscript({ seed: 74, targetBytes: 900_000, branchProbability: 0.05, unicode: "mixed" }).text);
  const other = Buffer.from(generateTranscript({ seed: 75, targetBytes: 1_200_000, branchProbability: 0.05, unicode: "ascii" }).text);
  /** The old first 4 KB, then the other transcript's bytes from there (one damaged line at the seam). */
  const rewritten = (size: number) => Buffer.concat([old.subarray(0, 4096), other.subarray(4096, size)]);

  for (const [name, next] of [["same size", rewritten(old.length)], ["longer", rewritten(old.length + 100_000)]] as const) {
    it(`${name}: TRANSCRIPT_CHANGED or a cold build of one version, and the next build is the file as it is`, async () => {
      const versions = [await coldView(old), await coldView(next)];
      expect(versions[0]).not.toEqual(versions[1]);
      for (const at of [0.1, 0.5].map((f) => Math.floor(old.length * f))) {
        const path = join(dir, `forced-tail${n++}.jsonl`);
        writeFileSync(path, old);
        // The first read of a line chunk at or past `at` gets the old bytes; the file is rewritten right after it.
        const after = () => {
          writeFileSync(path, next);
          const later = new Date(Date.now() + 10_000);
          utimesSync(path, later, later);
        };
        await expectForcedChange(path, at, versions, { after });
      }
    });
  }
});
