/**
 * Hang guards, not speed claims: how long a build, a child process or a test may take before it counts as
 * hung. Generous on purpose — on a shared 2-core machine under a CPU hog (scripts/stress-suite.sh) a 1 MB
 * benchmark smoke run or a 100k-entry build took close to a minute. How fast ctxc is belongs in bench/.
 */

/** A build's `timeoutMs`, or a child process's `timeout`. */
export const HANG_MS = 240_000;
