/**
 * Smoke run of bench/real-gateway against the real OpenClaw gateway, per release set up here
 * (2026.5.12 by bench/real-gateway/setup.sh, others by `setup.sh --openclaw VERSION`): one agent, a
 * 200 KB transcript, one Telegram message → one reply over the loopback fakes. CI installs no gateway
 * setup, so there every case is skipped and says why.
 *
 * With ctxc preloaded: for a release the preload plans hooks for (`planPreload(root)` returns a plan) the
 * log must say `ctxc-openclaw active: openclaw <version>` and end with a summary that served the session
 * without a fallback — and, the gateway stopped and started again on the same state (`--restart`), the
 * restarted gateway must answer with the session's first read continued from the persistent index, no
 * OpenClaw repair left to do, and every entry of the first run still in place; for any other release the
 * preload must say why it stays off and the gateway must still answer, stock.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_OPENCLAW, gatewayInstall, storesTranscriptsInSqlite } from "../../bench/real-gateway/install-paths.js";
import { restartChecks } from "../../bench/real-gateway/restart-checks.js";
import { CTXC_REGISTER, REPO, runBench } from "../../bench/real-gateway/run.js";

process.env.CTXC_OPENCLAW_PRELOAD = "off"; // only the planning helper; no hooks in the test process
const { planPreload } = await import("../../src/openclaw/register.js");

const releasesDir = join(REPO, "bench", "real-gateway", "setup", "releases");
const releases = [...new Set([DEFAULT_OPENCLAW, "2026.7.35", ...(existsSync(releasesDir) ? readdirSync(releasesDir) : [])])];

for (const version of releases) {
  const gw = gatewayInstall(REPO, version);
  const setupCmd = version === DEFAULT_OPENCLAW ? "bench/real-gateway/setup.sh" : `bench/real-gateway/setup.sh --openclaw ${version}`;
  describe(`real gateway smoke (OpenClaw ${version} on Node ${gw.nodeVersion ?? "?"})`, () => {
    if (!gw.installed) {
      it.skip(`needs ${setupCmd}; not set up here, e.g. in CI`, () => {});
      return;
    }
    it("answers one Telegram message through the real gateway and logs its prep stages", async () => {
      const logs: string[] = [];
      const r = await runBench({ openclaw: version, smoke: true, modes: ["stock"], durationS: 0, thinkMs: 200, keepDirs: false, log: (s) => logs.push(s) });
      expect(r.modes).toHaveLength(1);
      const m = r.modes[0]!;
      expect(m.error, logs.join("\n")).toBeUndefined();
      expect(m.ok).toBe(true);
      expect(m.repliesReceived).toBe(1);
      // The fake model saw the seeded transcript as context (far more than the one new user message).
      expect(m.modelRequests.n).toBeGreaterThanOrEqual(1);
      expect(m.modelRequests.messagesP50).toBeGreaterThan(2);
      // OpenClaw's own per-run diagnostics were parsed from its log (2026.9.x adds pid/thread fields to the lines).
      expect(Object.keys(m.prepStages)).toEqual(expect.arrayContaining(["bootstrap-context", "session-resource-loader", "agent-session", "(total)"]));
      expect(Object.keys(m.startupStages)).toContain("attempt-dispatch");
      // 2026.8+ keeps transcripts in SQLite (seeded by doctor --fix, docs/sqlite-store.md): no JSONL to
      // check; the seeding is recorded, the reply and the fakes are checked.
      if (storesTranscriptsInSqlite(version)) {
        expect(m.sqlite?.doctorFixMs).toBeGreaterThan(0);
        expect(m.telegramUnexpected).toEqual({});
        return;
      }
      // The run appended the new turn, every new entry linked to an existing one.
      expect(m.appendedEntries.main).toEqual(expect.arrayContaining(["message:user", "message:assistant"]));
      expect(m.appendedLinks.main!.dangling).toBe(0);
      // 2026.5.12 appends and leaves the seeded bytes alone; later releases rewrite the whole file after a
      // turn (2026.7.35 with its own cwd in the header), keeping every seeded entry as it was.
      if (version === DEFAULT_OPENCLAW) expect(m.seedPrefixIntact.main).toBe(true);
      expect(m.seedEntriesIntact.main).toBe(true);
      // Every Telegram call the gateway made is one the fake models.
      expect(m.telegramUnexpected).toEqual({});
      expect(m.telegramCalls.getUpdates).toBeGreaterThanOrEqual(1);
    });

    const plan = planPreload(gw.root);
    const supported = typeof plan === "object";
    it.skipIf(!existsSync(CTXC_REGISTER))(
      supported ? "answers through the ctxc preload: session served by ctxc, no fallback; restarted, reads on from the persistent index" : "answers stock with the preload loaded, which says why it stays off",
      { timeout: 300_000 },
      async () => {
        const logs: string[] = [];
        const r = await runBench({ openclaw: version, smoke: true, modes: ["ctxc"], durationS: 0, thinkMs: 200, keepDirs: false, restart: supported, log: (s) => logs.push(s) });
        const m = r.modes[0]!;
        expect(m.error, logs.join("\n")).toBeUndefined();
        expect(m.repliesReceived).toBe(1);
        expect(m.modelRequests.messagesP50).toBeGreaterThan(2);
        if (!storesTranscriptsInSqlite(version)) {
          expect(m.appendedEntries.main).toEqual(expect.arrayContaining(["message:user", "message:assistant"]));
          expect(m.appendedLinks.main!.dangling).toBe(0);
          expect(m.seedEntriesIntact.main).toBe(true);
        }
        expect(m.telegramUnexpected).toEqual({});
        if (!supported) {
          // The reason the planner gives, once per process that loads the preload: 2026.9.6's gateway
          // also starts child processes with its own execArgv (the `--import` included), and each says so.
          const inactive = m.ctxcLog.filter((l) => l.includes(" inactive: "));
          expect(inactive.length).toBeGreaterThanOrEqual(1);
          for (const line of inactive) expect(line).toContain(plan);
          return;
        }
        expect(m.ctxcLog.some((l) => l.includes(`ctxc-openclaw active: openclaw ${version}`)), m.ctxcLog.join("\n")).toBe(true);
        expect(m.ctxcLog.filter((l) => l.includes(" fallback: ") || l.includes(" inactive: "))).toEqual([]);
        const summary = m.ctxcLog.find((l) => l.includes(" summary: "));
        expect(summary).toMatch(/sessionsServed=[1-9]/);
        expect(summary).toMatch(/fallbacks=0\b/);
        if (version === DEFAULT_OPENCLAW) {
          // 2026.5.12 also has the leaf scan and the bootstrap files served, and its seeded bytes stay intact.
          expect(summary).toMatch(/leafInfoServed=[1-9]/);
          expect(summary).toMatch(/bootstrapServed=[1-9]/);
          expect(m.seedPrefixIntact.main).toBe(true);
        }
        // The restart: every check of restart-checks.ts, named when one fails.
        const again = m.restart!;
        expect(again.repliesReceived, logs.join("\n")).toBe(1);
        expect(restartChecks(m).filter((c) => !c.ok)).toEqual([]);
        expect(again.ctxcSummary!.indexRestored).toBeGreaterThanOrEqual(1);
        expect(again.ctxcSummary!.indexRestoredBytes).toBeGreaterThan(0);
        expect(again.appendedEntries.main).toEqual(expect.arrayContaining(["message:user", "message:assistant"]));
        expect(again.ctxcLog.some((l) => l.includes(`ctxc-openclaw active: openclaw ${version}`))).toBe(true);
      },
    );
  });
}
