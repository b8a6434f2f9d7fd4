// Usage: node sum-reports.mjs LABEL REPORT.json... → prints "LABEL: N passed, N failed[, N skipped]" over
// vitest JSON reports (an unreadable report, or a run that failed without a failing test, counts as a failure). With LABEL "-" prints the bare
// "N passed, N failed[, N skipped]" that .ci/run ends with.
import { readFileSync } from "node:fs";

const [label, ...files] = process.argv.slice(2);
let passed = 0, failed = 0, skipped = 0;
for (const f of files) {
  try {
    const r = JSON.parse(readFileSync(f, "utf8"));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    // A file that fails to load fails no test but fails the run: count it.
    if (r.success === false && !r.numFailedTests) failed += Math.max(1, r.numFailedTestSuites ?? 0);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  } catch {
    failed += 1;
  }
}
const line = `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "");
console.log(label === "-" ? line : `${label}: ${line}`);
