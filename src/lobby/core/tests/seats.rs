//! Seats: a dropped player's seat held for the grace period (in ticks), resuming with a
//! catch-up delta or a snapshot, refusals, and messages about an older connection.

use super::*;
use crate::lobby::core::RECENT_TICKS;
use tickwave_protocol::{Delta, ServerMessage};

/// What a client holds: the state it was sent, applied as a client applies it.
#[derive(Default)]
pub(super) struct Client {
    pub(super) view: WorldView,
    pub(super) tick: Option<u64>,
}

impl Client {
    pub(super) fn apply(&mut self, msgs: &[ServerMessage]) {
        for m in msgs {
            match m {
                ServerMessage::Snapshot(s) => {
                    self.view = s.entities.clone();
                    self.tick = Some(s.tick);
                }
                ServerMessage::Delta(d) => {
                    assert_eq!(Some(d.base), self.tick, "a delta applies to the tick held");
                    let delta = Delta {
                        added: d.added.clone(),
                        changed: d.changed.clone(),
                        removed: d.removed.clone(),
                    };
                    self.view.apply(&delta).expect("the delta applies");
                    self.tick = Some(d.tick);
                }
                _ => {}
            }
        }
    }
}

pub(super) fn rejoin(sim: &mut Sim, player: u32, last_tick: Option<u64>) -> Result<(), SimLink> {
    let link = sim.link(player, CAP);
    let r = sim.core.rejoin(player, format!("p{player}").into(), link, last_tick);
    sim.drain_outputs();
    r
}

fn roster_connected(msgs: &[ServerMessage], player: u32) -> Option<bool> {
    msgs.iter().rev().find_map(|m| match m {
        ServerMessage::Roster(r) => {
            r.players.iter().find(|p| p.player == player).map(|p| p.connected)
        }
        _ => None,
    })
}

#[test]
fn a_held_seat_expires_after_the_grace_ticks() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    sim.ticks(3);
    sim.recv(1);
    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    assert_eq!(roster_connected(&sim.recv(1), 2), Some(false), "the others see it dropped");
    sim.ticks(7);
    assert!(sim.core.is_member(2), "tick 10: within 8 ticks of grace");
    assert_eq!(sim.count(&Output::SeatFreed), 0);
    sim.recv(1);
    sim.tick();
    assert!(!sim.core.is_member(2), "tick 11: the hold expired");
    assert_eq!(sim.count(&Output::SeatFreed), 1);
    let msgs = sim.recv(1);
    let left = msgs.iter().find_map(|m| match m {
        ServerMessage::Roster(r) => Some(r.left.clone()),
        _ => None,
    });
    assert_eq!(left, Some(vec![2]));
    assert!(rejoin(&mut sim, 2, Some(3)).is_err(), "too late: the link comes back refused");
}

#[test]
fn the_last_connected_player_dropping_with_no_grace_ends_the_lobby() {
    let mut s = settings();
    s.grace_ticks = 0;
    let mut sim = Sim::new(s, arena(4));
    sim.join(1);
    let s1 = sim.session(1);
    sim.core.disconnect(1, s1);
    assert!(sim.core.is_done());
}

#[test]
fn a_resume_within_the_ring_gets_one_catch_up_delta_then_deltas() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    let mut client = Client::default();
    for _ in 0..5 {
        sim.tick();
        client.apply(&sim.recv(2));
    }
    assert_eq!(client.tick, Some(5));
    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    sim.ticks(3);
    rejoin(&mut sim, 2, client.tick).expect("the seat is held");
    let msgs = sim.recv(2);
    let names: Vec<String> = msgs.iter().map(name).collect();
    assert_eq!(names, ["match_found", "lobby_state:waiting", "delta:8<-5", "roster"]);
    client.apply(&msgs);
    assert_eq!(client.view.entities(), sim.core.last_view_v1().entities(), "caught up to tick 8");
    assert_eq!(roster_connected(&sim.recv(1), 2), Some(true));
    sim.tick();
    let msgs = sim.recv(2);
    assert_eq!(msgs.iter().map(name).collect::<Vec<_>>(), ["delta:9<-8"]);
    client.apply(&msgs);
    assert_eq!(client.view.entities(), sim.core.last_view_v1().entities());
}

#[test]
fn a_resume_holding_the_latest_tick_just_continues() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    sim.ticks(4);
    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    rejoin(&mut sim, 2, Some(4)).unwrap();
    assert_eq!(sim.names(2), ["match_found", "lobby_state:waiting", "roster"]);
    sim.tick();
    assert_eq!(sim.names(2), ["delta:5<-4"]);
}

#[test]
fn a_resume_older_than_the_ring_or_without_a_tick_gets_a_snapshot() {
    let mut s = settings();
    s.grace_ticks = 1000;
    s.fill_timeout_ticks = 10_000;
    let mut sim = Sim::new(s, arena(4));
    sim.join(1);
    sim.join(2);
    sim.ticks(3);
    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    sim.ticks(RECENT_TICKS as u64 + 1);
    rejoin(&mut sim, 2, Some(3)).unwrap();
    assert_eq!(sim.names(2), ["match_found", "lobby_state:waiting", "roster"]);
    let next = sim.core.tick_count() + 1;
    sim.tick();
    assert_eq!(sim.names(2), [format!("snapshot:{next}")], "fresh again: no prelude");

    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    rejoin(&mut sim, 2, None).unwrap();
    sim.recv(2);
    sim.tick();
    assert!(sim.names(2)[0].starts_with("snapshot:"));
}

#[test]
fn a_resume_before_any_state_of_this_lobby_gets_a_snapshot() {
    // A `last_tick` from an earlier lobby (tick numbers overlap) must not be used as a base.
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join_with(2, 1);
    sim.ticks(3);
    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    rejoin(&mut sim, 2, Some(2)).unwrap();
    assert_eq!(sim.names(2), ["match_found", "lobby_state:waiting", "roster"]);
    sim.tick();
    assert_eq!(sim.names(2), ["snapshot:4"]);
}

#[test]
fn leave_and_disconnect_of_an_older_connection_are_ignored() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    let old = sim.session(2);
    sim.core.disconnect(2, old);
    rejoin(&mut sim, 2, None).unwrap();
    sim.core.leave(2, old);
    sim.core.disconnect(2, old);
    assert!(sim.core.is_member(2));
    assert_eq!(roster_connected(&sim.recv(1), 2), Some(true));
    let new = sim.session(2);
    sim.core.leave(2, new);
    assert!(!sim.core.is_member(2));
}

#[test]
fn a_closed_queue_at_the_tick_holds_the_seat() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    sim.tick();
    sim.close_queue(2);
    sim.recv(1);
    sim.tick();
    assert!(sim.core.is_member(2));
    assert_eq!(roster_connected(&sim.recv(1), 2), Some(false));
}

#[test]
fn the_last_member_leaving_ends_the_lobby() {
    let mut sim = Sim::arena();
    sim.join(1);
    let s1 = sim.session(1);
    sim.core.leave(1, s1);
    assert!(sim.core.is_done());
    assert_eq!(sim.ended(1), 1);
}
