/**
 * When OpenClaw 2026.5 leaves HEARTBEAT.md out of a run's bootstrap files because of its config
 * (clean-room re-implementation of `shouldExcludeHeartbeatBootstrapFile` and the checks it calls).
 *
 * Only with a config, and never for heartbeat runs: a run of the default agent drops HEARTBEAT.md when
 * heartbeat guidance is off for that agent — another agent owns heartbeats (`agents.list[].heartbeat`),
 * `heartbeat.includeSystemPromptSection: false`, or a `heartbeat.every` that is empty, zero or invalid.
 * Runs of other agents keep it.
 */

/** The parts of an OpenClaw config this reads. */
export interface HeartbeatConfig {
  agents?: {
    defaults?: { heartbeat?: HeartbeatSettings; [k: string]: unknown };
    list?: unknown;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}
interface HeartbeatSettings {
  every?: unknown;
  includeSystemPromptSection?: unknown;
  [k: string]: unknown;
}
interface AgentEntry {
  id?: unknown;
  default?: unknown;
  heartbeat?: HeartbeatSettings;
  [k: string]: unknown;
}

const DEFAULT_AGENT_ID = "main";
const VALID_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** OpenClaw's agent-id normalisation: trimmed, lower-case, invalid runs → "-", at most 64 chars, "main" when empty. */
export function normalizeAgentId(value: unknown): string {
  const trimmed = (typeof value === "string" ? value : "").trim();
  if (!trimmed) return DEFAULT_AGENT_ID;
  const lower = trimmed.toLowerCase();
  if (VALID_ID.test(trimmed)) return lower;
  return (
    lower
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^-+/, "")
      .replace(/-+$/, "")
      .slice(0, 64) || DEFAULT_AGENT_ID
  );
}

function agentEntries(config: HeartbeatConfig): AgentEntry[] {
  const list = config.agents?.list;
  return Array.isArray(list) ? list.filter((e): e is AgentEntry => e !== null && typeof e === "object") : [];
}

function defaultAgentId(config: HeartbeatConfig): string {
  const agents = agentEntries(config);
  if (agents.length === 0) return DEFAULT_AGENT_ID;
  const chosen = (agents.find((a) => a.default) ?? agents[0])?.id;
  return normalizeAgentId((typeof chosen === "string" ? chosen.trim() : "") || DEFAULT_AGENT_ID);
}

function sessionAgentId(config: HeartbeatConfig, sessionKey: string | undefined, agentId: string | undefined): string {
  const explicit = (agentId ?? "").trim().toLowerCase();
  if (explicit) return normalizeAgentId(explicit);
  const parts = (sessionKey ?? "").trim().toLowerCase().split(":").filter(Boolean);
  if (parts.length >= 3 && parts[0] === "agent" && parts[1] && parts.slice(2).join(":")) return normalizeAgentId(parts[1]);
  return defaultAgentId(config);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** OpenClaw's duration syntax ("30m", "1h30m", "90" = minutes here); NaN when invalid. */
export function parseDurationMs(raw: unknown, defaultUnit = "m"): number {
  const text = (typeof raw === "string" ? raw : "").trim().toLowerCase();
  if (!text) return Number.NaN;
  const single = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text);
  if (single) return Math.round(Number(single[1]) * UNIT_MS[single[2] ?? defaultUnit]!);
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    if (m.index !== consumed) return Number.NaN;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? Math.round(total) : Number.NaN;
}

function heartbeatFor(config: HeartbeatConfig, agentId: string): HeartbeatSettings | undefined {
  const defaults = config.agents?.defaults?.heartbeat;
  const entry = agentEntries(config).find((e) => normalizeAgentId(e.id) === agentId);
  const overrides = entry?.heartbeat;
  if (!defaults && !overrides) return overrides;
  return { ...defaults, ...overrides };
}

function guidanceOn(config: HeartbeatConfig, agentId: string, defaultId: string): boolean {
  if (normalizeAgentId(agentId) !== normalizeAgentId(defaultId)) return false;
  const agents = agentEntries(config);
  if (agents.some((e) => Boolean(e.heartbeat))) {
    if (!agents.some((e) => Boolean(e.heartbeat) && normalizeAgentId(e.id) === normalizeAgentId(agentId))) return false;
  } else if (normalizeAgentId(agentId) !== defaultAgentId(config)) return false;
  const heartbeat = heartbeatFor(config, agentId);
  if (heartbeat?.includeSystemPromptSection === false) return false;
  const every = heartbeat?.every ?? "30m";
  const ms = parseDurationMs(typeof every === "string" ? every : "");
  return Number.isFinite(ms) && ms > 0;
}

/** True when OpenClaw would drop HEARTBEAT.md from this run's bootstrap files. */
export function shouldExcludeHeartbeat(params: {
  config?: HeartbeatConfig;
  runKind?: string;
  sessionKey?: string;
  sessionId?: string;
  agentId?: string;
}): boolean {
  if (!params.config || params.runKind === "heartbeat") return false;
  const defaultId = defaultAgentId(params.config);
  const agentId = sessionAgentId(params.config, params.sessionKey ?? params.sessionId, params.agentId);
  if (agentId !== defaultId) return false;
  return !guidanceOn(params.config, agentId, defaultId);
}
