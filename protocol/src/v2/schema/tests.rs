use super::*;

fn f(name: &str, ty: FieldType) -> FieldSchema {
    FieldSchema::new(name, ty)
}

fn kind(name: &str, fields: Vec<FieldSchema>) -> KindSchema {
    KindSchema { kind: name.into(), fields }
}

fn err(s: Schema) -> SchemaError {
    s.validate().expect_err("the schema must be refused")
}

#[test]
fn names_follow_the_syntax() {
    for ok in ["a", "player", "x1", "hp_max", &"a".repeat(32)] {
        assert!(valid_name(ok), "{ok}");
    }
    for bad in ["", "Player", "1x", "_a", "a-b", "a b", "é", &"a".repeat(33)] {
        assert!(!valid_name(bad), "{bad}");
    }
}

#[test]
fn a_full_schema_validates_and_round_trips_the_wire_form() {
    let mut dx = f("dx", FieldType::F32);
    dx.min = Some(Number::Float(-1.0));
    dx.max = Some(Number::Float(1.0));
    dx.clamp = true;
    dx.default = Some(Scalar::Float(0.0));
    let mut name = f("name", FieldType::Str);
    name.max_len = Some(32);
    let mut column = f("column", FieldType::I32);
    column.min = Some(Number::Int(0));
    column.max = Some(Number::Int(6));
    let mut hand = f("hand", FieldType::I32);
    hand.private = Some(Privacy::Owner);
    let s = Schema {
        kinds: vec![kind("player", vec![f("x", FieldType::I32), name, hand])],
        globals: vec![f("turn", FieldType::I32)],
        input: vec![dx, f("fire", FieldType::Bool)],
        commands: vec![CommandSchema { name: "drop".into(), args: vec![column] }],
        events: vec![EventSchema { name: "moved".into(), fields: vec![f("p", FieldType::I64)] }],
    };
    s.validate().unwrap();
    let bytes = rmp_serde::to_vec_named(&s).unwrap();
    let back: Schema = rmp_serde::from_slice(&bytes).unwrap();
    assert_eq!(back, s);
    // The wire form names the members as the design says, and omits unset ones.
    let text = String::from_utf8_lossy(&bytes);
    for key in ["kinds", "globals", "input", "commands", "events", "max_len", "clamp"] {
        assert!(text.contains(key), "{key} missing");
    }
    let x = rmp_serde::to_vec_named(&f("x", FieldType::I32)).unwrap();
    assert_eq!(x, b"\x82\xa4name\xa1x\xa4type\xa3i32");
}

#[test]
fn duplicates_and_bad_names_are_named() {
    let s = Schema { kinds: vec![kind("a", vec![]), kind("a", vec![])], ..Schema::default() };
    assert_eq!(err(s), SchemaError::Duplicate { item: Item::Kind, name: "a".into() });
    let s = Schema {
        kinds: vec![kind("a", vec![f("x", FieldType::I32), f("x", FieldType::Bool)])],
        ..Schema::default()
    };
    assert_eq!(
        err(s),
        SchemaError::Duplicate { item: Item::Field(Part::Kind("a".into())), name: "x".into() }
    );
    let s = Schema { globals: vec![f("Turn", FieldType::I32)], ..Schema::default() };
    let e = err(s);
    assert_eq!(e, SchemaError::BadName { item: Item::Field(Part::Globals), name: "Turn".into() });
    assert!(e.to_string().contains("field of globals"), "{e}");
    let s = Schema {
        commands: vec![CommandSchema { name: "Drop".into(), args: vec![] }],
        ..Schema::default()
    };
    assert_eq!(err(s), SchemaError::BadName { item: Item::Command, name: "Drop".into() });
    let s = Schema {
        events: vec![
            EventSchema { name: "won".into(), fields: vec![] },
            EventSchema { name: "won".into(), fields: vec![] },
        ],
        ..Schema::default()
    };
    assert_eq!(err(s), SchemaError::Duplicate { item: Item::Event, name: "won".into() });
}

#[test]
fn reserved_input_names_are_refused() {
    for name in RESERVED_INPUT_NAMES {
        let s = Schema { input: vec![f(name, FieldType::I32)], ..Schema::default() };
        assert_eq!(err(s), SchemaError::ReservedInputName(name.into()));
    }
    // Elsewhere they are ordinary names.
    let s = Schema { globals: vec![f("tick", FieldType::I64)], ..Schema::default() };
    s.validate().unwrap();
}

#[test]
fn counts_are_bounded() {
    let many: Vec<FieldSchema> = (0..33).map(|i| f(&format!("f{i}"), FieldType::Bool)).collect();
    let s = Schema { kinds: vec![kind("k", many[..32].to_vec())], ..Schema::default() };
    s.validate().unwrap();
    let s = Schema { kinds: vec![kind("k", many.clone())], ..Schema::default() };
    assert_eq!(err(s), SchemaError::TooManyFields { part: Part::Kind("k".into()), count: 33 });
    let s = Schema { input: many.clone(), ..Schema::default() };
    assert_eq!(err(s), SchemaError::TooManyFields { part: Part::Input, count: 33 });
    let s = Schema {
        commands: vec![CommandSchema { name: "c".into(), args: many }],
        ..Schema::default()
    };
    assert_eq!(err(s), SchemaError::TooManyFields { part: Part::Command("c".into()), count: 33 });
    let kinds = (0..65).map(|i| kind(&format!("k{i}"), vec![])).collect();
    assert_eq!(
        err(Schema { kinds, ..Schema::default() }),
        SchemaError::TooMany { what: "kinds", count: 65 }
    );
    let commands = (0..65).map(|i| CommandSchema { name: format!("c{i}"), args: vec![] }).collect();
    assert_eq!(
        err(Schema { commands, ..Schema::default() }),
        SchemaError::TooMany { what: "commands", count: 65 }
    );
    let events = (0..65).map(|i| EventSchema { name: format!("e{i}"), fields: vec![] }).collect();
    assert_eq!(
        err(Schema { events, ..Schema::default() }),
        SchemaError::TooMany { what: "events", count: 65 }
    );
}

fn problem(part_fields: FieldSchema, place: &str) -> FieldProblem {
    let mut s = Schema::default();
    match place {
        "kind" => s.kinds.push(kind("k", vec![part_fields])),
        "globals" => s.globals.push(part_fields),
        "input" => s.input.push(part_fields),
        _ => s.events.push(EventSchema { name: "e".into(), fields: vec![part_fields] }),
    }
    match err(s) {
        SchemaError::BadField { problem, .. } => problem,
        other => panic!("{other:?}"),
    }
}

#[test]
fn field_limits_must_fit_the_type_and_place() {
    let mut x = f("x", FieldType::I32);
    x.max_len = Some(3);
    assert_eq!(problem(x, "kind"), FieldProblem::MaxLenNotStr);
    let mut s = f("s", FieldType::Str);
    s.max_len = Some(0);
    assert_eq!(problem(s.clone(), "kind"), FieldProblem::MaxLenRange(0));
    s.max_len = Some(1025);
    assert_eq!(problem(s, "kind"), FieldProblem::MaxLenRange(1025));
    let mut b = f("b", FieldType::Bool);
    b.min = Some(Number::Int(0));
    assert_eq!(problem(b, "kind"), FieldProblem::BoundsNotNumeric);
    let mut i = f("i", FieldType::I32);
    i.min = Some(Number::Float(0.5));
    assert_eq!(problem(i.clone(), "kind"), FieldProblem::BoundNotInteger(Number::Float(0.5)));
    i.min = Some(Number::Int(1 << 40));
    assert_eq!(problem(i.clone(), "kind"), FieldProblem::BoundNotInteger(Number::Int(1 << 40)));
    i.min = Some(Number::Int(5));
    i.max = Some(Number::Int(4));
    assert!(matches!(problem(i, "kind"), FieldProblem::MinAboveMax { .. }));
    let mut fl = f("f", FieldType::F64);
    fl.max = Some(Number::Float(f64::INFINITY));
    assert!(matches!(problem(fl.clone(), "kind"), FieldProblem::BoundNotFinite(_)));
    fl.max = Some(Number::Float(1.0));
    fl.clamp = true;
    assert_eq!(problem(fl.clone(), "kind"), FieldProblem::Clamp);
    fl.max = None;
    assert_eq!(problem(fl, "input"), FieldProblem::Clamp);
    let mut ci = f("c", FieldType::I32);
    ci.max = Some(Number::Int(3));
    ci.clamp = true;
    assert_eq!(problem(ci, "input"), FieldProblem::Clamp);
    let mut p = f("p", FieldType::I32);
    p.private = Some(Privacy::Team);
    assert_eq!(problem(p.clone(), "globals"), FieldProblem::PrivateOutsideKind);
    assert_eq!(problem(p, "input"), FieldProblem::PrivateOutsideKind);
    let mut d = f("d", FieldType::I32);
    d.default = Some(Scalar::Int(1));
    assert_eq!(problem(d.clone(), "kind"), FieldProblem::DefaultOutsideInput);
    assert_eq!(problem(d.clone(), "event"), FieldProblem::DefaultOutsideInput);
    d.default = Some(Scalar::Bool(true));
    assert!(matches!(problem(d.clone(), "input"), FieldProblem::DefaultWrongType(_)));
    d.max = Some(Number::Int(0));
    d.default = Some(Scalar::Int(1));
    assert!(matches!(problem(d, "input"), FieldProblem::DefaultOutOfRange(_)));
    let mut s = f("s", FieldType::Str);
    s.max_len = Some(2);
    s.default = Some(Scalar::Str("abc".into()));
    assert!(matches!(problem(s, "input"), FieldProblem::DefaultOutOfRange(_)));
    let mut g = f("g", FieldType::F32);
    g.default = Some(Scalar::Float(1e300));
    assert!(matches!(problem(g, "input"), FieldProblem::DefaultOutOfRange(_)));
}

#[test]
fn errors_name_the_place_and_field() {
    let mut hp = f("hp", FieldType::Bool);
    hp.max = Some(Number::Int(1));
    let s = Schema { kinds: vec![kind("player", vec![hp])], ..Schema::default() };
    assert_eq!(
        err(s).to_string(),
        "kind `player` field `hp`: min/max apply to numeric fields only"
    );
}
