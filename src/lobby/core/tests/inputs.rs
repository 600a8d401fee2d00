//! Inputs and fan-out: sequence numbers and acks, and a member whose queue is full.

use super::*;
use crate::lobby::core::fanout::{MAX_PENDING_INPUTS, MAX_SEQ_STEP};
use tickwave_protocol::{ErrorCode, ServerMessage};

fn acks(msgs: &[ServerMessage]) -> Vec<(u32, u64)> {
    msgs.iter()
        .rev()
        .find_map(|m| match m {
            ServerMessage::Delta(d) => Some(d.acks.clone()),
            ServerMessage::Snapshot(s) => Some(s.acks.clone()),
            _ => None,
        })
        .expect("a state message")
}

#[test]
fn stale_and_repeated_inputs_are_ignored_and_the_last_applied_is_acked() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    for seq in [1, 2, 2, 1, 3] {
        sim.input(1, seq);
    }
    sim.input(2, 5);
    let stats = sim.tick();
    assert_eq!(stats.inputs, 4, "1, 2 and 3 of player 1, 5 of player 2");
    assert_eq!(acks(&sim.recv(1)), [(1, 3), (2, 5)], "sorted by player");
    sim.input(1, 3);
    sim.input(1, 2);
    assert_eq!(sim.tick().inputs, 0, "already applied");
    assert_eq!(acks(&sim.recv(2)), [(1, 3), (2, 5)]);
    sim.input(1, 4);
    assert_eq!(sim.tick().inputs, 1);
    assert_eq!(acks(&sim.recv(2)), [(1, 4), (2, 5)]);
}

#[test]
fn a_sequence_jump_beyond_the_limit_is_refused_with_an_error() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.recv(1);
    sim.input(1, 10);
    sim.input(1, 10 + MAX_SEQ_STEP + 1);
    let msgs = sim.recv(1);
    let ServerMessage::Error { code, fatal, .. } = &msgs[0] else { panic!("{msgs:?}") };
    assert_eq!((*code, *fatal), (ErrorCode::InvalidInput, false));
    sim.drain_outputs();
    assert_eq!(sim.count(&Output::ErrorSent(ErrorCode::InvalidInput)), 1);
    sim.input(1, 10 + MAX_SEQ_STEP);
    sim.tick();
    assert_eq!(acks(&sim.recv(1)), [(1, 10 + MAX_SEQ_STEP)], "a step of exactly the limit is fine");
    assert_eq!(sim.core.members()[0].inputs_dropped, 1);
}

#[test]
fn pending_inputs_are_bounded_and_the_oldest_dropped() {
    let mut sim = Sim::arena();
    sim.join(1);
    let n = MAX_PENDING_INPUTS as u64 + 5;
    for seq in 1..=n {
        sim.input(1, seq);
    }
    assert_eq!(sim.tick().inputs, MAX_PENDING_INPUTS as u64);
    assert_eq!(sim.core.members()[0].inputs_dropped, 5);
    assert_eq!(acks(&sim.recv(1)), [(1, n)]);
}

#[test]
fn inputs_of_a_held_seat_are_not_taken() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.join(2);
    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    sim.input(2, 1);
    assert_eq!(sim.tick().inputs, 0);
}

#[test]
fn input_lag_is_the_time_from_arrival_to_the_tick() {
    let mut sim = Sim::arena();
    sim.join(1);
    sim.input(1, 1); // arrives at 0 ms, applied at the tick at 100 ms
    sim.tick();
    let lag = sim.core.members()[0].input_lag_ms;
    assert!((lag - 100.0 / 8.0).abs() < 1e-9, "EWMA of gain 1/8 from 0: {lag}");
}

#[test]
fn a_member_with_a_full_queue_skips_deltas_then_is_resynced_with_a_snapshot() {
    let mut s = settings();
    s.fill_timeout_ticks = 10_000; // no phase change (and its broadcast) in the way
    let mut sim = Sim::new(s, arena(4));
    sim.join(1);
    // Room for the seat's three messages, the first snapshot and a handful of deltas.
    sim.join_with(2, 9);
    sim.tick();
    assert_eq!(sim.names(2), ["match_found", "lobby_state:waiting", "roster", "snapshot:1"]);
    // Player 2 stops reading: 9 deltas fill its queue, the 10th does not fit.
    for _ in 0..9 {
        assert_eq!(sim.tick().lagging, 0);
    }
    assert_eq!(sim.queued(2), 9);
    let stats = sim.tick();
    assert_eq!(stats.lagging, 1, "tick 11: the queue is full");
    assert_eq!(stats.state_messages, 1, "player 1 still got its delta");
    assert_eq!(sim.core.members()[1].resyncs, 1);
    // Still full: no delta is tried (it would not apply without the missed ones).
    sim.ticks(3);
    assert_eq!(sim.core.members()[1].resyncs, 1, "counted once per episode");
    // The client reads a little, not enough for the resync (4 + roster + lobby state).
    sim.links[&2].q.borrow_mut().frames.drain(..4);
    sim.tick();
    assert_eq!(sim.queued(2), 5, "too little room: skipped");
    // It catches up with its reading: roster, lobby state and one snapshot, then deltas.
    let before = sim.names(2);
    assert!(before.iter().all(|n| n.starts_with("delta:")), "{before:?}");
    let t = sim.core.tick_count() + 1;
    let stats = sim.tick();
    assert_eq!(stats.state_messages, 2, "a delta to player 1, the snapshot to player 2");
    assert_eq!(
        sim.names(2),
        ["roster".to_string(), "lobby_state:waiting".into(), format!("snapshot:{t}")]
    );
    sim.tick();
    assert_eq!(sim.names(2), [format!("delta:{}<-{t}", t + 1)]);
}

#[test]
fn one_encoding_per_tick_is_shared_by_every_member() {
    let mut sim = Sim::arena();
    for p in 1..=3 {
        sim.join(p);
    }
    sim.ticks(2);
    for p in 1..=3 {
        sim.recv(p);
    }
    sim.tick();
    let frames: Vec<Bytes> =
        (1..=3).map(|p| sim.links[&p].q.borrow().frames.front().cloned().unwrap()).collect();
    assert!(
        frames.windows(2).all(|w| w[0].as_ptr() == w[1].as_ptr()),
        "the same Bytes (one allocation), not equal copies"
    );
    assert_eq!(sim.core.last_delta_len(), frames[0].len());
}
