/**
 * Builds an isolated OpenClaw home for one bench/real-gateway run: `openclaw.json` (agents, Telegram
 * accounts + bindings, loopback model provider, trace-level file log), per-agent workspaces with
 * bootstrap files near the caps, and per-agent sessions seeded with generated pi v3 transcripts.
 */
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeTranscript, Prng } from "../fixtures/transcript-generator.js";
import type { FakeBot } from "./fake-telegram.js";

/** One agent of the run. */
export interface AgentPlan {
  id: string;
  /** Telegram account id it is bound to. */
  accountId: string;
  /** Size of the seeded transcript (bytes). */
  transcriptBytes: number;
  /** Telegram user that writes to this agent's bot. */
  userId: number;
}

export interface SeededTranscript {
  path: string;
  sessionId: string;
  bytes: number;
  entries: number;
}

/** Generates (once, cached by size+seed under `cacheDir`) the transcript each agent starts from. */
export async function generateSeedTranscripts(cacheDir: string, plans: AgentPlan[], { settled = false }: { settled?: boolean } = {}): Promise<Map<string, SeededTranscript>> {
  await mkdir(cacheDir, { recursive: true });
  const out = new Map<string, SeededTranscript>();
  for (const [i, p] of plans.entries()) {
    const seed = 7100 + i;
    const path = join(cacheDir, `seed-${seed}-${p.transcriptBytes}${settled ? "-settled" : ""}.jsonl`);
    // Compactions spread over the file keep the active context to a slice of it, as in long-lived
    // real sessions (the file grows, the context is compacted); the loader still reads the whole file.
    const compactions = Math.max(1, Math.round(p.transcriptBytes / 700_000));
    // Settled: the errored assistant turns carry the text OpenClaw's repair pass writes, so it has nothing to repair.
    const r = await writeTranscript(path, { seed, targetBytes: p.transcriptBytes, compactions, endWithCompaction: false, unicode: "mixed", ...(settled ? { erroredEmptyContent: false } : {}) });
    out.set(p.id, { path, sessionId: r.stats.sessionId, bytes: r.bytes, entries: r.entries });
  }
  return out;
}

export interface GatewayHome {
  root: string;
  stateDir: string;
  configPath: string;
  logFile: string;
  gatewayPort: number;
  transcripts: Map<string, string>;
}

/** Text of `chars` characters for a bootstrap file (deterministic). */
function bootstrapText(name: string, chars: number, seed: number): string {
  const rng = new Prng(seed);
  const words = ["agent", "context", "session", "workspace", "reply", "tool", "budget", "transcript", "worker", "gateway", "polling", "rule"];
  let s = `# ${name}\n\n`;
  while (s.length < chars) {
    let line = "-";
    for (let w = 0; w < 12; w++) line += " " + words[rng.int(0, words.length - 1)];
    s += line + ".\n";
  }
  return s.slice(0, chars);
}

export async function buildGatewayHome(opts: {
  root: string;
  plans: AgentPlan[];
  bots: FakeBot[];
  telegramApiRoot: string;
  modelBaseUrl: string;
  gatewayPort: number;
  seeds: Map<string, SeededTranscript>;
  /** Bootstrap file sizes in characters (per file). */
  bootstrapChars: number;
  /**
   * Each transcript's header `cwd` set to its agent's workspace, as OpenClaw 2026.7.35 leaves it after a
   * session's first turn (`prepareSessionManagerForRun` rewrites the whole file when it differs).
   */
  settled?: boolean;
}): Promise<GatewayHome> {
  const stateDir = join(opts.root, ".openclaw");
  const logFile = join(opts.root, "openclaw.log");
  await mkdir(stateDir, { recursive: true });
  const transcripts = new Map<string, string>();
  const now = Date.now();
  for (const [i, p] of opts.plans.entries()) {
    const ws = join(opts.root, `workspace-${p.id}`);
    await mkdir(ws, { recursive: true });
    // 5 files near the 12,000-char per-file cap, ~57k of the 60k total cap (no BOOTSTRAP.md: that
    // would switch the agent into first-run onboarding).
    for (const [j, f] of ["AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md"].entries()) {
      await writeFile(join(ws, f), bootstrapText(f, opts.bootstrapChars - j * 150, 900 + i * 10 + j));
    }
    const seed = opts.seeds.get(p.id)!;
    const sessionsDir = join(stateDir, "agents", p.id, "sessions");
    await mkdir(sessionsDir, { recursive: true });
    const file = join(sessionsDir, `${seed.sessionId}.jsonl`);
    if (opts.settled) await copyWithHeaderCwd(seed.path, file, ws);
    else await copyFile(seed.path, file);
    transcripts.set(p.id, file);
    const store = {
      [`agent:${p.id}:main`]: { sessionId: seed.sessionId, sessionFile: file, updatedAt: now, sessionStartedAt: now, lastInteractionAt: now, chatType: "direct" },
    };
    await writeFile(join(sessionsDir, "sessions.json"), JSON.stringify(store, null, 2));
  }
  const accounts: Record<string, { botToken: string }> = {};
  for (const [i, p] of opts.plans.entries()) accounts[p.accountId] = { botToken: opts.bots[i]!.token };
  const config = {
    gateway: { mode: "local", port: opts.gatewayPort, bind: "loopback", auth: { mode: "token", token: "bench-local-token" } },
    logging: { level: "trace", file: logFile, consoleLevel: "warn" },
    diagnostics: { enabled: true },
    update: { checkOnStart: false },
    models: {
      mode: "merge",
      providers: {
        bench: {
          baseUrl: opts.modelBaseUrl,
          apiKey: "bench-key",
          api: "openai-completions",
          models: [{ id: "bench-model", name: "Bench Model", reasoning: false, input: ["text", "image"], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 2_000_000, maxTokens: 4096 }],
        },
      },
    },
    agents: {
      defaults: { model: { primary: "bench/bench-model" } },
      list: opts.plans.map((p, i) => ({ id: p.id, ...(i === 0 ? { default: true } : {}), workspace: join(opts.root, `workspace-${p.id}`) })),
    },
    bindings: opts.plans.map((p) => ({ agentId: p.id, match: { channel: "telegram", accountId: p.accountId } })),
    channels: {
      telegram: {
        enabled: true,
        apiRoot: opts.telegramApiRoot,
        defaultAccount: opts.plans[0]!.accountId,
        dmPolicy: "allowlist",
        allowFrom: opts.plans.map((p) => String(p.userId)),
        accounts,
      },
    },
  };
  const configPath = join(stateDir, "openclaw.json");
  await writeFile(configPath, JSON.stringify(config, null, 2));
  return { root: opts.root, stateDir, configPath, logFile, gatewayPort: opts.gatewayPort, transcripts };
}

/** `from` copied to `to` with the session header's (first line's) `cwd` set to `cwd`; every other byte as it is. */
async function copyWithHeaderCwd(from: string, to: string, cwd: string): Promise<void> {
  const bytes = await readFile(from);
  const nl = bytes.indexOf(0x0a);
  const header = JSON.parse(bytes.subarray(0, nl).toString("utf8")) as Record<string, unknown>;
  if (header.type !== "session") throw new Error(`${from}: the first line is not a session header`);
  header.cwd = cwd;
  await writeFile(to, Buffer.concat([Buffer.from(JSON.stringify(header), "utf8"), bytes.subarray(nl)]));
}
