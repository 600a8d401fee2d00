#!/usr/bin/env bash
# Real-browser test of the admin dashboard (assets/admin).
#
# Installs Debian's Chromium (when missing and root) and the Node test driver
# (playwright-core, no browser download), builds the server (as examples/scouts: the server
# with one more game, whose players have views of their own) and the bots, starts the server
# on free ports with a short-countdown arena mode and a scouts mode, starts 3 bots in the
# arena and a swarm of 6 protocol-2 bots in scouts, and runs tests/dashboard/views.test.mjs
# and tests/dashboard/dashboard.test.mjs with `node --test` (one file at a time; the drain at
# the end of dashboard.test.mjs leaves the running scouts lobby alone). Screenshots (and, on failure, the
# server and bot logs) go to target/dashboard/. Prints "dashboard: N passed, M failed".
#
#   tests/dashboard/run.sh
#
# Environment: CHROMIUM (browser binary, default /usr/bin/chromium), BOTS (default 3),
# SCOUTS (bots in the scouts lobby, default 6),
# SKIP_BUILD=1 uses the binaries already in target/debug, KEEP_TMP=1 keeps the temporary
# directory. The dashboard is compiled into tickwave (rust-embed), so the server must be
# built from this tree for the test to see its assets/admin.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HERE="$ROOT/tests/dashboard"
OUT="$ROOT/target/dashboard"
BOTS="${BOTS:-3}"
SCOUTS="${SCOUTS:-6}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
STARTED=$(date +%s)

say() { printf 'dashboard: %s\n' "$*"; }
die() {
  say "error: $*" >&2
  echo "dashboard: 0 passed, 1 failed"
  exit 1
}

# --- tools -----------------------------------------------------------------------------
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    die "$* missing; install it (apt-get install $*) or run as root"
  fi
  say "installing $* (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
[ -x "$CHROMIUM" ] || apt_install chromium
[ -x "$CHROMIUM" ] || die "no browser at $CHROMIUM"
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
command -v node >/dev/null || die "node not found"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 20 ] || die "Node.js >= 20 needed (playwright-core), found $(node --version)"

say "installing the test driver (playwright-core, no browser download)"
(
  cd "$HERE"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
) || die "npm ci failed in tests/dashboard"

if [ "${SKIP_BUILD:-0}" = 1 ]; then
  say "SKIP_BUILD=1: using the existing target/debug binaries"
else
  say "building the server (examples/scouts) and tickwave-bots"
  cargo build --quiet -p tickwave --example scouts -p tickwave-bots --bin tickwave-bots ||
    die "cargo build failed"
fi
TARGET="${CARGO_TARGET_DIR:-target}"
SERVER_BIN="$TARGET/debug/examples/scouts"
BOTS_BIN="$TARGET/debug/tickwave-bots"
for bin in "$SERVER_BIN" "$BOTS_BIN"; do
  [ -x "$bin" ] || die "$bin missing"
done

# --- server and bots -------------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tickwave-dashboard.XXXXXX")"
PIDS=()
SERVER_PID=""
cleanup() {
  local code=$?
  # Bots first, then the server: its first SIGTERM starts a graceful drain (which would wait
  # for the lobby), the second one makes it exit at once.
  for pid in "${PIDS[@]}"; do
    [ "$pid" = "${SERVER_PID:-}" ] || kill "$pid" 2>/dev/null || true
  done
  if [ -n "${SERVER_PID:-}" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    sleep 0.3
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$code" != 0 ] && [ -d "$TMP" ]; then
    mkdir -p "$OUT"
    cp "$TMP"/*.log "$OUT"/ 2>/dev/null || true
    say "logs kept in $OUT/"
  fi
  [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$TMP"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rand() { od -An -tx1 -N18 /dev/urandom | tr -d ' \n'; }
OPERATOR_TOKEN="op-$(rand)"
VIEWER_TOKEN="view-$(rand)"

cat >"$TMP/modes.toml" <<'EOF'
[[mode]]
name = "arena"
game = "arena_v1"
max_players = 16
min_players = 2
countdown_ms = 300
fill_timeout_ms = 300

# Two protocol-2 clients of the test play a few moves here (a game without x/y).
[[mode]]
name = "connect4"
game = "connect4"
max_players = 2
min_players = 2
countdown_ms = 300
fill_timeout_ms = 0
backfill = false
match_length_ms = 900000
tick_hz = 10

# examples/scouts.rs: two teams, each scout's view of its own (views.test.mjs).
[[mode]]
name = "scouts"
game = "scouts"
max_players = 6
min_players = 6
countdown_ms = 0
fill_timeout_ms = 0
match_length_ms = 900000
tick_hz = 20
EOF

say "starting the server"
NO_COLOR=1 RUST_LOG="${RUST_LOG:-info}" "$SERVER_BIN" \
  --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
  --admin-token "$OPERATOR_TOKEN" --viewer-token "$VIEWER_TOKEN" \
  --data-dir "$TMP/data" --modes "$TMP/modes.toml" \
  >"$TMP/server.log" 2>&1 &
PIDS+=($!)
SERVER_PID=$!

GAME="" ADMIN=""
for _ in $(seq 1 150); do
  GAME="$(sed -n 's#.*listening on wss://\([0-9.]*:[0-9]*\)/ws.*#\1#p' "$TMP/server.log" | head -n1)"
  ADMIN="$(sed -n 's#.*admin listener on https://\([0-9.]*:[0-9]*\)/.*#\1#p' "$TMP/server.log" | head -n1)"
  [ -n "$GAME" ] && [ -n "$ADMIN" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; die "server exited at start"; }
  sleep 0.1
done
[ -n "$GAME" ] && [ -n "$ADMIN" ] || { cat "$TMP/server.log" >&2; die "no listen lines in the server log"; }
say "game wss://$GAME/ws, admin https://$ADMIN/"

for n in $(seq 1 "$BOTS"); do
  "$BOTS_BIN" client --insecure --url "wss://$GAME/ws" --name "bot$n" --seconds 60 \
    >"$TMP/bot$n.log" 2>&1 &
  PIDS+=($!)
done

# A lobby of scouts: a protocol-2 swarm, random valid inputs (the bots do not know the game).
"$BOTS_BIN" swarm --insecure --url "wss://$GAME/ws" --mode scouts --bots "$SCOUTS" --ramp 100 \
  --duration 150s --progress none >"$TMP/scouts.log" 2>&1 &
PIDS+=($!)

# --- the browser test ------------------------------------------------------------------
mkdir -p "$OUT"
rm -f "$OUT"/*.png "$OUT"/*.log
say "running the browser test"
set +e
ADMIN_URL="https://$ADMIN" GAME_URL="wss://$GAME/ws" OPERATOR_TOKEN="$OPERATOR_TOKEN" VIEWER_TOKEN="$VIEWER_TOKEN" \
  BOTS="$BOTS" SCOUTS="$SCOUTS" SCREENSHOT_DIR="$OUT" CHROMIUM="$CHROMIUM" \
  timeout 150 node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$TMP/result.tap" \
  "$HERE/views.test.mjs" "$HERE/dashboard.test.mjs"
CODE=$?
set -e

PASS="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$TMP/result.tap" 2>/dev/null | tail -n1)"
FAIL="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$TMP/result.tap" 2>/dev/null | tail -n1)"
PASS="${PASS:-0}"
FAIL="${FAIL:-0}"
if [ "$CODE" != 0 ] && [ "$FAIL" = 0 ]; then FAIL=1; fi # crashed or timed out
[ -f "$OUT/dashboard.png" ] && say "screenshot: $OUT/dashboard.png"
[ -f "$OUT/dashboard-views.png" ] && say "screenshot of a player's view: $OUT/dashboard-views.png"
say "took $(($(date +%s) - STARTED)) s"
echo "dashboard: $PASS passed, $FAIL failed"
[ "$CODE" = 0 ] && [ "$FAIL" = 0 ]
