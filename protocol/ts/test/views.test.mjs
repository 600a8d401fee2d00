// Per-player views (PROTOCOL.md §6.5 "Hidden fields", §6.7) in the SDK: a private field
// hidden from this client is `null` in the typed world (never 0, never undefined), in a
// snapshot and in a delta; a field may become hidden and visible again; an entity that enters
// or leaves the client's view is added or removed; `nil` in a field that is not private is a
// state error. First on hand-written messages, then against a real server running the scouts
// game (examples/scouts.rs: two teams, opponents seen only within a radius, `ammo` private
// to the team), where two SDK clients walk into each other's view and out again.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { Tickwave, v2 } from "../dist/index.js";
import { scoutsBin, startServer } from "./helpers/server.mjs";

/** A schema as `match_found.schema` carries it: `card.value` private to its owner. */
const schema = v2.parseSchema({
  kinds: [
    {
      kind: "card",
      fields: [
        { name: "count", type: "i32" },
        { name: "value", type: "i32", min: 0, max: 99, private: "owner" },
        { name: "label", type: "str", private: "team" },
      ],
    },
  ],
  globals: [{ name: "round", type: "i32" }],
  input: [],
  commands: [],
  events: [],
});

const snapshot = (tick, entities) => ({ type: "snapshot", tick, acks: {}, globals: [1], entities });
const delta = (tick, base, { added = [], changed = [], removed = [] } = {}) => ({ type: "delta", tick, base, acks: {}, added, changed, removed });

test("views: hidden fields are null, may be revealed and hidden again, entities enter and leave", () => {
  // Card 1 is ours (all shown), card 2 another player's (value and label hidden).
  const w1 = v2.World.fromSnapshot(schema, snapshot(1, [[1, 0, [3, 42, "mine"]], [2, 0, [5, null, null]]]));
  assert.deepEqual(w1.get(1).fields, { count: 3, value: 42, label: "mine" });
  assert.deepEqual(w1.get(2).fields, { count: 5, value: null, label: null });
  assert.strictEqual(w1.get(2).values[1], null, "typed access: null, not undefined or 0");
  // Card 2's value is revealed (mask bit 1) and its count changes; card 1 is unchanged.
  const w2 = w1.apply(delta(2, 1, { changed: [[2, 0b011, [6, 17]]] }));
  assert.deepEqual(w2.get(2).fields, { count: 6, value: 17, label: null });
  assert.equal(w2.get(1), w1.get(1), "unchanged entities are shared");
  // Hidden again; and card 2 leaves the view while card 3 enters it with its fields hidden.
  const w3 = w2.apply(delta(3, 2, { changed: [[2, 0b010, [null]]] }));
  assert.strictEqual(w3.get(2).fields.value, null);
  const w4 = w3.apply(delta(4, 3, { removed: [2], added: [[3, 0, [1, null, null]]] }));
  assert.equal(w4.get(2), undefined, "left the view: removed");
  assert.deepEqual([...w4.entities.keys()].sort(), [1, 3]);
  assert.deepEqual(w4.get(3).fields, { count: 1, value: null, label: null });
  // And back in, under the same id, with what it shows now.
  const w5 = w4.apply(delta(5, 4, { added: [[2, 0, [9, null, "team"]]] }));
  assert.deepEqual(w5.get(2).fields, { count: 9, value: null, label: "team" });
  assert.equal(w1.get(2).fields.count, 5, "older worlds are untouched");
});

test("views: nil only where the schema says private, and never for a global", () => {
  const w1 = v2.World.fromSnapshot(schema, snapshot(1, [[1, 0, [3, 42, "mine"]]]));
  const bad = [
    delta(2, 1, { changed: [[1, 0b001, [null]]] }), // count is not private
    delta(2, 1, { added: [[2, 0, [null, null, null]]] }),
    { ...delta(2, 1), globals: [1, [null]] },
    delta(2, 1, { changed: [[1, 0b010, [100]]] }), // a revealed value is still range-checked
  ];
  for (const d of bad) assert.throws(() => w1.apply(d), v2.StateError, JSON.stringify(d));
  assert.throws(() => v2.World.fromSnapshot(schema, snapshot(1, [[1, 0, [null, 1, "x"]]])), v2.StateError);
  assert.throws(() => v2.World.fromSnapshot(schema, { ...snapshot(1, []), globals: [null] }), v2.StateError);
});

const MODES = `
[[mode]]
name = "scouts"
game = "scouts"
max_players = 2
min_players = 2
fill_timeout_ms = 0
countdown_ms = 0
tick_hz = 20
match_length_ms = 120000
`;

let server;
const clients = [];

before(async () => {
  server = await startServer({ modes: MODES, bin: scoutsBin });
});

after(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

async function connect(name) {
  const c = await Tickwave.connect(server.url, {
    name,
    WebSocket,
    webSocketOptions: { rejectUnauthorized: false },
    reconnect: false,
  });
  clients.push(c);
  return c;
}

/** Steer `c`'s scout toward `target` at every state until `done(world)` holds. */
function steerUntil(c, target, done, what, ms = 20_000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (off(), reject(new Error(`timed out: ${what}`))), ms);
    const off = c.on("state", (w) => {
      if (done(w)) {
        clearTimeout(t);
        off();
        resolve(w);
        return;
      }
      const me = w.get(c.player);
      if (!me) return;
      const step = (d) => (Math.abs(d) < 6 ? 0 : Math.sign(d));
      c.sendInput({ dx: step(target[0] - me.fields.x), dy: step(target[1] - me.fields.y) });
    });
  });
}

test("views: two scouts walk into each other's view and out again over a real server", async () => {
  const a = await connect("ann");
  const b = await connect("bob");
  const errors = [];
  for (const c of [a, b]) c.on("error", (e) => errors.push(`${c.player}: ${e.code} ${e.message}`));
  await Promise.all([a.findMatch("scouts"), b.findMatch("scouts")]);
  const kinds = a.lobby.typed.kinds.map((k) => [k.kind, k.fields.map((f) => f.name + (f.private ? `:${f.private}` : ""))]);
  assert.deepEqual(kinds, [["player", ["x", "y", "team", "ammo:team"]], ["crate", ["x", "y"]]]);
  // Both walk to the middle of the map: each enters the other's view, ammo hidden.
  const mid = [500, 500];
  const [wa, wb] = await Promise.all([
    steerUntil(a, mid, (w) => w.get(b.player) !== undefined, "ann sees bob"),
    steerUntil(b, mid, (w) => w.get(a.player) !== undefined, "bob sees ann"),
  ]);
  for (const [w, me, other] of [[wa, a, b], [wb, b, a]]) {
    const mine = w.get(me.player).fields;
    assert.equal(mine.ammo, 30, "its own ammo is shown to each");
    const theirs = w.get(other.player).fields;
    assert.strictEqual(theirs.ammo, null, "the opponent's ammo is hidden");
    assert.ok(Number.isInteger(theirs.x) && Number.isInteger(theirs.y) && theirs.team !== mine.team, JSON.stringify(theirs));
    const dx = theirs.x - mine.x;
    const dy = theirs.y - mine.y;
    assert.ok(dx * dx + dy * dy <= 300 * 300, "seen only within the radius");
  }
  // Then apart, to opposite corners: each leaves the other's view (removed from the world).
  await Promise.all([
    steerUntil(a, [0, 0], (w) => w.get(b.player) === undefined, "bob leaves ann's view"),
    steerUntil(b, [1000, 1000], (w) => w.get(a.player) === undefined, "ann leaves bob's view"),
  ]);
  assert.ok(a.world.get(a.player), "a scout always sees itself");
  // Every state message applied to each client's own view: no desync, no bad state.
  assert.deepEqual(errors, []);
});
