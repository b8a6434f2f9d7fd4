/**
 * Collects diagnostics: every one is counted, the first `max` are kept with their place.
 * A garbage file can produce one diagnostic per line; listing millions would make the context buffer
 * larger than the transcript, so past the cap we only count.
 */
import type { Diagnostic, DiagnosticCode } from "./buffer-layout.js";

export class DiagnosticLog {
  readonly list: Diagnostic[] = [];
  readonly counts: Partial<Record<DiagnosticCode, number>> = {};

  constructor(private readonly max: number) {}

  add(code: DiagnosticCode, line: number, offset: number, message: string): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (this.list.length < this.max) this.list.push({ code, line, offset, message });
  }

  /**
   * The diagnostics of several logs in order, at most `max` listed, plus one DIAGNOSTICS_TRUNCATED
   * entry when some were only counted; and the summed counts.
   */
  static combine(logs: DiagnosticLog[], max: number): { list: Diagnostic[]; counts: Partial<Record<DiagnosticCode, number>> } {
    const counts: Partial<Record<DiagnosticCode, number>> = {};
    let total = 0;
    for (const log of logs) {
      for (const [code, n] of Object.entries(log.counts) as [DiagnosticCode, number][]) {
        counts[code] = (counts[code] ?? 0) + n;
        total += n;
      }
    }
    const list = logs.flatMap((log) => log.list).slice(0, max);
    if (total <= list.length) return { list, counts };
    list.push({
      code: "DIAGNOSTICS_TRUNCATED",
      line: 0,
      offset: 0,
      message: `${total - list.length} more diagnostics were counted but not listed (see diagnosticCounts)`,
    });
    return { list, counts };
  }
}
