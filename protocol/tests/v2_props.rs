//! Properties of the v2 state codec over random schemas (every field type, up to 32 fields
//! per kind, private fields) and random views with hidden fields:
//! - `diff(a, b)` applied to `a` gives exactly `b`, directly and through encode + decode, and
//!   the decoded delta equals the one that was encoded;
//! - a changed entity's mask names only fields that really differ (no over-sending);
//! - a snapshot round-trips through encode + decode + `apply_snapshot`;
//! - the bytes are valid MessagePack and identical for identical views, whatever the push
//!   order;
//! - a client following a sequence of views, delta after delta with reused buffers, always
//!   holds the server's view.
//!
//! `cargo test -p tickwave-protocol --test v2_props`

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use tickwave_protocol::v2::*;

fn arb_type() -> impl Strategy<Value = FieldType> {
    use FieldType::*;
    prop_oneof![Just(Bool), Just(I32), Just(I64), Just(F32), Just(F64), Just(Str)]
}

fn arb_field(private: bool) -> impl Strategy<Value = (FieldType, Option<Privacy>)> {
    let p = if private {
        prop_oneof![3 => Just(None), 1 => Just(Some(Privacy::Owner)), 1 => Just(Some(Privacy::Team))]
            .boxed()
    } else {
        Just(None).boxed()
    };
    (arb_type(), p)
}

fn fields(spec: &[(FieldType, Option<Privacy>)]) -> Vec<FieldSchema> {
    spec.iter()
        .enumerate()
        .map(|(i, (ty, p))| {
            let mut f = FieldSchema::new(format!("f{i}"), *ty);
            if *ty == FieldType::Str {
                f.max_len = Some(12);
            }
            f.private = *p;
            f
        })
        .collect()
}

/// 1 to 3 kinds of 0 to 10 fields, plus a kind of exactly 32, and 0 to 4 globals.
fn arb_layout() -> impl Strategy<Value = Arc<Layout>> {
    (
        proptest::collection::vec(proptest::collection::vec(arb_field(true), 0..=10), 1..=3),
        proptest::collection::vec(arb_field(true), 32),
        proptest::collection::vec(arb_field(false), 0..=4),
    )
        .prop_map(|(mut kinds, wide, globals)| {
            kinds.push(wide);
            let s = Schema {
                kinds: kinds
                    .iter()
                    .enumerate()
                    .map(|(i, k)| KindSchema { kind: format!("k{i}"), fields: fields(k) })
                    .collect(),
                globals: fields(&globals),
                ..Schema::default()
            };
            Arc::new(Layout::new(s).expect("generated schemas are valid"))
        })
}

fn arb_value(ty: FieldType) -> BoxedStrategy<Value> {
    use proptest::num::{f32 as f32s, f64 as f64s};
    match ty {
        FieldType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        FieldType::I32 => any::<i32>().prop_map(|v| Value::Int(v.into())).boxed(),
        FieldType::I64 => any::<i64>().prop_map(Value::Int).boxed(),
        // Every finite class, both signs (so -0.0 and subnormals), never NaN or infinite.
        FieldType::F32 => {
            (f32s::POSITIVE | f32s::NEGATIVE | f32s::NORMAL | f32s::SUBNORMAL | f32s::ZERO)
                .prop_map(Value::F32)
                .boxed()
        }
        FieldType::F64 => {
            (f64s::POSITIVE | f64s::NEGATIVE | f64s::NORMAL | f64s::SUBNORMAL | f64s::ZERO)
                .prop_map(Value::F64)
                .boxed()
        }
        FieldType::Str => "[a-zé日 ]{0,4}".prop_map(Value::Str).boxed(),
    }
}

fn arb_values(f: &Fields) -> Vec<BoxedStrategy<Value>> {
    (0..f.len()).map(|i| arb_value(f.ty(i))).collect()
}

fn arb_id() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..24, (1u32 << 31)..(1u32 << 31) + 8, Just(u32::MAX)]
}

/// One entity of a pair of views: in a, in b or both; kinds; values; which fields b keeps
/// from a (when the kind is the same); hidden masks in a and b.
#[derive(Debug, Clone)]
struct Ent {
    id: u32,
    presence: u8,
    ka: usize,
    kb: usize,
    va: Vec<Value>,
    vb: Vec<Value>,
    keep: u32,
    ha: u32,
    hb: u32,
}

#[derive(Debug, Clone)]
struct Pair {
    layout: Arc<Layout>,
    ents: Vec<Ent>,
    ga: Vec<Value>,
    gb: Vec<Value>,
    gkeep: u32,
}

fn arb_pair() -> impl Strategy<Value = Pair> {
    arb_layout()
        .prop_flat_map(|l| {
            let n = l.kind_count();
            let shape = proptest::collection::btree_map(
                arb_id(),
                (
                    0u8..4,
                    0..n,
                    prop::bool::weighted(0.75),
                    0..n,
                    any::<u32>(),
                    any::<u32>(),
                    any::<u32>(),
                ),
                0..14,
            );
            let g = arb_values(l.globals());
            (Just(l.clone()), shape, g.clone(), g, any::<u32>()).prop_flat_map(
                |(l, shape, ga, gb, gkeep)| {
                    let ents: Vec<_> = shape
                        .into_iter()
                        .map(|(id, (presence, ka, same, kb, keep, ha, hb))| {
                            let kb = if same { ka } else { kb };
                            (
                                Just((id, presence, ka, kb, keep, ha, hb)),
                                arb_values(l.kind(l.kind_at(ka).unwrap())),
                                arb_values(l.kind(l.kind_at(kb).unwrap())),
                            )
                        })
                        .collect();
                    (Just(l), ents, Just(ga), Just(gb), Just(gkeep))
                },
            )
        })
        .prop_map(|(layout, ents, ga, gb, gkeep)| Pair {
            layout,
            ents: ents
                .into_iter()
                .map(|((id, presence, ka, kb, keep, ha, hb), va, vb)| Ent {
                    id,
                    presence,
                    ka,
                    kb,
                    va,
                    vb,
                    keep,
                    ha,
                    hb,
                })
                .collect(),
            ga,
            gb,
            gkeep,
        })
}

fn refs(v: &[Value]) -> Vec<ValueRef<'_>> {
    v.iter().map(Value::as_ref).collect()
}

fn mix(keep: u32, a: &[Value], b: &[Value]) -> Vec<Value> {
    b.iter()
        .enumerate()
        .map(|(i, v)| if keep & (1 << i) != 0 { a[i].clone() } else { v.clone() })
        .collect()
}

/// The full world, then each entity's hide mask applied by a projection.
fn build(p: &Pair, second: bool, reverse: bool) -> View {
    let l = &p.layout;
    let mut full = View::new(l.clone());
    let mut hide = BTreeMap::new();
    let mut order: Vec<&Ent> = p.ents.iter().collect();
    if reverse {
        order.reverse();
    }
    for e in order {
        let present = if second { e.presence != 0 } else { e.presence != 1 };
        if !present {
            continue;
        }
        let (k, vals, h) = if !second {
            (e.ka, e.va.clone(), e.ha)
        } else if e.ka == e.kb && e.presence >= 2 {
            (e.kb, mix(e.keep, &e.va, &e.vb), e.hb)
        } else {
            (e.kb, e.vb.clone(), e.hb)
        };
        full.push_values(e.id, l.kind_at(k).unwrap(), &refs(&vals)).unwrap();
        hide.insert(e.id, h);
    }
    let g = if second { mix(p.gkeep, &p.ga, &p.gb) } else { p.ga.clone() };
    full.set_global_values(&refs(&g)).unwrap();
    full.finish().unwrap();
    full.project(|e| Visibility::Shown { hide: hide[&e.id()] })
}

/// Whether field `i` of entity `id` differs between `a` and `b` as the client sees it.
fn differs(a: &View, b: &View, id: u32, i: usize) -> bool {
    let (x, y) = (a.get(id).unwrap().get(i).unwrap(), b.get(id).unwrap().get(i).unwrap());
    match (x, y) {
        (ValueRef::F32(p), ValueRef::F32(q)) => p.to_bits() != q.to_bits(),
        (ValueRef::F64(p), ValueRef::F64(q)) => p.to_bits() != q.to_bits(),
        _ => x != y,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn diff_then_apply_round_trips_directly_and_on_the_wire(p in arb_pair()) {
        let (a, b) = (build(&p, false, false), build(&p, true, false));
        let d = a.diff(&b);
        let mut direct = a.clone();
        direct.apply(&d).unwrap();
        prop_assert_eq!(&direct, &b);

        let bytes = encode_delta(12, 11, &[(1, 2), (3, 4)], &d);
        rmp_serde::from_slice::<serde::de::IgnoredAny>(&bytes).expect("valid MessagePack");
        let m = decode_delta(&bytes).unwrap();
        prop_assert_eq!((m.tick, m.base), (12, 11));
        prop_assert_eq!(&m.delta, &d);
        let mut wire = a.clone();
        wire.apply(&m.delta).unwrap();
        prop_assert_eq!(&wire, &b);

        // Only fields that differ are sent.
        for (id, mask, vals) in d.changed() {
            prop_assert_eq!(vals.len(), mask.count_ones() as usize);
            for i in 0..32 {
                if mask & (1 << i) != 0 {
                    prop_assert!(differs(&a, &b, id, i), "entity {} field {} sent unchanged", id, i);
                }
            }
        }
        // And every entity kept with the same kind and different content is in `changed`.
        for e in b.entities() {
            if a.get(e.id()).is_some_and(|x| x.kind() == e.kind()) {
                let any = (0..e.len()).any(|i| differs(&a, &b, e.id(), i));
                prop_assert_eq!(any, d.changed().any(|(id, _, _)| id == e.id()));
            }
        }
    }

    #[test]
    fn snapshots_round_trip_and_encode_deterministically(p in arb_pair()) {
        let a = build(&p, false, false);
        let bytes = encode_snapshot(7, &[(2, 9)], &a);
        rmp_serde::from_slice::<serde::de::IgnoredAny>(&bytes).expect("valid MessagePack");
        let s = decode_snapshot(&bytes).unwrap();
        let mut mine = Delta::new();
        a.snapshot_into(&mut mine);
        prop_assert_eq!(&s.state, &mine);
        // Onto a fresh view and onto a view holding something else.
        let mut fresh = View::new(p.layout.clone());
        fresh.apply_snapshot(&s.state).unwrap();
        prop_assert_eq!(&fresh, &a);
        let mut other = build(&p, true, false);
        other.apply_snapshot(&s.state).unwrap();
        prop_assert_eq!(&other, &a);
        // Same view, pushed in the opposite order: the same bytes.
        let reversed = build(&p, false, true);
        prop_assert_eq!(&bytes, &encode_snapshot(7, &[(2, 9)], &reversed));
        let b = build(&p, true, false);
        prop_assert_eq!(encode_delta(8, 7, &[], &a.diff(&b)), encode_delta(8, 7, &[], &reversed.diff(&b)));
    }

    #[test]
    fn a_client_following_a_sequence_of_views_stays_in_step(
        pairs in proptest::collection::vec(arb_pair(), 2..6),
    ) {
        // Each pair brings its own layout: the client takes a snapshot of a, then follows
        // a -> b -> a by deltas, with one encoder and one delta reused throughout.
        let mut enc = Encoder::new();
        let mut delta = Delta::new();
        for p in &pairs {
            let views = [build(p, false, false), build(p, true, false), build(p, false, true)];
            let mut client = View::new(p.layout.clone());
            client.apply_snapshot(&decode_snapshot(&enc.snapshot(0, &[], &views[0])).unwrap().state).unwrap();
            for (t, w) in views.windows(2).enumerate() {
                w[0].diff_into(&w[1], &mut delta);
                let bytes = enc.delta(t as u64 + 1, t as u64, &[], &delta);
                client.apply(&decode_delta(&bytes).unwrap().delta).unwrap();
                prop_assert_eq!(&client, &w[1]);
            }
        }
    }
}
