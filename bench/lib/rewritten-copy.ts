/**
 * The file name of a rewritten chunk that openclaw-intercepted.ts writes next to a release's real chunk for
 * the duration of a test (`<chunk>.ctxc-test-<pid>-<name>.js`), in one place: that module writes and
 * removes them, and whatever else scans a release's dist/ (the profile's enclosing-function resolver, the
 * attribution test) must skip them — they hold a second copy of every function of their chunk.
 */

const COPY = /\.ctxc-test-(\d+)-[^/]*\.js$/;

/** The rewritten copy of chunk `real` (a .js or .mjs path) for `name`, written by process `pid`. */
export function rewrittenCopyPath(real: string, pid: number, name: string): string {
  return real.replace(/\.m?js$/, `.ctxc-test-${pid}-${name}.js`);
}

/** The pid that wrote `file` when it is a rewritten copy, else undefined. */
export function rewrittenCopyWriter(file: string): number | undefined {
  const m = COPY.exec(file);
  return m ? Number(m[1]) : undefined;
}
