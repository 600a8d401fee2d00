//! The types of battleship's schema: what a client sees (state, events, the match's
//! payload) and what it sends (the `fire` and `place` commands). Field names here are the
//! wire names, so renaming one is a protocol change (README.md lists them).

use serde::{Deserialize, Serialize};

/// A `ship_cell` entity: one cell of a ship. Its owner always sees it; the opponent only
/// once it is hit (the game scopes it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ShipCellState {
    /// The fleet's owner, a player id.
    pub owner: i64,
    /// 0..=9.
    pub x: i32,
    /// 0..=9.
    pub y: i32,
    /// Whether the opponent fired at it.
    pub hit: bool,
}

/// A `shot` entity: a shot fired, public, so a resumed client redraws both boards (misses
/// included) from the state alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ShotState {
    /// Who fired it.
    pub shooter: i64,
    /// 0..=9, on the opponent's board.
    pub x: i32,
    /// 0..=9.
    pub y: i32,
    /// Whether it hit a ship.
    pub hit: bool,
}

/// A `player` entity (entity id = player id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlayerState {
    /// Ships of this player's fleet not yet sunk, 0..=5.
    pub ships_left: i32,
    /// Shots this player fired, 0..=100.
    pub shots: i32,
}

/// The globals. Neither changes from one tick to the next unless something happens, so a
/// quiet tick's delta is empty (a per-tick countdown would resend the globals every tick).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BattleshipGlobals {
    /// The player id to fire; 0 when nobody is (before play begins, after the end).
    pub turn: i64,
    /// The tick at which the turn passes to the other player if `turn` has not fired by
    /// then (a `fire` applied in that tick still counts); 0 when nobody is to fire.
    pub turn_deadline_tick: i64,
}

/// The arguments of `fire`. No schema range on purpose: an off-board cell must reach the
/// game, which answers `out_of_range` (a range would make the server answer `invalid_args`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FireArgs {
    /// The column fired at on the opponent's board, 0..=9.
    pub x: i32,
    /// The row, 0..=9.
    pub y: i32,
}

/// The arguments of `place`; no schema ranges, for the same reason as [`FireArgs`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceArgs {
    /// The ship, 0..=4 (lengths 5, 4, 3, 3, 2).
    pub ship: i32,
    /// Its first cell's column.
    pub x: i32,
    /// Its first cell's row.
    pub y: i32,
    /// Along `+y` when set, along `+x` otherwise.
    pub vertical: bool,
}

/// Battleship's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "name", content = "args")]
pub enum BattleshipCommand {
    /// Fire at a cell of the opponent's board.
    #[serde(rename = "fire")]
    Fire(FireArgs),
    /// Move one of one's own ships, before the match runs.
    #[serde(rename = "place")]
    Place(PlaceArgs),
}

/// The event `shot`, to everyone: a shot landed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ShotEvent {
    /// Who fired.
    pub player: i64,
    /// Where, on the opponent's board.
    pub x: i32,
    /// Where.
    pub y: i32,
    /// `"miss"`, `"hit"`, or `"sunk"` (a hit that sank the ship).
    pub result: &'static str,
}

/// Why the match ended, in the `results` payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The winner sank the whole fleet of the other.
    Won,
    /// The other player left for good mid-match.
    Left,
}

/// The `results` payload: `{"winner": id, "reason": "won" | "left"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EndPayload {
    /// The winner's player id.
    pub winner: i64,
    /// Why the match ended.
    pub reason: EndReason,
}
