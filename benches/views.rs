//! Bytes and encodes of per-player views (issue 16, item 7): prints, for a 64-player `fog`
//! lobby and a 16-player `arena` lobby on the same scripted play (see
//! `benches/support/views.rs`), state bytes per player per second, encodes and views per
//! tick and the snapshots that view changes cost, then times one full tick of the fog
//! lobby. The printed figures are counts, the same on any machine; `tests/view_bytes.rs`
//! checks fog's bound on them.
//!
//! Run: `cargo bench --bench views -- --warm-up-time 1 --measurement-time 3`

#[allow(dead_code, unreachable_pub)]
mod support {
    pub mod views;
}

use criterion::{Criterion, criterion_group};
use support::views::{Game, measure};

fn report() {
    let arena = measure(Game::Arena, 16);
    let fog = measure(Game::Fog, 64);
    for f in [arena, fog] {
        eprintln!(
            "{:?} {} players: {:.0} B/s per player; encodes per tick {:.1} (max {}); views \
             {:.1}; snapshots per tick {:.2} ({:.1}% of the bytes)",
            f.game,
            f.players,
            f.bytes_per_player_s,
            f.encodes_mean,
            f.encodes_max,
            f.views_mean,
            f.snapshots_per_tick,
            100.0 * f.snapshot_share,
        );
    }
    eprintln!("fog / arena: {:.2}x", fog.bytes_per_player_s / arena.bytes_per_player_s);
}

fn benches(c: &mut Criterion) {
    let mut l = support::views::Lobby::new(Game::Fog, 64);
    c.bench_function("fog_64_full_tick", |b| b.iter(|| l.tick()));
}

criterion_group!(views, benches);

fn main() {
    if !std::env::args().any(|a| a == "--list") {
        report();
    }
    views();
    Criterion::default().configure_from_args().final_summary();
}
