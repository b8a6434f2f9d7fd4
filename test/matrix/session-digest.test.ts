/**
 * Differential test of the session-fence digest (OpenClaw 2026.6.6+'s `readSessionFileDigest`, served by
 * src/openclaw/session-digest.ts from ctxc's worker) for ONE OpenClaw release (`CTXC_OPENCLAW_ROOT`, with
 * the Node it needs; scripts/matrix.sh), against that release's own function in the same rewritten chunk:
 * the same hex digest for generated transcripts of every size class the fence hashes (empty, one byte,
 * around the stream's 64 KiB and the worker's 1 MiB chunk boundaries, ~9 MB, heavy unicode), the same
 * `undefined` for a missing path and a directory, and for a file growing between calls each answer is the
 * file as it is then. Releases before 2026.6.6 have no such function: the delegate is not there.
 * Skipped without the variable.
 */
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generatedTranscript } from "../support/generated.js";
import { importIntercepted, releaseTestSetup } from "../support/openclaw-release.js";
import { rng, seedRange, wideSeeds } from "../support/seeded-random.js";

const { root, version, dir } = releaseTestSetup("matrix-digest", { afterAll });

/**
 * 2026.6.6 is the first release with the session-file fence and its digest; the SQLite-era releases
 * (2026.7.2-beta.*, 2026.8.1+) run stock altogether (test/matrix/locator.test.ts).
 */
const hasDigest = (v: string): boolean => {
  const [, minor, patch] = v.split(/[.-]/).map(Number) as [number, number, number];
  const sqlite = minor >= 8 || /^2026\.7\.2-beta\./.test(v);
  return !sqlite && (minor > 6 || (minor === 6 && patch >= 6));
};

let n = 0;
const file = (bytes: string | Buffer): string => {
  const p = join(dir, `d${++n}.jsonl`);
  writeFileSync(p, bytes);
  return p;
};

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: session-fence digest vs the release's own`, () => {
  it("readSessionFileDigest: the same digest as the release's for every size class, the same undefined for a missing path and a directory", async () => {
    const x = await importIntercepted(root!, "readSessionFileDigest");
    if (!hasDigest(version)) {
      expect(x, version).toBeTypeOf("string");
      // Not in the release (nothing said), or the whole gateway stock (SQLite transcripts).
      expect(x as string).toMatch(/^readSessionFileDigest not served|keeps transcripts in SQLite/);
      return;
    }
    if (typeof x === "string") throw new Error(x);
    const rt = x.runtime;
    const [served, fallbacks] = [rt.counters.digestsServed, rt.counters.fallbacks];
    const small = generatedTranscript({ seed: 21, targetBytes: 4 * 1024 * 1024, branchProbability: 0.1, compactions: 2, includeAllEntryTypes: true, unicode: "mixed" }).text;
    const bytes = Buffer.from(small, "utf8");
    expect(bytes.length).toBeGreaterThan(3 * 1048576 + 7);
    const cases: { name: string; path: string }[] = [
      { name: "empty", path: file("") },
      { name: "1 byte", path: file("\n") },
    ];
    // Around the stream's chunks (64 KiB) and the worker's (1 MiB): a transcript's own bytes, cut there.
    for (const size of [65535, 65536, 65537, 131071, 131072, 131073, 1048575, 1048576, 1048577, 3 * 1048576 + 7]) {
      cases.push({ name: `${size} bytes`, path: file(bytes.subarray(0, size)) });
    }
    cases.push({ name: "~9 MB transcript", path: file(generatedTranscript({ seed: 22, targetBytes: 9 * 1024 * 1024, branchProbability: 0.15, compactions: 3, includeAllEntryTypes: true }).text) });
    cases.push({ name: "heavy unicode", path: file(generatedTranscript({ seed: 23, targetBytes: 1024 * 1024, unicode: "heavy" }).text) });
    cases.push({ name: "binary, not UTF-8", path: file(randomBytes(200_000)) });
    const sub = join(dir, "a-directory");
    mkdirSync(sub);
    const absent = [
      { name: "missing", path: join(dir, "missing.jsonl") },
      { name: "directory", path: sub },
    ];
    // The size class the fence digests (over its 8 MiB text bound, up to 32 MiB).
    expect(statSync(cases.find((c) => c.name.startsWith("~9 MB"))!.path).size).toBeGreaterThan(8 * 1024 * 1024);
    for (const c of [...cases, ...absent]) {
      const theirs = (await x.openclaw(c.path)) as string | undefined;
      expect(await x.ctxc(c.path), c.name).toBe(theirs);
    }
    // The release's answers are real digests (a comparison of two `undefined`s would prove nothing).
    expect(await x.openclaw(cases[0]!.path)).toBe(createHash("sha256").digest("hex"));
    expect(await x.openclaw(absent[0]!.path)).toBeUndefined();
    expect(rt.counters.digestsServed - served).toBe(cases.length + absent.length);
    expect(rt.counters.fallbacks).toBe(fallbacks);
  });

  it("readSessionFileDigest as the file grows between calls: each answer is the file as it is then, as the release's", async (ctx) => {
    if (!hasDigest(version)) return ctx.skip(`${version} has no readSessionFileDigest (checked above)`);
    const x = await importIntercepted(root!, "readSessionFileDigest");
    if (typeof x === "string") throw new Error(x);
    const p = file(generatedTranscript({ seed: 24, targetBytes: 2 * 1024 * 1024, unicode: "mixed" }).text);
    const seen = new Set<string>();
    for (let turn = 0; turn < 4; turn++) {
      const ours = (await x.ctxc(p)) as string;
      expect(ours, `turn ${turn}`).toBe(await x.openclaw(p));
      seen.add(ours);
      appendFileSync(p, JSON.stringify({ type: "custom", id: `g${turn}`, parentId: null, customType: "grow ✓" }) + "\n");
    }
    expect(seen.size).toBe(4);
  });

  it("readSessionFileDigest after a same-size rewrite in place (size and maybe mtime unchanged), a truncation and a replacement: the release's answer each time", async (ctx) => {
    // The worker keeps the bytes it hashed and continues from its hash state (file-digest.ts DigestMemo):
    // a change anywhere in the kept prefix must be found by its comparison, not by a stat.
    if (!hasDigest(version)) return ctx.skip(`${version} has no readSessionFileDigest (checked above)`);
    const x = await importIntercepted(root!, "readSessionFileDigest");
    if (typeof x === "string") throw new Error(x);
    const text = generatedTranscript({ seed: 25, targetBytes: 3 * 1024 * 1024, unicode: "mixed" }).text;
    const p = file(text);
    const check = async (what: string) => expect(await x.ctxc(p), what).toBe(await x.openclaw(p));
    await check("first");
    const bytes = Buffer.from(text);
    for (const at of [0, 1024 * 1024 + 7, bytes.length - 2]) {
      const changed = Buffer.from(bytes);
      changed[at] = changed[at] === 0x41 ? 0x42 : 0x41;
      const before = statSync(p);
      writeFileSync(p, changed);
      expect(statSync(p).size).toBe(before.size);
      await check(`one byte changed at ${at}`);
      writeFileSync(p, bytes);
      await check(`restored after ${at}`);
    }
    writeFileSync(p, bytes.subarray(0, 2 * 1024 * 1024 + 13));
    await check("truncated");
    const tmp = `${p}.new`;
    writeFileSync(tmp, Buffer.concat([bytes.subarray(0, 1024 * 1024), Buffer.from("{\"type\":\"custom\"}\n")]));
    renameSync(tmp, p);
    await check("replaced by a rename");
  });

  it("readSessionFileDigest over random sequences of appends (torn lines, across the 64 KiB and 1 MiB chunks), same-size changes in place with the times put back, truncations and replacements: the release's answer after every step", { timeout: 600_000 }, async (ctx) => {
    // The worker continues a digest from the bytes it kept (DigestMemo); these sequences change the file
    // in every way that memo must notice, at random places and sizes. CTXC_WIDE_SEEDS runs other seeds.
    if (!hasDigest(version)) return ctx.skip(`${version} has no readSessionFileDigest (checked above)`);
    const x = await importIntercepted(root!, "readSessionFileDigest");
    if (typeof x === "string") throw new Error(x);
    const source = Buffer.from(generatedTranscript({ seed: 26, targetBytes: 3 * 1024 * 1024, branchProbability: 0.1, compactions: 1, unicode: "heavy" }).text);
    const kinds = new Map<string, number>();
    for (const seed of wideSeeds() ?? seedRange(1, 3)) {
      const rand = rng(seed);
      const int = (max: number) => Math.floor(rand() * max);
      const slice = (length: number) => {
        const from = int(Math.max(1, source.length - length));
        return source.subarray(from, from + length);
      };
      const size = () => [0, 1, int(200), 65_536 + int(3) - 1, int(70_000), 1_048_576 + int(3) - 1, int(2_500_000)][int(7)]!;
      const p = file(slice(size()));
      for (let step = 0; step < 14; step++) {
        const at = `seed ${seed} step ${step}`;
        const length = statSync(p).size;
        const r = rand();
        let kind: string;
        if (r < 0.4) {
          kind = "append";
          appendFileSync(p, slice(1 + int([100, 70_000, 1_200_000][int(3)]!)));
        } else if (r < 0.65 && length > 0) {
          kind = "same size, in place, times put back";
          const before = statSync(p);
          const bytes = readFileSync(p);
          const fd = openSync(p, "r+");
          try {
            for (let k = 1 + int(3); k > 0; k--) {
              const pos = [int(length), Math.min(length - 1, 65_535 + int(3)), Math.min(length - 1, 1_048_575 + int(3)), length - 1][int(4)]!;
              writeSync(fd, Buffer.from([bytes[pos] === 0x41 ? 0x42 : 0x41]), 0, 1, pos);
            }
          } finally {
            closeSync(fd);
          }
          utimesSync(p, before.atime, before.mtime);
        } else if (r < 0.8) {
          kind = "truncated";
          truncateSync(p, int(length + 1));
        } else if (r < 0.92) {
          kind = "replaced by a rename";
          writeFileSync(`${p}.new`, slice(size()));
          renameSync(`${p}.new`, p);
        } else {
          kind = "unchanged";
        }
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        const theirs = (await x.openclaw(p)) as string | undefined;
        expect(theirs, `${at}: the release's digest`).toMatch(/^[0-9a-f]{64}$/);
        expect(await x.ctxc(p), `${at}: ${kind}`).toBe(theirs);
      }
    }
    // Every kind of change was made (the draws cover them over the seeds).
    expect([...kinds.keys()].sort()).toEqual(["append", "replaced by a rename", "same size, in place, times put back", "truncated", "unchanged"]);
  });
});
