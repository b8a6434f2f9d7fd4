/**
 * What OpenClaw 2026.5.12's `readTranscriptLeafInfo(transcriptPath)` (transcript-*.js, called by
 * `appendSessionTranscriptMessage` to find the parentId of the entry it appends) returns, answered from
 * the lines ctxc's worker parses anyway. OpenClaw computes it on the main thread by reading the whole
 * file and `JSON.parse`-ing every line twice — while it holds the session write lock, so the next turn
 * of that session waits for it (measured: 0.4–11 s per append on a loaded gateway, 10–28 MB files).
 *
 * OpenClaw's rules, per non-blank line (split on `\r?\n`, the unterminated last line included; a line
 * that is not valid JSON counts for nothing):
 * - it counts as a non-session entry when `parsed.type !== "session"` — for ANY JSON value but `null`
 *   (`null.type` throws, and the throw is caught): numbers, strings, arrays count too;
 * - it is a parent-linked entry when, in this order, `parsed.type !== "session"`, `typeof parsed.id ===
 *   "string"` and `"parentId" in parsed` (the key present, whatever its value); the leaf is the last
 *   such id in the file that is not empty (OpenClaw tests it for truthiness).
 * A byte-order mark makes the first line invalid JSON for OpenClaw (pi strips it; ctxc's session read
 * does too), so that line counts for nothing here. Lines ctxc skips unread (over `maxLineBytes`) make
 * the answer unknown: the caller then runs OpenClaw's own scan.
 */
export interface TranscriptLeafInfo {
  leafId?: string;
  hasParentLinkedEntries: boolean;
  nonSessionEntryCount: number;
}

/** What a LeafInfoScan has gathered (the session read's persistent index): an entry id, a count, a fixed-text reason. */
export interface LeafInfoSaved {
  leafId: string | null;
  count: number;
  unknownWhy: string | null;
}

export class LeafInfoScan {
  private leafId: string | undefined = undefined;
  private count = 0;
  private unknownWhy: string | null = null;

  /** A parsed non-blank line, as OpenClaw's `JSON.parse` sees it. */
  line(parsed: unknown): void {
    if (parsed === null) return;
    const type = (parsed as { type?: unknown }).type;
    if (type === "session") return;
    this.count++;
    const id = (parsed as { id?: unknown }).id;
    // OpenClaw keeps the id only when truthy: an empty string id is no leaf.
    if (typeof id === "string" && id !== "" && typeof parsed === "object" && "parentId" in parsed) this.leafId = id;
  }

  /** A line OpenClaw would read but ctxc did not. */
  unknown(why: string): void {
    this.unknownWhy ??= why;
  }

  saved(): LeafInfoSaved {
    return { leafId: this.leafId ?? null, count: this.count, unknownWhy: this.unknownWhy };
  }

  /** The scan {@link saved} described; throws on anything malformed (the index is then ignored). */
  static restore(saved: LeafInfoSaved): LeafInfoScan {
    const { leafId, count, unknownWhy } = saved;
    if ((leafId !== null && typeof leafId !== "string") || !Number.isInteger(count) || (unknownWhy !== null && typeof unknownWhy !== "string")) {
      throw new Error("malformed leaf info");
    }
    const scan = new LeafInfoScan();
    scan.leafId = leafId ?? undefined;
    scan.count = count;
    scan.unknownWhy = unknownWhy;
    return scan;
  }

  /** OpenClaw's answer, or null when ctxc cannot tell it. */
  result(): TranscriptLeafInfo | null {
    if (this.unknownWhy !== null) return null;
    return { ...(this.leafId ? { leafId: this.leafId } : {}), hasParentLinkedEntries: this.leafId !== undefined, nonSessionEntryCount: this.count };
  }
}
