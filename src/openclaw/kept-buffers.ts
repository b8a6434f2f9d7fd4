/**
 * What OpenClaw 2026.5.12's session open keeps between turns (issue #11 item 3): the worker's session
 * buffers themselves — immutable bytes plus the small FIELDS/LAYOUTS tables — instead of deep-frozen
 * decoded entries. Every open, the first one of a gateway process included, builds fresh entries from
 * the bytes (buffer-entries.ts: no `JSON.parse` of each line), so the first open costs what a later one
 * does, the memory kept is about the file's bytes, and there is no frozen object graph for the GC to walk.
 *
 * How the two sides agree on "the previous turn" is the entry cache's protocol (kept-entries.ts): the
 * next read sends the kept buffers' generation, record count and bytes; the worker answers with only the
 * records appended since when its state still continues that read (append check passed at every read
 * since), and the open then builds from the kept buffers plus the new one. Anything else — a whole read
 * (`meta.base` 0: the file was rewritten, the worker lost its state) — starts the kept list over.
 *
 * Bounded like the entry cache (`CTXC_OPENCLAW_ENTRY_CACHE_MB` of file bytes, least recently used first;
 * 0 = off: nothing kept, every read whole) and by {@link MAX_PARTS} buffers per file (then the next read
 * is whole again, one buffer).
 */
import type { OpenClawSession } from "./session.js";
import { entryCacheLimit } from "./entry-cache.js";
import type { SessionContinuation } from "../../native-free-workers/protocol/session-buffer-layout.js";

/** Buffers kept per file before the next read asks for the whole file again (one buffer). */
export const MAX_PARTS = 32;

/** One file's kept buffers: together records 0 … records−1 of worker read `generation`, covering `bytes` file bytes. */
export interface KeptBuffers {
  generation: string;
  records: number;
  bytes: number;
  parts: readonly OpenClawSession[];
}

const files = new Map<string, KeptBuffers>();

/** What to send with the next worker read of `path` (absolute): the records the kept buffers hold, if any. */
export function bufferContinuationFor(path: string): SessionContinuation | undefined {
  const kept = entryCacheLimit() > 0 ? files.get(path) : undefined;
  if (!kept || kept.parts.length >= MAX_PARTS) return undefined;
  return { generation: kept.generation, records: kept.records, bytes: kept.bytes };
}

/** {@link keptBuffersFor}'s answer: the buffers whose records are the file's, in order, and how many records were kept from before this read. */
export interface BufferParts {
  parts: readonly OpenClawSession[];
  reused: number;
}

/**
 * The buffers holding every record of the file `session` read — the kept ones it continues, then itself —
 * and the kept list updated to them; or why not (a continued read whose base the kept buffers no longer
 * hold). A whole read is its own one buffer.
 */
export function keptBuffersFor(path: string, session: OpenClawSession): BufferParts | string {
  const meta = session.meta;
  const kept = files.get(path);
  let parts: readonly OpenClawSession[];
  let reused = 0;
  if (session.firstRecord > 0) {
    if (!kept || kept.generation !== meta.generation || kept.records !== session.firstRecord) return "the kept buffers changed since the read was asked for";
    parts = [...kept.parts, session];
    reused = kept.records;
  } else parts = [session];
  files.delete(path);
  if (meta.generation && entryCacheLimit() > 0 && meta.bytes <= entryCacheLimit()) {
    files.set(path, { generation: meta.generation, records: session.firstRecord + session.recordCount, bytes: meta.bytes, parts });
    trim();
  }
  return { parts, reused };
}

function trim(): void {
  const limit = entryCacheLimit();
  let total = 0;
  for (const f of files.values()) total += f.bytes;
  for (const [key, f] of files) {
    if (total <= limit) break;
    files.delete(key);
    total -= f.bytes;
  }
}

/** The kept buffers of `path` (absolute), for tests and the summary; undefined when none. */
export function getKeptBuffers(path: string): KeptBuffers | undefined {
  return files.get(path);
}

/** Forgets every kept buffer (tests; a changed cache limit). */
export function clearKeptBuffers(): void {
  files.clear();
}
