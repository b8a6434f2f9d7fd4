/**
 * Shared by the reliability tests (issue 6): the independent reference for damaged transcripts, the
 * comparison with ctxc's result, and the tally of cases and injected faults that docs/reliability.md
 * quotes.
 *
 * The reference never re-implements ctxc: it splits the raw bytes on `\n` the way any JSONL reader
 * must, decides per line whether it is damaged (a torn last line without `\n`, not JSON, or JSON but
 * not an object), removes those lines, and hands the rest to pi itself (`parseSessionEntries` +
 * `buildSessionContext`). ctxc must equal pi on that text and must report every removed line with its
 * line number and byte offset.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { expect } from "vitest";
import type { CompiledContext } from "../../src/index.js";
import { findActivePathCycle, PiCycleError, piContext, piSession, type PiSessionContext } from "../reference/pi-reference.js";

/** A line the reference expects ctxc to skip and report. */
export interface ExpectedSkip {
  code: "MALFORMED_LINE" | "NON_OBJECT_LINE" | "TORN_TAIL";
  line: number;
  offset: number;
}

export interface Reference {
  /** The transcript with the damaged lines removed, as pi reads it. */
  piText: string;
  skipped: ExpectedSkip[];
  /** pi's context on `piText`, or the error pi raised (a cycle makes pi hang; piContext throws instead). */
  pi: PiSessionContext | Error;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** What a correct reader keeps of `bytes`, and what it must report. */
export function referenceFor(bytes: Buffer): Reference {
  const kept: string[] = [];
  const skipped: ExpectedSkip[] = [];
  let start = 0;
  let lineNo = 1;
  while (start < bytes.length) {
    const nl = bytes.indexOf(10, start);
    if (nl === -1) {
      skipped.push({ code: "TORN_TAIL", line: lineNo, offset: start });
      break;
    }
    let line = bytes.subarray(start, nl);
    let offset = start;
    if (lineNo === 1 && line.subarray(0, 3).equals(BOM)) {
      line = line.subarray(3); // pi's content.trim() drops a leading BOM
      offset += 3;
    }
    const text = line.toString("utf8");
    if (text.trim() !== "") {
      let value: unknown;
      let parsed = true;
      try {
        value = JSON.parse(text);
      } catch {
        parsed = false;
      }
      if (!parsed) skipped.push({ code: "MALFORMED_LINE", line: lineNo, offset });
      else if (typeof value !== "object" || value === null || Array.isArray(value)) {
        skipped.push({ code: "NON_OBJECT_LINE", line: lineNo, offset });
      } else kept.push(text);
    }
    start = nl + 1;
    lineNo++;
  }
  const piText = kept.length ? kept.join("\n") + "\n" : "";
  let pi: PiSessionContext | Error;
  try {
    pi = needsMigration(kept[0]) ? piOpenedContext(piText) : piContext(piText);
  } catch (err) {
    pi = err as Error;
  }
  return { piText, skipped, pi };
}

/**
 * A first entry that is a session header older than v3 (a flipped bit can turn `"version":3` into 2,
 * 1 or no version at all) makes OpenClaw's `SessionManager.open` migrate the entries before building
 * the context, and ctxc follows that path; pi's pure `buildSessionContext` does not migrate. Without a
 * header at line 1, SessionManager would wipe the file, so the pure function is the reference then.
 */
function needsMigration(firstLine: string | undefined): boolean {
  if (firstLine === undefined) return false;
  const first = JSON.parse(firstLine) as Record<string, unknown>;
  return first.type === "session" && ((first.version ?? 1) as number) < 3;
}

let copies = 0;
/** `SessionManager.open(copy).buildSessionContext()`, the path OpenClaw takes (migrations included). */
function piOpenedContext(text: string): PiSessionContext {
  const dir = mkdtempSync(join(tmpdir(), "ctxc-rel-pi-"));
  try {
    const path = join(dir, `copy-${copies++}.jsonl`);
    writeFileSync(path, text);
    const sm = piSession(path);
    const cycle = findActivePathCycle(sm.getEntries());
    if (cycle) throw new PiCycleError(cycle);
    return sm.buildSessionContext();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How a damaged case ended, for the tally. */
export type Outcome = "equal" | "cycle" | "pi-crashed";

/**
 * ctxc's result must equal pi's on the intact part, and list exactly the damaged lines (code, line,
 * offset) among its line-level diagnostics. When pi cannot answer (a parentId cycle hangs it) ctxc
 * must have reported the cycle instead.
 */
export function expectMatchesReference(ctx: CompiledContext, ref: Reference, opts: { prefixOfGrowingFile?: boolean } = {}): Outcome {
  let lineLevel = ctx.diagnostics
    .filter((d) => d.code === "MALFORMED_LINE" || d.code === "NON_OBJECT_LINE" || d.code === "TORN_TAIL")
    .map((d) => ({ code: d.code, line: d.line, offset: d.offset }));
  if (opts.prefixOfGrowingFile) {
    // `ref` is of the consumed prefix; a half-written line after it is reported torn, right after it.
    const torn = lineLevel.filter((d) => d.code === "TORN_TAIL");
    for (const d of torn) expect(d).toEqual({ code: "TORN_TAIL", line: ctx.meta.transcript.lines + 1, offset: ctx.meta.transcript.bytes });
    lineLevel = lineLevel.filter((d) => d.code !== "TORN_TAIL");
  }
  expect(lineLevel).toEqual(ref.skipped);
  if (ref.pi instanceof PiCycleError) {
    expect(ctx.diagnostics.some((d) => d.code === "CYCLE")).toBe(true);
    return "cycle";
  }
  if (ref.pi instanceof Error) return "pi-crashed";
  expect(ctx.messageCount).toBe(ref.pi.messages.length);
  // isDeepStrictEqual per message (fast on 100k messages); on a mismatch, expect() shows the diff.
  const messages = [...ctx.messages];
  const bad = messages.findIndex((m, i) => !isDeepStrictEqual(m, ref.pi instanceof Error ? undefined : ref.pi.messages[i]));
  if (bad !== -1) expect({ index: bad, message: messages[bad] }).toStrictEqual({ index: bad, message: ref.pi.messages[bad] });
  expect(ctx.thinkingLevel).toStrictEqual(ref.pi.thinkingLevel);
  expect(ctx.model).toStrictEqual(ref.pi.model);
  return "equal";
}

/**
 * Counts cases and injected faults per test file and writes them to `.tmp/reliability/<name>.json`
 * when the file's tests are done, so the figures in docs/reliability.md come from a real run.
 */
export class Tally {
  readonly groups: Record<string, { cases: number; faults: number; survived: number; notes: Record<string, number> }> = {};

  constructor(private readonly name: string) {}

  /** One case of `group` with `faults` injected faults; call `survived` once it has passed its checks. */
  add(group: string, faults = 1): { survived: (note?: string) => void } {
    const g = (this.groups[group] ??= { cases: 0, faults: 0, survived: 0, notes: {} });
    g.cases++;
    g.faults += faults;
    return {
      survived: (note?: string) => {
        g.survived++;
        if (note) g.notes[note] = (g.notes[note] ?? 0) + 1;
      },
    };
  }

  write(): void {
    const dir = fileURLToPath(new URL("../../.tmp/reliability/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const totals = Object.values(this.groups).reduce(
      (t, g) => ({ cases: t.cases + g.cases, faults: t.faults + g.faults, survived: t.survived + g.survived }),
      { cases: 0, faults: 0, survived: 0 },
    );
    writeFileSync(join(dir, `${this.name}.json`), JSON.stringify({ file: this.name, ...totals, groups: this.groups }, null, 2));
  }
}
