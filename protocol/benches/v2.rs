//! One lobby tick on the v2 path against the v1 path: write the game's state into the view,
//! diff it against the previous tick, encode the delta (what the server does once per
//! distinct view per tick), plus the snapshot encode (a joiner or a resync).
//!
//! The lobby is arena-like: 16 players (v2: x, y, aim f32, hp, score i64, name str, dashing
//! bool, cooldown; v1 has only i32 fields, so the same values without the name, aim as
//! fixed-point, at most 8 fields), 12 pickups (x, y, value) and 10 projectiles (x, y, owner,
//! vx, vy). 64 ticks of game state are simulated up front from a fixed seed (players move
//! and turn every tick, a few score, dash or lose hp; projectiles fly and respawn; now and
//! then a pickup is taken and respawns under a new id); each iteration builds the views of
//! the next tick in the cycle, so both paths do identical work. 16 acks per message.
//!
//! Run: `cargo bench -p tickwave-protocol --bench v2 -- --warm-up-time 1 --measurement-time 3`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde::Serialize;
use std::hint::black_box;
use std::sync::Arc;
use tickwave_protocol::v2::{
    self, Delta as Delta2, Encoder, KindId, Layout, NO_LIMITS, Schema, View,
};
use tickwave_protocol::{Delta, Entity, WorldView, encode_delta, encode_snapshot};

const TICKS: usize = 64;
const NAMES: [&str; 8] = ["ada", "bob", "cyd", "dee", "eve", "fay", "gus", "hal"];

/// SplitMix64, so the synthetic lobby is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next() % (hi - lo) as u64) as i32
    }
}

#[derive(Clone, Serialize, Default)]
struct Player {
    x: i32,
    y: i32,
    aim: f32,
    hp: i32,
    score: i64,
    name: &'static str,
    dashing: bool,
    cooldown: i32,
}

#[derive(Clone, Serialize, Default)]
struct Pickup {
    x: i32,
    y: i32,
    value: i32,
}

#[derive(Clone, Serialize, Default)]
struct Projectile {
    x: i32,
    y: i32,
    owner: u32,
    vx: i32,
    vy: i32,
}

#[derive(Clone, Serialize, Default)]
struct Globals {
    round: i32,
    left_ms: i64,
}

#[derive(Clone)]
struct World {
    players: Vec<(u32, Player)>,
    pickups: Vec<(u32, Pickup)>,
    projectiles: Vec<(u32, Projectile)>,
    left_ms: i64,
}

fn simulate() -> Vec<World> {
    let mut rng = Rng(15);
    let mut w = World {
        players: (1..=16)
            .map(|id| {
                let p = Player {
                    x: rng.range(0, 10_000),
                    y: rng.range(0, 10_000),
                    aim: 0.0,
                    hp: 100,
                    score: 0,
                    name: NAMES[id as usize % 8],
                    dashing: false,
                    cooldown: 0,
                };
                (id, p)
            })
            .collect(),
        pickups: (0..12)
            .map(|k| ((1u32 << 31) + k, ()))
            .map(|(id, ())| {
                (id, Pickup { x: rng.range(0, 10_000), y: rng.range(0, 10_000), value: 1 })
            })
            .collect(),
        projectiles: (0..10)
            .map(|k| {
                (
                    (1u32 << 31) + 100 + k,
                    Projectile { x: 5_000, y: 5_000, owner: k + 1, vx: 60, vy: -40 },
                )
            })
            .collect(),
        left_ms: 120_000,
    };
    let mut next_id = (1u32 << 31) + 1_000;
    let mut out = Vec::with_capacity(TICKS);
    for _ in 0..TICKS {
        for (_, p) in &mut w.players {
            p.x = (p.x + rng.range(-133, 134)).clamp(0, 10_000);
            p.y = (p.y + rng.range(-133, 134)).clamp(0, 10_000);
            p.aim = ((p.aim + (rng.range(-100, 101) as f32) * 0.01) % std::f32::consts::PI).abs();
            p.dashing = rng.next() % 8 == 0;
            p.cooldown = (p.cooldown - 1).max(0);
            if rng.next() % 10 == 0 {
                p.score += 1;
                p.cooldown = 5;
            }
            if rng.next() % 12 == 0 {
                p.hp = (p.hp - 10).max(0);
            }
        }
        for (id, pr) in &mut w.projectiles {
            pr.x += pr.vx;
            pr.y += pr.vy;
            if !(0..=10_000).contains(&pr.x) || !(0..=10_000).contains(&pr.y) {
                *id = next_id;
                next_id += 1;
                *pr = Projectile { x: 5_000, y: 5_000, owner: pr.owner, vx: -pr.vx, vy: pr.vy };
            }
        }
        if rng.next() % 4 == 0 {
            let k = (rng.next() % 12) as usize;
            w.pickups[k].0 = next_id;
            next_id += 1;
            w.pickups.sort_by_key(|p| p.0);
        }
        w.left_ms -= 33;
        out.push(w.clone());
    }
    out
}

struct Kinds {
    player: KindId,
    pickup: KindId,
    projectile: KindId,
}

fn write_v2(v: &mut View, k: &Kinds, w: &World) {
    v.clear();
    for (id, p) in &w.players {
        v.push(*id, k.player, p).expect("valid player");
    }
    for (id, p) in &w.pickups {
        v.push(*id, k.pickup, p).expect("valid pickup");
    }
    for (id, p) in &w.projectiles {
        v.push(*id, k.projectile, p).expect("valid projectile");
    }
    v.set_globals(&Globals { round: 1, left_ms: w.left_ms }).expect("valid globals");
    v.finish().expect("unique ids");
}

fn write_v1(v: &mut WorldView, w: &World) {
    v.clear();
    for (id, p) in &w.players {
        let aim = (p.aim * 10_000.0) as i32;
        let f = [p.x, p.y, aim, p.hp, p.score as i32, i32::from(p.dashing), p.cooldown];
        v.push(Entity::new(*id, 0, &f));
    }
    for (id, p) in &w.pickups {
        v.push(Entity::new(*id, 1, &[p.x, p.y, p.value]));
    }
    for (id, p) in &w.projectiles {
        v.push(Entity::new(*id, 2, &[p.x, p.y, p.owner as i32, p.vx, p.vy]));
    }
    v.finish().expect("unique ids");
}

fn benches(c: &mut Criterion) {
    let worlds = simulate();
    let s = Schema::builder()
        .kind::<Player>("player", |k| k.max_len("name", 32))
        .kind::<Pickup>("pickup", NO_LIMITS)
        .kind::<Projectile>("projectile", NO_LIMITS)
        .globals::<Globals>(NO_LIMITS)
        .build()
        .expect("valid schema");
    let layout = Arc::new(Layout::new(s).expect("valid schema"));
    let kinds = Kinds {
        player: layout.kind_id("player").unwrap(),
        pickup: layout.kind_id("pickup").unwrap(),
        projectile: layout.kind_id("projectile").unwrap(),
    };
    let acks: Vec<(u32, u64)> = (1..=16).map(|p| (p, 10_000 + u64::from(p))).collect();

    // Sizes, and a check that the v2 path round-trips on this lobby.
    {
        let (mut a, mut b) = (View::new(layout.clone()), View::new(layout.clone()));
        write_v2(&mut a, &kinds, &worlds[10]);
        write_v2(&mut b, &kinds, &worlds[11]);
        let d = a.diff(&b);
        let bytes = Encoder::new().delta(11, 10, &acks, &d);
        let mut client = a.clone();
        client.apply(&v2::decode_delta(&bytes).unwrap().delta).unwrap();
        assert_eq!(client, b);
        let (mut x, mut y) = (WorldView::new(), WorldView::new());
        write_v1(&mut x, &worlds[10]);
        write_v1(&mut y, &worlds[11]);
        let v1 = encode_delta(11, 10, &acks, &x.diff(&y));
        eprintln!(
            "one tick, {} entities: delta v1 {} bytes, v2 {} bytes; snapshot v1 {} bytes, v2 {} bytes",
            b.len(),
            v1.len(),
            bytes.len(),
            encode_snapshot(11, &acks, &y).len(),
            Encoder::new().snapshot(11, &acks, &b).len()
        );
    }

    let mut g = c.benchmark_group("lobby_tick");
    g.bench_function(BenchmarkId::new("write_diff_encode", "v1"), |bch| {
        let (mut prev, mut next, mut d) = (WorldView::new(), WorldView::new(), Delta::default());
        let mut t = 1usize;
        bch.iter(|| {
            write_v1(&mut next, &worlds[t % TICKS]);
            prev.diff_into(&next, &mut d);
            let bytes = encode_delta(t as u64, t as u64 - 1, &acks, &d);
            std::mem::swap(&mut prev, &mut next);
            t += 1;
            black_box(bytes)
        })
    });
    g.bench_function(BenchmarkId::new("write_diff_encode", "v2"), |bch| {
        let (mut prev, mut next) = (View::new(layout.clone()), View::new(layout.clone()));
        let (mut d, mut enc) = (Delta2::new(), Encoder::new());
        let mut t = 1usize;
        bch.iter(|| {
            write_v2(&mut next, &kinds, &worlds[t % TICKS]);
            prev.diff_into(&next, &mut d);
            let bytes = enc.delta(t as u64, t as u64 - 1, &acks, &d);
            std::mem::swap(&mut prev, &mut next);
            t += 1;
            black_box(bytes)
        })
    });
    g.bench_function(BenchmarkId::new("write", "v1"), |bch| {
        let mut v = WorldView::new();
        let mut t = 0usize;
        bch.iter(|| {
            write_v1(&mut v, &worlds[t % TICKS]);
            t += 1;
            black_box(v.len())
        })
    });
    g.bench_function(BenchmarkId::new("write", "v2"), |bch| {
        let mut v = View::new(layout.clone());
        let mut t = 0usize;
        bch.iter(|| {
            write_v2(&mut v, &kinds, &worlds[t % TICKS]);
            t += 1;
            black_box(v.len())
        })
    });
    g.finish();

    let mut g = c.benchmark_group("snapshot_encode");
    let mut v1 = WorldView::new();
    write_v1(&mut v1, &worlds[20]);
    g.bench_function("v1", |bch| {
        bch.iter(|| encode_snapshot(black_box(20), &acks, black_box(&v1)))
    });
    let mut v2view = View::new(layout.clone());
    write_v2(&mut v2view, &kinds, &worlds[20]);
    let mut enc = Encoder::new();
    g.bench_function("v2", |bch| {
        bch.iter(|| enc.snapshot(black_box(20), &acks, black_box(&v2view)))
    });
    g.finish();
}

criterion_group!(v2_bench, benches);
criterion_main!(v2_bench);
