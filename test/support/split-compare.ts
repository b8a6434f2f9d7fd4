/**
 * Split cold builds against the single pass (issue 14), in this process: a build with or without a
 * {@link RangeSplit} whose other lane is a scan of the same file, and everything a build leaves that a
 * split must not change. Shared by test/unit/range-split.test.ts and the collision variant
 * (test/unit/range-split-collisions.test.ts, which imports this after cutting the id hash).
 */
import { appendFileSync, closeSync, fstatSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { compileSteps, type RangeSplit } from "../../native-free-workers/compile.js";
import { scanRange } from "../../native-free-workers/pi/range-scan.js";
import { keyBatchTransferList, type KeyBatch } from "../../native-free-workers/protocol/key-batch.js";
import { SessionCache } from "../../native-free-workers/session/session-cache.js";
import { decodeContext, type CompiledContext } from "../../src/index.js";
import { normalizeBuildOptions } from "../../src/options.js";
import { tempDir } from "./tmp.js";
import { chain, jsonl, msg, user } from "./transcript-builder.js";

export const dir = tempDir("range-split");
let files = 0;

export interface Options {
  budget?: number | null;
  chunkBytes?: number;
  maxLineBytes?: number;
  lineTooLong?: "skip" | "fail";
}

/** A build in this process on `sessions`; `split` as the lanes would pass it. */
export async function build(path: string, sessions: SessionCache, options: Options, split?: RangeSplit): Promise<CompiledContext> {
  const task = normalizeBuildOptions({ transcript: path, budget: options.budget ?? null, maxLineBytes: options.maxLineBytes, lineTooLong: options.lineTooLong });
  if (options.chunkBytes) task.chunkBytes = options.chunkBytes;
  const steps = compileSteps(task, sessions, ++files, split);
  let step = await steps.next();
  while (!step.done) step = await steps.next();
  return decodeContext(step.value);
}

/** The other lane's scan: its own descriptor on the file, the batch moved through a transfer list. */
export function otherLane(path: string, at: number, options: Options): () => KeyBatch | null {
  return () => {
    const fd = openSync(path, "r");
    try {
      const stats = fstatSync(fd);
      const batch = scanRange(fd, at, {
        until: stats.size, chunkBytes: options.chunkBytes ?? 64 * 1024, maxLineBytes: options.maxLineBytes ?? 256 * 1024 * 1024,
        dev: stats.dev, ino: stats.ino,
      });
      return batch && structuredClone(batch, { transfer: keyBatchTransferList(batch) });
    } finally {
      closeSync(fd);
    }
  };
}

/** Everything a build leaves that the split must not change. */
export function outcome(ctx: CompiledContext, sessions: SessionCache, path: string) {
  const state = sessions.get(path)!;
  const { timings: _t, ...meta } = ctx.meta;
  return {
    messages: [...ctx.messages], tokens: ctx.tokens.perMessage, thinkingLevel: ctx.thinkingLevel, model: ctx.model,
    dropped: ctx.dropped, diagnostics: ctx.diagnostics, meta,
    state: {
      // parse: a copy, as the warm build goes on adding to the session's list.
      index: state.index.snapshotFields(), parse: [...state.parseDiagnostics.list], end: state.end, nextLineNo: state.nextLineNo,
      identity: state.identity(), lines: state.index.lines, lastDuplicateAt: state.index.lastDuplicateAt,
    },
  };
}

/**
 * Builds `text` once in a single pass and once split at each of `cuts` (fresh sessions each), then, when
 * `more` is given, appends it and builds warm on each: every outcome must equal the single pass's.
 * Returns how many of the cuts really split (a cut past the last line start cannot).
 */
export async function expectSplitEqual(text: string | Buffer, cuts: number[], options: Options = {}, more?: string): Promise<number> {
  const base = join(dir, `t${++files}`);
  writeFileSync(`${base}.single.jsonl`, text);
  const single = new SessionCache(Number.MAX_SAFE_INTEGER);
  const expected = outcome(await build(`${base}.single.jsonl`, single, options), single, `${base}.single.jsonl`);
  fixPath(expected, "", "");
  let warmExpected: unknown;
  if (more !== undefined) {
    appendFileSync(`${base}.single.jsonl`, more);
    warmExpected = outcome(await build(`${base}.single.jsonl`, single, options), single, `${base}.single.jsonl`);
    fixPath(warmExpected as ReturnType<typeof outcome>, "", "");
  }
  let splitCount = 0;
  for (const at of cuts) {
    const path = `${base}.split-${at}.jsonl`;
    writeFileSync(path, text);
    const sessions = new SessionCache(Number.MAX_SAFE_INTEGER);
    let scanned: KeyBatch | null = null;
    const scan = otherLane(path, at, options);
    const split: RangeSplit = { at, take: () => (scanned = scan()) };
    const got = outcome(await build(path, sessions, options, split), sessions, path);
    if (scanned) splitCount++;
    fixPath(got, path, `${base}.single.jsonl`);
    expect(got, `cut at ${at}`).toStrictEqual(expected);
    if (more !== undefined) {
      appendFileSync(path, more);
      const warm = outcome(await build(path, sessions, options), sessions, path);
      fixPath(warm, path, `${base}.single.jsonl`);
      expect(warm, `warm after cut at ${at}`).toStrictEqual(warmExpected);
    }
  }
  return splitCount;
}

/** The two files differ only in name and inode: compare as if they had the same. */
export function fixPath(o: ReturnType<typeof outcome>, path: string, as: string): void {
  (o.meta.transcript as { path: string }).path = o.meta.transcript.path === path ? as : o.meta.transcript.path;
  o.state.identity.ino = 0;
  o.state.identity.dev = 0;
}

/** Cut points: inside the append check's first 4 KB, on and around line starts, mid-file, near the end. */
export function cutsFor(text: string | Buffer, seed: number, n = 8): number[] {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const size = bytes.length;
  const starts: number[] = [];
  for (let i = bytes.indexOf(10); i >= 0 && i + 1 < size; i = bytes.indexOf(10, i + 1)) starts.push(i + 1);
  let r = seed >>> 0 || 1;
  const rand = (m: number) => ((r = (r * 1103515245 + 12345) >>> 0) % Math.max(1, m));
  const cuts = new Set<number>([1, 100, 4095, 4096, 4097, Math.floor(size / 2), size - 1]);
  for (let k = 0; k < n; k++) {
    const s = starts[rand(starts.length)] ?? 1;
    cuts.add(s).add(s + 1).add(Math.max(1, s - 1)).add(1 + rand(size - 1));
  }
  return [...cuts].filter((c) => c >= 1 && c < size).sort((a, b) => a - b);
}

/**
 * A transcript whose ids test what a range scan settles itself (issue 14: the owner gets ids as hashes,
 * and a parent or an earlier equal id within the range as a line): ids taken two and three times, on
 * both sides of any cut and within one side; parents naming a duplicated id, an id before any cut, a
 * later one, the line's own id, "" and null; an empty-string id taken twice; and entries the key scan
 * cannot vouch for (a top-level key spelled with an escape: parsed in full by the owner) that carry
 * string ids later lines name and take again. Every `k`-th filler line is long, so cuts fall in many places.
 */
export function idSeamTranscript(k = 5): string {
  const entries: Record<string, unknown>[] = [];
  for (let i = 1; i <= 40; i++) entries.push(msg(user(`filler ${i} ${"z".repeat(i % k === 0 ? 900 : 40)}`)));
  const lines: (Record<string, unknown> | string)[] = chain(entries);
  const m = (id: unknown, parentId: unknown, text: string) => ({ type: "message", id, parentId, message: user(text) });
  lines.push(m("dup", "e40", "dup first"), m("x1", "dup", "child of the first dup"));
  lines.push(m("e3", "x1", "e3 again: wins over the header side's"), m("x2", "e3", "child of the second e3"));
  lines.push(m("dup", "x2", "dup second"), m("dup", "dup", "dup third, parent the second"), m("x3", "dup", "child of the third"));
  lines.push(m("self", "self", "parent is itself (kept: found at walk time)"), m("self", "self", "again: finds the first"));
  lines.push(m("", "x3", "empty id"), m("x4", "", "empty parentId: a root"), m("", null, "empty id again"), m("x5", "later", "parent later"));
  // Key scan declines (escaped key): the owner parses these in full; their ids are then named and taken.
  lines.push('{"type":"message","i\\u0064":"esc","parentId":"x5","message":{"role":"user","content":"escaped id key"}}');
  lines.push(m("x6", "esc", "child of the escaped"), m("esc", "x6", "esc taken again"), m("x7", "esc", "child of the second esc"));
  lines.push('{"type":"message","id":"e7","parentI\\u0064":"x7","message":{"role":"user","content":"escaped parent key, takes e7"}}');
  lines.push(m("later", "e7", "the later parent"), m("leaf", "later", "leaf"));
  for (let i = 0; i < 12; i++) lines.push(m(`t${i}`, i === 0 ? "leaf" : `t${i - 1}`, `tail ${i} ${"w".repeat(i % 3 === 0 ? 700 : 30)}`));
  return jsonl(lines);
}
