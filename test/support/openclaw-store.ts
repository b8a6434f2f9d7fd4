/**
 * A real OpenClaw SQLite session store (2026.8+), made the way an upgrading user gets one: legacy JSONL
 * transcripts + `sessions.json` in a temp OpenClaw home, then that release's own import
 * (`openclaw doctor --session-sqlite import`, the step `doctor --fix` runs and a 2026.9.x gateway asks
 * for), run under the Node running this test. docs/sqlite-store.md describes what it produces.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One legacy session to import. */
export interface LegacySession {
  /** Session key, e.g. `agent:main:s1`. */
  key: string;
  /** The session id (the header's `id`; also the file name). */
  sessionId: string;
  /** The JSONL text. */
  text: string;
}

export interface ImportedStore {
  home: string;
  stateDir: string;
  /** `<state>/agents/<agent>/agent/openclaw-agent.sqlite`. */
  db: string;
  /** Environment under which OpenClaw finds this home. */
  env: NodeJS.ProcessEnv;
  /** What the import printed. */
  output: string;
}

/** Seeds `home` with `sessions` of agent `agentId` and runs the release at `openclawRoot`'s import. */
export async function importLegacySessions(openclawRoot: string, home: string, agentId: string, sessions: LegacySession[]): Promise<ImportedStore> {
  const stateDir = join(home, ".openclaw");
  const sessionsDir = join(stateDir, "agents", agentId, "sessions");
  mkdirSync(sessionsDir, { recursive: true });
  const now = Date.now();
  const store: Record<string, unknown> = {};
  for (const s of sessions) {
    const file = join(sessionsDir, `${s.sessionId}.jsonl`);
    writeFileSync(file, s.text);
    store[s.key] = { sessionId: s.sessionId, sessionFile: file, updatedAt: now, sessionStartedAt: now, chatType: "direct" };
  }
  writeFileSync(join(sessionsDir, "sessions.json"), JSON.stringify(store, null, 2));
  writeFileSync(join(stateDir, "openclaw.json"), JSON.stringify({ gateway: { mode: "local" }, update: { checkOnStart: false } }, null, 2));
  const env = { ...process.env, HOME: home, OPENCLAW_STATE_DIR: stateDir, NO_COLOR: "1" };
  const { stdout, stderr } = await run(process.execPath, [join(openclawRoot, "openclaw.mjs"), "doctor", "--session-sqlite", "import", "--non-interactive"], {
    env,
    cwd: home,
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const db = join(stateDir, "agents", agentId, "agent", "openclaw-agent.sqlite");
  if (!existsSync(db)) throw new Error(`the import made no ${db}:\n${stdout}\n${stderr}`);
  return { home, stateDir, db, env, output: stdout + stderr };
}

/** Size, mtime and SHA-256 of the database and its `-wal` and `-shm` ("absent" when missing). */
export function storeFiles(db: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const suffix of ["", "-wal", "-shm"]) {
    const path = db + suffix;
    if (!existsSync(path)) {
      out[suffix || "db"] = "absent";
      continue;
    }
    const st = statSync(path);
    out[suffix || "db"] = `${st.size} bytes, mtime ${st.mtimeMs}, sha256 ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
  }
  return out;
}
