/**
 * The file name of a rewritten chunk that openclaw-intercepted.ts writes next to a release's real chunk for
 * the duration of a test (`<chunk>.ctxc-test-<pid>-<name>.js`; openclaw-session-manager.ts's stock and
 * served pairs too), in one place: those modules write and remove them, and whatever else scans a release's
 * dist/ (the profile's enclosing-function resolver, the attribution, lock-trace and state-dir tests) must
 * skip them — they hold a second copy of every function of their chunk, and with test files run in
 * parallel another process's copy can vanish between the scan's readdir and its read (ENOENT).
 */

// Also the names openclaw-session-manager.ts gave its pairs before (`<chunk>.ctxc-stock<tag>-<pid>.js`,
// `.ctxc-served…`): a release cache shared by several checkouts may still hold them, live or orphaned.
const COPY = /\.ctxc-(?:test-(\d+)-[^/]*|(?:stock|served)[^/]*-(\d+))\.js$/;

/** The rewritten copy of chunk `real` (a .js or .mjs path) for `name`, written by process `pid`. */
export function rewrittenCopyPath(real: string, pid: number, name: string): string {
  return real.replace(/\.m?js$/, `.ctxc-test-${pid}-${name}.js`);
}

/** The pid that wrote `file` when it is a rewritten copy, else undefined. */
export function rewrittenCopyWriter(file: string): number | undefined {
  const m = COPY.exec(file);
  return m ? Number(m[1] ?? m[2]) : undefined;
}
