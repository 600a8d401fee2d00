// Protocol 2 client logic against a scripted fake server (plain ws://): command ids and
// answers, the pending bound, a drop rejecting what is unanswered, events checked against the
// schema, and a delta on the wrong base.

import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket, { WebSocketServer } from "ws";
import { decode, encode } from "@msgpack/msgpack";
import { CommandError, MAX_PENDING_COMMANDS, Tickwave } from "../dist/index.js";

const SCHEMA = {
  kinds: [{ kind: "disc", fields: [{ name: "column", type: "i32" }] }],
  globals: [{ name: "turn", type: "i64" }],
  input: [{ name: "aim", type: "f32", min: -1, max: 1, clamp: true }],
  commands: [{ name: "drop", args: [{ name: "column", type: "i32" }] }],
  events: [{ name: "moved", fields: [{ name: "column", type: "i32" }] }],
};

/** A fake protocol-2 server; `onMessage(ws, msg)` sees every client message after hello. */
async function fake(onMessage) {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((r) => wss.on("listening", r));
  const hellos = [];
  wss.on("connection", (ws) => {
    ws.once("message", (data) => {
      hellos.push(decode(data));
      ws.send(encode({ type: "welcome", session: 1, protocol: 2, player: 7, server: "fake/0", heartbeat_ms: 1000, timeout_ms: 5000, modes: ["c4"], resume: "tok", resumed: false }));
      ws.send(encode({ type: "match_found", lobby: 3, player: 7, mode: "c4", game: "c4", state: "running", tick_hz: 20, max_players: 2, roster: [], schema: SCHEMA }));
      ws.send(encode({ type: "snapshot", tick: 10, acks: { 7: 0 }, globals: [7], entities: [[2147483648, 0, [3]]] }));
      ws.on("message", (d) => onMessage(ws, decode(d)));
    });
  });
  return { url: `ws://127.0.0.1:${wss.address().port}/ws`, hellos, close: () => new Promise((r) => wss.close(r)) };
}

async function client(srv) {
  const c = new Tickwave.Client(srv.url, { name: "ada", WebSocket, reconnect: false });
  const state = c.once("state");
  await c.connect();
  await state;
  return c;
}

async function rejection(p) {
  return p.then(
    (v) => assert.fail(`resolved with ${JSON.stringify(v)}`),
    (e) => (assert.ok(e instanceof CommandError, `a CommandError, got ${e}`), e),
  );
}

test("commands resolve with their value, reject with the code, and are bounded; a drop rejects the unanswered", async () => {
  const ids = [];
  const srv = await fake((ws, m) => {
    if (m.type !== "command") return;
    ids.push(m.id);
    assert.equal(m.name, "drop");
    if (m.args.column === 1) ws.send(encode({ type: "command_result", id: m.id, ok: true, value: 5 }));
    if (m.args.column === 2) ws.send(encode({ type: "command_result", id: m.id, ok: false, code: "bad_column", message: "column must be in 0..=6, got 2" }));
    if (m.args.column === 99) ws.terminate(); // the connection drops with commands unanswered
  });
  const c = await client(srv);
  assert.equal(srv.hellos[0].protocol, 2, "protocol 2 is asked for by default");
  assert.deepEqual(c.world.globals, { turn: 7 });
  assert.equal(c.world.ofKind("disc")[0].fields.column, 3);

  assert.equal(await c.command("drop", { column: 1 }), 5);
  const bad = await rejection(c.command("drop", { column: 2 }));
  assert.equal(bad.code, "bad_column");
  assert.equal(bad.message, "column must be in 0..=6, got 2");
  assert.equal((await rejection(c.command("drop", { column: "x" }))).code, "invalid_args");
  assert.equal((await rejection(c.command("fly"))).code, "unknown_command");

  // Unanswered ones (column 50) fill the bound; one more is refused at once.
  const waiting = [];
  for (let i = 0; i < MAX_PENDING_COMMANDS; i++) waiting.push(rejection(c.command("drop", { column: 50 })));
  assert.equal((await rejection(c.command("drop", { column: 50 }))).code, "too_many_pending");
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(ids.length, 2 + MAX_PENDING_COMMANDS, "refused ones are never sent");
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "ids ascend");
  assert.equal(new Set(ids).size, ids.length, "ids are unique");

  c.command("drop", { column: 99 }).catch(() => {}); // makes the fake server drop the connection
  for (const e of await Promise.all(waiting)) assert.equal(e.code, "disconnected");
  assert.equal((await rejection(c.command("drop", { column: 1 }))).code, "not_in_lobby");
  c.close();
  await srv.close();
});

test("events are checked against the schema; a delta on another base is a state_desync", async () => {
  const srv = await fake((ws, m) => {
    if (m.type !== "input") return;
    assert.deepEqual(m, { type: "input", seq: 1, aim: 1 }, "clamped, seq from the SDK");
    ws.send(encode({ type: "event", tick: 11, name: "moved", data: { column: 4 } }));
    ws.send(encode({ type: "event", tick: 11, name: "moved", data: { column: "four" } }));
    ws.send(encode({ type: "delta", tick: 11, base: 10, acks: { 7: 1 }, globals: [1, [0]], added: [], changed: [], removed: [] }));
    ws.send(encode({ type: "delta", tick: 13, base: 12, acks: { 7: 1 }, added: [], changed: [], removed: [] }));
  });
  const c = await client(srv);
  const events = [];
  const errors = [];
  c.on("event", (e) => events.push(e));
  c.on("error", (e) => errors.push(e.code));
  const states = [];
  c.on("state", (w) => states.push(w));
  const ack = c.once("inputAck");
  assert.equal(c.sendInput({ aim: 3 }), 1);
  assert.equal((await ack).seq, 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(states.map((w) => [w.tick, w.globals.turn]), [[11, 0]], "the delta's globals apply");
  assert.deepEqual(events, [{ tick: 11, name: "moved", data: { column: 4 } }]);
  assert.deepEqual(errors, ["bad_event", "state_desync"]);
  assert.equal(c.world, undefined, "the world waits for the next snapshot");
  c.close();
  await srv.close();
});
