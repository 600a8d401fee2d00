//! v2 input and command validation from MessagePack bytes, and the deserializer into the
//! game's types. Every byte string at the end of this file was produced by Python's
//! `msgpack` (`msgpack.packb(...)`, shown above each), the way a third-party client would
//! encode; they pin what the server accepts and how it answers.
//!
//! `cargo test -p tickwave-protocol --test v2_input`

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use std::sync::Arc;
use tickwave_protocol::v2::*;

#[derive(Serialize, Deserialize, Default, Debug, PartialEq, Clone)]
struct ArenaInput {
    dx: f32,
    dy: f32,
    aim: f32,
    fire: bool,
    dash: bool,
    slot: u8,
    item: String,
    power: f64,
    big: i64,
}

#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
struct DropArgs {
    column: i32,
}

#[derive(Serialize, Default)]
struct SayArgs {
    text: String,
    loud: bool,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(tag = "name", content = "args", rename_all = "snake_case")]
enum Command {
    Drop(DropArgs),
    Resign,
    Say { text: String, loud: bool },
}

fn layout() -> Arc<Layout> {
    let s = Schema::builder()
        .input::<ArenaInput>(|i| {
            i.clamp("dx", -1.0, 1.0)
                .clamp("dy", -1.0, 1.0)
                .clamp("aim", -PI, PI)
                .range("slot", 0, 9)
                .max_len("item", 8)
                .range("power", 0.0, 1.0)
        })
        .command::<DropArgs>("drop", |c| c.range("column", 0, 6))
        .command::<()>("resign", NO_LIMITS)
        .command::<SayArgs>("say", NO_LIMITS)
        .build()
        .unwrap();
    Arc::new(Layout::new(s).unwrap())
}

fn input(bytes: &[u8]) -> Result<(InputFrame, ArenaInput), InputError> {
    let l = layout();
    let f = decode_input(l.input(), bytes)?;
    let i = l.input().deserialize(&f.values).expect("validated values deserialize");
    Ok((f, i))
}

fn field_err(bytes: &[u8]) -> FieldError {
    match input(bytes) {
        Err(InputError::Field(e)) => e,
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn malformed(bytes: &[u8]) -> WireError {
    match input(bytes) {
        Err(InputError::Malformed(e)) => e,
        other => panic!("expected malformed, got {other:?}"),
    }
}

#[test]
fn python_inputs_decode_with_defaults_and_clamps() {
    let (f, i) = input(OK1).unwrap();
    assert_eq!((f.seq, f.tick), (7, None));
    // A float64 from Python into an f32 field; everything omitted at its default.
    assert_eq!(i, ArenaInput { dx: 0.5, fire: true, ..ArenaInput::default() });

    let (f, i) = input(OK2).unwrap();
    assert_eq!((f.seq, f.tick), (1 << 40, Some(99)));
    assert_eq!(
        i,
        ArenaInput {
            dx: -1.0,       // the int -3, clamped
            dy: 1.0,        // 1.5, clamped
            aim: PI as f32, // 10.0, clamped to pi
            fire: false,
            dash: false,
            slot: 9,
            item: "sword".into(),
            power: 1.0, // an int into an f64 field
            big: -(1 << 40),
        }
    );
    let (_, i) = input(OK_F32).unwrap();
    assert_eq!(i.dx, 0.25);
    let (f, _) = input(TICK_NIL).unwrap();
    assert_eq!(f.tick, None);
}

#[test]
fn field_errors_name_the_field_in_precedence_order() {
    // `dx` (wrong type) comes first in the map, but an unknown key wins.
    let e = field_err(UNKNOWN);
    assert_eq!(e, FieldError { field: "zz".into(), fault: FieldFault::Unknown });
    assert_eq!(e.to_string(), "field `zz`: not in the schema");
    // A wrong type wins over a value out of range, whatever the order.
    let e = field_err(TYPE_OVER_RANGE);
    assert_eq!(e.to_string(), "field `fire`: expected bool, got integer");
    assert_eq!(field_err(SLOT10).to_string(), "field `slot`: 10 is outside 0..=9");
    assert_eq!(field_err(POWER).to_string(), "field `power`: 1.5 is outside 0.0..=1.0");
    // NaN is refused even where the field clamps; infinities too.
    assert_eq!(
        field_err(NAN),
        FieldError { field: "dx".into(), fault: FieldFault::Value(ValueFault::NotFinite) }
    );
    assert_eq!(field_err(INF).to_string(), "field `power`: not a finite number");
    assert_eq!(
        field_err(LONG).to_string(),
        "field `item`: a string of 10 bytes is longer than max_len 8"
    );
    assert_eq!(field_err(STR_BOOL).to_string(), "field `fire`: expected bool, got string");
    assert!(matches!(field_err(HUGE).fault, FieldFault::Value(ValueFault::OutOfRange { .. })));
    // A nested value is a wrong type, skipped cleanly (the next key still parses).
    assert_eq!(field_err(ARRAY).to_string(), "field `dx`: expected f32, got array");
    // A repeated key (Python cannot write one; by hand).
    let dup = b"\x84\xa4type\xa5input\xa3seq\x01\xa2dx\x00\xa2dx\x01";
    assert_eq!(field_err(dup), FieldError { field: "dx".into(), fault: FieldFault::Duplicate });
}

#[test]
fn malformed_inputs_are_told_apart_from_field_errors() {
    assert_eq!(malformed(NO_SEQ), WireError::Missing("seq"));
    assert_eq!(malformed(NEG_SEQ), WireError::IntRange { at: "seq" });
    assert!(matches!(malformed(CHAT), WireError::WrongType { expected: "input", .. }));
    assert!(matches!(malformed(INT_KEY), WireError::Unexpected { at: "key", .. }));
    assert!(matches!(malformed(ARR), WireError::Unexpected { at: "input", .. }));
    let mut trailing = OK1.to_vec();
    trailing.push(0);
    assert_eq!(malformed(&trailing), WireError::Trailing);
    assert_eq!(malformed(&OK1[..OK1.len() - 1]), WireError::Truncated);
    assert!(
        matches!(malformed(b"\x83\xa4type\xa5input\xa3seq\x01\xa3seq\x02"), WireError::DuplicateKey(k) if k == "seq")
    );
    assert_eq!(malformed(b"\x81\xa3seq\x01"), WireError::Missing("type"));
    // A map claiming 2^32 - 1 entries is refused before anything is read.
    assert!(matches!(malformed(b"\xdf\xff\xff\xff\xff\xa4type"), WireError::LengthBomb { .. }));
}

#[test]
fn client_encoded_inputs_round_trip() {
    let l = layout();
    let sent =
        ArenaInput { dx: 0.5, slot: 3, item: "axe".into(), big: 1 << 50, ..ArenaInput::default() };
    let bytes = encode_input(11, Some(40), &sent).unwrap();
    let f = decode_input(l.input(), &bytes).unwrap();
    assert_eq!((f.seq, f.tick), (11, Some(40)));
    assert_eq!(l.input().deserialize::<ArenaInput>(&f.values).unwrap(), sent);
    assert_eq!(f.values.get(l.input(), 6), Some(ValueRef::Str("axe")));
    assert_eq!(encode_input(1, None, &5u8), Err(EncodeError::NotAStruct));
    // A game type whose fields are declared in another order still deserializes (by name).
    #[derive(Deserialize, Debug, PartialEq)]
    struct Reordered {
        item: String,
        dx: f32,
        big: i64,
        slot: u8,
        fire: bool,
        dy: f32,
        aim: f32,
        power: f64,
        dash: bool,
    }
    let r: Reordered = l.input().deserialize(&f.values).unwrap();
    assert_eq!((r.item.as_str(), r.dx, r.big, r.slot), ("axe", 0.5, 1 << 50, 3));
}

fn command(bytes: &[u8]) -> Result<(CommandFrame, Command), CommandRefusal> {
    let l = layout();
    let f = decode_command(&l, bytes)?;
    let c = l.deserialize_command(&f).expect("validated commands deserialize");
    Ok((f, c))
}

fn refused(bytes: &[u8]) -> (u32, RefusalCode, String) {
    match command(bytes) {
        Err(CommandRefusal::Refused { id, code, message }) => (id, code, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn python_commands_decode_into_the_game_enum() {
    let (f, c) = command(C1).unwrap();
    assert_eq!(f.id, 5);
    assert_eq!(c, Command::Drop(DropArgs { column: 3 }));
    // Keys in any order: args before name.
    assert_eq!(command(C2).unwrap().1, Command::Drop(DropArgs { column: 3 }));
    // Omitted or nil args take their defaults.
    assert_eq!(command(C5).unwrap().1, Command::Drop(DropArgs { column: 0 }));
    assert_eq!(command(C6).unwrap().1, Command::Drop(DropArgs { column: 0 }));
    // A unit variant and a struct variant.
    assert_eq!(command(C9).unwrap().1, Command::Resign);
    assert_eq!(command(C10).unwrap().1, Command::Say { text: "gg".into(), loud: true });
    let bytes = encode_command(21, "drop", Some(&DropArgs { column: 6 })).unwrap();
    assert_eq!(command(&bytes).unwrap().1, Command::Drop(DropArgs { column: 6 }));
    let bytes = encode_command::<()>(22, "resign", None).unwrap();
    assert_eq!(command(&bytes).unwrap(), (command(&bytes).unwrap().0, Command::Resign));
}

#[test]
fn command_refusals_carry_the_id_code_and_field() {
    assert_eq!(refused(C3), (7, RefusalCode::UnknownCommand, "unknown command `fly`".into()));
    // An unknown command wins over bad args.
    assert_eq!(refused(C15).1, RefusalCode::UnknownCommand);
    assert_eq!(
        refused(C4),
        (8, RefusalCode::InvalidArgs, "field `column`: 9 is outside 0..=6".into())
    );
    assert_eq!(
        refused(C13),
        (16, RefusalCode::InvalidArgs, "field `column`: expected i32, got string".into())
    );
    let (id, code, msg) = refused(C8);
    assert_eq!((id, code), (11, RefusalCode::InvalidArgs));
    assert!(msg.contains("unknown key `arg`"), "{msg}");
    assert_eq!(
        refused(C11),
        (14, RefusalCode::InvalidArgs, "args: expected a map, found array".into())
    );
    assert_eq!(
        refused(C12),
        (15, RefusalCode::UnknownCommand, "name: expected a string, found integer".into())
    );
    assert_eq!(RefusalCode::InvalidArgs.as_str(), codes::INVALID_ARGS);
    assert_eq!(RefusalCode::UnknownCommand.as_str(), "unknown_command");
    // Without a usable id there is nothing to answer: malformed.
    assert!(matches!(command(C7), Err(CommandRefusal::Malformed(WireError::Missing("id")))));
    assert!(matches!(command(C14), Err(CommandRefusal::Malformed(WireError::IntRange { .. }))));
}

#[test]
fn every_declared_command_deserializes_from_its_defaults() {
    let l = layout();
    for c in l.command_ids() {
        l.default_command::<Command>(c).unwrap();
    }
    // A game enum missing a declared command fails this registration check.
    #[derive(Deserialize, Debug)]
    #[serde(tag = "name", content = "args", rename_all = "snake_case")]
    enum Partial {
        #[allow(dead_code)]
        Drop(DropArgs),
    }
    let resign = l.command_id("resign").unwrap();
    assert!(l.default_command::<Partial>(resign).is_err());
}

/// `packb({"type":"input","seq":7,"dx":0.5,"fire":True})`
const OK1: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x07\xa2\x64\x78\xcb\x3f\xe0\x00\x00\x00\x00\x00\x00\xa4\x66\x69\x72\x65\xc3";
/// `packb({"type":"input","seq":2**40,"tick":99,"dx":-3,"dy":1.5,"aim":10.0,"slot":9,"item":"sword","power":1,"big":-2**40,"dash":False})`
const OK2: &[u8] = b"\x8b\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\xcf\x00\x00\x01\x00\x00\x00\x00\x00\xa4\x74\x69\x63\x6b\x63\xa2\x64\x78\xfd\xa2\x64\x79\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xa3\x61\x69\x6d\xcb\x40\x24\x00\x00\x00\x00\x00\x00\xa4\x73\x6c\x6f\x74\x09\xa4\x69\x74\x65\x6d\xa5\x73\x77\x6f\x72\x64\xa5\x70\x6f\x77\x65\x72\x01\xa3\x62\x69\x67\xd3\xff\xff\xff\x00\x00\x00\x00\x00\xa4\x64\x61\x73\x68\xc2";
/// `msgpack.Packer(use_single_float=True).pack({"type":"input","seq":1,"dx":0.25})`
const OK_F32: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa2\x64\x78\xca\x3e\x80\x00\x00";
/// `packb({"type":"input","seq":1,"dx":"left","zz":1})`
const UNKNOWN: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa2\x64\x78\xa4\x6c\x65\x66\x74\xa2\x7a\x7a\x01";
/// `packb({"type":"input","seq":1,"slot":10,"fire":1})`
const TYPE_OVER_RANGE: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa4\x73\x6c\x6f\x74\x0a\xa4\x66\x69\x72\x65\x01";
/// `packb({"type":"input","seq":1,"dx":float('nan')})`
const NAN: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa2\x64\x78\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00";
/// `packb({"type":"input","seq":1,"power":float('inf')})`
const INF: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa5\x70\x6f\x77\x65\x72\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00";
/// `packb({"type":"input","seq":1,"slot":10})`
const SLOT10: &[u8] =
    b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa4\x73\x6c\x6f\x74\x0a";
/// `packb({"type":"input","seq":1,"power":1.5})`
const POWER: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa5\x70\x6f\x77\x65\x72\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00";
/// `packb({"type":"input","seq":1,"item":"excalibur!"})`
const LONG: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa4\x69\x74\x65\x6d\xaa\x65\x78\x63\x61\x6c\x69\x62\x75\x72\x21";
/// `packb({"type":"input","seq":1,"fire":"yes"})`
const STR_BOOL: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa4\x66\x69\x72\x65\xa3\x79\x65\x73";
/// `packb({"type":"input","seq":1,"slot":2**64-1})`
const HUGE: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa4\x73\x6c\x6f\x74\xcf\xff\xff\xff\xff\xff\xff\xff\xff";
/// `packb({"type":"input","seq":1,"dx":[1,2],"fire":True})`
const ARRAY: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa2\x64\x78\x92\x01\x02\xa4\x66\x69\x72\x65\xc3";
/// `packb({"type":"input","seq":1,"tick":None})`
const TICK_NIL: &[u8] =
    b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\xa4\x74\x69\x63\x6b\xc0";
/// `packb({"type":"input","dx":0})`
const NO_SEQ: &[u8] = b"\x82\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa2\x64\x78\x00";
/// `packb({"type":"input","seq":-1})`
const NEG_SEQ: &[u8] = b"\x82\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\xff";
/// `packb({"type":"chat","seq":1})`
const CHAT: &[u8] = b"\x82\xa4\x74\x79\x70\x65\xa4\x63\x68\x61\x74\xa3\x73\x65\x71\x01";
/// `packb({"type":"input","seq":1,3:1})`
const INT_KEY: &[u8] =
    b"\x83\xa4\x74\x79\x70\x65\xa5\x69\x6e\x70\x75\x74\xa3\x73\x65\x71\x01\x03\x01";
/// `packb(["input",1])`
const ARR: &[u8] = b"\x92\xa5\x69\x6e\x70\x75\x74\x01";
/// `packb({"type":"command","id":5,"name":"drop","args":{"column":3}})`
const C1: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x05\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70\xa4\x61\x72\x67\x73\x81\xa6\x63\x6f\x6c\x75\x6d\x6e\x03";
/// `packb({"args":{"column":3},"name":"drop","id":6,"type":"command"})`
const C2: &[u8] = b"\x84\xa4\x61\x72\x67\x73\x81\xa6\x63\x6f\x6c\x75\x6d\x6e\x03\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70\xa2\x69\x64\x06\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64";
/// `packb({"type":"command","id":7,"name":"fly"})`
const C3: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x07\xa4\x6e\x61\x6d\x65\xa3\x66\x6c\x79";
/// `packb({"type":"command","id":8,"name":"drop","args":{"column":9}})`
const C4: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x08\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70\xa4\x61\x72\x67\x73\x81\xa6\x63\x6f\x6c\x75\x6d\x6e\x09";
/// `packb({"type":"command","id":9,"name":"drop"})`
const C5: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x09\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70";
/// `packb({"type":"command","id":10,"name":"drop","args":None})`
const C6: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x0a\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70\xa4\x61\x72\x67\x73\xc0";
/// `packb({"type":"command","name":"drop"})`
const C7: &[u8] = b"\x82\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70";
/// `packb({"type":"command","id":11,"name":"drop","arg":{"column":1}})`
const C8: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x0b\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70\xa3\x61\x72\x67\x81\xa6\x63\x6f\x6c\x75\x6d\x6e\x01";
/// `packb({"type":"command","id":12,"name":"resign"})`
const C9: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x0c\xa4\x6e\x61\x6d\x65\xa6\x72\x65\x73\x69\x67\x6e";
/// `packb({"type":"command","id":13,"name":"say","args":{"text":"gg","loud":True}})`
const C10: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x0d\xa4\x6e\x61\x6d\x65\xa3\x73\x61\x79\xa4\x61\x72\x67\x73\x82\xa4\x74\x65\x78\x74\xa2\x67\x67\xa4\x6c\x6f\x75\x64\xc3";
/// `packb({"type":"command","id":14,"name":"drop","args":[3]})`
const C11: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x0e\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70\xa4\x61\x72\x67\x73\x91\x03";
/// `packb({"type":"command","id":15,"name":7})`
const C12: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x0f\xa4\x6e\x61\x6d\x65\x07";
/// `packb({"type":"command","id":16,"name":"drop","args":{"column":"3"}})`
const C13: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x10\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70\xa4\x61\x72\x67\x73\x81\xa6\x63\x6f\x6c\x75\x6d\x6e\xa1\x33";
/// `packb({"type":"command","id":-1,"name":"drop"})`
const C14: &[u8] = b"\x83\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\xff\xa4\x6e\x61\x6d\x65\xa4\x64\x72\x6f\x70";
/// `packb({"type":"command","id":17,"name":"fly","args":{"column":99}})`
const C15: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa7\x63\x6f\x6d\x6d\x61\x6e\x64\xa2\x69\x64\x11\xa4\x6e\x61\x6d\x65\xa3\x66\x6c\x79\xa4\x61\x72\x67\x73\x81\xa6\x63\x6f\x6c\x75\x6d\x6e\x63";
