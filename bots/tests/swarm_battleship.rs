//! The swarm playing battleship (PROTOCOL.md §6.2.1) against the real server binary over
//! wss (port 0, pinned certificate): bots queue in pairs, fire in turn at cells they have
//! not tried (hunting around their hits) until a fleet is sunk, and queue again. Every shot
//! is one the game accepts, and every state message (each player's own view, with the
//! opponent's fleet hidden) applies.

mod common;

use common::Server;
use std::time::Duration;
use tickwave_bots::swarm::{self, SwarmConfig};

/// Battleship in lobbies of two at 30 Hz, so that a game of some 130 shots takes seconds
/// (a bot then fires about 15 times a second, below a session's 20 commands per second).
const MODE: &str = "[[mode]]\nname = \"battleship\"\ngame = \"battleship\"\nmax_players = 2\n\
    min_players = 2\ncountdown_ms = 0\nfill_timeout_ms = 0\nbackfill = false\n\
    match_length_ms = 600000\ntick_hz = 30\n\n";

#[test]
fn battleship_bots_play_whole_games_and_queue_again() {
    let s = Server::start(MODE);
    let cfg = SwarmConfig {
        bots: 6,
        ramp: 0.0,
        duration: Duration::from_secs(12),
        warmup: Duration::from_millis(500),
        mode: "battleship".into(),
        ..SwarmConfig::new(s.url.clone(), s.check())
    };
    let r = swarm::run(cfg).expect("the swarm runs");
    let table = r.table();
    eprintln!("{table}");
    assert_eq!(r.errors.total, 0, "{table}\n{}", s.log_text());
    for kind in ["decode", "base_mismatch", "tick_backwards", "delta_apply"] {
        assert_eq!(r.errors.by_kind[kind], 0, "{kind}\n{table}");
    }
    assert_eq!(r.bots.matched, 6, "{table}");
    let g = &r.games;
    // Games end by a sunk fleet: a winner and a loser each, reason `won`.
    assert!(g.finished >= 3, "{table}");
    assert_eq!(g.wins, g.losses, "{table}");
    assert!(g.wins >= g.finished && g.draws == 0 && g.forfeits == 0, "{table}");
    assert_eq!(g.end_reasons.keys().collect::<Vec<_>>(), ["won"], "{table}");
    assert!(r.bots.matches > 6, "bots queued again after their games\n{table}");
    // Every shot was the bot's turn, on the board and at a cell it had not tried.
    assert!(g.command_refusals.is_empty(), "{:?}\n{table}", g.command_refusals);
    assert!(g.commands_sent > 100 && g.command_results + 6 >= g.commands_sent, "{table}");
    // A fleet is 17 cells: a game is at least 17 shots of the winner's.
    assert!(g.events["shot"] >= 2 * 17 * g.finished, "{table}");
    assert_eq!(r.traffic.inputs_sent, 0, "{table}");
}
