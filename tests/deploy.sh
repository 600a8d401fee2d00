#!/usr/bin/env bash
# The deployment files under deploy/ (container image, Kubernetes manifests):
#   1. every manifest validates against the Kubernetes 1.31 schemas, strictly (unknown fields
#      refused), with kubernetes-validate from PyPI;
#   2. every TICKWAVE_* variable they set is one the server reads (from `tickwave --help`,
#      plus TICKWAVE_CLUSTER_SECRET, which --help does not print), so a renamed flag cannot
#      leave a manifest that silently does nothing;
#   3. the probe paths they name answer as the manifests expect on a real server: /healthz
#      200 (liveness) and /readyz 200 on a ready single node, 503 once it drains;
#   4. the Dockerfile builds the package and binary that exist, as a non-root user.
# Needs target/debug/tickwave (cargo build); prints "deploy: ok" or exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TICKWAVE_BIN:-target/debug/tickwave}
[[ -x $bin ]] || cargo build -q -p tickwave --bin tickwave

if ! command -v curl >/dev/null && [[ "$(id -u)" == 0 ]]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore kubernetes-validate==1.31.0 websockets msgpack
echo "== deploy: manifests validate (Kubernetes 1.31, strict)"
kubernetes-validate --strict --quiet deploy/k8s/*.yaml

echo "== deploy: every TICKWAVE_* variable is one the server reads"
known=$("$bin" --help | grep -o 'env: TICKWAVE_[A-Z_]*' | sed 's/env: //' | sort -u; echo TICKWAVE_CLUSTER_SECRET)
used=$(grep -ho 'TICKWAVE_[A-Z_]*' deploy/Dockerfile deploy/k8s/*.yaml | sort -u)
for v in $used; do
  grep -qx "$v" <<<"$known" || { echo "deploy: $v is set in deploy/ but the server does not read it" >&2; exit 1; }
done

echo "== deploy: the probe paths answer on a real server"
dir=$(mktemp -d)
log=$dir/log
# A mode whose match starts at once with one player, so a running match keeps the drain going.
printf '[[mode]]\nname = "solo"\ngame = "arena_v1"\nmin_players = 1\nmax_players = 2\nfill_timeout_ms = 0\ncountdown_ms = 0\nmatch_length_ms = 60000\n' >"$dir/modes.toml"
"$bin" --listen 127.0.0.1:0 --admin-listen off --data-dir "$dir" --modes "$dir/modes.toml" \
  --drain-timeout-ms 60000 >"$log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  url=$(sed -n 's/.*listening on wss:\/\/\(127\.0\.0\.1:[0-9]*\)\/ws.*/\1/p' "$log" | head -1)
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n ${url:-} ]] || { cat "$log"; echo "deploy: the server did not start" >&2; exit 1; }
status() { curl -ks -o /dev/null -w '%{http_code}' "https://$url$1"; }
for p in $(grep -ho 'path: /[a-z]*' deploy/k8s/statefulset.yaml | sed 's/path: //'); do
  [[ $(status "$p") == 200 ]] || { echo "deploy: probe path $p does not answer 200" >&2; exit 1; }
done
grep -q 'path: /readyz' deploy/k8s/statefulset.yaml
grep -q 'path: /healthz' deploy/k8s/statefulset.yaml
# A player in a running match keeps the drain going, so the server is still there to ask.
python3 - "$url" <<'PY' &
import asyncio, msgpack, ssl, sys, websockets
async def main():
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    async with websockets.connect(f"wss://{sys.argv[1]}/ws", ssl=ctx) as ws:
        await ws.send(msgpack.packb({"type": "hello", "protocol": 1, "name": "probe"}))
        await ws.send(msgpack.packb({"type": "find_match", "mode": "solo"}))
        while True:
            m = msgpack.unpackb(await ws.recv())
            if m.get("type") == "match_found":
                print("deploy: in a match", flush=True)
                break
        await asyncio.sleep(30)
asyncio.run(main())
PY
holder=$!
sleep 2
kill -TERM $pid
for _ in $(seq 50); do [[ $(status /readyz) == 503 ]] && break; sleep 0.1; done
[[ $(status /readyz) == 503 ]] || { echo "deploy: /readyz is not 503 while draining" >&2; exit 1; }
[[ $(status /healthz) == 200 ]] || { echo "deploy: /healthz is not 200 while draining (liveness must hold)" >&2; exit 1; }
kill $holder 2>/dev/null || true

echo "== deploy: the Dockerfile builds what exists"
grep -q -- '-p tickwave --bin tickwave' deploy/Dockerfile
grep -q '^name = "tickwave"' Cargo.toml
grep -q '^USER 10001' deploy/Dockerfile
rust_min=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -1)
img_rust=$(sed -n 's/^FROM rust:\([0-9.]*\)-.*/\1/p' deploy/Dockerfile)
python3 -c "import sys; a=[int(x) for x in sys.argv[1].split('.')]; b=[int(x) for x in sys.argv[2].split('.')]; sys.exit(0 if a>=b else 1)" "$img_rust" "$rust_min" \
  || { echo "deploy: the image's Rust $img_rust is older than rust-version $rust_min" >&2; exit 1; }
echo "deploy: ok"
