#!/usr/bin/env python3
"""A minimal Tickwave client in Python speaking protocol 2, written from protocol/PROTOCOL.md.

    pip install websockets msgpack
    python3 examples/python/play.py --url wss://127.0.0.1:4433/ws --name ada --mode arena
    python3 examples/python/play.py --url wss://127.0.0.1:4433/ws --name ada --mode connect4

Arena modes (`arena`, `arena_v1`, `duel`): steer in circles (aim and fire when the schema has those
input fields) and print when other players move. `connect4`: drop discs with a simple
strategy (win if possible, else block, else the column nearest the centre) until `results`,
then print its payload. Everything is looked up by name in `match_found.schema` (PROTOCOL.md
6.4), never by position. Certificate verification is off for the self-signed development
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
    """The typed state of PROTOCOL.md 6.5, kept current from snapshots and deltas."""

    def __init__(self, schema):
        self.kinds = [k["kind"] for k in schema.get("kinds") or []]
        self.specs = [k.get("fields") or [] for k in schema.get("kinds") or []]
        self.fields = [[f["name"] for f in spec] for spec in self.specs]
        self.global_specs = schema.get("globals") or []
        self.global_names = [g["name"] for g in self.global_specs]
        self.tick = None
        self.globals = []
        self.entities = {}  # id -> [kind index, [values]]

    def snapshot(self, m):
        """Take a snapshot; False (and no state held) when its values do not fit the schema."""
        ents = m["entities"]
        if not (all_fit(self.global_specs, m["globals"])
                and all(k < len(self.kinds) and all_fit(self.specs[k], v) for _, k, v in ents)):
            self.tick = None
            return False
        self.tick = m["tick"]
        self.globals = list(m["globals"])
        self.entities = {e[0]: [e[1], list(e[2])] for e in ents}
        return True

    def delta(self, m):
        """Apply a delta; False (and the state dropped) when it does not fit what we hold:
        then we wait for the next snapshot."""
        held, removed = self.entities, set(m["removed"])
        g = m.get("globals")
        fits = (
            self.tick is not None
            and m["base"] == self.tick
            and removed <= held.keys()
            and all(i in held and i not in removed and mask >> len(held[i][1]) == 0
                    and masked_fit(self.specs[held[i][0]], mask, v) for i, mask, v in m["changed"])
            and all((i not in held or i in removed) and k < len(self.kinds)
                    and all_fit(self.specs[k], v) for i, k, v in m["added"])
            and (g is None or (g[0] >> len(self.globals) == 0 and masked_fit(self.global_specs, g[0], g[1])))
        )
        if not fits:
            self.tick = None
            return False
        for eid in removed:
            del held[eid]
        for eid, mask, values in m["changed"]:
            set_masked(held[eid][1], mask, values)
        for eid, kind, values in m["added"]:
            held[eid] = [kind, list(values)]
        if g is not None:
            set_masked(self.globals, g[0], g[1])
        self.tick = m["tick"]
        return True

    def glob(self, name, default=None):
        if name in self.global_names and self.tick is not None:
            return self.globals[self.global_names.index(name)]
        return default

    def of_kind(self, kind):
        """{id: {field: value}} of every entity of the kind named `kind` (nil = hidden)."""
        if kind not in self.kinds:
            return {}
        k = self.kinds.index(kind)
        return {i: dict(zip(self.fields[k], v)) for i, (ek, v) in self.entities.items() if ek == k}


INT_RANGE = {"i32": (-2**31, 2**31 - 1), "i64": (-2**63, 2**63 - 1)}


def fits(spec, v):
    """Whether a state value fits its schema field (PROTOCOL.md 6.3, 6.4): `nil` only for a
    private field, then the type, then `min`/`max` or `max_len`."""
    t = spec["type"]
    if v is None:
        return "private" in spec
    if t == "bool":
        return isinstance(v, bool)
    if t in INT_RANGE:
        lo, hi = INT_RANGE[t]
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
    elif t in ("f32", "f64"):
        ok = isinstance(v, float)
    elif t == "str":
        return isinstance(v, str) and len(v.encode()) <= spec.get("max_len", 64)
    else:
        return True  # a type this client does not know: later servers may add some
    return ok and spec.get("min", v) <= v <= spec.get("max", v)


def all_fit(specs, values):
    return len(values) == len(specs) and all(fits(f, v) for f, v in zip(specs, values))


def masked_fit(specs, mask, values):
    chosen = [f for bit, f in enumerate(specs) if mask >> bit & 1]
    return len(values) == len(chosen) and all(fits(f, v) for f, v in zip(chosen, values))


def set_masked(values, mask, new):
    it = iter(new)
    for bit in range(len(values)):
        if mask & (1 << bit):
            values[bit] = next(it)


# --- connect4 -----------------------------------------------------------------------------

COLS, ROWS = 7, 6


def wins(board, who):
    for c in range(COLS):
        for r in range(ROWS):
            for dc, dr in ((1, 0), (0, 1), (1, 1), (1, -1)):
                if all(board.get((c + dc * k, r + dr * k)) == who for k in range(4)):
                    return True
    return False


def choose(board, me, other):
    """Win if possible, else block the opponent's win, else the free column nearest the centre."""
    free = [c for c in range(COLS) if (c, ROWS - 1) not in board]
    for who in (me, other):
        for c in free:
            r = min(r for r in range(ROWS) if (c, r) not in board)
            if wins({**board, (c, r): who}, who):
                return c
    return min(free, key=lambda c: abs(c - 3))


async def play(args):
    ctx = None
    if args.url.startswith("wss://"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # self-signed dev certificate; see --pin
    # websockets answers the server's pings itself (PROTOCOL.md 9), echoing their payload
    async with websockets.connect(args.url, ssl=ctx, max_size=1 << 20) as ws:
        if args.pin:
            der = ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
            if hashlib.sha256(der).hexdigest() != args.pin.lower():
                sys.exit("certificate fingerprint does not match --pin")
        await ws.send(pack({"type": "hello", "protocol": 2, "name": args.name}))
        welcome = unpack(await ws.recv())
        if welcome["type"] != "welcome" or welcome.get("protocol") != 2:
            sys.exit(f"refused: {welcome}")
        me = welcome["player"]
        print(f"welcome: session {welcome['session']} player {me} protocol 2 modes {welcome.get('modes')}")
        await ws.send(pack({"type": "find_match", "mode": args.mode}))
        out = {"seen_moving": set(), "results": None, "probe": None}
        state, seq, cmd_id = None, 0, 0
        lobby, deadline = None, time.monotonic() + args.seconds
        last_pos, pending, probe_id, move_id, next_move_at = {}, None, None, None, 0.0

        async def send_inputs(inputs):
            nonlocal seq
            names = {f["name"] for f in inputs}
            while True:
                seq += 1
                angle = seq / 10.0
                msg = {"type": "input", "seq": seq}
                if state is not None and state.tick is not None:
                    msg["tick"] = state.tick
                if "dx" in names:
                    msg["dx"], msg["dy"] = math.cos(angle), math.sin(angle)
                if "aim" in names:
                    msg["aim"] = angle % (2 * math.pi) - math.pi
                if "fire" in names:
                    msg["fire"] = seq % 10 == 0
                await ws.send(pack(msg))
                await asyncio.sleep(0.05)

        async def command(name, cargs):
            nonlocal cmd_id
            cmd_id += 1
            await ws.send(pack({"type": "command", "id": cmd_id, "name": name, "args": cargs}))
            return cmd_id

        sender = None
        try:
            while time.monotonic() < deadline and out["results"] is None:
                try:
                    m = unpack(await asyncio.wait_for(ws.recv(), timeout=0.1))
                except asyncio.TimeoutError:
                    m = {"type": None}
                t = m["type"]
                if t == "match_found":
                    state = State(m["schema"])
                    names = [p["name"] for p in m["roster"]]
                    print(f"match_found: lobby {m['lobby']} ({m['state']}) mode {m['mode']}, players {names}, "
                          f"kinds {state.kinds}, globals {state.global_names}, "
                          f"input {[f['name'] for f in m['schema'].get('input') or []]}, "
                          f"commands {[c['name'] for c in m['schema'].get('commands') or []]}")
                    lobby = m["state"]
                    if m["schema"].get("input") and sender is None:
                        sender = asyncio.create_task(send_inputs(m["schema"]["input"]))
                elif t == "lobby_state":
                    lobby = m["state"]
                    print(f"lobby_state: {lobby}")
                elif t == "roster":
                    print(f"roster: {[p['name'] for p in m['players']]}")
                elif t == "snapshot":
                    if not state.snapshot(m):
                        print(f"snapshot {m['tick']} does not fit the schema; waiting for the next")
                elif t == "delta":
                    if state.tick is not None and not state.delta(m):
                        print(f"delta {m['base']}->{m['tick']} does not apply; waiting for a snapshot")
                elif t == "event":
                    print(f"event {m['name']} at tick {m['tick']}: {m['data']}")
                elif t == "command_result":
                    print(f"command_result: {m}")
                    if m["id"] == probe_id:
                        out["probe"] = m.get("code") if not m["ok"] else "accepted"
                    if m["id"] == move_id and not m["ok"]:
                        pending = None  # refused: think again on the next state
                elif t == "error":
                    print(f"error: {m['code']}: {m['message']}")
                elif t == "results":
                    print(f"results: scores {m['scores']} payload {m.get('payload')}")
                    out["results"] = m
                elif t == "lobby_closed":
                    print(f"lobby_closed: {m.get('reason')}")
                    break
                if state is None or state.tick is None:
                    continue
                if args.mode == "connect4":
                    if lobby != "running":
                        continue
                    turn, moves = state.glob("turn", 0), state.glob("moves", 0)
                    if args.probe_not_your_turn and probe_id is None and turn not in (0, me):
                        probe_id = await command("drop", {"column": 3})
                        print(f"probe: drop while player {turn} is to move (command {probe_id})")
                    if turn == me and pending != ("moves", moves):
                        if next_move_at == 0.0:
                            next_move_at = time.monotonic() + args.think_ms / 1000
                        if time.monotonic() >= next_move_at:
                            board = {(d["column"], d["row"]): d["player"] for d in state.of_kind("disc").values()}
                            others = [p for p in state.of_kind("player") if p != me]
                            col = choose(board, me, others[0] if others else -1)
                            move_id = await command("drop", {"column": col})
                            print(f"tick {state.tick}: move {moves + 1}: drop column {col}")
                            pending, next_move_at = ("moves", moves), 0.0
                else:
                    for eid, f in state.of_kind("player").items():
                        if eid == me:
                            continue
                        pos = (f.get("x"), f.get("y"))
                        if eid in last_pos and last_pos[eid] != pos and eid not in out["seen_moving"]:
                            print(f"tick {state.tick}: player {eid} moves, now at {pos}")
                            out["seen_moving"].add(eid)
                        last_pos[eid] = pos
        finally:
            if sender:
                sender.cancel()
        tick = state.tick if state else None
        print(f"done at tick {tick}; saw {len(out['seen_moving'])} other player(s) move; {seq} inputs sent")
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="wss://127.0.0.1:4433/ws")
    ap.add_argument("--name", default="py")
    ap.add_argument("--mode", default="arena", help="arena, arena_v1, duel or connect4")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pin", help="SHA-256 of the server certificate (hex)")
    ap.add_argument("--expect-others", type=int, default=0, help="exit 1 unless this many others were seen moving")
    ap.add_argument("--expect-results", action="store_true", help="exit 1 unless results with a payload came")
    ap.add_argument("--think-ms", type=int, default=300, help="connect4: wait this long before each move")
    ap.add_argument("--probe-not-your-turn", action="store_true",
                    help="connect4: once, drop out of turn; exit 1 unless refused with not_your_turn")
    args = ap.parse_args()
    out = asyncio.run(play(args))
    if len(out["seen_moving"]) < args.expect_others:
        sys.exit(f"saw {len(out['seen_moving'])} other players move, expected {args.expect_others}")
    if args.expect_results and (out["results"] is None or out["results"].get("payload") is None):
        sys.exit("no results with a payload")
    if args.probe_not_your_turn and out["probe"] != "not_your_turn":
        sys.exit(f"out-of-turn drop answered {out['probe']!r}, expected not_your_turn")


if __name__ == "__main__":
    main()
