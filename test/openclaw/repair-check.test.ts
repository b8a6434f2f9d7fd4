/**
 * The preload skips OpenClaw's repair pass only when ctxc's worker says the pass would change nothing.
 * This compares that verdict with OpenClaw 2026.5.12's real `repairSessionFileIfNeeded`, run on copies:
 * a "clean" verdict must never meet a file the real pass repairs, and ordinary transcripts must be clean
 * (otherwise the optimisation never applies).
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { decodeSession } from "../../src/openclaw/session.js";
import { OPENCLAW_REFERENCE_DIR, parseChunkExports } from "../reference/openclaw-reference.js";
import { tempDir } from "../support/tmp.js";

type Repair = (params: { sessionFile: string; warn?: (m: string) => void; debug?: (m: string) => void }) => Promise<{ repaired: boolean }>;
let realRepair: Repair;
const dir = tempDir("repair-check");

beforeAll(async () => {
  const dist = join(OPENCLAW_REFERENCE_DIR, "dist");
  const chunk = readdirSync(dist).find((f) => /^compaction-successor-transcript-[\w-]{8}\.js$/.test(f));
  if (!chunk) throw new Error(`OpenClaw's repair chunk not found in ${dist} (run test/reference/install-reference.sh)`);
  const alias = parseChunkExports(readFileSync(join(dist, chunk), "utf8")).repairSessionFileIfNeeded; // local name → exported alias
  if (!alias) throw new Error("repairSessionFileIfNeeded is not exported by the chunk");
  const mod = (await import(pathToFileURL(join(dist, chunk)).href)) as Record<string, Repair>;
  realRepair = mod[alias]!;
});

const HEADER = '{"type":"session","version":3,"id":"0199c1d2-aaaa-7bbb-8ccc-000000000001","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w"}';
let seq = 0;
function msg(message: Record<string, unknown>): string {
  seq++;
  return JSON.stringify({ type: "message", id: `m${seq}`, parentId: seq > 1 ? `m${seq - 1}` : null, timestamp: "2026-01-01T00:00:00.000Z", message });
}
const codexCall = (callId: string) =>
  msg({ role: "assistant", api: "openai-codex-responses", provider: "openai-codex", model: "gpt-5-codex", stopReason: "toolUse", content: [{ type: "toolCall", id: callId, name: "bash", arguments: {} }], timestamp: 1 });

type Expect = "clean" | "repaired" | "openclaw decides";

/** Named variants: [name, file text, what the real pass does with it]. */
function variants(): [string, string, Expect][] {
  const base = generateTranscript({ seed: 80, entries: 80, unicode: "mixed" }).text;
  const ok = (m: Record<string, unknown>) => `${HEADER}\n${msg({ role: "user", content: "hi", timestamp: 1 })}\n${msg(m)}\n`;
  return [
    ["generated transcript", base, "clean"],
    ["generated transcript, heavy unicode", generateTranscript({ seed: 78, entries: 120, compactions: 2, unicode: "heavy" }).text, "clean"],
    ["generated transcript, v2 header", generateTranscript({ seed: 79, entries: 60, headerVersion: 2 }).text, "clean"],
    // includeAllEntryTypes writes an errored assistant turn with empty content, which OpenClaw rewrites.
    ["generated transcript, every entry type", generateTranscript({ seed: 77, entries: 80, includeAllEntryTypes: true }).text, "repaired"],
    ["malformed line", base.replace(/\n/, '\n{"type":"message",\n'), "repaired"],
    ["torn last line (invalid JSON)", base + '{"type":"message","id":"x', "repaired"],
    ["last line complete but without newline", base.slice(0, -1), "clean"],
    ["blank line and CRLF", base.replace(/\n/, "\n   \n").replace(/\n/g, "\r\n"), "clean"],
    ["non-object JSON line", base.replace(/\n/, "\n42\n"), "clean"],
    ["byte-order mark", `\uFEFF${base}`, "openclaw decides"],
    ["empty file", "", "openclaw decides"],
    ["no header", base.slice(base.indexOf("\n") + 1), "openclaw decides"],
    ["message without role", ok({ content: "x", timestamp: 1 }), "repaired"],
    ["message with blank role", ok({ role: "  ", content: "x", timestamp: 1 }), "repaired"],
    ["message entry without message", `${HEADER}\n${JSON.stringify({ type: "message", id: "q1", parentId: null, timestamp: "2026-01-01T00:00:00.000Z" })}\n`, "repaired"],
    ["errored assistant with empty content", ok({ role: "assistant", content: [], stopReason: "error", timestamp: 1 }), "repaired"],
    ["assistant with empty content, not errored", ok({ role: "assistant", content: [], stopReason: "stop", timestamp: 1 }), "clean"],
    ["blank user string", ok({ role: "user", content: " \n ", timestamp: 1 }), "repaired"],
    ["user text block blank", ok({ role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "  " }], timestamp: 1 }), "repaired"],
    ["user text block non-string", ok({ role: "user", content: [{ type: "text", text: 5 }], timestamp: 1 }), "clean"],
    ["user content an empty array", ok({ role: "user", content: [], timestamp: 1 }), "repaired"],
    ["codex tool call without result", `${HEADER}\n${codexCall("call_1")}\n`, "repaired"],
    ["codex tool call with result", `${HEADER}\n${codexCall("call_2")}\n${msg({ role: "toolResult", toolCallId: "call_2", toolName: "bash", content: [], isError: false, timestamp: 1 })}\n`, "clean"],
    ["codex tool call with toolUseId result", `${HEADER}\n${codexCall("call_3")}\n${msg({ role: "toolResult", toolUseId: "call_3", content: [], timestamp: 1 })}\n`, "clean"],
    ["non-codex tool call without result", ok({ role: "assistant", api: "openai-responses", provider: "openai", stopReason: "toolUse", content: [{ type: "toolCall", id: "c9", name: "x", arguments: {} }], timestamp: 1 }), "clean"],
  ];
}

describe("repair check vs OpenClaw's repairSessionFileIfNeeded", () => {
  for (const [name, text, expected] of variants()) {
    it(name, async () => {
      const mine = join(dir, `${name.replace(/\W+/g, "-")}.jsonl`);
      const theirs = `${mine}.openclaw`;
      writeFileSync(mine, text);
      copyFileSync(mine, theirs);
      const verdict = decodeSession(encodeSessionBuffer(mine)).meta.repair;
      const result = await realRepair({ sessionFile: theirs, warn: () => {}, debug: () => {} });
      // The case is what it says it is (checked against the real pass), and ctxc classifies it the same way.
      expect(expected === "repaired").toBe(result.repaired);
      if (expected === "clean") expect(verdict).toBeNull();
      if (verdict === null) {
        // ctxc says "nothing to repair": the real pass must agree and leave the bytes alone.
        expect(result.repaired).toBe(false);
        expect(readFileSync(theirs, "utf8")).toBe(text);
      } else {
        expect(typeof verdict).toBe("string");
      }
      if (result.repaired) expect(verdict).not.toBeNull();
      // No false alarms on files OpenClaw leaves alone, except where ctxc cannot tell or OpenClaw decides.
      if (!result.repaired && verdict !== null) expect(verdict).toMatch(/OpenClaw decides|cannot|byte-order|too long/);
    });
  }
});
