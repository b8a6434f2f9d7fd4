/**
 * Summarises a kept `--profile` run again with the current profile-summary.ts, so a change to the
 * attribution (categories, anonymous frames named by their enclosing function) can be compared on the
 * same samples instead of a new run on a differently loaded machine.
 *
 *     node dist/bench/real-gateway/resummarize.js --from-dir DIR
 *         [--results bench/results/real-gateway-2026.7.35.json --mode ctxc [--out FILE]]
 *         [--window FROM_MS,TO_MS] [--run restart]
 *
 * DIR is a run's kept home (`run.js --profile --keep`) or a copy of it: `main-thread.cpuprofile`
 * (+ `.start`) and `openclaw.log`. The window summarised (ms on the profile's own clock):
 * - with `--results` and `--mode`: the load window that run recorded for that mode (`mainThreadProfile.window`,
 *   first turns included), its turn count (preps logged in the load), and its stored summary is printed
 *   as "before"; `--out` writes the results file with that mode's profile summaries replaced (then
 *   `render.js` renders them);
 * - with `--window`: that span;
 * - otherwise the whole profile (startup included), per turn over every prep in `openclaw.log`.
 * `--run restart`: the restarted gateway's profile of a `run.js --restart` run (`main-thread-restart.cpuprofile`,
 * the results' `restart` of that mode); without results its per-turn figures divide by every prep in
 * `openclaw.log`, which both processes wrote.
 * The profile must be that run's: nothing here can tell two runs' profiles apart.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseGatewayLog } from "./log-parse.js";
import type { ProfileSummary } from "./profile-summary.js";
import { summarizeWindows, type ModeResult, type ProfileWindow, type RunResult } from "./run.js";

/** Longest a whole harness run (setup, both modes, seeding) is taken to last. */
const RUN_SPAN_MS = 3 * 3600_000;

interface Args {
  dir: string;
  results?: string;
  mode?: string;
  out?: string;
  window?: ProfileWindow;
  /** Which gateway process of a `--restart` run (default the first). */
  run?: "first" | "restart";
}

function parseArgs(argv: string[]): Args {
  const a: Partial<Args> = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === "--from-dir") a.dir = v;
    else if (k === "--results") a.results = v;
    else if (k === "--mode") a.mode = v;
    else if (k === "--out") a.out = v;
    else if (k === "--run") {
      if (v !== "first" && v !== "restart") throw new Error(`--run first|restart: got ${v}`);
      a.run = v;
    }
    else if (k === "--window") {
      const [from, to] = v.split(",").map(Number);
      if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error(`--window FROM_MS,TO_MS: got ${v}`);
      a.window = { loadFromMs: from!, loadToMs: to! };
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!a.dir) throw new Error("--from-dir DIR is required");
  if ((a.results === undefined) !== (a.mode === undefined)) throw new Error("--results and --mode go together");
  if (a.out && !a.results) throw new Error("--out writes a results file: give --results and --mode");
  return a as Args;
}

/** Category rows, before (if known) → after, in ms and ms per turn; then the by-function rows that changed. */
export function compareSummaries(after: ProfileSummary, turns: number, before?: ProfileSummary): string {
  const L: string[] = [];
  const fmt = (x: number | undefined) => (x === undefined ? "–" : String(Math.round(x)));
  const per = (x: number | undefined) => (x === undefined ? "–" : (x / Math.max(1, turns)).toFixed(1));
  L.push(`window ${after.windowMs} ms, ${turns} turns (preps); busy ${(after.busyShare * 100).toFixed(1)} %`);
  L.push(`| category | ${before ? "before ms | before ms/turn | " : ""}after ms | after ms/turn |`);
  const cats = [...new Set([...Object.keys(after.ms), ...Object.keys(before?.ms ?? {})])].sort((a, b) => (after.ms[b] ?? 0) - (after.ms[a] ?? 0));
  for (const c of cats) {
    const b = before ? `${fmt(before.ms[c] ?? 0)} | ${per(before.ms[c] ?? 0)} | ` : "";
    L.push(`| ${c} | ${b}${fmt(after.ms[c] ?? 0)} | ${per(after.ms[c] ?? 0)} |`);
  }
  const transcript = (s: ProfileSummary) => Object.entries(s.ms).filter(([c]) => c.startsWith("transcript")).reduce((a, [, v]) => a + v, 0);
  L.push(`| **all transcript categories** | ${before ? `${fmt(transcript(before))} | ${per(transcript(before))} | ` : ""}${fmt(transcript(after))} | ${per(transcript(after))} |`);
  const cut = after.asyncCutFsStreamReads;
  if (cut) L.push(`of "other": ${cut.ms} ms of fs stream reads with no owner on the stack; fs stream data goes to: ${cut.consumers.join(", ") || "none"}`);
  if (after.anonymousOpenClaw) L.push(`anonymous innermost OpenClaw frames: ${after.anonymousOpenClaw.namedMs} ms charged to their enclosing function, ${after.anonymousOpenClaw.unnamedMs} ms left as they are`);
  L.push("", "| function | " + (before ? "before ms | " : "") + "after ms | after ms/turn |");
  const fns = [...new Set([...Object.keys(after.transcriptByFunction), ...Object.keys(before?.transcriptByFunction ?? {})])];
  fns.sort((a, b) => (after.transcriptByFunction[b] ?? 0) - (after.transcriptByFunction[a] ?? 0));
  for (const f of fns.slice(0, 30)) L.push(`| ${f} | ${before ? `${fmt(before.transcriptByFunction[f] ?? 0)} | ` : ""}${fmt(after.transcriptByFunction[f] ?? 0)} | ${per(after.transcriptByFunction[f] ?? 0)} |`);
  return L.join("\n");
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const restart = args.run === "restart";
  const profileName = restart ? "main-thread-restart.cpuprofile" : "main-thread.cpuprofile";
  const profile = join(args.dir, profileName);
  if (!existsSync(profile)) throw new Error(`no ${profileName} in ${args.dir}`);
  const logPath = join(args.dir, "openclaw.log");
  const preps = existsSync(logPath) ? parseGatewayLog(readFileSync(logPath, "utf8")).stageSummaries.filter((s) => s.kind === "prep").length : 0;
  type Doc = { date: string; modes: ModeResult[] };
  const doc = args.results ? (JSON.parse(readFileSync(args.results, "utf8")) as Doc) : undefined;
  // The results are written when the whole run ends; a profile of that run started before, within its
  // modes' runs (well under RUN_SPAN_MS). Anything else is another run's window applied to this profile.
  const started = doc && existsSync(`${profile}.start`) ? Number(readFileSync(`${profile}.start`, "utf8")) : NaN;
  if (doc && !(started <= Date.parse(doc.date) && started > Date.parse(doc.date) - RUN_SPAN_MS)) {
    console.warn(`warning: the profile started ${new Date(started).toISOString()}, not in the run that wrote ${args.results} (${doc.date}): its window may not fit`);
  }
  const modeResult = doc?.modes.find((m) => m.mode === args.mode);
  if (doc && !modeResult) throw new Error(`${args.results} has no mode ${args.mode}`);
  const mode: RunResult | undefined = restart ? modeResult?.restart : modeResult;
  if (doc && !mode) throw new Error(`${args.results} ${args.mode}: no restart run (not a run.js --restart run)`);
  if (mode && !mode.mainThreadProfile?.window) throw new Error(`${args.results} ${args.mode}: no recorded profile window (a run before windows were kept)`);
  const window: ProfileWindow = args.window ?? mode?.mainThreadProfile?.window ?? { loadFromMs: 0, loadToMs: null };
  const summaries = summarizeWindows(profile, window);
  // The report's per-turn figures divide by the preps OpenClaw logged in the load (run.ts).
  const turns = mode?.prepStages["(total)"]?.n ?? preps;
  const source = args.window ? "--window" : mode ? `${args.results} ${args.mode}${restart ? " restart" : ""}` : "whole profile";
  console.log(`${profile} (${source}: ${window.loadFromMs} → ${window.loadToMs ?? "end"} ms)`);
  console.log(compareSummaries(summaries.load, turns, args.window ? undefined : mode?.mainThreadProfile?.load));
  if (args.out && doc && mode) {
    mode.mainThreadProfile = { ...summaries, window };
    writeFileSync(args.out, JSON.stringify(doc, null, 2) + "\n");
    console.log(`wrote ${args.out}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
