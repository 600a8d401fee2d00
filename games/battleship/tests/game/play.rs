//! Whole games: ships sunk one by one, the win, a player leaving, the match's time running
//! out.

use super::*;
use tickwave_battleship::{FLEET, FLEET_CELLS};

/// 1 fires at every cell of 2's fleet, ship by ship, while 2 fires at water; returns every
/// event. Stops after 1's last shot.
fn sink_everything(h: &mut H) -> Vec<HarnessEvent> {
    let target = Fleet::random(SEED, 2);
    let mut misses = water(&Fleet::random(SEED, 1)).into_iter();
    let mut events = Vec::new();
    let cells: Vec<_> = target.cells().collect();
    for (n, (_, (x, y))) in cells.iter().enumerate() {
        events.extend(shoot(h, 1, (*x).into(), (*y).into()));
        if n + 1 < cells.len() {
            let (mx, my) = misses.next().unwrap();
            events.extend(shoot(h, 2, mx, my));
        }
    }
    events
}

#[test]
fn sinking_every_ship_wins_with_hit_sunk_events_and_the_payload() {
    let mut h = running(&[1, 2]);
    h.tick().unwrap();
    let target = Fleet::random(SEED, 2);
    let events = sink_everything(&mut h);
    let mine: Vec<_> = shots(&events).into_iter().filter(|s| s.0 == 1).collect();
    assert_eq!(mine.len(), FLEET_CELLS);
    // Ship by ship: every cell but the last is `hit`, the last `sunk`.
    let mut i = 0;
    for (ship, &len) in FLEET.iter().enumerate() {
        for (k, (x, y)) in target.ship(ship).cells().enumerate() {
            let want = if k + 1 == usize::from(len) { "sunk" } else { "hit" };
            assert_eq!(mine[i], (1, x.into(), y.into(), want.to_owned()), "ship {ship} cell {k}");
            i += 1;
        }
    }
    let theirs = shots(&events).into_iter().filter(|s| s.0 == 2);
    assert!(theirs.clone().all(|s| s.3 == "miss"));
    assert_eq!(theirs.count(), FLEET_CELLS - 1);
    // The end: 1 hit 17 cells, 2 none.
    let end = h.ended().expect("the match ended");
    assert_eq!(end, &expected_end(vec![(1, 17), (2, 0)], 1, "won"));
    assert_eq!((field(&h, 2, "ships_left"), field(&h, 1, "ships_left")), (0, 5));
    assert_eq!((field(&h, 1, "shots"), field(&h, 2, "shots")), (17, 16));
    assert_eq!(global(&h, "turn"), 0);
    // No more shots once decided.
    let r = refused_fire(&mut h, 2, 9, 9);
    assert_eq!(
        (r.code.as_ref(), r.message.as_str()),
        ("not_running", "the game is decided: no more shots")
    );
    assert_eq!(h.join(record(3)).unwrap_err().code, "game_over");
}

#[test]
fn ships_left_counts_down_as_ships_sink() {
    let mut h = running(&[1, 2]);
    let target = Fleet::random(SEED, 2);
    let mut misses = water(&Fleet::random(SEED, 1)).into_iter();
    // Sink the destroyer (ship 4) only.
    for (x, y) in target.ship(4).cells() {
        shoot(&mut h, 1, x.into(), y.into());
        let (mx, my) = misses.next().unwrap();
        shoot(&mut h, 2, mx, my);
    }
    assert_eq!(field(&h, 2, "ships_left"), 4);
    assert!(h.ended().is_none());
}

#[test]
fn a_player_leaving_mid_match_gives_the_other_the_win() {
    let mut h = running(&[1, 2]);
    let (x, y) = fleet_cells(&Fleet::random(SEED, 1))[0];
    shoot(&mut h, 1, 0, 0);
    shoot(&mut h, 2, x as i32, y as i32);
    h.leave(1);
    let t = h.tick().unwrap();
    assert_eq!(t.ended, Some(expected_end(vec![(1, i64::from(is_hit(0, 0))), (2, 1)], 2, "left")));
    assert!(h.view().get(1).is_none(), "the leaver's entity is gone");
}

/// Whether (x, y) is a cell of 2's fleet.
fn is_hit(x: u8, y: u8) -> bool {
    Fleet::random(SEED, 2).ship_at(x, y).is_some()
}

#[test]
fn leaving_before_play_begins_ends_nothing() {
    let mut h = seated(&[1, 2]);
    h.leave(2);
    h.tick().unwrap();
    assert!(h.ended().is_none());
    assert!(cells_of(h.view(), 2).is_empty());
    // A new second player gets seat slot 1 again, and its own fleet.
    h.join(record(3)).unwrap();
    h.tick().unwrap();
    assert_eq!(cells_of(h.view(), 3).len(), FLEET_CELLS);
}

#[test]
fn when_the_match_time_runs_out_the_scores_are_the_hits() {
    let mut h = seated(&[1, 2]);
    h.start(10);
    let (x, y) = fleet_cells(&Fleet::random(SEED, 2))[0];
    shoot(&mut h, 1, x as i32, y as i32);
    let t = h.run(20).unwrap();
    assert_eq!(t.ended, Some(MatchEnd::new(vec![(1, 1), (2, 0)])), "no payload");
}
