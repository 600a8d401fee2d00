//! The types of connect four's schema: what a client sees (state, events, the match's
//! payload) and what it sends (the `drop` command). Field names here are the wire names,
//! so renaming one is a protocol change (README.md lists them).

use serde::{Deserialize, Serialize};

/// A `disc` entity: one dropped disc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DiscState {
    /// 0..=6, left to right.
    pub column: i32,
    /// 0..=5, row 0 at the bottom.
    pub row: i32,
    /// The owner's player id.
    pub player: i64,
}

/// A `player` entity (entity id = player id). The name is borrowed: no allocation per view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlayerState<'a> {
    /// The player's name, at most [`NAME_MAX`] bytes.
    pub name: &'a str,
    /// 1 for the first mover (the lower player id), 2 for the second.
    pub color: i32,
}

/// Longest name shown, in bytes (cut at a character boundary).
pub const NAME_MAX: usize = 32;

/// The globals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Connect4Globals {
    /// The player id to move; 0 when nobody is (before the game begins, after it ends).
    pub turn: i64,
    /// Discs dropped so far, 0..=42.
    pub moves: i32,
    /// Milliseconds left for the player to move (counted in ticks); 0 when nobody is.
    pub turn_ms_left: i32,
    /// The winner's player id; 0 while undecided and after a draw.
    pub winner: i64,
}

/// The arguments of `drop`. `column` carries no schema range on purpose: an out-of-range
/// column must reach the game, which answers `bad_column` (a range would make the server
/// answer `invalid_args` first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropArgs {
    /// The column to drop into, 0..=6.
    pub column: i32,
}

/// Connect four's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "name", content = "args")]
pub enum Connect4Command {
    /// Drop a disc.
    #[serde(rename = "drop")]
    Drop(DropArgs),
}

/// The event `moved`, to everyone: a disc landed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// Who dropped it.
    pub player: i64,
    /// Where it was dropped.
    pub column: i32,
    /// Where it landed (0 = bottom).
    pub row: i32,
}

/// The event `won`, to everyone: four in a row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Won {
    /// The winner.
    pub player: i64,
}

/// The event `draw`, to everyone: the board is full and nobody has four.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Draw {
    /// Discs dropped (42).
    pub moves: i32,
}

/// The event `forfeited`, to everyone: a player ran out of time or left; the other wins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Forfeited {
    /// The player who forfeited.
    pub player: i64,
}

/// Why the match ended, in the `results` payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Four in a row.
    FourInARow,
    /// A full board.
    Draw,
    /// The player to move ran out of time.
    Forfeit,
    /// A player left for good mid-match.
    Left,
}

/// The `results` payload: `{"winner": id, "reason": ...}`, `winner` 0 for a draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EndPayload {
    /// The winner's player id, 0 for a draw.
    pub winner: i64,
    /// Why the match ended.
    pub reason: EndReason,
}
