/**
 * OpenClaw run kinds: which run the bootstrap files are for (it decides which workspace files are read,
 * see bootstrap/bootstrap-files.ts). Defined once here for the public options, the compile task and
 * the bootstrap resolver.
 */

/** Every run kind, the default first. `subagent` is a ctxc addition (OpenClaw decides it from the session key). */
export const RUN_KINDS = ["default", "heartbeat", "cron", "subagent"] as const;

/** Which OpenClaw run the bootstrap files are for. */
export type RunKind = (typeof RUN_KINDS)[number];

export function isRunKind(value: unknown): value is RunKind {
  return (RUN_KINDS as readonly unknown[]).includes(value);
}
