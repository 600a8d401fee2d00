//! v2 views: writing (every error path), diff, apply (every error path), determinism of the
//! encoding. Projection and the exact bytes of the state messages are in `v2_projection.rs`.
//!
//! `cargo test -p tickwave-protocol --test v2_view`

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use tickwave_protocol::v2::*;

#[derive(Serialize, Default)]
struct Player<'a> {
    x: i32,
    y: i32,
    aim: f32,
    hp: u8,
    score: i64,
    name: &'a str,
    dashing: bool,
    speed: f64,
}

#[derive(Serialize, Default)]
struct Pickup {
    x: i32,
    y: i32,
    value: i32,
}

#[derive(Serialize, Default)]
struct Globals<'a> {
    round: i32,
    phase: &'a str,
}

fn layout() -> Arc<Layout> {
    let s = Schema::builder()
        .kind::<Player>("player", |k| k.max_len("name", 16).range("hp", 0, 100))
        .kind::<Pickup>("pickup", NO_LIMITS)
        .globals::<Globals>(|g| g.max_len("phase", 8))
        .build()
        .unwrap();
    Arc::new(Layout::new(s).unwrap())
}

fn ada(x: i32) -> Player<'static> {
    Player { x, y: 2, aim: 0.25, hp: 90, score: 1 << 40, name: "ada", dashing: true, speed: 1.5 }
}

fn player(l: &Layout) -> KindId {
    l.kind_id("player").unwrap()
}

fn pickup(l: &Layout) -> KindId {
    l.kind_id("pickup").unwrap()
}

#[test]
fn pushed_structs_read_back_typed() {
    let l = layout();
    let mut v = View::new(l.clone());
    v.push(2_147_483_650, pickup(&l), &Pickup { x: -1, y: 7, value: 5 }).unwrap();
    v.push(1, player(&l), &ada(10)).unwrap();
    v.set_globals(&Globals { round: 3, phase: "run" }).unwrap();
    v.finish().unwrap();
    let ids: Vec<u32> = v.entities().map(|e| e.id()).collect();
    assert_eq!(ids, [1, 2_147_483_650]);
    let p = v.get(1).unwrap();
    assert_eq!(p.kind_name(), "player");
    let got: Vec<ValueRef> = p.values().collect();
    assert_eq!(
        got,
        [
            ValueRef::Int(10),
            ValueRef::Int(2),
            ValueRef::F32(0.25),
            ValueRef::Int(90),
            ValueRef::Int(1 << 40),
            ValueRef::Str("ada"),
            ValueRef::Bool(true),
            ValueRef::F64(1.5),
        ]
    );
    assert_eq!(p.field("name"), Some(ValueRef::Str("ada")));
    assert_eq!(p.field("nope"), None);
    assert_eq!(v.global_named("phase"), Some(ValueRef::Str("run")));
    assert_eq!(v.globals().collect::<Vec<_>>(), [ValueRef::Int(3), ValueRef::Str("run")]);
    // Cleared: no entities, globals back to zero values.
    v.clear();
    assert!(v.is_empty());
    assert_eq!(v.globals().collect::<Vec<_>>(), [ValueRef::Int(0), ValueRef::Str("")]);
}

fn push_err<T: Serialize>(id: u32, kind: &str, value: &T) -> ViewError {
    let l = layout();
    let mut v = View::new(l.clone());
    v.push(1, player(&l), &ada(1)).unwrap();
    let e = v.push_named(id, kind, value).unwrap_err();
    // A failed push leaves the view as it was: the earlier entity is intact, a later one fits.
    v.push(3, pickup(&l), &Pickup { x: 1, y: 2, value: 3 }).unwrap();
    v.finish().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v.get(1).unwrap().field("name"), Some(ValueRef::Str("ada")));
    assert_eq!(v.get(3).unwrap().field("value"), Some(ValueRef::Int(3)));
    e
}

fn entity(id: u32, kind: &str) -> At {
    At::Entity { id, kind: kind.into() }
}

#[test]
fn write_errors_name_entity_kind_and_field() {
    assert_eq!(
        push_err(7, "ghost", &Pickup::default()),
        ViewError::UnknownKind { id: 7, kind: "ghost".into() }
    );

    let long = Player { name: "a name far too long", ..ada(0) };
    let e = push_err(7, "player", &long);
    assert_eq!(
        e,
        ViewError::Value {
            at: entity(7, "player"),
            field: "name".into(),
            fault: ValueFault::TooLong { len: 19, max_len: 16 }
        }
    );
    assert_eq!(
        e.to_string(),
        "entity 7 (player) field `name`: a string of 19 bytes is longer than max_len 16"
    );

    let nan = Player { aim: f32::NAN, ..ada(0) };
    assert!(matches!(
        push_err(7, "player", &nan),
        ViewError::Value { field, fault: ValueFault::NotFinite, .. } if field == "aim"
    ));
    let inf = Player { speed: f64::NEG_INFINITY, ..ada(0) };
    assert!(matches!(
        push_err(7, "player", &inf),
        ViewError::Value { field, fault: ValueFault::NotFinite, .. } if field == "speed"
    ));

    let hurt = Player { hp: 101, ..ada(0) };
    assert!(matches!(
        push_err(7, "player", &hurt),
        ViewError::Value { field, fault: ValueFault::OutOfRange { .. }, .. } if field == "hp"
    ));

    // Same names, one of another type.
    #[derive(Serialize)]
    struct AimInt {
        x: i32,
        y: i32,
        aim: i32,
        hp: u8,
        score: i64,
        name: &'static str,
        dashing: bool,
        speed: f64,
    }
    let e = push_err(
        7,
        "player",
        &AimInt { x: 0, y: 0, aim: 1, hp: 0, score: 0, name: "", dashing: false, speed: 0.0 },
    );
    assert_eq!(
        e,
        ViewError::Value {
            at: entity(7, "player"),
            field: "aim".into(),
            fault: ValueFault::WrongType { expected: FieldType::F32, got: "integer" }
        }
    );

    // A pickup pushed as a player: wrong count; the same count in another order: wrong name.
    assert_eq!(
        push_err(7, "player", &Pickup::default()),
        ViewError::FieldCount { at: entity(7, "player"), expected: 8, got: 3 }
    );
    #[derive(Serialize)]
    struct Swapped {
        y: i32,
        x: i32,
        value: i32,
    }
    assert_eq!(
        push_err(7, "pickup", &Swapped { y: 0, x: 0, value: 0 }),
        ViewError::FieldName {
            at: entity(7, "pickup"),
            index: 0,
            expected: "x".into(),
            got: "y".into()
        }
    );

    // Not a flat struct.
    assert!(matches!(push_err(7, "pickup", &vec![1, 2, 3]), ViewError::Shape { .. }));
    #[derive(Serialize)]
    struct WithOption {
        x: Option<i32>,
        y: i32,
        value: i32,
    }
    assert!(matches!(
        push_err(7, "pickup", &WithOption { x: Some(1), y: 0, value: 0 }),
        ViewError::Value { fault: ValueFault::WrongType { got: "Option", .. }, .. }
    ));
    #[derive(Serialize)]
    struct Skips {
        #[serde(skip_serializing_if = "is_zero")]
        x: i32,
        y: i32,
        value: i32,
    }
    fn is_zero(v: &i32) -> bool {
        *v == 0
    }
    assert!(matches!(
        push_err(7, "pickup", &Skips { x: 0, y: 0, value: 0 }),
        ViewError::FieldCount { .. } | ViewError::Skipped { .. }
    ));
    // u64 beyond i64 is refused, not wrapped.
    #[derive(Serialize)]
    struct Big {
        x: u64,
        y: i32,
        value: i32,
    }
    assert!(matches!(
        push_err(7, "pickup", &Big { x: u64::MAX, y: 0, value: 0 }),
        ViewError::Value { fault: ValueFault::WrongType { .. }, .. }
    ));
    // An i64 beyond i32 in an i32 field.
    #[derive(Serialize)]
    struct Wide {
        x: i64,
        y: i32,
        value: i32,
    }
    assert!(matches!(
        push_err(7, "pickup", &Wide { x: 1 << 33, y: 0, value: 0 }),
        ViewError::Value { fault: ValueFault::OutOfRange { .. }, .. }
    ));
}

#[test]
fn a_repeated_id_is_refused_at_finish() {
    let l = layout();
    let mut v = View::new(l.clone());
    v.push(5, player(&l), &ada(1)).unwrap();
    v.push(9, player(&l), &ada(1)).unwrap();
    v.push(5, pickup(&l), &Pickup::default()).unwrap();
    let e = v.finish().unwrap_err();
    assert!(matches!(&e, ViewError::DuplicateId { id: 5, .. }), "{e:?}");
    assert!(e.to_string().starts_with("entity 5 ("), "{e}");
}

#[test]
fn global_errors_leave_zero_values() {
    let l = layout();
    let mut v = View::new(l);
    v.set_globals(&Globals { round: 1, phase: "ok" }).unwrap();
    let e = v.set_globals(&Globals { round: 2, phase: "much too long" }).unwrap_err();
    assert!(matches!(e, ViewError::Value { at: At::Globals, field, .. } if field == "phase"));
    assert_eq!(v.globals().collect::<Vec<_>>(), [ValueRef::Int(0), ValueRef::Str("")]);
    let e = v.set_global_values(&[ValueRef::Int(1)]).unwrap_err();
    assert_eq!(e, ViewError::FieldCount { at: At::Globals, expected: 2, got: 1 });
}

fn view(l: &Arc<Layout>, players: &[(u32, i32)], pickups: &[u32], round: i32) -> View {
    let mut v = View::new(l.clone());
    for (id, x) in players {
        v.push(*id, player(l), &ada(*x)).unwrap();
    }
    for id in pickups {
        v.push(*id, pickup(l), &Pickup { x: 1, y: 1, value: 1 }).unwrap();
    }
    v.set_globals(&Globals { round, phase: "run" }).unwrap();
    v.finish().unwrap();
    v
}

#[test]
fn diff_reports_changed_fields_kind_changes_and_globals() {
    let l = layout();
    let a = view(&l, &[(1, 0), (2, 0), (3, 0)], &[10], 1);
    let mut b = view(&l, &[(1, 5), (3, 0)], &[2, 11], 2);
    b.clear();
    b.push(1, player(&l), &Player { x: 5, name: "bob", ..ada(0) }).unwrap();
    b.push(3, player(&l), &ada(0)).unwrap();
    b.push(2, pickup(&l), &Pickup { x: 1, y: 1, value: 1 }).unwrap();
    b.push(11, pickup(&l), &Pickup { x: 1, y: 1, value: 1 }).unwrap();
    b.set_globals(&Globals { round: 2, phase: "run" }).unwrap();
    b.finish().unwrap();
    let d = a.diff(&b);
    // 2 changed kind: removed and added; 10 removed; 11 added; 1 changed x and name.
    assert_eq!(d.removed(), [2, 10]);
    let added: Vec<(u32, usize)> = d.added().map(|(id, k, _)| (id, k)).collect();
    assert_eq!(added, [(2, 1), (11, 1)]);
    let changed: Vec<(u32, u32, Vec<ValueRef>)> =
        d.changed().map(|(id, m, v)| (id, m, v.iter().collect())).collect();
    assert_eq!(changed, [(1, 0b10_0001, vec![ValueRef::Int(5), ValueRef::Str("bob")])]);
    let (gm, gv) = d.globals();
    assert_eq!((gm, gv.iter().collect::<Vec<_>>()), (0b01, vec![ValueRef::Int(2)]));
    let mut c = a.clone();
    c.apply(&d).unwrap();
    assert_eq!(c, b);
    // The decoded delta equals this one although its values are laid out in wire order
    // (added before changed) rather than in merge order (changed entity 1 first).
    assert_eq!(decode_delta(&encode_delta(2, 1, &[], &d)).unwrap().delta, d);
    // No change: an empty delta.
    assert!(b.diff(&b.clone()).is_empty());
}

/// Delta messages written by hand, to reach apply's error paths.
#[derive(Serialize)]
#[serde(untagged)]
enum W {
    I(i64),
    F(f32),
    D(f64),
    S(&'static str),
    B(bool),
    N(Option<()>),
}

#[derive(Serialize)]
struct DeltaMsgOut {
    r#type: &'static str,
    tick: u64,
    base: u64,
    acks: BTreeMap<u32, u64>,
    added: Vec<(u32, u16, Vec<W>)>,
    changed: Vec<(u32, u32, Vec<W>)>,
    removed: Vec<u32>,
}

fn delta(
    added: Vec<(u32, u16, Vec<W>)>,
    changed: Vec<(u32, u32, Vec<W>)>,
    removed: Vec<u32>,
) -> Delta {
    let m = DeltaMsgOut {
        r#type: "delta",
        tick: 2,
        base: 1,
        acks: BTreeMap::new(),
        added,
        changed,
        removed,
    };
    decode_delta(&rmp_serde::to_vec_named(&m).unwrap()).unwrap().delta
}

fn pickup_vals(x: i64) -> Vec<W> {
    vec![W::I(x), W::I(0), W::I(0)]
}

#[test]
fn apply_refuses_what_the_base_or_schema_does_not_allow() {
    let l = layout();
    let base = view(&l, &[(1, 0)], &[10], 1);
    let check = |d: Delta, want: StateError| {
        let mut v = base.clone();
        assert_eq!(v.apply(&d), Err(want));
        assert_eq!(v, base, "a failed apply leaves the view unchanged");
    };
    check(delta(vec![], vec![(4, 1, vec![W::I(1)])], vec![]), StateError::UnknownEntity(4));
    check(delta(vec![], vec![], vec![4]), StateError::UnknownEntity(4));
    check(delta(vec![], vec![], vec![10, 11]), StateError::UnknownEntity(11));
    check(delta(vec![(10, 1, pickup_vals(1))], vec![], vec![]), StateError::DuplicateEntity(10));
    check(
        delta(vec![(12, 9, pickup_vals(1))], vec![], vec![]),
        StateError::UnknownKind { id: 12, kind: 9 },
    );
    // Changing an entity that is removed in the same delta.
    check(delta(vec![], vec![(10, 1, vec![W::I(1)])], vec![10]), StateError::UnknownEntity(10));
    // A change to an entity that is only being added.
    check(
        delta(vec![(12, 1, pickup_vals(1))], vec![(12, 1, vec![W::I(1)])], vec![]),
        StateError::UnknownEntity(12),
    );
    check(
        delta(vec![], vec![(10, 0b1000, vec![W::I(1)])], vec![]),
        StateError::FieldOutOfRange { at: entity(10, "pickup"), mask: 0b1000, len: 3 },
    );
    check(
        delta(vec![(12, 1, vec![W::I(1)])], vec![], vec![]),
        StateError::ValueCount { at: entity(12, "pickup"), expected: 3, got: 1 },
    );
    let value = |id, kind: &str, field: &str, fault| StateError::Value {
        at: entity(id, kind),
        field: field.into(),
        fault,
    };
    check(
        delta(vec![], vec![(10, 1, vec![W::S("x")])], vec![]),
        value(10, "pickup", "x", ValueFault::WrongType { expected: FieldType::I32, got: "string" }),
    );
    check(
        delta(vec![], vec![(10, 1, vec![W::I(1 << 40)])], vec![]),
        value(
            10,
            "pickup",
            "x",
            ValueFault::OutOfRange {
                got: Number::Int(1 << 40),
                min: Number::Int(i32::MIN.into()),
                max: Number::Int(i32::MAX.into()),
            },
        ),
    );
    check(
        delta(vec![], vec![(10, 1, vec![W::N(None)])], vec![]),
        value(10, "pickup", "x", ValueFault::NotPrivate),
    );
    check(
        delta(vec![], vec![(1, 0b100, vec![W::D(0.5)])], vec![]),
        value(
            1,
            "player",
            "aim",
            ValueFault::WrongType { expected: FieldType::F32, got: "float64" },
        ),
    );
    check(
        delta(vec![], vec![(1, 0b10_0000, vec![W::S("seventeen chars!!")])], vec![]),
        value(1, "player", "name", ValueFault::TooLong { len: 17, max_len: 16 }),
    );
    check(
        delta(vec![], vec![(1, 0b1000, vec![W::I(101)])], vec![]),
        value(
            1,
            "player",
            "hp",
            ValueFault::OutOfRange {
                got: Number::Int(101),
                min: Number::Int(0),
                max: Number::Int(100),
            },
        ),
    );
    // A good one, for contrast: any int width, f32 for f32, bools.
    let mut v = base.clone();
    v.apply(&delta(
        vec![(12, 1, pickup_vals(-70_000))],
        vec![(1, 0b100_0100, vec![W::F(-0.5), W::B(false)])],
        vec![10],
    ))
    .unwrap();
    assert_eq!(v.get(12).unwrap().field("x"), Some(ValueRef::Int(-70_000)));
    assert_eq!(v.get(1).unwrap().field("aim"), Some(ValueRef::F32(-0.5)));
    assert_eq!(v.get(1).unwrap().field("dashing"), Some(ValueRef::Bool(false)));
    assert!(v.get(10).is_none());
}

#[test]
fn a_snapshot_must_set_every_global() {
    let l = layout();
    let v = view(&l, &[(1, 0)], &[], 4);
    let mut snap = Delta::new();
    v.snapshot_into(&mut snap);
    let mut c = View::new(l.clone());
    c.apply_snapshot(&snap).unwrap();
    assert_eq!(c, v);
    // A delta changing one global is not a snapshot.
    let mut w = View::new(l.clone());
    w.set_globals(&Globals { round: 4, phase: "" }).unwrap();
    let one = View::new(l.clone()).diff(&w);
    assert!(matches!(
        View::new(l).apply_snapshot(&one),
        Err(StateError::ValueCount { at: At::Globals, expected: 2, got: 1 })
    ));
}

#[test]
fn identical_inputs_encode_to_identical_bytes() {
    let l = layout();
    let forward = view(&l, &[(1, 1), (2, 2), (3, 3)], &[1 << 31, (1 << 31) + 1], 1);
    let mut backward = View::new(l.clone());
    for id in [(1u32 << 31) + 1, 1 << 31] {
        backward.push(id, pickup(&l), &Pickup { x: 1, y: 1, value: 1 }).unwrap();
    }
    for (id, x) in [(3, 3), (2, 2), (1, 1)] {
        backward.push(id, player(&l), &ada(x)).unwrap();
    }
    backward.set_globals(&Globals { round: 1, phase: "run" }).unwrap();
    backward.finish().unwrap();
    let acks = [(1, 5), (2, 6)];
    assert_eq!(encode_snapshot(9, &acks, &forward), encode_snapshot(9, &acks, &backward));
    let next = view(&l, &[(1, 4), (3, 3)], &[1 << 31], 2);
    let mut enc = Encoder::new();
    let one = enc.delta(10, 9, &acks, &forward.diff(&next));
    let two = enc.delta(10, 9, &acks, &backward.diff(&next));
    assert_eq!(one, two);
}

#[test]
fn a_failing_serialize_impl_and_a_foreign_kind_are_errors_not_panics() {
    fn fail<S: serde::Serializer>(_: &i32, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("boom"))
    }
    #[derive(Serialize)]
    struct Bad {
        #[serde(serialize_with = "fail")]
        x: i32,
        y: i32,
        value: i32,
    }
    let e = push_err(4, "pickup", &Bad { x: 0, y: 0, value: 0 });
    assert_eq!(e, ViewError::Custom { at: entity(4, "pickup"), message: "boom".into() });
    assert_eq!(
        Encoder::new().command_ok(1, Some(&Bad { x: 0, y: 0, value: 0 })),
        Err(EncodeError::Value("boom".into()))
    );
    // A kind id of another layout with more kinds.
    let other = Schema::builder()
        .kind::<Pickup>("a", NO_LIMITS)
        .kind::<Pickup>("b", NO_LIMITS)
        .kind::<Pickup>("c", NO_LIMITS)
        .build()
        .unwrap();
    let c = Layout::new(other).unwrap().kind_id("c").unwrap();
    let mut v = View::new(layout());
    assert_eq!(
        v.push(1, c, &Pickup::default()),
        Err(ViewError::UnknownKind { id: 1, kind: "#2".into() })
    );
}
