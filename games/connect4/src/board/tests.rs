//! The board's pure rules, on boards drawn as text (top row first, as people read them).

use super::*;

/// A board from 6 rows of 7 characters, the top row first: `.` empty, `1`, `2` discs.
fn parse(rows: [&str; ROWS]) -> Board {
    let mut b = [[0; COLUMNS]; ROWS];
    for (i, line) in rows.iter().enumerate() {
        assert_eq!(line.len(), COLUMNS, "{line:?}");
        for (column, ch) in line.bytes().enumerate() {
            b[ROWS - 1 - i][column] = match ch {
                b'1' => 1,
                b'2' => 2,
                b'.' => 0,
                other => panic!("bad cell {:?}", other as char),
            };
        }
    }
    b
}

const EMPTY: [&str; ROWS] = [".......", ".......", ".......", ".......", ".......", "......."];

#[test]
fn discs_land_on_the_lowest_empty_row() {
    let b = parse([".......", ".......", ".......", "..1....", "..2....", "..1...."]);
    assert_eq!(landing_row(&b, 2), Some(3));
    assert_eq!(landing_row(&b, 0), Some(0));
    assert_eq!(landing_row(&b, COLUMNS), None, "out of range");
    let full = parse(["1......", "2......", "1......", "2......", "1......", "2......"]);
    assert_eq!(landing_row(&full, 0), None);
    assert!(!is_full(&full));
}

#[test]
fn four_in_a_row_wins_in_every_direction_and_three_does_not() {
    let horizontal = parse([".......", ".......", ".......", ".......", ".......", ".1111.."]);
    assert!(wins_at(&horizontal, 0, 4) && wins_at(&horizontal, 0, 1));
    let vertical = parse([".......", ".......", "......2", "......2", "......2", "......2"]);
    assert!(wins_at(&vertical, 3, 6) && wins_at(&vertical, 0, 6));
    let up_right = parse([".......", ".......", "...1...", "..12...", ".122...", "1222..."]);
    assert!(wins_at(&up_right, 3, 3) && wins_at(&up_right, 0, 0));
    let down_right = parse(["2......", "12.....", "112....", "1112...", ".......", "......."]);
    assert!(wins_at(&down_right, 5, 0) && wins_at(&down_right, 2, 3));
    let three = parse([".......", ".......", ".......", "1......", "1......", "111.2.."]);
    for (r, c) in [(0, 0), (0, 2), (2, 0)] {
        assert!(!wins_at(&three, r, c), "({r}, {c})");
    }
    assert!(!wins_at(&three, 5, 5), "an empty cell never wins");
    assert_eq!(winner(&three), None);
    assert_eq!(winner(&vertical), Some(2));
    assert_eq!(winner(&up_right), Some(1));
}

#[test]
fn a_line_cut_by_the_edge_does_not_wrap() {
    // Three on the right edge and one on the left of the next row up: not a line.
    let b = parse([".......", ".......", ".......", ".......", "1......", "....111"]);
    assert_eq!(winner(&b), None);
}

#[test]
fn pick_column_wins_first_then_blocks_then_takes_the_centre() {
    // 1 can win in column 3 (a row) and 2 in column 6 (a column): each takes its own win
    // rather than blocking the other's.
    let b = parse([".......", ".......", ".......", "......2", "......2", "111...2"]);
    assert_eq!(pick_column(&b, 1), Some(3));
    assert_eq!(pick_column(&b, 2), Some(6));
    // 2 has no win here, so it blocks 1's row.
    let b = parse([".......", ".......", ".......", ".......", "......2", "111...2"]);
    assert_eq!(pick_column(&b, 2), Some(3));
    // Nothing urgent: the centre, then next to it when the centre is full.
    assert_eq!(pick_column(&parse(EMPTY), 1), Some(3));
    let centre_full = parse(["...1...", "...2...", "...1...", "...2...", "...1...", "...2..."]);
    assert_eq!(pick_column(&centre_full, 1), Some(2));
}

#[test]
fn pick_column_blocks_a_diagonal() {
    // 1 holds (1, 1), (2, 2), (3, 3) of the up-right line through (0, 0), the cell a disc
    // dropped in column 0 lands on; 2 has no win of its own, so it blocks there.
    let b = parse([".......", ".......", "...1...", "..12...", ".122...", ".2211.."]);
    assert_eq!(winner(&b), None);
    assert_eq!(pick_column(&b, 2), Some(0));
    // And 1, to move, takes it.
    assert_eq!(pick_column(&b, 1), Some(0));
}

/// 42 moves that fill the board with no four in a row (from a random playout).
const DRAW: [usize; 42] = [
    3, 3, 0, 2, 5, 4, 5, 6, 4, 2, 2, 3, 3, 5, 5, 2, 2, 4, 3, 3, 1, 1, 2, 1, 5, 5, 0, 4, 0, 4, 4, 6,
    6, 6, 6, 0, 1, 0, 6, 0, 1, 1,
];

#[test]
fn pick_column_never_picks_a_full_column_and_gives_up_only_on_a_full_board() {
    // Every position along a drawn game, columns filling up one by one towards the end.
    let mut b = parse(EMPTY);
    for (i, &column) in DRAW.iter().enumerate() {
        for me in [1, 2] {
            let c = pick_column(&b, me).unwrap_or_else(|| panic!("after {i} moves"));
            assert!(landing_row(&b, c.into()).is_some(), "after {i} moves, {me} picked {c}");
        }
        let row = landing_row(&b, column).unwrap();
        b[row][column] = 1 + (i % 2) as u8;
        assert!(!wins_at(&b, row, column), "move {i} of the drawn game");
    }
    assert!(is_full(&b));
    assert_eq!(winner(&b), None);
    assert_eq!((pick_column(&b, 1), pick_column(&b, 2)), (None, None));
}

#[test]
fn render_puts_the_top_row_first() {
    let b = parse([".......", ".......", ".......", ".......", "..2....", "1.1...."]);
    assert_eq!(
        render(&b),
        [".......", ".......", ".......", ".......", "..2....", "1.1...."].map(String::from)
    );
}
