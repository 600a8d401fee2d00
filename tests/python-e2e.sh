#!/usr/bin/env bash
# End to end as a user would: start the `tickwave` binary with its defaults (port 0 and a
# temporary data dir aside), then run two Python clients from examples/python/play.py that
# must find a match together and see each other move, then the reconnecting client of
# PROTOCOL.md section 11.4 (tests/python/resume_sample.py).
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
python3 examples/python/play.py --url "$url" --pin "$pin" --name py-a --seconds 6 --expect-others 1 >"$tmp/a.log" 2>&1 &
a=$!
python3 examples/python/play.py --url "$url" --pin "$pin" --name py-b --seconds 6 --expect-others 1 >"$tmp/b.log" 2>&1 &
b=$!
ok=1
wait $a || ok=0
wait $b || ok=0
cat "$tmp/a.log"
if [ $ok = 0 ]; then cat "$tmp/b.log" "$log"; echo "python e2e: failed"; exit 1; fi
# The reconnecting client of PROTOCOL.md section 11.4, run as the document shows it: its
# connection is cut mid-match and it must resume into its seat.
python3 tests/python/resume_sample.py --url "$url" || { cat "$log"; echo "python e2e: the section 11.4 sample failed"; exit 1; }
echo "python e2e: 3 passed, 0 failed"
kill -TERM $pid
wait $pid
