/**
 * A minimal multi-agent gateway loop wired through ctxc: N agents in one process, each a polling
 * channel (a fake inbox checked on a timer, like OpenClaw's Telegram/Discord pollers). Per inbound
 * message, the run path does what OpenClaw 2026.5 does on its main thread, with ctxc doing the reading
 * in workers:
 *
 *   1. session load         → openSessionAsync(transcript)          (pi: SessionManager.open)
 *   2. bootstrap files      → resolveBootstrapFilesForRun + buildBootstrapContextForFiles
 *   3. context for the model → compiler.build({transcript, workspaceDir, budget}) (one buffer per turn)
 *   4. dispatch (a fake model call) and append the user + assistant entries, as pi would.
 *
 * Run (in a checkout after `npm run build`, or from an installed package with node_modules/ctxc/ before dist):
 *   node dist/examples/gateway/gateway.js [--agents 3] [--turns 2] [--budget 4000] [--json]
 * It imports `ctxc` and `ctxc/openclaw` by name, as code in your own project would (in the checkout
 * Node resolves them to the package itself), so it can be copied out as is.
 * It copies the shipped transcript (examples/transcripts/session.jsonl) once per agent into a temp
 * directory and uses examples/workspace/ for every agent; the shipped files are never modified.
 */
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createCompiler } from "ctxc";
import {
  buildBootstrapContextForFiles,
  closeOpenClawPool,
  openSessionAsync,
  resolveBootstrapFilesForRun,
} from "ctxc/openclaw";

/** The package root, whether this runs from dist/examples/gateway or examples/gateway. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = resolve(dir, "..");
  return dir;
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Agent {
  id: string;
  transcript: string;
  inbox: string[];
  turns: number;
  busy: boolean;
}

const root = packageRoot();
const AGENTS = flag("agents", 3);
const TURNS = flag("turns", 2);
const BUDGET = flag("budget", 4000);
const POLL_MS = flag("poll-ms", 20);
const json = process.argv.includes("--json");
const workspaceDir = join(root, "examples", "workspace");
const scratch = mkdtempSync(join(tmpdir(), "ctxc-gateway-"));
const compiler = createCompiler({ threads: 1, tokenizer: "estimate" });

const agents: Agent[] = Array.from({ length: AGENTS }, (_, n) => {
  const transcript = join(scratch, `agent-${n}.jsonl`);
  copyFileSync(join(root, "examples", "transcripts", "session.jsonl"), transcript);
  return { id: `agent-${n}`, transcript, inbox: [], turns: 0, busy: false };
});

const log = (event: Record<string, unknown>) => {
  if (json) console.log(JSON.stringify(event));
  else console.log(Object.entries(event).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" "));
};

let idCounter = 0;
const newId = () => (0xc0000000 + ++idCounter).toString(16);

/** Appends an entry as pi's SessionManager does: a child of the current leaf. */
function append(transcript: string, parentId: string | null, entry: Record<string, unknown>): string {
  const id = newId();
  appendFileSync(transcript, `${JSON.stringify({ ...entry, id, parentId, timestamp: new Date().toISOString() })}\n`);
  return id;
}

/** One run: what OpenClaw does per inbound message, with ctxc doing the reads. */
async function run(agent: Agent, text: string): Promise<void> {
  const session = await openSessionAsync(agent.transcript);
  const userId = append(agent.transcript, session.getLeafId(), {
    type: "message",
    message: { role: "user", content: text, timestamp: Date.now() },
  });
  const [files, ctx] = await Promise.all([
    resolveBootstrapFilesForRun({ workspaceDir, sessionKey: `agent:${agent.id}:main` }),
    compiler.build({ transcript: agent.transcript, workspaceDir, budget: BUDGET, agentId: agent.id }),
  ]);
  const contextFiles = buildBootstrapContextForFiles(files);
  // "Dispatch": a real gateway sends ctx.systemPrompt + ctx.messages to the model here.
  log({
    event: "dispatch",
    agent: agent.id,
    turn: agent.turns + 1,
    sessionId: session.getSessionId(),
    messages: ctx.messageCount,
    dropped: ctx.dropped,
    tokens: ctx.tokens.total,
    bootstrapFiles: contextFiles.map((f) => f.path.slice(workspaceDir.length + 1)),
    lastRole: ctx.messageCount > 0 ? ctx.message(ctx.messageCount - 1).role : null,
  });
  append(agent.transcript, userId, {
    type: "message",
    message: {
      role: "assistant",
      content: [{ type: "text", text: `(${agent.id}) noted: ${text}` }],
      api: "fake",
      provider: "example",
      model: "echo",
      usage: { input: ctx.tokens.total, output: 8, cacheRead: 0, cacheWrite: 0, totalTokens: ctx.tokens.total + 8, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
      stopReason: "stop",
      timestamp: Date.now(),
    },
  });
  agent.turns++;
}

async function main(): Promise<void> {
  log({ event: "start", agents: AGENTS, turns: TURNS, workspace: workspaceDir });
  // Inbound traffic: each channel receives TURNS messages at staggered times.
  agents.forEach((agent, n) => {
    for (let t = 0; t < TURNS; t++) setTimeout(() => agent.inbox.push(`message ${t + 1} for ${agent.id}`), 5 + n * 3 + t * 15);
  });
  // The polling loop: every channel is checked on the same event loop, as in a gateway process.
  await new Promise<void>((done, fail) => {
    const timer = setInterval(() => {
      for (const agent of agents) {
        if (agent.busy || agent.inbox.length === 0) continue;
        agent.busy = true;
        run(agent, agent.inbox.shift()!)
          .then(() => (agent.busy = false))
          .catch((err: unknown) => {
            clearInterval(timer);
            fail(err);
          });
      }
      if (agents.every((a) => a.turns >= TURNS)) {
        clearInterval(timer);
        done();
      }
    }, POLL_MS);
  });
  log({ event: "done", dispatched: Object.fromEntries(agents.map((a) => [a.id, a.turns])) });
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await compiler.close();
    await closeOpenClawPool();
    rmSync(scratch, { recursive: true, force: true });
  });
