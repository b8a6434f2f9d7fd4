/**
 * Renders bench/results/real-gateway.json as the "Real gateway" section of bench/RESULTS.md: stage
 * p50/p99 and reply latencies, stock vs ctxc, and a text bar chart. `renderRealGatewaySection(doc)` is
 * for the RESULTS.md generator; run as a script it writes bench/results/real-gateway.md.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO, type ModeResult } from "./run.js";

interface Doc {
  date: string;
  durationS: number;
  modes: ModeResult[];
  transcriptCheck: { same: boolean; detail: Record<string, string> } | null;
}

const fmt = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : "–");

export function renderRealGatewaySection(doc: Doc): string {
  const modes = doc.modes;
  const L: string[] = [];
  L.push("## Real gateway (OpenClaw 2026.5.12, Node 22.16, 5 bots on loopback)", "");
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
  L.push(`| | ${modes.map((m) => m.mode).join(" | ")} |`, `|---|${modes.map(() => "---:").join("|")}|`);
  L.push(`| replies / messages | ${modes.map((m) => `${m.repliesReceived}/${m.messagesSent}`).join(" | ")} |`);
  L.push(`| "likely event-loop starvation" lines | ${modes.map((m) => m.starvationLines).join(" | ")} |`);
  L.push(`| liveness warnings | ${modes.map((m) => m.livenessWarnings).join(" | ")} |`);
  L.push(`| startup until all bots poll (ms) | ${modes.map((m) => fmt(m.startupMs)).join(" | ")} |`, "");
  const bars: Array<[string, number]> = [];
  for (const m of modes) {
    bars.push([`${m.mode} reply p50`, m.replyLatencyMs.p50], [`${m.mode} reply p99`, m.replyLatencyMs.p99]);
    const srl = m.prepStages["session-resource-loader"];
    if (srl) bars.push([`${m.mode} session-resource-loader p50`, srl.p50], [`${m.mode} session-resource-loader p99`, srl.p99]);
  }
  const max = Math.max(1, ...bars.map(([, v]) => (Number.isFinite(v) ? v : 0)));
  L.push("```");
  for (const [k, v] of bars) L.push(`${k.padEnd(36)} ${"█".repeat(Math.round(((Number.isFinite(v) ? v : 0) / max) * 50)).padEnd(50)} ${fmt(v)} ms`);
  L.push("```", "");
  if (doc.transcriptCheck) L.push(`Transcript writes, ctxc vs stock: ${doc.transcriptCheck.same ? "same kinds and order of appended entries" : "**different**"} (${Object.entries(doc.transcriptCheck.detail).map(([k, v]) => `${k}: ${v}`).join("; ")}).`, "");
  else if (!modes.some((m) => m.mode === "ctxc")) L.push("ctxc mode not run yet (the preload dist/src/openclaw/register.js does not exist).", "");
  return L.join("\n");
}

async function main(): Promise<void> {
  const doc = JSON.parse(await readFile(join(REPO, "bench", "results", "real-gateway.json"), "utf8")) as Doc;
  const md = renderRealGatewaySection(doc);
  await writeFile(join(REPO, "bench", "results", "real-gateway.md"), md);
  process.stdout.write(md);
}

if (process.argv[1]?.endsWith("render.js")) main().catch((e) => { console.error(e); process.exit(1); });
