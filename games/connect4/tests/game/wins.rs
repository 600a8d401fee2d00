//! Four in a row in every direction, the `moved` rows, and the draw.

use super::*;
use tickwave::game::v2::To;

/// Play `columns` (players 1 and 2 alternating, 1 first); the last move must win for
/// `winner`, landing on `(row, column)`: check the events, the end and the view.
fn wins_with(columns: &[i32], winner: u32, row: i64, column: i64) {
    let loser = 3 - winner;
    let mut h = running(&[1, 2]);
    let (last, before) = columns.split_last().unwrap();
    play(&mut h, 1, 2, before);
    assert!(h.ended().is_none(), "not before the last move");
    assert_eq!(global(&h, "turn"), i64::from(winner));
    drop(&mut h, winner, *last).unwrap().unwrap();
    let t = h.tick().unwrap();
    assert_eq!(names(&t.events), ["moved", "won"]);
    let (moved, won) = (&t.events[0], &t.events[1]);
    assert_eq!(int(moved.field("player")), i64::from(winner));
    assert_eq!((int(moved.field("column")), int(moved.field("row"))), (column, row));
    assert_eq!(int(won.field("player")), i64::from(winner));
    assert!(t.events.iter().all(|e| e.to == To::All), "to both players");
    let end = t.ended.expect("the match ends at once");
    let mut scores = end.scores.clone();
    scores.sort_unstable();
    let mut want = vec![(winner, 1), (loser, 0)];
    want.sort_unstable();
    assert_eq!(scores, want);
    assert_eq!(end, expected_end(vec![(winner, 1), (loser, 0)], winner, "four_in_a_row"));
    assert_eq!(global(&h, "winner"), i64::from(winner));
    assert_eq!((global(&h, "turn"), global(&h, "turn_ms_left")), (0, 0));
    assert_eq!(global(&h, "moves"), columns.len() as i64);
    let mut scores = h.scores();
    scores.sort_unstable();
    assert_eq!(scores, want, "scores() agrees with results");
}

#[test]
fn four_in_a_row_horizontally_wins() {
    wins_with(&[0, 0, 1, 1, 2, 2, 3], 1, 0, 3);
}

#[test]
fn four_in_a_column_wins_for_the_second_mover() {
    wins_with(&[0, 6, 0, 6, 1, 6, 1, 6], 2, 3, 6);
}

#[test]
fn four_on_the_rising_diagonal_wins() {
    wins_with(&[0, 1, 1, 2, 2, 3, 2, 3, 3, 6, 3], 1, 3, 3);
}

#[test]
fn four_on_the_falling_diagonal_wins() {
    // The mirror of the rising one, with the roles swapped by a first move in column 0.
    wins_with(&[0, 6, 5, 5, 4, 4, 3, 4, 3, 3, 0, 3], 2, 3, 3);
}

#[test]
fn moved_carries_the_row_the_disc_landed_on() {
    let mut h = running(&[1, 2]);
    let events = play(&mut h, 1, 2, &[4, 4, 4, 2]);
    let rows: Vec<(i64, i64, i64)> = events
        .iter()
        .map(|e| (int(e.field("player")), int(e.field("column")), int(e.field("row"))))
        .collect();
    assert_eq!(rows, [(1, 4, 0), (2, 4, 1), (1, 4, 2), (2, 2, 0)]);
}

/// 42 moves, found by a random playout, that fill the board without four in a row.
pub(crate) const DRAW: [i32; 42] = [
    3, 3, 0, 2, 5, 4, 5, 6, 4, 2, 2, 3, 3, 5, 5, 2, 2, 4, 3, 3, 1, 1, 2, 1, 5, 5, 0, 4, 0, 4, 4, 6,
    6, 6, 6, 0, 1, 0, 6, 0, 1, 1,
];

#[test]
fn a_full_board_without_four_is_a_draw() {
    let mut h = running(&[1, 2]);
    let (last, before) = DRAW.split_last().unwrap();
    play(&mut h, 1, 2, before);
    assert!(h.ended().is_none());
    drop(&mut h, 2, *last).unwrap().unwrap();
    let t = h.tick().unwrap();
    assert_eq!(names(&t.events), ["moved", "draw"]);
    assert_eq!(int(t.events[1].field("moves")), 42);
    let end = t.ended.expect("a full board ends the match");
    assert_eq!(end, expected_end(vec![(1, 0), (2, 0)], 0, "draw"));
    assert_eq!((global(&h, "winner"), global(&h, "turn"), global(&h, "moves")), (0, 0, 42));
    assert_eq!(h.view().len(), 2 + 42);
    assert_eq!(refused(&mut h, 1, 0).code, "game_over");
}
