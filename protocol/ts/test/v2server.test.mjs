// The SDK speaking protocol 2 against a real Tickwave server (target/debug/tickwave, or
// TICKWAVE_BIN): two clients play connect4 to a win through `command()`, and one plays
// arena_v2 with typed inputs (`aim`, `fire`) and sees its own shots in the typed world.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { CommandError, Tickwave, v2 } from "../dist/index.js";
import { startServer } from "./helpers/server.mjs";

const MODES = `
[[mode]]
name = "connect4"
game = "connect4"
max_players = 2
min_players = 2
fill_timeout_ms = 0
countdown_ms = 0
tick_hz = 20
match_length_ms = 120000

[[mode]]
name = "arena_v2"
game = "arena_v2"
max_players = 4
min_players = 1
fill_timeout_ms = 0
countdown_ms = 0
tick_hz = 20
match_length_ms = 60000
`;

let server;
const clients = [];

before(async () => {
  server = await startServer({ modes: MODES });
});

after(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

function connect(name) {
  return Tickwave.connect(server.url, {
    name,
    WebSocket,
    webSocketOptions: { rejectUnauthorized: false }, // the server's self-signed dev certificate
    reconnect: false,
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

/** A command's refusal, checked to be the typed `CommandError` with `code`. */
async function refused(promise, code) {
  const err = await promise.then(
    (v) => assert.fail(`expected ${code}, resolved with ${JSON.stringify(v)}`),
    (e) => e,
  );
  assert.ok(err instanceof CommandError, `a CommandError, got ${err}`);
  assert.equal(err.code, code, err.message);
  assert.equal(typeof err.message, "string");
}

test("two SDK clients play connect4 to a win with commands, events and the typed board", async () => {
  const a = await connect("ada");
  const b = await connect("bob");
  assert.equal(a.protocol, 2, "protocol 2 is the default");
  const [ma] = await Promise.all([a.findMatch("connect4"), b.findMatch("connect4")]);
  assert.equal(ma.mode, "connect4");
  assert.ok(a.lobby.typed, "the typed schema is parsed");
  assert.deepEqual(a.lobby.typed.commands.map((c) => c.name), ["drop"]);

  // Play begins once both seats are taken: `turn` names the lower player id.
  const first = a.player < b.player ? a : b;
  const second = first === a ? b : a;
  await Promise.all(
    [a, b].map((c) => (c.world?.globals.turn ? Promise.resolve() : waitFor(c, "state", (w) => w.globals.turn !== 0))),
  );
  assert.equal(first.world.globals.turn, first.player);

  const events = { a: [], b: [] };
  a.on("event", (e) => events.a.push(e));
  b.on("event", (e) => events.b.push(e));
  const results = Promise.all([waitFor(a, "results"), waitFor(b, "results")]);
  // The world as it is when `results` arrives: `lobby_closed` follows at once and may be
  // handled (dropping the world) before the awaits below resume.
  let atResults;
  first.on("results", () => {
    atResults = first.world;
  });

  await refused(second.command("drop", { column: 0 }), "not_your_turn");
  await refused(first.command("drop", { column: 9 }), "bad_column");
  await refused(first.command("drop", { column: "x" }), "invalid_args"); // refused by the SDK
  await refused(first.command("jump", {}), "unknown_command");

  // Four in column 0 for the first mover; the second fills column 1 meanwhile.
  const moves = [
    [first, 0],
    [second, 1],
    [first, 0],
    [second, 1],
    [first, 0],
    [second, 1],
    [first, 0],
  ];
  for (const [c, column] of moves) assert.equal(await c.command("drop", { column }), undefined);

  const [ra, rb] = await results;
  for (const r of [ra, rb]) assert.deepEqual(r.payload, { winner: first.player, reason: "four_in_a_row" });
  for (const list of [events.a, events.b]) {
    const moved = list.filter((e) => e.name === "moved");
    assert.equal(moved.length, 7);
    assert.deepEqual(moved[0].data, { player: first.player, column: 0, row: 0 });
    assert.deepEqual(moved[6].data, { player: first.player, column: 0, row: 3 });
    const won = list.find((e) => e.name === "won");
    assert.ok(won, "a won event");
    assert.equal(won.data.player, first.player);
    assert.ok(won.tick >= moved[6].tick);
  }
  // The board as the typed world holds it (results come after the winning state).
  const w = atResults;
  assert.ok(w, "the world is held when results arrive");
  assert.equal(w.globals.winner, first.player);
  assert.equal(w.globals.moves, 7);
  const discs = w.ofKind("disc").map((d) => d.fields);
  assert.equal(discs.length, 7);
  assert.deepEqual(
    discs.filter((d) => d.column === 0).map((d) => [d.row, d.player]).sort((x, y) => x[0] - y[0]),
    [0, 1, 2, 3].map((row) => [row, first.player]),
  );
  assert.equal(discs.filter((d) => d.column === 1 && d.player === second.player).length, 3);
  assert.deepEqual(w.ofKind("player").map((p) => p.fields.color).sort(), [1, 2]);
  a.leave();
  b.leave();
});

test("an SDK client plays arena_v2 with typed aim and fire and sees its own shots", async () => {
  const c = await connect("cyd");
  await c.findMatch("arena_v2");
  const schema = c.lobby.typed;
  assert.ok(schema.input.some((f) => f.name === "aim" && f.type === "f32"));
  await waitFor(c, "state", (w) => w.get(c.player) !== undefined);
  assert.equal(c.me.kind, "player");
  assert.equal(typeof c.me.fields.name, "string");
  assert.equal(typeof c.world.globals.time_left_ms, "number");

  // A bad field is refused before it is sent, and uses no seq.
  assert.throws(() => c.sendInput({ aim: "north" }), v2.FieldError);
  assert.throws(() => c.sendInput({ jump: true }), v2.FieldError);

  const shot = waitFor(c, "state", (w) => w.ofKind("shot").some((s) => s.fields.owner === c.player));
  const acked = waitFor(c, "inputAck");
  const timer = setInterval(() => c.sendInput({ aim: 0.5, fire: true }), 100);
  try {
    const w = await shot;
    const mine = w.ofKind("shot").filter((s) => s.fields.owner === c.player);
    assert.ok(mine.length >= 1);
    assert.equal(typeof mine[0].fields.x, "number");
    const ack = await acked;
    assert.ok(ack.seq >= 1 && ack.latencyMs >= 0);
  } finally {
    clearInterval(timer);
  }
  c.leave();
});
