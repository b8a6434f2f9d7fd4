/**
 * Renders the real-gateway results as the "Real gateway" sections of bench/RESULTS.md: stage p50/p99
 * and reply latencies, stock vs ctxc, and a text bar chart, and where the main thread went when the run
 * was profiled. One section per release: bench/results/real-gateway-<version>.json (`run.js --openclaw
 * VERSION`), then the older 2026.5.12 runs (bench/results/real-gateway.json, with
 * bench/results/real-gateway-profile.json). `renderRealGatewaySection(doc)` is for the RESULTS.md
 * generator; run as a script it writes bench/results/real-gateway.md.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { groupedBarChart } from "../report/svg.js";
import { differenceLines, type AppendedDifferences } from "./appended-diff.js";
import { butFor, placementLines, type PlacementCheck } from "./mirror-placement.js";
import { join } from "node:path";
import { fallbackLinesLine, percentile } from "./log-parse.js";
import { LONG_GAP_MS, type ProfileSummary } from "./profile-summary.js";
import { restartChecks } from "./restart-checks.js";
import { REPO, type ModeResult, type RunResult } from "./run.js";

interface Doc {
  /** Absent in runs made before `--openclaw` existed (all 2026.5.12 on Node 22.16). */
  openclaw?: string;
  node?: string | null;
  date: string;
  durationS: number;
  modes: ModeResult[];
  transcriptCheck: TranscriptCheck | null;
  /** `--restart` runs with both modes: the restarted gateways' appended entries, ctxc vs stock. */
  restartTranscriptCheck?: TranscriptCheck | null;
}

/** run.ts `compareAppended`'s result: `placement` in results since 2026-12-05 09:00. */
type TranscriptCheck = { same: boolean; detail: Record<string, string>; differences?: AppendedDifferences; placement?: Record<string, PlacementCheck> };

/** The write check's lines for `check` under `title`: the verdict, a named line per placement-only agent, the entries that differ. */
function transcriptCheckLines(title: string, check: TranscriptCheck): string[] {
  const but = butFor(check.placement);
  const verdict = !check.same ? "**different**" : but ? `same kinds and order of appended entries but for ${but}` : "same kinds and order of appended entries";
  const L = [`${title}: ${verdict} (${Object.entries(check.detail).map(([k, v]) => `${k}: ${v}`).join("; ")}).`, ""];
  const placement = placementLines(check.placement);
  if (placement.length) L.push("Set aside by the check — keyed delivery mirrors by placement (a side branch in one mode, the main run in the other), OpenClaw's heartbeat turns (docs/openclaw.md §5):", "", ...placement.map((l) => `- ${l.trim()}`), "");
  if (check.differences) L.push("Entries only one mode appended:", "", ...differenceLines(check.differences).map((l) => `- ${l.trim()}`), "");
  return L;
}

/** One gateway run under a column label (a mode's first run, or its restarted run). */
type Labelled = RunResult & { mode: string };

/** Rows of the by-function table before the rest is summed into one (JSONL releases list about 20). */
const BY_FUNCTION_ROWS = 24;

const fmt = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : "–");

/** The gateway process's RSS (memory-sampler.ts), or – for runs made before it was sampled. */
function memoryCell(m: RunResult["memory"]): string {
  return m ? `${fmt(m.afterStartupMiB)} / ${fmt(m.loadP50MiB)} / ${fmt(m.peakMiB)}` : "–";
}

/** OpenClaw's own memory-pressure lines by level and reason, or none. */
function pressureCell(m: RunResult["memory"]): string {
  if (!m) return "–";
  const kinds = Object.entries(m.pressureLines);
  return kinds.length ? kinds.map(([k, n]) => `${n} × ${k}`).join(", ") : "none";
}

/** The stock-vs-ctxc bar chart (bench/charts/real-gateway.svg) of the headline percentiles. */
export function renderRealGatewayChart(doc: Doc): string {
  const modes = doc.modes;
  const groups: { label: string; values: number[] }[] = [];
  const add = (label: string, get: (m: ModeResult) => { p50: number; p99: number } | undefined) => {
    groups.push({ label: `${label} p50`, values: modes.map((m) => get(m)?.p50 ?? NaN) }, { label: `${label} p99`, values: modes.map((m) => get(m)?.p99 ?? NaN) });
  };
  add("message → reply", (m) => m.replyLatencyMs);
  add("prep session-resource-loader", (m) => m.prepStages["session-resource-loader"]);
  add("prep bootstrap-context", (m) => m.prepStages["bootstrap-context"]);
  add("prep (total)", (m) => m.prepStages["(total)"]);
  const colors: Record<string, string> = { stock: "#c0392b", ctxc: "#2471a3" };
  return groupedBarChart({
    title: `OpenClaw ${doc.openclaw ?? "2026.5.12"}, 5 agents, ${doc.durationS} s closed-loop load: stock vs ctxc`,
    unit: "ms",
    groups,
    series: modes.map((m) => ({ name: m.mode, color: colors[m.mode] ?? "#777" })),
  });
}

/** The main-thread attribution table of a `--profile` run (profile-summary.ts). */
export function renderProfileTable(doc: Doc): string {
  const modes = doc.modes.filter((m) => m.mainThreadProfile);
  if (modes.length === 0) return "";
  const L: string[] = [];
  L.push(`### Where the gateway's main thread goes (OpenClaw ${doc.openclaw ?? "2026.5.12"}, V8 CPU profile, \`--profile\` run, ${doc.date.slice(0, 10)}, ${doc.durationS} s per mode)`, "");
  L.push("Each sample charged to the first matching owner on its stack (bench/real-gateway/profile-summary.ts); ms of main-thread time during the load phase, share of it, and ms per turn (per prep OpenClaw logged in that run).", "");
  const turns = (m: ModeResult) => Math.max(1, m.prepStages["(total)"]?.n ?? 0);
  L.push(`| | ${modes.map((m) => `${m.mode} ms | ${m.mode} % | ${m.mode} ms/turn`).join(" | ")} |`, `|---|${modes.map(() => "---:|---:|---:").join("|")}|`);
  const cats = [...new Set(modes.flatMap((m) => Object.keys(m.mainThreadProfile!.load.ms)))].sort(
    (a, b) => (modes[0]!.mainThreadProfile!.load.ms[b] ?? 0) - (modes[0]!.mainThreadProfile!.load.ms[a] ?? 0),
  );
  for (const c of cats) {
    L.push(`| ${c} | ${modes.map((m) => { const p = m.mainThreadProfile!.load; const v = p.ms[c] ?? 0; return `${fmt(v)} | ${((v / Math.max(1, p.windowMs)) * 100).toFixed(1)} | ${fmt(v / turns(m))}`; }).join(" | ")} |`);
  }
  L.push(`| **load window** | ${modes.map((m) => `${fmt(m.mainThreadProfile!.load.windowMs)} | busy ${(m.mainThreadProfile!.load.busyShare * 100).toFixed(1)} | ${turns(m)} turns`).join(" | ")} |`);
  L.push(`| replies in that run | ${modes.map((m) => `${m.repliesReceived}/${m.messagesSent} | | `).join(" | ")} |`, "");
  // Profiles summarised since anonymous frames are named (profile-summary.ts): how much that moved.
  const anon = modes.filter((m) => m.mainThreadProfile!.load.anonymousOpenClaw);
  if (anon.length > 0) {
    L.push(`OpenClaw callbacks (anonymous frames) charged to the named function enclosing them in the source, e.g. the session-fence digest's \`data\` handler to \`readSessionFileDigest\`: ${anon.map((m) => { const a = m.mainThreadProfile!.load.anonymousOpenClaw!; return `${m.mode} ${fmt(a.namedMs)} ms (${fmt(a.unnamedMs)} ms left unnamed: module top level or source not at hand)`; }).join(", ")}. Node's stream reads scheduled after an async boundary have no OpenClaw frame and stay in "other".`, "");
  }
  const cut = modes.filter((m) => (m.mainThreadProfile!.load.asyncCutFsStreamReads?.ms ?? 0) > 0);
  if (cut.length > 0) {
    L.push(`Of "other": node's fs stream reads with no owner on the stack (the next chunk's read, issued from a tick): ${cut.map((m) => { const c = m.mainThreadProfile!.load.asyncCutFsStreamReads!; return `${m.mode} ${fmt(c.ms)} ms (fs stream data in that profile goes to: ${c.consumers.map((f) => `\`${f}\``).join(", ") || "no OpenClaw or ctxc function"})`; }).join("; ")}.`, "");
  }
  // Transcript work by function (innermost listed function on the stack; profiles from before this split have none).
  const fns = [...new Set(modes.flatMap((m) => Object.keys(m.mainThreadProfile!.load.transcriptByFunction ?? {})))];
  if (fns.length > 0) {
    const ms = (m: ModeResult, f: string) => m.mainThreadProfile!.load.transcriptByFunction?.[f] ?? 0;
    // Largest in any mode first, so a function only one mode runs (ctxc's own) is not cut off below.
    const top = (f: string) => Math.max(...modes.map((m) => ms(m, f)));
    fns.sort((a, b) => top(b) - top(a));
    L.push("Transcript and session-store work by function (each sample to the innermost listed function on its stack; work owned only by an OpenClaw session-store module to its entry into the store, as `NAME (module)`):", "");
    L.push(`| function | ${modes.map((m) => `${m.mode} ms | ${m.mode} ms/turn`).join(" | ")} |`, `|---|${modes.map(() => "---:|---:").join("|")}|`);
    // 2026.8+'s store spreads its work over dozens of entry points: the largest rows, then the rest summed.
    for (const f of fns.slice(0, BY_FUNCTION_ROWS)) L.push(`| \`${f}\` | ${modes.map((m) => `${fmt(ms(m, f))} | ${fmt(ms(m, f) / turns(m))}`).join(" | ")} |`);
    const rest = fns.slice(BY_FUNCTION_ROWS);
    if (rest.length > 0) {
      const sum = (m: ModeResult) => rest.reduce((a, f) => a + ms(m, f), 0);
      L.push(`| ${rest.length} more | ${modes.map((m) => `${fmt(sum(m))} | ${fmt(sum(m) / turns(m))}`).join(" | ")} |`);
    }
    L.push("");
  }
  const byTurn = renderProfileByTurn(modes);
  if (byTurn) L.push(byTurn);
  for (const m of modes) {
    const p = m.mainThreadProfile!.load;
    if (!p.longestBlocks) continue;
    const over = Object.values(p.blocksOver100ms ?? {}).reduce((a, b) => a + b, 0);
    L.push(`Uninterrupted main-thread blocks of transcript / session-store work (${m.mode}): **${over} over 100 ms**${over ? ` (${Object.entries(p.blocksOver100ms!).map(([c, n]) => `${n} ${c.split(" (")[0]}`).join(", ")})` : ""}; longest: ${p.longestBlocks.slice(0, 5).map((b) => `${b.ms} ms \`${b.fn}\``).join(", ") || "none"}.`, "");
  }
  return L.join("\n");
}

/**
 * The first-turn vs later-turn split of the stage and reply percentiles (runs made before the split
 * have none: nothing is rendered, the all-turns rows above stay the only view).
 */
export function renderFirstVsLater(modes: Labelled[]): string {
  const split = modes.filter((m) => m.prepStagesByTurn);
  if (split.length === 0) return "";
  const L: string[] = [];
  L.push("First turn vs later turns: each session's FIRST prep after the gateway started (the first `prep stages` line for its sessionId; one-time work such as the cold read, OpenClaw's repair of a seeded file or 2026.7.35's header rewrite) and its LATER preps; message → reply by each agent's first message vs its later ones. The all-turns rows above include both.", "");
  L.push(`| metric | turns | ${split.map((m) => `${m.mode} n | ${m.mode} p50 | ${m.mode} p99`).join(" | ")} |`, `|---|---|${split.map(() => "---:|---:|---:").join("|")}|`);
  type Span = { n: number; p50: number; p99: number } | undefined;
  const row = (name: string, turns: "first" | "later", get: (m: Labelled) => Span) =>
    L.push(`| ${name} | ${turns} | ${split.map((m) => { const v = get(m); return `${v?.n ?? 0} | ${fmt(v?.p50 ?? NaN)} | ${fmt(v?.p99 ?? NaN)}`; }).join(" | ")} |`);
  for (const t of ["first", "later"] as const) row("message → reply (ms)", t, (m) => m.replyLatencyByTurn?.[t]);
  const stages = [...new Set(split.flatMap((m) => [...Object.keys(m.prepStagesByTurn!.first), ...Object.keys(m.prepStagesByTurn!.later)]))];
  // The stage the issue is about and the total first, then the rest in the order OpenClaw logs them.
  const lead = ["session-resource-loader", "(total)"];
  for (const s of [...lead.filter((x) => stages.includes(x)), ...stages.filter((x) => !lead.includes(x))]) {
    for (const t of ["first", "later"] as const) row(`prep ${s} (ms)`, t, (m) => m.prepStagesByTurn![t][s]);
  }
  L.push("");
  return L.join("\n");
}

/**
 * A `--trace` run's attribution of the `session-resource-loader` stage (stage-trace.ts): per turn kind, the
 * stage's wall time summed over the preps, how much of it ctxc's handler calls took and how their worker
 * requests split (queue / work / hop), and the rest (OpenClaw's own awaits and what they wait behind).
 */
export function renderStageTrace(modes: ModeResult[]): string {
  const traced = modes.filter((m) => m.stageTrace);
  if (traced.length === 0) return "";
  const L: string[] = [];
  L.push("Where the `session-resource-loader` stage's wall time goes (`--trace`: the preload's call trace over each prep's stage window, bench/real-gateway/stage-trace.ts; ms summed over the preps, p50 per prep in brackets): ctxc's handler calls for the session (worker requests split into waiting in ctxc's queue or behind a sliced digest, the op's own work, and the hop back to the main thread) vs the rest — OpenClaw's own awaits (session-file owner, lock, stats, `resourceLoader.reload()`) and the main-thread work they wait behind.", "");
  L.push("| mode | turns | preps | stage wall | ctxc calls | worker queue | worker work | hop to main thread | of the ctxc calls: OpenClaw's own bodies (fallbacks) | rest |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const m of traced) {
    for (const t of ["first", "later"] as const) {
      const a = m.stageTrace![t];
      const c = (x: { sum: number; p50: number }) => `${fmt(x.sum)} (${fmt(x.p50)})`;
      L.push(`| ${m.mode} | ${t} | ${a.preps} | ${c(a.wallMs)} | ${c(a.ctxcMs)} | ${c(a.queueMs)} | ${c(a.workMs)} | ${c(a.hopMs)} | ${c(a.stockMs ?? { sum: NaN, p50: NaN })} | ${c(a.restMs)} |`);
    }
  }
  L.push("");
  for (const m of traced) {
    const ops = (t: "first" | "later") => Object.entries(m.stageTrace![t].byOp).map(([op, o]) => `${op} ×${o.calls}: queue ${fmt(o.queueMs)}, work ${fmt(o.workMs)}, hop ${fmt(o.hopMs)}`).join("; ");
    L.push(`Worker requests inside the stage by op (${m.mode}): first turns — ${ops("first") || "none"}; later turns — ${ops("later") || "none"}.`, "");
    // Runs traced before the stretches were attributed have none.
    const gaps = (t: "first" | "later") => Object.entries(m.stageTrace![t].gaps ?? {}).slice(0, 6).map(([k, g]) => `${k} ${fmt(g.sum)} (${fmt(g.p50)}, ${g.preps} preps)`).join("; ");
    if (gaps("later")) L.push(`The rest located, by the session's ctxc calls around each stretch, largest first (${m.mode}; ms summed, p50 where it occurs): first turns — ${gaps("first") || "none"}; later turns — ${gaps("later")}.`, "");
  }
  return L.join("\n");
}

/**
 * A `--trace` run's session write lock inside the `session-resource-loader` stage (lock-waits.ts): per turn
 * kind, the stage acquire's wait p50/p99, how many met a holder, the 50 ms retries, the lag after the
 * holder's release, the holders ranked by the wait they cost; then the run's acquisitions by site and hold.
 * Runs traced before the lock was (no `lockWaits`) render nothing.
 */
export function renderLockWaits(modes: ModeResult[]): string {
  const traced = modes.filter((m) => m.lockWaits);
  if (traced.length === 0) return "";
  const L: string[] = [];
  L.push("Lock waits: the stage's `acquireSessionWriteLock` (`--trace`, src/openclaw/lock-trace.ts over each prep's stage window; ms). wait: the lock manager's acquire start → granted (open, payload, write, stat, and any 50 ms retries); \"met a holder\": the lock was held in-process (or its file existed) when the stage asked; retries: OpenClaw's 50 ms retry steps; lag: the holder's release → the grant.", "");
  L.push("| mode | turns | stage acquires found | stage start → granted p50 | of it, entry → manager's acquire (realpath, mkdir ×2, realpath) p50 | wait p50 | wait p99 | met a holder | retries p50 / max | lag p50 | holders, largest total wait first (n, wait sum, wait p50, held already p50) |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const m of traced) {
    for (const t of ["first", "later"] as const) {
      const l = m.lockWaits![t];
      const holders = l.holders.slice(0, 4).map((h) => `\`${h.holder}\` (${h.n}, ${fmt(h.waitSum)}, ${fmt(h.waitP50)}, ${fmt(h.heldP50)})`).join("; ") || "none";
      L.push(`| ${m.mode} | ${t} | ${l.found}/${l.preps} | ${fmt(l.toGrant?.p50 ?? NaN)} | ${fmt(l.asked?.p50 ?? NaN)} | ${fmt(l.wait.p50)} | ${fmt(l.wait.p99)} | ${l.contended} | ${fmt(l.tries.p50)} / ${l.tries.max} | ${fmt(l.lag.p50)} | ${holders} |`);
    }
  }
  L.push("");
  for (const m of traced) {
    const holds = m.lockWaits!.later.holds.slice(0, 6).map((h) => `\`${h.site}\` → \`${h.end}\` ×${h.n}: p50 ${fmt(h.p50)}, p99 ${fmt(h.p99)}`).join("; ");
    if (holds) L.push(`Every hold of the session write lock in the run (${m.mode}; acquired at → released at, largest total first): ${holds}.`, "");
  }
  return L.join("\n");
}

/** Transcript and session-store categories (the ones split by function in profile-summary.ts). */
const isTranscriptCategory = (c: string) => c.startsWith("transcript") || c.startsWith("session store");

/**
 * The load-phase profile split into the agents' first turns vs the rest (runs made before the split
 * have none): transcript work by owner and by function, per turn of each kind.
 */
function renderProfileByTurn(all: Labelled[]): string {
  const modes = all.filter((m) => m.mainThreadProfile?.byTurn);
  if (modes.length === 0) return "";
  const parts = (m: Labelled) => ({ first: m.mainThreadProfile!.byTurn!.firstTurns, later: m.mainThreadProfile!.byTurn!.laterTurns });
  // Turns of each kind: the preps OpenClaw logged (first = one per session), as in the table above;
  // none of a kind (a smoke run has no later turn): no per-turn figure.
  const turns = (m: Labelled, t: "first" | "later") => m.prepStagesByTurn?.[t]["(total)"]?.n ?? 0;
  const L: string[] = [];
  L.push("Transcript work during the agents' first turns vs the rest of the load phase. A sample counts as first-turn when it falls inside ANY agent's first-turn window (its first message's write to the fake Telegram → the reply's arrival there). Runs whose results say `firstTurnsApart` sent no second message before every agent's first reply, so that part holds first turns only (and what else the gateway ran then); in earlier runs it also held the later turns the agents that answered first began meanwhile. Work a first turn leaves after its reply (e.g. a post-turn rewrite) falls in the rest. ms/turn: per prep of that kind (first: one per session).", "");
  const head = `| | ${modes.map((m) => `${m.mode} first ms | ${m.mode} first ms/turn | ${m.mode} later ms | ${m.mode} later ms/turn`).join(" | ")} |`;
  const sep = `|---|${modes.map(() => "---:|---:|---:|---:").join("|")}|`;
  const cells = (m: Labelled, get: (p: ProfileSummary) => number) => {
    const p = parts(m);
    const f = get(p.first), l = get(p.later);
    const per = (ms: number, n: number) => fmt(n > 0 ? ms / n : NaN);
    return `${fmt(f)} | ${per(f, turns(m, "first"))} | ${fmt(l)} | ${per(l, turns(m, "later"))}`;
  };
  const cats = [...new Set(modes.flatMap((m) => [...Object.keys(parts(m).first.ms), ...Object.keys(parts(m).later.ms)]))].filter(isTranscriptCategory).sort();
  L.push(head, sep);
  for (const c of cats) L.push(`| ${c} | ${modes.map((m) => cells(m, (p) => p.ms[c] ?? 0)).join(" | ")} |`);
  if (modes.every((m) => parts(m).first.longGapMs && parts(m).later.longGapMs)) {
    const gaps = (p: ProfileSummary) => cats.reduce((a, c) => a + (p.longGapMs![c] ?? 0), 0);
    L.push(`| of these rows' ms: in sampling gaps past ${LONG_GAP_MS} ms (the thread, or the profiler's, off its core: not known to be work) | ${modes.map((m) => cells(m, gaps)).join(" | ")} |`);
  }
  L.push(`| window (ms; busy ms) | ${modes.map((m) => { const p = parts(m); const busy = (x: ProfileSummary) => x.windowMs - (x.ms.idle ?? 0); return `${fmt(p.first.windowMs)} | busy ${fmt(busy(p.first))} | ${fmt(p.later.windowMs)} | busy ${fmt(busy(p.later))}`; }).join(" | ")} |`);
  L.push(`| turns (preps) | ${modes.map((m) => `${turns(m, "first")} | | ${turns(m, "later")} | `).join(" | ")} |`, "");
  const fns = [...new Set(modes.flatMap((m) => [...Object.keys(parts(m).first.transcriptByFunction), ...Object.keys(parts(m).later.transcriptByFunction)]))];
  if (fns.length > 0) {
    const top = (f: string) => Math.max(...modes.map((m) => Math.max(parts(m).first.transcriptByFunction[f] ?? 0, parts(m).later.transcriptByFunction[f] ?? 0)));
    fns.sort((a, b) => top(b) - top(a));
    L.push("The same split by function:", "");
    L.push(head.replace("| |", "| function |"), sep);
    for (const f of fns.slice(0, BY_FUNCTION_ROWS)) L.push(`| \`${f}\` | ${modes.map((m) => cells(m, (p) => p.transcriptByFunction[f] ?? 0)).join(" | ")} |`);
    const rest = fns.slice(BY_FUNCTION_ROWS);
    if (rest.length > 0) L.push(`| ${rest.length} more | ${modes.map((m) => cells(m, (p) => rest.reduce((a, f) => a + (p.transcriptByFunction[f] ?? 0), 0))).join(" | ")} |`);
    L.push("");
  }
  const own = all.filter((m) => m.ctxcOwnByTurn);
  if (own.length > 0) {
    const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");
    L.push("ctxc's own handler time by the turn it served (`--profile --trace`, bench/real-gateway/own-by-turn.ts): each sample in a ctxc handler frame goes to the session of the traced call running then, and to that agent's turn — a turn lasting from its message to the agent's next one, so a first turn's write after its reply is the first turn's, and another agent's second turn is not. ms per turn of each kind; what it could not place is counted apart (ms).", "");
    L.push("| | first turns, ms/turn | later turns, ms/turn | turns first / later | of them placed by the latest resumption | untraced | ambiguous | before the first message |", "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const m of own) {
      const o = m.ctxcOwnByTurn!;
      L.push(`| ${m.mode} | ${f1(o.first.perTurnMs)} | ${f1(o.later.perTurnMs)} | ${o.first.turns} / ${o.later.turns} | ${f1(o.byResumeMs)} | ${f1(o.untracedMs)} | ${f1(o.ambiguousMs)} | ${f1(o.beforeFirstMs)} |`);
    }
    L.push("");
  }
  return L.join("\n");
}

export function renderRealGatewaySection(doc: Doc, profiled?: Doc, legacy = false): string {
  const modes = doc.modes;
  const L: string[] = [];
  const era = modes.some((m) => m.sqlite) ? "; SQLite era" : "";
  L.push(`## Real gateway (OpenClaw ${doc.openclaw ?? "2026.5.12"}${era}, Node ${doc.node ?? "22.16.0"}, 5 bots on loopback${legacy ? "; earlier runs" : ""})`, "");
  L.push(`${doc.date.slice(0, 10)}; ${doc.durationS} s of closed-loop load per mode; 5 agents (transcripts 28/10/10/28/10 MB, bootstrap ≈ 58k chars each). Source: bench/real-gateway (docs/real-gateway.md).`, "");
  L.push(`| metric | ${modes.map((m) => `${m.mode} p50 | ${m.mode} p99`).join(" | ")} |`);
  L.push(`|---|${modes.map(() => "---:|---:").join("|")}|`);
  const row = (name: string, get: (m: ModeResult) => { p50: number; p99: number } | undefined) =>
    L.push(`| ${name} | ${modes.map((m) => { const v = get(m); return `${fmt(v?.p50 ?? NaN)} | ${fmt(v?.p99 ?? NaN)}`; }).join(" | ")} |`);
  row("message → reply (ms)", (m) => m.replyLatencyMs);
  row("long-poll turnaround (ms)", (m) => m.longPollTurnaroundMs);
  const stageNames = [...new Set(modes.flatMap((m) => Object.keys(m.prepStages)))];
  for (const s of stageNames) row(`prep ${s} (ms)`, (m) => m.prepStages[s]);
  for (const s of [...new Set(modes.flatMap((m) => Object.keys(m.startupStages)))]) row(`startup ${s} (ms)`, (m) => m.startupStages[s]);
  L.push("");
  const byTurn = renderFirstVsLater(modes);
  if (byTurn) L.push(byTurn);
  const traced = renderStageTrace(modes);
  if (traced) L.push(traced);
  const locks = renderLockWaits(modes);
  if (locks) L.push(locks);
  L.push(`| | ${modes.map((m) => m.mode).join(" | ")} |`, `|---|${modes.map(() => "---:").join("|")}|`);
  L.push(`| replies / messages | ${modes.map((m) => `${m.repliesReceived}/${m.messagesSent}`).join(" | ")} |`);
  L.push(`| "likely event-loop starvation" lines | ${modes.map((m) => m.starvationLines).join(" | ")} |`);
  L.push(`| liveness warnings | ${modes.map((m) => m.livenessWarnings).join(" | ")} |`);
  L.push(`| startup until all bots poll (ms) | ${modes.map((m) => fmt(m.startupMs)).join(" | ")} |`);
  if (modes.some((m) => m.memory)) L.push(`| gateway RSS (MiB): after start-up / load p50 / peak | ${modes.map((m) => memoryCell(m.memory)).join(" | ")} |`, `| OpenClaw \`memory pressure\` warnings | ${modes.map((m) => pressureCell(m.memory)).join(" | ")} |`);
  if (modes.some((m) => m.loadAverage)) L.push(`| machine load average (1 min) at load start / end | ${modes.map((m) => (m.loadAverage ? `${m.loadAverage.start.toFixed(1)} / ${m.loadAverage.end.toFixed(1)}` : "–")).join(" | ")} |`);
  L.push("");
  const bars: Array<[string, number]> = [];
  for (const m of modes) {
    bars.push([`${m.mode} reply p50`, m.replyLatencyMs.p50], [`${m.mode} reply p99`, m.replyLatencyMs.p99]);
    const srl = m.prepStages["session-resource-loader"];
    if (srl) bars.push([`${m.mode} session-resource-loader p50`, srl.p50], [`${m.mode} session-resource-loader p99`, srl.p99]);
  }
  const max = Math.max(1, ...bars.map(([, v]) => (Number.isFinite(v) ? v : 0)));
  L.push(`![Stage and reply percentiles, stock vs ctxc](charts/${chartName(doc, legacy)})`, "");
  L.push("```");
  for (const [k, v] of bars) L.push(`${k.padEnd(36)} ${"█".repeat(Math.round(((Number.isFinite(v) ? v : 0) / max) * 50)).padEnd(50)} ${fmt(v)} ms`);
  L.push("```", "");
  const sqlite = modes.find((m) => m.sqlite)?.sqlite;
  if (sqlite) L.push(renderSqliteStore(modes));
  else if (modes.every((m) => m.appendedLinks)) {
    const links = (m: ModeResult) => Object.values(m.appendedLinks).reduce((a, v) => ({ entries: a.entries + v.entries, dangling: a.dangling + v.dangling }), { entries: 0, dangling: 0 });
    L.push(`Entries OpenClaw appended whose parentId names no earlier entry: ${modes.map((m) => `${m.mode} ${links(m).dangling} of ${links(m).entries}`).join(", ")}.`, "");
    const repeated = (m: ModeResult) => Object.values(m.appendedLinks).map((v) => v.repeatedKeys);
    if (modes.every((m) => repeated(m).every((n) => n !== undefined))) {
      L.push(`Messages OpenClaw appended with an idempotency key already in the file (a delivery mirror written twice): ${modes.map((m) => `${m.mode} ${repeated(m).reduce((a, n) => a! + n!, 0)}`).join(", ")}.`, "");
    }
  }
  if (!sqlite && modes.every((m) => m.seedEntriesIntact)) {
    const kept = (m: ModeResult) => Object.values(m.seedEntriesIntact).filter(Boolean).length;
    L.push(`Transcripts whose seeded entries (every line after the header) are unchanged after the run: ${modes.map((m) => `${m.mode} ${kept(m)} of ${Object.keys(m.seedEntriesIntact).length}`).join(", ")}.`, "");
  }
  for (const m of modes) if (m.ctxcFallbackLines) L.push(fallbackLinesLine(`ctxc's \`fallback:\` lines (${m.mode})`, m.ctxcFallbackLines), "");
  if (doc.transcriptCheck) {
    L.push(...transcriptCheckLines("Transcript writes, ctxc vs stock", doc.transcriptCheck));
  } else if (sqlite && !modes.some((m) => m.mode === "ctxc")) L.push("Stock only: ctxc's preload serves the JSONL releases (2026.5–2026.7); whether a 2026.8+ drop-in pays is decided from the profile below (docs/real-gateway.md).", "");
  else if (!modes.some((m) => m.mode === "ctxc")) L.push("ctxc mode not run yet (the preload dist/src/openclaw/register.js does not exist).", "");
  if (profiled) L.push(renderProfileTable(profiled));
  const restart = renderRestart(doc);
  if (restart) L.push(restart);
  return L.join("\n");
}

/**
 * `--restart` runs: each mode's gateway stopped and started again on the state its first run left. The
 * headline first-turn figures of both runs side by side, then the restarted runs as the first runs are
 * shown (first vs later turns, every stage; with `--profile`, transcript work of first and later turns by
 * function), the checks (restart-checks.ts) and the write check across both runs. Empty without a restart.
 */
export function renderRestart(doc: Doc): string {
  const modes = doc.modes.filter((m) => m.restart);
  if (modes.length === 0) return "";
  const L: string[] = [];
  L.push(`### After a restart (OpenClaw ${doc.openclaw ?? "2026.5.12"}, \`--restart\`, ${doc.durationS} s per run)`, "");
  L.push("Each mode's gateway, after its measured run above, stopped with SIGTERM and started again on the same state dir and transcripts, then measured the same way: the same load, duration and agents. Its first turns are what an operator's agents pay after a restart — OpenClaw's one-time repairs of the seeded files and 2026.7.35's header rewrite were done by the first run, and in the ctxc mode the persistent index the first run wrote is under OpenClaw's state dir.", "");
  const runs = modes.flatMap((m): Labelled[] => [{ ...m, mode: `${m.mode} first run` }, { ...m.restart!, mode: `${m.mode} restarted` }]);
  L.push(`| first turns (each agent's first message, each session's first prep) | ${runs.map((r) => `${r.mode} p50 | ${r.mode} p99`).join(" | ")} |`, `|---|${runs.map(() => "---:|---:").join("|")}|`);
  type Span = { p50: number; p99: number } | undefined;
  const row = (name: string, get: (r: Labelled) => Span) => L.push(`| ${name} | ${runs.map((r) => { const v = get(r); return `${fmt(v?.p50 ?? NaN)} | ${fmt(v?.p99 ?? NaN)}`; }).join(" | ")} |`);
  row("message → reply (ms)", (r) => r.replyLatencyByTurn?.first);
  row("prep session-resource-loader (ms)", (r) => r.prepStagesByTurn?.first["session-resource-loader"]);
  row("prep (total) (ms)", (r) => r.prepStagesByTurn?.first["(total)"]);
  row("later turns: message → reply (ms)", (r) => r.replyLatencyByTurn?.later);
  row("later turns: prep session-resource-loader (ms)", (r) => r.prepStagesByTurn?.later["session-resource-loader"]);
  const cell = (get: (r: Labelled) => string) => `| ${runs.map((r) => `${get(r)} | `).join(" | ")} |`;
  L.push(`| replies / messages ${cell((r) => `${r.repliesReceived}/${r.messagesSent}`)}`);
  L.push(`| OpenClaw \`session file repaired\` lines ${cell((r) => String(r.sessionRepairs ?? "–"))}`);
  L.push(`| startup until all bots poll (ms) ${cell((r) => fmt(r.startupMs))}`);
  if (runs.some((r) => r.memory)) {
    L.push(`| gateway RSS (MiB): after start-up / load p50 / peak ${cell((r) => memoryCell(r.memory))}`);
    L.push(`| OpenClaw \`memory pressure\` warnings ${cell((r) => pressureCell(r.memory))}`);
  }
  L.push(`| stop after the load: ms to exit (SIGTERM) ${cell((r) => (r.stop ? `${r.stop.ms}${r.stop.clean ? "" : " (killed)"}` : "–"))}`);
  if (runs.some((r) => r.loadAverage)) L.push(`| machine load average (1 min) at load start / end ${cell((r) => (r.loadAverage ? `${r.loadAverage.start.toFixed(1)} / ${r.loadAverage.end.toFixed(1)}` : "–"))}`);
  L.push("");
  const restarted = runs.filter((r) => r.mode.endsWith("restarted"));
  L.push("The restarted runs, every stage:", "");
  const byTurn = renderFirstVsLater(restarted);
  if (byTurn) L.push(byTurn);
  const profile = renderProfileByTurn(restarted);
  if (profile) L.push(profile);
  for (const m of modes) {
    const s = m.restart!.ctxcSummary;
    if (s) L.push(`ctxc preload in the restarted gateway (its \`summary\` line): ${["sessionsServed", "sessionsContinued", "indexRestored", "indexRestoredBytes", "indexRejected", "stockRuns", "fallbacks"].map((k) => `${k}=${s[k] ?? "?"}`).join(" ")}.`, "");
    const f = m.restart!.ctxcFallbackLines;
    if (f) L.push(fallbackLinesLine("ctxc's `fallback:` lines in the restarted gateway", f), "");
    const checks = restartChecks(m);
    L.push(`Checks (${m.mode}): ${checks.map((c) => `${c.ok ? "✓" : "**✗**"} ${c.name} (${c.detail})`).join("; ")}.`, "");
  }
  if (doc.restartTranscriptCheck) L.push(...transcriptCheckLines("Transcript writes of the restarted gateways, ctxc vs stock", doc.restartTranscriptCheck));
  return L.join("\n");
}

/**
 * 2026.8+ runs: how the legacy seeds got into SQLite (the JSONL write checks do not apply: the import
 * archives the files) and the gateway's own slow session-write warnings, per operation.
 */
function renderSqliteStore(modes: ModeResult[]): string {
  const L: string[] = [];
  for (const m of modes) {
    const q = m.sqlite;
    if (!q) continue;
    L.push(`SQLite store (${m.mode}): seeded as an upgrading user — \`openclaw doctor --fix\` ${fmt(q.doctorFixMs / 1000)} s${q.importMs ? ` + session import ${fmt(q.importMs / 1000)} s` : " (imports the JSONL + sessions.json)"}.`, "");
    const w = q.slowSessionWrites;
    if (w.length === 0) {
      L.push(`No \`slow SQLite session write\` warnings (≥ 1 s) from the gateway.`, "");
      continue;
    }
    const ops = [...new Set(w.map((x) => x.operation))];
    L.push(`\`slow SQLite session write\` warnings (≥ 1 s) from the gateway: ${w.length}, ${w.filter((x) => x.isMainThread).length} on its main thread. Per operation: time queued behind the agent's writer, and the write's own execution (ms):`, "");
    L.push("| operation | n | queue wait p50 / max | execution p50 / max |", "|---|---:|---:|---:|");
    for (const op of ops) {
      const xs = w.filter((x) => x.operation === op);
      const q50 = percentile(xs.map((x) => x.queueWaitMs), 50), e50 = percentile(xs.map((x) => x.writerExecutionMs), 50);
      L.push(`| \`${op}\` | ${xs.length} | ${fmt(q50)} / ${fmt(Math.max(...xs.map((x) => x.queueWaitMs)))} | ${fmt(e50)} / ${fmt(Math.max(...xs.map((x) => x.writerExecutionMs)))} |`);
    }
    L.push("");
  }
  return L.join("\n");
}

/** Chart file of a run: per release; the older runs of bench/results/real-gateway.json keep the original name. */
const chartName = (doc: Doc, legacy = false) => (legacy || !doc.openclaw ? "real-gateway.svg" : `real-gateway-${doc.openclaw}.svg`);

async function main(): Promise<void> {
  const results = join(REPO, "bench", "results");
  const read = async (f: string) => JSON.parse(await readFile(join(results, f), "utf8")) as Doc;
  // Per-release runs (a profiled run carries its own main-thread table), newest release first.
  const key = (f: string) => f.slice("real-gateway-".length, -".json".length).split(".").map(Number);
  const perRelease = readdirSync(results).filter((f) => /^real-gateway-\d+\.\d+\.\d+\.json$/.test(f))
    .sort((a, b) => { const x = key(a), y = key(b); return y[0]! - x[0]! || y[1]! - x[1]! || y[2]! - x[2]!; });
  const docs: Array<[Doc, Doc | undefined, boolean]> = [];
  for (const f of perRelease) { const d = await read(f); docs.push([d, d, false]); }
  if (existsSync(join(results, "real-gateway.json"))) {
    docs.push([await read("real-gateway.json"), existsSync(join(results, "real-gateway-profile.json")) ? await read("real-gateway-profile.json") : undefined, true]);
  }
  await mkdir(join(REPO, "bench", "charts"), { recursive: true });
  for (const [doc, , legacy] of docs) await writeFile(join(REPO, "bench", "charts", chartName(doc, legacy)), renderRealGatewayChart(doc));
  const md = docs.map(([doc, profiled, legacy]) => renderRealGatewaySection(doc, profiled, legacy)).join("\n");
  await writeFile(join(results, "real-gateway.md"), md);
  process.stdout.write(md);
}

if (process.argv[1]?.endsWith("render.js")) main().catch((e) => { console.error(e); process.exit(1); });
