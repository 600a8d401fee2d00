use super::*;
use serde::Serialize;

#[derive(Serialize, Default)]
struct Player<'a> {
    x: i32,
    y: i16,
    score: i64,
    id: u32,
    level: u8,
    aim: f32,
    speed: f64,
    alive: bool,
    name: &'a str,
    title: String,
    tag: Box<str>,
    meters: Meters,
}

#[derive(Serialize, Default)]
struct Meters(u16);

#[test]
fn every_supported_type_traces_to_its_field_type() {
    let fs = trace_fields::<Player>().unwrap();
    let got: Vec<(&str, FieldType)> = fs.iter().map(|f| (f.name.as_str(), f.ty)).collect();
    use FieldType::*;
    assert_eq!(
        got,
        [
            ("x", I32),
            ("y", I32),
            ("score", I64),
            ("id", I64),
            ("level", I32),
            ("aim", F32),
            ("speed", F64),
            ("alive", Bool),
            ("name", Str),
            ("title", Str),
            ("tag", Str),
            ("meters", I32),
        ]
    );
    // Narrow integers carry their range; wide ones none; strings their default max_len.
    assert_eq!((fs[1].min, fs[1].max), (Some(Number::Int(-32768)), Some(Number::Int(32767))));
    assert_eq!((fs[3].min, fs[3].max), (Some(Number::Int(0)), Some(Number::Int(4294967295))));
    assert_eq!((fs[4].min, fs[4].max), (Some(Number::Int(0)), Some(Number::Int(255))));
    assert_eq!((fs[0].min, fs[0].max, fs[2].min), (None, None, None));
    assert_eq!(fs[8].max_len, Some(DEFAULT_MAX_LEN));
    assert!(fs.iter().all(|f| f.default.is_none()));
}

#[derive(Serialize)]
struct Input {
    dx: f32,
    fire: bool,
    item: String,
    slot: i32,
}

impl Default for Input {
    fn default() -> Self {
        Input { dx: 0.5, fire: true, item: "sword".into(), slot: 3 }
    }
}

#[test]
fn defaults_come_from_the_default_value() {
    let fs = trace_fields_with_defaults::<Input>().unwrap();
    let d: Vec<_> = fs.iter().map(|f| f.default.clone().unwrap()).collect();
    assert_eq!(
        d,
        [Scalar::Float(0.5), Scalar::Bool(true), Scalar::Str("sword".into()), Scalar::Int(3)]
    );
}

#[test]
fn unit_types_trace_to_no_fields() {
    #[derive(Serialize, Default)]
    struct NoArgs;
    assert!(trace_fields::<NoArgs>().unwrap().is_empty());
    assert!(trace_fields::<()>().unwrap().is_empty());
}

#[test]
fn unsupported_types_name_the_struct_and_field() {
    #[derive(Serialize, Default)]
    struct Big {
        ok: i32,
        n: u64,
    }
    let e = trace_fields::<Big>().unwrap_err();
    assert_eq!(e.field, Some("n"));
    assert!(e.ty.ends_with("Big"), "{}", e.ty);
    assert!(e.to_string().contains("field `n`: u64"), "{e}");

    #[derive(Serialize, Default)]
    struct V2 {
        x: i32,
    }
    #[derive(Serialize, Default)]
    struct Nested {
        pos: V2,
    }
    let e = trace_fields::<Nested>().unwrap_err();
    assert_eq!((e.field, e.found.as_str()), (Some("pos"), "nested struct V2"));

    #[derive(Serialize, Default)]
    struct Opt {
        o: Option<i32>,
    }
    assert!(trace_fields::<Opt>().unwrap_err().found.starts_with("Option"));

    #[derive(Serialize, Default)]
    struct Seq {
        v: Vec<i32>,
    }
    assert_eq!(trace_fields::<Seq>().unwrap_err().found, "a sequence");

    #[derive(Serialize, Default)]
    struct Map {
        m: std::collections::BTreeMap<String, i32>,
    }
    assert_eq!(trace_fields::<Map>().unwrap_err().found, "a map");

    #[derive(Serialize, Default)]
    enum Color {
        #[default]
        Red,
    }
    #[derive(Serialize, Default)]
    struct WithEnum {
        c: Color,
    }
    assert_eq!(trace_fields::<WithEnum>().unwrap_err().found, "enum Color");

    #[derive(Serialize, Default)]
    struct Ch {
        c: char,
    }
    assert!(trace_fields::<Ch>().unwrap_err().found.starts_with("char"));

    #[derive(Serialize, Default)]
    struct Skip {
        #[serde(skip_serializing_if = "String::is_empty")]
        s: String,
    }
    let e = trace_fields::<Skip>().unwrap_err();
    assert_eq!(e.field, Some("s"));
    assert!(e.found.contains("skip_serializing_if"));

    #[derive(Serialize, Default)]
    struct Flat {
        #[serde(flatten)]
        inner: V2,
    }
    let e = trace_fields::<Flat>().unwrap_err();
    assert_eq!(e.field, None);
    assert!(e.found.contains("flatten"));

    #[derive(Serialize, Default)]
    struct Tuple(i32, i32);
    assert!(trace_fields::<Tuple>().unwrap_err().found.starts_with("tuple struct Tuple"));
    assert!(trace_fields::<i32>().unwrap_err().found.starts_with("a top-level integer"));
}
