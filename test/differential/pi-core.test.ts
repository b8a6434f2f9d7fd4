/**
 * The one pi-semantics core (native-free-workers/pi/) through both entry points — the compiler
 * (`createCompiler().build`) and the OpenClaw facade (`openSession`, `openSessionAsync`) — against pi's own
 * `SessionManager.open(path).buildSessionContext()`, on the migration cases where the two copies used to
 * differ: v1 files (no ids; compactions by `firstKeptEntryIndex`, pointing back, forward, at the header,
 * out of range), header versions pi compares as JS values ("2", "4", null, absent), and v2 `hookMessage`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCompiler } from "../../src/index.js";
import { closeOpenClawPool, openSession, openSessionAsync } from "../../src/openclaw/index.js";
import { piSession } from "../reference/pi-reference.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("pi-core");
const compiler = createCompiler({ threads: 1 });
afterAll(async () => {
  await compiler.close();
  await closeOpenClawPool();
});

const t = (n: number) => `2026-01-05T08:00:${String(n).padStart(2, "0")}.000Z`;
const user = (n: number) => ({ type: "message", timestamp: t(n), message: { role: "user", content: `u${n}`, timestamp: n } });
const assistant = (n: number) => ({
  type: "message",
  timestamp: t(n),
  message: { role: "assistant", content: [{ type: "text", text: `a${n}` }], provider: "p", model: `m${n}`, timestamp: n },
});

/** A v1 file: header, 6 messages, a compaction keeping entry `keep` (an index among all lines), 2 more messages. */
function v1(keep: unknown): Record<string, unknown>[] {
  return [
    { type: "session", id: "v1", timestamp: t(0), cwd: "/w" },
    user(1), assistant(2), user(3), assistant(4), user(5), assistant(6),
    { type: "compaction", timestamp: t(7), summary: "sum", firstKeptEntryIndex: keep, tokensBefore: 10 },
    user(8), assistant(9),
  ];
}

/** A file with ids whose header says `version`, with a hookMessage (v2 → v3 renames its role). */
function versioned(version: unknown): Record<string, unknown>[] {
  const header: Record<string, unknown> = { type: "session", id: "s", timestamp: t(0), cwd: "/w" };
  if (version !== "absent") header.version = version;
  return [
    header,
    { ...user(1), id: "e1", parentId: null },
    { ...assistant(2), id: "e2", parentId: "e1" },
    { type: "message", id: "e3", parentId: "e2", timestamp: t(3), message: { role: "hookMessage", customType: "hook", content: "h", display: true, timestamp: 3 } },
    { ...user(4), id: "e4", parentId: "e3" },
  ];
}

const CASES: { name: string; lines: Record<string, unknown>[] }[] = [
  ...[3, 1, 6, 7, 9, 0, -1, 42, 2.5].map((keep) => ({ name: `v1, compaction keeps line index ${keep}`, lines: v1(keep) })),
  ...[1, 2, 3, "2", "4", "abc", null, "absent"].map((version) => ({ name: `header version ${JSON.stringify(version)}`, lines: versioned(version) })),
];

describe("one pi core, both entry points, equal to SessionManager.open", () => {
  it.each(CASES)("$name", async ({ name, lines }) => {
    const path = join(dir, `${name.replace(/[^a-z0-9]+/gi, "_")}.jsonl`);
    writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const reference = piSession(path, { copy: true }).buildSessionContext();
    const built = await compiler.build({ transcript: path });
    expect([...built.messages]).toStrictEqual(reference.messages);
    expect(built.thinkingLevel).toStrictEqual(reference.thinkingLevel);
    expect(built.model).toStrictEqual(reference.model);
    expect(openSession(path).buildSessionContext()).toStrictEqual(reference);
    expect((await openSessionAsync(path)).buildSessionContext()).toStrictEqual(reference);
  });
});
