//! v2 message decoders (client side) and the event and command_result messages: the error
//! paths of the decoders, the exact bytes of events and results (expected bytes from
//! Python's `msgpack.packb`), the schema check of a decoded event, and that no decoder panics
//! on arbitrary or mutated bytes (the server-side ones read untrusted clients).
//!
//! `cargo test -p tickwave-protocol --test v2_messages`

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tickwave_protocol::v2::*;

#[derive(Serialize, Default)]
struct Moved {
    player: u32,
    column: i32,
    row: i32,
}

#[derive(Serialize, Deserialize, Default)]
struct DropArgs {
    column: i32,
}

#[derive(Serialize, Default)]
struct Thing {
    a: i32,
    s: String,
}

fn layout() -> Arc<Layout> {
    let s = Schema::builder()
        .kind::<Thing>("thing", NO_LIMITS)
        .input::<DropArgs>(NO_LIMITS)
        .command::<DropArgs>("drop", |c| c.range("column", 0, 6))
        .event::<Moved>("moved", |e| e.range("row", 0, 5))
        .build()
        .unwrap();
    Arc::new(Layout::new(s).unwrap())
}

/// `msgpack.packb({"type":"event","tick":9,"name":"moved","data":{"player":7,"column":3,"row":0}})`
const EVENT: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xa5\x65\x76\x65\x6e\x74\xa4\x74\x69\x63\x6b\x09\xa4\x6e\x61\x6d\x65\xa5\x6d\x6f\x76\x65\x64\xa4\x64\x61\x74\x61\x83\xa6\x70\x6c\x61\x79\x65\x72\x07\xa6\x63\x6f\x6c\x75\x6d\x6e\x03\xa3\x72\x6f\x77\x00";
/// `msgpack.packb({"type":"command_result","id":4,"ok":True,"value":{"row":2}})`
const RESULT_OK: &[u8] = b"\x84\xa4\x74\x79\x70\x65\xae\x63\x6f\x6d\x6d\x61\x6e\x64\x5f\x72\x65\x73\x75\x6c\x74\xa2\x69\x64\x04\xa2\x6f\x6b\xc3\xa5\x76\x61\x6c\x75\x65\x81\xa3\x72\x6f\x77\x02";
/// `msgpack.packb({"type":"command_result","id":4,"ok":False,"code":"column_full","message":"column 3 is full"})`
const RESULT_ERR: &[u8] = b"\x85\xa4\x74\x79\x70\x65\xae\x63\x6f\x6d\x6d\x61\x6e\x64\x5f\x72\x65\x73\x75\x6c\x74\xa2\x69\x64\x04\xa2\x6f\x6b\xc2\xa4\x63\x6f\x64\x65\xab\x63\x6f\x6c\x75\x6d\x6e\x5f\x66\x75\x6c\x6c\xa7\x6d\x65\x73\x73\x61\x67\x65\xb0\x63\x6f\x6c\x75\x6d\x6e\x20\x33\x20\x69\x73\x20\x66\x75\x6c\x6c";

#[test]
fn events_are_checked_encoded_exactly_and_decoded() {
    let l = layout();
    let moved = l.event_id("moved").unwrap();
    let mut enc = Encoder::new();
    let bytes = enc.event(9, &l, moved, &Moved { player: 7, column: 3, row: 0 }).unwrap();
    assert_eq!(&bytes[..], EVENT);
    let e = decode_event(&bytes).unwrap();
    assert_eq!((e.tick, e.name.as_str()), (9, "moved"));
    assert_eq!(
        e.data,
        [
            ("player".to_owned(), Value::Int(7)),
            ("column".to_owned(), Value::Int(3)),
            ("row".to_owned(), Value::Int(0))
        ]
    );
    assert_eq!(e.check(&l), Ok(moved));
    // The game's own event is checked like its view: a violation names the event and field.
    let err = enc.event(9, &l, moved, &Moved { player: 7, column: 3, row: 6 }).unwrap_err();
    assert!(
        matches!(&err, ViewError::Value { at: At::Event(n), field, fault: ValueFault::OutOfRange { .. } } if n == "moved" && field == "row"),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("event `moved` field `row`"), "{err}");
    let err = enc.event(9, &l, moved, &DropArgs { column: 1 }).unwrap_err();
    assert!(matches!(err, ViewError::FieldCount { expected: 3, got: 1, .. }));
}

#[test]
fn a_decoded_event_is_checked_against_the_schema() {
    let l = layout();
    let check = |data: Vec<(&str, Value)>, name: &str| {
        EventMsg {
            tick: 1,
            name: name.into(),
            data: data.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
        .check(&l)
    };
    let good =
        || vec![("row", Value::Int(1)), ("player", Value::Int(2)), ("column", Value::Int(3))];
    assert!(check(good(), "moved").is_ok(), "any order");
    assert_eq!(check(good(), "jumped"), Err(EventCheckError::UnknownEvent("jumped".into())));
    let field = |f: &str, problem: &str| {
        Err(EventCheckError::Field {
            event: "moved".into(),
            field: f.into(),
            problem: problem.into(),
        })
    };
    let mut missing = good();
    missing.pop();
    assert_eq!(check(missing, "moved"), field("column", "missing"));
    let mut extra = good();
    extra.push(("z", Value::Int(0)));
    assert_eq!(check(extra, "moved"), field("z", "not in the schema"));
    let mut twice = good();
    twice.push(("row", Value::Int(0)));
    assert_eq!(check(twice, "moved"), field("row", "given twice"));
    let mut bad = good();
    bad[0] = ("row", Value::Int(9));
    assert_eq!(check(bad, "moved"), field("row", "9 is outside 0..=5"));
    let mut nil = good();
    nil[0] = ("row", Value::Nil);
    assert_eq!(check(nil, "moved"), field("row", "nil, but the field is not private"));
}

#[test]
fn command_results_are_exactly_the_documented_bytes() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Placed {
        row: i32,
    }
    let mut enc = Encoder::new();
    let ok = enc.command_ok(4, Some(&Placed { row: 2 })).unwrap();
    assert_eq!(&ok[..], RESULT_OK);
    let err = enc.command_err(4, "column_full", "column 3 is full").unwrap();
    assert_eq!(&err[..], RESULT_ERR);
    match decode_command_result(&ok).unwrap() {
        CommandResultMsg { id: 4, outcome: CommandOutcome::Ok(Some(v)) } => {
            assert_eq!(rmp_serde::from_slice::<Placed>(&v).unwrap(), Placed { row: 2 });
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        decode_command_result(&err).unwrap(),
        CommandResultMsg {
            id: 4,
            outcome: CommandOutcome::Err {
                code: "column_full".into(),
                message: "column 3 is full".into()
            }
        }
    );
    let none = enc.command_ok::<()>(5, None).unwrap();
    assert_eq!(&none[..], b"\x83\xa4type\xaecommand_result\xa2id\x05\xa2ok\xc3");
    assert_eq!(decode_command_result(&none).unwrap().outcome, CommandOutcome::Ok(None));
    for bad in ["", "Column", "9lives", "not-snake", &"a".repeat(65)] {
        assert_eq!(enc.command_err(1, bad, "x"), Err(EncodeError::InvalidCode(bad.into())));
    }
    assert!(valid_code(codes::TOO_MANY_COMMANDS) && valid_code(codes::RATE_LIMITED));
    assert!(valid_code(codes::NOT_IN_LOBBY));
    // An error without code is not a valid result.
    let no_code = b"\x84\xa4type\xaecommand_result\xa2id\x05\xa2ok\xc2\xa7message\xa1x";
    assert_eq!(decode_command_result(no_code), Err(WireError::Missing("code")));
}

/// A minimal dynamic MessagePack value for hand-built messages.
mod rmpv_like {
    use serde::Serialize;
    #[derive(Serialize, Clone)]
    #[serde(untagged)]
    pub(crate) enum V {
        I(i64),
        S(&'static str),
        A(Vec<V>),
        M(std::collections::BTreeMap<u32, u64>),
    }
}

use rmpv_like::V;

fn msg(pairs: &[(&'static str, V)]) -> Vec<u8> {
    // Keys in the order given (BTreeMap would sort them; order matters for duplicates).
    let mut out = Vec::new();
    rmp::encode::write_map_len(&mut out, pairs.len() as u32).unwrap();
    for (k, v) in pairs {
        rmp::encode::write_str(&mut out, k).unwrap();
        out.extend(rmp_serde::to_vec(v).unwrap());
    }
    out
}

fn a(v: Vec<V>) -> V {
    V::A(v)
}

fn delta_msg(extra: &[(&'static str, V)], skip: &str) -> Vec<u8> {
    let mut pairs = vec![
        ("type", V::S("delta")),
        ("tick", V::I(2)),
        ("base", V::I(1)),
        ("acks", V::M(BTreeMap::from([(1, 2)]))),
        ("added", a(vec![])),
        ("changed", a(vec![])),
        ("removed", a(vec![])),
    ];
    pairs.retain(|(k, _)| *k != skip);
    pairs.extend_from_slice(extra);
    msg(&pairs)
}

#[test]
fn delta_decoding_checks_structure() {
    assert!(decode_delta(&delta_msg(&[], "")).unwrap().delta.is_empty());
    // Unknown keys are skipped (a later server may add some).
    let m = decode_delta(&delta_msg(&[("future", a(vec![V::I(1), V::S("x")]))], "")).unwrap();
    assert_eq!((m.tick, m.base, m.acks), (2, 1, vec![(1, 2)]));
    for key in ["type", "tick", "base", "acks", "added", "changed", "removed"] {
        assert_eq!(decode_delta(&delta_msg(&[], key)), Err(WireError::Missing(key)), "{key}");
    }
    assert_eq!(
        decode_delta(&delta_msg(&[("tick", V::I(3))], "")),
        Err(WireError::DuplicateKey("tick".into()))
    );
    assert!(matches!(
        decode_delta(&msg(&[("type", V::S("snapshot"))])),
        Err(WireError::WrongType { expected: "delta", .. })
    ));
    let unsorted = delta_msg(&[("removed", a(vec![V::I(5), V::I(5)]))], "removed");
    assert_eq!(decode_delta(&unsorted), Err(WireError::Unsorted { list: "removed", id: 5 }));
    let entity = |id| a(vec![V::I(id), V::I(0), a(vec![V::I(1), V::S("x")])]);
    let unsorted = delta_msg(&[("added", a(vec![entity(9), entity(3)]))], "added");
    assert_eq!(decode_delta(&unsorted), Err(WireError::Unsorted { list: "added", id: 3 }));
    let change = |id, mask, vals: Vec<V>| a(vec![V::I(id), V::I(mask), a(vals)]);
    let bad = delta_msg(&[("changed", a(vec![change(1, 0b11, vec![V::I(1)])]))], "changed");
    assert_eq!(
        decode_delta(&bad),
        Err(WireError::MaskMismatch { at: "changed", mask: 3, need: 2, got: 1 })
    );
    let bad = delta_msg(&[("globals", a(vec![V::I(0b1), a(vec![])]))], "");
    assert!(matches!(decode_delta(&bad), Err(WireError::MaskMismatch { at: "globals", .. })));
    let bad = delta_msg(&[("added", a(vec![a(vec![V::I(1), V::I(0)])]))], "added");
    assert!(matches!(decode_delta(&bad), Err(WireError::Unexpected { at: "added", .. })));
    let too_many = a((0..33).map(V::I).collect());
    let bad = delta_msg(&[("added", a(vec![a(vec![V::I(1), V::I(0), too_many])]))], "added");
    assert_eq!(decode_delta(&bad), Err(WireError::TooMany { at: "added", max: 32 }));
    let bad = delta_msg(&[("removed", a(vec![V::I(1 << 33)]))], "removed");
    assert_eq!(decode_delta(&bad), Err(WireError::IntRange { at: "removed" }));
    let bad = delta_msg(&[("added", a(vec![a(vec![V::I(1), V::I(70_000), a(vec![])])]))], "added");
    assert_eq!(decode_delta(&bad), Err(WireError::IntRange { at: "added" }));
    let nested = a(vec![a(vec![V::I(1), V::I(0), a(vec![a(vec![])])])]);
    assert!(matches!(
        decode_delta(&delta_msg(&[("added", nested)], "added")),
        Err(WireError::Unexpected { expected: "a scalar", found: "array", .. })
    ));
    let mut trailing = delta_msg(&[], "");
    trailing.push(0xc0);
    assert_eq!(decode_delta(&trailing), Err(WireError::Trailing));
    let good = delta_msg(&[], "");
    assert_eq!(decode_delta(&good[..good.len() - 1]), Err(WireError::Truncated));
}

#[test]
fn snapshot_decoding_checks_structure() {
    let base = |skip: &str| {
        let mut p = vec![
            ("type", V::S("snapshot")),
            ("tick", V::I(4)),
            ("acks", V::M(BTreeMap::new())),
            ("globals", a(vec![])),
            ("entities", a(vec![])),
        ];
        p.retain(|(k, _)| *k != skip);
        msg(&p)
    };
    assert_eq!(decode_snapshot(&base("")).unwrap().tick, 4);
    for key in ["type", "tick", "acks", "globals", "entities"] {
        assert_eq!(decode_snapshot(&base(key)), Err(WireError::Missing(key)));
    }
    // Entities are checked against the schema on apply: an unknown kind index.
    let l = layout();
    let snap = msg(&[
        ("type", V::S("snapshot")),
        ("tick", V::I(4)),
        ("acks", V::M(BTreeMap::new())),
        ("globals", a(vec![])),
        ("entities", a(vec![a(vec![V::I(1), V::I(3), a(vec![])])])),
    ]);
    let s = decode_snapshot(&snap).unwrap();
    assert_eq!(
        View::new(l).apply_snapshot(&s.state),
        Err(StateError::UnknownKind { id: 1, kind: 3 })
    );
    let big_acks: BTreeMap<u32, u64> = (0..1025).map(|i| (i, 0)).collect();
    let snap = msg(&[("acks", V::M(big_acks))]);
    assert_eq!(decode_snapshot(&snap), Err(WireError::TooMany { at: "acks", max: 1024 }));
    assert!(matches!(decode_snapshot(b"\x91\x00"), Err(WireError::Unexpected { .. })));
    assert!(matches!(
        decode_snapshot(b"\x81\x01\x02"),
        Err(WireError::Unexpected { at: "key", .. })
    ));
}

fn samples() -> Vec<Vec<u8>> {
    let l = layout();
    let k = l.kind_id("thing").unwrap();
    let mut a = View::new(l.clone());
    a.push(1, k, &Thing { a: 5, s: "hey".into() }).unwrap();
    a.finish().unwrap();
    let mut b = View::new(l.clone());
    b.push(2, k, &Thing { a: -5, s: "".into() }).unwrap();
    b.finish().unwrap();
    let mut enc = Encoder::new();
    vec![
        enc.snapshot(1, &[(1, 2)], &a).to_vec(),
        enc.delta(2, 1, &[(1, 3)], &a.diff(&b)).to_vec(),
        EVENT.to_vec(),
        RESULT_OK.to_vec(),
        RESULT_ERR.to_vec(),
        encode_input(1, Some(2), &DropArgs { column: 3 }).unwrap().to_vec(),
        encode_command(1, "drop", Some(&DropArgs { column: 3 })).unwrap().to_vec(),
    ]
}

/// Every decoder on `bytes`: none may panic, whatever they return.
fn decode_all(bytes: &[u8]) {
    let l = layout();
    let _ = decode_snapshot(bytes);
    if let Ok(d) = decode_delta(bytes) {
        let mut v = View::new(l.clone());
        let _ = v.apply(&d.delta);
    }
    if let Ok(s) = decode_snapshot(bytes) {
        let _ = View::new(l.clone()).apply_snapshot(&s.state);
    }
    if let Ok(e) = decode_event(bytes) {
        let _ = e.check(&l);
    }
    let _ = decode_command_result(bytes);
    if let Ok(f) = decode_input(l.input(), bytes) {
        let _ = l.input().deserialize::<DropArgs>(&f.values);
    }
    if let Ok(c) = decode_command(&l, bytes) {
        let _ = l.deserialize_command::<Command>(&c);
    }
}

#[derive(Deserialize)]
#[serde(tag = "name", content = "args", rename_all = "snake_case")]
enum Command {
    #[allow(dead_code)]
    Drop(DropArgs),
}

proptest! {
    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        decode_all(&bytes);
    }

    #[test]
    fn decoders_never_panic_on_mutated_messages(
        which in 0usize..7,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut b = samples().swap_remove(which);
        for (i, byte) in edits {
            let i = i.index(b.len());
            b[i] = byte;
        }
        decode_all(&b);
        let n = cut.index(b.len() + 1);
        decode_all(&b[..n]);
    }
}
