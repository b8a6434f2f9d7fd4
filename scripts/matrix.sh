#!/usr/bin/env bash
# The OpenClaw compatibility matrix (issue #11). Needs scripts/install-releases.sh and a build (done here
# unless CTXC_MATRIX_NO_BUILD=1, as .ci/run sets after its own build).
#  - For each release of REPRESENTATIVE_RELEASES: test/matrix on the Node that release asks for, with
#    CTXC_OPENCLAW_ROOT = its installed package (differential tests against its own functions).
#  - Once on the newest Node: test/unit/sqlite-source.test.ts (node:sqlite).
#  - Once on the newest Node: test/matrix/locator.test.ts and state-dir.test.ts with CTXC_OPENCLAW_DIST =
#    the unpacked dist/ of every release (the interception points; the state-dir code the preload's index follows).
# The runs that take the same Node are one vitest run, a project per run (test/support/matrix-config.ts):
# one pool over all their files leaves no core idle at the end of each. Each vitest run writes a JSON report
# to .tmp/matrix/node-<version>.json (a run that wrote none gets a report counting one failure, so a crash
# cannot pass). Last line: "matrix: N passed, N failed, N skipped". Exit status non-zero when any run failed.
# CTXC_MATRIX_ONLY=NAME[,NAME...] runs only those runs (openclaw-2026.7.35, sqlite-source, locator).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/releases.sh"
cd "$CTXC_ROOT"
out=.tmp/matrix
rm -rf "$out" && mkdir -p "$out"
# The generated fixtures, once per matrix run instead of once per release (test/support/generated.ts).
export CTXC_GENERATED_CACHE="$CTXC_ROOT/$out/generated"
if [ "${CTXC_MATRIX_NO_BUILD:-}" != 1 ]; then npx tsc -p tsconfig.json || exit 1; fi

status=0
fail() { # NAME MESSAGE: a run that could not start counts one failure
  echo "matrix $1: $2" >&2
  printf '{"numPassedTests":0,"numFailedTests":1,"numPendingTests":0,"numTodoTests":0}\n' > "$out/$1.json"
  status=1
}

# The runs, by the Node they take: runs_by_node[NODE] = JSON objects {name, include, env}, comma-separated.
declare -A runs_by_node=()
add() { # NAME NODE_VERSION INCLUDE [ENV_NAME ENV_VALUE]
  if [ -n "${CTXC_MATRIX_ONLY:-}" ] && [[ ",$CTXC_MATRIX_ONLY," != *",$1,"* ]]; then return; fi
  local env="{}"; [ $# -ge 5 ] && env="{\"$4\":\"$5\"}"
  local run="{\"name\":\"$1\",\"include\":[\"$3\"],\"env\":$env}"
  runs_by_node[$2]="${runs_by_node[$2]:+${runs_by_node[$2]},}$run"
}

for v in "${REPRESENTATIVE_RELEASES[@]}"; do
  root="$(release_root "$v")"
  if [ ! -f "$root/package.json" ]; then fail "openclaw-$v" "openclaw $v not installed at $root (run scripts/install-releases.sh)"; continue; fi
  nv="$(node_version_for "$root/package.json")" || { fail "openclaw-$v" "no Node for openclaw $v"; continue; }
  add "openclaw-$v" "$nv" "test/matrix/**/*.test.ts" CTXC_OPENCLAW_ROOT "$root"
done
newest="${NODE_CANDIDATES[-1]}"
# The SQLite source's own tests (hand-made stores) need node:sqlite, which the main suite's Node may lack
# (there they only check SQLITE_UNAVAILABLE): once more on the newest Node.
add sqlite-source "$newest" test/unit/sqlite-source.test.ts
# The locator runs where the preload runs: the newest Node any release here asks for.
add locator "$newest" "test/matrix/{locator,state-dir}.test.ts" CTXC_OPENCLAW_DIST "$CACHE/openclaw-dist"

for version in "${NODE_CANDIDATES[@]}"; do
  [ -n "${runs_by_node[$version]:-}" ] || continue
  name="node-$version"
  node="$("$CTXC_ROOT/scripts/fetch-node.sh" "$version")" || { fail "$name" "no Node $version"; continue; }
  echo "== matrix on node $("$node" --version): $(node -e 'console.log(JSON.parse(process.argv[1]).map((r) => r.name).join(" "))' "[${runs_by_node[$version]}]")"
  if ! CTXC_MATRIX_RUNS="[${runs_by_node[$version]}]" "$node" node_modules/vitest/vitest.mjs run \
      --config test/support/matrix-config.ts --reporter=default --reporter=json --outputFile="$out/$name.json"; then
    status=1
  fi
  [ -s "$out/$name.json" ] || fail "$name" "no report written"
done

node "$CTXC_ROOT/scripts/lib/sum-reports.mjs" matrix "$out"/*.json
exit $status
