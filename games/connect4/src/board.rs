//! The board and its rules as pure functions over a plain array, shared by the game and by
//! any bot: no state, no allocation, nothing but integers, so the same board gives the same
//! answer everywhere (replays and bots rely on it).
//!
//! `board[row][column]`: row 0 is the bottom row, column 0 the leftmost. A cell holds 0
//! (empty), 1 (the first mover's disc) or 2 (the second mover's).

/// Columns of the board.
pub const COLUMNS: usize = 7;
/// Rows of the board.
pub const ROWS: usize = 6;
/// Discs in a row that win.
pub const LINE: usize = 4;

/// A board: `board[row][column]`, row 0 at the bottom; 0 empty, 1 or 2 a player's disc.
pub type Board = [[u8; COLUMNS]; ROWS];

/// The columns in the order a bot prefers them when nothing is urgent: the centre first,
/// because a central disc takes part in the most lines of four.
const CENTRE_FIRST: [u8; COLUMNS] = [3, 2, 4, 1, 5, 0, 6];

/// The four directions a line can run in (the other four are their opposites): right, up,
/// up-right, down-right, as (row step, column step).
const DIRECTIONS: [(isize, isize); 4] = [(0, 1), (1, 0), (1, 1), (-1, 1)];

/// The row a disc dropped into `column` lands on (the lowest empty one), or `None` when the
/// column is full or out of range.
pub fn landing_row(board: &Board, column: usize) -> Option<usize> {
    if column >= COLUMNS {
        return None;
    }
    (0..ROWS).find(|&row| board[row][column] == 0)
}

/// Whether every cell holds a disc (a draw, when nobody has won).
pub fn is_full(board: &Board) -> bool {
    board[ROWS - 1].iter().all(|&c| c != 0)
}

/// The cell `(row, column)` moved `n` steps along `(dr, dc)`, if it is on the board.
fn offset(row: usize, column: usize, (dr, dc): (isize, isize), n: isize) -> Option<(usize, usize)> {
    let r = row.checked_add_signed(dr * n)?;
    let c = column.checked_add_signed(dc * n)?;
    (r < ROWS && c < COLUMNS).then_some((r, c))
}

/// Whether the disc at `(row, column)` is part of four (or more) in a row of its own colour.
/// Checking only through the last disc dropped is enough: a line the move did not touch
/// would have ended the game earlier.
pub fn wins_at(board: &Board, row: usize, column: usize) -> bool {
    let me = board[row][column];
    if me == 0 {
        return false;
    }
    DIRECTIONS.iter().any(|&dir| {
        let run = |sign: isize| {
            (1..LINE as isize)
                .take_while(|&n| {
                    offset(row, column, dir, sign * n).is_some_and(|(r, c)| board[r][c] == me)
                })
                .count()
        };
        1 + run(1) + run(-1) >= LINE
    })
}

/// The colour (1 or 2) with four in a row anywhere on the board, if any (the lower colour
/// if, on a board no game could reach, both have one).
pub fn winner(board: &Board) -> Option<u8> {
    let mut found = None;
    for row in 0..ROWS {
        for column in 0..COLUMNS {
            let c = board[row][column];
            if c != 0 && wins_at(board, row, column) && found.is_none_or(|f| c < f) {
                found = Some(c);
            }
        }
    }
    found
}

/// Whether dropping `me` into `column` wins at once.
fn wins_by_dropping(board: &Board, column: usize, me: u8) -> bool {
    let Some(row) = landing_row(board, column) else {
        return false;
    };
    let mut after = *board;
    after[row][column] = me;
    wins_at(&after, row, column)
}

/// A column for `me` (1 or 2) to drop into: one that wins now if there is one, else one
/// that blocks an immediate win of the opponent, else the free column nearest the centre
/// (ties: the left one). Never a full column; `None` only when the board is full. Each rule
/// scans the columns centre-first, so the choice is a pure function of the board.
pub fn pick_column(board: &Board, me: u8) -> Option<u8> {
    let other = if me == 1 { 2 } else { 1 };
    let free = || CENTRE_FIRST.into_iter().filter(|&c| landing_row(board, c.into()).is_some());
    free()
        .find(|&c| wins_by_dropping(board, c.into(), me))
        .or_else(|| free().find(|&c| wins_by_dropping(board, c.into(), other)))
        .or_else(|| free().next())
}

/// The board as text for people: one string of [`COLUMNS`] characters per row, the top row
/// first (as it stands), `.` empty, `1` and `2` the discs.
pub fn render(board: &Board) -> [String; ROWS] {
    std::array::from_fn(|i| {
        board[ROWS - 1 - i]
            .iter()
            .map(|&c| match c {
                1 => '1',
                2 => '2',
                _ => '.',
            })
            .collect()
    })
}

#[cfg(test)]
mod tests;
