//! Layered views (issue 16): a view made of a shared base view and a top view of its own
//! encodes, through `SharedDelta` + `LayerDiff` + `Encoder::layered_delta`, to exactly the
//! bytes of its whole delta encoded the ordinary way, over random sequences of worlds where
//! entities enter and leave the top, the base, both, change kind and change values.
//!
//! `cargo test -p tickwave-protocol --test v2_layered`

use serde::Serialize;
use std::sync::Arc;
use tickwave_protocol::v2::*;

#[derive(Serialize, Default)]
struct Unit {
    x: i32,
    y: i32,
    s: String,
    secret: i32,
}

#[derive(Serialize, Default)]
struct Rock {
    r: i64,
}

#[derive(Serialize, Default)]
struct Round {
    n: i32,
}

fn layout() -> Arc<Layout> {
    let s = Schema::builder()
        .kind::<Unit>("unit", |k| k.max_len("s", 8).private_owner("secret"))
        .kind::<Rock>("rock", NO_LIMITS)
        .globals::<Round>(NO_LIMITS)
        .build()
        .unwrap();
    Arc::new(Layout::new(s).unwrap())
}

/// SplitMix64: deterministic.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random view over ids 0..24: each id present with probability 1/2, of a kind chosen
/// by the tick parity and id (so some ids change kind), values from a small range (so some
/// entities do not change), the secret hidden when `hide_secret`.
fn random_view(l: &Arc<Layout>, rng: &mut Rng, hide_secret: bool, round: i32) -> View {
    let (unit, rock) = (l.kind_id("unit").unwrap(), l.kind_id("rock").unwrap());
    let mut src = View::new(l.clone());
    for id in 0..24u32 {
        if rng.below(2) == 0 {
            continue;
        }
        if rng.below(5) == 0 {
            src.push(id, rock, &Rock { r: rng.below(3) as i64 }).unwrap();
        } else {
            let u = Unit {
                x: rng.below(3) as i32,
                y: rng.below(2) as i32,
                s: ["", "a", "bb"][rng.below(3) as usize].into(),
                secret: 1000 + rng.below(2) as i32,
            };
            src.push(id, unit, &u).unwrap();
        }
    }
    src.set_globals(&Round { n: round }).unwrap();
    src.finish().unwrap();
    // Re-project so hidden masks are set as a server would.
    src.project(
        |_| if hide_secret { Visibility::Shown { hide: u32::MAX } } else { Visibility::SHOWN },
    )
}

#[test]
fn layered_deltas_are_byte_for_byte_the_whole_views_deltas() {
    let l = layout();
    let mut rng = Rng(7);
    let mut enc = Encoder::new();
    let mut shared = SharedDelta::new();
    let mut layer = LayerDiff::new(l.clone());
    let (mut whole_prev, mut whole_cur) = (View::new(l.clone()), View::new(l.clone()));
    let mut base_prev = random_view(&l, &mut rng, true, 0);
    let mut top_prev = random_view(&l, &mut rng, false, 0);
    base_prev.overlay_into(&top_prev, &mut whole_prev);
    let mut nonempty = 0;
    for tick in 1..400u64 {
        let round = (tick / 3) as i32;
        let base_cur = random_view(&l, &mut rng, true, round);
        // The top is small most ticks, empty some.
        let top_cur = if rng.below(4) == 0 {
            View::new(l.clone())
        } else {
            random_view(&l, &mut rng, false, 0)
        };
        base_cur.overlay_into(&top_cur, &mut whole_cur);
        let acks = [(1u32, tick), (7, tick / 2)];
        let expected = enc.delta(tick, tick - 1, &acks, &whole_prev.diff(&whole_cur));
        shared.fill(&base_prev.diff(&base_cur));
        layer.diff(&base_prev, &base_cur, &top_prev, &top_cur);
        let got = enc.layered_delta(tick, tick - 1, &acks, &shared, layer.touched(), layer.own());
        assert_eq!(got, expected, "tick {tick}");
        // And a client holding the whole previous view lands on the whole current one.
        let mut client = whole_prev.clone();
        client.apply(&decode_delta(&got).unwrap().delta).unwrap();
        assert_eq!(client, whole_cur, "tick {tick}");
        nonempty += usize::from(!layer.touched().is_empty());
        base_prev = base_cur;
        top_prev = top_cur;
        std::mem::swap(&mut whole_prev, &mut whole_cur);
    }
    assert!(nonempty > 200, "the tops touched entities on most ticks");
}

#[test]
fn overlay_replaces_the_bases_entities_with_the_tops() {
    let l = layout();
    let unit = l.kind_id("unit").unwrap();
    let mut base = View::new(l.clone());
    base.push(1, unit, &Unit { x: 1, secret: 5, ..Unit::default() }).unwrap();
    base.push(3, unit, &Unit { x: 3, ..Unit::default() }).unwrap();
    base.set_globals(&Round { n: 9 }).unwrap();
    base.finish().unwrap();
    let base = base.project(|_| Visibility::Shown { hide: u32::MAX });
    let mut world = View::new(l.clone());
    world.push(1, unit, &Unit { x: 1, secret: 5, ..Unit::default() }).unwrap();
    world.push(2, unit, &Unit { x: 2, ..Unit::default() }).unwrap();
    world.finish().unwrap();
    let mut top = View::new(l.clone());
    assert!(top.push_from(&world, 2, 0));
    assert!(top.push_from(&world, 1, 0), "its own entity, secret shown");
    assert!(!top.push_from(&world, 9, 0));
    top.finish().unwrap();
    let mut out = View::new(l.clone());
    base.overlay_into(&top, &mut out);
    let ids: Vec<u32> = out.entities().map(|e| e.id()).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(out.get(1).unwrap().field("secret").unwrap().as_i64(), Some(5));
    assert!(base.get(1).unwrap().field("secret").unwrap().is_nil());
    assert_eq!(out.global_named("n").unwrap().as_i64(), Some(9));
}
