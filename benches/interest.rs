//! Cost of the interest grid (`tickwave::game::v2::interest::Grid`) for a 64-player fog-sized
//! lobby: each iteration is one tick's use of it, as the `fog` game does: clear, insert every
//! entity that can be seen (64 players and 128 shots, moving), then one query per viewer.
//!
//! The world is scripted and deterministic (a fixed seed, entities drifting a unit a tick on
//! a 120 x 120 map, cell 10, radius 25, hysteresis 5: the fog mode's defaults). Before the
//! benchmarks, `main` prints how many entities a viewer's set holds on average, which does
//! not depend on the machine.
//!
//! Run: `cargo bench --bench interest -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, criterion_group};
use std::hint::black_box;
use tickwave::game::SplitMix64;
use tickwave::game::v2::interest::Grid;

const MAP: i32 = 120;
const PLAYERS: u32 = 64;
const SHOTS: u32 = 128;

struct World {
    grid: Grid,
    /// `(id, x, y, vx, vy)`.
    things: Vec<(u32, i32, i32, i32, i32)>,
    out: Vec<u32>,
}

impl World {
    fn new() -> World {
        let mut rng = SplitMix64::new(0x0066_6f67);
        let mut things = Vec::new();
        for id in (1..=PLAYERS).chain((0..SHOTS).map(|s| (1 << 31) + s)) {
            let (x, y) = (rng.range(0, MAP), rng.range(0, MAP));
            things.push((id, x, y, rng.range(-1, 2), rng.range(-1, 2)));
        }
        World { grid: Grid::new(10, 25, 5), things, out: Vec::new() }
    }

    /// One tick: move, rebuild, query every player. Returns the total set sizes.
    fn tick(&mut self) -> usize {
        self.grid.clear();
        for t in &mut self.things {
            (t.1, t.2) = ((t.1 + t.3).rem_euclid(MAP), (t.2 + t.4).rem_euclid(MAP));
            self.grid.insert(t.0, t.1, t.2);
        }
        let mut total = 0;
        for &(id, x, y, _, _) in &self.things[..PLAYERS as usize] {
            self.grid.visible(id, x, y, &mut self.out);
            total += self.out.len();
        }
        total
    }
}

fn benches(c: &mut Criterion) {
    let mut w = World::new();
    for _ in 0..30 {
        w.tick();
    }
    c.bench_function("interest_64_viewers_192_entities", |b| b.iter(|| black_box(w.tick())));
}

criterion_group!(interest, benches);

fn main() {
    if !std::env::args().any(|a| a == "--list") {
        let mut w = World::new();
        let ticks = 300;
        let total: usize = (0..ticks).map(|_| w.tick()).sum();
        eprintln!(
            "interest: {PLAYERS} viewers, {} entities, mean set {:.1} entities",
            PLAYERS + SHOTS,
            total as f64 / f64::from(ticks * PLAYERS)
        );
    }
    interest();
    Criterion::default().configure_from_args().final_summary();
}
