// The SDK against a real Tickwave server (target/debug/tickwave, wss with a fresh dev
// certificate, free port). The tests run in order and share one lobby: match, state, inputs,
// chat, notices, resume, refused resume, replacement, close.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import WebSocket from "ws";
import { Tickwave, TickwaveError } from "../dist/index.js";
import { startServer } from "./helpers/server.mjs";

let server;
const clients = [];

function connect(name, extra = {}) {
  return Tickwave.connect(server.url, {
    name,
    protocol: 1, // this suite checks protocol 1's wire (v2server.test.mjs is protocol 2's)
    WebSocket,
    webSocketOptions: { rejectUnauthorized: false }, // the server's self-signed dev certificate
    reconnect: { baseMs: 50, maxMs: 400, maxAttempts: 20 },
    ...extra,
  }).then((c) => (clients.push(c), c));
}

/** The next `event` whose value passes `pred`, or a timeout error naming what was awaited. */
function waitFor(client, event, pred = () => true, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${event}`))), ms);
    const off = client.on(event, (v) => {
      if (pred(v)) clearTimeout(t), off(), resolve(v);
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** PROTOCOL.md §6 applied to raw messages, independently of the SDK's World (as play.py). */
class Rebuild {
  tick = undefined;
  ents = new Map();
  lobby = undefined;
  resumed = false;
  on(m) {
    if (m.type === "welcome") this.resumed = m.resumed;
    if (m.type === "match_found") {
      // After a resume into the same lobby the state held goes on (catch-up delta or
      // snapshot); any other match starts from nothing.
      if (!(this.resumed && m.lobby === this.lobby)) (this.tick = undefined), this.ents.clear();
      this.lobby = m.lobby;
      this.resumed = false;
    }
    if (m.type === "snapshot") {
      this.tick = m.tick;
      this.ents = new Map(m.entities.map(([id, k, f]) => [id, [k, [...f]]]));
    } else if (m.type === "delta" && this.tick !== undefined) {
      assert.equal(m.base, this.tick, "delta base");
      for (const id of m.removed) this.ents.delete(id);
      for (const [id, mask, vals] of m.changed) {
        const f = this.ents.get(id)[1];
        let vi = 0;
        for (let bit = 0; bit < f.length; bit++) if ((mask >> bit) & 1) f[bit] = vals[vi++];
      }
      for (const [id, k, f] of m.added) this.ents.set(id, [k, [...f]]);
      this.tick = m.tick;
    }
  }
  wire() {
    return [...this.ents].sort((a, b) => a[0] - b[0]).map(([id, [k, f]]) => [id, k, [...f]]);
  }
}

/** Remember each client's state per tick, to compare two views of the same tick. */
function recordTicks(client) {
  const byTick = new Map();
  client.on("state", (w) => byTick.set(w.tick, JSON.stringify(w.toWire())));
  return byTick;
}

function sameTicks(a, b, after = 0) {
  const common = [...a.keys()].filter((t) => t > after && b.has(t));
  for (const t of common) assert.equal(a.get(t), b.get(t), `views of tick ${t} differ`);
  return common.length;
}

/** Steer `client` toward the arena's centre, one input per 50 ms, until stopped. */
function steer(client) {
  // One direction, towards the far side, for the whole run: steering back and forth around
  // the centre could end exactly where it started (seen once: x 4981 -> 4981).
  const x0 = client.me?.fields.x ?? 0;
  const dx = x0 < 5000 ? 1 : -1;
  const timer = setInterval(() => client.sendInput({ dx, dy: 0 }), 50);
  return () => clearInterval(timer);
}

let a, b, ticksA, ticksB;
/** States of `a` compared with the independent rebuild, and the ticks where they differed. */
let compared = 0;
const mismatches = [];

before(async () => {
  server = await startServer();
});

after(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

test("connect: welcome with a player id and a resume token", async () => {
  a = await connect("ada");
  assert.equal(typeof a.player, "number");
  assert.equal(a.welcome.protocol, 1);
  assert.ok(a.welcome.modes.includes("arena"));
  assert.equal(typeof a.resumeToken, "string");
  assert.equal(a.welcome.resumed, false);
  assert.equal(a.connected, true);
});

test("two clients are matched into one lobby and see the same state", async () => {
  b = await connect("bob");
  const rebuild = new Rebuild();
  a.on("message", (m) => rebuild.on(m));
  a.on("state", (w) => {
    // Listener exceptions are swallowed by the client: count, and check in later tests.
    const same = w.tick === rebuild.tick && JSON.stringify(w.toWire()) === JSON.stringify(rebuild.wire());
    if (same) compared++;
    else mismatches.push(`tick ${w.tick} (rebuild at ${rebuild.tick})`);
  });
  ticksA = recordTicks(a);
  ticksB = recordTicks(b);
  const [ma, mb] = await Promise.all([a.findMatch("arena"), b.findMatch("arena")]);
  assert.equal(ma.lobby, mb.lobby);
  assert.equal(a.place, "lobby");
  assert.deepEqual(a.lobby.schema.map((k) => k.kind), ["player", "pickup"]);
  await waitFor(a, "state", (w) => w.tick > 60);
  assert.ok(compared >= 50, `compared ${compared} states with the rebuild`);
  assert.deepEqual(mismatches, []);
  assert.ok(sameTicks(ticksA, ticksB) >= 40, "both clients saw the same ticks");
  assert.ok(a.world.ofKind("pickup").length > 0, "pickups are visible");
  assert.deepEqual(Object.keys(a.me.fields), ["x", "y", "score", "boost"]);
  assert.ok(b.world.get(a.player), "b sees a");
});

test("inputs are numbered, acknowledged, and move the player", async () => {
  // Scores reset when the match starts running; move after that.
  if (a.lobby.state !== "running") await waitFor(a, "lobbyState", (s) => s.state === "running");
  const x0 = a.me.fields.x;
  const stop = steer(a);
  const ack = await waitFor(a, "inputAck", (e) => e.seq >= 10);
  await sleep(500);
  stop();
  assert.ok(ack.latencyMs >= 0 && ack.latencyMs < 2000, `input latency ${ack.latencyMs}`);
  const acked = a.world.acks.get(a.player);
  assert.ok(acked >= 10, `acks[me] = ${acked}`);
  assert.ok(a.inputLatencyMs !== undefined);
  assert.notEqual(a.me.fields.x, x0, "the player moved");
  // b sees the same position for a at the same tick (sameTicks compares whole states).
  assert.ok(sameTicks(ticksA, ticksB) > 0);
});

test("rtt reports arrive", async () => {
  const rtt = a.rtt ?? (await waitFor(a, "rtt"));
  assert.ok(rtt.rtt_ms >= 0 && rtt.rtt_ms < 1000);
});

test("chat reaches everyone in the lobby, the sender included", async () => {
  const got = Promise.all([
    waitFor(b, "chat", (c) => c.text === "hello from ada"),
    waitFor(a, "chat", (c) => c.text === "hello from ada"),
  ]);
  assert.equal(a.chat("hello from ada"), true);
  const [cb] = await got;
  assert.equal(cb.from, a.player);
  assert.equal(cb.name, "ada");
  assert.equal(typeof cb.tick, "number");
});

test("operator notices arrive (through the admin API, when the server has one)", async (t) => {
  if (!server.admin) return t.skip("this server build has no admin listener");
  const got = waitFor(b, "notice");
  const status = await adminPost("/admin/notice", { text: "maintenance at noon", severity: "warning" });
  assert.ok(status < 300, `admin notice answered ${status}`);
  const n = await got;
  assert.deepEqual([n.severity, n.text], ["warning", "maintenance at noon"]);
});

test("a player dropped while queued is queued again after the resume", async () => {
  const c = await connect("cleo");
  const queued = waitFor(c, "queued");
  void c.findMatch("trio"); // stays queued: trio needs three players
  await queued;
  const requeued = waitFor(c, "queued");
  const resumed = waitFor(c, "resumed");
  c.dropConnection();
  await resumed;
  assert.equal((await requeued).mode, "trio");
  assert.equal(c.place, "queued");
  c.close();
});

test("a dropped connection resumes: same player, same lobby, the state goes on", async () => {
  const player = a.player;
  const lobby = a.lobby.id;
  const tick0 = a.world.tick;
  let closedLobby = false;
  a.on("lobbyClosed", () => (closedLobby = true));
  // b's roster shows a's seat held (connected: false), then a back.
  let held = false;
  const heldThenBack = waitFor(b, "roster", (r) => {
    const connected = r.players.find((p) => p.player === player)?.connected;
    held ||= connected === false;
    return held && connected === true;
  });
  const reconnecting = waitFor(a, "reconnecting");
  const resumed = waitFor(a, "resumed");
  const stop = steer(a);
  // The first state message after the resume: a delta from the tick the client held.
  let heldTick;
  a.on("reconnecting", () => (heldTick ??= a.world.tick));
  const catchUp = waitFor(a, "message", (m) => heldTick !== undefined && (m.type === "delta" || m.type === "snapshot"));
  a.dropConnection(); // TCP gone without a close frame, like a network failure
  const r = await reconnecting;
  assert.equal(r.code, 1006);
  const w = await resumed;
  assert.equal(w.player, player, "same player id");
  assert.equal(w.resumed, true);
  const first = await catchUp;
  assert.deepEqual([first.type, first.base], ["delta", heldTick], "caught up by one delta from last_tick");
  await heldThenBack;
  const seqDuringGap = a.sendInput({ dx: 0, dy: 1 });
  await waitFor(a, "state", (s) => s.tick > tick0 + 30 && (s.acks.get(player) ?? 0) >= seqDuringGap);
  stop();
  assert.equal(a.lobby.id, lobby);
  assert.equal(a.place, "lobby");
  assert.equal(closedLobby, false);
  assert.ok(sameTicks(ticksA, ticksB, tick0) >= 10, "after the resume both views agree tick by tick");
  assert.deepEqual(mismatches, [], "the SDK's state equals the rebuild across the resume");
});

test("a refused resume starts a fresh session and the client can play again", async () => {
  const old = a.player;
  a.token = "v1.AAAA.forged"; // what a server restart or an expired seat looks like
  const refused = waitFor(a, "error", (e) => e.code === "resume_invalid");
  const lost = waitFor(a, "lobbyClosed");
  const fresh = waitFor(a, "welcome");
  a.dropConnection();
  await refused;
  await lost;
  const w = await fresh;
  assert.notEqual(w.player, old);
  assert.equal(a.place, "idle");
  const m = await a.findMatch("arena");
  assert.equal(m.player, a.player);
  await waitFor(a, "state", (s) => s.get(a.player) !== undefined);
});

test("resuming elsewhere replaces the old connection, which does not reconnect", async () => {
  const player = a.player;
  let reconnecting = false;
  a.on("reconnecting", () => (reconnecting = true));
  const closed = waitFor(a, "close");
  const c = await connect("ada", { resume: a.resumeToken });
  assert.equal(c.player, player);
  assert.equal(c.welcome.resumed, true);
  const e = await closed;
  assert.equal(e.error?.code, "session_replaced");
  assert.equal(reconnecting, false);
  await waitFor(c, "state", (s) => s.get(player) !== undefined);
  a = c;
});

test("close() gives up the seat at once", async () => {
  const player = a.player;
  const left = waitFor(b, "roster", (r) => r.left.includes(player));
  const closed = waitFor(a, "close");
  a.close();
  assert.equal((await closed).intentional, true);
  await left;
});

test("a refusal that cannot be fixed by retrying rejects connect()", async () => {
  await assert.rejects(connect("\u0007bell"), (e) => e instanceof TickwaveError && e.code === "invalid_name" && e.closeCode === 1007);
});

function adminPost(path, body) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${server.admin}${path}`,
      {
        method: "POST",
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
      },
      (res) => (res.resume(), resolve(res.statusCode)),
    );
    req.on("error", reject);
    req.end(data);
  });
}
