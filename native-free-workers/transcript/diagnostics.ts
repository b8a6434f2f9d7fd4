/**
 * Collects diagnostics: every one is counted, the first `max` are kept with their place.
 * A garbage file can produce one diagnostic per line; listing millions would make the context buffer
 * larger than the transcript, so past the cap we only count.
 */
import type { Diagnostic, DiagnosticCode } from "../../src/buffer-layout.js";

export class DiagnosticLog {
  readonly list: Diagnostic[] = [];
  readonly counts: Partial<Record<DiagnosticCode, number>> = {};

  constructor(private readonly max: number) {}

  add(code: DiagnosticCode, line: number, offset: number, message: string): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (this.list.length < this.max) this.list.push({ code, line, offset, message });
  }

  /** The listed diagnostics, plus one DIAGNOSTICS_TRUNCATED entry when some were only counted. */
  finish(): Diagnostic[] {
    const total = Object.values(this.counts).reduce((a, b) => a + (b ?? 0), 0);
    if (total <= this.list.length) return this.list;
    return [
      ...this.list,
      {
        code: "DIAGNOSTICS_TRUNCATED",
        line: 0,
        offset: 0,
        message: `${total - this.list.length} more diagnostics were counted but not listed (see diagnosticCounts)`,
      },
    ];
  }
}
