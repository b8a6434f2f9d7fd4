/**
 * bench/real-gateway runner: the real OpenClaw gateway (2026.5.12 by default, on the Node 22.16 binary
 * from bench/real-gateway/setup; `--openclaw VERSION` for a release set up with `setup.sh --openclaw
 * VERSION`, on the Node it asks for) against loopback fakes of Telegram and an OpenAI-compatible model,
 * under concurrent load on 5 bots, stock and with ctxc preloaded. See bench/real-gateway/README.md.
 *
 *   node dist/bench/real-gateway/run.js [--openclaw VERSION] [--smoke] [--modes stock,ctxc] [--duration 75] [--out FILE] [--keep]
 *                                       [--profile]   (gateway main thread under V8's sampling profiler; time by category)
 *                                       [--restart]   (then stop it and measure it again, restarted on the same state)
 *                                       [--node-options "…"]   (extra gateway NODE_OPTIONS, for diagnosis)
 *                                       [--node-args "…"]   (extra node arguments before the gateway's entry, e.g.
 *                                                    V8 flags NODE_OPTIONS refuses; its console then goes to a file)
 *                                       [--trace]   (ctxc mode: the preload's call trace, CTXC_OPENCLAW_TRACE=1; the
 *                                                    session-resource-loader stage attributed per prep: stage-trace.ts;
 *                                                    its session write lock's waits and holders: lock-waits.ts)
 *   node dist/bench/real-gateway/run.js --help
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { basename, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FakeModel } from "./fake-model.js";
import { FakeTelegram, type SentMessage } from "./fake-telegram.js";
import { DEFAULT_OPENCLAW, gatewayInstall, storesTranscriptsInSqlite, type GatewayInstall } from "./install-paths.js";
import { buildGatewayHome, generateSeedTranscripts, type AgentPlan } from "./gateway-setup.js";
import { countFallbackLines, fallbackLinesLine, parseCtxcSummary, percentile, readGatewayLog, splitFirstPreps, stageTable, type GatewayDiagnostics, type SlowSessionWrite } from "./log-parse.js";
import { insideAny, summarizeProfile, type ProfileSpan, type ProfileSummary, type SplitSampleHook } from "./profile-summary.js";
import { parseLockTrace, summarizeLockWaits, type LockWaitSummary } from "./lock-waits.js";
import { ownByTurn, type OwnByTurn, type OwnSample, type ProfileClock, type TurnStart } from "./own-by-turn.js";
import { attributeStage, parseCtxcTrace, summarizeAttribution, type AttributionSummary, type StageAttribution } from "./stage-trace.js";
import { restartChecks } from "./restart-checks.js";
import { MemorySampler, type MemorySummary } from "./memory-sampler.js";
import { differenceLines, differingEntries, prefixAgrees, snippetOf, type AppendedDifferences } from "./appended-diff.js";
import { addedEntries, bodyOf, idsOf, keepsBody, keepsPrefix, prefixSha, type AddedMark, type AppendedLinks, type KeptBody } from "./write-check.js";
import { butFor, classifyPlacement, entriesOf, placementLines, placementSummary, type PlacementCheck } from "./mirror-placement.js";

export type { AppendedLinks } from "./write-check.js";

const HERE = dirname(fileURLToPath(import.meta.url));
/** Repo root: this file runs built (dist/bench/real-gateway/) or as TS source under vitest (bench/real-gateway/). */
export const REPO = HERE.split(sep).includes("dist") ? resolve(HERE, "..", "..", "..") : resolve(HERE, "..", "..");
export const SETUP_DIR = join(REPO, "bench", "real-gateway", "setup");
/** The default release's gateway (2026.5.12 on Node 22.16); gatewayInstall() for the others. */
export const NODE22 = gatewayInstall(REPO).node;
export const OPENCLAW = gatewayInstall(REPO).entry;
/** The profiler preload (built) that `--profile` loads into the gateway (cpu-profile-preload.ts). */
const PROFILE_PRELOAD = join(REPO, "dist", "bench", "real-gateway", "cpu-profile-preload.js");
/** The ctxc preload (built). Present only once src/openclaw/register.ts exists. */
export const CTXC_REGISTER = join(REPO, "dist", "src", "openclaw", "register.js");

export type Mode = "stock" | "ctxc";

export interface RunOptions {
  /** OpenClaw release to run (default 2026.5.12); must be set up by setup.sh. */
  openclaw?: string;
  smoke: boolean;
  modes: Mode[];
  /** Load phase length per mode (seconds). Smoke: one message per agent instead. */
  durationS: number;
  /** Pause between a reply and the user's next message (ms). */
  thinkMs: number;
  /**
   * Whether the agents' first turns overlap their later ones (`--first-turns-overlap`; default false). By
   * default no user writes a second message before every agent's first reply arrived (or timed out), so the
   * first-turn profile window holds first turns only: with the overlap, the agents that answered first ran
   * their second turn's stage inside the last agent's first-turn window, and its work was counted as
   * first-turn work (about four later turns in every run before 2026-12-06 17:40 UTC).
   */
  firstTurnsOverlap?: boolean;
  /**
   * Seed transcripts as OpenClaw leaves them after a session's first turn (`--settled-seeds`): no errored
   * assistant turn with empty content for its repair pass to rewrite, and the header's `cwd` the agent's
   * workspace, so 2026.7.35 does not rewrite the header. A first start is then the day ctxc is installed on
   * a gateway in service, not the day transcripts are copied in: its first turns carry no one-time rewrite.
   */
  settledSeeds?: boolean;
  keepDirs: boolean;
  /** NODE_OPTIONS for the gateway process (diagnosis, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"); not used by default. */
  gatewayNodeOptions?: string;
  /**
   * Extra node arguments before the gateway's entry (diagnosis: V8 flags NODE_OPTIONS refuses, e.g.
   * `--trace-deopt`; OpenClaw's own respawn keeps them, as it keeps `process.execArgv`). With them, each
   * gateway process's whole console is written to `console[-restart].log` in the run's folder (see --keep).
   */
  gatewayNodeArgs?: string[];
  /** Run the gateway's main thread under V8's sampling profiler (cpu-profile-preload.ts) and summarise where it spent the time. */
  profile?: boolean;
  /** ctxc mode: run the preload with its call trace on and attribute each prep's session-resource-loader stage (stage-trace.ts). */
  trace?: boolean;
  /**
   * After each mode's measured run, stop the gateway cleanly and start it again on the same state dir and
   * transcripts, and measure that run the same way (ModeResult.restart): what an operator pays after a
   * restart, with OpenClaw's one-time repairs and header rewrites done and ctxc's persistent index written.
   */
  restart?: boolean;
  /** ctxc mode: preload settings for the gateway (`--ctxc-env NAME=VALUE`, names `CTXC_OPENCLAW_*`), e.g. an A/B of a switch. */
  ctxcEnv?: Record<string, string>;
  log: (s: string) => void;
}

/** What the harness measured of one gateway process: its start, its load phase, its stop, and the write check after it. */
export interface RunResult {
  ok: boolean;
  error?: string;
  startupMs: number;
  agents: number;
  messagesSent: number;
  repliesReceived: number;
  replyLatencyMs: { n: number; p50: number; p99: number; max: number };
  perAgentReplies: Record<string, number>;
  longPollTurnaroundMs: { n: number; p50: number; p99: number; max: number };
  updateDeliveryMs: { n: number; p50: number; p99: number; max: number };
  prepStages: ReturnType<typeof stageTable>;
  /**
   * prepStages split: each session's first prep after the gateway started (the first `prep stages` line
   * for its sessionId) vs its later ones. Absent in runs made before the split.
   */
  prepStagesByTurn?: { first: ReturnType<typeof stageTable>; later: ReturnType<typeof stageTable> };
  /** replyLatencyMs split: each agent's first message of the run vs its later ones. Absent before the split. */
  replyLatencyByTurn?: { first: { n: number; p50: number; p99: number; max: number }; later: { n: number; p50: number; p99: number; max: number } };
  startupStages: ReturnType<typeof stageTable>;
  starvationLines: number;
  livenessWarnings: number;
  starvationSamples: string[];
  livenessSamples: string[];
  logErrorsSample: string[];
  telegramCalls: Record<string, number>;
  telegramUnexpected: Record<string, number>;
  modelUnexpected: Record<string, number>;
  modelRequests: { n: number; bytesP50: number; messagesP50: number };
  /**
   * Kinds (`type`, `message:<role>`, `custom:<customType>`) of the entries OpenClaw added in this run
   * (ids not in the seed; after a restart, not in the file the first run left), per agent, in file order.
   */
  appendedEntries: Record<string, string[]>;
  /** Per agent, beside each appended kind, its idempotency key and side mark (AddedMark). Absent before 2026-12-05 09:00. */
  appendedMarks?: Record<string, AddedMark[]>;
  /** Per agent: how the added entries link to earlier ones (AppendedLinks). */
  appendedLinks: Record<string, AppendedLinks>;
  /** Whether the seeded bytes of every transcript are unchanged after the run (false: OpenClaw rewrote the file, e.g. its repair pass). */
  seedPrefixIntact: Record<string, boolean>;
  /**
   * Whether the seeded entries (every line after the session header) are byte-for-byte the start of what
   * follows the file's header after the run. Later releases rewrite the whole file after each turn and
   * may rewrite the header (2026.7.35 sets its `cwd` to the agent's workspace), so this is the check
   * that the rewrite kept every seeded entry as it was.
   */
  seedEntriesIntact: Record<string, boolean>;
  ctxcLog: string[];
  /** ctxc mode: the counters of the preload's `summary` line, written as the process exited (null: none written). Absent in runs made before. */
  ctxcSummary?: Record<string, number> | null;
  /** ctxc mode: the preload's `fallback:` lines by what they say, paths taken out (log-parse.ts `countFallbackLines`). Absent in runs made before. */
  ctxcFallbackLines?: Record<string, number>;
  /** OpenClaw's `session file repaired` lines in this process's log (one-time repairs of the seeded files). Absent in runs made before. */
  sessionRepairs?: number;
  /** How the process stopped: ms from SIGTERM to its exit, and whether it exited by itself within 15 s (false: SIGKILL). Absent in runs made before. */
  stop?: { ms: number; clean: boolean };
  /** The gateway process's RSS (memory-sampler.ts) and OpenClaw's own memory-pressure warnings. Absent in runs made before 2026-12-06 20:00. */
  memory?: MemorySummary;
  /** The machine's 1-minute load average when the load phase started and ended (shared machines: read the numbers with it). */
  loadAverage?: { start: number; end: number };
  /** With `--profile`: the gateway main thread's time by category (profile-summary.ts), during startup and during the load. */
  mainThreadProfile?: { startup: ProfileSummary; load: ProfileSummary; window?: ProfileWindow; byTurn?: ProfileByTurn };
  /**
   * With `--trace` (ctxc mode): each prep's `session-resource-loader` stage attributed from the preload's
   * call trace — ctxc's handler calls (worker queue / work / hop) vs the rest — first turns apart from later ones.
   */
  stageTrace?: { first: AttributionSummary; later: AttributionSummary; traceLines: number };
  /**
   * With `--trace` (ctxc mode): the session write lock's waits inside the stage (lock-waits.ts), first turns
   * apart from later ones, each with the holders met; `holds` covers every acquisition of the run.
   */
  lockWaits?: { first: LockWaitSummary; later: LockWaitSummary; lines: number };
  /**
   * With `--profile --trace` (ctxc mode): ctxc's own handler samples given to the agent turn they served
   * (own-by-turn.ts), where `mainThreadProfile.byTurn` counts whatever ran inside any agent's first-turn window.
   */
  ctxcOwnByTurn?: OwnByTurn;
}

/** One mode's measured run, and with `--restart` the run of the same gateway started again after it. */
export interface ModeResult extends RunResult {
  mode: Mode;
  /**
   * 2026.8+ (SQLite store): how the legacy seeds were imported (`doctor --fix`, and the explicit session
   * import if doctor left them), and the gateway's own `slow SQLite session write` warnings (≥ 1 s;
   * doctor's import lines, which share the log, left out).
   */
  sqlite?: { doctorFixMs: number; importMs: number; slowSessionWrites: SlowSessionWrite[] };
  /** `--restart`: the restarted gateway's run, measured like the first (its first turns are each session's first after the restart). */
  restart?: RestartResult;
}

/** The restarted gateway's run; its write check covers what both runs wrote. */
export interface RestartResult extends RunResult {
  /** Per agent: whether every entry line the first run left (after the header) is, byte for byte, still at the start of what follows the header. */
  firstRunEntriesIntact: Record<string, boolean>;
}

function summary(xs: number[]): { n: number; p50: number; p99: number; max: number } {
  return { n: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99), max: xs.length ? Math.max(...xs) : NaN };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

export function plansFor(smoke: boolean): AgentPlan[] {
  if (smoke) return [{ id: "main", accountId: "default", transcriptBytes: 200_000, userId: 5001 }];
  return [
    { id: "main", accountId: "default", transcriptBytes: 28_000_000, userId: 5001 },
    { id: "sub1", accountId: "sub1", transcriptBytes: 10_000_000, userId: 5002 },
    { id: "sub2", accountId: "sub2", transcriptBytes: 10_000_000, userId: 5003 },
    { id: "sub3", accountId: "sub3", transcriptBytes: 28_000_000, userId: 5004 },
    { id: "sub4", accountId: "sub4", transcriptBytes: 10_000_000, userId: 5005 },
  ];
}

/** Environment for the gateway: isolated home, and off-path subsystems that would reach the network disabled. */
function gatewayEnv(gw: GatewayInstall, root: string, stateDir: string, configPath: string, mode: Mode, ctxcLogFile: string, nodeOptions?: string, trace = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: `${dirname(gw.node)}:${process.env.PATH ?? ""}`,
    HOME: root,
    OPENCLAW_HOME: root,
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    OPENCLAW_NO_RESPAWN: "1",
    OPENCLAW_NO_AUTO_UPDATE: "1",
    OPENCLAW_DISABLE_BONJOUR: "1",
    OPENCLAW_SKIP_GMAIL_WATCHER: "1",
    OPENCLAW_SKIP_CANVAS_HOST: "1",
    OPENCLAW_SKIP_BROWSER_CONTROL_SERVER: "1",
    OPENCLAW_SKIP_ACPX_RUNTIME: "1",
    OPENCLAW_SKIP_ACPX_RUNTIME_PROBE: "1",
    OPENCLAW_SKIP_CRON: "1",
    NO_COLOR: "1",
    TZ: "UTC",
  };
  if (mode === "ctxc") env.CTXC_OPENCLAW_LOG = ctxcLogFile;
  if (mode === "ctxc" && trace) env.CTXC_OPENCLAW_TRACE = "1";
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  return env;
}

/**
 * The main thread's profile written by cpu-profile-preload.ts, summarised over startup and load. The
 * profile's clock starts when the preload ran (`FILE.start`, epoch ms), a little after the spawn at
 * `spawnedAt`; the harness's windows (ms after the spawn) are shifted onto it.
 */
async function mainThreadProfile(file: string, spawnedAt: number, startupMs: number, loadEndMs: number, firstTurns: ProfileSpan[], onLoadSample?: SplitSampleHook): Promise<ModeResult["mainThreadProfile"]> {
  if (!existsSync(file) || !existsSync(`${file}.start`) || !Number.isFinite(startupMs)) return undefined;
  const profileStart = Number(await readFile(`${file}.start`, "utf8"));
  const shift = profileStart - spawnedAt;
  // The first-turn windows are epoch ms of this process's clock (Date.now() when the fake user wrote and
  // when the fake Telegram got the reply); the profile's clock starts at `profileStart`, the same
  // machine's Date.now() in the gateway — one subtraction, no guess (docs/real-gateway.md).
  const window: ProfileWindow = {
    loadFromMs: startupMs - shift,
    loadToMs: Number.isFinite(loadEndMs) ? loadEndMs - shift : null,
    firstTurns: firstTurns.map(([a, b]) => [a - profileStart, b - profileStart] as const),
  };
  return { ...summarizeWindows(file, window, onLoadSample), window };
}

/** The load phase on the profile's own clock (ms after its start), kept so a kept profile can be summarised again. */
export interface ProfileWindow {
  loadFromMs: number;
  /** null: the load did not finish (the profile's end is used). */
  loadToMs: number | null;
  /**
   * Each agent's first turn of the run: from its first message's write to the fake Telegram to the
   * reply's arrival there (or the reply timeout). Absent in runs made before the split.
   */
  firstTurns?: ProfileSpan[];
}

/**
 * The load summary split by turn: samples inside ANY agent's first-turn window (they overlap: all agents
 * start at once, and another agent's work in that time — even its second turn — lands there too) vs the
 * rest of the load phase.
 */
export interface ProfileByTurn {
  firstTurns: ProfileSummary;
  laterTurns: ProfileSummary;
}

/**
 * Startup (profile start → load start) and load summaries of one profile, and the load split by turn when the
 * first turns are known. `onLoadSample` sees each load-phase sample as the load summary counts it (the
 * per-session attribution rides on that pass instead of parsing the profile again).
 */
export function summarizeWindows(file: string, w: ProfileWindow, onLoadSample?: SplitSampleHook): { startup: ProfileSummary; load: ProfileSummary; byTurn?: ProfileByTurn } {
  const to = w.loadToMs ?? Infinity;
  const out = { startup: summarizeProfile(file, 0, w.loadFromMs), load: summarizeProfile(file, w.loadFromMs, to, undefined, onLoadSample) };
  if (!w.firstTurns) return out;
  const inFirst = insideAny(w.firstTurns);
  return { ...out, byTurn: { firstTurns: summarizeProfile(file, w.loadFromMs, to, inFirst), laterTurns: summarizeProfile(file, w.loadFromMs, to, (t) => !inFirst(t)) } };
}

/** Runs the release's CLI with `args` in the isolated home (same env as the gateway, stock); returns its ms. */
async function runOpenclawCommand(gw: GatewayInstall, root: string, stateDir: string, configPath: string, args: string[]): Promise<number> {
  const t0 = Date.now();
  const child = spawn(gw.node, [gw.entry, ...args], { cwd: root, env: gatewayEnv(gw, root, stateDir, configPath, "stock", ""), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out = (out + d.toString("utf8")).slice(-4000)));
  child.stderr!.on("data", (d: Buffer) => (out = (out + d.toString("utf8")).slice(-4000)));
  const code = await new Promise<number | null>((r) => {
    const t = setTimeout(() => child.kill("SIGKILL"), 1_200_000); // doctor --fix imports multi-MB transcripts
    child.once("exit", (c) => { clearTimeout(t); r(c); });
  });
  if (code !== 0) throw new Error(`openclaw ${args.join(" ")} exited with ${code}:\n${out}`);
  return Date.now() - t0;
}

async function waitFor(cond: () => boolean, timeoutMs: number, child: ChildProcess): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    if (child.exitCode !== null) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return cond();
}

/** What runMode sets up once per mode and every gateway process of that mode runs against. */
interface ModeContext {
  mode: Mode;
  opts: RunOptions;
  gw: GatewayInstall;
  plans: AgentPlan[];
  root: string;
  home: Awaited<ReturnType<typeof buildGatewayHome>>;
  tg: FakeTelegram;
  model: FakeModel;
  log: (s: string) => void;
}

/** `first`: the gateway on the freshly seeded home; `restart`: the same gateway started again on what the first left (`--restart`). */
type Phase = "first" | "restart";

/**
 * One gateway process: start it (ctxc mode: with the preload), wait until every bot polls, run the
 * closed-loop load, stop it with SIGTERM (SIGKILL after 15 s), and collect what was measured of THIS
 * process — its part of OpenClaw's log (appended from where the log ended when it started), its own
 * preload log and profile, the fakes' stats since it started. The write checks are the caller's.
 */
async function runGateway(ctx: ModeContext, phase: Phase): Promise<{ run: RunResult; pid: number | undefined; diag: GatewayDiagnostics }> {
  const { mode, opts, gw, plans, root, home, tg, model } = ctx;
  const log = phase === "restart" ? (s: string) => ctx.log(`restart: ${s}`) : ctx.log;
  const suffix = phase === "restart" ? "-restart" : "";
  const ctxcLogFile = join(root, `ctxc${suffix}.log`);
  const profFile = join(root, `main-thread${suffix}.cpuprofile`);
  const logFrom = existsSync(home.logFile) ? (await stat(home.logFile)).size : 0;
  const modelFrom = model.requests.length;
  const modelUnexpectedBefore = { ...model.unexpected };
  const nodeOptions = [opts.gatewayNodeOptions, opts.profile ? `--import=${pathToFileURL(PROFILE_PRELOAD).href}` : undefined].filter(Boolean).join(" ") || undefined;
  const args = [...(opts.gatewayNodeArgs ?? []), ...(mode === "ctxc" ? ["--import", CTXC_REGISTER] : []), gw.entry, "gateway", "run", "--allow-unconfigured", "--port", String(home.gatewayPort), "--bind", "loopback"];
  const started = Date.now();
  const env = gatewayEnv(gw, root, home.stateDir, home.configPath, mode, ctxcLogFile, nodeOptions, opts.trace);
  if (opts.profile) env.CTXC_BENCH_CPU_PROFILE = profFile;
  if (mode === "ctxc") Object.assign(env, opts.ctxcEnv);
  const child = spawn(gw.node, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const memory = child.pid === undefined ? undefined : new MemorySampler(child.pid);
  let consoleTail = "";
  const keep = (d: Buffer) => {
    consoleTail = (consoleTail + d.toString("utf8")).slice(-8000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  if (opts.gatewayNodeArgs?.length) {
    // The diagnosis flags' output (a V8 trace) is the point of the run: all of it, not the tail.
    const consoleFile = createWriteStream(join(root, `console${suffix}.log`));
    child.stdout!.pipe(consoleFile, { end: false });
    child.stderr!.pipe(consoleFile, { end: false });
    child.once("close", () => consoleFile.end());
  }
  const result: RunResult = {
    ok: false, startupMs: NaN, agents: plans.length, messagesSent: 0, repliesReceived: 0, replyLatencyMs: summary([]), perAgentReplies: {},
    longPollTurnaroundMs: summary([]), updateDeliveryMs: summary([]), prepStages: {}, startupStages: {}, starvationLines: 0, livenessWarnings: 0,
    starvationSamples: [], livenessSamples: [], logErrorsSample: [], telegramCalls: {}, telegramUnexpected: {}, modelUnexpected: {},
    modelRequests: { n: 0, bytesP50: NaN, messagesP50: NaN }, appendedEntries: {}, appendedLinks: {}, seedPrefixIntact: {}, seedEntriesIntact: {}, ctxcLog: [],
  };
  const latencies: number[] = [];
  const firstLatencies: number[] = [];
  const laterLatencies: number[] = [];
  /** Each agent's first turn, epoch ms (profile split). */
  const firstTurns: ProfileSpan[] = [];
  /** Every message sent, by agent (own-by-turn.ts: a turn is its session's work until the next one). */
  const turnStarts: TurnStart[] = [];
  let loadEndMs = NaN;
  try {
    const up = await waitFor(() => tg.pollingBots() === plans.length, opts.smoke ? 90_000 : 180_000, child);
    if (!up) throw new Error(`gateway did not start polling all bots (polling=${tg.pollingBots()}, exit=${child.exitCode}); console tail:\n${consoleTail.slice(-3000)}`);
    result.startupMs = Date.now() - started;
    log(`all ${plans.length} bots polling after ${result.startupMs} ms`);
    memory?.markLoadStart();
    const loadStart = loadavg()[0]!;
    const deadline = Date.now() + (opts.smoke ? 0 : opts.durationS * 1000);
    const replyTimeoutMs = opts.smoke ? 90_000 : 120_000;
    // The second messages wait for every agent's first reply (RunOptions.firstTurnsOverlap): a barrier each
    // agent passes once, at its first reply, its reply's timeout, or the end of its load (a failed send).
    let firstLeft = plans.length;
    let allFirstDone!: () => void;
    const allFirst = new Promise<void>((r) => (allFirstDone = r));
    const passFirst = (agent: { passed: boolean }) => {
      if (agent.passed) return;
      agent.passed = true;
      if (--firstLeft === 0) allFirstDone();
    };
    await Promise.all(plans.map(async (p, i) => {
      let n = 0;
      const first = { passed: false };
      result.perAgentReplies[p.id] = 0;
      try {
        do {
          if (n === 1 && !opts.firstTurnsOverlap) {
            await allFirst;
            if (Date.now() >= deadline) break;
          }
          const tag = `${mode}${suffix}-${p.id}-${n++}`;
          const got = new Promise<SentMessage | null>((resolveReply) => {
            const t = setTimeout(() => { off(); resolveReply(null); }, replyTimeoutMs);
            const off = tg.onSent((m) => {
              if (m.botIndex === i && m.chatId === p.userId) { clearTimeout(t); off(); resolveReply(m); }
            });
          });
          const sentAt = tg.userWrites(i, p.userId, `[bench#${tag}] Please give me a one-line status update on the work so far.`);
          result.messagesSent++;
          turnStarts.push({ agent: p.id, n, sentAt });
          const r = await got;
          if (n === 1) {
            firstTurns.push([sentAt, r?.at ?? Date.now()]);
            passFirst(first);
          }
          if (!r) { log(`no reply from ${p.id} within ${replyTimeoutMs} ms (${tag})`); break; }
          latencies.push(r.at - sentAt);
          (n === 1 ? firstLatencies : laterLatencies).push(r.at - sentAt);
          result.repliesReceived++;
          result.perAgentReplies[p.id]!++;
          // Let trailing sends (block replies, typing) of this turn finish before the next message.
          await new Promise((r2) => setTimeout(r2, opts.thinkMs));
        } while (Date.now() < deadline);
      } finally {
        passFirst(first);
      }
    }));
    loadEndMs = Date.now() - started;
    memory?.markLoadEnd();
    result.loadAverage = { start: loadStart, end: loadavg()[0]! };
    result.ok = result.repliesReceived === result.messagesSent && result.messagesSent > 0;
    if (!result.ok) result.error = `replies ${result.repliesReceived}/${result.messagesSent}`;
  } catch (err) {
    result.error = String((err as Error).message ?? err);
    log(result.error);
  } finally {
    // A clean stop (OpenClaw's own SIGTERM handling, the preload's exit line) is what a restart follows.
    const stopAt = Date.now();
    child.kill("SIGTERM");
    const exited = await new Promise<boolean>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r(true);
      const t = setTimeout(() => r(false), 15_000);
      child.once("exit", () => { clearTimeout(t); r(true); });
    });
    if (!exited) {
      child.kill("SIGKILL");
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)));
    }
    result.stop = { ms: Date.now() - stopAt, clean: exited };
  }
  result.replyLatencyMs = summary(latencies);
  result.replyLatencyByTurn = { first: summary(firstLatencies), later: summary(laterLatencies) };
  result.longPollTurnaroundMs = summary(tg.stats.pollTurnaroundMs);
  result.updateDeliveryMs = summary(tg.stats.deliveryDelayMs);
  result.telegramCalls = { ...tg.stats.calls };
  result.telegramUnexpected = { ...tg.stats.unexpected };
  result.modelUnexpected = Object.fromEntries(Object.entries(model.unexpected).map(([k, v]) => [k, v - (modelUnexpectedBefore[k] ?? 0)] as const).filter(([, v]) => v > 0));
  const requests = model.requests.slice(modelFrom);
  result.modelRequests = { n: requests.length, bytesP50: percentile(requests.map((r) => r.bytes), 50), messagesP50: percentile(requests.map((r) => r.messages), 50) };
  const diag: GatewayDiagnostics = await readGatewayLog(home.logFile, logFrom);
  result.prepStages = stageTable(diag.stageSummaries, "prep");
  const preps = splitFirstPreps(diag.stageSummaries);
  result.prepStagesByTurn = { first: stageTable(preps.first, "prep"), later: stageTable(preps.later, "prep") };
  result.startupStages = stageTable(diag.stageSummaries, "startup");
  result.starvationLines = diag.starvation.length;
  result.livenessWarnings = diag.liveness.length;
  result.starvationSamples = diag.starvation.slice(0, 5);
  result.livenessSamples = diag.liveness.slice(0, 5);
  result.logErrorsSample = diag.errors.slice(0, 20);
  result.sessionRepairs = diag.sessionRepairs;
  if (memory) {
    result.memory = memory.stop(diag.memoryPressure);
    const m = result.memory;
    log(`memory: RSS ${m.afterStartupMiB} MiB after start-up, load p50 ${m.loadP50MiB} / max ${m.loadMaxMiB}, peak ${m.peakMiB} MiB; OpenClaw memory-pressure lines ${JSON.stringify(m.pressureLines)}`);
  }
  // ctxc's own handler samples of the load phase, for the per-session attribution once the trace is read.
  const ownSamples: OwnSample[] = [];
  if (opts.profile) {
    result.mainThreadProfile = await mainThreadProfile(profFile, started, result.startupMs, loadEndMs, firstTurns, (monoUs, fn, dtMs) => {
      if (fn.startsWith("ctxc ")) ownSamples.push({ monoUs, fn, dtMs });
    });
    if (!result.mainThreadProfile) log(`--profile: no main-thread profile at ${profFile}${existsSync(`${profFile}.error`) ? ` (${await readFile(`${profFile}.error`, "utf8")})` : ""}`);
  }
  if (existsSync(ctxcLogFile)) {
    const lines = (await readFile(ctxcLogFile, "utf8")).split("\n").filter(Boolean);
    // The trace's lines (one per call) are summarised, not kept.
    result.ctxcLog = lines.filter((l) => !l.includes(" ctxc-openclaw trace: ")).slice(0, 200);
    // Read from every line: the summary comes last, after any number of fallback lines.
    result.ctxcSummary = parseCtxcSummary(lines);
    result.ctxcFallbackLines = countFallbackLines(lines);
    if (opts.trace) {
      const trace = parseCtxcTrace(lines);
      const by = (ss: typeof preps.first) => ss.map((s) => attributeStage(s, trace)).filter((a): a is StageAttribution => a !== null);
      result.stageTrace = { first: summarizeAttribution(by(preps.first)), later: summarizeAttribution(by(preps.later)), traceLines: trace.calls.length + trace.fns.length };
      const locks = parseLockTrace(lines);
      result.lockWaits = { first: summarizeLockWaits(preps.first, locks), later: summarizeLockWaits(preps.later, locks), lines: locks.grants.length + locks.releases.length };
      const w = result.mainThreadProfile?.window;
      if (w && existsSync(`${profFile}.clock`)) {
        const clock = JSON.parse(await readFile(`${profFile}.clock`, "utf8")) as ProfileClock;
        const sessions = new Map(plans.map((p) => [basename(home.transcripts.get(p.id)!, ".jsonl"), p.id] as const));
        result.ctxcOwnByTurn = ownByTurn(ownSamples, clock, trace, sessions, turnStarts);
        const o = result.ctxcOwnByTurn;
        log(`ctxc's own main-thread ms per turn, by the traced session: first ${o.first.perTurnMs.toFixed(1)} (${o.first.turns} turns), later ${o.later.perTurnMs.toFixed(1)} (${o.later.turns}); before the first message ${o.beforeFirstMs}, untraced ${o.untracedMs}, ambiguous ${o.ambiguousMs}, other files ${o.otherFileMs}; placed by the latest resumption ${o.byResumeMs}`);
      }
    }
  }
  if (!result.ok) log(`console tail:\n${consoleTail.slice(-2000)}`);
  return { run: result, pid: child.pid, diag };
}

/** Per agent, the transcript's bytes as one run left them: the ids in it and its body (lines after the header), for the next run's checks. */
type Snapshot = Map<string, { ids: Set<string>; body: KeptBody; seedBody: KeptBody }>;

/**
 * Per run, per agent, short redacted snippets of the appended entries (appended-diff.ts). Kept in memory
 * only, beside the result: the folders are gone when the modes are compared, and only the snippets of
 * entries that differ go into the result json.
 */
const appendedSnippetsOf = new WeakMap<RunResult, Record<string, string[]>>();

/**
 * The JSONL write check after a run, into `run`: per agent, what was added since `known` (the seed's ids;
 * after a restart, those of the file the first run left), how it links, whether the seeded bytes and
 * entries are intact — and with `before` (the first run's snapshot), whether everything the first run
 * left is still there, byte for byte. Returns the files' snapshot.
 */
async function writeCheck(
  run: RunResult,
  plans: AgentPlan[],
  files: Map<string, string>,
  seeds: Map<string, { path: string; bytes: number }>,
  seedHash: Map<string, string>,
  known: Snapshot,
  before?: { snapshot: Snapshot; kept: Record<string, boolean> },
): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const p of plans) {
    const f = files.get(p.id)!;
    if (!existsSync(f)) {
      run.appendedEntries[p.id] = ["<missing>"];
      run.appendedLinks[p.id] = { entries: 0, dangling: 0, parentIsPrevious: 0 };
      run.seedPrefixIntact[p.id] = run.seedEntriesIntact[p.id] = false;
      if (before) before.kept[p.id] = false;
      continue;
    }
    const buf = await readFile(f);
    const text = buf.toString("utf8");
    const added = addedEntries(text, known.get(p.id)!.ids);
    run.appendedEntries[p.id] = added.kinds;
    (run.appendedMarks ??= {})[p.id] = added.marks;
    const snippets = appendedSnippetsOf.get(run) ?? {};
    snippets[p.id] = added.lines.map(snippetOf);
    appendedSnippetsOf.set(run, snippets);
    run.appendedLinks[p.id] = added.links;
    run.seedPrefixIntact[p.id] = keepsPrefix(buf, seeds.get(p.id)!.bytes, seedHash.get(p.id)!);
    run.seedEntriesIntact[p.id] = keepsBody(known.get(p.id)!.seedBody, buf);
    if (before) before.kept[p.id] = keepsBody(before.snapshot.get(p.id)!.body, buf);
    out.set(p.id, { ids: idsOf(text), body: bodyOf(buf), seedBody: known.get(p.id)!.seedBody });
  }
  return out;
}

export async function runMode(mode: Mode, opts: RunOptions, seedCache: string): Promise<ModeResult> {
  const log = (s: string) => opts.log(`[${mode}] ${s}`);
  const gw = gatewayInstall(REPO, opts.openclaw);
  const plans = plansFor(opts.smoke);
  const seeds = await generateSeedTranscripts(seedCache, plans, { settled: opts.settledSeeds });
  const root = await mkdtemp(join(tmpdir(), `ctxc-rg-${mode}-`));
  const tg = new FakeTelegram(plans.length);
  const model = new FakeModel();
  const apiRoot = await tg.start();
  const baseUrl = await model.start();
  const home = await buildGatewayHome({ root, plans, bots: tg.bots, telegramApiRoot: apiRoot, modelBaseUrl: baseUrl, gatewayPort: await freePort(), seeds, bootstrapChars: 11_800, settled: opts.settledSeeds });
  const seedHash = new Map<string, string>();
  for (const p of plans) seedHash.set(p.id, await prefixSha(home.transcripts.get(p.id)!, seeds.get(p.id)!.bytes));
  // A real install has a persisted plugin registry (`openclaw plugins registry --refresh`, also run by
  // OpenClaw's own setup flows). Without it, OpenClaw re-derives the plugin index from the file tree on
  // every lookup — many times per turn, on the main thread — which is not the situation being reproduced.
  // 2026.8+ keeps transcripts in SQLite and refuses to start on a legacy store; its gateway also rewrites
  // a legacy config (agents.list → agents.entries) and then drains for a restart. So seed the way an
  // upgrading user is told to: `doctor --fix` (config), then the session import if doctor left the
  // JSONL + sessions.json in place (docs/sqlite-store.md). The JSONL files move to an archive.
  const sqlite = storesTranscriptsInSqlite(gw.openclaw);
  let seeding: { doctorFixMs: number; importMs: number } | undefined;
  if (sqlite) {
    const fixMs = await runOpenclawCommand(gw, root, home.stateDir, home.configPath, ["doctor", "--fix", "--non-interactive"]);
    const db = join(home.stateDir, "agents", plans[0]!.id, "agent", "openclaw-agent.sqlite");
    const legacyLeft = plans.some((p) => existsSync(home.transcripts.get(p.id)!));
    const importMs = legacyLeft ? await runOpenclawCommand(gw, root, home.stateDir, home.configPath, ["doctor", "--session-sqlite", "import", "--non-interactive"]) : 0;
    seeding = { doctorFixMs: fixMs, importMs };
    log(`doctor --fix in ${fixMs} ms; ${legacyLeft ? `legacy sessions imported (doctor --session-sqlite import) in ${importMs} ms` : "sessions imported by doctor --fix"}; store ${existsSync(db) ? "present" : "MISSING"}`);
  }
  const registryMs = await runOpenclawCommand(gw, root, home.stateDir, home.configPath, ["plugins", "registry", "--refresh"]);
  log(`openclaw ${gw.openclaw} on node ${gw.nodeVersion}; persisted plugin registry written in ${registryMs} ms`);
  const ctx: ModeContext = { mode, opts, gw, plans, root, home, tg, model, log };
  let result: ModeResult;
  try {
    const first = await runGateway(ctx, "first");
    result = { mode, ...first.run };
    if (seeding) result.sqlite = { ...seeding, slowSessionWrites: first.diag.slowSessionWrites.filter((w) => w.pid === first.pid) };
    // The JSONL write check reads the transcript files; a SQLite-era store has none (not checked there).
    const jsonl = sqlite ? [] : plans;
    const seeded: Snapshot = new Map();
    for (const p of jsonl) {
      const buf = await readFile(seeds.get(p.id)!.path);
      seeded.set(p.id, { ids: idsOf(buf.toString("utf8")), body: bodyOf(buf), seedBody: bodyOf(buf) });
    }
    const afterFirst = await writeCheck(result, jsonl, home.transcripts, seeds, seedHash, seeded);
    if (opts.restart) {
      // The same home, state dir and transcripts, the same fakes (Telegram's update ids carry on): only
      // the gateway process is new — OpenClaw's one-time repairs and header rewrites are done, and in
      // the ctxc mode the persistent index the first process wrote is under the state dir.
      tg.newRun();
      const again = await runGateway(ctx, "restart");
      const kept: Record<string, boolean> = {};
      await writeCheck(again.run, jsonl, home.transcripts, seeds, seedHash, afterFirst, { snapshot: afterFirst, kept });
      result.restart = { ...again.run, firstRunEntriesIntact: kept };
      const restartSnippets = appendedSnippetsOf.get(again.run);
      if (restartSnippets) appendedSnippetsOf.set(result.restart, restartSnippets);
      if (!again.run.ok && result.ok) {
        result.ok = false;
        result.error = `restart: ${again.run.error}`;
      }
    }
  } finally {
    await tg.close();
    await model.close();
  }
  if (opts.keepDirs) log(`kept ${root}`);
  else await rm(root, { recursive: true, force: true });
  return result;
}

/**
 * Same kinds of entries in the same order, per agent, ignoring how many turns each run managed and how
 * many assistant entries a turn produced: under closed-loop load a user's next message can arrive while
 * a reply is still streaming, and OpenClaw then writes two assistant entries in a row — a matter of
 * timing, not of who loaded the transcript. Runs of one kind are therefore collapsed before comparing.
 * With `marks` (each entry's key and side mark), an agent whose kinds differ only in where a keyed
 * delivery mirror landed — a side branch in one mode, the main run in the other, the same key in both —
 * is PLACEMENT ONLY, named in `detail` and `placement`, and does not fail the check (mirror-placement.ts).
 */
export function compareAppended(
  a: Record<string, string[]>,
  b: Record<string, string[]>,
  snippets?: { stock?: Record<string, string[]>; ctxc?: Record<string, string[]> },
  marks?: { stock?: Record<string, AddedMark[]>; ctxc?: Record<string, AddedMark[]> },
): { same: boolean; detail: Record<string, string>; differences?: AppendedDifferences; placement?: Record<string, PlacementCheck> } {
  const detail: Record<string, string> = {};
  const differences: AppendedDifferences = {};
  const placement: Record<string, PlacementCheck> = {};
  let same = true;
  for (const id of Object.keys(a)) {
    // Only the turns both runs completed can be compared: a later turn may write kinds (e.g. a runtime
    // context message) the shorter run never reached.
    const { agrees, runs, common } = prefixAgrees(a[id] ?? [], b[id] ?? []);
    const [ms, mc] = [marks?.stock?.[id], marks?.ctxc?.[id]];
    // With each entry's key and side mark (results since 2026-12-05 09:00): where a keyed mirror landed is told apart (mirror-placement.ts).
    const check = ms && mc ? classifyPlacement(entriesOf(a[id] ?? [], ms), entriesOf(b[id] ?? [], mc)) : undefined;
    if (check) placement[id] = check;
    const verdict = check?.verdict ?? (agrees ? "same" : "different");
    if (verdict === "different") {
      same = false;
      differences[id] = differingEntries({ kinds: a[id] ?? [], snippets: snippets?.stock?.[id] }, { kinds: b[id] ?? [], snippets: snippets?.ctxc?.[id] });
    }
    const counts = `stock ${runs[0]} runs of entries, ctxc ${runs[1]}; common prefix ${common} ${agrees ? "equal" : "differs"}`;
    detail[id] =
      verdict === "placementOnly"
        ? `PLACEMENT ONLY (${counts}; equal without the keyed mirrors and their side-branch leaf controls: ${placementSummary(check!)})`
        : verdict === "heartbeatOnly"
          ? `HEARTBEAT ONLY (${counts}; equal without OpenClaw's heartbeat turns, stock ${check!.heartbeatTurns!.stock}, ctxc ${check!.heartbeatTurns!.ctxc}${check!.busyNotices ? ` (with the "still shutting down" replies to messages that met one, stock ${check!.busyNotices.stock}, ctxc ${check!.busyNotices.ctxc})` : ""}${check!.moved.length ? `, and keyed mirror placement: ${placementSummary(check!)}` : ""})`
          : `${verdict === "same" ? "same" : "DIFFERENT"} (${counts})`;
  }
  const withPlacement = Object.keys(placement).length ? { placement } : {};
  return same ? { same, detail, ...withPlacement } : { same, detail, differences, ...withPlacement };
}

/** A comparison's verdict in the log: "DIFFER", "same kinds and order", or that but for keyed mirror placement / heartbeat turns. */
function verdictWord(check: ReturnType<typeof compareAppended>): string {
  if (!check.same) return "DIFFER";
  const but = butFor(check.placement);
  return but ? `same kinds and order but for ${but}` : "same kinds and order";
}


/** compareAppended of two runs (stock, ctxc), with the snippets their write checks kept. */
function compareRuns(stock: RunResult, ctxc: RunResult): ReturnType<typeof compareAppended> {
  return compareAppended(stock.appendedEntries, ctxc.appendedEntries, { stock: appendedSnippetsOf.get(stock), ctxc: appendedSnippetsOf.get(ctxc) }, { stock: stock.appendedMarks, ctxc: ctxc.appendedMarks });
}

/** `run.js --help`. */
export const USAGE = `Usage: node dist/bench/real-gateway/run.js [options]

The real OpenClaw gateway against loopback fakes of Telegram and a model, under closed-loop load on 5
bots (28/10/10/28/10 MB transcripts), stock and with ctxc preloaded. See bench/real-gateway/README.md.

  --openclaw VERSION   release to run (default ${DEFAULT_OPENCLAW}; others: bench/real-gateway/setup.sh --openclaw VERSION)
  --modes LIST         stock, ctxc or stock,ctxc (default), run one after the other
  --duration S         load phase per run, seconds (default 75)
  --think-ms N         pause after each reply before the user writes again (default 500)
  --first-turns-overlap  let an agent write its second message before every agent's first reply arrived
                       (the load before 2026-12-06; by default the second messages wait for all first
                       replies, so the first-turn profile window holds first turns only)
  --settled-seeds      transcripts as OpenClaw leaves them after a first turn (nothing for its repair pass,
                       the header's cwd the agent's workspace): a first start is then the day ctxc is
                       installed on a gateway in service, with no one-time rewrite in its first turns
  --smoke              1 agent, 200 KB transcript, 1 message per run
  --profile            the gateway's main thread under V8's sampling profiler: time by owner and function
  --restart            after each mode's measured run, stop the gateway (SIGTERM) and start it again on the
                       same state dir and transcripts; measure that run the same way (result: each mode's
                       "restart"): each agent's first turn after a restart, with OpenClaw's one-time repairs
                       and header rewrites done and ctxc's persistent index written by the first run
  --trace              ctxc mode: the preload's call trace (CTXC_OPENCLAW_TRACE=1); each prep's
                       session-resource-loader stage split into ctxc's calls (queue, work, hop) and the rest,
                       and its session write lock's wait, retries and holder
  --out FILE           results JSON (default bench/results/real-gateway-<version>.json; smoke: .smoke.tmp.json)
  --keep               keep the temporary OpenClaw home (logs, transcripts, profiles) and print where
  --node-options "…"   extra NODE_OPTIONS for the gateway (diagnosis)
  --node-args "…"      extra node arguments before the gateway's entry (diagnosis: V8 flags NODE_OPTIONS
                       refuses, e.g. --trace-deopt); each gateway's whole console goes to console[-restart].log
                       in the run's folder (with --keep, kept)
  --ctxc-env NAME=VAL  ctxc mode: a preload setting for the gateway (NAME starts with CTXC_OPENCLAW_; the
                       gateway's environment is otherwise isolated), e.g. CTXC_OPENCLAW_KEPT_KEYS=0; repeatable;
                       recorded in the results JSON as "ctxcEnv"
  --help               this text
`;

/** A command-line mistake: reported in one line, in the flag's words, without a stack. */
class UsageError extends Error {}

function parseArgs(argv: string[]): RunOptions & { out: string | null; help?: boolean } {
  const o: RunOptions & { out: string | null; help?: boolean } = { smoke: false, modes: ["stock", "ctxc"], durationS: 75, thinkMs: 500, keepDirs: false, log: (s) => console.log(s), out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--smoke") o.smoke = true;
    else if (a === "--modes") o.modes = argv[++i]!.split(",") as Mode[];
    else if (a === "--duration") o.durationS = Number(argv[++i]);
    else if (a === "--think-ms") o.thinkMs = Number(argv[++i]);
    else if (a === "--first-turns-overlap") o.firstTurnsOverlap = true;
    else if (a === "--settled-seeds") o.settledSeeds = true;
    else if (a === "--keep") o.keepDirs = true;
    else if (a === "--out") o.out = argv[++i]!;
    else if (a === "--node-options") o.gatewayNodeOptions = argv[++i]!;
    else if (a === "--node-args") o.gatewayNodeArgs = argv[++i]!.split(/\s+/).filter(Boolean);
    else if (a === "--profile") o.profile = true;
    else if (a === "--openclaw") o.openclaw = argv[++i]!;
    else if (a === "--trace") o.trace = true;
    else if (a === "--restart") o.restart = true;
    else if (a === "--ctxc-env") {
      const kv = argv[++i] ?? "";
      const eq = kv.indexOf("=");
      const name = eq > 0 ? kv.slice(0, eq) : "";
      if (!name.startsWith("CTXC_OPENCLAW_")) throw new UsageError(`--ctxc-env takes NAME=VALUE with NAME starting CTXC_OPENCLAW_ (got "${kv}")`);
      (o.ctxcEnv ??= {})[name] = kv.slice(eq + 1);
    }
    else if (a === "--help" || a === "-h") o.help = true;
    else throw new UsageError(`unknown argument ${a}`);
  }
  return o;
}

export async function runBench(opts: RunOptions): Promise<{
  modes: ModeResult[];
  transcriptCheck: ReturnType<typeof compareAppended> | null;
  /** `--restart`, both modes: the restarted gateways' appended entries, ctxc vs stock (compareAppended). */
  restartTranscriptCheck?: ReturnType<typeof compareAppended> | null;
}> {
  const gw = gatewayInstall(REPO, opts.openclaw);
  if (!gw.installed) {
    const setup = gw.openclaw === DEFAULT_OPENCLAW ? "bench/real-gateway/setup.sh" : `bench/real-gateway/setup.sh --openclaw ${gw.openclaw}`;
    throw new Error(`setup missing for openclaw ${gw.openclaw}: run ${setup} (looked for ${gw.node} and ${gw.entry})`);
  }
  const seedCache = join(SETUP_DIR, "seed-cache");
  await mkdir(seedCache, { recursive: true });
  const modes: ModeResult[] = [];
  for (const m of opts.modes) {
    if (m === "ctxc" && !existsSync(CTXC_REGISTER)) {
      opts.log(`[ctxc] skipped: ${CTXC_REGISTER} not built (src/openclaw/register.ts missing)`);
      continue;
    }
    modes.push(await runMode(m, opts, seedCache));
  }
  const stock = modes.find((m) => m.mode === "stock");
  const ctxc = modes.find((m) => m.mode === "ctxc");
  const transcriptCheck = stock && ctxc ? compareRuns(stock, ctxc) : null;
  if (!opts.restart) return { modes, transcriptCheck };
  return { modes, transcriptCheck, restartTranscriptCheck: stock?.restart && ctxc?.restart ? compareRuns(stock.restart, ctxc.restart) : null };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  const r = await runBench(opts);
  const gw = gatewayInstall(REPO, opts.openclaw);
  const doc = { bench: "real-gateway", openclaw: gw.openclaw, node: gw.nodeVersion, smoke: opts.smoke, durationS: opts.smoke ? 0 : opts.durationS, date: new Date().toISOString(), firstTurnsApart: !opts.firstTurnsOverlap && !opts.smoke, ...(opts.settledSeeds ? { settledSeeds: true } : {}), ...(opts.ctxcEnv ? { ctxcEnv: opts.ctxcEnv } : {}), ...r };
  const out = opts.out ?? join(REPO, "bench", "results", `real-gateway-${gw.openclaw}${opts.smoke ? ".smoke.tmp" : ""}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(doc, null, 2) + "\n");
  console.log(`wrote ${out}`);
  const printRun = (label: string, m: RunResult) => {
    console.log(`${label}: ok=${m.ok} replies ${m.repliesReceived}/${m.messagesSent} latency p50=${m.replyLatencyMs.p50} p99=${m.replyLatencyMs.p99} ms; starvation=${m.starvationLines} liveness=${m.livenessWarnings}; startup ${m.startupMs} ms; OpenClaw repairs ${m.sessionRepairs}`);
    for (const [k, v] of Object.entries(m.prepStages)) console.log(`  prep ${k}: n=${v.n} p50=${v.p50} p99=${v.p99}`);
    for (const t of ["first", "later"] as const) {
      const v = m.prepStagesByTurn?.[t];
      console.log(`  ${t} turns: reply n=${m.replyLatencyByTurn?.[t].n} p50=${m.replyLatencyByTurn?.[t].p50}; prep session-resource-loader n=${v?.["session-resource-loader"]?.n ?? 0} p50=${v?.["session-resource-loader"]?.p50}; prep (total) p50=${v?.["(total)"]?.p50}`);
    }
    for (const t of ["first", "later"] as const) {
      const a = m.stageTrace?.[t];
      if (a) console.log(`  ${t} turns, session-resource-loader from the trace (${a.preps} preps, ms sum / p50): wall ${a.wallMs.sum}/${a.wallMs.p50}; ctxc calls ${a.ctxcMs.sum}/${a.ctxcMs.p50} (worker queue ${a.queueMs.sum}, work ${a.workMs.sum}, hop ${a.hopMs.sum}); of them OpenClaw's own bodies (fallbacks) ${a.stockMs.sum}/${a.stockMs.p50}; rest ${a.restMs.sum}/${a.restMs.p50}; by op ${JSON.stringify(a.byOp)}`);
    }
    for (const t of ["first", "later"] as const) {
      const l = m.lockWaits?.[t];
      if (l) console.log(`  ${t} turns, the stage's session write lock (${l.found} of ${l.preps} preps): wait p50=${l.wait.p50} p99=${l.wait.p99}; contended ${l.contended}; tries p50=${l.tries.p50} max=${l.tries.max}; lag p50=${l.lag.p50}; holders ${JSON.stringify(l.holders)}`);
    }
    if (m.mainThreadProfile) console.log(`  main thread during load (ms of ${m.mainThreadProfile.load.windowMs}): ${JSON.stringify(m.mainThreadProfile.load.ms)}`);
    if (m.ctxcSummary) console.log(`  ctxc summary: ${Object.entries(m.ctxcSummary).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    if (m.ctxcFallbackLines && Object.keys(m.ctxcFallbackLines).length) console.log(`  ${fallbackLinesLine("ctxc fallback lines", m.ctxcFallbackLines)}`);
  };
  for (const m of r.modes) {
    printRun(m.mode, m);
    if (m.restart) printRun(`${m.mode} after restart`, m.restart);
    for (const c of restartChecks(m)) console.log(`  restart check: ${c.ok ? "ok  " : "FAIL"} ${c.name} (${c.detail})`);
  }
  for (const m of r.modes) console.log(`${m.mode} appended entries: ${Object.entries(m.appendedLinks).map(([k, v]) => `${k} ${v.entries} (dangling parentId ${v.dangling}, parent = previous line ${v.parentIsPrevious}, repeated idempotency keys ${v.repeatedKeys ?? "?"})`).join("; ")}`);
  if (r.transcriptCheck) console.log(`transcripts: ${verdictWord(r.transcriptCheck)} ${JSON.stringify(r.transcriptCheck.detail)}`);
  for (const l of [...placementLines(r.transcriptCheck?.placement), ...differenceLines(r.transcriptCheck?.differences ?? {})]) console.log(l);
  if (r.restartTranscriptCheck) console.log(`transcripts after restart: ${verdictWord(r.restartTranscriptCheck)} ${JSON.stringify(r.restartTranscriptCheck.detail)}`);
  for (const l of [...placementLines(r.restartTranscriptCheck?.placement), ...differenceLines(r.restartTranscriptCheck?.differences ?? {})]) console.log(l);
  if (r.modes.some((m) => !m.ok || restartChecks(m).some((c) => !c.ok)) || r.restartTranscriptCheck?.same === false) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    if (err instanceof UsageError) {
      console.error(`run.js: ${err.message} (--help lists the options)`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}
