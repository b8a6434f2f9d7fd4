/**
 * The lines OpenClaw 2026.6.11+'s `readRecentUserAssistantTextFromSessionTranscript` can return an entry
 * for, newest first — so the gateway's main thread parses only those instead of every line of the file.
 *
 * Stock streams the file backwards (`streamSessionTranscriptLinesReverse`: split on "\n", trimmed, blank
 * lines skipped) and hands each line to `parseRecentConversationText`, keeping the entries whose
 * timestamp is inside the asked window until it has `limit` of them. With a time window (the Telegram
 * channel passes one) an old entry is skipped, not a stop: the whole file is parsed on every message.
 *
 * A line can give an entry only when it is JSON whose `message` is an object with role "user" or
 * "assistant" (else `parseRecentConversationText` returns nothing or throws, which stock skips), and
 * that entry's timestamp is `message.timestamp` when it is a finite number, else none (which every
 * window accepts). The worker keeps, per such line, its record and that timestamp; a query returns the
 * lines whose timestamp the window accepts. Whether a line gives an entry, and which, stays the
 * release's own function's answer, on the main thread (src/openclaw/recent-lines.ts).
 */

import type { SessionMeta } from "../protocol/session-buffer-layout.js";

/** A query: the window (as stock's options) and which of the accepted lines, counted from the newest. */
export interface RecentLinesQuery {
  minTimestampMs?: number;
  beforeTimestampMs?: number;
  /** Accepted lines to pass over from the newest (the ones an earlier query of the same call returned). */
  skip: number;
  /** At most this many lines. */
  max: number;
}

/** The answer: lines newest first, and whether older accepted lines remain. */
export interface RecentLinesReply {
  lines: string[];
  exhausted: boolean;
  /** The file as the worker read it (the caller checks it is still the file). */
  file: SessionMeta["file"];
  /** Where the read's state came from and where it started parsing (the preload's index tally). */
  index: SessionMeta["index"];
  readFrom: number;
}

/** What {@link RecentConversationIndex.saved} returns. */
export interface RecentConversationSaved {
  records: number[];
  timestamps: (number | null)[];
  unknown: string | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

export class RecentConversationIndex {
  /** Session-buffer record index of each line that may give an entry, in file order. */
  private readonly records: number[] = [];
  /** Its `message.timestamp` (NaN: none). */
  private readonly timestamps: number[] = [];
  private unknownWhy: string | null = null;

  /** A parsed line that became record `record`. */
  line(value: Record<string, unknown>, record: number): void {
    const message = value.message;
    if (!isRecord(message) || (message.role !== "user" && message.role !== "assistant")) return;
    const ts = message.timestamp;
    this.records.push(record);
    this.timestamps.push(typeof ts === "number" && Number.isFinite(ts) ? ts : Number.NaN);
  }

  /**
   * A line that is not JSON to pi's rule. Stock's stream trims each line with JS `trim()`, which also
   * drops a byte-order mark and Unicode spaces JSON does not skip: if that makes it JSON, ctxc reads
   * the line differently and cannot tell.
   */
  malformed(bytes: Buffer): void {
    if (this.unknownWhy !== null) return;
    try {
      JSON.parse(bytes.toString("utf8").trim());
      this.unknownWhy = "a line only OpenClaw's trim makes JSON (a byte-order mark or Unicode space around it)";
    } catch {
      // not JSON to stock either: its loop skips it too
    }
  }

  /** A line stock reads but ctxc did not (too long). */
  unknown(why: string): void {
    this.unknownWhy ??= why;
  }

  get unknownReason(): string | null {
    return this.unknownWhy;
  }

  /** What the persistent index keeps (openclaw/session-index.ts): record numbers and timestamps (null: none), no text. */
  saved(): RecentConversationSaved {
    return { records: [...this.records], timestamps: this.timestamps.map((t) => (Number.isNaN(t) ? null : t)), unknown: this.unknownWhy };
  }

  /** The index {@link saved} described; throws on anything malformed (the persistent index is then ignored). */
  static restore(saved: RecentConversationSaved): RecentConversationIndex {
    const { records, timestamps, unknown } = saved ?? ({} as RecentConversationSaved);
    if (!Array.isArray(records) || !Array.isArray(timestamps) || records.length !== timestamps.length) throw new Error("malformed recent-conversation index");
    if (unknown !== null && typeof unknown !== "string") throw new Error("malformed recent-conversation index");
    const index = new RecentConversationIndex();
    let previous = -1;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const t = timestamps[i];
      if (!Number.isInteger(r) || r <= previous || (t !== null && (typeof t !== "number" || !Number.isFinite(t)))) throw new Error("malformed recent-conversation index");
      previous = r;
      index.records.push(r);
      index.timestamps.push(t === null ? Number.NaN : t);
    }
    index.unknownWhy = unknown;
    return index;
  }

  /** Record indexes of the accepted lines, newest first, per `query`; and whether older ones remain. */
  select(query: RecentLinesQuery): { records: number[]; exhausted: boolean } {
    const { minTimestampMs: min, beforeTimestampMs: before } = query;
    const out: number[] = [];
    let skip = query.skip;
    for (let i = this.records.length - 1; i >= 0; i--) {
      const ts = this.timestamps[i]!;
      // Stock's isBeforeTranscriptTimestamp / isAtOrAfterTranscriptTimestamp: no timestamp passes both.
      if (!Number.isNaN(ts) && ((before !== undefined && !(ts < before)) || (min !== undefined && !(ts >= min)))) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      if (out.length === query.max) return { records: out, exhausted: false };
      out.push(this.records[i]!);
    }
    return { records: out, exhausted: true };
  }
}
