#!/usr/bin/env bash
# Usage: scripts/install-test.sh [--git]
#
# Installs ctxc the way a user does and uses it, on this machine's Node and on Node 24 (from npm,
# scripts/fetch-node.sh):
#   1. copies the working tree (tracked + untracked, not ignored) into a scratch folder WITHOUT dist/ —
#      an unbuilt clone — and runs `npm pack` there (npm runs `prepare`, which must build it);
#   2. checks what the tarball ships (no dist/bench, no source maps, LICENSE/CHANGELOG/README present);
#   3. installs the tarball into a scratch project and, on each Node: `import` (ESM), `require`
#      (CommonJS), the bin (`npx ctxc build` on the shipped example), `npx ctxc bench` (exit 4,
#      BENCH_UNAVAILABLE), the shipped gateway example, and the types under `nodenext`;
#   4. the OpenClaw preload as docs/openclaw.md tells operators to load it: NODE_OPTIONS="--import
#      /abs/…/register.js" from another working directory, in the official Docker image's layout (app in
#      /app, ctxc elsewhere) and in an `npm install -g` layout, against the pinned OpenClaw 2026.5.12
#      (test/.reference, from test/reference/install-reference.sh) on Node 24; and the bare specifier's
#      documented failure (`Cannot find package 'ctxc'`) from a directory where ctxc is not installed.
#   --git also installs from a git URL (git+file://) of the scratch copy: npm runs `prepare` there.
#
# Prints one line per check and ends with "install test: N passed, N failed"; writes the counts to
# .tmp/install-test.json for .ci/run. Exit status: 0 when every check passed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node24_version="24.22.3"
with_git=0
[ "${1:-}" = "--git" ] && with_git=1

scratch="$(mktemp -d /tmp/ctxc-install.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0

check() { # check NAME COMMAND… — runs COMMAND, records and prints the outcome; output kept on failure
  local name="$1"
  shift
  local log="$scratch/check.log"
  local started=$SECONDS
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok    $name ($((SECONDS - started)) s)"
  else
    failed=$((failed + 1))
    echo "FAIL  $name ($((SECONDS - started)) s)"
    sed 's/^/      /' "$log" | tail -n 25
  fi
}

expect_output() { # expect_output PATTERN COMMAND… — COMMAND exits 0 and prints a line matching PATTERN
  local pattern="$1"
  shift
  local out
  out="$("$@" 2>&1)" || { echo "$out"; echo "exit status $?"; return 1; }
  grep -Eq -- "$pattern" <<<"$out" || { echo "$out"; echo "no line matches: $pattern"; return 1; }
}

expect_failure() { # expect_failure STATUS PATTERN COMMAND… — COMMAND exits STATUS, prints PATTERN, no stack
  local status="$1" pattern="$2"
  shift 2
  local out code=0
  out="$("$@" 2>&1)" || code=$?
  echo "$out"
  [ "$code" = "$status" ] || { echo "exit status $code, expected $status"; return 1; }
  grep -Eq -- "$pattern" <<<"$out" || { echo "no line matches: $pattern"; return 1; }
  ! grep -Eq '^\s+at ' <<<"$out" || { echo "a stack trace was printed"; return 1; }
}

finish() {
  echo "install test: $passed passed, $failed failed"
  mkdir -p "$root/.tmp"
  printf '{"numPassedTests":%d,"numFailedTests":%d}\n' "$passed" "$failed" >"$root/.tmp/install-test.json"
  [ "$failed" = 0 ]
  exit $?
}

# --- 1. an unbuilt clone, packed -------------------------------------------------------------------
src="$scratch/src"
mkdir -p "$src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$src"
ln -s "$root/node_modules" "$src/node_modules" # the dev dependencies (tsc) an `npm ci` would install
check "npm pack in an unbuilt clone builds the package (prepare)" \
  bash -c "cd '$src' && [ ! -e dist ] && npm pack --silent --pack-destination '$scratch' >'$scratch/pack-name' && test -s '$scratch'/ctxc-*.tgz"
tgz="$(ls "$scratch"/ctxc-*.tgz 2>/dev/null | head -n 1)"
if [ -z "$tgz" ]; then
  finish
fi

# --- 2. what the tarball ships ---------------------------------------------------------------------
tar -tzf "$tgz" | sort >"$scratch/contents"
check "ships the code, the worker, the examples, LICENSE, CHANGELOG, README" \
  bash -c "for f in dist/src/index.js dist/src/index.d.ts dist/src/cli/main.js dist/src/openclaw/register.js \
    dist/native-free-workers/compile-worker.js dist/examples/gateway/gateway.js examples/transcripts/session.jsonl \
    examples/workspace/AGENTS.md docs/openclaw.md LICENSE CHANGELOG.md README.md package.json; do
      grep -qx \"package/\$f\" '$scratch/contents' || { echo \"missing: \$f\"; exit 1; }; done"
check "ships no benchmark code, no source maps, no TypeScript sources outside examples" \
  bash -c "! grep -E '^package/(dist/bench/|.*\\.map\$|src/|native-free-workers/|test/|bench/)' '$scratch/contents'"

# --- 3. installed and used, on each Node -----------------------------------------------------------
node20="$(command -v node)"
node24="$(bash "$root/scripts/fetch-node.sh" "$node24_version")"
proj="$scratch/project"
mkdir -p "$proj"
echo '{"name":"scratch","private":true}' >"$proj/package.json"
check "npm install <tarball> into a new project" \
  bash -c "cd '$proj' && npm install --no-audit --no-fund --loglevel=error '$tgz'"

cat >"$proj/esm.mjs" <<'EOF'
import { createCompiler, decodeContext, CtxcError } from "ctxc";
import { openSessionAsync, closeOpenClawPool } from "ctxc/openclaw";
import { createRequire } from "node:module";
const example = createRequire(import.meta.url).resolve("ctxc/package.json").replace(/package\.json$/, "examples/");
const compiler = createCompiler({ threads: 1 });
const ctx = await compiler.build({ transcript: `${example}transcripts/session.jsonl`, workspaceDir: `${example}workspace` });
const again = decodeContext(ctx.buffer);
const session = await openSessionAsync(`${example}transcripts/session.jsonl`);
const err = await compiler.build({ transcript: "/nonexistent.jsonl" }).catch((e) => e);
await compiler.close();
await closeOpenClawPool();
if (!(ctx.messageCount > 0 && again.messageCount === ctx.messageCount && session.buildSessionContext().messages.length > 0)) process.exit(1);
if (!(err instanceof CtxcError && err.code === "TRANSCRIPT_NOT_FOUND")) process.exit(1);
console.log(`esm ok: ${ctx.messageCount} messages, ${ctx.tokens.total} tokens`);
EOF
cat >"$proj/cjs.cjs" <<'EOF'
// Node >= 20.19 loads ctxc's ES modules from require() (the `default` export condition).
const { createCompiler, CtxcError } = require("ctxc");
const { openSession } = require("ctxc/openclaw");
const example = require.resolve("ctxc/package.json").replace(/package\.json$/, "examples/");
(async () => {
  const compiler = createCompiler({ threads: 1 });
  const ctx = await compiler.build({ transcript: `${example}transcripts/session.jsonl` });
  await compiler.close();
  const session = openSession(`${example}transcripts/session.jsonl`);
  if (!(ctx.messageCount > 0 && typeof CtxcError === "function" && session.getBranch().length > 0)) process.exit(1);
  console.log(`cjs ok: ${ctx.messageCount} messages`);
})();
EOF
cat >"$proj/types.mts" <<'EOF'
import { createCompiler, type CompiledContext, type CtxcErrorCode } from "ctxc";
import { openSession, type OpenClawSession } from "ctxc/openclaw";
const compiler = createCompiler({ threads: 1 });
const ctx: Promise<CompiledContext> = compiler.build({ transcript: "x.jsonl", budget: 1000, tokenizer: "estimate" });
const code: CtxcErrorCode = "TRANSCRIPT_NOT_FOUND";
const session: OpenClawSession = openSession("x.jsonl");
void ctx; void code; void session;
EOF

for nodebin in "$node20" "$node24"; do
  v="$("$nodebin" --version)"
  path="$(dirname "$nodebin"):$PATH" # npx and the bin's `#!/usr/bin/env node` use this Node
  check "$v: import from ESM (ctxc, ctxc/openclaw)" expect_output '^esm ok' "$nodebin" "$proj/esm.mjs"
  check "$v: require from CommonJS (ctxc, ctxc/openclaw)" expect_output '^cjs ok' "$nodebin" "$proj/cjs.cjs"
  check "$v: npx ctxc build on the shipped example" \
    expect_output '^build +cold' env PATH="$path" bash -c "cd '$proj' && npx --no-install ctxc build node_modules/ctxc/examples/transcripts/session.jsonl --workspace node_modules/ctxc/examples/workspace --format text"
  check "$v: npx ctxc bench says it runs from a source checkout (exit 4)" \
    expect_failure 4 'runs from a source checkout.*\[BENCH_UNAVAILABLE\]' env PATH="$path" bash -c "cd '$proj' && npx --no-install ctxc bench"
  check "$v: npx ctxc build package.json is not a transcript (exit 1)" \
    expect_failure 1 '\[NOT_A_TRANSCRIPT\]' env PATH="$path" bash -c "cd '$proj' && npx --no-install ctxc build package.json"
  check "$v: the shipped gateway example runs from the package" \
    expect_output '^event=done' "$nodebin" "$proj/node_modules/ctxc/dist/examples/gateway/gateway.js" --agents 2 --turns 1
done
check "types check under module nodenext (tsc)" \
  bash -c "cd '$proj' && '$node20' '$root/node_modules/typescript/bin/tsc' --noEmit --strict --skipLibCheck --module nodenext --moduleResolution nodenext --target es2022 --types node --typeRoots '$root/node_modules/@types' types.mts"

# --- 4. the OpenClaw preload, loaded as docs/openclaw.md says ---------------------------------------
openclaw="$root/test/.reference/node_modules/openclaw"
if [ -f "$openclaw/package.json" ]; then
  # The official image: the app in /app (WORKDIR), `node dist/index.js …`; ctxc installed elsewhere.
  app="$scratch/image/app"
  mkdir -p "$scratch/image"
  ln -s "$openclaw" "$app"
  mkdir -p "$scratch/image/opt/ctxc"
  (cd "$scratch/image/opt/ctxc" && echo '{"private":true}' >package.json && npm install --no-audit --no-fund --loglevel=error "$tgz" >/dev/null 2>&1)
  register="$scratch/image/opt/ctxc/node_modules/ctxc/dist/src/openclaw/register.js"
  check "image layout: NODE_OPTIONS=--import <absolute register.js>, cwd /app → ctxc-openclaw active" \
    expect_output 'ctxc-openclaw active: openclaw 2026\.5\.12, node v24' \
    bash -c "cd '$app' && NODE_OPTIONS='--import $register' '$node24' dist/index.js --version"
  # The image runs the gateway as the unprivileged user `node` (HOME=/home/node) while root installed ctxc:
  # the same check as a user that is not root (nobody), where this machine allows it.
  if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    chmod 755 "$scratch" # mktemp -d made it private
    mkdir -p "$scratch/image/home/node" && chown nobody:nogroup "$scratch/image/home/node"
    if "${as_user[@]}" test -x "$node24" -a -r "$openclaw/dist/index.js" -a -r "$register"; then
      check "image layout as a non-root user (the image's user node) → ctxc-openclaw active" \
        expect_output 'ctxc-openclaw active: openclaw 2026\.5\.12' \
        "${as_user[@]}" env HOME="$scratch/image/home/node" bash -c "cd '$app' && NODE_OPTIONS='--import $register' '$node24' dist/index.js --version"
    else
      echo "skip  image layout as a non-root user: nobody cannot reach $node24 or $openclaw (the clone is in a private directory)"
    fi
  fi
  check "image layout: CTXC_OPENCLAW_PRELOAD=off → no ctxc line at all" \
    bash -c "out=\$(cd '$app' && CTXC_OPENCLAW_PRELOAD=off NODE_OPTIONS='--import $register' '$node24' dist/index.js --version 2>&1); echo \"\$out\"; ! grep -q ctxc-openclaw <<<\"\$out\""
  # Node's own failure, stack trace and all: this is what the guide warns about, not ctxc's output.
  check "image layout: the bare specifier from /app fails as documented (Cannot find package 'ctxc')" \
    bash -c "! out=\$(cd '$app' && NODE_OPTIONS='--import ctxc/openclaw/register' '$node24' dist/index.js --version 2>&1); grep -q \"Cannot find package 'ctxc'\" <<<\"\$out\""
  # `npm install -g openclaw ctxc`: both under <prefix>/lib/node_modules, the bin a symlink.
  prefix="$scratch/global"
  mkdir -p "$prefix/lib/node_modules" "$prefix/bin"
  ln -s "$openclaw" "$prefix/lib/node_modules/openclaw"
  ln -s ../lib/node_modules/openclaw/openclaw.mjs "$prefix/bin/openclaw"
  npm install -g --prefix "$prefix" --no-audit --no-fund --loglevel=error "$tgz" >/dev/null 2>&1
  check "npm -g layout: NODE_OPTIONS=--import \$(npm root -g)/ctxc/…/register.js, openclaw from PATH → active" \
    expect_output 'ctxc-openclaw active: openclaw 2026\.5\.12' \
    bash -c "cd /tmp && PATH='$prefix/bin:$(dirname "$node24"):$PATH' NODE_OPTIONS=\"--import \$(npm root -g --prefix '$prefix')/ctxc/dist/src/openclaw/register.js\" openclaw --version"
else
  echo "skip  OpenClaw preload checks: $openclaw is not installed (bash test/reference/install-reference.sh)"
fi

# --- 5. from a git URL (optional: it installs every dev dependency) --------------------------------
if [ "$with_git" = 1 ]; then
  git_src="$scratch/git-src"
  cp -r "$src" "$git_src" && rm -f "$git_src/node_modules" && rm -rf "$git_src/dist"
  (cd "$git_src" && git init -q && git add -A && git -c user.email=t@t -c user.name=t commit -qm snapshot)
  gproj="$scratch/git-project"
  mkdir -p "$gproj" && echo '{"name":"scratch-git","private":true}' >"$gproj/package.json"
  check "npm install git+file://… (prepare builds it)" \
    bash -c "cd '$gproj' && npm install --no-audit --no-fund --loglevel=error 'git+file://$git_src' && test -f node_modules/ctxc/dist/src/index.js"
  check "git install: npx ctxc build on the shipped example" \
    expect_output '^build +cold' bash -c "cd '$gproj' && npx --no-install ctxc build node_modules/ctxc/examples/transcripts/session.jsonl --format text"
fi

finish
