// Client behaviour that a real server rarely shows on demand, against a scripted fake
// server (plain ws://): unknown message types, giving up, the silence watchdog, kicks.

import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket, { WebSocketServer } from "ws";
import { decode, encode } from "@msgpack/msgpack";
import { Tickwave } from "../dist/index.js";

const welcome = (extra = {}) =>
  encode({
    type: "welcome", session: 1, protocol: 1, player: 7, server: "fake/0", heartbeat_ms: 1000,
    timeout_ms: 5000, modes: ["arena"], resume: "tok", resumed: false, ...extra,
  });

/** A fake server; `script(ws, hello, n)` plays connection number n after its hello. */
async function fake(script) {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((r) => wss.on("listening", r));
  let n = 0;
  wss.on("connection", (ws) => {
    const i = n++;
    ws.once("message", (data) => script(ws, decode(data), i));
  });
  return { url: `ws://127.0.0.1:${wss.address().port}/ws`, close: () => new Promise((r) => wss.close(r)), count: () => n };
}

const opts = (extra = {}) => ({ name: "ada", WebSocket, reconnect: { baseMs: 1, maxMs: 5, maxAttempts: 3 }, ...extra });

test("unknown server message types are passed on as messages and otherwise ignored", async () => {
  const srv = await fake((ws) => {
    ws.send(welcome());
    ws.send(encode({ type: "weather", rain: true }));
    ws.send(encode({ type: "rtt", rtt_ms: 1.5, jitter_ms: 0.5, last_ms: 2 }));
  });
  const c = new Tickwave.Client(srv.url, opts());
  const seen = [];
  c.on("message", (m) => seen.push(m.type));
  const rtt = c.once("rtt");
  await c.connect();
  assert.equal((await rtt).rtt_ms, 1.5);
  assert.deepEqual(seen, ["welcome", "weather", "rtt"]);
  c.close();
  await srv.close();
});

test("reconnecting gives up after maxAttempts and closes", async () => {
  const srv = await fake((ws, hello, i) => {
    if (i === 0) {
      ws.send(welcome());
      setTimeout(() => ws.terminate(), 20);
    } else ws.terminate();
  });
  const c = await Tickwave.connect(srv.url, opts());
  const attempts = [];
  c.on("reconnecting", (r) => attempts.push(r.attempt));
  const closed = await c.once("close");
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.match(closed.reason, /gave up reconnecting after 3 attempts/);
  assert.equal(closed.intentional, false);
  assert.equal(c.closed, true);
  await srv.close();
});

test("the hello after a drop carries the resume token and the last tick held", async () => {
  const hellos = [];
  const srv = await fake((ws, hello, i) => {
    hellos.push(hello);
    if (i === 0) {
      ws.send(welcome());
      ws.send(encode({ type: "match_found", lobby: 3, player: 7, mode: "arena", game: "arena", state: "running", tick_hz: 30, max_players: 4, roster: [], schema: [{ kind: "player", fields: ["x", "y"] }] }));
      ws.send(encode({ type: "snapshot", tick: 41, acks: { 7: 0 }, entities: [[7, 0, [1, 2]]] }));
      setTimeout(() => ws.terminate(), 50);
    } else {
      ws.send(welcome({ resumed: true, resume: "tok2" }));
    }
  });
  const c = await Tickwave.connect(srv.url, opts({ token: "secret" }));
  await c.once("resumed");
  assert.deepEqual(hellos[0], { type: "hello", protocol: 1, name: "ada", token: "secret" });
  assert.deepEqual(hellos[1], { type: "hello", protocol: 1, name: "ada", token: "secret", resume: "tok", last_tick: 41 });
  assert.equal(c.resumeToken, "tok2");
  c.close();
  await srv.close();
});

// Dropped while queued: only the server knows whether a match formed meanwhile
// (`welcome.seat_held`). With a held seat the client waits for its match_found; without one
// it queues again.
for (const seatHeld of [true, false]) {
  test(`queued, dropped, resumed with seat_held ${seatHeld}`, async () => {
    const found = { type: "match_found", lobby: 5, player: 7, mode: "arena", game: "arena", state: "running", tick_hz: 30, max_players: 4, roster: [], schema: [{ kind: "player", fields: ["x", "y"] }] };
    const second = [];
    const srv = await fake((ws, hello, i) => {
      if (i === 0) {
        ws.send(welcome());
        ws.once("message", () => setTimeout(() => ws.terminate(), 20)); // the find_match
        return;
      }
      ws.on("message", (d) => second.push(decode(d).type));
      ws.send(welcome({ resumed: true, resume: "tok2", seat_held: seatHeld }));
      setTimeout(() => ws.send(encode(found)), 100);
    });
    const c = await Tickwave.connect(srv.url, opts());
    const match = c.findMatch("arena");
    await c.once("resumed");
    const m = await match;
    assert.equal(m.lobby, 5);
    assert.deepEqual(second, seatHeld ? [] : ["find_match"]);
    assert.equal(c.place, "lobby");
    c.close();
    await srv.close();
  });
}

test("a connection that goes silent is dropped by the watchdog and resumed", async () => {
  const srv = await fake((ws, hello, i) => {
    ws.send(welcome({ heartbeat_ms: 100, timeout_ms: 200, resumed: i > 0 }));
    // then nothing: a half-open connection as far as the client can tell
  });
  const c = await Tickwave.connect(srv.url, opts({ reconnect: { baseMs: 1, maxMs: 5 } }));
  const r = await c.once("reconnecting");
  assert.equal(r.reason, "no data from the server");
  await c.once("resumed");
  c.close();
  await srv.close();
});

test("a kick is final: no reconnect", async () => {
  const srv = await fake((ws) => {
    ws.send(welcome());
    setTimeout(() => {
      ws.send(encode({ type: "error", code: "kicked", message: "bye", fatal: true }));
      ws.close(1008, "kicked");
    }, 20);
  });
  const c = await Tickwave.connect(srv.url, opts());
  let reconnecting = false;
  c.on("reconnecting", () => (reconnecting = true));
  const closed = await c.once("close");
  assert.equal(closed.error?.code, "kicked");
  assert.equal(reconnecting, false);
  assert.equal(srv.count(), 1);
  await srv.close();
});

test("async iteration over events ends when the client closes", async () => {
  const srv = await fake((ws) => {
    ws.send(welcome());
    for (let i = 1; i <= 3; i++) ws.send(encode({ type: "notice", severity: "info", text: `n${i}` }));
  });
  const c = new Tickwave.Client(srv.url, opts());
  const notices = c.iterate("notice");
  await c.connect();
  const got = [];
  for await (const n of notices) {
    got.push(n.text);
    if (got.length === 3) c.close();
  }
  assert.deepEqual(got, ["n1", "n2", "n3"]);
  await srv.close();
});

test("a fatal close whose error message was lost is judged by its reason", async () => {
  const srv = await fake((ws) => {
    ws.send(welcome());
    setTimeout(() => ws.close(1008, "session_replaced"), 20); // no error message before it
  });
  const c = await Tickwave.connect(srv.url, opts());
  let reconnecting = false;
  c.on("reconnecting", () => (reconnecting = true));
  const closed = await c.once("close");
  assert.equal(closed.error?.code, "session_replaced");
  assert.equal(reconnecting, false);
  await srv.close();
});

test("after a server shutdown (1001) the client comes back without resume", async () => {
  const hellos = [];
  const srv = await fake((ws, hello, i) => {
    hellos.push(hello);
    ws.send(welcome({ player: 7 + i }));
    if (i === 0) setTimeout(() => ws.close(1001, "server shutting down"), 20);
  });
  const c = await Tickwave.connect(srv.url, opts());
  const w = await c.once("welcome");
  assert.equal(w.player, 8);
  assert.equal(hellos[1].resume, undefined, "tokens do not survive a restart");
  c.close();
  await srv.close();
});
