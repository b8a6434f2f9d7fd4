# Shared by scripts/install-releases.sh, scripts/matrix.sh and bench/real-gateway/setup.sh (source it).
# The OpenClaw releases the compatibility matrix installs in full: the first the preload supported, the
# last of each monthly line, and the extended-stable ends of the JSONL era (issue #11); 2026.9.6, npm's
# latest, for the SQLite era (transcripts in openclaw-agent.sqlite, issue #15). 2026.5.27: the last pi-era
# release, whose pi (0.75.5) normalises paths in SessionManager.open (test/matrix/pi-session-open.test.ts).
REPRESENTATIVE_RELEASES=(2026.5.12 2026.5.27 2026.5.28 2026.6.11 2026.6.35 2026.7.1 2026.7.35 2026.9.6)
# The Nodes a release may get, preferred first: 22.16 is what 2026.5.12 was benchmarked on; 24.22.3 runs
# every later release (their engines ask for >= 22.19, >= 22.22.3, or >= 24.15/24.16).
NODE_CANDIDATES=(22.16.0 24.22.3)
# Every stable and extended-stable release in this range gets its dist/ unpacked for the locator check.
DIST_FIRST=2026.5.12
DIST_LAST=2026.9.6

CTXC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$CTXC_ROOT/.cache"

# release_root VERSION → where install-releases.sh puts that release's openclaw package.
release_root() { echo "$CACHE/openclaw/$1/node_modules/openclaw"; }

# node_version_for PACKAGE_JSON → the first of NODE_CANDIDATES its engines.node accepts.
node_version_for() { node "$CTXC_ROOT/scripts/lib/pick-node.mjs" "$1" "${NODE_CANDIDATES[@]}"; }
