// Protocol version 2 (protocol/src/v2/WIRE.md) in the SDK's `v2` module, against golden bytes
// the Rust reference (`tickwave_protocol::v2`) wrote, with the worlds that the reference
// client holds after each state message. The SDK's input and command encodings are written
// to $TICKWAVE_SDK_OUT for `golden-gen check-sdk`, which decodes them with the server's
// validators.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decode } from "@msgpack/msgpack";
import { v2 } from "../dist/index.js";

const golden = new URL("./golden/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("manifest.json", golden), "utf8")).v2;
const bytesOf = (file) => new Uint8Array(readFileSync(new URL(file, golden)));
const msgOf = (c) => decode(bytesOf(c.file));
const sdkOut = process.env.TICKWAVE_SDK_OUT ?? fileURLToPath(new URL("../test-out/", import.meta.url));
const schema = v2.parseSchema(msgOf(manifest.schema));

/** A world as the manifest writes it. */
function plain(world) {
  return {
    tick: world.tick,
    globals: world.globals,
    entities: [...world.entities.values()].sort((a, b) => a.id - b.id).map((e) => ({ id: e.id, kind: e.kind, fields: e.fields })),
  };
}

test("v2: the schema the Rust crate writes parses to the same value", () => {
  assert.deepEqual(schema, manifest.schema.value);
});

test("v2: snapshot, delta (add, change, kind change, remove, hide) and reveal give the reference worlds", () => {
  const w10 = v2.World.fromSnapshot(schema, msgOf(manifest.snapshot));
  assert.deepEqual(plain(w10), manifest.snapshot.world);
  assert.deepEqual(Object.fromEntries(w10.acks), { 7: 41, 9: 3 });
  assert.equal(w10.get(9).fields.ammo, null, "another owner's private field is hidden");
  assert.ok(Object.is(w10.get(9).fields.heading, -0), "-0.0 stays -0.0");
  const w11 = w10.apply(msgOf(manifest.delta));
  assert.deepEqual(plain(w11), manifest.delta.world);
  assert.equal(w11.get(2147483649).kind, "ship", "re-kinded under the same id");
  assert.equal(w11.get(2147483648), undefined);
  assert.equal(w10.get(7).fields.x, 1.5, "the older world is untouched");
  const w12 = w11.apply(msgOf(manifest.reveal));
  assert.deepEqual(plain(w12), manifest.reveal.world);
  assert.equal(w12.get(9).fields.ammo, 3, "revealed");
  assert.equal(w12.get(12), w11.get(12), "unchanged entities are shared");
});

test("v2: a delta that does not fit throws and leaves the world as it was", () => {
  const w10 = v2.World.fromSnapshot(schema, msgOf(manifest.snapshot));
  const good = msgOf(manifest.delta);
  const bad = [
    { ...good, base: 9 },
    { ...good, removed: [5] },
    { ...good, changed: [[7, 1 << 8, [1]]] }, // ship has 8 fields: bit 8 is beyond them
    { ...good, changed: [[7, 3, [1.0]]] }, // two bits, one value
    { ...good, changed: [[7, 1 << 3, [101]]] }, // hp is 0..=100
    { ...good, changed: [[7, 1 << 5, [1]]] }, // alive is a bool
    { ...good, changed: [[7, 1 << 6, [null]]] }, // name is not private: nil is refused
    { ...good, added: [[7, 1, [0, 0]]] }, // 7 is held already
    { ...good, added: [[13, 5, []]] }, // no kind 5
    { ...good, removed: [2147483649, 2147483648] }, // not ascending
  ];
  for (const d of bad) {
    assert.throws(() => w10.apply(d), v2.StateError, JSON.stringify(d).slice(0, 120));
  }
  assert.deepEqual(plain(w10), manifest.snapshot.world);
});

test("v2: events are checked against the schema; command results decode", () => {
  const e = v2.checkEvent(schema, msgOf(manifest.event));
  assert.deepEqual({ tick: e.tick, name: e.name, data: e.data }, { tick: 11, name: "moved", data: manifest.event.value.data });
  assert.throws(() => v2.checkEvent(schema, { type: "event", tick: 1, name: "flew", data: {} }), /not in the schema/);
  assert.throws(() => v2.checkEvent(schema, { type: "event", tick: 1, name: "moved", data: { player: 1, column: 1 } }), /`row` is missing/);
  for (const c of [manifest.command_ok, manifest.command_ok_empty, manifest.command_err]) {
    assert.deepEqual(msgOf(c), c.value);
  }
});

test("v2: the SDK's input and command are what the Rust client sends (by value)", () => {
  const i = manifest.input;
  const mine = v2.encodeInput(schema, i.seq, i.tick, i.fields);
  assert.deepEqual(decode(mine), decode(bytesOf(i.file)));
  const c = manifest.command;
  const cmd = v2.encodeCommand(schema, c.id, c.name, c.args);
  assert.deepEqual(decode(cmd), decode(bytesOf(c.file)));
  mkdirSync(sdkOut, { recursive: true });
  writeFileSync(`${sdkOut}/client.v2_input.bin`, mine);
  writeFileSync(`${sdkOut}/client.v2_command.bin`, cmd);
});

test("v2: inputs and command args are refused as the server would refuse them", () => {
  const cases = [
    [{ zz: 1 }, "field `zz`: not in the schema"],
    [{ fire: 1 }, "field `fire`: expected bool, got integer"],
    [{ item: 10 }, "field `item`: 10 is outside 0..=9"],
    [{ item: 1.5 }, "field `item`: expected i32, got float64"],
    [{ aim: Number.NaN }, "field `aim`: not a finite number"],
    // A type error is reported before a range error, whatever the key order.
    [{ item: 10, fire: "yes" }, "field `fire`: expected bool, got string"],
  ];
  for (const [fields, message] of cases) {
    assert.throws(() => v2.encodeInput(schema, 1, undefined, fields), (e) => e instanceof v2.FieldError && e.message === message, message);
  }
  // aim clamps to ±pi and is rounded to float32, as the server holds it.
  assert.equal(decode(v2.encodeInput(schema, 1, undefined, { aim: 10 })).aim, Math.fround(Math.PI));
  assert.throws(() => v2.encodeCommand(schema, 1, "drop", { column: 7 }), /field `column`: 7 is outside 0..=6/);
  assert.throws(() => v2.encodeCommand(schema, 1, "say", { text: "ø".repeat(9) }), /a string of 18 bytes is longer than max_len 16/);
  assert.throws(() => v2.encodeCommand(schema, 1, "fly"), /unknown command `fly`/);
});

test("v2: schemas that break the rules are refused", () => {
  const ok = manifest.schema.value;
  const broken = [
    { ...ok, kinds: [{ kind: "Ship", fields: [] }] },
    { ...ok, input: [{ name: "seq", type: "i32" }] },
    { ...ok, globals: [{ name: "a", type: "i32" }, { name: "a", type: "bool" }] },
    { ...ok, globals: [{ name: "a", type: "u8" }] },
    { ...ok, globals: [{ name: "a", type: "i32", min: 5, max: 1 }] },
    { ...ok, globals: [{ name: "a", type: "bool", clamp: true }] },
    { ...ok, globals: Array.from({ length: 33 }, (_, i) => ({ name: `f${i}`, type: "i32" })) },
  ];
  for (const s of broken) assert.throws(() => v2.parseSchema(s), v2.SchemaError, JSON.stringify(s).slice(0, 100));
  assert.deepEqual(v2.parseSchema({ ...ok, future: [1, 2] }), schema, "unknown keys are ignored");
});
