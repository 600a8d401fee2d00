//! v2 views with private fields: projection for a viewer (hidden fields, filtered entities)
//! and the exact bytes of the state messages of a projected view (expected bytes produced
//! with Python's `msgpack`). Split from `v2_view.rs`.
//!
//! `cargo test -p tickwave-protocol --test v2_projection`

use serde::Serialize;
use std::sync::Arc;
use tickwave_protocol::v2::*;

#[derive(Serialize, Default)]
struct Card {
    owner: u32,
    a: i32,
    f: f32,
    s: String,
    b: bool,
    d: f64,
    h: i32,
}

fn card_layout() -> Arc<Layout> {
    let s = Schema::builder()
        .kind::<Card>("p", |k| k.max_len("s", 8).private_owner("h").private_team("s"))
        .globals::<G>(NO_LIMITS)
        .build()
        .unwrap();
    Arc::new(Layout::new(s).unwrap())
}

#[derive(Serialize, Default)]
struct G {
    g: i64,
}

#[test]
fn projection_hides_private_fields_only_and_filters_entities() {
    let l = card_layout();
    let k = l.kind_id("p").unwrap();
    assert_eq!(l.kind(k).private_mask(Privacy::Owner), 0b100_0000);
    assert_eq!(l.kind(k).private_mask(Privacy::Team), 0b000_1000);
    let mut full = View::new(l.clone());
    full.push(1, k, &Card { owner: 1, a: 1, s: "mine".into(), h: 5, ..Card::default() }).unwrap();
    full.push(2, k, &Card { owner: 2, a: 2, s: "theirs".into(), h: 6, ..Card::default() }).unwrap();
    full.push(3, k, &Card { owner: 2, a: 3, ..Card::default() }).unwrap();
    full.finish().unwrap();
    // Viewer 1: sees its own card whole, player 2's card without h and s (every bit asked,
    // only private ones taken), not entity 3.
    let mine = full.project(|e| match (e.id(), e.field("owner")) {
        (3, _) => Visibility::Hidden,
        (_, Some(ValueRef::Int(1))) => Visibility::SHOWN,
        _ => Visibility::Shown { hide: u32::MAX },
    });
    assert_eq!(mine.len(), 2);
    let other = mine.get(2).unwrap();
    assert_eq!(other.hidden(), 0b100_1000);
    assert_eq!(other.field("h"), Some(ValueRef::Nil));
    assert_eq!(other.field("s"), Some(ValueRef::Nil));
    assert_eq!(other.field("a"), Some(ValueRef::Int(2)));
    assert_eq!(mine.get(1).unwrap().field("h"), Some(ValueRef::Int(5)));
    // The hidden string's bytes were not copied anywhere into the projected view.
    assert!(!format!("{mine:?}").contains("theirs"));
    let snap = encode_snapshot(1, &[], &mine);
    assert!(!snap.windows(6).any(|w| w == b"theirs"));
    // Reusing a projection target keeps working.
    let mut reuse = View::new(l.clone());
    full.project_into(&mut reuse, |_| Visibility::SHOWN);
    assert_eq!(reuse, full);
    full.project_into(&mut reuse, |_| Visibility::Hidden);
    assert!(reuse.is_empty());
}

/// The snapshot and delta of a projected view, byte for byte. Expected bytes from Python:
///
/// ```text
/// p = msgpack.packb
/// f32 = lambda x: b'\xca' + struct.pack('>f', x)
/// f64 = lambda x: b'\xcb' + struct.pack('>d', x)
/// snapshot = (b'\x85' + p("type") + p("snapshot") + p("tick") + p(5)
///   + p("acks") + p({1: 3, 2: 300}) + p("globals") + b'\x91' + p(-40000)
///   + p("entities") + b'\x92'
///   + b'\x93' + p(1) + p(0) + b'\x96' + p(-33) + f32(0.5) + p("ab") + p(True) + f64(1.5) + p(None)
///   + b'\x93' + p(2**31) + p(0) + b'\x96' + p(70000) + f32(-0.0) + p("") + p(False) + f64(0.0) + p(200))
/// delta = (b'\x88' + p("type") + p("delta") + p("tick") + p(6) + p("base") + p(5)
///   + p("acks") + p({1: 4}) + p("globals") + b'\x92' + p(1) + b'\x91' + p(7)
///   + p("added") + b'\x90'
///   + p("changed") + b'\x91' + b'\x93' + p(1) + p(0b100001) + b'\x92' + p(-32) + p(9)
///   + p("removed") + b'\x91' + p(2**31))
/// ```
#[test]
fn state_messages_are_exactly_the_documented_bytes() {
    #[derive(Serialize)]
    struct P {
        a: i32,
        f: f32,
        s: &'static str,
        b: bool,
        d: f64,
        h: i32,
    }
    let s = Schema::builder()
        .kind::<Pp>("p", |k| k.max_len("s", 8).private_owner("h"))
        .globals::<G>(NO_LIMITS)
        .build()
        .unwrap();
    #[derive(Serialize, Default)]
    struct Pp {
        a: i32,
        f: f32,
        s: String,
        b: bool,
        d: f64,
        h: i32,
    }
    let l = Arc::new(Layout::new(s).unwrap());
    let k = l.kind_id("p").unwrap();
    let world = |a: i32, h: i32, other: bool, g: i64| {
        let mut v = View::new(l.clone());
        if other {
            v.push(1 << 31, k, &P { a: 70000, f: -0.0, s: "", b: false, d: 0.0, h: 200 }).unwrap();
        }
        v.push(1, k, &P { a, f: 0.5, s: "ab", b: true, d: 1.5, h }).unwrap();
        v.set_globals(&G { g }).unwrap();
        v.finish().unwrap();
        v
    };
    let hide_h_of_1 = |e: EntityRef<'_>| {
        if e.id() == 1 { Visibility::Shown { hide: 1 << 5 } } else { Visibility::SHOWN }
    };
    let a = world(-33, 5, true, -40000).project(hide_h_of_1);
    let b = world(-32, 9, false, 7).project(|_| Visibility::SHOWN);
    let snap = encode_snapshot(5, &[(1, 3), (2, 300)], &a);
    let want_snap: &[u8] = b"\x85\xa4\x74\x79\x70\x65\xa8\x73\x6e\x61\x70\x73\x68\x6f\x74\xa4\x74\x69\x63\x6b\x05\xa4\x61\x63\x6b\x73\x82\x01\x03\x02\xcd\x01\x2c\xa7\x67\x6c\x6f\x62\x61\x6c\x73\x91\xd2\xff\xff\x63\xc0\xa8\x65\x6e\x74\x69\x74\x69\x65\x73\x92\x93\x01\x00\x96\xd0\xdf\xca\x3f\x00\x00\x00\xa2\x61\x62\xc3\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xc0\x93\xce\x80\x00\x00\x00\x00\x96\xce\x00\x01\x11\x70\xca\x80\x00\x00\x00\xa0\xc2\xcb\x00\x00\x00\x00\x00\x00\x00\x00\xcc\xc8";
    assert_eq!(&snap[..], want_snap);
    let d = a.diff(&b);
    let delta_bytes = Encoder::new().delta(6, 5, &[(1, 4)], &d);
    let want_delta: &[u8] = b"\x88\xa4\x74\x79\x70\x65\xa5\x64\x65\x6c\x74\x61\xa4\x74\x69\x63\x6b\x06\xa4\x62\x61\x73\x65\x05\xa4\x61\x63\x6b\x73\x81\x01\x04\xa7\x67\x6c\x6f\x62\x61\x6c\x73\x92\x01\x91\x07\xa5\x61\x64\x64\x65\x64\x90\xa7\x63\x68\x61\x6e\x67\x65\x64\x91\x93\x01\x21\x92\xe0\x09\xa7\x72\x65\x6d\x6f\x76\x65\x64\x91\xce\x80\x00\x00\x00";
    assert_eq!(&delta_bytes[..], want_delta);
    // And the client side: decode both, apply, arrive at b.
    let s = decode_snapshot(&snap).unwrap();
    assert_eq!((s.tick, s.acks.as_slice()), (5, &[(1, 3), (2, 300)][..]));
    let mut client = View::new(l.clone());
    client.apply_snapshot(&s.state).unwrap();
    assert_eq!(client, a);
    let dm = decode_delta(&delta_bytes).unwrap();
    assert_eq!((dm.tick, dm.base), (6, 5));
    assert_eq!(dm.delta, d);
    client.apply(&dm.delta).unwrap();
    assert_eq!(client, b);
    // A delta without a globals change has no `globals` key at all.
    let same = Encoder::new().delta(7, 6, &[], &b.diff(&b));
    assert_eq!(&same[..], b"\x87\xa4type\xa5delta\xa4tick\x07\xa4base\x06\xa4acks\x80\xa5added\x90\xa7changed\x90\xa7removed\x90");
}
