//! The phase machine in ticks: fill timeout with `min_players`, a full lobby, the countdown
//! falling back when players leave, the match length, results and the close.

use super::*;
use tickwave_protocol::ServerMessage;

fn lobby_state(msgs: &[ServerMessage]) -> Vec<(String, Option<u64>, u64)> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMessage::LobbyState(s) => Some((s.state.clone(), s.remaining_ms, s.tick)),
            _ => None,
        })
        .collect()
}

#[test]
fn seating_sends_match_found_state_and_roster_then_a_snapshot_then_deltas() {
    let mut sim = Sim::arena();
    sim.join(1);
    assert_eq!(sim.names(1), ["match_found", "lobby_state:waiting", "roster"]);
    sim.join(2);
    assert_eq!(sim.names(1), ["roster"], "the others learn of a join");
    let msgs = sim.recv(2);
    let ServerMessage::MatchFound(found) = &msgs[0] else { panic!("{msgs:?}") };
    assert_eq!((found.lobby, found.player, found.roster.len()), (7, 2, 2));
    assert_eq!(found.game, "arena");
    sim.tick();
    assert_eq!(sim.names(1), ["snapshot:1"], "fresh: the snapshot alone, no prelude");
    assert_eq!(sim.names(2), ["snapshot:1"]);
    sim.tick();
    assert_eq!(sim.names(2), ["delta:2<-1"]);
    assert_eq!(sim.count(&Output::Status), 2, "each seat publishes the status");
}

#[test]
fn with_min_players_the_fill_timeout_starts_the_countdown_then_the_match_then_results() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    sim.ticks(9);
    assert_eq!(sim.core.phase(), "waiting", "fill timeout is 10 ticks");
    sim.recv(1);
    sim.tick();
    assert_eq!(sim.core.phase(), "starting");
    let msgs = sim.recv(1);
    assert_eq!(lobby_state(&msgs), [("starting".into(), Some(500), 10)], "5 ticks at 10 Hz");
    sim.ticks(4);
    assert_eq!(sim.core.phase(), "starting");
    sim.recv(2);
    sim.tick();
    assert_eq!(sim.core.phase(), "running", "countdown of 5 ticks ends at tick 15");
    assert_eq!(lobby_state(&sim.recv(2)), [("running".into(), Some(2000), 15)]);
    sim.ticks(19);
    assert_eq!(sim.core.phase(), "running");
    assert!(!sim.core.is_done());
    sim.recv(1);
    let stats = sim.tick();
    assert!(sim.core.is_done(), "the match of 20 ticks ends at tick 35");
    assert!(!stats.viewed, "no state after the results");
    let msgs = sim.recv(1);
    let names: Vec<String> = msgs.iter().map(name).collect();
    assert_eq!(names, ["lobby_state:finished", "results", "lobby_closed:match over"]);
    let ServerMessage::Results { scores, .. } = &msgs[1] else { unreachable!() };
    let mut players: Vec<u32> = scores.iter().map(|s| s.player).collect();
    players.sort_unstable();
    assert_eq!(players, [1, 2]);
    assert!(scores.windows(2).all(|w| w[0].score >= w[1].score), "best first");
    assert_eq!((sim.ended(1), sim.ended(2)), (1, 1), "both sessions back to idle");
    let accepting: Vec<&Output> =
        sim.outputs.iter().filter(|o| matches!(o, Output::Accepting(_))).collect();
    assert_eq!(
        accepting,
        [&Output::Accepting(true), &Output::Accepting(true), &Output::Accepting(false)],
        "starting, running (backfill), finished"
    );
    assert!(!sim.core.admits());
    // A finished lobby does nothing more.
    assert_eq!(sim.tick(), TickStats::default());
    assert_eq!(sim.queued(1), 0);
}

#[test]
fn below_min_players_the_lobby_keeps_waiting() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.ticks(100);
    assert_eq!(sim.core.phase(), "waiting");
}

#[test]
fn a_full_lobby_starts_at_the_next_tick() {
    let mut sim = Sim::arena();
    for p in 1..=4 {
        sim.join(p);
    }
    assert!(!sim.core.admits(), "full");
    sim.tick();
    assert_eq!(sim.core.phase(), "starting");
}

#[test]
fn the_countdown_falls_back_to_waiting_below_min_and_the_fill_timeout_restarts() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    sim.ticks(12);
    assert_eq!(sim.core.phase(), "starting");
    let s2 = sim.session(2);
    sim.recv(2);
    sim.core.leave(2, s2);
    sim.drain_outputs();
    assert_eq!(sim.names(2), ["lobby_closed:left"]);
    assert_eq!(sim.count(&Output::SeatFreed), 1);
    sim.tick();
    assert_eq!(sim.core.phase(), "waiting", "tick 13: one player is below min");
    sim.join(3);
    sim.ticks(9);
    assert_eq!(sim.core.phase(), "waiting", "the timeout counts from tick 13");
    sim.tick();
    assert_eq!(sim.core.phase(), "starting", "tick 23");
}

#[test]
fn a_drain_closes_a_lobby_that_is_not_running_and_keeps_a_running_one() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    sim.core.drain();
    sim.drain_outputs();
    assert!(sim.core.is_done());
    assert_eq!(sim.names(1).last().map(String::as_str), Some("lobby_closed:server draining"));

    let mut sim = Sim::arena();
    for p in 1..=4 {
        sim.join(p);
    }
    sim.ticks(7);
    assert_eq!(sim.core.phase(), "running");
    sim.core.drain();
    sim.drain_outputs();
    assert!(!sim.core.is_done(), "a running match finishes");
    assert_eq!(sim.outputs.last(), Some(&Output::Accepting(false)));
    assert!(!sim.core.admits());
}

#[test]
fn an_operator_close_ends_the_lobby_for_everyone() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    sim.recv(1);
    sim.core.close("maintenance");
    assert!(sim.core.is_done());
    assert_eq!(sim.names(1), ["lobby_closed:maintenance"]);
    assert_eq!(sim.ended(2), 1);
}
