/**
 * pi's session-format migrations (`migrateToCurrentVersion` in pi's session-manager), the one copy both
 * readers use. pi migrates on open and REWRITES the file; ctxc never writes, so it applies the same
 * changes to what it reads:
 *
 * - v1 → v2: every non-session entry gets a fresh id and the previous non-session entry as parent (a
 *   chain in file order); a compaction's `firstKeptEntryIndex` becomes `firstKeptEntryId`.
 * - v2 → v3: the message role `hookMessage` becomes `custom`.
 *
 * pi's v1 ids are random 8-hex strings. ctxc's are derived from the entry's position among all entries
 * (header included), so they are stable across reads: {@link syntheticV1Id}. This is the only synthetic
 * id scheme in ctxc.
 */

/** pi's `CURRENT_SESSION_VERSION`. */
export const CURRENT_SESSION_VERSION = 3;

/** The migrations pi applies to a file whose session header has `version` (absent: v1), by pi's own comparisons. */
export interface Migrations {
  v1: boolean;
  v2: boolean;
}

export const NO_MIGRATIONS: Readonly<Migrations> = Object.freeze({ v1: false, v2: false });

/** pi: `version = header?.version ?? 1`; migrate v1 when `< 2`, v2 when `< 3` (plain JS comparisons). */
export function migrationsFor(version: unknown): Migrations {
  const v = (version ?? 1) as number;
  if (v >= CURRENT_SESSION_VERSION) return NO_MIGRATIONS;
  return { v1: v < 2, v2: v < CURRENT_SESSION_VERSION };
}

/** The id a v1 entry gets: its position among all entries (header included) as 8 hex digits, like pi's shape. */
export function syntheticV1Id(index: number): string {
  return index.toString(16).padStart(8, "0");
}

/** pi's v1 chain: each non-session entry's parent is the previous non-session entry (the first: null). */
export class V1Chain {
  private previous: string | null = null;

  constructor(previous: string | null = null) {
    this.previous = previous;
  }

  /** The id and parentId of the non-session entry at `index`. */
  next(index: number): { id: string; parentId: string | null } {
    const link = { id: syntheticV1Id(index), parentId: this.previous };
    this.previous = link.id;
    return link;
  }

  /** The id of the last entry chained (for saving and continuing the chain). */
  get last(): string | null {
    return this.previous;
  }
}

/**
 * A v1 compaction's `firstKeptEntryId` after migration, or null when pi leaves it as it was. pi:
 * `entries[firstKeptEntryIndex]`, when it exists and is not a session entry, gives its id — already
 * migrated when it comes before the compaction (pi migrates in file order), its own id otherwise. `at` is
 * the compaction's index; `isEntry(t)` says whether index `t` exists and is not a session entry;
 * `laterId(t)` is the own id of a later entry (a streaming reader that has not seen it yet answers
 * undefined: a later entry is never before the compaction on its branch, so it is never found either way).
 */
export function v1FirstKeptEntryId(
  entry: Record<string, unknown>,
  at: number,
  isEntry: (t: number) => boolean,
  laterId: (t: number) => unknown,
): { id: unknown } | null {
  const t = entry.firstKeptEntryIndex;
  if (typeof t !== "number" || !isEntry(t)) return null;
  return { id: t <= at ? syntheticV1Id(t) : laterId(t) };
}

/** pi's v2 → v3 rule for a message: the `hookMessage` role is now `custom`. */
export function isHookMessage(message: unknown): boolean {
  return typeof message === "object" && message !== null && (message as { role?: unknown }).role === "hookMessage";
}
