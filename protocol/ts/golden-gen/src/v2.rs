//! Golden files of protocol version 2 (`tickwave_protocol::v2`, `protocol/src/v2/WIRE.md`),
//! for the SDK's `v2` module: a schema with every value type, a private field and globals; a
//! snapshot, a delta that adds, changes (also to `nil` and back), re-kinds and removes; an
//! event; command results; and the client messages `input` and `command`.
//!
//! The manifest's `v2` section gives, for each state message, the world a client holds after
//! applying it (computed here by the reference `View::apply`), so the SDK is checked against
//! the crate's own semantics, not against a copy of them.

use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tickwave_protocol::v2::{
    Delta, Encoder, Layout, Schema, ValueRef, View, Visibility, decode_command, decode_delta,
    decode_input, decode_snapshot, encode_command, encode_input,
};

#[derive(Serialize, Default)]
struct Ship<'a> {
    x: f32,
    y: f32,
    heading: f64,
    hp: i32,
    score: i64,
    alive: bool,
    name: &'a str,
    ammo: i32,
}

#[derive(Serialize, Default)]
struct Rock {
    x: i32,
    y: i32,
}

#[derive(Serialize, Default)]
struct Globals<'a> {
    round: i32,
    time_left_ms: i64,
    phase: &'a str,
}

#[derive(Serialize, Default)]
struct Input {
    aim: f32,
    fire: bool,
    dash: bool,
    item: i32,
}

#[derive(Serialize, Default)]
struct Drop {
    column: i32,
}

#[derive(Serialize, Default)]
struct Say<'a> {
    text: &'a str,
}

#[derive(Serialize, Default)]
struct Moved {
    player: i64,
    column: i32,
    row: i32,
}

fn schema() -> Schema {
    Schema::builder()
        .kind::<Ship>("ship", |k| k.max_len("name", 16).range("hp", 0, 100).private_owner("ammo"))
        .kind::<Rock>("rock", |k| k)
        .globals::<Globals>(|g| g.max_len("phase", 16))
        .input::<Input>(|i| {
            i.clamp("aim", -std::f64::consts::PI, std::f64::consts::PI).range("item", 0, 9)
        })
        .command::<Drop>("drop", |a| a.range("column", 0, 6))
        .command::<Say>("say", |a| a.max_len("text", 16))
        .event::<Moved>("moved", |e| e)
        .build()
        .expect("the golden schema is valid")
}

/// A view: ships and rocks, and the globals.
fn view(layout: &Arc<Layout>, ships: &[(u32, Ship)], rocks: &[(u32, Rock)], g: &Globals) -> View {
    let ship = layout.kind_id("ship").unwrap();
    let rock = layout.kind_id("rock").unwrap();
    let mut v = View::new(layout.clone());
    for (id, s) in ships {
        v.push(*id, ship, s).unwrap();
    }
    for (id, r) in rocks {
        v.push(*id, rock, r).unwrap();
    }
    v.set_globals(g).unwrap();
    v.finish().unwrap();
    v
}

/// Owner 7's view: ship 9's `ammo` (owned by 9) is hidden from it.
fn as_seen_by_7(full: &View) -> View {
    let ammo = 1 << 7;
    full.project(|e| if e.id() == 9 { Visibility::Shown { hide: ammo } } else { Visibility::SHOWN })
}

fn json_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Nil => Value::Null,
        ValueRef::Bool(b) => json!(b),
        ValueRef::Int(i) => json!(i),
        ValueRef::F32(f) => json!(f64::from(f)),
        ValueRef::F64(f) => json!(f),
        ValueRef::Str(s) => json!(s),
    }
}

/// The world as the SDK's `v2.World` is expected to show it: globals and entities by name.
fn world_json(v: &View, tick: u64) -> Value {
    let layout = v.layout();
    let g = layout.globals();
    let globals: serde_json::Map<String, Value> =
        v.globals().enumerate().map(|(i, x)| (g.name(i).to_owned(), json_value(x))).collect();
    let entities: Vec<Value> = v
        .entities()
        .map(|e| {
            let f = e.fields();
            let fields: serde_json::Map<String, Value> = e
                .values()
                .enumerate()
                .map(|(i, x)| (f.name(i).to_owned(), json_value(x)))
                .collect();
            json!({"id": e.id(), "kind": e.kind_name(), "fields": fields})
        })
        .collect();
    json!({"tick": tick, "globals": globals, "entities": entities})
}

/// Every v2 file (`v2.*.bin`) into `files`, and the manifest's `v2` section.
pub(crate) fn generate(files: &mut BTreeMap<String, Vec<u8>>) -> Value {
    let schema = schema();
    let layout = Arc::new(Layout::new(schema.clone()).unwrap());
    let g1 = Globals { round: 1, time_left_ms: 90_000, phase: "running" };
    let t10 = view(
        &layout,
        &[
            (
                7,
                Ship {
                    x: 1.5,
                    y: -2.25,
                    heading: 0.1,
                    hp: 100,
                    score: 0,
                    alive: true,
                    name: "ada",
                    ammo: 5,
                },
            ),
            (
                9,
                Ship {
                    x: 0.0,
                    y: 0.0,
                    heading: -0.0,
                    hp: 80,
                    score: 1 << 40,
                    alive: true,
                    name: "bø",
                    ammo: 3,
                },
            ),
        ],
        &[(2_147_483_648, Rock { x: -5, y: 7 }), (2_147_483_649, Rock { x: 1, y: 1 })],
        &g1,
    );
    let g2 = Globals { round: 1, time_left_ms: 89_967, phase: "running" };
    // Tick 11: ship 7 moves and scores, ship 9 is hit and dies, rock ...648 is removed, rock
    // ...649 becomes a ship (kind change: removed and added under one id), a ship is added.
    let t11 = view(
        &layout,
        &[
            (
                7,
                Ship {
                    x: 1.75,
                    y: -2.25,
                    heading: 0.1,
                    hp: 100,
                    score: 10,
                    alive: true,
                    name: "ada",
                    ammo: 4,
                },
            ),
            (
                9,
                Ship {
                    x: 0.0,
                    y: 0.0,
                    heading: -0.0,
                    hp: 0,
                    score: 1 << 40,
                    alive: false,
                    name: "bø",
                    ammo: 3,
                },
            ),
            (
                12,
                Ship {
                    x: 3.0,
                    y: 4.0,
                    heading: 3.0,
                    hp: 50,
                    score: -3,
                    alive: true,
                    name: "new one",
                    ammo: 0,
                },
            ),
            (2_147_483_649, Ship { name: "re-kinded", ..Default::default() }),
        ],
        &[],
        &g2,
    );
    let (s10, s11) = (as_seen_by_7(&t10), as_seen_by_7(&t11));
    let mut enc = Encoder::new();
    let snapshot = enc.snapshot(10, &[(7, 41), (9, 3)], &s10).to_vec();
    let mut d = Delta::new();
    s10.diff_into(&s11, &mut d);
    let delta = enc.delta(11, 10, &[(7, 42), (9, 3)], &d).to_vec();
    // A reveal: ship 9's ammo becomes visible to 7 (nil -> value counts as a change).
    let mut d2 = Delta::new();
    s11.diff_into(&t11, &mut d2);
    let reveal = enc.delta(12, 11, &[(7, 42)], &d2).to_vec();
    let moved = layout.event_id("moved").unwrap();
    let event =
        enc.event(11, &layout, moved, &Moved { player: 7, column: 3, row: 0 }).unwrap().to_vec();
    let ok_value = json!({"row": 2});
    let ok = enc.command_ok(5, Some(&ok_value)).unwrap().to_vec();
    let ok_empty = enc.command_ok::<()>(6, None).unwrap().to_vec();
    let err = enc.command_err(7, "column_full", "column 3 is full").unwrap().to_vec();
    // The reference decoders agree with what the SDK will be checked against.
    let mut mine = View::new(layout.clone());
    mine.apply_snapshot(&decode_snapshot(&snapshot).unwrap().state).unwrap();
    assert_eq!(mine, s10);
    mine.apply(&decode_delta(&delta).unwrap().delta).unwrap();
    assert_eq!(mine, s11);
    let after11 = world_json(&mine, 11);
    mine.apply(&decode_delta(&reveal).unwrap().delta).unwrap();
    assert_eq!(mine, t11);

    let schema_bytes = rmp_serde::to_vec_named(&schema).unwrap();
    let mut out = |name: &str, bytes: Vec<u8>| {
        files.insert(format!("v2.{name}.bin"), bytes);
        format!("v2.{name}.bin")
    };
    let input = Input { aim: 0.5, fire: true, dash: false, item: 3 };
    json!({
        "about": "Protocol version 2 (protocol/src/v2/WIRE.md): not yet spoken by the server.",
        "schema": {"file": out("schema", schema_bytes), "value": serde_json::to_value(&schema).unwrap()},
        "snapshot": {"file": out("snapshot", snapshot), "world": world_json(&s10, 10), "acks": {"7": 41, "9": 3}},
        "delta": {"file": out("delta", delta), "base": "snapshot", "world": after11, "acks": {"7": 42, "9": 3}},
        "reveal": {"file": out("delta_reveal", reveal), "base": "delta", "world": world_json(&t11, 12)},
        "event": {"file": out("event", event), "value": {"type": "event", "tick": 11, "name": "moved", "data": {"player": 7, "column": 3, "row": 0}}},
        "command_ok": {"file": out("command_ok", ok), "value": {"type": "command_result", "id": 5, "ok": true, "value": ok_value}},
        "command_ok_empty": {"file": out("command_ok_empty", ok_empty), "value": {"type": "command_result", "id": 6, "ok": true}},
        "command_err": {"file": out("command_err", err), "value": {"type": "command_result", "id": 7, "ok": false, "code": "column_full", "message": "column 3 is full"}},
        "input": {"file": out("input", encode_input(3, Some(10), &input).unwrap().to_vec()), "seq": 3, "tick": 10, "fields": {"aim": 0.5, "fire": true, "dash": false, "item": 3}},
        "command": {"file": out("command", encode_command(4, "drop", Some(&Drop { column: 2 })).unwrap().to_vec()), "id": 4, "name": "drop", "args": {"column": 2}},
    })
}

/// Decode the SDK's `client.v2_input.bin` and `client.v2_command.bin` with the reference
/// validators: the server would take them, with the values the manifest names.
pub(crate) fn check_sdk(dir: &Path, problems: &mut Vec<String>) {
    let layout = Layout::new(schema()).unwrap();
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .map_err(|e| format!("{name}: {e} (did the SDK test write it?)"))
    };
    match read("client.v2_input.bin") {
        Ok(b) => match decode_input(layout.input(), &b) {
            Ok(f) => {
                let i = layout.input();
                let got: Vec<String> =
                    (0..i.len()).map(|k| format!("{:?}", f.values.get(i, k).unwrap())).collect();
                let want = ["F32(0.5)", "Bool(true)", "Bool(false)", "Int(3)"];
                if f.seq != 3 || f.tick != Some(10) || got != want {
                    problems.push(format!(
                        "v2 input: seq {} tick {:?} values {got:?}, expected 3, 10, {want:?}",
                        f.seq, f.tick
                    ));
                }
            }
            Err(e) => {
                problems.push(format!("v2 input: the server would refuse the SDK's bytes: {e}"))
            }
        },
        Err(e) => problems.push(e),
    }
    match read("client.v2_command.bin") {
        Ok(b) => match decode_command(&layout, &b) {
            Ok(c) => {
                let args = layout.command_args(c.command);
                let col = c.args.get(args, 0).map(|v| format!("{v:?}"));
                if c.id != 4
                    || layout.command_name(c.command) != "drop"
                    || col.as_deref() != Some("Int(2)")
                {
                    problems.push(format!(
                        "v2 command: id {} {} {col:?}, expected 4 drop Int(2)",
                        c.id,
                        layout.command_name(c.command)
                    ));
                }
            }
            Err(e) => {
                problems.push(format!("v2 command: the server would refuse the SDK's bytes: {e:?}"))
            }
        },
        Err(e) => problems.push(e),
    }
}
