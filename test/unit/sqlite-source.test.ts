/**
 * The SQLite source on hand-made stores (the shape of OpenClaw's agent database, docs/sqlite-store.md):
 * a store's rows compile to exactly what the same lines compile to as a JSONL file, zstd rows included;
 * appends are read incrementally, anything else starts over and says why; bad stores get coded errors.
 * The differential against OpenClaw's own functions on a store its import made is
 * test/matrix/sqlite-store.test.ts. On a Node without node:sqlite only the SQLITE_UNAVAILABLE case runs.
 */
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { generateTranscript } from "../../bench/fixtures/transcript-generator.js";
import { createCompiler, type CtxcError } from "../../src/index.js";
import { ctxc, expectNoStack } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

type Db = { exec(sql: string): void; prepare(sql: string): { run(...p: unknown[]): unknown }; close(): void };
const sqlite = process.getBuiltinModule?.("node:sqlite") as { DatabaseSync: new (path: string) => Db } | undefined;
const zstdCompress = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;

const dir = tempDir("sqlite-source");
const compiler = createCompiler({ threads: 1 });
afterAll(() => compiler.close());

const SCHEMA = `
  CREATE TABLE session_nodes (session_key TEXT PRIMARY KEY, current_session_id TEXT NOT NULL, entry_json TEXT NOT NULL);
  CREATE TABLE transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, event_json TEXT, created_at INTEGER NOT NULL,
    event_zstd BLOB, event_utf8_bytes INTEGER, navigation_json TEXT, PRIMARY KEY (session_id, seq));
  CREATE TABLE transcript_rewrite_watermarks (session_id TEXT PRIMARY KEY, generation TEXT NOT NULL, updated_at INTEGER NOT NULL);
  PRAGMA user_version = 23;`;

/** A store holding `lines` as session `id`'s rows, from `firstSeq`; lines of 1 KiB+ stored zstd-compressed as OpenClaw does. */
function insertRows(db: Db, id: string, lines: string[], firstSeq: number): void {
  const insert = db.prepare("INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd, event_utf8_bytes) VALUES (?, ?, ?, 0, ?, ?)");
  lines.forEach((line, i) => {
    const bytes = Buffer.from(line);
    if (zstdCompress && bytes.length >= 1024) insert.run(id, firstSeq + i, null, zstdCompress(bytes), bytes.length);
    else insert.run(id, firstSeq + i, line, null, bytes.length);
  });
}

function makeStore(name: string, id: string, lines: string[]): string {
  const path = join(dir, `${name}.sqlite`);
  const db = new sqlite!.DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL;" + SCHEMA);
  db.prepare("INSERT INTO session_nodes VALUES (?, ?, '{}')").run(`agent:main:${name}`, id);
  db.prepare("INSERT INTO transcript_rewrite_watermarks VALUES (?, 'g1', 0)").run(id);
  insertRows(db, id, lines, 0);
  db.close();
  return path;
}

const linesOf = (text: string) => text.split("\n").slice(0, -1);
const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e: CtxcError) => e.code);

describe.skipIf(sqlite !== undefined)("without node:sqlite", () => {
  it("a store build fails with SQLITE_UNAVAILABLE naming the Node it needs", async () => {
    const path = join(dir, "any.sqlite");
    writeFileSync(path, "");
    const err = (await compiler.build({ transcript: path, session: "s" }).catch((e: unknown) => e)) as CtxcError;
    expect(err.code).toBe("SQLITE_UNAVAILABLE");
    expect(err.message).toContain(">= 22.13");
    expect(err.message).toContain(process.versions.node);
  });

  it("ctxc build --session says so in one coded line, exit 1", async () => {
    const path = join(dir, "any-cli.sqlite");
    writeFileSync(path, "");
    const r = await ctxc("build", path, "--session", "agent:main:main", "--quiet");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^ctxc: reading a SQLite session store \(node:sqlite\) needs Node >= 22\.13; this is Node [\d.]+ \[SQLITE_UNAVAILABLE\]\n$/);
  });
});

describe.skipIf(sqlite === undefined)("SQLite store source", () => {
  const { text } = generateTranscript({ seed: 4242, entries: 140, compactions: 2, branchProbability: 0.15, includeAllEntryTypes: true, unicode: "heavy" });
  const lines = linesOf(text);
  const id = JSON.parse(lines[0]!).id as string;

  it("compiles a session's rows (zstd rows too) exactly as the same lines from a JSONL file", async () => {
    const store = makeStore("same", id, lines);
    const jsonl = join(dir, "same.jsonl");
    writeFileSync(jsonl, text);
    const fromFile = await compiler.build({ transcript: jsonl });
    for (const session of [id, "agent:main:same"]) {
      const fromStore = await compiler.build({ transcript: store, session });
      expect([...fromStore.messages]).toStrictEqual([...fromFile.messages]);
      expect(fromStore.thinkingLevel).toStrictEqual(fromFile.thinkingLevel);
      expect(fromStore.model).toStrictEqual(fromFile.model);
      expect(fromStore.meta.transcript.bytes).toBe(Buffer.byteLength(text));
      expect(fromStore.diagnostics).toStrictEqual(fromFile.diagnostics);
    }
  });

  it("a warm build reads only the appended rows; a rewrite, a lost row or a new generation start over", async () => {
    const head = lines.slice(0, 100);
    const store = makeStore("grow", id, head);
    const first = await compiler.build({ transcript: store, session: id });
    expect(first.meta.build.rebuilt).toBe("cold");
    const writer = new sqlite!.DatabaseSync(store);
    try {
      const added = lines.slice(100);
      insertRows(writer, id, added, 100);
      const warm = await compiler.build({ transcript: store, session: id });
      expect(warm.meta.build.rebuilt).toBeNull();
      expect(warm.meta.build.bytesParsed).toBe(added.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0));
      const jsonl = join(dir, "grow.jsonl");
      writeFileSync(jsonl, text);
      expect([...warm.messages]).toStrictEqual([...(await compiler.build({ transcript: jsonl })).messages]);

      writer.prepare("UPDATE transcript_events SET event_json = ?, event_zstd = NULL WHERE session_id = ? AND seq = ?").run(lines[lines.length - 2], id, lines.length - 1);
      expect((await compiler.build({ transcript: store, session: id })).meta.build.rebuilt).toBe("rewritten");
      writer.prepare("DELETE FROM transcript_events WHERE session_id = ? AND seq = ?").run(id, lines.length - 1);
      expect((await compiler.build({ transcript: store, session: id })).meta.build.rebuilt).toBe("truncated");
      writer.prepare("UPDATE transcript_rewrite_watermarks SET generation = 'g2' WHERE session_id = ?").run(id);
      expect((await compiler.build({ transcript: store, session: id })).meta.build.rebuilt).toBe("rewritten");
      expect((await compiler.build({ transcript: store, session: id })).meta.build.rebuilt).toBeNull();
      await compiler.forget(store, id);
      expect((await compiler.build({ transcript: store, session: id })).meta.build.rebuilt).toBe("cold");
    } finally {
      writer.close();
    }
  });

  it("coded errors: missing file, not a database, missing table, newer schema, unknown session", async () => {
    const store = makeStore("errors", id, lines.slice(0, 5));
    expect(await codeOf(compiler.build({ transcript: join(dir, "nope.sqlite"), session: id }))).toBe("TRANSCRIPT_NOT_FOUND");
    expect(await codeOf(compiler.build({ transcript: dir, session: id }))).toBe("TRANSCRIPT_NOT_A_FILE");
    const jsonl = join(dir, "plain.jsonl");
    writeFileSync(jsonl, text);
    expect(await codeOf(compiler.build({ transcript: jsonl, session: id }))).toBe("TRANSCRIPT_UNREADABLE");

    const other = join(dir, "other.sqlite");
    const db = new sqlite!.DatabaseSync(other);
    db.exec("CREATE TABLE notes (a TEXT)");
    db.close();
    const missing = (await compiler.build({ transcript: other, session: id }).catch((e: unknown) => e)) as CtxcError;
    expect(missing.code).toBe("STORE_TABLE_MISSING");
    expect(missing.message).toContain("transcript_events");

    const newer = join(dir, "newer.sqlite");
    copyFileSync(store, newer);
    const w = new sqlite!.DatabaseSync(newer);
    w.exec("PRAGMA user_version = 24");
    w.close();
    const tooNew = (await compiler.build({ transcript: newer, session: id }).catch((e: unknown) => e)) as CtxcError;
    expect(tooNew.code).toBe("STORE_SCHEMA_TOO_NEW");
    expect(tooNew.message).toContain("24");

    const unknown = (await compiler.build({ transcript: store, session: "no-such-session" }).catch((e: unknown) => e)) as CtxcError;
    expect(unknown.code).toBe("SESSION_NOT_FOUND");
    expect(unknown.message).toContain("no-such-session");
  });

  it("ctxc build STORE --session: the same JSON as the API; coded one-line errors with exit 1", async () => {
    const store = makeStore("cli", id, lines);
    const api = await compiler.build({ transcript: store, session: "agent:main:cli" });
    const r = await ctxc("build", store, "--session", "agent:main:cli", "--format", "json", "--quiet");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { messages: unknown[]; meta: { transcript: { sessionId: string } } };
    expect(out.messages).toStrictEqual(JSON.parse(JSON.stringify([...api.messages])));
    expect(out.meta.transcript.sessionId).toBe(id);

    const newer = join(dir, "cli-newer.sqlite");
    copyFileSync(store, newer);
    const w = new sqlite!.DatabaseSync(newer);
    w.exec("PRAGMA user_version = 99");
    w.close();
    const other = join(dir, "cli-other.sqlite");
    const o = new sqlite!.DatabaseSync(other);
    o.exec("CREATE TABLE notes (a TEXT)");
    o.close();
    const noSession = await ctxc("build", store, "--quiet");
    expect(noSession.code).toBe(1);
    expect(noSession.stderr).toMatch(/a SQLite database: give --session SESSION .* \[NOT_A_TRANSCRIPT\]\n$/);
    for (const [args, code] of [
      [[store, "--session", "nope"], "SESSION_NOT_FOUND"],
      [[newer, "--session", id], "STORE_SCHEMA_TOO_NEW"],
      [[other, "--session", id], "STORE_TABLE_MISSING"],
    ] as const) {
      const e = await ctxc("build", ...args, "--quiet");
      expect(e.code, code).toBe(1);
      expect(e.stdout).toBe("");
      expect(e.stderr).toMatch(new RegExp(`^ctxc: .+ \\[${code}\\]\\n$`));
      expectNoStack(e.stderr);
    }
  });
});
