/**
 * Differential test of the turn's worker reads started at the session-resource-loader stage's first call
 * (2026.5.27+ `acquireEmbeddedAttemptSessionFileOwner`, src/openclaw/repair-pass.ts `earlyChecks`, issue #11)
 * for ONE OpenClaw release (`CTXC_OPENCLAW_ROOT`, with the Node it needs; scripts/matrix.sh): the owner call
 * as served, then — with the file changed behind ctxc's back in between, as another writer could before the
 * write lock is held — the release's own `repairSessionFileIfNeeded` as served on one copy and untouched on
 * the other. Same result (repaired, dropped lines, backup, validated snapshot of the file as it is), same
 * bytes after; the early check is used exactly when the file did not change (`repairsEarly`), and a changed
 * file is checked again rather than left to stock (`repairsSkipped`). The owner call's own answer is the
 * release's (its release() frees the file for the next owner). Releases without the function skip.
 *
 * And the same reads asked at the previous turn's end (src/openclaw/turn-end-prefetch.ts: the session's lock file
 * closed and left so): the owner call then asks the worker nothing, and the pass's answer and bytes are the
 * release's whether the file changed after those reads or not — the check used exactly when it did not, asked
 * again when it did.
 */
import { appendFileSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { generatedTranscript } from "../support/generated.js";
import { setTimeout as sleep } from "node:timers/promises";
import { importInterceptedAll, poolSettled, releaseTestSetup, type Intercepted } from "../support/openclaw-release.js";

// The turn-end reads are opt-in: on for the runtime the served chunks import (read when it loads, after this line).
process.env.CTXC_OPENCLAW_TURN_END_READS = "on";
const { root, version, pair } = releaseTestSetup("matrix-early-turn-reads", { afterAll });
const quiet = { debug: () => {}, warn: () => {} };
type Result = { repaired?: boolean; droppedLines?: number; backupPath?: string; validatedSnapshot?: { size: bigint; ino: bigint; mtimeNs: bigint } };

/** The pass's answer, with the snapshot compared to the file it describes (each copy has its own inode and times). */
function view(r: Result, path: string): Record<string, unknown> {
  let current: unknown = "(no snapshot)";
  if (r.validatedSnapshot) {
    const st = statSync(path, { bigint: true });
    current = st.size === r.validatedSnapshot.size && st.ino === r.validatedSnapshot.ino && st.mtimeNs === r.validatedSnapshot.mtimeNs ? "the file as it is" : "another file state";
  }
  return { repaired: r.repaired, droppedLines: r.droppedLines, backup: r.backupPath === undefined ? undefined : "(backup)", snapshot: current };
}

const line = (o: Record<string, unknown>) => JSON.stringify(o) + "\n";

/**
 * Two copies of `text` as on a later turn: the release's own pass applied once to both (and a pass served, so ctxc
 * knows this release's rules), then — as the bench and a gateway turn whose repair cache lost the file — the file
 * out of the release's repair cache, so the check runs (stock: a full pass).
 */
async function laterTurn(repair: Intercepted, text: string): Promise<[string, string]> {
  const [a, b] = pair(text);
  await repair.openclaw({ sessionFile: a, ...quiet });
  await repair.openclaw({ sessionFile: b, ...quiet });
  await repair.ctxc({ sessionFile: a, ...quiet });
  const cache = repair.helpers.sessionRepairCache as Map<string, unknown> | undefined;
  cache?.delete(a);
  cache?.delete(b);
  return [a, b];
}

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the turn's reads started at the stage's first call`, () => {
  it("the repair pass after the owner call: the release's answer and bytes whatever changed in between; the early check used exactly when nothing did", async (ctx) => {
    const both = await importInterceptedAll(root!, "acquireEmbeddedAttemptSessionFileOwner", "repairSessionFileIfNeeded");
    if (typeof both === "string") return ctx.skip(both);
    const [owner, repair] = both as [Intercepted, Intercepted];
    const counters = repair.runtime.counters;
    expect(owner.runtime.counters).toBe(counters);
    // The pool of the runtime instance the served chunks use, to let the early reads finish first.
    const pool = repair.runtime;
    const text = generatedTranscript({ seed: 41, targetBytes: 1024 * 1024, branchProbability: 0.1, compactions: 1, unicode: "mixed" }).text;

    type Case = { name: string; change: (p: string) => void; early: boolean };
    const cases: Case[] = [
      { name: "unchanged", change: () => {}, early: true },
      { name: "a clean entry appended", change: (p) => appendFileSync(p, line({ type: "custom", id: "ap1", parentId: null, timestamp: "2026-01-05T08:00:00.000Z", customType: "x" })), early: false },
      { name: "a malformed line appended", change: (p) => appendFileSync(p, "{\"type\":\"message\",\"id\":\n"), early: false },
      { name: "torn mid-line", change: (p) => writeFileSync(p, readFileSync(p).subarray(0, Math.floor(statSync(p).size / 2))), early: false },
      {
        name: "same size rewritten in place, mtime put back",
        change: (p) => {
          const st = statSync(p);
          const b = readFileSync(p);
          const at = b.lastIndexOf("\"id\":\"") + 6;
          b[at] = b[at] === 0x61 ? 0x62 : 0x61;
          writeFileSync(p, b);
          utimesSync(p, st.atime, st.mtime);
        },
        early: false,
      },
      {
        name: "replaced by a rename of a same-size file with the same times",
        change: (p) => {
          const st = statSync(p);
          writeFileSync(`${p}.new`, readFileSync(p));
          utimesSync(`${p}.new`, st.atime, st.mtime);
          renameSync(`${p}.new`, p);
        },
        early: false,
      },
      { name: "deleted", change: (p) => rmSync(p), early: false },
    ];
    for (const c of cases) {
      const [a, b] = await laterTurn(repair, text);
      const [early, skipped] = [counters.repairsEarly, counters.repairsSkipped];
      const held = (await owner.ctxc({ sessionFile: a, timeoutMs: 10_000 })) as { release: () => void; sessionFileKey: string };
      expect(held.sessionFileKey, c.name).toBeTypeOf("string");
      // The change comes after the worker's early read (one queued behind it would read the changed file).
      await poolSettled(pool, c.name);
      c.change(a);
      c.change(b);
      const ours = (await repair.ctxc({ sessionFile: a, ...quiet })) as Result;
      const theirs = (await repair.openclaw({ sessionFile: b, ...quiet })) as Result;
      held.release();
      const exists = c.name !== "deleted";
      expect(view(ours, a), c.name).toEqual(view(theirs, b));
      // Buffer.equals, not toEqual: vitest's toEqual walks a Buffer key by key (13 of 21 s CPU for 1 MiB here).
      if (exists) expect(readFileSync(a).equals(readFileSync(b)), `${c.name}: file bytes`).toBe(true);
      expect(counters.repairsEarly - early, c.name).toBe(c.early ? 1 : 0);
      // A file changed only in ways the pass leaves alone is served all the same (checked again, not left to stock).
      if (c.name === "unchanged" || c.name === "a clean entry appended" || c.name.startsWith("replaced") || c.name.startsWith("same size")) {
        expect(counters.repairsSkipped - skipped, c.name).toBe(1);
        expect(ours.repaired, c.name).toBe(false);
      }
      if (c.name === "a malformed line appended") expect(ours.repaired, c.name).toBe(true);
    }
  });

  it("reads asked at the previous turn's end: the owner call asks nothing more; the release's answer and bytes whether the file changed since or not", async (ctx) => {
    const both = await importInterceptedAll(root!, "acquireEmbeddedAttemptSessionFileOwner", "repairSessionFileIfNeeded");
    if (typeof both === "string") return ctx.skip(both);
    const [owner, repair] = both as [Intercepted, Intercepted];
    const counters = repair.runtime.counters;
    const runtime = repair.runtime as typeof repair.runtime & { lockFileOpened: (p: string) => void; lockFileClosed: (p: string) => void; forgetTurnEnds: () => void };
    const text = generatedTranscript({ seed: 43, targetBytes: 512 * 1024, branchProbability: 0.1, compactions: 1, unicode: "mixed" }).text;
    // `asks`: worker requests from the owner call to the pass's end — none for a file unchanged since the turn's
    // end; a check again for a changed one; and for a file the release then repairs, the read of what it wrote.
    const cases: { name: string; change: (p: string) => void; early: boolean; asks: number }[] = [
      { name: "unchanged", change: () => {}, early: true, asks: 0 },
      { name: "a clean entry appended", change: (p) => appendFileSync(p, line({ type: "custom", id: "te1", parentId: null, timestamp: "2026-01-05T08:00:00.000Z", customType: "x" })), early: false, asks: 1 },
      { name: "a malformed line appended", change: (p) => appendFileSync(p, "{\"type\":\"message\",\"id\":\n"), early: false, asks: 2 },
    ];
    for (const c of cases) {
      const [a, b] = await laterTurn(repair, text);
      // The turn's end: its lock file opened and closed, then nothing for a moment — the next turn's reads are asked.
      // (Turn ends still pending from the cases before — their owners' releases — are dropped first.)
      runtime.forgetTurnEnds();
      await poolSettled(runtime, c.name);
      const asked = counters.turnEndPrefetches;
      runtime.lockFileOpened(`${a}.lock`);
      runtime.lockFileClosed(`${a}.lock`);
      while (counters.turnEndPrefetches === asked) await sleep(10);
      await poolSettled(runtime, c.name);
      c.change(a);
      c.change(b);
      const [early, tickets] = [counters.repairsEarly, runtime.openClawPoolTicket()];
      const held = (await owner.ctxc({ sessionFile: a, timeoutMs: 10_000 })) as { release: () => void };
      expect(runtime.openClawPoolTicket() - tickets, `${c.name}: asked at the owner call`).toBe(0);
      const ours = (await repair.ctxc({ sessionFile: a, ...quiet })) as Result;
      const theirs = (await repair.openclaw({ sessionFile: b, ...quiet })) as Result;
      expect(view(ours, a), c.name).toEqual(view(theirs, b));
      expect(readFileSync(a).equals(readFileSync(b)), `${c.name}: file bytes`).toBe(true);
      expect(counters.repairsEarly - early, c.name).toBe(c.early ? 1 : 0);
      // Changed since the turn's end: checked again by the pass, not judged on the old read.
      expect(runtime.openClawPoolTicket() - tickets, c.name).toBe(c.asks);
      // The run's end (its owner released, no lock file open): the next turn's reads are asked again.
      const ended = counters.turnEndPrefetches;
      held.release();
      while (counters.turnEndPrefetches === ended) await sleep(10);
      await poolSettled(runtime, c.name);
      if (c.name === "a malformed line appended") expect(ours.repaired, c.name).toBe(true);
      else expect(ours.repaired, c.name).toBe(false);
    }
  });
});
