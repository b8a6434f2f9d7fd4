/**
 * The worker keeps what its buffers scanned of each record (native-free-workers/openclaw/record-scans.ts):
 * a buffer that re-sends records — `whole`, or a caller with nothing kept — must be, byte for byte, the
 * buffer the scans would have made afresh. Over generated transcripts (branched, compacted, images,
 * every entry type) with damage (malformed, blank, non-object and non-canonical lines, a torn last line
 * completed later, more layouts than MAX_LAYOUTS), growing between reads, read every way a caller reads:
 * - in lockstep with a worker cache whose kept scans are dropped before each read (the scans as they
 *   ran before they were kept): every section and the meta equal, on every read;
 * - a buffer from record 0 equals a fresh cache's read of the same file;
 * - and the scans did run only for records no earlier buffer of the state had scanned.
 */
import { appendFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { encodeSessionBuffer, SessionReadCache, type SessionScans } from "../../native-free-workers/openclaw/session-buffer.js";
import { MAX_LAYOUTS, SESSION_HEADER_BYTES, SESSION_SECTION_COUNT, SessionHeader, SessionSection, type SessionContinuation } from "../../native-free-workers/protocol/session-buffer-layout.js";
import { readSectionTable } from "../../native-free-workers/protocol/section-table.js";
import { tempDir, tempFileWriter } from "../support/tmp.js";

const file = tempFileWriter(tempDir("record-scans"), "r");

/** A buffer taken apart: the fixed header words (but the total size, which follows the meta's length), the meta, every other section's bytes. */
function parts(buffer: ArrayBuffer) {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const sections = readSectionTable(view, SessionHeader.sectionTable, SESSION_SECTION_COUNT, SESSION_HEADER_BYTES).map((b) => Buffer.from(bytes.subarray(b.offset, b.offset + b.length)));
  const header = Buffer.from(bytes.subarray(0, SessionHeader.sectionTable));
  header.fill(0, SessionHeader.totalBytes, SessionHeader.totalBytes + 4);
  const meta = JSON.parse(sections[SessionSection.META]!.toString("utf8")) as Record<string, unknown>;
  return { header, meta, rest: sections.filter((_, s) => s !== SessionSection.META) };
}

/** The lines of a generated transcript with damage mixed in (see the file comment). */
function damagedLines(seed: number, entries: number, manyLayouts: boolean): string[] {
  const lines = generateTranscript({ seed, entries, compactions: 2, branchProbability: 0.15, imageProbability: 0.2, includeAllEntryTypes: true }).text.trimEnd().split("\n");
  const out: string[] = [lines[0]!];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const k = (i * 7 + seed) % 23;
    if (k === 0) out.push('{"type":"message","id":');
    else if (k === 1) out.push("");
    else if (k === 2) out.push("[1,2]");
    // Not canonical: spaces after the separators (the canonical flag stays unset; FIELDS still located).
    if (k === 3) out.push(line.replace(/":/, '": ').replace(/,"/, ', "'));
    else out.push(line);
    if (manyLayouts) {
      // A layout of its own per line: past MAX_LAYOUTS the table is full mid-file.
      out.push(JSON.stringify({ type: "custom", customType: "x", id: `L${i}`, parentId: null, timestamp: "2026-01-05T08:00:00.000Z", data: { [`k${i}`]: { [`n${i}`]: 1 } } }));
    }
  }
  return out;
}

const SCANS: SessionScans[] = [
  { fields: true, canonical: true },
  { fields: true, canonical: false },
  { fields: false, canonical: true },
];

/** How the n-th read of a run asks: continued, `whole` re-send, or nothing kept (each with some scans). */
function readKind(n: number): { mode: "continue" | "whole" | "fresh"; scans: SessionScans } {
  const modes = ["continue", "whole", "continue", "fresh", "whole", "whole"] as const;
  return { mode: modes[n % modes.length]!, scans: SCANS[(n * 5) % SCANS.length]! };
}

function dropKeptScans(cache: SessionReadCache, path: string): void {
  const state = cache.take(path);
  if (state) {
    delete state.scans;
    cache.put(path, state);
  }
}

describe("kept record scans (record-scans.ts)", () => {
  const cases = [
    { name: "generated, damaged", seed: 3, entries: 260, manyLayouts: false },
    { name: "generated, more layouts than MAX_LAYOUTS", seed: 4, entries: 650, manyLayouts: true },
    { name: "generated, small steps", seed: 5, entries: 90, manyLayouts: false },
  ];
  it.each(cases)("$name: every buffer equals the scans run afresh, growing between reads, with whole re-sends", ({ seed, entries, manyLayouts }) => {
    const lines = damagedLines(seed, entries, manyLayouts);
    const path = file("");
    const kept = new SessionReadCache();
    const stripped = new SessionReadCache();
    const from = { kept: undefined as SessionContinuation | undefined, stripped: undefined as SessionContinuation | undefined };
    let written = 0;
    let torn = "";
    let reads = 0;
    let rescansSaved = 0;
    for (let step = 0; written < lines.length; step++) {
      // Grow: a few lines, sometimes ending in half a line (torn) completed by the next step.
      const take = 1 + ((step * 13 + seed) % Math.max(2, Math.floor(lines.length / 12)));
      const chunk = lines.slice(written, written + take);
      written += chunk.length;
      let text = torn + chunk.map((l) => l + "\n").join("");
      torn = "";
      if (step % 4 === 2 && written < lines.length) {
        const next = lines[written++]! + "\n";
        const cut = Math.floor(next.length / 2);
        text += next.slice(0, cut);
        torn = next.slice(cut);
      }
      appendFileSync(path, text);
      // Two reads per step: the second re-sends what the first sent (nothing appended between).
      for (let again = 0; again < 2; again++, reads++) {
        const { mode, scans } = readKind(reads);
        const ask = (cache: SessionReadCache, c: SessionContinuation | undefined) =>
          encodeSessionBuffer(path, {}, cache, mode === "fresh" ? undefined : c, mode === "whole", scans);
        dropKeptScans(stripped, path);
        const before = kept.take(path);
        const scannedBefore = { described: before?.scans?.described ?? 0, checked: before?.scans?.checked ?? 0 };
        if (before) kept.put(path, before);
        const a = parts(ask(kept, from.kept));
        const b = parts(ask(stripped, from.stripped));
        const where = `step ${step} read ${reads} (${mode}, ${JSON.stringify(scans)})`;
        expect(a.header.equals(b.header), where).toBe(true);
        expect(a.rest.map((s) => s.toString("hex")), where).toEqual(b.rest.map((s) => s.toString("hex")));
        expect({ ...a.meta, generation: null }, where).toEqual({ ...b.meta, generation: null });
        const firstRecord = a.header.readUInt32LE(SessionHeader.firstRecord);
        const recordCount = a.header.readUInt32LE(SessionHeader.recordCount);
        // What each caller now has: every record up to the buffer's last.
        for (const [name, p] of [["kept", a], ["stripped", b]] as const) {
          from[name] = { generation: p.meta.generation as string, records: firstRecord + recordCount, bytes: p.meta.bytes as number };
        }
        if (firstRecord === 0 && (a.meta.status as string) === "loaded") {
          // From record 0: the same as a worker that never read the file.
          const fresh = parts(encodeSessionBuffer(path, {}, new SessionReadCache(), undefined, false, scans));
          expect(fresh.header.equals(a.header), where).toBe(true);
          expect(fresh.rest.map((s) => s.toString("hex")), where).toEqual(a.rest.map((s) => s.toString("hex")));
        }
        // Scanned only what no earlier buffer of this state had (a new state: a torn tail is not kept).
        const after = kept.take(path);
        if (after) kept.put(path, after);
        const newState = (a.meta.readFrom as number) === 0 || !before;
        if (after?.scans && !newState && firstRecord === 0 && recordCount > 0) {
          const describedNow = after.scans.described - scannedBefore.described;
          const checkedNow = after.scans.checked - scannedBefore.checked;
          expect(describedNow, where).toBeLessThanOrEqual(scans.fields ? recordCount : 0);
          expect(checkedNow, where).toBeLessThanOrEqual(scans.canonical ? recordCount : 0);
          if (describedNow + checkedNow < (scans.fields ? recordCount : 0) + (scans.canonical ? recordCount : 0)) rescansSaved++;
        }
      }
    }
    // The case exercised re-sends from kept scans (else it proves nothing about them), and the layout cap when asked to.
    expect(rescansSaved).toBeGreaterThan(3);
    const whole = parts(encodeSessionBuffer(path, {}, new SessionReadCache()));
    const layouts = (JSON.parse(whole.rest[SessionSection.LAYOUTS - 1]!.toString("utf8")) as unknown[]).length;
    if (manyLayouts) expect(layouts).toBe(MAX_LAYOUTS);
    else expect(layouts).toBeLessThan(MAX_LAYOUTS);
  });

  it("a whole re-send of an unchanged file scans nothing; after appending k lines it scans those k", () => {
    const lines = damagedLines(9, 120, false).filter((l) => l.startsWith("{") && l.endsWith("}"));
    const path = file(lines.slice(0, 100).map((l) => l + "\n").join(""));
    const cache = new SessionReadCache();
    const both: SessionScans = { fields: true, canonical: true };
    const counts = () => {
      const s = cache.take(path)!;
      cache.put(path, s);
      return { described: s.scans!.described, checked: s.scans!.checked, records: s.records.length };
    };
    encodeSessionBuffer(path, {}, cache, undefined, true, both);
    const first = counts();
    expect(first).toEqual({ described: first.records, checked: first.records, records: first.records });
    encodeSessionBuffer(path, {}, cache, undefined, true, both);
    expect(counts()).toEqual(first);
    appendFileSync(path, lines.slice(100, 107).map((l) => l + "\n").join(""));
    encodeSessionBuffer(path, {}, cache, undefined, true, both);
    expect(counts()).toEqual({ described: first.records + 7, checked: first.records + 7, records: first.records + 7 });
  });
});
