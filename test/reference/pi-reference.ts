/**
 * Reference behaviour from the real pi code (`@earendil-works/pi-coding-agent@0.74.0`, devDependency).
 *
 * `piContext(text)` is what OpenClaw 2026.5 computes per turn, minus file IO:
 * `parseSessionEntries(text)` (trim, split on "\n", JSON.parse each line, skip lines that throw) and
 * then `buildSessionContext(entries)` (leaf = last parsed entry, walk parentId to the root, apply the
 * latest compaction on the path).
 *
 * pi's leaf → root walk has no visited set, so a parentId cycle on the active path makes it loop
 * forever (and grow `path` until the heap is exhausted). `piContext` walks the same path first, the
 * same way pi does, and throws `PiCycleError` instead of hanging.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { SessionManager, buildSessionContext, parseSessionEntries } from "@earendil-works/pi-coding-agent";

export type PiSessionContext = ReturnType<typeof buildSessionContext>;
export type PiFileEntry = ReturnType<typeof parseSessionEntries>[number];

export class PiCycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`parentId cycle on the active path (pi's buildSessionContext would hang): ${cycle.join(" -> ")}`);
    this.name = "PiCycleError";
  }
}

/**
 * Walk leaf → root exactly like pi's `buildSessionContext(entries)` does (byId keeps the LAST entry
 * per id; leaf = last entry; stop when parentId is falsy or unknown). Returns the cycle (ids, first id
 * repeated at the end) if the walk would revisit an entry, else null. Entries that are not objects
 * are skipped here (pi itself throws a TypeError on a `null` entry while indexing).
 */
export function findActivePathCycle(entries: readonly unknown[]): string[] | null {
  const byId = new Map<unknown, Record<string, unknown>>();
  for (const e of entries) {
    if (e !== null && typeof e === "object") byId.set((e as Record<string, unknown>).id, e as Record<string, unknown>);
  }
  const leaf = entries[entries.length - 1];
  if (leaf === null || typeof leaf !== "object") return null;
  const seen = new Map<object, number>();
  const order: string[] = [];
  let cur: Record<string, unknown> | undefined = leaf as Record<string, unknown>;
  while (cur) {
    const at = seen.get(cur);
    if (at !== undefined) return [...order.slice(at), String(cur.id)];
    seen.set(cur, order.length);
    order.push(String(cur.id));
    const p: unknown = cur.parentId;
    cur = p ? byId.get(p) : undefined;
  }
  return null;
}

/** pi's per-turn context for a transcript text: `buildSessionContext(parseSessionEntries(text))`. Throws PiCycleError instead of hanging. */
export function piContext(text: string): PiSessionContext {
  const entries = parseSessionEntries(text);
  const cycle = findActivePathCycle(entries);
  if (cycle) throw new PiCycleError(cycle);
  return buildSessionContext(entries as Parameters<typeof buildSessionContext>[0]);
}

/** pi's parsed entries (header included), for counting. */
export function piEntries(text: string): PiFileEntry[] {
  return parseSessionEntries(text);
}

/**
 * `SessionManager.open(path)`, as OpenClaw loads a session. WARNING — this is pi's real behaviour:
 * it may REWRITE the file: if the first parsed line is not a session header (torn/missing header) it
 * truncates the file to a fresh header ("torn header wipes a transcript"), and a v1/v2 header makes it
 * migrate and rewrite the whole file. Pass `{ copy: true }` to open a private copy in a temp dir
 * instead (the returned manager then points at the copy).
 * `sm.buildSessionContext()` on the result hangs on a parentId cycle; check with `findActivePathCycle(sm.getEntries())` first.
 */
export function piSession(path: string, opts: { copy?: boolean } = {}): SessionManager {
  let p = path;
  if (opts.copy) {
    const dir = mkdtempSync(join(tmpdir(), "ctxc-pi-ref-"));
    p = join(dir, basename(path));
    copyFileSync(path, p);
  }
  return SessionManager.open(p);
}
