/**
 * Differential test of the session lock's fingerprint stat (OpenClaw 2026.5.27+ `readSessionFileFingerprint`,
 * answered by its synchronous twin: src/openclaw/file-fingerprint.ts) for ONE OpenClaw release
 * (`CTXC_OPENCLAW_ROOT`, with the Node it needs; scripts/matrix.sh), against the release's own function in the
 * same rewritten chunk: the same fingerprint (bigint dev, ino, size, mtimeNs, ctimeNs) for a file, an empty
 * file, a directory, a symlink, a file changed between calls; `{exists: false}` for a missing path and a
 * dangling symlink; the same rejection (code) for a path through a file, a NUL byte and a non-path argument.
 * Releases without the function skip.
 */
import { appendFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importIntercepted, outcome, releaseTestSetup } from "../support/openclaw-release.js";

const { root, version, dir } = releaseTestSetup("matrix-fingerprint", { afterAll });

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the session lock's fingerprint stat vs the release's own`, () => {
  it("readSessionFileFingerprint: the same fingerprint, {exists: false} or rejection as the release's", async (ctx) => {
    const x = await importIntercepted(root!, "readSessionFileFingerprint");
    if (typeof x === "string") return ctx.skip(x);
    const counters = x.runtime.counters;
    const file = join(dir, "s.jsonl");
    writeFileSync(file, '{"type":"session","version":3,"id":"s"}\n');
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "");
    const sub = join(dir, "a-dir");
    mkdirSync(sub);
    const link = join(dir, "link.jsonl");
    symlinkSync(file, link);
    const dangling = join(dir, "dangling.jsonl");
    symlinkSync(join(dir, "nowhere"), dangling);
    const cases: [string, unknown][] = [
      ["file", file],
      ["empty file", empty],
      ["directory", sub],
      ["symlink", link],
      ["missing", join(dir, "missing.jsonl")],
      ["dangling symlink", dangling],
      ["through a file", join(file, "below")],
      ["NUL byte", `${file}\0x`],
      ["not a path", 42],
    ];
    const before = counters.fingerprintsServed;
    for (const [name, p] of cases) {
      const theirs = await outcome(() => x.openclaw(p));
      expect(await outcome(() => x.ctxc(p)), name).toEqual(theirs);
    }
    // Real answers on both sides (two equal rejections alone would prove nothing).
    expect(await x.openclaw(file)).toMatchObject({ exists: true, size: BigInt(40) });
    expect(await x.openclaw(join(dir, "missing.jsonl"))).toEqual({ exists: false });
    expect(await outcome(() => x.openclaw(join(file, "below")))).toEqual({ rejects: "ENOTDIR" });
    // The file changed between calls: each answer is the file at its call.
    for (let i = 0; i < 3; i++) {
      appendFileSync(file, `{"type":"custom","id":"c${i}"}\n`);
      const ours = (await x.ctxc(file)) as { size: bigint };
      expect(ours, `after append ${i}`).toEqual(await x.openclaw(file));
      expect(ours.size).toBeGreaterThan(40n);
    }
    expect(counters.fingerprintsServed - before).toBe(cases.length + 3);
  });
});
