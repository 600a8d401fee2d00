//! Game code failing (a panic, a view that breaks its schema) and chat.

use super::*;
use crate::lobby::core::Failure;
use crate::lobby::core::chat::STATE_RESERVE;
use tickwave_protocol::ErrorCode;

fn faulty(f: impl FnOnce(&mut Faulty)) -> Sim {
    let mut g = Faulty::new();
    f(&mut g);
    let mut s = settings();
    s.fill_timeout_ticks = 10_000;
    Sim::new(s, Box::new(g))
}

#[test]
fn a_panic_in_step_ends_only_this_lobby_with_lobby_failed() {
    let mut sim = faulty(|g| g.panic_at = Some(3));
    sim.join(1);
    sim.join(2);
    sim.ticks(2);
    sim.recv(1);
    let stats = sim.tick();
    assert_eq!(stats, TickStats::default());
    assert!(sim.core.is_done());
    assert_eq!(sim.names(1), ["error:lobby_failed", "lobby_closed:lobby failed"]);
    assert_eq!(sim.ended(2), 1);
    assert_eq!(sim.count(&Output::Failed(Failure::Panic("faulty game: step 3".into()))), 1);
    assert_eq!(sim.count(&Output::ErrorSent(ErrorCode::LobbyFailed)), 2, "one per member");
    // Nothing runs any more, and nothing is sent.
    sim.tick();
    sim.core.chat(1, "hello");
    assert_eq!(sim.queued(1), 0);
}

#[test]
fn a_view_that_breaks_its_schema_ends_the_lobby_before_it_is_sent() {
    let mut sim = faulty(|g| g.bad_view_at = Some(2));
    sim.join(1);
    sim.tick();
    assert_eq!(sim.names(1), ["match_found", "lobby_state:waiting", "roster", "snapshot:1"]);
    let stats = sim.tick();
    assert!(!stats.viewed);
    assert_eq!(sim.names(1), ["error:lobby_failed", "lobby_closed:lobby failed"]);
    assert!(sim.outputs.iter().any(|o| matches!(o, Output::Failed(Failure::BadView(_)))));
}

#[test]
fn a_panic_in_a_message_handler_ends_the_lobby_too() {
    let mut sim = faulty(|g| g.panic_on_chat = true);
    sim.join(1);
    sim.recv(1);
    assert_eq!(sim.core.chat(1, "hi"), None);
    sim.drain_outputs();
    assert!(sim.core.is_done());
    assert_eq!(sim.names(1), ["error:lobby_failed", "lobby_closed:lobby failed"]);
}

#[test]
fn chat_goes_to_everyone_once_encoded_and_the_game_filters_it() {
    let mut sim = faulty(|_| {});
    sim.join(1);
    sim.join(2);
    sim.ticks(1);
    sim.recv(1);
    sim.recv(2);
    assert_eq!(sim.core.chat(1, "hello"), Some(0));
    assert_eq!(sim.names(2), ["chat:hello"]);
    assert_eq!(sim.names(1), ["chat:hello"], "echoed to the sender");
    assert_eq!(sim.core.chat(1, "blocked"), None, "the game's filter dropped it");
    assert_eq!(sim.core.chat(9, "who?"), None, "not a member");
    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    assert_eq!(sim.core.chat(2, "from a held seat"), None);
    assert_eq!(sim.core.chat_log().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["hello"]);
}

#[test]
fn a_joining_player_gets_the_recent_chat_after_its_snapshot() {
    let mut sim = faulty(|_| {});
    sim.join(1);
    for text in ["a", "b", "c", "d"] {
        sim.core.chat(1, text);
    }
    sim.join(2);
    assert_eq!(sim.names(2), ["match_found", "lobby_state:waiting", "roster"], "no chat yet");
    sim.tick();
    assert_eq!(sim.names(2), ["snapshot:1", "chat:b", "chat:c", "chat:d"], "the last 3 lines");
}

#[test]
fn chat_keeps_room_for_state_and_a_slow_reader_drops_its_oldest_lines() {
    let mut sim = faulty(|_| {});
    sim.join(1);
    let cap = STATE_RESERVE + 4;
    sim.join_with(2, cap);
    sim.tick();
    sim.recv(1);
    sim.recv(2);
    // Player 2's queue holds 4 chat lines, then keeps the reserve free for state.
    let mut dropped = 0;
    for i in 0..10 {
        dropped += sim.core.chat(1, &format!("line {i}")).unwrap();
    }
    assert_eq!(sim.queued(2), 4, "chat stops at the state reserve");
    assert_eq!(dropped, 2, "a backlog of 4 kept the newest: 4 queued + 4 waiting of 10");
    assert_eq!(sim.core.members()[1].chat_dropped, 2);
    sim.tick();
    assert_eq!(sim.tick().lagging, 0, "state still fits");
    let names = sim.names(2);
    assert_eq!(&names[..4], ["chat:line 0", "chat:line 1", "chat:line 2", "chat:line 3"]);
    assert!(names[4].starts_with("delta:"));
    sim.tick();
    let names = sim.names(2);
    assert_eq!(names[0], "delta:4<-3".to_string());
    assert_eq!(&names[1..], ["chat:line 6", "chat:line 7", "chat:line 8"], "down to the reserve");
    sim.tick();
    assert_eq!(sim.names(2), ["delta:5<-4", "chat:line 9"]);
}
