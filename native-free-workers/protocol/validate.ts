/**
 * Option validation both threads share: one wording for one rule, so the API, the CLI, the OpenClaw
 * pool and the compiler reject a bad number the same way (INVALID_OPTION).
 */
import { Errors } from "./errors.js";

function describe(value: unknown): string {
  return typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
}

/** `value` when it is a positive integer, `fallback` when it is undefined, else INVALID_OPTION. */
export function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw Errors.invalidOption(name, `expected a positive integer, got ${describe(value)}`);
  }
  return value;
}
