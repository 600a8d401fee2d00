//! The turn clock: forfeit at exactly `turn_secs` of running ticks, leaving, held seats.

use super::*;

/// Tick until just before the forfeit of a turn of `ticks` ticks that began before the
/// first of them; the next tick must forfeit `loser` to `winner`.
fn forfeits_after(h: &mut H, ticks: u64, loser: u32, winner: u32) {
    let t = h.run(ticks - 1).unwrap();
    assert!(t.ended.is_none(), "not one tick early");
    assert!(t.events.is_empty(), "{:?}", names(&t.events));
    assert_eq!(global(h, "turn"), i64::from(loser));
    assert!(global(h, "turn_ms_left") > 0);
    let t = h.tick().unwrap();
    assert_eq!(names(&t.events), ["forfeited"]);
    assert_eq!(int(t.events[0].field("player")), i64::from(loser));
    assert_eq!(t.ended.unwrap(), expected_end(vec![(winner, 1), (loser, 0)], winner, "forfeit"));
    assert_eq!((global(h, "winner"), global(h, "turn")), (i64::from(winner), 0));
    assert_eq!(global(h, "turn_ms_left"), 0);
}

#[test]
fn the_first_mover_forfeits_at_exactly_20_s_of_running_ticks() {
    let mut h = seated(Connect4Settings::default(), &[1, 2]);
    // Ticks before the match runs do not count.
    h.run(1000).unwrap();
    assert_eq!(global(&h, "turn_ms_left"), 0);
    h.start(MATCH_TICKS);
    forfeits_after(&mut h, 20 * u64::from(HZ), 1, 2);
}

#[test]
fn a_move_restarts_the_clock_for_the_other_player() {
    let mut h = running(&[1, 2]);
    h.run(500).unwrap();
    assert_eq!(global(&h, "turn_ms_left"), 100 * 1000 / i64::from(HZ), "1 has 100 ticks left");
    // 1 moves on the 501st tick of its turn; 2's 20 s begin with that same tick.
    drop(&mut h, 1, 3).unwrap().unwrap();
    let t = h.tick().unwrap();
    assert_eq!(names(&t.events), ["moved"]);
    assert_eq!(
        global(&h, "turn_ms_left"),
        599 * 1000 / i64::from(HZ),
        "2's full turn, less a tick"
    );
    forfeits_after(&mut h, 20 * u64::from(HZ) - 1, 2, 1);
}

#[test]
fn turn_ms_left_counts_down_in_ticks() {
    let mut h = running(&[1, 2]);
    h.tick().unwrap();
    assert_eq!(global(&h, "turn_ms_left"), 599 * 1000 / 30);
    h.run(299).unwrap();
    assert_eq!(global(&h, "turn_ms_left"), 10_000);
}

#[test]
fn turn_secs_is_honoured_at_any_tick_rate() {
    for (secs, hz) in [(5, 30), (7, 20), (300, 10)] {
        let mut h = H::new(Connect4Settings { turn_secs: secs }, 1, hz, 2).unwrap();
        h.join(record(8)).unwrap();
        h.join(record(6)).unwrap();
        h.start(u64::from(secs) * u64::from(hz) * 10);
        let ticks = u64::from(secs) * u64::from(hz);
        let t = h.run(ticks - 1).unwrap();
        assert!(t.ended.is_none(), "{secs} s at {hz} Hz: not one tick early");
        let t = h.tick().unwrap();
        let end = t.ended.unwrap_or_else(|| panic!("{secs} s at {hz} Hz"));
        assert_eq!(end, expected_end(vec![(8, 1), (6, 0)], 8, "forfeit"));
    }
}

#[test]
fn turn_secs_is_honoured_for_the_second_mover_too() {
    let mut h = H::new(Connect4Settings { turn_secs: 5 }, 1, HZ, 2).unwrap();
    h.join(record(1)).unwrap();
    h.join(record(2)).unwrap();
    h.start(MATCH_TICKS);
    drop(&mut h, 1, 3).unwrap().unwrap();
    let t = h.run(5 * u64::from(HZ) - 1).unwrap();
    assert_eq!(names(&t.events), ["moved"], "not one tick early");
    let t = h.tick().unwrap();
    assert_eq!(t.ended.unwrap(), expected_end(vec![(1, 1), (2, 0)], 1, "forfeit"));
}

#[test]
fn leaving_mid_match_forfeits() {
    let mut h = running(&[1, 2]);
    play(&mut h, 1, 2, &[3, 3]);
    h.leave(1);
    let t = h.tick().unwrap();
    assert_eq!(names(&t.events), ["forfeited"]);
    assert_eq!(int(t.events[0].field("player")), 1);
    assert_eq!(t.ended.unwrap(), expected_end(vec![(2, 1), (1, 0)], 2, "left"));
    assert_eq!(global(&h, "winner"), 2);
    // The leaver's entity is gone; its disc stays, still its own.
    assert!(h.view().get(1).is_none());
    let discs: Vec<i64> = h
        .view()
        .entities()
        .filter(|e| e.kind_name() == "disc")
        .map(|e| e.field("player").unwrap().as_i64().unwrap())
        .collect();
    assert_eq!(discs, [1, 2]);
}

#[test]
fn the_player_not_to_move_leaving_forfeits_too() {
    let mut h = running(&[1, 2]);
    h.tick().unwrap();
    h.leave(2);
    let t = h.tick().unwrap();
    assert_eq!(t.ended.unwrap(), expected_end(vec![(1, 1), (2, 0)], 1, "left"));
}

#[test]
fn leaving_before_play_begins_ends_nothing() {
    let mut h = seated(Connect4Settings::default(), &[1, 2]);
    h.leave(1);
    let t = h.tick().unwrap();
    assert!(t.ended.is_none() && t.events.is_empty());
    // The one left is now the lower id, colour 1; a newcomer with a higher id is colour 2.
    h.join(record(7)).unwrap();
    h.start(MATCH_TICKS);
    h.tick().unwrap();
    assert_eq!(global(&h, "turn"), 2);
}

#[test]
fn a_held_seat_keeps_its_clock_and_can_move_after_resuming() {
    let mut h = running(&[1, 2]);
    h.disconnect(1);
    h.run(20 * u64::from(HZ) - 2).unwrap();
    assert!(h.ended().is_none());
    h.resume(1);
    drop(&mut h, 1, 3).unwrap().unwrap();
    let t = h.tick().unwrap();
    assert_eq!(names(&t.events), ["moved"]);
    assert_eq!(global(&h, "turn"), 2);
    // And a held seat that never comes back forfeits on time, like any other.
    h.disconnect(2);
    let t = h.run(20 * u64::from(HZ)).unwrap();
    assert_eq!(t.ended.unwrap(), expected_end(vec![(1, 1), (2, 0)], 1, "forfeit"));
}

#[test]
fn the_match_running_out_of_time_scores_nobody() {
    let mut h = seated(Connect4Settings::default(), &[1, 2]);
    h.start(100);
    play(&mut h, 1, 2, &[3, 3]);
    let t = h.run(200).unwrap();
    let mut scores = t.ended.expect("the match's time is up").scores;
    scores.sort_unstable();
    assert_eq!(scores, [(1, 0), (2, 0)]);
    assert_eq!(global(&h, "winner"), 0);
}
