/**
 * OpenClaw 2026.5.27+'s `readSessionFileFingerprint(sessionFile)` — the session write lock's bigint stat of the
 * transcript (dev, ino, size, mtimeNs, ctimeNs; `{exists: false}` on ENOENT, any other error thrown) — answered
 * by the release's own synchronous twin in the same chunk, `readSessionFileFingerprintSync` (its body is part of
 * the shape: shapes.ts SHAPE_DEPS).
 *
 * Why (issue #11): 2026.7.35's session-resource-loader stage awaits this stat three times on a later turn (the
 * trusted snapshot before the repair pass, and before and after the locked bootstrap run), more on fence
 * checks; each `fs.promises.stat` completes on libuv's pool and its callback then waits its turn behind
 * everything else on the gateway's ~98 %-busy main thread. A `statSync` of a local file costs microseconds
 * and no such wait. The answer is a stat of the file at the call, which stock's could equally be (its stat
 * runs some time after the call); an async function still, so an error is a rejection as stock's is.
 *
 * The same stage's `hadSessionFile` check (every JSONL-era release: an inline `fs.promises.stat(params.sessionFile)`
 * whose success becomes `true`, any failure `false`; a call site, release/shapes.ts CALL_SITES) is answered the
 * same way, by `statSync` at the call: {@link sessionFileStat}.
 */
import { statSync } from "node:fs";
import { settledAtCall, type Handler, type PreloadDeps } from "./preload-deps.js";

type Fingerprint = (sessionFile: unknown) => unknown;

/**
 * `fs.promises.stat(sessionFile)` as a promise settled at the call: the Stats `statSync` returns (the same
 * stat(2), the same Stats class) or its error as the rejection — an argument stat refuses (a NUL byte, not a
 * path) included, as the promise API rejects it. Only a string path is taken; anything else runs `original`.
 * A local statSync costs microseconds; on a network filesystem it blocks the main thread for a round trip,
 * which the async stat did not.
 */
function sessionFileStat(deps: PreloadDeps, original: () => unknown, args: unknown[]): unknown {
  if (typeof args[0] !== "string") return original();
  deps.counters.sessionStatsServed++;
  const path = args[0];
  return settledAtCall(() => statSync(path));
}

/** The handler (preload-runtime.ts `handlers`). */
export function fileFingerprintHandlers(deps: PreloadDeps): Record<string, Handler> {
  return {
    readSessionFileFingerprint: async (original, args, helpers) => {
      const sync = helpers.readSessionFileFingerprintSync?.() as Fingerprint | undefined;
      if (typeof sync !== "function") return original(...args);
      deps.counters.fingerprintsServed++;
      return sync(args[0]);
    },
    sessionFileStat: (original, args) => sessionFileStat(deps, original, args),
  };
}
