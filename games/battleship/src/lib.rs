//! Battleship on Tickwave's game API v2: two players, a 10 x 10 board each, a fleet of five
//! ships (5, 4, 3, 3, 2 cells), a `fire` command per turn. The point of the game is hidden
//! information: each ship cell is an entity that only its owner sees until it is hit
//! ([`tickwave::game::v2::Game::scope`]), so the server never sends a player the position
//! of an opponent's ship it has not found. README.md has the rules and the schema as a
//! client sees it.
//!
//! Like `tickwave-connect4`, this crate uses nothing of the server but its public facade
//! (`tickwave::game`), and the server also compiles these files as one of its own modules,
//! so nothing here names `crate::`: items are reached through `self::` and `super::` only.

mod fleet;
mod game;
mod settings;
mod wire;

pub use self::fleet::{BOARD, FLEET, FLEET_CELLS, Fleet, PlaceError, Ship};
pub use self::game::Battleship;
pub use self::settings::{BattleshipSettings, MAX_TURN_SECS, MIN_TURN_SECS};
pub use self::wire::{
    BattleshipCommand, BattleshipGlobals, EndPayload, EndReason, FireArgs, PlaceArgs, PlayerState,
    ShipCellState, ShotEvent, ShotState,
};
