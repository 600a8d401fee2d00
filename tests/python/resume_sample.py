#!/usr/bin/env python3
"""Runs the reconnecting client of PROTOCOL.md section 11.4, the code block exactly as the
document shows it, against a real server: it plays in a lobby with a second client, its
connection is cut once (a TCP proxy in between aborts it: no close frame, so the seat is
held), and it must come back as the document says: hello with resume and last_tick, welcome
{resumed, seat_held}, match_found of the same lobby, its unacknowledged inputs re-sent, and
its inputs acknowledged again; and never a find_match after the resume.

    python3 tests/python/resume_sample.py --url wss://127.0.0.1:PORT/ws
"""
import argparse
import asyncio
import pathlib
import re
import ssl
import sys
import time

import msgpack
import websockets

DOC = pathlib.Path(__file__).resolve().parents[2] / "protocol" / "PROTOCOL.md"


def sample():
    """The namespace of the section 11.4 code block."""
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"### 11\.4 .*?```python\n(.*?)```", text, re.S).group(1)
    ns = {}
    exec(compile(block, f"{DOC}#11.4", "exec"), ns)
    return ns


class Proxy:
    """Forwards TCP to the server; `cut()` aborts every connection (no close frame)."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.conns = []

    async def start(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def handle(self, reader, writer):
        up_r, up_w = await asyncio.open_connection(*self.target)
        self.conns.append((writer, up_w))

        async def pipe(src, dst):
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))
        except asyncio.CancelledError:
            pass  # the test is over

    def cut(self):
        for a, b in self.conns:
            a.transport.abort()
            b.transport.abort()
        self.conns.clear()


async def buddy(url, ctx):
    """A second player, so that the arena forms a lobby."""
    async with websockets.connect(url, ssl=ctx, max_size=1 << 20) as ws:
        await ws.send(msgpack.packb({"type": "hello", "protocol": 1, "name": "buddy"}))
        await ws.send(msgpack.packb({"type": "find_match", "mode": "arena_v1"}))
        async for _ in ws:
            pass


async def until(pred, what, timeout=15):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            sys.exit(f"resume sample: timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def main(url):
    host, port = re.match(r"wss://([^:/]+):(\d+)/", url).groups()
    proxy = Proxy(host, int(port))
    via = f"wss://127.0.0.1:{await proxy.start()}/ws"
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE

    ns = sample()
    log = []  # ("out" | "in", message), in order
    pack, unpack = ns["pack"], ns["unpack"]
    ns["pack"] = lambda m: (log.append(("out", m)), pack(m))[1]
    ns["unpack"] = lambda b: (lambda m: (log.append(("in", m)), m)[1])(unpack(b))

    def acked(since=0):
        me = next((m["player"] for d, m in log if d == "in" and m["type"] == "welcome"), None)
        acks = [m["acks"].get(me, 0) for d, m in log[since:] if d == "in" and m["type"] in ("snapshot", "delta")]
        return max(acks, default=0)

    other = asyncio.create_task(buddy(url, ctx))
    player = asyncio.create_task(ns["play"](via, "sample", ctx))
    await until(lambda: acked() >= 5, "inputs acknowledged before the cut")
    before, cut_at = acked(), len(log)
    proxy.cut()
    await until(lambda: acked(cut_at) > before + 5, "inputs acknowledged after the resume")
    after = log[cut_at:]
    player.cancel()
    other.cancel()

    hellos = [m for d, m in after if d == "out" and m["type"] == "hello"]
    welcomes = [m for d, m in after if d == "in" and m["type"] == "welcome"]
    first = [m for d, m in log[:cut_at] if d == "in" and m["type"] in ("welcome", "match_found")]
    found = [m for d, m in after if d == "in" and m["type"] == "match_found"]
    assert len(hellos) == 1 and "resume" in hellos[0] and "last_tick" in hellos[0], hellos
    assert welcomes[0]["resumed"] and welcomes[0]["seat_held"], welcomes
    assert welcomes[0]["player"] == first[0]["player"], "the same player id"
    assert found and found[0]["lobby"] == first[1]["lobby"], "the same lobby"
    sent = [m["type"] for d, m in after if d == "out"]
    assert "find_match" not in sent, sent
    # The inputs not acknowledged at the cut go again first, with their own seq.
    seqs_before = [m["seq"] for d, m in log[:cut_at] if d == "out" and m["type"] == "input"]
    seqs_after = [m["seq"] for d, m in after if d == "out" and m["type"] == "input"]
    last_seen = max([m["acks"].get(first[0]["player"], 0) for d, m in log[:cut_at]
                     if d == "in" and m["type"] in ("snapshot", "delta")], default=0)
    unacked = [s for s in seqs_before if s > last_seen]
    assert seqs_after[: len(unacked)] == unacked, (unacked, seqs_after[:5])
    errors = [m["code"] for d, m in after if d == "in" and m["type"] == "error"]
    assert not errors, errors
    print(f"resume sample: resumed into lobby {found[0]['lobby']}; acks {before} -> {acked(cut_at)}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    asyncio.run(main(ap.parse_args().url))
