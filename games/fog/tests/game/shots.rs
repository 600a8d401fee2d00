//! Shots: who sees them, where they fly, what they hit.

use super::*;
use tickwave::game::v2::HarnessEvent;
use tickwave::game::v2::schema::Value;

/// Players 1 (team 0) and 2 (team 1) face each other on one row, `gap` units apart
/// (player 1 to the left); also players 3 (team 0) and 4 (team 1) far away.
fn duel(gap: i64) -> H {
    let mut h = running(unit_steps(), 11, 4);
    h.tick().unwrap();
    while pos(&h, 2).1 != pos(&h, 1).1 || pos(&h, 2).0 - pos(&h, 1).0 != gap {
        let dy = (pos(&h, 1).1 - pos(&h, 2).1).signum() as f32;
        let dx =
            if dy != 0.0 { 0.0 } else { (gap - (pos(&h, 2).0 - pos(&h, 1).0)).signum() as f32 };
        hold(&mut h, 2, dx, dy, 0.0, false);
        h.tick().unwrap();
    }
    hold(&mut h, 2, 0.0, 0.0, 0.0, false);
    h
}

fn int(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Int(i)) => *i,
        other => panic!("not an int: {other:?}"),
    }
}

fn kills(events: &[HarnessEvent]) -> Vec<(i64, i64)> {
    events
        .iter()
        .filter(|e| e.name == "kill")
        .map(|e| (int(e.field("killer")), int(e.field("victim"))))
        .collect()
}

#[test]
fn a_shot_is_sent_once_with_its_origin_and_velocity_and_seen_by_team_and_nearby() {
    let mut h = duel(20);
    let (x1, y1) = pos(&h, 1);
    // Player 1 fires along +x (aim 0) towards player 2.
    hold(&mut h, 1, 0.0, 0.0, 0.0, true);
    let fired = h.tick().unwrap().tick;
    hold(&mut h, 1, 0.0, 0.0, 0.0, false);
    let shots = ids(h.view(), "shot");
    assert_eq!(shots.len(), 1);
    let s = shots[0];
    assert!(s >= 1 << 31, "shot ids are game ids");
    let w = h.view();
    assert_eq!((field(w, s, "x"), field(w, s, "y")), (x1, y1));
    // 45 units/s at 30 Hz: 150 hundredths a tick along +x.
    assert_eq!((field(w, s, "vx"), field(w, s, "vy")), (150, 0));
    assert_eq!(field(w, s, "fired"), fired as i64);
    assert_eq!(field(w, s, "owner"), 1);
    assert_eq!(field(w, 1, "aim"), 0);
    // The shooter, its far teammate and the near opponent see it; the far opponent does not.
    for (viewer, sees) in [(1, true), (3, true), (2, true), (4, false)] {
        assert_eq!(h.view_of(viewer).get(s).is_some(), sees, "viewer {viewer}");
    }
    // It flies without changing: the same fields a tick later.
    let before = h.view().get(s).unwrap().values().map(|v| format!("{v:?}")).collect::<Vec<_>>();
    h.tick().unwrap();
    let after = h.view().get(s).unwrap().values().map(|v| format!("{v:?}")).collect::<Vec<_>>();
    assert_eq!(before, after);
}

#[test]
fn a_shot_hits_the_opponent_in_its_path_and_five_hits_kill() {
    let mut h = duel(10);
    hold(&mut h, 1, 0.0, 0.0, 0.0, true);
    let mut events = Vec::new();
    // 300 ms between shots: 9 ticks; 10 units at 1.5 a tick: a hit 7 ticks after firing.
    for _ in 0..60 {
        events.extend(h.tick().unwrap().events);
        if !kills(&events).is_empty() {
            break;
        }
    }
    assert_eq!(kills(&events), [(1, 2)]);
    assert_eq!(field(h.view(), 2, "hp"), 0, "down");
    assert_eq!(field(h.view(), 1, "score"), 1);
    let team0 = h.view().global_named("score0").unwrap().as_i64();
    assert_eq!(team0, Some(1));
    // Shots at a downed player fly through; 3 s later it is back, full, on its side.
    hold(&mut h, 1, 0.0, 0.0, 0.0, false);
    let report = h.run(91).unwrap();
    assert!(kills(&report.events).is_empty());
    assert_eq!(field(h.view(), 2, "hp"), 100);
    assert!(pos(&h, 2).0 >= 90, "respawned on team 1's side");
}

#[test]
fn before_the_match_runs_shots_do_no_damage() {
    let mut h = duel(10);
    h.set_phase(tickwave::game::v2::Phase::Waiting);
    hold(&mut h, 1, 0.0, 0.0, 0.0, true);
    h.run(40).unwrap();
    assert_eq!(field(h.view(), 2, "hp"), 100);
}

#[test]
fn a_player_never_hits_a_teammate() {
    // Player 3 is player 1's teammate: stand it in the line of fire.
    let mut h = running(unit_steps(), 11, 4);
    h.tick().unwrap();
    while pos(&h, 3) != (pos(&h, 1).0 + 5, pos(&h, 1).1) {
        let (a, b) = (pos(&h, 1), pos(&h, 3));
        let dy = (a.1 - b.1).signum() as f32;
        let dx = if dy != 0.0 { 0.0 } else { (a.0 + 5 - b.0).signum() as f32 };
        hold(&mut h, 3, dx, dy, 0.0, false);
        h.tick().unwrap();
    }
    hold(&mut h, 3, 0.0, 0.0, 0.0, false);
    hold(&mut h, 1, 0.0, 0.0, 0.0, true);
    h.run(40).unwrap();
    assert_eq!(field(h.view(), 3, "hp"), 100);
}
