/**
 * Where the preload's lines go: CTXC_OPENCLAW_LOG (a file, 0600 from creation), else stderr. One place
 * for the line format `<ISO time> ctxc-openclaw <kind>: <message>`, which bench/real-gateway parses.
 */
import { appendFileSync } from "node:fs";

/** One formatted line (with its newline). */
export function logLine(kind: string, message: string, at: Date = new Date()): string {
  return `${at.toISOString()} ctxc-openclaw ${kind}: ${message}\n`;
}

/** Writes already formatted lines; never throws (a logging problem must not break a run). */
export function writeLogLines(text: string): void {
  try {
    const file = process.env.CTXC_OPENCLAW_LOG;
    // 0600 from creation: fallback lines name transcript paths and errors (SECURITY.md). An existing
    // file keeps the mode its owner gave it.
    if (file) appendFileSync(file, text, { mode: 0o600 });
    else process.stderr.write(text);
  } catch {
    // nowhere left to report to
  }
}
