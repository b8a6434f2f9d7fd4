/**
 * The real-gateway run's write check: what OpenClaw added to each seeded transcript, how it links into
 * the tree, and whether what was there before a run is still there, byte for byte, after it. A run
 * with `--restart` checks the restarted gateway's run against the file as the first run left it.
 *
 * Entries are told apart by id, not by position: later releases rewrite the whole file after each turn
 * (2026.7.35 also rewrites its header), so "what was added" is every entry whose id was not there before.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isBusyNotice, isHeartbeatEntry } from "./heartbeat-turns.js";

/**
 * Kind of one transcript line: `type`, `message:<role>`, `custom:<customType>`; and its message's
 * idempotency key (trimmed, as OpenClaw's `readMessageIdempotencyKey` reads it), or null.
 */
export function kindOf(line: string): { id: string | null; parentId: string | null; kind: string; key: string | null; side: boolean; heartbeat: boolean; busy: boolean } {
  try {
    const e = JSON.parse(line) as { type?: string; id?: string; parentId?: unknown; appendMode?: unknown; message?: { role?: string; idempotencyKey?: unknown; content?: unknown }; customType?: string; content?: unknown };
    const kind = e.type === "message" ? `message:${e.message?.role}` : e.type === "custom" || e.type === "custom_message" ? `${e.type}:${e.customType}` : String(e.type);
    const key = typeof e.message?.idempotencyKey === "string" && e.message.idempotencyKey.trim() ? e.message.idempotencyKey.trim() : null;
    return { id: typeof e.id === "string" ? e.id : null, parentId: typeof e.parentId === "string" ? e.parentId : null, kind, key, side: e.appendMode === "side", heartbeat: isHeartbeatEntry(kind, e), busy: isBusyNotice(kind, e) };
  } catch {
    return { id: null, parentId: null, kind: "<unparseable>", key: null, side: false, heartbeat: false, busy: false };
  }
}

/**
 * Beside an added entry's kind, what the placement check (mirror-placement.ts) needs: its idempotency key,
 * whether it is marked `appendMode: "side"` (2026.7.35's side-branch leaf control), and whether it is the
 * prompt of one of OpenClaw's heartbeat turns (heartbeat-turns.ts; results since 2026-12-05 12:30) or its
 * "previous run is still shutting down" reply (`busy`, since 2026-12-06). Only fields that are set, to keep
 * the results small.
 */
export interface AddedMark {
  key?: string;
  side?: true;
  heartbeat?: true;
  busy?: true;
}

/**
 * How the entries OpenClaw added link into the tree: `dangling` counts parentIds naming no earlier entry
 * (a wrong leaf answer would show here), `parentIsPrevious` those that continue the line just before.
 * `repeatedKeys`: added messages whose idempotency key an earlier line of the file already carries — what
 * OpenClaw's key lookup before a keyed append (delivery mirrors: `findTranscriptMessageByIdempotencyKey`,
 * answered by ctxc) exists to prevent, so a wrong "not found" answer would show here. Absent in results
 * written before 2026-12-05 08:00.
 */
export interface AppendedLinks {
  entries: number;
  dangling: number;
  parentIsPrevious: number;
  repeatedKeys?: number;
}

/** The ids of the entries in a transcript's text (the session header's included). */
export function idsOf(text: string): Set<string> {
  const ids = new Set<string>();
  for (const line of text.split("\n")) {
    const k = line.trim() ? kindOf(line) : null;
    if (k?.id) ids.add(k.id);
  }
  return ids;
}

/**
 * Kinds of the entries in `text` whose id is not in `known`, in file order — what OpenClaw added, even
 * when it rewrote the file (repair pass, whole-file rewrite) instead of only appending — and how they
 * link: a parentId must name an entry EARLIER in the file, known or added. `marks`: their keys and side
 * marks ({@link AddedMark}); `lines`: those entries' lines (what a differing check quotes from:
 * appended-diff.ts `snippetOf`).
 */
export function addedEntries(text: string, known: ReadonlySet<string>): { kinds: string[]; marks: AddedMark[]; links: AppendedLinks; lines: string[] } {
  const kinds: string[] = [];
  const marks: AddedMark[] = [];
  const lines: string[] = [];
  const links: AppendedLinks = { entries: 0, dangling: 0, parentIsPrevious: 0, repeatedKeys: 0 };
  const ids = new Set<string>();
  const keys = new Set<string>();
  let previous: string | null = null;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const k = kindOf(line);
    if (k.kind !== "session" && (k.id === null || !known.has(k.id))) {
      kinds.push(k.kind);
      marks.push({ ...(k.key !== null ? { key: k.key } : {}), ...(k.side ? { side: true as const } : {}), ...(k.heartbeat ? { heartbeat: true as const } : {}), ...(k.busy ? { busy: true as const } : {}) });
      lines.push(line);
      links.entries++;
      if (k.parentId !== null && !ids.has(k.parentId)) links.dangling++;
      if (k.parentId !== null && k.parentId === previous) links.parentIsPrevious++;
      if (k.key !== null && keys.has(k.key)) links.repeatedKeys!++;
    }
    if (k.key !== null) keys.add(k.key);
    if (k.id !== null) {
      ids.add(k.id);
      previous = k.id;
    }
  }
  return { kinds, marks, links, lines };
}

/** What a later file must keep of an earlier one: its lines after the header, as a length and a digest (no copy of the bytes kept). */
export interface KeptBody {
  bytes: number;
  sha256: string;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The bytes after a transcript's first line (its session header), as {@link KeptBody}. */
export function bodyOf(file: Buffer): KeptBody {
  const body = file.subarray(file.indexOf(10) + 1);
  return { bytes: body.length, sha256: sha256(body) };
}

/**
 * Whether `file`'s lines after its header start with exactly the `before` body: every entry line that was
 * there is still there, unchanged and in place, whatever the header became (2026.7.35 rewrites its cwd).
 */
export function keepsBody(before: KeptBody, file: Buffer): boolean {
  const from = file.indexOf(10) + 1;
  return from > 0 && file.length - from >= before.bytes && sha256(file.subarray(from, from + before.bytes)) === before.sha256;
}

/** Whether the first `bytes` of `file` hash to `sha` (the seeded bytes left untouched, header included). */
export function keepsPrefix(file: Buffer, bytes: number, sha: string): boolean {
  return file.length >= bytes && sha256(file.subarray(0, bytes)) === sha;
}

/** The sha-256 of the first `bytes` of `path`. */
export async function prefixSha(path: string, bytes: number): Promise<string> {
  return sha256((await readFile(path)).subarray(0, bytes));
}
