/**
 * Runs the shipped gateway example (examples/gateway, built to dist/) briefly and checks that every
 * agent dispatched a context per inbound message, built from the shipped transcript and workspace.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HANG_MS } from "../support/hang-guard.js";

const root = join(import.meta.dirname, "..", "..");
const shippedLines = readFileSync(join(root, "examples/transcripts/session.jsonl"), "utf8").trimEnd().split("\n").length;

describe("examples/gateway", () => {
  it("dispatches a context for every agent and turn, and leaves the shipped data alone", () => {
    const before = readFileSync(join(root, "examples/transcripts/session.jsonl"));
    const out = execFileSync(process.execPath, ["dist/examples/gateway/gateway.js", "--agents", "4", "--turns", "3", "--json"], {
      cwd: root,
      encoding: "utf8",
      timeout: HANG_MS,
    });
    const events = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const dispatches = events.filter((e) => e.event === "dispatch");
    expect(dispatches).toHaveLength(12);
    for (let a = 0; a < 4; a++) {
      const mine = dispatches.filter((d) => d.agent === `agent-${a}`);
      expect(mine.map((d) => d.turn)).toEqual([1, 2, 3]);
      // each turn sees the previous turn's two appended entries: +2 messages per turn, last one the new user message
      const counts = mine.map((d) => d.messages as number);
      expect(counts[1]! - counts[0]!).toBe(2);
      expect(counts[2]! - counts[1]!).toBe(2);
      for (const d of mine) {
        expect(d.lastRole).toBe("user");
        expect(d.bootstrapFiles).toEqual(expect.arrayContaining(["AGENTS.md", "SOUL.md", "TOOLS.md", "USER.md"]));
      }
    }
    expect(dispatches[0]!.messages as number).toBeLessThan(shippedLines);
    expect(events.at(-1)).toEqual({ event: "done", dispatched: { "agent-0": 3, "agent-1": 3, "agent-2": 3, "agent-3": 3 } });
    expect(readFileSync(join(root, "examples/transcripts/session.jsonl")).equals(before)).toBe(true);
  });
});
