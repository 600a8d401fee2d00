#!/usr/bin/env python3
"""A minimal Tickwave client in Python, written from protocol/PROTOCOL.md alone.

    pip install websockets msgpack
    python3 examples/python/play.py --url wss://127.0.0.1:4433/ws --name ada --mode arena

Run two or more at once: they are matched into one lobby, walk in circles and print what
they see of each other. Certificate verification is off for the self-signed development
certificate; pass --pin <sha256> (printed by the server at start) to pin it instead.
"""
import argparse
import asyncio
import hashlib
import math
import ssl
import sys
import time

import msgpack
import websockets


def pack(msg):
    return msgpack.packb(msg, use_bin_type=True)


def unpack(data):
    # acks maps integer player ids, so allow non-string map keys
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class State:
    """The visible state, kept current from snapshots and deltas."""

    def __init__(self):
        self.tick = None
        self.entities = {}  # id -> [kind, [fields]]

    def snapshot(self, m):
        self.tick = m["tick"]
        self.entities = {e[0]: [e[1], list(e[2])] for e in m["entities"]}

    def delta(self, m):
        """Apply a delta (PROTOCOL.md section 6). False when it does not apply (another base,
        or ids and masks that do not fit what we hold): then we wait for the next snapshot."""
        held, removed = self.entities, set(m["removed"])
        fits = (
            self.tick is not None
            and m["base"] == self.tick
            and removed <= held.keys()
            and all(i in held and i not in removed and mask >> len(held[i][1]) == 0
                    for i, mask, _ in m["changed"])
            and all(i not in held or i in removed for i, _, _ in m["added"])
        )
        if not fits:
            self.tick = None
            return False
        for eid in removed:
            del self.entities[eid]
        for eid, mask, values in m["changed"]:
            fields = self.entities[eid][1]
            vi = 0
            for bit in range(len(fields)):
                if mask & (1 << bit):
                    fields[bit] = values[vi]
                    vi += 1
        for eid, kind, fields in m["added"]:
            self.entities[eid] = [kind, list(fields)]
        self.tick = m["tick"]
        return True


async def play(args):
    ctx = None
    if args.url.startswith("wss://"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # self-signed dev certificate; see --pin
    async with websockets.connect(args.url, ssl=ctx, max_size=1 << 20) as ws:
        if args.pin:
            der = ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
            if hashlib.sha256(der).hexdigest() != args.pin.lower():
                sys.exit("certificate fingerprint does not match --pin")
        await ws.send(pack({"type": "hello", "protocol": 1, "name": args.name}))
        welcome = unpack(await ws.recv())
        if welcome["type"] != "welcome":
            sys.exit(f"refused: {welcome}")
        me = welcome["player"]
        print(f"welcome: session {welcome['session']} player {me}")
        await ws.send(pack({"type": "find_match", "mode": args.mode}))
        state, seq, deadline = State(), 0, time.monotonic() + args.seconds
        seen_moving = set()
        last_pos = {}
        my_ack = None

        async def send_inputs():
            nonlocal seq
            while True:
                seq += 1
                angle = seq / 10.0
                await ws.send(pack({"type": "input", "seq": seq, "dx": math.cos(angle), "dy": math.sin(angle)}))
                await asyncio.sleep(0.05)

        sender = None
        try:
            while time.monotonic() < deadline:
                try:
                    m = unpack(await asyncio.wait_for(ws.recv(), timeout=1))
                except asyncio.TimeoutError:
                    continue
                t = m["type"]
                if t == "match_found":
                    names = [p["name"] for p in m["roster"]]
                    print(f"match_found: lobby {m['lobby']} ({m['state']}), players {names}")
                    sender = asyncio.create_task(send_inputs())
                elif t == "roster":
                    print(f"roster: {[p['name'] for p in m['players']]}")
                elif t == "lobby_state":
                    print(f"lobby_state: {m['state']}")
                elif t == "rtt":
                    print(f"rtt: {m['rtt_ms']:.2f} ms (jitter {m['jitter_ms']:.2f})")
                elif t == "snapshot":
                    state.snapshot(m)
                elif t == "delta":
                    if state.tick is not None and not state.delta(m):
                        print(f"delta {m['base']}->{m['tick']} does not apply; waiting for a snapshot")
                elif t == "error":
                    print(f"error: {m['code']}: {m['message']}")
                elif t in ("results", "lobby_closed"):
                    print(t, m)
                if t in ("snapshot", "delta"):
                    my_ack = m["acks"].get(me, my_ack)
                    for eid, (kind, f) in state.entities.items():
                        if kind == 0 and eid != me:
                            if eid in last_pos and last_pos[eid] != (f[0], f[1]):
                                if eid not in seen_moving:
                                    print(f"tick {state.tick}: player {eid} moves, now at ({f[0]/100:.2f}, {f[1]/100:.2f})")
                                seen_moving.add(eid)
                            last_pos[eid] = (f[0], f[1])
        finally:
            if sender:
                sender.cancel()
        print(f"done at tick {state.tick}; saw {len(seen_moving)} other player(s) move; last input acked {my_ack} of {seq} sent")
        return len(seen_moving)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="wss://127.0.0.1:4433/ws")
    ap.add_argument("--name", default="py")
    ap.add_argument("--mode", default="arena")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pin", help="SHA-256 of the server certificate (hex)")
    ap.add_argument("--expect-others", type=int, default=0, help="exit 1 unless this many others were seen moving")
    args = ap.parse_args()
    seen = asyncio.run(play(args))
    if seen < args.expect_others:
        sys.exit(f"saw {seen} other players move, expected {args.expect_others}")


if __name__ == "__main__":
    main()
