// Pure tests of the state model and the backoff: no sockets.

import { test } from "node:test";
import assert from "node:assert/strict";
import { StateError, World, backoffDelay, encodeClient, decodeServer, ProtocolError } from "../dist/index.js";
import { encode } from "@msgpack/msgpack";

const schema = [
  { kind: "player", fields: ["x", "y", "score", "boost"] },
  { kind: "pickup", fields: ["x", "y", "value"] },
];
const snap = (tick, entities) => ({ type: "snapshot", tick, acks: { 1: 0 }, entities });
const delta = (base, d) => ({ type: "delta", tick: base + 1, base, acks: { 1: 1 }, added: [], changed: [], removed: [], ...d });

test("a delta applies only to its base tick", () => {
  const w = World.fromSnapshot(schema, snap(5, [[1, 0, [1, 2, 0, 0]]]));
  assert.throws(() => w.apply(delta(4, {})), StateError);
  assert.equal(w.apply(delta(5, {})).tick, 6);
});

test("a delta that does not fit is refused and leaves the state as it was", () => {
  const w = World.fromSnapshot(schema, snap(5, [[1, 0, [1, 2, 0, 0]]]));
  assert.throws(() => w.apply(delta(5, { changed: [[9, 1, [3]]] })), /unknown entity 9/);
  assert.throws(() => w.apply(delta(5, { removed: [9] })), /unknown entity 9/);
  assert.throws(() => w.apply(delta(5, { added: [[1, 0, [0, 0, 0, 0]]] })), /exists/);
  assert.throws(() => w.apply(delta(5, { changed: [[1, 0b10000, [3]]] })), /beyond/);
  assert.throws(() => w.apply(delta(5, { changed: [[1, 0b11, [3]]] })), /too few/);
  assert.throws(() => w.apply(delta(5, { changed: [[1, 0b1, [3, 4]]] })), /too many/);
  assert.deepEqual(w.toWire(), [[1, 0, [1, 2, 0, 0]]]);
});

test("removed, then changed, then added: a kind change under one id", () => {
  const w = World.fromSnapshot(schema, snap(1, [[7, 0, [1, 2, 3, 4]]]));
  const n = w.apply(delta(1, { removed: [7], added: [[7, 1, [5, 6, 2]]] }));
  assert.equal(n.get(7).kind, "pickup");
  assert.deepEqual(n.get(7).fields, { x: 5, y: 6, value: 2 });
  assert.equal(w.get(7).kind, "player", "the old world is unchanged");
  assert.equal(n.acks.get(1), 1);
});

test("unknown kinds and extra fields still have names", () => {
  const w = World.fromSnapshot(schema, snap(1, [[3, 4, [1, 2]], [4, 1, [1, 2, 3, 4]]]));
  assert.equal(w.get(3).kind, "kind4");
  assert.deepEqual(w.get(3).fields, { f0: 1, f1: 2 });
  assert.deepEqual(w.get(4).fields, { x: 1, y: 2, value: 3, f3: 4 });
  assert.deepEqual(w.ofKind("pickup").map((e) => e.id), [4]);
});

test("backoff is full jitter under an exponential ceiling", () => {
  const opts = { baseMs: 250, maxMs: 10_000 };
  assert.equal(backoffDelay(0, opts, () => 1), 250);
  assert.equal(backoffDelay(3, opts, () => 1), 2000);
  assert.equal(backoffDelay(10, opts, () => 1), 10_000);
  assert.equal(backoffDelay(100, opts, () => 0.5), 5000);
  assert.equal(backoffDelay(5, opts, () => 0), 0);
});

test("the encoder refuses what the server would refuse, before sending", () => {
  assert.throws(() => encodeClient({ type: "input", seq: 1, dx: NaN, dy: 0 }), TypeError);
  assert.throws(() => encodeClient({ type: "input", seq: -1, dx: 0, dy: 0 }), TypeError);
  assert.throws(() => encodeClient({ type: "find_match" }), /missing field "mode"/);
  assert.throws(() => encodeClient({ type: "warp" }), /unknown client message type/);
  assert.throws(() => encodeClient({ type: "chat", text: "x".repeat(20_000) }), RangeError);
  // action defaults to a real false, as the server requires a bool
  assert.deepEqual([...encodeClient({ type: "input", seq: 1, dx: 0, dy: 0 })].slice(-7), [0xa6, ...Buffer.from("action"), 0xc2].slice(-7));
});

test("the decoder checks known messages and passes unknown types through", () => {
  assert.throws(() => decodeServer(encode({ type: "welcome", session: 1 })), ProtocolError);
  assert.throws(() => decodeServer(encode({ type: "rtt", rtt_ms: "fast", jitter_ms: 0, last_ms: 0 })), /expected float/);
  assert.throws(() => decodeServer(encode([1, 2])), /not a map/);
  assert.throws(() => decodeServer(new Uint8Array([0xc1])), /not MessagePack/);
  assert.deepEqual(decodeServer(encode({ type: "weather", rain: true })), { type: "weather", rain: true });
  // optional fields sent as nil count as absent
  const ls = decodeServer(encode({ type: "lobby_state", lobby: 1, state: "waiting", remaining_ms: null, tick: 3 }));
  assert.equal("remaining_ms" in ls, false);
});
