/**
 * The entry types of pi's session format v3. Any other `type` is kept in the tree (pi keeps it) but never
 * contributes to the context. The list is the session buffer's type-code table (protocol), so the codes
 * and the known types cannot drift apart.
 */
import { EntryTypeCode } from "../protocol/session-buffer-layout.js";

/** Every type pi's format defines ("session" is the header). */
export const PI_ENTRY_TYPES: ReadonlySet<string> = new Set(Object.keys(EntryTypeCode).filter((t) => t !== "other"));

export function isKnownEntryType(type: string): boolean {
  return PI_ENTRY_TYPES.has(type);
}

/** Each known type's one string, so the index's records share it instead of holding a copy each. */
const CANONICAL = new Map([...PI_ENTRY_TYPES].map((t) => [t, t]));

/**
 * `type` as a shared string when it is a known type (the same value; `type` itself when unknown). Why: a
 * type decoded from a line's bytes is a new string per entry; kept in every record of a session's index,
 * those copies were about a tenth of the index's memory.
 */
export function sharedEntryType(type: string): string {
  return CANONICAL.get(type) ?? type;
}
