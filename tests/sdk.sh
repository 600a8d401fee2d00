#!/usr/bin/env bash
# The TypeScript client SDK (protocol/ts) and the browser demo (assets/play):
#   1. installs what is missing (Debian chromium when root, the SDK's npm packages),
#   2. checks that the committed demo bundle (assets/play/tickwave.js) is what the SDK
#      builds, then builds the server and bot binaries, the SDK (dist/) and the bundle,
#   3. checks the committed golden MessagePack files against the Rust protocol crate,
#   4. runs the SDK's node tests (drift, state, client logic, a real server, and the package
#      as published: npm pack, installed into a scratch project, README's snippet run there),
#   5. has the Rust crate decode what the SDK encoded,
#   6. runs the demo in headless Chromium against the server and bot processes.
# Prints "sdk: N passed, N failed" and exits non-zero on any failure.
#
#   tests/sdk.sh                  everything
#   tests/sdk.sh --regen-golden   rewrite protocol/ts/test/golden/ from the Rust crate first
#                                 (after an intended protocol change; commit the result)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$SECONDS
regen=false
[[ "${1:-}" == "--regen-golden" ]] && regen=true

passed=0
failed=0
failures=()
# A failed install or build stops the script; still end with the summary line.
trap 'echo "sdk: setup or build failed (see above)"; echo "sdk: $passed passed, $((failed + 1)) failed"' ERR
out="$root/target/sdk"
mkdir -p "$out"
rm -f "$out"/*.tap

# Run a node test stage; count its tests from the TAP copy of its report.
node_stage() {
  local name=$1
  shift
  echo "== $name"
  local tap="$out/$name.tap"
  local rc=0
  # No test may hang the run: each is cut off after 3 minutes, the stage after 15.
  timeout -k 10 900 node --test --test-concurrency=1 --test-timeout=180000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$@" || rc=$?
  local p f
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -1 || true)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -1 || true)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [[ $rc -ne 0 ]]; then
    [[ ${f:-0} -eq 0 ]] && failed=$((failed + 1)) # crashed without a count
    failures+=("$name")
  fi
}

# Run one check command as a single test.
check() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

echo "== dependencies"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "sdk: Node.js (>= 20) and npm are needed" >&2
  exit 1
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "sdk: Node.js >= 20 is needed, found $(node --version)" >&2; exit 1; }
if ! [[ -x /usr/bin/chromium ]] && [[ "$(id -u)" == 0 ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[[ -x /usr/bin/chromium ]] || { echo "sdk: /usr/bin/chromium is needed (apt-get install chromium)" >&2; exit 1; }
# playwright-core drives the system chromium; never let anything download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd protocol/ts && npm ci --no-audit --no-fund --loglevel=error)

echo "== build: server and bots (debug), golden generator, SDK and demo bundle"
# examples/scouts: the server with a game of per-player views (protocol/ts/test/views.test.mjs).
cargo build -q -p tickwave --bin tickwave --example scouts -p tickwave-bots --bin tickwave-bots
# golden-gen is its own workspace; sharing target/ reuses the dependencies already built.
CARGO_TARGET_DIR="$root/target" cargo build -q --manifest-path protocol/ts/golden-gen/Cargo.toml
gen="$root/target/debug/tickwave-golden-gen"
golden=protocol/ts/test/golden
if $regen; then
  rm -f "$golden"/*
  "$gen" write "$golden"
fi
# The server embeds the committed bundle (assets/play/tickwave.js): it must be what the SDK
# sources and the lockfile build. Checked before the build below rewrites it.
check "the committed demo bundle is current (else: cd protocol/ts && npm run build, commit)" \
  bash -c "cd protocol/ts && npm run -s bundle:check"
(cd protocol/ts && npm run -s build)

check "golden files match the Rust protocol crate" "$gen" verify "$golden"
export TICKWAVE_SDK_OUT="$out/sdk-encodings"
rm -rf "$TICKWAVE_SDK_OUT"
node_stage sdk-tests protocol/ts/test/*.test.mjs
check "the Rust crate decodes the SDK's encodings" "$gen" check-sdk "$TICKWAVE_SDK_OUT"
node_stage browser tests/browser/*.test.mjs

trap - ERR
echo
if [[ $failed -eq 0 ]]; then
  echo "sdk: all passed in $((SECONDS - t0)) s; screenshot: target/browser/demo.png"
else
  echo "sdk: failed: ${failures[*]}"
fi
echo "sdk: $passed passed, $failed failed"
if [[ $failed -ne 0 ]]; then exit 1; fi
