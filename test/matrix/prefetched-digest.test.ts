/**
 * Differential test of the fence digest asked for beside the repair check (src/openclaw/prefetched-digest.ts,
 * issue #11) for ONE OpenClaw release (`CTXC_OPENCLAW_ROOT`, with the Node it needs; scripts/matrix.sh):
 * the release's own `repairSessionFileIfNeeded` and `readSessionFileDigest` as the preload serves them, in
 * the order of 2026.7.35's stage (the check, then the fence's digest), with the file changed behind ctxc's
 * back in between — appended to, rewritten in place to the same size with its mtime put back, truncated,
 * replaced by a rename of a same-size file with the same times, deleted, made a directory, repaired by the
 * release's own pass (a damaged line), changed just before the check — and growing turn after turn. Every
 * digest must be the release's own of the file as it is at the call; the prefetched one is to be used
 * exactly when the file did not change (counted: `digestsPrefetched`), so a prefetch that is never used,
 * or used for a changed file, fails. Releases without the fence (before 2026.6.6) skip.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { generatedTranscript } from "../support/generated.js";
import { importInterceptedAll, releaseTestSetup, type Intercepted } from "../support/openclaw-release.js";

const { root, version, dir } = releaseTestSetup("matrix-prefetched-digest", { afterAll });

/** 2026.6.6+ JSONL releases have the fence (test/matrix/session-digest.test.ts says the same). */
const hasDigest = (v: string): boolean => {
  const [, minor, patch] = v.split(/[.-]/).map(Number) as [number, number, number];
  return !(minor >= 8 || /^2026\.7\.2-beta\./.test(v)) && (minor > 6 || (minor === 6 && patch >= 6));
};
/** Longer than prefetched-digest.ts's margin for fine timestamps: a file last changed this long ago is "settled". */
const SETTLE_MS = 250;
const quiet = { debug: () => {}, warn: () => {} };

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the fence digest asked beside the repair check`, () => {
  it("each digest is the release's own of the file at the call; the prefetched one is used exactly when the file did not change", async (ctx) => {
    if (!hasDigest(version)) return ctx.skip(`${version} has no readSessionFileDigest`);
    const both = await importInterceptedAll(root!, "repairSessionFileIfNeeded", "readSessionFileDigest");
    if (typeof both === "string") throw new Error(both);
    const [repair, digest] = both as [Intercepted, Intercepted];
    const counters = digest.runtime.counters;
    expect(repair.runtime.counters).toBe(counters); // one preload runtime serves both, as in the gateway
    const text = generatedTranscript({ seed: 31, targetBytes: 2 * 1024 * 1024, branchProbability: 0.1, compactions: 1, includeAllEntryTypes: true, unicode: "mixed" }).text;
    const lines = text.trimEnd().split("\n");
    const damaged = [...lines.slice(0, 40), "{\"type\":\"message\",\"id\":\"torn", ...lines.slice(40)].join("\n") + "\n";

    type Case = { name: string; text?: string; change: (p: string) => void; used: boolean };
    const cases: Case[] = [
      { name: "unchanged", change: () => {}, used: true },
      { name: "appended to", change: (p) => appendFileSync(p, JSON.stringify({ type: "custom", id: "ap1", parentId: null, customType: "grow ✓" }) + "\n"), used: false },
      {
        name: "same size rewritten in place, mtime put back",
        change: (p) => {
          const st = statSync(p);
          const b = readFileSync(p);
          b[b.length - 3] = b[b.length - 3] === 0x41 ? 0x42 : 0x41;
          writeFileSync(p, b);
          utimesSync(p, st.atime, st.mtime);
          expect(statSync(p).size).toBe(st.size);
        },
        used: false,
      },
      { name: "truncated", change: (p) => writeFileSync(p, readFileSync(p).subarray(0, 1024 * 1024 + 5)), used: false },
      {
        name: "replaced by a rename of a same-size file with the same times",
        change: (p) => {
          const st = statSync(p);
          const b = readFileSync(p);
          b[7] = b[7] === 0x41 ? 0x42 : 0x41;
          writeFileSync(`${p}.new`, b);
          utimesSync(`${p}.new`, st.atime, st.mtime);
          renameSync(`${p}.new`, p);
        },
        used: false,
      },
      { name: "deleted", change: (p) => rmSync(p), used: false },
      { name: "made a directory", change: (p) => (rmSync(p), mkdirSync(p)), used: false },
      { name: "damaged: the release's own pass rewrites it", text: damaged, change: () => {}, used: false },
    ];
    const paths = cases.map((c, i) => {
      const p = join(dir, `c${i}.jsonl`);
      writeFileSync(p, c.text ?? text);
      return p;
    });
    // As a later turn finds it: the release's own pass applied once (the generator writes what it repairs).
    for (const [i, c] of cases.entries()) if (!c.text) await repair.openclaw({ sessionFile: paths[i], ...quiet });
    // The fence digested each before (a later turn's file), then the files settle.
    for (const p of paths) await digest.ctxc(p);
    await sleep(SETTLE_MS);
    let prefetchedUsed = 0;
    for (const [i, c] of cases.entries()) {
      const p = paths[i]!;
      const before = counters.digestsPrefetched;
      await repair.ctxc({ sessionFile: p, ...quiet });
      c.change(p);
      const ours = await digest.ctxc(p);
      expect(ours, c.name).toBe(await digest.openclaw(p));
      if (c.name === "deleted" || c.name === "made a directory") expect(ours, c.name).toBeUndefined();
      else expect(ours, c.name).toMatch(/^[0-9a-f]{64}$/);
      expect(counters.digestsPrefetched - before, c.name).toBe(c.used ? 1 : 0);
      prefetchedUsed += counters.digestsPrefetched - before;
    }
    expect(prefetchedUsed).toBe(1);

    // Changed just before the check (within the margin): no prefetch is used — the stat could not prove the
    // file unchanged since — and the answer is still the release's.
    const fresh = paths[0]!;
    appendFileSync(fresh, JSON.stringify({ type: "custom", id: "fresh", parentId: null, customType: "x" }) + "\n");
    const beforeFresh = counters.digestsPrefetched;
    await repair.ctxc({ sessionFile: fresh, ...quiet });
    expect(await digest.ctxc(fresh)).toBe(await digest.openclaw(fresh));
    expect(counters.digestsPrefetched).toBe(beforeFresh);
  });

  it("a file growing turn after turn: every later turn's digest is prefetched and is the release's own", async (ctx) => {
    if (!hasDigest(version)) return ctx.skip(`${version} has no readSessionFileDigest`);
    const both = await importInterceptedAll(root!, "repairSessionFileIfNeeded", "readSessionFileDigest");
    if (typeof both === "string") throw new Error(both);
    const [repair, digest] = both as [Intercepted, Intercepted];
    const counters = digest.runtime.counters;
    const p = join(dir, "growing.jsonl");
    writeFileSync(p, generatedTranscript({ seed: 32, targetBytes: 3 * 1024 * 1024, unicode: "mixed" }).text);
    await repair.openclaw({ sessionFile: p, ...quiet });
    await digest.ctxc(p);
    const seen = new Set<string>();
    const before = counters.digestsPrefetched;
    for (let turn = 0; turn < 3; turn++) {
      appendFileSync(p, JSON.stringify({ type: "custom", id: `g${turn}`, parentId: null, customType: "turn ✓" }) + "\n");
      await sleep(SETTLE_MS);
      await repair.ctxc({ sessionFile: p, ...quiet });
      const ours = (await digest.ctxc(p)) as string;
      expect(ours, `turn ${turn}`).toBe(await digest.openclaw(p));
      seen.add(ours);
    }
    expect(seen.size).toBe(3);
    expect(counters.digestsPrefetched - before).toBe(3);
  });
});
