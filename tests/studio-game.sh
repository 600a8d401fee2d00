#!/usr/bin/env bash
# A studio's game outside this repository, as a studio would have it: examples/studio-tag
# (the game "tag": typed input, a command with a reply, events to all and to one player,
# typed state and globals, [mode.settings], a join refusal, held-seat hooks, an early end)
# is copied to a scratch directory, its `tickwave` dependency pointed at this checkout, and
#   1. its own unit tests run (the facade's GameHarness), and it builds (offline, with this
#      checkout's Cargo.lock, sharing target/ so the dependencies are not built again);
#   2. its server refuses bad [mode.settings] at start, naming the key (exit status 2);
#   3. it serves the game: two Python clients written from PROTOCOL.md play it and see each
#      other move, the TypeScript SDK plays it generically (typed input, command reply
#      value, events, the game's and the schema's refusals), and a bot swarm plays it with
#      random valid inputs read from the schema (no errors, inputs acked, events seen);
#   4. SIGTERM drains it and it exits 0.
# Prints "studio game: ok" or the failing step with the server's log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "studio game: $*" >&2
  [[ -f $tmp/server.log ]] && cat "$tmp/server.log" >&2
  exit 1
}

echo "== studio game: copied out of the repository and built against this checkout"
crate="$tmp/studio-tag"
mkdir -p "$crate"
cp -r examples/studio-tag/Cargo.toml examples/studio-tag/src examples/studio-tag/modes.toml "$crate/"
sed -i "s|^tickwave = { path = \"../..\" }|tickwave = { path = \"$root\" }|" "$crate/Cargo.toml"
grep -q "^tickwave = { path = \"$root\" }" "$crate/Cargo.toml" || fail "could not point the copy at $root"
cp Cargo.lock "$crate/Cargo.lock"
export CARGO_TARGET_DIR="$root/target"
(cd "$crate" && cargo test --offline -q 2>&1 | grep -E "^test result|FAILED|panicked" ) || fail "its unit tests failed"
(cd "$crate" && cargo build --offline -q) || fail "it does not build"
bin="$root/target/debug/studio-tag"

echo "== studio game: bad [mode.settings] refuse to start, naming the key"
refuses() {
  local what=$1 settings=$2 rc=0
  sed "/^\[mode.settings\]/,\$d" "$crate/modes.toml" >"$tmp/bad.toml"
  printf '[mode.settings]\n%s\n' "$settings" >>"$tmp/bad.toml"
  "$bin" --listen 127.0.0.1:0 --admin-listen off --data-dir "$tmp/data" --modes "$tmp/bad.toml" \
    >"$tmp/bad.log" 2>&1 || rc=$?
  [[ $rc -eq 2 ]] || fail "$what: exit status $rc, not 2: $(cat "$tmp/bad.log")"
  grep -q "$what" "$tmp/bad.log" || fail "the refusal does not name $what: $(cat "$tmp/bad.log")"
  echo "refused: $(grep -o "mode \"tag\".*" "$tmp/bad.log" | head -1)"
}
refuses "colour" 'colour = "red"'
refuses "tags_to_win" 'tags_to_win = 0'

echo "== studio game: served, played by Python clients and the TypeScript SDK"
NO_COLOR=1 "$bin" --listen 127.0.0.1:0 --admin-listen off --data-dir "$tmp/data" \
  --modes "$crate/modes.toml" --drain-timeout-ms 1000 >"$tmp/server.log" 2>&1 &
pid=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'wss://[0-9.:]*/ws' "$tmp/server.log" | head -1 || true)
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || fail "the server did not start"
pin=$(grep -o 'sha256=[0-9a-f]*' "$tmp/server.log" | head -1 | cut -d= -f2)
py=(python3 examples/python/play.py --url "$url" --pin "$pin" --mode tag --seconds 6 --expect-others 1)
"${py[@]}" --name py-a >"$tmp/a.log" 2>&1 &
a=$!
"${py[@]}" --name py-b >"$tmp/b.log" 2>&1 || { cat "$tmp/b.log"; fail "a Python client failed"; }
wait $a || { cat "$tmp/a.log"; fail "a Python client failed"; }
grep -v "^tick" "$tmp/a.log"
grep -q "event you_are_it" "$tmp/a.log" "$tmp/b.log" || fail "nobody was told you_are_it"

if [[ ! -d protocol/ts/node_modules ]]; then
  (cd protocol/ts && npm ci --no-audit --no-fund --loglevel=error)
fi
[[ -f protocol/ts/dist/index.js ]] || (cd protocol/ts && npm run -s build)
node tests/studio/sdk_tag.mjs "$url" || fail "the SDK client failed"

echo "== studio game: a bot swarm plays it (random valid inputs and commands from a schema it has never seen)"
cargo build -q -p tickwave-bots --bin tickwave-bots
"$root/target/debug/tickwave-bots" swarm --url "$url" --insecure --bots 6 --mode tag \
  --duration 8s --max-error-rate 0 --progress none --report "$tmp/swarm.json" \
  >"$tmp/swarm.txt" 2>&1 || { cat "$tmp/swarm.txt"; fail "the swarm failed"; }
grep -E "^(bots|inputs|commands|delivery|events|errors) " "$tmp/swarm.txt"
python3 - "$tmp/swarm.json" <<'PY' || fail "the swarm's report"
import json, sys
r = json.load(open(sys.argv[1]))
acks = r["latency"]["input_to_ack"]["count"]
assert r["errors"]["total"] == 0, r["errors"]
assert not r["errors"]["server_codes"], r["errors"]["server_codes"]
assert acks > 100, f"only {acks} inputs acked"
assert r["delivery"]["ratio"] >= 0.99, r["delivery"]
assert r["games"]["events"].get("you_are_it", 0) >= 1, r["games"]["events"]
g = r["games"]
# The random `taunt`s: answered (the game's `too_soon` and `not_running` are refusals, not errors).
assert g["commands_sent"] >= 6 and g["command_results"] >= g["commands_sent"] - 6, g
assert g["events"].get("taunt", 0) >= 1, g["events"]
PY

echo "== studio game: SIGTERM drains and exits 0"
kill -TERM "$pid"
rc=0
for _ in $(seq 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null && fail "still running 10 s after SIGTERM (drain timeout 1 s)"
wait "$pid" || rc=$?
pid=""
[[ $rc -eq 0 ]] || fail "exit status $rc after SIGTERM"
grep -q "draining" "$tmp/server.log" || fail "no drain in the log"
echo "studio game: ok"
