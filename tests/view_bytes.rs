//! Issue 16, item 7 (the bytes): a 64-player `fog` lobby sends each player at most 1.5x the
//! state bytes per second of a 16-player `arena` lobby, on the same scripted play, counted
//! through the server's own lobby core (deterministic: counts, not timings). The figures
//! are printed; `cargo bench --bench views` prints the same ones.

#[path = "../benches/support/views.rs"]
#[allow(dead_code, unreachable_pub)]
mod views;

use views::{Game, measure};

#[test]
fn fog_sends_each_player_at_most_one_and_a_half_times_the_arenas_bytes() {
    let arena = measure(Game::Arena, 16);
    let fog = measure(Game::Fog, 64);
    eprintln!("{arena:?}\n{fog:?}");
    let ratio = fog.bytes_per_player_s / arena.bytes_per_player_s;
    eprintln!("fog / arena bytes per player per second: {ratio:.2}");
    assert!(ratio <= 1.5, "fog sends {ratio:.2}x the arena's bytes per player");
    // The arena scopes nothing: one view and one encode a tick.
    assert_eq!((arena.encodes_max, arena.views_mean), (1, 1.0));
    // Fog's views are shared where they can be: never more than one per player, plus
    // snapshots of views that changed.
    assert!(fog.views_mean <= 64.0 && fog.views_mean >= 2.0, "{fog:?}");
}
