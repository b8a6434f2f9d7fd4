/**
 * Lockstep determinism for the differential tests that drive a release's SessionManager twice (stock and
 * served): the same ids (`crypto.randomUUID`, which OpenClaw's id generator uses) and the same clock for
 * both runs of a step.
 */
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { vi } from "vitest";
import { ownedContext, type Manager, type SessionManagerPair, type Side, type Snapshot } from "../../bench/lib/openclaw-session-manager.js";

const realRandomUUID = crypto.randomUUID;
let idCounter = 0;

/** The clock's start (ms): step `n` runs at `epoch + n` seconds. */
let epoch = Date.UTC(2026, 0, 5, 8);

/**
 * Moves the lockstep clock's start (none: back to 2026-01-05 08:00). A test whose code compares file
 * times with the clock (ctxc's "settled before" checks) sets it after the real time its files are written at.
 */
export function setLockstepEpoch(ms?: number): void {
  epoch = ms ?? Date.UTC(2026, 0, 5, 8);
}

/** Ids and clock for step `step` (call before each side's run of it). */
export function deterministic(step: number): void {
  idCounter = step * 1000;
  vi.setSystemTime(epoch + step * 1000);
}

export function installDeterminism(): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  crypto.randomUUID = () => `${(++idCounter).toString(16).padStart(8, "0")}-0000-4000-8000-000000000000` as ReturnType<typeof realRandomUUID>;
  syncBuiltinESMExports();
}

export function removeDeterminism(): void {
  crypto.randomUUID = realRandomUUID;
  syncBuiltinESMExports();
  vi.useRealTimers();
}

/**
 * `op` on one side of `pair` for step `step` (its ids and clock), in an owned write context publishing to
 * `published`: its value, or its error as `Name: message` (the differential tests compare either).
 */
export function lockstepOp(
  pair: SessionManagerPair,
  step: number,
  [side, path, sm, published]: [Side, string, Manager, Snapshot[]],
  op: (side: Side, path: string, sm: Manager) => unknown,
): Promise<{ value?: unknown; error?: string }> {
  deterministic(step);
  return pair.withOwnedWrites(ownedContext(path, published), async () => {
    try {
      return { value: op(side, path, sm) };
    } catch (err) {
      return { error: `${(err as Error).name}: ${(err as Error).message}` };
    }
  }) as Promise<{ value?: unknown; error?: string }>;
}
