/**
 * Node's built-in SQLite and zstd, loaded only when a SQLite store is read. Why lazily and through
 * `process.getBuiltinModule`: the workers stay native-free and must still load on a Node without
 * `node:sqlite` (a static import would fail the whole worker, JSONL builds included); such a Node gets
 * SQLITE_UNAVAILABLE naming the version it needs instead.
 */
import zlib from "node:zlib";
import { Errors } from "../../protocol/errors.js";

/** A row as node:sqlite returns it. */
export type SqliteRow = Record<string, unknown>;

/** The part of node:sqlite's StatementSync this source uses (this repo's @types/node predates node:sqlite). */
export interface Statement {
  get(...params: unknown[]): SqliteRow | undefined;
  all(...params: unknown[]): SqliteRow[];
  iterate(...params: unknown[]): IterableIterator<SqliteRow>;
}

/** The part of node:sqlite's DatabaseSync this source uses. */
export interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  close(): void;
}

/** The part of `node:sqlite` this source uses. */
export interface NodeSqlite {
  DatabaseSync: new (path: string | URL, options: { readOnly: boolean }) => Database;
}

/** node:sqlite is unflagged from Node 22.13 (22.5–22.12 need --experimental-sqlite). */
export const SQLITE_NODE = ">= 22.13";
/** zlib.zstdDecompressSync: Node 22.15 / 23.8. */
export const ZSTD_NODE = ">= 22.15";

let loaded: NodeSqlite | null | undefined;

/** `node:sqlite`, or SQLITE_UNAVAILABLE. */
export function nodeSqlite(): NodeSqlite {
  if (loaded === undefined) {
    const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    loaded = ((getBuiltin?.call(process, "node:sqlite") as NodeSqlite | undefined) ?? null);
  }
  if (!loaded?.DatabaseSync) throw Errors.sqliteUnavailable("reading a SQLite session store (node:sqlite)", SQLITE_NODE);
  return loaded;
}

type Zstd = (data: Uint8Array, options: { maxOutputLength: number }) => Buffer;

/** Decodes one zstd-compressed transcript row of `bytes` UTF-8 bytes, as OpenClaw stores them. */
export function zstdRow(data: Uint8Array, bytes: number): Buffer {
  const decompress = (zlib as unknown as { zstdDecompressSync?: Zstd }).zstdDecompressSync;
  if (!decompress) throw Errors.sqliteUnavailable("a zstd-compressed transcript row", ZSTD_NODE);
  return decompress.call(zlib, data, { maxOutputLength: bytes });
}
