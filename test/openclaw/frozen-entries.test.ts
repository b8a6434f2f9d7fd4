/**
 * buffer-entries.ts `frozenEntriesFromBuffer` (2026.6.9+'s first open of a file ctxc holds nothing of: the
 * first after a restart) against what it stands for — each line's `JSON.parse`, through the release's
 * normaliser, deep-frozen (what OpenClaw's `parseJsonlEntries` + `rememberSessionEntries` cache) — on
 * generated transcripts (branched, compacted, every entry type, heavy unicode) and hand-made lines of every
 * shape the normaliser's test looks at (legacy string / object content, roles, key orders, escaped keys
 * and values, messages the worker does not describe, non-message entries with a `message` member):
 * - the same values, deep-frozen at every level, in file order;
 * - every entry the normaliser changes was decoded at once and normalised (no accessor left on it), so no
 *   lazy member can hand out the un-normalised value; the per-layout test never misses one;
 * - `known` (line is its entry's `JSON.stringify`) is what a byte comparison says.
 * The release's own normaliser is stood in by a copy of 2026.7.1+'s rule (release/entry-normalizer.ts
 * documents it); test/matrix/interceptions.test.ts runs the release's own.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { SessionReadCache, encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { frozenEntriesFromBuffer } from "../../src/openclaw/buffer-entries.js";
import { normalizerChanges } from "../../src/openclaw/release/entry-normalizer.js";
import { decodeSession } from "../../src/openclaw/session.js";
import { tempDir } from "../support/tmp.js";
import { isRecord, normalizeLoadedEntry, type Plain } from "../../bench/lib/loaded-entry-normalizer.js";

const dir = tempDir("frozen-entries");
let n = 0;

/** 2026.7.1+'s `normalizeLoadedFileEntry` (a copy: bench/lib/loaded-entry-normalizer.ts). */
const normalize = normalizeLoadedEntry;

function deepFrozen(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return true;
  return Object.isFrozen(v) && Object.values(v).every(deepFrozen);
}

const hasAccessor = (e: unknown) => isRecord(e) && Object.values(Object.getOwnPropertyDescriptors(e)).some((d) => d.get !== undefined);

function check(name: string, text: string): { lazy: number; normalised: number } {
  const path = join(dir, `t${++n}.jsonl`);
  writeFileSync(path, text);
  const session = decodeSession(encodeSessionBuffer(path, {}, new SessionReadCache()));
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const { entries, known } = frozenEntriesFromBuffer(session, normalize, true);
  expect(entries.length, name).toBe(lines.length);
  let lazy = 0;
  let normalised = 0;
  lines.forEach((line, i) => {
    const where = `${name} line ${i}`;
    const parsed = JSON.parse(line) as unknown;
    const changes = normalizerChanges(parsed);
    const expected = normalize(JSON.parse(line));
    const e = entries[i];
    if (hasAccessor(e)) lazy++;
    if (changes) {
      normalised++;
      // Decoded at once: a lazy member would decode the line's bytes, not the normalised value.
      expect(hasAccessor(e), where).toBe(false);
    }
    expect(isDeepStrictEqual(structuredClone(e), expected), where).toBe(true);
    expect(JSON.stringify(e), where).toBe(JSON.stringify(expected));
    expect(deepFrozen(e), where).toBe(true);
    expect(known![i] === 1, where).toBe(line === JSON.stringify(expected));
  });
  return { lazy, normalised };
}

const line = (o: Plain) => JSON.stringify(o);
const HEADER = line({ type: "session", version: 3, id: "s-1", timestamp: "2026-01-05T08:00:00.000Z", cwd: "/w" });

describe("frozenEntriesFromBuffer with the release's normaliser vs JSON.parse + normalise + deep freeze", () => {
  it("generated transcripts: branched, compacted, every entry type, heavy unicode", () => {
    let lazy = 0;
    for (const seed of [1, 2, 3, 4]) {
      const { text } = generateTranscript({ seed, entries: 220, branchProbability: 0.15, compactions: 2, includeAllEntryTypes: true, unicode: seed === 3 ? "heavy" : "mixed" });
      lazy += check(`generated ${seed}`, text).lazy;
    }
    expect(lazy).toBeGreaterThan(200); // the lazy path was taken, not only the eager one
  });

  it("every shape the normaliser's test looks at, in several key orders and layouts", () => {
    const bodies: Plain[] = [];
    const contents: unknown[] = ["plain", "esc\\aped \u00e9 \"q\"", { type: "text", text: "obj" }, [{ type: "text", text: "arr" }], null, 5, true, []];
    for (const role of ["user", "assistant", "toolResult", "custom", "ro\u00e9le", 7])
      for (const content of contents) {
        bodies.push({ role, content });
        bodies.push({ content, role, toolCallId: "c" }); // content before role: another layout
        bodies.push({ role }); // no content
      }
    const out = [HEADER];
    let k = 0;
    let parent: string | null = null;
    const add = (o: Plain) => {
      const id = `e${k++}`;
      out.push(line({ ...o, id, parentId: parent }));
      parent = id;
    };
    for (const message of bodies) {
      add({ type: "message", timestamp: "t", message });
      // `message` before `type`, and a type that is not "message" with a message member: left alone.
      out.push(line({ message, type: "message", id: `x${k++}`, parentId: parent }));
      add({ type: "custom_message", message });
      add({ type: "message", message: { ...message, extra: { deep: [1, { two: 2 }] } } });
    }
    // An escaped "message" type, a message that is a string / array / null, and a message past the worker's
    // description (an escaped key: the line is parsed whole).
    out.push('{"type":"m\\u0065ssage","id":"esc","parentId":null,"message":{"role":"assistant","content":"escaped type"}}');
    out.push(line({ type: "message", id: "str", parentId: null, message: "not an object" }));
    out.push(line({ type: "message", id: "arr", parentId: null, message: [{ role: "assistant", content: "x" }] }));
    out.push(line({ type: "message", id: "nul", parentId: null, message: null }));
    out.push('{"type":"message","id":"k","parentId":null,"message":{"r\\u006fle":"assistant","content":"escaped key"}}');
    out.push('{"type":"message","id":"r","parentId":null,"message":{"role":"\\u0061ssistant","content":"escaped role"}}');
    const { normalised } = check("shapes", out.join("\n") + "\n");
    expect(normalised).toBeGreaterThan(30);
  });
});
