#!/usr/bin/env bash
# Installs the pinned OpenClaw / pi-coding-agent builds that the differential
# tests compare ctxc against, into test/.reference/ (git-ignored).
# Idempotent: does nothing when both packages are already present at the pinned
# versions. Lifecycle scripts are never run (--ignore-scripts).
set -euo pipefail

OPENCLAW_VERSION="2026.5.12"
PI_VERSION="0.74.0"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ref_dir="$(cd "$here/.." && pwd)/.reference"

installed_version() {
  # $1 = package name; prints the installed version or nothing.
  local pkg_json="$ref_dir/node_modules/$1/package.json"
  [ -f "$pkg_json" ] || return 0
  node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).version ?? ""))' "$pkg_json"
}

if [ "$(installed_version openclaw)" = "$OPENCLAW_VERSION" ] &&
   [ "$(installed_version @earendil-works/pi-coding-agent)" = "$PI_VERSION" ]; then
  echo "reference install present in $ref_dir (openclaw@$OPENCLAW_VERSION, pi-coding-agent@$PI_VERSION)"
  exit 0
fi

mkdir -p "$ref_dir"
if [ ! -f "$ref_dir/package.json" ]; then
  cat > "$ref_dir/package.json" <<JSON
{
  "name": "ctxc-reference",
  "private": true,
  "description": "Reference installs used by ctxc differential tests. Not shipped.",
  "type": "module"
}
JSON
fi

cd "$ref_dir"
npm install --save-exact --ignore-scripts --no-audit --no-fund \
  "openclaw@$OPENCLAW_VERSION" "@earendil-works/pi-coding-agent@$PI_VERSION"

echo "installed reference packages into $ref_dir"
