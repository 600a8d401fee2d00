#!/usr/bin/env bash
# Autobahn|Testsuite cases 1-10 (12/13 are permessage-deflate, which Tickwave does not offer)
# against the diagnostics echo route, over wss through the same TLS/HTTP/WebSocket stack as
# /ws. Uses ../shared/tools/run_autobahn.sh (kosoku from PyPI, socat for the TLS bridge).
set -euo pipefail
cd "$(dirname "$0")/.."
runner=../shared/tools/run_autobahn.sh
[ -f "$runner" ] || { echo "autobahn: $runner not found"; exit 1; }
if ! command -v socat >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat >/dev/null
fi
cargo build -q --bin tickwave
tmp=$(mktemp -d)
NO_COLOR=1 ./target/debug/tickwave --listen 127.0.0.1:0 --admin-listen off \
  --diagnostics-echo --data-dir "$tmp/data" >"$tmp/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
url=""
for _ in $(seq 100); do
  url=$(grep -o 'wss://[0-9.:]*/ws' "$tmp/server.log" | head -1 | sed 's#/ws$#/echo#' || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/server.log"; exit 1; }
mkdir -p target/autobahn
bash "$runner" -p 4 --outdir target/autobahn "$url" 2>&1 | tail -3 | cut -c1-2000
