//! A mode that sends state less often than it ticks (`send_hz < tick_hz`): the game runs
//! every tick, state goes out on the send ticks only, each delta spans the skipped ticks, and
//! acks, catch-up and resyncs work on the sent ticks.

use super::seats::{Client, rejoin};
use super::*;

fn sim(send_hz: u32) -> Sim {
    let s = Settings { send_hz, ..settings() };
    let max = s.max_players;
    Sim::new(s, arena(max))
}

fn sends(core: &Core<SimLink>, ticks: std::ops::RangeInclusive<u64>) -> Vec<u64> {
    ticks.filter(|t| core.sends_state_at(*t)).collect()
}

#[test]
fn send_ticks_are_spread_evenly_for_any_rate() {
    // The test lobby ticks at 10 Hz.
    assert_eq!(sends(&sim(10).core, 1..=10), (1..=10).collect::<Vec<_>>(), "every tick");
    assert_eq!(sends(&sim(5).core, 1..=10), [2, 4, 6, 8, 10]);
    assert_eq!(sends(&sim(3).core, 1..=10), [4, 7, 10], "3 of every 10, not a divisor");
    assert_eq!(sends(&sim(1).core, 1..=30), [10, 20, 30]);
    for rate in 1..=10 {
        assert_eq!(sends(&sim(rate).core, 1..=1000).len() as u32, rate * 100, "{rate} Hz");
    }
}

#[test]
fn state_goes_out_on_send_ticks_only_and_each_delta_spans_the_skipped_ticks() {
    let mut sim = sim(5);
    sim.join(1);
    sim.join(2);
    sim.recv(1);
    let mut client = Client::default();
    let mut seen = Vec::new();
    for _ in 0..8 {
        let stats = sim.tick();
        let msgs = sim.recv(1);
        seen.extend(
            msgs.iter().map(name).filter(|n| n.starts_with("delta") || n.starts_with("snapshot")),
        );
        assert_eq!(stats.viewed, sim.core.sends_state_at(sim.core.tick_count()));
        client.apply(&msgs);
    }
    assert_eq!(seen, ["snapshot:2", "delta:4<-2", "delta:6<-4", "delta:8<-6"]);
    assert_eq!(
        client.view.entities(),
        sim.core.last_view_v1().entities(),
        "the client holds tick 8"
    );
}

#[test]
fn an_input_applied_on_a_skipped_tick_is_acked_by_the_next_state_message() {
    let mut sim = sim(5);
    sim.join(1);
    sim.join(2);
    sim.ticks(2);
    sim.recv(1);
    sim.input(1, 1);
    let stats = sim.tick(); // tick 3: applied, nothing sent
    assert_eq!((stats.inputs, stats.state_messages), (1, 0));
    assert!(sim.recv(1).is_empty());
    sim.tick(); // tick 4
    let msgs = sim.recv(1);
    let ServerMessage::Delta(d) = &msgs[0] else { panic!("{msgs:?}") };
    assert_eq!((d.tick, d.base), (4, 2));
    assert_eq!(d.acks, [(1, 1), (2, 0)]);
}

#[test]
fn a_resume_catches_up_from_a_sent_tick_with_one_delta() {
    let mut sim = sim(5);
    sim.join(1);
    sim.join(2);
    let mut client = Client::default();
    for _ in 0..6 {
        sim.tick();
        client.apply(&sim.recv(2));
    }
    assert_eq!(client.tick, Some(6));
    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    sim.ticks(3); // ticks 7, 8, 9: 8 was sent to the others
    rejoin(&mut sim, 2, client.tick).expect("the seat is held");
    let msgs = sim.recv(2);
    assert!(
        msgs.iter().map(name).any(|n| n == "delta:8<-6"),
        "{:?}",
        msgs.iter().map(name).collect::<Vec<_>>()
    );
    client.apply(&msgs);
    sim.tick(); // tick 10
    let msgs = sim.recv(2);
    let state: Vec<String> = msgs.iter().map(name).filter(|n| n.starts_with("delta")).collect();
    assert_eq!(state, ["delta:10<-8"]);
    client.apply(&msgs);
    assert_eq!(client.view.entities(), sim.core.last_view_v1().entities());
}

#[test]
fn match_found_names_the_send_rate_only_when_it_differs_from_the_tick_rate() {
    for (rate, want) in [(5, Some(5)), (10, None)] {
        let mut sim = sim(rate);
        sim.join(1);
        let msgs = sim.recv(1);
        let ServerMessage::MatchFound(m) = &msgs[0] else { panic!("{msgs:?}") };
        assert_eq!(m.send_hz, want);
    }
}
