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
  assert.deepEqual(hellos[0], { type: "hello", protocol: 2, name: "ada", token: "secret" });
  assert.deepEqual(hellos[1], { type: "hello", protocol: 2, name: "ada", token: "secret", resume: "tok", last_tick: 41 });
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

// Cluster mode (PROTOCOL.md §5.4): node A answers find_match with a redirect to node B.

const matchFound = (extra = {}) =>
  encode({ type: "match_found", lobby: 9, player: 21, mode: "arena", game: "arena", state: "waiting", tick_hz: 30, max_players: 4, roster: [], schema: [{ kind: "player", fields: ["x", "y"] }], ...extra });

/** Node A: welcomes, answers the first find_match with a redirect to `url()`; `closed` has A's close code. */
async function nodeA(url, reservation = "r1.seat.mac") {
  let closed;
  const closedP = new Promise((r) => (closed = r));
  const seen = [];
  const srv = await fake((ws) => {
    ws.on("close", (code) => closed(code));
    ws.on("message", (d) => {
      const m = decode(d);
      seen.push(m.type);
      if (m.type === "find_match") ws.send(encode({ type: "redirect", url: url(), reservation }));
    });
    ws.send(welcome());
  });
  return { ...srv, closed: closedP, seen };
}

test("a redirect is followed: the match is found on the new node, which is resumed after a drop", async () => {
  const hellos = [];
  const b = await fake((ws, hello, i) => {
    hellos.push(hello);
    if (i === 0) {
      ws.send(welcome({ player: 21, resume: "tokB1", server: "fake/b" }));
      setTimeout(() => ws.send(matchFound()), 20);
    } else {
      ws.send(welcome({ player: 21, resume: "tokB2", server: "fake/b", resumed: true, seat_held: true }));
      ws.send(matchFound());
    }
  });
  const a = await nodeA(() => b.url);
  const c = await Tickwave.connect(a.url, opts());
  const events = [];
  for (const e of ["redirect", "welcome", "reconnecting", "resumed", "matchFound", "error"]) c.on(e, () => events.push(e));
  const m = await c.findMatch("arena");
  assert.equal(m.lobby, 9);
  assert.equal(m.player, 21);
  assert.deepEqual(events, ["redirect", "welcome", "matchFound"]); // no `reconnecting`: not a drop
  assert.deepEqual(hellos[0], { type: "hello", protocol: 2, name: "ada", reservation: "r1.seat.mac" }, "reservation, no resume");
  assert.equal(await a.closed, 1000, "the old connection is closed deliberately");
  assert.equal(c.url, b.url);
  assert.equal(c.player, 21);
  assert.equal(c.resumeToken, "tokB1");
  assert.equal(c.place, "lobby");
  assert.equal(c.lobby?.id, 9);

  const back = c.once("matchFound");
  c.dropConnection();
  await c.once("resumed");
  assert.equal(hellos.length, 2);
  assert.equal(hellos[1].resume, "tokB1", "resumes with the new node's token");
  assert.equal(hellos[1].reservation, undefined, "a reservation is used once");
  assert.equal(a.count(), 1, "never back to the old node");
  assert.equal((await back).lobby, 9);
  assert.equal(c.place, "lobby");
  c.close();
  await a.close();
  await b.close();
});

test("a refused reservation rejects findMatch and leaves the client idle on the new node, without looping", async () => {
  const hellos = [];
  const later = [];
  const b = await fake((ws, hello, i) => {
    hellos.push(hello);
    if (i === 0) {
      ws.send(encode({ type: "error", code: "reservation_expired", message: "too late", fatal: true }));
      ws.close(1008, "reservation_expired");
      return;
    }
    ws.on("message", (d) => later.push(decode(d).type));
    ws.send(welcome({ player: 30, resume: "tokB", server: "fake/b" }));
  });
  const a = await nodeA(() => b.url);
  const c = await Tickwave.connect(a.url, opts());
  const errors = [];
  c.on("error", (e) => errors.push(e.code));
  const fresh = c.once("welcome");
  await assert.rejects(c.findMatch("arena"), { name: "TickwaveError", code: "reservation_expired" });
  assert.equal((await fresh).player, 30);
  assert.equal(await a.closed, 1000);
  await new Promise((r) => setTimeout(r, 200)); // time for a loop, if there were one
  assert.equal(b.count(), 2);
  assert.equal(a.count(), 1);
  assert.deepEqual(hellos[1], { type: "hello", protocol: 2, name: "ada" }, "fresh: no reservation, no resume");
  assert.deepEqual(later, [], "the SDK does not queue again on its own");
  assert.deepEqual(errors, ["reservation_expired"]);
  assert.equal(c.place, "idle");
  assert.equal(c.connected, true);
  assert.equal(c.url, b.url);
  c.close();
  await a.close();
  await b.close();
});

test("lobby_lost after a redeemed reservation rejects findMatch; the client stays, idle", async () => {
  const b = await fake((ws) => {
    ws.send(welcome({ player: 21, resume: "tokB1" }));
    ws.send(encode({ type: "error", code: "lobby_lost", message: "lobby 9 on node b is gone", fatal: false }));
  });
  const a = await nodeA(() => b.url);
  const c = await Tickwave.connect(a.url, opts());
  await assert.rejects(c.findMatch("arena"), { code: "lobby_lost" });
  assert.equal(c.place, "idle");
  assert.equal(c.connected, true);
  assert.equal(b.count(), 1);
  c.close();
  await a.close();
  await b.close();
});

test("followRedirects: false: the redirect is only an event, and findMatch rejects with `redirected`", async () => {
  const b = await fake((ws) => ws.send(welcome()));
  const a = await nodeA(() => b.url);
  const c = await Tickwave.connect(a.url, opts({ followRedirects: false }));
  const redirect = c.once("redirect");
  await assert.rejects(c.findMatch("arena"), { code: "redirected" });
  assert.equal((await redirect).url, b.url);
  assert.equal(c.place, "idle");
  assert.equal(c.connected, true);
  assert.equal(c.url, a.url);
  assert.equal(b.count(), 0);
  c.close();
  await a.close();
  await b.close();
});

test("a redirect that arrives while not queued is ignored", async () => {
  const b = await fake((ws) => ws.send(welcome()));
  const a = await fake((ws) => {
    ws.send(welcome());
    ws.send(encode({ type: "redirect", url: b.url, reservation: "r1.stray.mac" }));
  });
  const c = new Tickwave.Client(a.url, opts());
  const redirect = c.once("redirect");
  await c.connect();
  await redirect;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(b.count(), 0);
  assert.equal(c.connected, true);
  assert.equal(c.url, a.url);
  c.close();
  await a.close();
  await b.close();
});

// Cluster failover (PROTOCOL.md §11.3): the node the client played on dies; the next attempt
// goes to the next node of the list with the same resume token, and that node re-queues it.
const matchOn = (lobby) => ({ type: "match_found", lobby, player: 9, mode: "arena", game: "arena", state: "running", tick_hz: 30, max_players: 4, roster: [], schema: [{ kind: "player", fields: ["x", "y"] }] });

test("a dead node's player resumes on the next node of the list and is matched again there", async () => {
  let killA;
  const a = await fake((ws) => {
    ws.send(welcome());
    ws.send(encode(matchOn(3)));
    killA = () => ws.terminate();
  });
  const hellosB = [];
  const b = await fake((ws, hello) => {
    hellosB.push(hello);
    ws.send(welcome({ player: 9, resume: "tokB" }));
    ws.send(encode({ type: "error", code: "lobby_lost", message: "lobby 3 of node a is gone", fatal: false }));
    ws.send(encode({ type: "queued", mode: "arena", waiting: 1 }));
    setTimeout(() => ws.send(encode(matchOn(8))), 30);
  });
  const c = new Tickwave.Client([a.url, b.url], opts({ reconnect: { baseMs: 1, maxMs: 5, maxAttempts: 5 } }));
  assert.deepEqual(c.nodeUrls, [a.url, b.url]);
  const first = c.once("matchFound");
  await c.connect();
  await first;
  const events = [];
  for (const e of ["lobbyClosed", "queued", "error"]) c.on(e, (m) => events.push(e === "error" ? m.code : e));
  const again = c.once("matchFound");
  killA(); // node a dies: its socket is reset and it accepts nothing any more
  await a.close();
  const m = await again;
  assert.equal(m.lobby, 8);
  assert.equal(c.url, b.url);
  assert.equal(hellosB[0].resume, "tok", "the dead node's token is presented to the next node");
  assert.deepEqual(events, ["lobbyClosed", "lobby_lost", "queued"]);
  assert.equal(c.place, "lobby");
  c.close();
  await b.close();
});

test("resume_foreign naming a live node sends the client back there with the same token", async () => {
  const hellosHome = [];
  const home = await fake((ws, hello, i) => {
    hellosHome.push(hello);
    if (i === 0) {
      ws.send(welcome());
      ws.send(encode(matchOn(3)));
      setTimeout(() => ws.terminate(), 30); // a blip: the node lives on
    } else {
      ws.send(welcome({ resumed: true, seat_held: true, resume: "tok2" }));
      ws.send(encode(matchOn(3)));
    }
  });
  // The client's first failover target refuses once: the seat is on `home`.
  let refusedOnce = false;
  const other = await fake((ws) => {
    refusedOnce = true;
    ws.send(encode({ type: "error", code: "resume_foreign", message: `this player's seat is on another node; resume at ${home.url}`, fatal: true }));
    ws.close(1008, "resume_foreign");
  });
  const c = new Tickwave.Client([home.url, other.url], opts({ reconnect: { baseMs: 1, maxMs: 5, maxAttempts: 5 } }));
  const first = c.once("matchFound");
  await c.connect();
  await first;
  // As if home had been unreachable for a moment: the reconnect after the blip goes to the
  // next node of the list, which names home in its refusal.
  c["nextNode"]();
  const back = c.once("resumed");
  await back;
  assert.equal(refusedOnce, true);
  assert.equal(c.url, home.url);
  assert.equal(hellosHome[1].resume, "tok", "the same token, at the node the refusal named");
  c.close();
  await home.close();
  await other.close();
});
