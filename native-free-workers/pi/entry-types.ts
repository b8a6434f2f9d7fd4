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
