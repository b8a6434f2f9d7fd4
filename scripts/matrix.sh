#!/usr/bin/env bash
# The OpenClaw compatibility matrix (issue #11). Needs scripts/install-releases.sh and a build (done here
# unless CTXC_MATRIX_NO_BUILD=1, as .ci/run sets after its own build).
#  - For each release of REPRESENTATIVE_RELEASES: `vitest run test/matrix` on the Node that release asks
#    for, with CTXC_OPENCLAW_ROOT = its installed package (differential tests against its own functions).
#  - Once on the newest Node: test/unit/sqlite-source.test.ts (node:sqlite).
#  - Once: test/matrix/locator.test.ts and state-dir.test.ts with CTXC_OPENCLAW_DIST = the unpacked dist/ of
#    every release (the interception points; the state-dir code the preload's index follows).
# Each run writes a vitest JSON report to .tmp/matrix/<name>.json (a run that wrote none gets a report
# counting one failure, so a crash cannot pass). Last line: "matrix: N passed, N failed, N skipped".
# Exit status non-zero when any run failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/releases.sh"
cd "$CTXC_ROOT"
out=.tmp/matrix
rm -rf "$out" && mkdir -p "$out"
if [ "${CTXC_MATRIX_NO_BUILD:-}" != 1 ]; then npx tsc -p tsconfig.json || exit 1; fi

status=0
run() { # NAME NODE ENV=VALUE... -- vitest args...
  local name="$1" node="$2"; shift 2
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  echo "== matrix $name (node $("$node" --version))"
  if ! env "${envs[@]}" "$node" node_modules/vitest/vitest.mjs run "$@" \
      --reporter=default --reporter=json --outputFile="$out/$name.json"; then
    status=1
  fi
  if [ ! -s "$out/$name.json" ]; then
    echo "matrix $name: no report written" >&2
    printf '{"numPassedTests":0,"numFailedTests":1,"numPendingTests":0,"numTodoTests":0}\n' > "$out/$name.json"
    status=1
  fi
}

for v in "${REPRESENTATIVE_RELEASES[@]}"; do
  root="$(release_root "$v")"
  if [ ! -f "$root/package.json" ]; then
    echo "matrix: openclaw $v not installed at $root (run scripts/install-releases.sh)" >&2
    printf '{"numPassedTests":0,"numFailedTests":1,"numPendingTests":0,"numTodoTests":0}\n' > "$out/openclaw-$v.json"
    status=1; continue
  fi
  node="$("$CTXC_ROOT/scripts/fetch-node.sh" "$(node_version_for "$root/package.json")")" || { status=1; continue; }
  run "openclaw-$v" "$node" CTXC_OPENCLAW_ROOT="$root" -- test/matrix
done

# The SQLite source's own tests (hand-made stores) need node:sqlite, which the main suite's Node may lack
# (there they only check SQLITE_UNAVAILABLE): once more on the newest Node.
node="$("$CTXC_ROOT/scripts/fetch-node.sh" "${NODE_CANDIDATES[-1]}")" || exit 1
run sqlite-source "$node" -- test/unit/sqlite-source.test.ts

# The locator runs where the preload runs: the newest Node any release here asks for.
node="$("$CTXC_ROOT/scripts/fetch-node.sh" "${NODE_CANDIDATES[-1]}")" || exit 1
run locator "$node" CTXC_OPENCLAW_DIST="$CACHE/openclaw-dist" -- test/matrix/locator.test.ts test/matrix/state-dir.test.ts

node "$CTXC_ROOT/scripts/lib/sum-reports.mjs" matrix "$out"/*.json
exit $status
