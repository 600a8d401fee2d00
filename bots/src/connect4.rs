//! A connect4 move chooser for bots: win now if possible, else block the opponent's
//! immediate win, else prefer the centre, never a full column.
//!
//! Pure board logic on the board [`connect4_board`](crate::state_v2::connect4_board) rebuilds
//! from the state, kept in this crate so that the bots do not depend on the server or on the
//! `tickwave-connect4` game crate (both heavy). It is deliberately shallow: one ply for the
//! player and one for the opponent is what a load test needs (games that end by a win or a
//! draw, not by a forfeit), and it stays cheap for thousands of bots.

use crate::state_v2::{C4_COLUMNS, C4_ROWS, C4Board};

/// SplitMix64's finaliser: turns nearby inputs into unrelated outputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Whether a disc of `colour` at (`row`, `col`) makes four in a row.
fn wins_at(b: &C4Board, row: usize, col: usize, colour: u8) -> bool {
    const DIRS: [(isize, isize); 4] = [(0, 1), (1, 0), (1, 1), (1, -1)];
    let at = |r: isize, c: isize| {
        (0..C4_ROWS as isize).contains(&r)
            && (0..C4_COLUMNS as isize).contains(&c)
            && b[r as usize][c as usize] == colour
    };
    DIRS.iter().any(|&(dr, dc)| {
        let run = |sign: isize| {
            (1..4)
                .take_while(|k| at(row as isize + sign * k * dr, col as isize + sign * k * dc))
                .count()
        };
        1 + run(1) + run(-1) >= 4
    })
}

/// The row a disc dropped into `col` lands in; `None` when the column is full.
pub fn landing_row(b: &C4Board, col: usize) -> Option<usize> {
    (0..C4_ROWS).find(|&r| b[r][col] == 0)
}

/// Whether dropping a disc of `colour` into `col` wins at once (false for a full column).
pub fn wins_by(b: &C4Board, col: usize, colour: u8) -> bool {
    landing_row(b, col).is_some_and(|r| wins_at(b, r, col, colour))
}

/// Whether after `me` drops into `col`, the opponent wins by dropping on top of it.
fn gives_win_on_top(b: &C4Board, col: usize, me: u8) -> bool {
    let Some(r) = landing_row(b, col) else { return false };
    if r + 1 >= C4_ROWS {
        return false;
    }
    let mut next = *b;
    next[r][col] = me;
    wins_at(&next, r + 1, col, 3 - me)
}

/// The column `me` (colour 1 or 2) should drop into, or `None` when every column is full.
///
/// In order: a column that wins now; else one that blocks the opponent's immediate win;
/// else the column nearest the centre among those that do not hand the opponent a win on
/// top (any column if all do). `tie` (a seeded random number) breaks ties between equally
/// good columns, so bots do not all play the same game.
pub fn pick_column(b: &C4Board, me: u8, tie: u64) -> Option<usize> {
    let them = 3 - me;
    let legal = || (0..C4_COLUMNS).filter(|&c| landing_row(b, c).is_some());
    // A per-column tie-break drawn from `tie`: stable for one call, different across seeds.
    let shuffle = |c: usize| mix(tie ^ (c as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let centre = |c: usize| (c as isize - (C4_COLUMNS as isize / 2)).unsigned_abs();
    let best = |cands: &mut dyn Iterator<Item = usize>| {
        cands.min_by_key(|&c| (gives_win_on_top(b, c, me), centre(c), shuffle(c)))
    };
    best(&mut legal().filter(|&c| wins_by(b, c, me)))
        .or_else(|| best(&mut legal().filter(|&c| wins_by(b, c, them))))
        .or_else(|| best(&mut legal()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// A board from rows written top row first, as one would draw it: `.` empty, `x`
    /// colour 1, `o` colour 2; rows not given are empty.
    fn board(rows: &[&str]) -> C4Board {
        let mut b = [[0u8; C4_COLUMNS]; C4_ROWS];
        for (i, line) in rows.iter().rev().enumerate() {
            for (c, ch) in line.chars().enumerate() {
                b[i][c] = match ch {
                    'x' => 1,
                    'o' => 2,
                    _ => 0,
                };
            }
        }
        b
    }

    #[test]
    fn an_empty_board_opens_in_the_centre() {
        let b = [[0; C4_COLUMNS]; C4_ROWS];
        for tie in 0..50 {
            assert_eq!(pick_column(&b, 1, tie), Some(3));
        }
    }

    #[test]
    fn it_wins_when_it_can_in_every_direction() {
        let h = board(&["ooo....", "xxx...."]);
        assert_eq!(pick_column(&h, 1, 7), Some(3), "horizontal");
        let v = board(&[".....x.", ".....x.", ".....x."]);
        assert_eq!(pick_column(&v, 1, 7), Some(5), "vertical");
        // x at (0,0), (1,1), (2,2); column 3 holds three discs, so a drop lands at (3,3).
        let d = board(&["..xo...", ".xoo...", "xoox..."]);
        assert_eq!(landing_row(&d, 3), Some(3));
        assert_eq!(pick_column(&d, 1, 7), Some(3), "diagonal");
        // The other diagonal: x at (0,6), (1,5), (2,4); (3,3) again.
        let d = board(&["...ox..", "...oox.", "...xoox"]);
        assert_eq!(pick_column(&d, 1, 7), Some(3), "anti-diagonal");
    }

    #[test]
    fn a_win_comes_before_a_block() {
        // x wins at column 3 (bottom row); o wins at column 6 (vertical).
        let b = board(&["......o", "......o", "xxx...o"]);
        assert_eq!(pick_column(&b, 1, 1), Some(3));
        assert_eq!(pick_column(&b, 2, 1), Some(6));
    }

    #[test]
    fn it_blocks_the_opponents_immediate_win() {
        // o o o in columns 3..5 at the bottom: 2 and 6 both block; the nearer the centre.
        let b = board(&["x......", "x..ooo."]);
        assert_eq!(pick_column(&b, 1, 0), Some(2));
        // A single open end.
        let b = board(&["x......", "x.xooo."]);
        assert_eq!(pick_column(&b, 1, 0), Some(6));
        // A vertical threat in column 0, far from the centre.
        let b = board(&["o......", "o......", "o..xx.."]);
        for tie in 0..20 {
            assert_eq!(pick_column(&b, 1, tie), Some(0));
        }
    }

    #[test]
    fn it_never_picks_a_full_column_and_gives_up_on_a_full_board() {
        // Column 3 is full; the centre-most playable columns are 2 and 4.
        let b = board(&["...x...", "...o...", "...x...", "...o...", "...x...", "...o..."]);
        assert_eq!(landing_row(&b, 3), None);
        assert!(!wins_by(&b, 3, 1), "a full column wins nothing");
        let picks: BTreeSet<usize> = (0..64).map(|t| pick_column(&b, 1, t).unwrap()).collect();
        assert_eq!(picks, BTreeSet::from([2, 4]), "the seed breaks the tie both ways");
        // Only column 6 has room.
        let mut full = [[1u8; C4_COLUMNS]; C4_ROWS];
        full[5][6] = 0;
        assert_eq!(pick_column(&full, 2, 9), Some(6));
        full[5][6] = 2;
        assert_eq!(pick_column(&full, 2, 9), None);
    }

    #[test]
    fn it_avoids_handing_the_opponent_a_win_on_top() {
        // o o o on row 1 over columns 0..2: a disc at (0,3) would let o complete row 1 on
        // top of it, so x leaves the centre column alone.
        let b = board(&["ooo....", "xxo.x.."]);
        assert!(!wins_by(&b, 3, 2), "column 3 lands on row 0: no win for o there yet");
        assert!(gives_win_on_top(&b, 3, 1));
        for tie in 0..32 {
            let c = pick_column(&b, 1, tie).unwrap();
            assert!(c == 2 || c == 4, "next to the centre, not in it: {c}");
        }
    }
}
