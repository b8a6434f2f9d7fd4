#!/usr/bin/env bash
# Installs what the OpenClaw compatibility matrix (scripts/matrix.sh) runs against, into the git-ignored
# .cache/ at the repo root. Idempotent: whatever is already there at the right version is kept.
#  - every release of REPRESENTATIVE_RELEASES (scripts/lib/releases.sh) in full, as a user installs it:
#    .cache/openclaw/<version>/node_modules/openclaw (npm install --ignore-scripts: the install scripts
#    build native modules (koffi, tree-sitter) that no tested path uses);
#  - the Node each of them asks for in its engines field (scripts/fetch-node.sh);
#  - the package.json and dist/ of every stable and extended-stable release from DIST_FIRST to DIST_LAST
#    on npm (npm pack + tar, no dependencies): .cache/openclaw-dist/<version>/package/, for the locator
#    check over every build.
# Downloads run in parallel; npm's own cache makes a second machine-local run cheap.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/releases.sh"
logs="$CACHE/logs"
mkdir -p "$logs"
start=$SECONDS

installed_version() { # package.json → its version, or nothing
  [ -f "$1" ] && node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).version))' "$1" || true
}

install_release() { # VERSION → full install, quiet unless it fails
  local v="$1" dir="$CACHE/openclaw/$1"
  [ "$(installed_version "$(release_root "$v")/package.json")" = "$v" ] && return 0
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || printf '{ "name": "ctxc-openclaw-%s", "private": true }\n' "$v" > "$dir/package.json"
  if ! (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --save-exact "openclaw@$v") >"$logs/install-$v.log" 2>&1; then
    echo "install-releases: npm install openclaw@$v failed:" >&2; tail -n 30 "$logs/install-$v.log" >&2; return 1
  fi
}

unpack_dist() { # VERSION → package.json and dist/ of its tarball
  local v="$1" dest="$CACHE/openclaw-dist/$1" tmp
  [ "$(installed_version "$dest/package/package.json")" = "$v" ] && return 0
  tmp="$(mktemp -d "$CACHE/pack.XXXXXX")"
  if ! (cd "$tmp" && npm pack --silent "openclaw@$v") >"$logs/pack-$v.log" 2>&1; then
    echo "install-releases: npm pack openclaw@$v failed:" >&2; tail -n 30 "$logs/pack-$v.log" >&2; rm -rf "$tmp"; return 1
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  tar xzf "$tmp/openclaw-$v.tgz" -C "$dest" package/package.json package/dist
  rm -rf "$tmp"
}

unpack_pi() { # VERSION → the pi SessionManager its dist/ imports (2026.5.12–5.27), where Node would find it from dist/
  local v="$1" dest="$CACHE/openclaw-dist/$1" pi tmp
  pi="$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).dependencies?.["@earendil-works/pi-coding-agent"] ?? ""))' "$dest/package/package.json")"
  [ -n "$pi" ] || return 0
  local to="$dest/node_modules/@earendil-works/pi-coding-agent"
  [ "$(installed_version "$to/package.json")" = "$pi" ] && return 0
  tmp="$(mktemp -d "$CACHE/pack.XXXXXX")"
  if ! (cd "$tmp" && npm pack --silent "@earendil-works/pi-coding-agent@$pi") >"$logs/pack-$v-pi.log" 2>&1; then
    echo "install-releases: npm pack pi $pi for openclaw $v failed:" >&2; tail -n 30 "$logs/pack-$v-pi.log" >&2; rm -rf "$tmp"; return 1
  fi
  # Only what the locator's pi shape reads (release/plan.ts piSessionManagerShape).
  rm -rf "$to" && mkdir -p "$to"
  tar xzf "$tmp"/*.tgz -C "$to" --strip-components=1 package/package.json package/dist/core/session-manager.js package/dist/utils/paths.js
  rm -rf "$tmp"
}

# The dist list: stable versions only (no "-beta.N", no "-1" rebuild tags), DIST_FIRST..DIST_LAST.
dist_versions() {
  npm view openclaw versions --json | node -e '
    const [first, last] = process.argv.slice(1);
    const key = (v) => v.split(".").map(Number);
    const cmp = (a, b) => { const x = key(a), y = key(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; };
    const all = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const v of all) if (/^\d+\.\d+\.\d+$/.test(v) && cmp(v, first) >= 0 && cmp(v, last) <= 0) console.log(v);
  ' "$DIST_FIRST" "$DIST_LAST"
}

pids=()
for n in "${NODE_CANDIDATES[@]}"; do "$CTXC_ROOT/scripts/fetch-node.sh" "$n" >/dev/null & pids+=($!); done
for v in "${REPRESENTATIVE_RELEASES[@]}"; do install_release "$v" & pids+=($!); done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ "$failed" = 0 ] || { echo "install-releases: a full install failed" >&2; exit 1; }

versions="$(dist_versions)"
export -f unpack_dist unpack_pi installed_version; export CACHE logs
# 6 at a time: each is one ~tarball download; more only queues on the same link.
if ! printf '%s\n' $versions | xargs -P 6 -I{} bash -c 'unpack_dist {} && unpack_pi {}'; then
  echo "install-releases: unpacking a dist/ failed" >&2; exit 1
fi

for v in "${REPRESENTATIVE_RELEASES[@]}"; do
  echo "openclaw $v: $(release_root "$v") (node $(node_version_for "$(release_root "$v")/package.json"))"
done
echo "openclaw dist/: $(printf '%s\n' $versions | wc -l) releases $DIST_FIRST..$DIST_LAST in $CACHE/openclaw-dist"
echo "install-releases: done in $((SECONDS - start)) s"
