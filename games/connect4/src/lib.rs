//! Connect four on Tickwave's game API v2: two players, 7 columns by 6 rows, a `drop`
//! command, four in a row wins. README.md has the rules and the schema as a client sees it.
//!
//! This crate uses nothing of the server but its public facade (`tickwave::game`), which is
//! the point of it: a studio's game crate needs nothing else. The server also compiles
//! these files as one of its own modules, so nothing here names `crate::`: items are
//! reached through `self::` and `super::` only.

mod board;
mod game;
mod settings;
mod wire;

pub use self::board::{
    Board, COLUMNS, LINE, ROWS, is_full, landing_row, pick_column, render, winner, wins_at,
};
pub use self::game::Connect4;
pub use self::settings::{Connect4Settings, MAX_TURN_SECS, MIN_TURN_SECS};
pub use self::wire::{
    Connect4Command, Connect4Globals, DiscState, Draw, DropArgs, EndPayload, EndReason, Forfeited,
    Moved, NAME_MAX, PlayerState, Won,
};
