#!/usr/bin/env bash
# Every test of the project, as CI runs it (.ci/run calls this). Installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing test dependencies"
if ! command -v iptables >/dev/null && [ "$(id -u)" = 0 ]; then
  # the half-open test stops a connection's packets with iptables
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null
fi
if ! command -v redis-server >/dev/null && [ "$(id -u)" = 0 ]; then
  # the cluster tests (tests/cluster*.rs) start their own redis-server on a free loopback port
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if ! command -v redis-sentinel >/dev/null && [ "$(id -u)" = 0 ]; then
  # tests/cluster_redis.rs runs three sentinels on free loopback ports for the failover test
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-sentinel >/dev/null
fi
# Debian's package starts a system redis on 6379; the tests never use it (each starts its own).
command -v redis-server >/dev/null || echo "WARNING: redis-server missing: cluster tests will skip (and fail under CI)"
command -v redis-sentinel >/dev/null || echo "WARNING: redis-sentinel missing: the Sentinel test will skip (and fail under CI)"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore websockets msgpack

echo "== dependency policy (cargo deny: licences, bans, sources)"
command -v cargo-deny >/dev/null || cargo install --locked --quiet cargo-deny
cargo deny check licenses bans sources
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo doc (no broken links in the server's public surface and the protocol crate)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p tickwave -p tickwave-protocol -p tickwave-connect4 -p tickwave-battleship -p tickwave-fog
# Each stage has a time limit, so a hung test fails the run with its stage's name instead of
# running into CI's limit with no verdict. Limits are several times a 2-core machine's time.
stage() {
  local limit=$1
  shift
  local rc=0
  timeout -k 30 "$limit" "$@" || rc=$?
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    echo "run-all: '$*' did not finish within $limit s" >&2
  fi
  return "$rc"
}
echo "== cargo test"
stage 3600 cargo test --workspace
echo "== Autobahn WebSocket conformance (cases 1-10) over wss"
stage 900 tests/autobahn.sh
echo "== Python client written from PROTOCOL.md, against the real binary"
stage 600 tests/python-e2e.sh
echo "== a studio's game crate outside the repository (built on the facade, played by Python and the SDK)"
stage 1200 tests/studio-game.sh
echo "== deployment files (deploy/: Kubernetes manifests validated, probe paths on a real server)"
stage 900 tests/deploy.sh
echo "== admin dashboard in headless Chromium"
stage 900 tests/dashboard/run.sh
echo "== TypeScript SDK (golden bytes, node tests) and the browser demo in headless Chromium"
stage 1800 tests/sdk.sh
