#!/usr/bin/env bash
# End to end as a user would: start the `tickwave` binary with its defaults (port 0 and a
# temporary data dir aside), then run two Python clients from examples/python/play.py that
# must find a match together and see each other move (protocol 2, mode arena), a connect4
# game between two of them that must end with `results` carrying a payload, each of them
# once dropping out of turn and getting `command_result {ok: false, code: not_your_turn}`,
# then the reconnecting client of PROTOCOL.md section 11.4 (tests/python/resume_sample.py,
# which is protocol 1 as the document shows it).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --bin tickwave
tmp=$(mktemp -d)
log="$tmp/server.log"
NO_COLOR=1 ./target/debug/tickwave --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --data-dir "$tmp/data" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
url=""
for _ in $(seq 100); do
  url=$(grep -o 'wss://[0-9.:]*/ws' "$log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "server did not start"; exit 1; }
pin=$(grep -o 'sha256=[0-9a-f]*' "$log" | head -1 | cut -d= -f2)
python3 examples/python/play.py --url "$url" --pin "$pin" --name py-a --mode arena --seconds 6 --expect-others 1 >"$tmp/a.log" 2>&1 &
a=$!
python3 examples/python/play.py --url "$url" --pin "$pin" --name py-b --mode arena --seconds 6 --expect-others 1 >"$tmp/b.log" 2>&1 &
b=$!
ok=1
wait $a || ok=0
wait $b || ok=0
cat "$tmp/a.log"
if [ $ok = 0 ]; then cat "$tmp/b.log" "$log"; echo "python e2e: failed"; exit 1; fi
# connect4 between two Python clients: both must see `results` with a payload, and each one's
# out-of-turn `drop` must be refused with `not_your_turn` (play.py exits 1 otherwise).
c4="--mode connect4 --seconds 60 --expect-results --probe-not-your-turn"
python3 examples/python/play.py --url "$url" --pin "$pin" --name c4-a $c4 >"$tmp/c4a.log" 2>&1 &
a=$!
python3 examples/python/play.py --url "$url" --pin "$pin" --name c4-b $c4 >"$tmp/c4b.log" 2>&1 &
b=$!
ok=1
wait $a || ok=0
wait $b || ok=0
cat "$tmp/c4a.log"
if [ $ok = 0 ]; then cat "$tmp/c4b.log" "$log"; echo "python e2e: connect4 failed"; exit 1; fi
grep -q "payload {'winner'" "$tmp/c4a.log" || { echo "python e2e: connect4 results had no payload"; exit 1; }
grep -q "'code': 'not_your_turn'" "$tmp/c4a.log" || { echo "python e2e: no not_your_turn command_result"; exit 1; }
# The reconnecting client of PROTOCOL.md section 11.4, run as the document shows it: its
# connection is cut mid-match and it must resume into its seat.
python3 tests/python/resume_sample.py --url "$url" || { cat "$log"; echo "python e2e: the section 11.4 sample failed"; exit 1; }
echo "python e2e: 4 passed, 0 failed"
kill -TERM $pid
wait $pid
