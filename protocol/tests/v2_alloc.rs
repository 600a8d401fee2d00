//! The hot path allocates nothing in steady state: a lobby that reuses its views, its delta
//! and its encoder pays, per tick, no allocation to write the game's state (strings
//! included), diff it, or project per-player views, and exactly one allocation per encoded
//! message (its exactly sized `Bytes`). Validating an input allocates nothing unless it
//! carries a string.
//!
//! `stats_alloc` counts allocations process-wide, so this binary has no test harness
//! (`harness = false` in Cargo.toml): `main` runs the check on the only thread there is. With
//! the harness, its main thread could wake on a loaded machine and add to a count (seen: 4
//! allocations at one tick while a build ran beside the test).
//!
//! `cargo test -p tickwave-protocol --test v2_alloc`

use serde::{Deserialize, Serialize};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::sync::Arc;
use tickwave_protocol::v2::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations (and reallocations) made while `f` runs.
fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let region = Region::new(GLOBAL);
    let r = f();
    let s = region.change();
    (s.allocations + s.reallocations, r)
}

#[derive(Serialize, Default)]
struct Player<'a> {
    x: i32,
    y: i32,
    aim: f32,
    hp: i32,
    score: i64,
    name: &'a str,
    dashing: bool,
    ammo: i32,
}

#[derive(Serialize, Default)]
struct Pickup {
    x: i32,
    y: i32,
    value: i32,
}

#[derive(Serialize, Default)]
struct Round {
    round: i32,
    left_ms: i64,
}

#[derive(Serialize, Deserialize, Default)]
struct Input {
    dx: f32,
    dy: f32,
    fire: bool,
}

const NAMES: [&str; 4] = ["ada", "bob", "cyd", "dee"];

fn tick(v: &mut View, l: &Layout, t: i32) {
    let (player, pickup) = (l.kind_id("player").unwrap(), l.kind_id("pickup").unwrap());
    v.clear();
    for id in 1..=16u32 {
        let p = Player {
            x: t * id as i32,
            y: -t,
            aim: t as f32 * 0.1,
            hp: 100 - t % 7,
            score: i64::from(t),
            name: NAMES[id as usize % 4],
            dashing: t % 3 == 0,
            ammo: 5,
        };
        v.push(id, player, &p).unwrap();
    }
    // Pickups come and go (ids above 2^31), pushed out of order to exercise the sort.
    for k in (0..12u32).rev() {
        if (k + t as u32) % 5 != 0 {
            v.push((1 << 31) + k, pickup, &Pickup { x: k as i32, y: t, value: 1 }).unwrap();
        }
    }
    v.set_globals(&Round { round: 1, left_ms: 60_000 - i64::from(t) * 33 }).unwrap();
    v.finish().unwrap();
}

fn steady_state_ticks_do_not_allocate() {
    let s = Schema::builder()
        .kind::<Player>("player", |k| k.private_owner("ammo"))
        .kind::<Pickup>("pickup", NO_LIMITS)
        .globals::<Round>(NO_LIMITS)
        .input::<Input>(NO_LIMITS)
        .build()
        .unwrap();
    let l = Arc::new(Layout::new(s).unwrap());
    let (mut prev, mut next) = (View::new(l.clone()), View::new(l.clone()));
    let mut mine = View::new(l.clone());
    let mut delta = Delta::new();
    let mut enc = Encoder::new();
    let acks: Vec<(u32, u64)> = (1..=16).map(|p| (p, 1000)).collect();
    // Warm-up: the buffers grow to their working size.
    for t in 0..4 {
        tick(&mut next, &l, t);
        prev.diff_into(&next, &mut delta);
        next.project_into(&mut mine, |_| Visibility::SHOWN);
        let _ = enc.delta(t as u64, 0, &acks, &delta);
        let _ = enc.snapshot(t as u64, &acks, &next);
        std::mem::swap(&mut prev, &mut next);
    }
    for t in 4..64 {
        let (n, ()) = allocations(|| {
            tick(&mut next, &l, t);
            prev.diff_into(&next, &mut delta);
            next.project_into(&mut mine, |e| {
                if e.id() == 3 { Visibility::SHOWN } else { Visibility::Shown { hide: u32::MAX } }
            });
        });
        assert_eq!(n, 0, "tick {t}: write + diff + project allocated {n} times");
        assert!(!delta.is_empty());
        let (n, _) = allocations(|| enc.delta(t as u64, t as u64 - 1, &acks, &delta));
        assert_eq!(n, 1, "tick {t}: a delta costs one allocation, its Bytes");
        let (n, _) = allocations(|| enc.snapshot(t as u64, &acks, &next));
        assert_eq!(n, 1, "tick {t}: a snapshot costs one allocation, its Bytes");
        std::mem::swap(&mut prev, &mut next);
    }
    // Client side: applying reuses the view's spare buffers too.
    let mut client = prev.clone();
    tick(&mut next, &l, 64);
    prev.diff_into(&next, &mut delta);
    client.apply(&delta).unwrap();
    for t in 65..80 {
        std::mem::swap(&mut prev, &mut next);
        tick(&mut next, &l, t);
        prev.diff_into(&next, &mut delta);
        let (n, r) = allocations(|| client.apply(&delta));
        r.unwrap();
        assert_eq!(n, 0, "tick {t}: apply allocated {n} times");
        assert_eq!(client, next);
    }
    // An input without strings: validated without allocating.
    let msg = encode_input(9, Some(3), &Input { dx: 0.5, dy: -1.0, fire: true }).unwrap();
    let (n, r) = allocations(|| decode_input(l.input(), &msg));
    assert_eq!(r.unwrap().seq, 9);
    assert_eq!(n, 0, "decode_input allocated {n} times");
}

fn main() {
    steady_state_ticks_do_not_allocate();
    println!("v2_alloc: steady state allocates only the encoded Bytes: ok");
}
